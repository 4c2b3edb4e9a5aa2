import { ProxyError } from '../../../proxy/errors.js';
import { PG, type JsonValue } from '../../../proxy/protocol/pg-types.js';
import { loadDataset as load } from '../../datasets/load-dataset.js';
import { SQL } from '../param-types.js';
import type { Handler, PgmlFunction } from '../registry-types.js';

const handler: Handler = async (args, context) => {
  const { source, subset, limit, kwargs } = args;
  if (typeof source !== 'string' || source.trim() === '') {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: 'pgml.load_dataset needs a source: a Hugging Face dataset id or a local path' });
  }
  if (kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs))) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: `kwargs must be a JSON object, not ${JSON.stringify(kwargs)}` });
  }
  const result = await load(
    {
      source: source.trim(),
      subset: typeof subset === 'string' ? subset : null,
      limit: typeof limit === 'number' ? limit : null,
      kwargs: (kwargs ?? {}) as Readonly<Record<string, JsonValue | undefined>>,
    },
    {
      upstream: context.upstream,
      signal: context.signal,
      hub: context.services.hub,
      notice: (message) => context.notice({ message }),
    },
  );
  return [[result.table, BigInt(result.rows)]];
};

export const loadDataset: PgmlFunction = {
  name: 'load_dataset',
  summary: 'loads a Hugging Face dataset or a local Parquet file into pgml."<name>"',
  overloads: [
    {
      params: [
        { name: 'source', type: SQL.text },
        { name: 'subset', type: SQL.text, default: 'NULL' },
        { name: 'limit', type: SQL.bigint, default: 'NULL' },
        { name: 'kwargs', type: SQL.jsonb, default: `'{}'` },
      ],
      returns: { kind: 'table', columns: [{ name: 'table_name', type: PG.text }, { name: 'rows', type: PG.int8 }] },
      handler,
    },
  ],
};
