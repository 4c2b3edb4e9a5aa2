import type { CallContext, ResultRows } from '../../proxy/interceptor.js';
import { encodeBinary, encodeText, pgRecord, PG, PgValueError, type PgType, type PgValue } from '../../proxy/protocol/pg-types.js';
import { ProxyError } from '../../proxy/errors.js';
import type { Output, Returns } from './registry-types.js';

/**
 * Encodes a handler's output as result rows for the columns PostgreSQL described: a table
 * function read with `SELECT *` has one column per declared column; called as `SELECT pgml.f()`
 * it has one `record` column, rendered as PostgreSQL renders a composite value.
 */
export function encodeOutput(returns: Returns, output: Output, context: Pick<CallContext, 'columns' | 'formats'>): ResultRows {
  const rows = asRows(returns, output);
  const asRecord = returns.kind === 'table' && context.columns.length === 1 && context.columns[0]?.typeOid === PG.record.oid;
  const types: readonly PgType[] = returns.kind === 'table' ? returns.columns.map((c) => c.type) : [returns.type];
  try {
    return rows.map((row) => {
      if (asRecord) return [encode(PG.record, pgRecord(types.map((type, i) => ({ type, value: row[i] ?? null }))), context.formats[0] ?? 0)];
      return types.map((type, i) => encode(type, row[i] ?? null, context.formats[i] ?? 0));
    });
  } catch (error) {
    if (error instanceof PgValueError) throw new ProxyError({ severity: 'ERROR', code: error.sqlState, message: error.message });
    throw error;
  }
}

function encode(type: PgType, value: PgValue, format: number): Buffer | null {
  return format === 1 ? encodeBinary(type, value) : encodeText(type, value);
}

/** One row per value for SETOF, per element for TABLE; a NULL scalar is a row with NULL. */
function asRows(returns: Returns, output: Output): readonly (readonly PgValue[])[] {
  if (returns.kind === 'table') return output as readonly (readonly PgValue[])[];
  if (returns.setof === true) return (output as readonly PgValue[]).map((value) => [value]);
  return [[output]];
}
