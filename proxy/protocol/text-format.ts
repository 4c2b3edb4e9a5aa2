import { arrayShape } from './array-shape.js';
import { float4Text, float8Text } from './float-text.js';
import { jsonbText, jsonText } from './json-text.js';
import { asNumeric, numericText } from './numeric.js';
import {
  asBool,
  asBytes,
  asFloat4,
  asFloat8,
  asInteger,
  asJson,
  asRecord,
  asText,
  PgValueError,
  type PgArrayType,
  type PgType,
  type PgValue,
} from './pg-value.js';

/**
 * A value in text result format (format code 0), byte for byte as the type's output function
 * in PostgreSQL 15 prints it with default settings; null for SQL NULL.
 */
export function encodeText(type: PgType, value: PgValue): Buffer | null {
  const text = textOf(type, value);
  return text === null ? null : Buffer.from(text, 'utf8');
}

/** The output function's string; the encoders nest these for arrays and records. */
export function textOf(type: PgType, value: PgValue): string | null {
  if (value === null) return null;
  switch (type.kind) {
    case 'bool':
      return asBool(type, value) ? 't' : 'f';
    case 'int2':
    case 'int4':
    case 'int8':
      return asInteger(type, type.kind, value).toString();
    case 'float4':
      return float4Text(asFloat4(type, value));
    case 'float8':
      return float8Text(asFloat8(type, value));
    case 'numeric':
      return numericText(asNumeric(type, value));
    case 'text':
      return asText(type, value);
    case 'bytea':
      // byteaout with the default bytea_output = hex.
      return `\\x${Buffer.from(asBytes(type, value)).toString('hex')}`;
    case 'json':
      return jsonText(asJson(type, value));
    case 'jsonb':
      return jsonbText(asJson(type, value));
    case 'record':
      return recordText(asRecord(type, value).fields.map((f) => textOf(f.type, f.value)));
    case 'array':
      return arrayText(type, value);
    default:
      return unreachable(type);
  }
}

function unreachable(type: never): never {
  throw new Error(`no text encoder for ${JSON.stringify(type)}`);
}

// C isspace() and array_isspace() see only the ASCII blanks (space \t \n \v \f \r); JavaScript's \s
// would also match Unicode spaces such as U+00A0, which PostgreSQL leaves unquoted.
const RECORD_QUOTE = /["\\(), \t\n\v\f\r]/;
const ARRAY_QUOTE = /["\\{}, \t\n\v\f\r]/;

/**
 * record_out: fields between parentheses, NULL as nothing at all; a field is quoted when empty
 * or when it holds `"` `\` `(` `)` `,` or (ASCII) whitespace, and inside quotes `"` and `\`
 * are doubled.
 */
function recordText(fields: readonly (string | null)[]): string {
  const parts = fields.map((field) => {
    if (field === null) return '';
    if (field !== '' && !RECORD_QUOTE.test(field)) return field;
    return `"${field.replace(/["\\]/g, '$&$&')}"`;
  });
  return `(${parts.join(',')})`;
}

/**
 * array_out: nested braces, one level per dimension, elements separated by ',' (the delimiter
 * of every type here). An element is quoted when empty, when it is the word NULL in any case,
 * or when it holds `"` `\` `{` `}` `,` or ASCII whitespace; inside quotes `"` and `\` get a
 * backslash. A NULL element is the bare word NULL.
 */
function arrayText(type: PgArrayType, value: PgValue): string {
  if (!Array.isArray(value)) throw PgValueError.mismatch(type, value);
  const { dims, items } = arrayShape(value as readonly PgValue[]);
  const texts = items.map((item) => arrayElement(textOf(type.element, item)));
  if (dims.length === 0) return '{}';
  let next = 0;
  const build = (depth: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < (dims[depth] ?? 0); i++) parts.push(depth === dims.length - 1 ? (texts[next++] ?? '') : build(depth + 1));
    return `{${parts.join(',')}}`;
  };
  return build(0);
}

function arrayElement(text: string | null): string {
  if (text === null) return 'NULL';
  const quote = text === '' || /^null$/i.test(text) || ARRAY_QUOTE.test(text);
  return quote ? `"${text.replace(/["\\]/g, '\\$&')}"` : text;
}
