import { arrayShape } from './array-shape.js';
import { jsonbText, jsonText } from './json-text.js';
import { asNumeric, numericBinary } from './numeric.js';
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
  type PgRecord,
  type PgType,
  type PgValue,
} from './pg-value.js';

/** jsonb_send prefixes its text with a format version, 1 since jsonb was introduced. */
const JSONB_VERSION = 1;

/**
 * A value in binary result format (format code 1), byte for byte as the type's send function
 * in PostgreSQL 15 writes it; null for SQL NULL. All integers are big-endian.
 */
export function encodeBinary(type: PgType, value: PgValue): Buffer | null {
  if (value === null) return null;
  switch (type.kind) {
    case 'bool':
      return Buffer.of(asBool(type, value) ? 1 : 0);
    case 'int2':
      return fixed(2, (b) => b.writeInt16BE(Number(asInteger(type, 'int2', value))));
    case 'int4':
      return fixed(4, (b) => b.writeInt32BE(Number(asInteger(type, 'int4', value))));
    case 'int8':
      return fixed(8, (b) => b.writeBigInt64BE(asInteger(type, 'int8', value)));
    case 'float4':
      return fixed(4, (b) => b.writeFloatBE(asFloat4(type, value)));
    case 'float8':
      return fixed(8, (b) => b.writeDoubleBE(asFloat8(type, value)));
    case 'numeric':
      return numericBinary(asNumeric(type, value));
    case 'text':
      return Buffer.from(asText(type, value), 'utf8');
    case 'bytea':
      return Buffer.from(asBytes(type, value));
    case 'json':
      // json_send sends the stored text as is.
      return Buffer.from(jsonText(asJson(type, value)), 'utf8');
    case 'jsonb':
      return Buffer.concat([Buffer.of(JSONB_VERSION), Buffer.from(jsonbText(asJson(type, value)), 'utf8')]);
    case 'record':
      return recordBinary(asRecord(type, value));
    case 'array':
      return arrayBinary(type, value);
    default:
      return unreachable(type);
  }
}

function unreachable(type: never): never {
  throw new Error(`no binary encoder for ${JSON.stringify(type)}`);
}

function fixed(size: number, write: (b: Buffer) => unknown): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

function int32(n: number): Buffer {
  return fixed(4, (b) => b.writeInt32BE(n));
}

/** One value as the array and record send functions embed it: int32 length (-1 NULL), bytes. */
function lengthPrefixed(type: PgType, value: PgValue): Buffer[] {
  const bytes = encodeBinary(type, value);
  return bytes === null ? [int32(-1)] : [int32(bytes.length), bytes];
}

/** record_send: int32 field count, then per field its type OID and length-prefixed value. */
function recordBinary(record: PgRecord): Buffer {
  const parts = [int32(record.fields.length)];
  for (const field of record.fields) parts.push(int32(field.type.oid), ...lengthPrefixed(field.type, field.value));
  return Buffer.concat(parts);
}

/**
 * array_send: int32 ndim, int32 has-null flag, int32 element OID, per dimension int32 length
 * and int32 lower bound (always 1 here), then the length-prefixed elements in row-major order.
 * An empty array is ndim 0 with nothing after the element OID.
 */
function arrayBinary(type: PgArrayType, value: PgValue): Buffer {
  if (!Array.isArray(value)) throw PgValueError.mismatch(type, value);
  const { dims, items } = arrayShape(value as readonly PgValue[]);
  const parts = [int32(dims.length), int32(items.includes(null) ? 1 : 0), int32(type.element.oid)];
  for (const length of dims) parts.push(int32(length), int32(1));
  for (const item of items) parts.push(...lengthPrefixed(type.element, item));
  return Buffer.concat(parts);
}
