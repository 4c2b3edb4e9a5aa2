import type { ParamType } from './registry-types.js';

/** The SQL types pgml.* parameters use, with how their values come back through jsonb. */
export const SQL = {
  text: { sql: 'text', kind: 'text' },
  bigint: { sql: 'bigint', kind: 'number' },
  real: { sql: 'real', kind: 'number' },
  boolean: { sql: 'boolean', kind: 'boolean' },
  jsonb: { sql: 'jsonb', kind: 'json' },
  textArray: { sql: 'text[]', kind: 'text[]' },
  jsonbArray: { sql: 'jsonb[]', kind: 'json[]' },
  realArray: { sql: 'real[]', kind: 'number[]' },
  doubleArray: { sql: 'double precision[]', kind: 'number[]' },
  smallintArray: { sql: 'smallint[]', kind: 'number[]' },
  integerArray: { sql: 'integer[]', kind: 'number[]' },
  bigintArray: { sql: 'bigint[]', kind: 'number[]' },
  booleanArray: { sql: 'boolean[]', kind: 'boolean[]' },
  sampling: { sql: 'pgml.sampling', kind: 'text' },
  strategy: { sql: 'pgml.strategy', kind: 'text' },
  algorithm: { sql: 'pgml.algorithm', kind: 'text' },
} as const satisfies Record<string, ParamType>;
