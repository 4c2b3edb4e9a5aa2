import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction } from '../registry-types.js';

const handler = notImplemented('generate', 'generation engine');

export const generate: PgmlFunction = {
  name: 'generate',
  summary: "text from a project's deployed translation, summarization or text-generation model",
  overloads: [
    {
      params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.text }, { name: 'config', type: SQL.jsonb, default: `'{}'` }],
      returns: { kind: 'scalar', type: PG.text },
      handler,
    },
    {
      params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.textArray }, { name: 'config', type: SQL.jsonb, default: `'{}'` }],
      returns: { kind: 'scalar', type: PG.textArray },
      handler,
    },
  ],
};
