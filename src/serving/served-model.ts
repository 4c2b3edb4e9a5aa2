/**
 * The deployed model that serves a project, for an inference call: resolved (and cached) per
 * proxy, checked to be of a task the calling function serves, with a loader for its files in
 * pgml.files (read on the caller's session the first time this proxy needs them).
 */
import { ProxyError } from '../../proxy/errors.js';
import type { HandlerContext } from '../pgml/registry-types.js';
import { readModelFiles } from '../store/files.js';
import type { Task } from '../store/key-metrics.js';
import { taskName } from '../store/projects.js';

export interface ServedModel {
  /** The inference worker's key for it: the model id (a model's files never change). */
  readonly key: string;
  readonly task: Task;
  readonly files: () => Promise<Map<string, Buffer>>;
}

/** Which function serves a task, for the error that names the right one. */
const SERVED_BY: Partial<Record<Task, string>> = {
  text_classification: 'pgml.predict',
  translation: 'pgml.generate',
  summarization: 'pgml.generate',
  question_answering: "pgml.transform with '{\"model\": \"project:<name>\"}'",
};

export async function servedModel(context: HandlerContext, project: string, tasks: readonly Task[], caller: string): Promise<ServedModel> {
  const { upstream, services } = context;
  // A lookup inside the caller's transaction may see a deployment others cannot: not cached.
  const model = await services.deployments.resolve(upstream, project, context.transactionStatus === 'I');
  if (!tasks.includes(model.task)) {
    const other = SERVED_BY[model.task];
    throw new ProxyError({
      severity: 'ERROR',
      code: '42809',
      message: `project \`${project}\` is a ${taskName(model.task)} project; ${caller} serves ${tasks.map(taskName).join(' and ')} projects`,
      ...(other === undefined ? {} : { hint: `Use ${other} for it.` }),
    });
  }
  return {
    key: String(model.modelId),
    task: model.task,
    files: async () => {
      const found = await readModelFiles(upstream, model.modelId);
      if (found.size === 0) {
        throw new ProxyError({ severity: 'ERROR', code: '58P01', message: `model ${model.modelId} of project \`${project}\` has no files in pgml.files`, hint: 'Deploy another model with pgml.deploy, or tune the project again.' });
      }
      return found;
    },
  };
}
