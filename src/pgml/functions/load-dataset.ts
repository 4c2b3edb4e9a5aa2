import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction } from '../registry-types.js';

export const loadDataset: PgmlFunction = {
  name: 'load_dataset',
  summary: 'loads a Hugging Face dataset or a local file into pgml."<name>"',
  overloads: [
    {
      params: [
        { name: 'source', type: SQL.text },
        { name: 'subset', type: SQL.text, default: 'NULL' },
        { name: 'limit', type: SQL.bigint, default: 'NULL' },
        { name: 'kwargs', type: SQL.jsonb, default: `'{}'` },
      ],
      returns: { kind: 'table', columns: [{ name: 'table_name', type: PG.text }, { name: 'rows', type: PG.int8 }] },
      handler: notImplemented('load_dataset', 'dataset loader'),
    },
  ],
};
