import type { PgArrayType, PgScalarKind, PgScalarType } from './pg-value.js';

/**
 * The PostgreSQL types a synthetic `pgml.*` result column can have, with the OIDs and sizes
 * RowDescription needs (src/include/catalog/pg_type.dat), and the value encoders for both
 * result formats.
 */
export { encodeBinary } from './binary-format.js';
export { encodeText } from './text-format.js';
export {
  pgJson,
  pgRecord,
  PgValueError,
  type JsonValue,
  type PgArrayType,
  type PgJson,
  type PgRecord,
  type PgRecordField,
  type PgScalarKind,
  type PgScalarType,
  type PgType,
  type PgValue,
} from './pg-value.js';

function scalar(kind: PgScalarKind, name: string, oid: number, typlen: number, arrayOid: number): PgScalarType {
  return Object.freeze({ kind, name, oid, typlen, arrayOid });
}

/** The array type of a scalar; multi-dimensional arrays are the same type (`real[]`). */
export function arrayOf(element: PgScalarType): PgArrayType {
  return Object.freeze({ kind: 'array', name: `${element.name}[]`, oid: element.arrayOid, typlen: -1, element });
}

const bool = scalar('bool', 'boolean', 16, 1, 1000);
const bytea = scalar('bytea', 'bytea', 17, -1, 1001);
const int8 = scalar('int8', 'bigint', 20, 8, 1016);
const int2 = scalar('int2', 'smallint', 21, 2, 1005);
const int4 = scalar('int4', 'integer', 23, 4, 1007);
const text = scalar('text', 'text', 25, -1, 1009);
const json = scalar('json', 'json', 114, -1, 199);
const float4 = scalar('float4', 'real', 700, 4, 1021);
const float8 = scalar('float8', 'double precision', 701, 8, 1022);
const varchar = scalar('text', 'character varying', 1043, -1, 1015);
const numeric = scalar('numeric', 'numeric', 1700, -1, 1231);
const jsonb = scalar('jsonb', 'jsonb', 3802, -1, 3807);
/** The anonymous composite type: a function returning one composite value in one column. */
const record = scalar('record', 'record', 2249, -1, 2287);

export const PG = Object.freeze({
  bool,
  bytea,
  int2,
  int4,
  int8,
  float4,
  float8,
  numeric,
  text,
  varchar,
  json,
  jsonb,
  record,
  boolArray: arrayOf(bool),
  byteaArray: arrayOf(bytea),
  int2Array: arrayOf(int2),
  int4Array: arrayOf(int4),
  int8Array: arrayOf(int8),
  float4Array: arrayOf(float4),
  float8Array: arrayOf(float8),
  numericArray: arrayOf(numeric),
  textArray: arrayOf(text),
  varcharArray: arrayOf(varchar),
  jsonArray: arrayOf(json),
  jsonbArray: arrayOf(jsonb),
  recordArray: arrayOf(record),
});
