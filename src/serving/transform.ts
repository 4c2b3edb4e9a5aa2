/**
 * pgml.transform over a tuned project (`"model": "project:<name>"`), answering in the shapes of
 * Hugging Face's pipelines as PostgresML returns them: `[{"label","score"}]` for
 * text-classification, `[{"translation_text"}]`, `[{"summary_text"}]`, and `{"score","start",
 * "end","answer"}` for question-answering (a list of them for several inputs).
 */
import { ProxyError } from '../../proxy/errors.js';
import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { HandlerContext } from '../pgml/registry-types.js';
import type { Task } from '../store/key-metrics.js';
import { taskName } from '../store/projects.js';
import { generationOptions } from './generation-config.js';
import { qaInputs, qaSettings } from './qa-inputs.js';
import { servedModel } from './served-model.js';

export const PROJECT_PREFIX = 'project:';

/** Pipeline task names (and their aliases) → the project task that serves them. */
export function pipelineTask(name: string): Task | null {
  const task = name.trim().toLowerCase().replaceAll('_', '-');
  if (task === 'text-classification' || task === 'sentiment-analysis') return 'text_classification';
  if (task === 'question-answering') return 'question_answering';
  if (task === 'summarization') return 'summarization';
  if (task === 'translation' || /^translation-[a-z]+-to-[a-z]+$/.test(task)) return 'translation';
  return null;
}

export async function transformProject(context: HandlerContext, project: string, task: string | null, args: JsonValue, inputs: readonly string[]): Promise<JsonValue> {
  const model = await servedModel(context, project, ['text_classification', 'translation', 'summarization', 'question_answering'], 'pgml.transform');
  const wanted = task === null ? model.task : pipelineTask(task);
  if (wanted !== model.task) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '22023',
      message: `pgml.transform: project \`${project}\` is a ${taskName(model.task)} project, not ${task ?? '?'}`,
      hint: `Use "task": "${taskName(model.task)}".`,
    });
  }
  const { engine } = context.services;
  switch (model.task) {
    case 'text_classification': {
      if (args !== null && typeof args === 'object' && Object.keys(args).length > 0) {
        throw new ProxyError({ severity: 'ERROR', code: '22023', message: `pgml.transform: text-classification takes no args here, got ${JSON.stringify(args)}` });
      }
      const { labels, probabilities } = await engine.classify(model.key, model.files, inputs);
      return probabilities.map((p) => {
        const best = p.reduce((top, value, i) => (value > (p[top] ?? -Infinity) ? i : top), 0);
        return { label: labels[best] ?? String(best), score: p[best] ?? 0 };
      });
    }
    case 'translation':
    case 'summarization': {
      const texts = await engine.generate(model.key, model.files, inputs, generationOptions(args, 'pgml.transform'));
      const key = model.task === 'translation' ? 'translation_text' : 'summary_text';
      return texts.map((text) => ({ [key]: text }));
    }
    case 'question_answering': {
      const answers = await engine.answer(model.key, model.files, qaInputs(inputs), qaSettings(args));
      const shaped = answers.map((a) => ({ score: a.score, start: a.start, end: a.end, answer: a.answer }));
      // The pipeline returns a bare object for one question, a list for several.
      return shaped.length === 1 ? (shaped[0] ?? null) : shaped;
    }
    default:
      throw new Error(`unexpected task ${model.task}`);
  }
}
