import { ProxyError } from '../../../proxy/errors.js';
import { PG, pgJson, type JsonValue } from '../../../proxy/protocol/pg-types.js';
import { PROJECT_PREFIX, transformProject } from '../../serving/transform.js';
import { textsArg } from '../arguments.js';
import { SQL } from '../param-types.js';
import type { Handler, Overload, ParamType, PgmlFunction } from '../registry-types.js';

/**
 * The task argument, as text or PostgresML's jsonb form: its task name and model. An untyped
 * literal like '{"task": ..., "model": ...}' resolves to the text overload, so JSON text counts too.
 */
function taskOf(task: JsonValue): { name: string | null; model: string | null } {
  if (typeof task === 'string') {
    if (!task.trimStart().startsWith('{')) return { name: task, model: null };
    try {
      return taskOf(JSON.parse(task) as JsonValue);
    } catch {
      throw new ProxyError({ severity: 'ERROR', code: '22P02', message: `pgml.transform: the task ${task} is not valid JSON` });
    }
  }
  if (task !== null && typeof task === 'object' && !Array.isArray(task)) {
    const { task: name, model } = task as Record<string, JsonValue>;
    return { name: typeof name === 'string' ? name : null, model: typeof model === 'string' ? model : null };
  }
  throw new ProxyError({ severity: 'ERROR', code: '22023', message: 'pgml.transform: task must be a task name or {"task": ..., "model": ...}' });
}

const handler: Handler = async (args, context) => {
  const { name, model } = taskOf(args.task ?? null);
  if (model === null || !model.startsWith(PROJECT_PREFIX)) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '0A000',
      message: `pgml.transform runs the models of tuned projects in pgml-proxy; ${model === null ? 'no model was named' : `"${model}" is not one`}`,
      hint: `Name a project as the model: '{"task": "${name ?? 'question-answering'}", "model": "project:<project name>"}'.`,
    });
  }
  const inputs = args.inputs;
  if (Array.isArray(inputs) && inputs.some((i) => typeof i !== 'string')) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: 'ARRAY[]::JSONB inputs for transform should only be used with a conversational task', hint: 'Pass inputs as text[]; question-answering inputs are JSON strings.' });
  }
  return pgJson(await transformProject(context, model.slice(PROJECT_PREFIX.length), name, args.args ?? null, inputs === null || inputs === undefined ? [] : textsArg(args, 'inputs')));
};

function form(task: ParamType, inputs: ParamType, emptyInputs: string): Overload {
  return {
    params: [
      { name: 'task', type: task },
      { name: 'args', type: SQL.jsonb, default: `'{}'` },
      { name: 'inputs', type: inputs, default: emptyInputs },
      // Accepted and ignored, as in PostgresML ("for api compatibility").
      { name: 'cache', type: SQL.boolean, default: 'false' },
    ],
    returns: { kind: 'scalar', type: PG.jsonb },
    handler,
  };
}

export const transform: PgmlFunction = {
  name: 'transform',
  summary: 'runs a model over the inputs with Hugging Face pipeline outputs; here a tuned project as "model": "project:<name>"',
  overloads: [
    form(SQL.jsonb, SQL.textArray, 'ARRAY[]::text[]'),
    form(SQL.text, SQL.textArray, 'ARRAY[]::text[]'),
    form(SQL.jsonb, SQL.jsonbArray, 'ARRAY[]::jsonb[]'),
    form(SQL.text, SQL.jsonbArray, 'ARRAY[]::jsonb[]'),
  ],
};
