/**
 * COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2):
 * one line per row, columns separated by a tab, `\N` for NULL, and backslash, newline, carriage
 * return and tab escaped inside values. Plain strings, so a row group turns into one buffer.
 */

/** How a column's JavaScript values become COPY text. */
export type ValueKind = 'text' | 'integer' | 'float' | 'boolean' | 'json' | 'bytea' | 'date' | 'timestamp' | 'numeric';

const NULL = '\\N';
const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function escapeCopyText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c] ?? c) : s;
}

/** One value in COPY text, already escaped. */
export function copyValue(kind: ValueKind, value: unknown): string {
  if (value === null || value === undefined) return NULL;
  switch (kind) {
    case 'text':
      return escapeCopyText(plain(value));
    case 'integer':
    case 'float':
    case 'numeric':
      // String(NaN) and String(±Infinity) are spellings PostgreSQL's float input accepts.
      return typeof value === 'number' || typeof value === 'bigint' ? String(value) : escapeCopyText(plain(value));
    case 'boolean':
      return value === true ? 't' : value === false ? 'f' : escapeCopyText(plain(value));
    case 'json':
      return escapeCopyText(toJson(value));
    case 'bytea':
      return value instanceof Uint8Array ? `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}` : escapeCopyText(plain(value));
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : escapeCopyText(plain(value));
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : escapeCopyText(plain(value));
  }
}

/** A value of an unexpected JavaScript type, as text: objects as JSON, never `[object Object]`. */
function plain(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return toJson(value);
  return String(value);
}

/** JSON for jsonb: 64-bit integers stay exact numbers, bytes become base64 strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    return v;
  });
}

/** A row as one COPY text line (with its newline). */
export function copyLine(kinds: readonly ValueKind[], values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < kinds.length; i++) {
    if (i > 0) line += '\t';
    line += copyValue(kinds[i] ?? 'text', values[i]);
  }
  return line + '\n';
}
