import type { ValueKind } from './copy-text.js';
import type { DatasetColumn } from './parquet-columns.js';

/**
 * Column types for files that carry none (CSV, JSON lines), inferred from every value the way
 * pandas/`datasets` would: whole numbers → bigint, other numbers → double precision, true/false
 * → boolean, objects and arrays → jsonb, anything else → text. Mixed kinds widen (integer →
 * float → text; JSON structures mixed with scalars → jsonb).
 */
export type Inferred = 'none' | 'integer' | 'float' | 'boolean' | 'text' | 'json';

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;
const BOOLEAN = /^(true|false)$/i;
const INT64_MAX = 9223372036854775807n;

/** The kind of one CSV field (never empty: empty fields are NULL). */
export function kindOfText(value: string): Inferred {
  if (INTEGER.test(value)) {
    const n = BigInt(value);
    return n <= INT64_MAX && n >= -INT64_MAX - 1n ? 'integer' : 'float';
  }
  if (FLOAT.test(value)) return 'float';
  if (BOOLEAN.test(value)) return 'boolean';
  return 'text';
}

/** The kind of one JSON value (never null). */
export function kindOfJson(value: unknown): Inferred {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'text';
  return 'json';
}

export function widen(a: Inferred, b: Inferred): Inferred {
  if (a === b || b === 'none') return a;
  if (a === 'none') return b;
  if (a === 'json' || b === 'json') return 'json';
  if ((a === 'integer' && b === 'float') || (a === 'float' && b === 'integer')) return 'float';
  return 'text';
}

const COLUMN: Readonly<Record<Inferred, { sqlType: string; kind: ValueKind }>> = {
  none: { sqlType: 'text', kind: 'text' },
  integer: { sqlType: 'bigint', kind: 'integer' },
  float: { sqlType: 'double precision', kind: 'float' },
  boolean: { sqlType: 'boolean', kind: 'boolean' },
  text: { sqlType: 'text', kind: 'text' },
  json: { sqlType: 'jsonb', kind: 'json' },
};

export function inferredColumns(names: readonly string[], kinds: readonly Inferred[]): DatasetColumn[] {
  return names.map((name, i) => ({ name, ...COLUMN[kinds[i] ?? 'none'] }));
}
