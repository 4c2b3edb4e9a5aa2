import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction } from '../registry-types.js';

const handler = notImplemented('embed', 'embedding engine');

export const embed: PgmlFunction = {
  name: 'embed',
  summary: 'sentence embeddings from a Hugging Face model',
  overloads: [
    {
      params: [{ name: 'transformer', type: SQL.text }, { name: 'text', type: SQL.text }, { name: 'kwargs', type: SQL.jsonb, default: `'{}'` }],
      returns: { kind: 'scalar', type: PG.float4Array },
      strict: true,
      handler,
    },
    {
      params: [{ name: 'transformer', type: SQL.text }, { name: 'inputs', type: SQL.textArray }, { name: 'kwargs', type: SQL.jsonb, default: `'{}'` }],
      returns: { kind: 'scalar', type: PG.float4Array, setof: true },
      strict: true,
      handler,
    },
  ],
};
