import type { FileMetaData, SchemaElement } from 'hyparquet';
import { ProxyError } from '../../proxy/errors.js';
import type { ValueKind } from './copy-text.js';

/** A dataset column as it becomes a table column. */
export interface DatasetColumn {
  readonly name: string;
  /** The PostgreSQL type, as written in CREATE TABLE. */
  readonly sqlType: string;
  readonly kind: ValueKind;
}

/**
 * The table columns for a Parquet file's top-level fields, with Hugging Face's mapping (what
 * `datasets` features become in PostgresML): string → text, int64 (and ClassLabel) → bigint,
 * int32 → integer, int16/int8 → smallint, float64 → double precision, float32/16 → real,
 * bool → boolean, structs/lists/maps (kde4's `translation`, squad's `answers`) → jsonb.
 */
export function datasetColumns(metadata: FileMetaData, source: string): DatasetColumn[] {
  const schema = metadata.schema;
  const columns: DatasetColumn[] = [];
  let i = 1; // schema[0] is the root
  while (i < schema.length) {
    const element = schema[i];
    if (element === undefined) break;
    columns.push({ name: element.name, ...columnType(element, source) });
    i += 1 + descendants(schema, i);
  }
  return columns;
}

/** How many schema elements follow `index` as its children, grandchildren, ... */
function descendants(schema: readonly SchemaElement[], index: number): number {
  let pending = schema[index]?.num_children ?? 0;
  let count = 0;
  while (pending > 0) {
    count++;
    pending += (schema[index + count]?.num_children ?? 0) - 1;
  }
  return count;
}

function columnType(e: SchemaElement, source: string): Omit<DatasetColumn, 'name'> {
  if ((e.num_children ?? 0) > 0 || e.repetition_type === 'REPEATED') return { sqlType: 'jsonb', kind: 'json' };
  const logical = e.logical_type;
  const converted = e.converted_type;
  switch (e.type) {
    case 'BOOLEAN':
      return { sqlType: 'boolean', kind: 'boolean' };
    case 'INT32':
      if (logical?.type === 'DATE' || converted === 'DATE') return { sqlType: 'date', kind: 'date' };
      if (logical?.type === 'DECIMAL' || converted === 'DECIMAL') return { sqlType: 'numeric', kind: 'numeric' };
      if (logical?.type === 'INTEGER') {
        if (logical.bitWidth <= 8 || (logical.bitWidth === 16 && logical.isSigned)) return { sqlType: 'smallint', kind: 'integer' };
        return logical.isSigned || logical.bitWidth === 16 ? { sqlType: 'integer', kind: 'integer' } : { sqlType: 'bigint', kind: 'integer' };
      }
      if (converted === 'INT_8' || converted === 'INT_16' || converted === 'UINT_8') return { sqlType: 'smallint', kind: 'integer' };
      if (converted === 'UINT_32') return { sqlType: 'bigint', kind: 'integer' };
      return { sqlType: 'integer', kind: 'integer' };
    case 'INT64':
      if (logical?.type === 'TIMESTAMP') return { sqlType: logical.isAdjustedToUTC ? 'timestamp with time zone' : 'timestamp without time zone', kind: 'timestamp' };
      if (converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS') return { sqlType: 'timestamp without time zone', kind: 'timestamp' };
      if (logical?.type === 'DECIMAL' || converted === 'DECIMAL' || converted === 'UINT_64') return { sqlType: 'numeric', kind: 'numeric' };
      if (logical?.type === 'INTEGER' && !logical.isSigned) return { sqlType: 'numeric', kind: 'numeric' };
      return { sqlType: 'bigint', kind: 'integer' };
    case 'INT96':
      return { sqlType: 'timestamp without time zone', kind: 'timestamp' };
    case 'FLOAT':
      return { sqlType: 'real', kind: 'float' };
    case 'DOUBLE':
      return { sqlType: 'double precision', kind: 'float' };
    case 'BYTE_ARRAY':
      if (logical?.type === 'JSON' || converted === 'JSON') return { sqlType: 'jsonb', kind: 'json' };
      if (logical?.type === 'STRING' || logical?.type === 'ENUM' || converted === 'UTF8' || converted === 'ENUM') return { sqlType: 'text', kind: 'text' };
      if (logical?.type === 'DECIMAL' || converted === 'DECIMAL') return { sqlType: 'numeric', kind: 'numeric' };
      return { sqlType: 'bytea', kind: 'bytea' };
    case 'FIXED_LEN_BYTE_ARRAY':
      if (logical?.type === 'FLOAT16') return { sqlType: 'real', kind: 'float' };
      if (logical?.type === 'DECIMAL' || converted === 'DECIMAL') return { sqlType: 'numeric', kind: 'numeric' };
      if (logical?.type === 'UUID') return { sqlType: 'uuid', kind: 'text' };
      return { sqlType: 'bytea', kind: 'bytea' };
    default:
      throw new ProxyError({
        severity: 'ERROR',
        code: '0A000',
        message: `unhandled dataset feature while reading dataset ${source}: column "${e.name}" has Parquet type ${String(e.type)}`,
        hint: 'Load the other columns by selecting them into a new file, or cast this column before uploading the dataset.',
      });
  }
}
