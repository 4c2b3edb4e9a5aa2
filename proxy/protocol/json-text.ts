import { positionalText } from './float-text.js';
import { checkText, PgValueError, type JsonValue } from './pg-value.js';

/**
 * jsonb_out (JsonbToCString in src/backend/utils/adt/jsonb.c): a space after every ':' and ',',
 * object keys in jsonb's storage order, numbers as numeric_out prints them. Values that
 * JSON.stringify would drop or turn into null (undefined, NaN, ±Infinity) are treated the same
 * way here, so a json and a jsonb column built from one value agree.
 */
export function jsonbText(value: JsonValue): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

/**
 * json_out prints the stored text unchanged, and the text we store is JSON.stringify's. Unlike
 * jsonb, json keeps escapes as written, so NUL and lone surrogates (escaped by JSON.stringify)
 * are valid here.
 */
export function jsonText(value: JsonValue): string {
  const text = stringify(value);
  if (text === undefined) throw new PgValueError('22P02', 'invalid input syntax for type json');
  return text;
}

/** JSON.stringify, which returns undefined for a bare undefined and throws for bigints and cycles. */
function stringify(value: JsonValue): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new PgValueError('22P02', `invalid input syntax for type json: ${(error as Error).message}`);
  }
}

function write(value: JsonValue | undefined, out: string[]): void {
  if (value === null || value === undefined) out.push('null');
  else if (typeof value === 'boolean') out.push(value ? 'true' : 'false');
  else if (typeof value === 'number') out.push(Number.isFinite(value) ? positionalText(value) : 'null');
  else if (typeof value === 'string') out.push(quote(value));
  else if (Array.isArray(value)) writeArray(value as readonly (JsonValue | undefined)[], out);
  else if (typeof value === 'object') writeObject(value as { readonly [key: string]: JsonValue | undefined }, out);
  else throw new PgValueError('22P02', `invalid input syntax for type jsonb: a ${typeof value} is not JSON`);
}

function writeArray(items: readonly (JsonValue | undefined)[], out: string[]): void {
  out.push('[');
  items.forEach((item, i) => {
    if (i > 0) out.push(', ');
    write(item, out);
  });
  out.push(']');
}

function writeObject(object: { readonly [key: string]: JsonValue | undefined }, out: string[]): void {
  const keys = Object.keys(object).filter((key) => object[key] !== undefined);
  out.push('{');
  sortKeys(keys).forEach((key, i) => {
    if (i > 0) out.push(', ');
    out.push(quote(key), ': ');
    write(object[key], out);
  });
  out.push('}');
}

/**
 * jsonb stores object keys shorter-first, then by bytes (lengthCompareJsonbString), so that is
 * the order jsonb_out prints them in. A JavaScript object cannot hold the duplicate keys jsonb
 * would collapse to the last one.
 */
function sortKeys(keys: readonly string[]): string[] {
  const bytes = new Map(keys.map((key) => [key, Buffer.from(key, 'utf8')]));
  const of = (key: string): Buffer => bytes.get(key) ?? Buffer.alloc(0);
  return [...keys].sort((a, b) => of(a).length - of(b).length || Buffer.compare(of(a), of(b)));
}

/**
 * escape_json: the two-letter escapes, \u00XX for other control characters, everything else
 * (including DEL and non-ASCII) as is. jsonb text cannot hold NUL (22P05, as jsonb_in says).
 */
function quote(s: string): string {
  if (s.includes('\0')) throw new PgValueError('22P05', 'unsupported Unicode escape sequence: \\u0000 cannot be converted to text');
  return JSON.stringify(checkText(s));
}
