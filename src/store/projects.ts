import { ProxyError } from '../../proxy/errors.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { lookupProject, type Project } from './deployments.js';
import type { Task } from './key-metrics.js';
import { queryValue } from './sql.js';

/** PostgresML's task names, either spelling, to the pgml.task label. */
export function parseTask(task: string): Task {
  const label = task.trim().toLowerCase().replaceAll('-', '_');
  const known: readonly Task[] = [
    'regression', 'classification', 'decomposition', 'clustering', 'question_answering', 'summarization', 'translation',
    'text_classification', 'text_generation', 'text2text', 'embedding', 'text_pair_classification', 'conversation',
  ];
  const found = known.find((t) => t === label);
  if (found !== undefined) return found;
  throw new ProxyError({
    severity: 'ERROR',
    code: '22023',
    message: `unknown task "${task}"`,
    hint: `pgml.tune trains these tasks: text-classification, translation, summarization, question-answering.`,
  });
}

/** How outputs spell a task: Hugging Face's hyphens (`text-classification`). */
export function taskName(task: Task): string {
  return task.replaceAll('_', '-');
}

/**
 * The project a training call works on, as PostgresML decides it: an existing project keeps its
 * task forever; a new one needs a task. Returns null for a project still to be created
 * (createProject), so callers can check everything else before writing anything.
 */
export async function projectFor(upstream: UpstreamQueries, name: string, task: Task | null): Promise<Project | { readonly name: string; readonly task: Task; readonly id: null }> {
  const existing = await lookupProject(upstream, name);
  if (existing === null) {
    if (task === null) {
      throw new ProxyError({
        severity: 'ERROR',
        code: '22023',
        message: `Project \`${name}\` does not exist. To create a new project, provide the task.`,
        hint: `Pass task => 'text-classification' (or another task) the first time you tune this project.`,
      });
    }
    return { name, task, id: null };
  }
  if (task !== null && task !== existing.task) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '22023',
      message: `Project \`${JSON.stringify(name)}\` already exists with a different task: \`${taskName(existing.task)}\`. Create a new project instead.`,
    });
  }
  return existing;
}

export async function createProject(upstream: UpstreamQueries, name: string, task: Task): Promise<Project> {
  const id = await queryValue(upstream, 'INSERT INTO pgml.projects (name, task) VALUES ($1::text, $2::text::pgml.task) RETURNING id', [name, task]);
  return { id: BigInt(id), name, task };
}
