/**
 * The value model shared by the text and binary encoders: which PostgreSQL types a synthetic
 * result column can have, which JavaScript values they accept, and the checked conversions that
 * reject a value that does not fit its type (with the SQLSTATE PostgreSQL itself would raise).
 */

/** How a scalar type's values are encoded; text and varchar share 'text'. */
export type PgScalarKind = 'bool' | 'int2' | 'int4' | 'int8' | 'float4' | 'float8' | 'numeric' | 'text' | 'bytea' | 'json' | 'jsonb' | 'record';

export interface PgScalarType {
  readonly kind: PgScalarKind;
  /** The type as format_type() spells it, valid in DDL (`real`, `character varying`). */
  readonly name: string;
  readonly oid: number;
  /** pg_type.typlen, as RowDescription carries it: a fixed size in bytes, or -1 for varlena. */
  readonly typlen: number;
  /** OID of the type's array type (pg_type.typarray). */
  readonly arrayOid: number;
}

export interface PgArrayType {
  readonly kind: 'array';
  readonly name: string;
  readonly oid: number;
  readonly typlen: -1;
  readonly element: PgScalarType;
}

export type PgType = PgScalarType | PgArrayType;

/** A JSON document, as JSON.stringify takes it (undefined properties are left out). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/** A json/jsonb value. Wrapped so that JSON null stays distinct from SQL NULL. */
export interface PgJson {
  readonly json: JsonValue;
}

export interface PgRecordField {
  readonly type: PgType;
  readonly value: PgValue;
}

/** A value of the anonymous composite type `record`: each field carries its own type. */
export interface PgRecord {
  readonly fields: readonly PgRecordField[];
}

/**
 * A column value; `null` is SQL NULL. Which members a type accepts: bool ← boolean; int2/int4/int8
 * ← integral number or bigint; float4/float8 ← number; numeric ← number, bigint or a decimal
 * string; text/varchar ← string; bytea ← Uint8Array; json/jsonb ← PgJson; record ← PgRecord;
 * arrays ← (nested) arrays of the element's values, one nesting level per dimension.
 */
export type PgValue = null | string | number | bigint | boolean | Uint8Array | PgJson | PgRecord | readonly PgValue[];

export function pgJson(json: JsonValue): PgJson {
  return { json };
}

export function pgRecord(fields: readonly PgRecordField[]): PgRecord {
  return { fields };
}

/** A value that does not fit its column type; the caller reports it as an SQL ERROR. */
export class PgValueError extends Error {
  override readonly name = 'PgValueError';

  constructor(
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
  }

  /** 42804 datatype_mismatch: a JavaScript value of the wrong kind for the type. */
  static mismatch(type: PgType, value: unknown): PgValueError {
    return new PgValueError('42804', `cannot encode ${describe(value)} as type ${type.name}`);
  }

  /** 22003 numeric_value_out_of_range, in PostgreSQL's wording (e.g. "smallint out of range"). */
  static outOfRange(message: string): PgValueError {
    return new PgValueError('22003', message);
  }

  /** 22P02 invalid_text_representation, e.g. a fraction for an integer type. */
  static invalidInput(type: PgType, text: string): PgValueError {
    return new PgValueError('22P02', `invalid input syntax for type ${type.name}: "${text}"`);
  }

  /** 22021 character_not_in_repertoire: a string PostgreSQL cannot store as UTF-8 text. */
  static badCharacter(message: string): PgValueError {
    return new PgValueError('22021', message);
  }

  /** 2202E array_subscript_error: a ragged or too deeply nested array. */
  static arrayShape(message: string): PgValueError {
    return new PgValueError('2202E', message);
  }
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return 'a byte array';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'string') return 'a string';
  return `${typeof value} ${String(value)}`;
}

export function isJson(value: unknown): value is PgJson {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'json' in value;
}

export function isRecord(value: unknown): value is PgRecord {
  return typeof value === 'object' && value !== null && 'fields' in value && Array.isArray(value.fields);
}

export function asBool(type: PgType, value: PgValue): boolean {
  if (typeof value !== 'boolean') throw PgValueError.mismatch(type, value);
  return value;
}

const INT_LIMITS = {
  int2: { bits: 16n, words: 'smallint' },
  int4: { bits: 32n, words: 'integer' },
  int8: { bits: 64n, words: 'bigint' },
} as const;

/** An int2/int4/int8 value as a bigint, checked against the type's range. */
export function asInteger(type: PgType, kind: keyof typeof INT_LIMITS, value: PgValue): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    // Number.isInteger is false for fractions, NaN and ±Infinity alike.
    if (!Number.isInteger(value)) throw PgValueError.invalidInput(type, String(value));
    n = BigInt(value);
  } else throw PgValueError.mismatch(type, value);
  const { bits, words } = INT_LIMITS[kind];
  const max = (1n << (bits - 1n)) - 1n;
  if (n > max || n < -max - 1n) throw PgValueError.outOfRange(`${words} out of range`);
  return n;
}

/** A float4 value, rounded to single precision; overflow and underflow fail as in float84. */
export function asFloat4(type: PgType, value: PgValue): number {
  if (typeof value !== 'number') throw PgValueError.mismatch(type, value);
  const single = Math.fround(value);
  if (!Number.isFinite(single) && Number.isFinite(value)) throw PgValueError.outOfRange('value out of range: overflow');
  if (single === 0 && value !== 0) throw PgValueError.outOfRange('value out of range: underflow');
  return single;
}

export function asFloat8(type: PgType, value: PgValue): number {
  if (typeof value !== 'number') throw PgValueError.mismatch(type, value);
  return value;
}

// A lone surrogate has no UTF-8 encoding; Buffer.from would silently turn it into U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Rejects what a PostgreSQL text value cannot hold: NUL, and strings that are not valid UTF-16. */
export function checkText(s: string): string {
  if (s.includes('\0')) throw PgValueError.badCharacter('invalid byte sequence for encoding "UTF8": 0x00');
  if (LONE_SURROGATE.test(s)) throw PgValueError.badCharacter('string contains an unpaired UTF-16 surrogate');
  return s;
}

export function asText(type: PgType, value: PgValue): string {
  if (typeof value !== 'string') throw PgValueError.mismatch(type, value);
  return checkText(value);
}

export function asBytes(type: PgType, value: PgValue): Uint8Array {
  if (!(value instanceof Uint8Array)) throw PgValueError.mismatch(type, value);
  return value;
}

export function asJson(type: PgType, value: PgValue): JsonValue {
  if (!isJson(value)) throw PgValueError.mismatch(type, value);
  return value.json;
}

export function asRecord(type: PgType, value: PgValue): PgRecord {
  if (!isRecord(value)) throw PgValueError.mismatch(type, value);
  return value;
}
