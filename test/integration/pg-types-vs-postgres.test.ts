import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  encodeBinary,
  encodeText,
  PG,
  pgJson,
  pgRecord,
  PgValueError,
  type JsonValue,
  type PgRecordField,
  type PgType,
  type PgValue,
} from '../../proxy/protocol/pg-types.js';
import { Frontend } from '../../proxy/protocol/codes.js';
import { Reader } from '../../proxy/protocol/reader.js';
import { Writer } from '../../proxy/protocol/writer.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { WireClient } from '../helpers/wire.js';

/** mulberry32: a small seeded generator, so every run checks the same values. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const rand = random(20240515);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const bits = new DataView(new ArrayBuffer(8));

/** Finite float32s from random bit patterns: every exponent, denormals included. */
function randomFloat32(): number {
  for (;;) {
    bits.setUint32(0, Math.floor(rand() * 2 ** 32));
    const value = bits.getFloat32(0);
    if (Number.isFinite(value)) return value;
  }
}

function randomFloat64(): number {
  for (;;) {
    bits.setUint32(0, Math.floor(rand() * 2 ** 32));
    bits.setUint32(4, Math.floor(rand() * 2 ** 32));
    const value = bits.getFloat64(0);
    if (Number.isFinite(value)) return value;
  }
}

/** Values a program would produce: short decimals, ratios and integers at every magnitude. */
function randomHuman(): number {
  const scale = 10 ** Math.floor(rand() * 40 - 20);
  return pick([() => Math.round(rand() * 1e6) * scale, () => rand() * scale, () => 1 / Math.ceil(rand() * 1000), () => Math.floor(rand() * 2 ** 60)])();
}

/** float8in input that reads back as exactly this double (String(-0) would lose the sign). */
const literal = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

const EDGE = [0, -0, NaN, Infinity, -Infinity, 0.1, 1 / 3, 2 / 3, 1e-5, 1e20, 123456789, 1.5e15, 3.4028234663852886e38, 2 ** -126, 2 ** -149, 5e-324, 1.7976931348623157e308];
const POWERS = [...Array.from({ length: 80 }, (_, i) => 10 ** (i - 45)), ...Array.from({ length: 70 }, (_, i) => 2 ** (i * 4 - 140))];

function randomString(): string {
  const alphabet = ['a', 'Z', ' ', '"', '\\', '{', '}', '(', ')', ',', '\t', '\n', '\v', 'é', '€', '😀', '\u00a0', 'N', 'U', 'L', 'null', 'NULL', '\u0001', '\u007f'];
  return Array.from({ length: Math.floor(rand() * 6) }, () => pick(alphabet)).join('');
}

function randomJson(depth: number): JsonValue {
  const kind = depth > 2 ? Math.floor(rand() * 4) : Math.floor(rand() * 6);
  if (kind === 0) return null;
  if (kind === 1) return rand() < 0.5;
  if (kind === 2) return pick([randomFloat64, randomHuman, () => Math.round(rand() * 100)])();
  if (kind === 3) return randomString();
  if (kind === 4) return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [randomString(), randomJson(depth + 1)]));
}

interface Case {
  readonly type: PgType;
  readonly value: PgValue;
  /** Input text for PostgreSQL's input function. */
  readonly input: string | null;
}

const cases = (type: PgType, values: readonly PgValue[], input: (v: PgValue) => string): Case[] =>
  values.map((value) => ({ type, value, input: value === null ? null : input(value) }));

const floats = (n: number, make: () => number): number[] => Array.from({ length: n }, make);
const FLOAT4 = [...EDGE, ...POWERS, ...floats(4000, randomFloat32), ...floats(2000, randomHuman)].map((x) => Math.fround(x));
const FLOAT8 = [...EDGE, ...POWERS, ...floats(4000, randomFloat64), ...floats(2000, randomHuman)];
const JSON_DOCS: JsonValue[] = [{ b: 1, aa: 2, a: 3 }, { é: 1, z: 2, ab: 3 }, [1e-7, 1e21, -0, 1.5, 5e-324], 'x"y\\', null, {}, [], ...Array.from({ length: 300 }, () => randomJson(0))];
function numberText(v: PgValue): string {
  if (typeof v === 'number') return literal(v);
  if (typeof v === 'string' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw new Error('not a scalar');
}
/** String(2 ** 60) is rounded to 17 digits; an integer literal must be exact. */
const integerText = (v: PgValue): string => (typeof v === 'number' ? BigInt(v).toString() : numberText(v));

describe('pg-types against a real PostgreSQL 15', () => {
  let server: TestPostgres;
  let client: pg.Client;

  before(async () => {
    server = await startTestPostgres();
    // Every column as the raw output-function text, no parsing by node-postgres.
    client = new pg.Client({ connectionString: server.url, types: { getTypeParser: () => (v: string) => v } });
    await client.connect();
  });
  after(async () => {
    await client.end();
    await server.stop();
  });

  /**
   * For every case, PostgreSQL's output text (the column itself: a cast to text is not always the
   * output function, bool::text is 'true') and send bytes of `input::cast`, next to ours, in one
   * query per batch. Returns the mismatches, so a failure lists them.
   */
  async function compare(cast: string, send: string, batch: readonly Case[]): Promise<string[]> {
    const sql = `SELECT v${cast}, ${send}(v${cast}) FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i`;
    const result = await client.query<[string | null, string | null]>({ text: sql, values: [batch.map((c) => c.input)], rowMode: 'array' });
    return batch.flatMap((c, i) => {
      const [text, bytes] = result.rows[i] ?? [];
      return mismatch(c, text ?? null, bytes ?? null);
    });
  }

  function mismatch(c: Case, text: string | null, bytes: string | null): string[] {
    const ours = encodeText(c.type, c.value)?.toString('utf8') ?? null;
    const sent = encodeBinary(c.type, c.value);
    const oursBytes = sent === null ? null : `\\x${sent.toString('hex')}`;
    if (ours === text && oursBytes === bytes) return [];
    return [`${c.type.name} ${JSON.stringify(c.input)}: postgres ${text} ${bytes}, ours ${ours} ${oursBytes}`];
  }

  it(`float4: ${FLOAT4.length} values, including random bit patterns and denormals`, async () => {
    assert.deepEqual(await compare('::float8::real', 'float4send', cases(PG.float4, FLOAT4, numberText)), []);
  });

  it('float4 from doubles rounds as the float8 → real cast does', async () => {
    const doubles = [...floats(2000, randomHuman), ...floats(500, () => rand() * 2 ** 128), 16777217, 0.1, 1 / 3];
    assert.deepEqual(await compare('::float8::real', 'float4send', cases(PG.float4, doubles, numberText)), []);
  });

  it(`float8: ${FLOAT8.length} values, including random bit patterns`, async () => {
    assert.deepEqual(await compare('::float8', 'float8send', cases(PG.float8, FLOAT8, numberText)), []);
  });

  it('integers, booleans, text, varchar and bytea', async () => {
    const ints = (max: bigint): bigint[] => [0n, 1n, -1n, max, -max - 1n, ...Array.from({ length: 200 }, () => BigInt(Math.floor((rand() * 2 - 1) * Number(max))))];
    const strings = [...Array.from({ length: 300 }, randomString), '', null];
    const buffers = [Buffer.alloc(0), ...Array.from({ length: 50 }, () => Buffer.from(Array.from({ length: 8 }, () => Math.floor(rand() * 256))))];
    const mismatches = [
      ...(await compare('::int2', 'int2send', cases(PG.int2, ints(32767n), integerText))),
      ...(await compare('::int4', 'int4send', cases(PG.int4, [...ints(2147483647n), 2 ** 31 - 1, -0], integerText))),
      ...(await compare('::int8', 'int8send', cases(PG.int8, [...ints(2n ** 63n - 1n), 2 ** 53, -(2 ** 60)], integerText))),
      ...(await compare('::boolean', 'boolsend', cases(PG.bool, [true, false, null], numberText))),
      ...(await compare('::text', 'textsend', cases(PG.text, strings, (v) => v as string))),
      ...(await compare('::varchar', 'varcharsend', cases(PG.varchar, strings, (v) => v as string))),
      ...(await compare('::bytea', 'byteasend', cases(PG.bytea, buffers, (v) => `\\x${Buffer.from(v as Uint8Array).toString('hex')}`))),
    ];
    assert.deepEqual(mismatches, []);
  });

  it('numeric from decimal strings, bigints and numbers', async () => {
    const decimals = Array.from({ length: 500 }, () => {
      const digits = String(Math.floor(rand() * 10 ** Math.ceil(rand() * 12)));
      const point = Math.floor(rand() * (digits.length + 1));
      const exponent = rand() < 0.3 ? `e${Math.floor(rand() * 40 - 20)}` : '';
      return `${pick(['', '-', '+'])}${digits.slice(0, point)}.${digits.slice(point)}0${exponent}`;
    });
    const values: PgValue[] = [...decimals, '0', '-0.000', '007', '.5', 'NaN', '-Infinity', 12345678901234567890n, ...floats(500, randomFloat64), ...floats(300, randomHuman), NaN, Infinity];
    assert.deepEqual(await compare('::numeric', 'numeric_send', cases(PG.numeric, values, numberText)), []);
  });

  it('jsonb and json, including random documents', async () => {
    const docs = JSON_DOCS.map(pgJson);
    const mismatches = [
      ...(await compare('::jsonb', 'jsonb_send', cases(PG.jsonb, docs, (v) => JSON.stringify((v as { json: JsonValue }).json)))),
      ...(await compare('::json', 'json_send', cases(PG.json, docs, (v) => JSON.stringify((v as { json: JsonValue }).json)))),
    ];
    assert.deepEqual(mismatches, []);
  });

  /** `$1::type[]` per array value; node-postgres writes the array literal from the strings. */
  async function compareArrays(type: PgType & { kind: 'array' }, values: readonly (readonly PgValue[])[], element: (v: PgValue) => unknown): Promise<string[]> {
    const out: string[] = [];
    const param = (v: PgValue): unknown => (Array.isArray(v) ? (v as readonly PgValue[]).map(param) : v === null ? null : element(v));
    for (const value of values) {
      const sql = `SELECT $1::${type.name}, array_send($1::${type.name})`;
      const result = await client.query<[string, string]>({ text: sql, values: [param(value)], rowMode: 'array' });
      const [text, bytes] = result.rows[0] ?? ['', ''];
      out.push(...mismatch({ type, value, input: JSON.stringify(param(value)).slice(0, 200) }, text, bytes));
    }
    return out;
  }

  it('arrays: quoting, NULLs, several dimensions, empty arrays', async () => {
    const texts = ['a b', 'x"y', null, '', 'NULL', 'nUlL', 'nulls', '{', '}', 'a\\b', '\v', '\u00a0', ',', 'plain', '😀'];
    const mismatches = [
      ...(await compareArrays(PG.float4Array, [FLOAT4.slice(0, 1000), [[1.5, 2], [NaN, null]], [-0, -Infinity], []], numberText)),
      ...(await compareArrays(PG.float8Array, [FLOAT8.slice(0, 1000), [[[0.5]], [[null]]], []], numberText)),
      ...(await compareArrays(PG.textArray, [texts, [texts.slice(0, 3), texts.slice(3, 6)], [['a']], []], String)),
      ...(await compareArrays(PG.varcharArray, [texts], String)),
      ...(await compareArrays(PG.int2Array, [[1, -32768, null]], numberText)),
      ...(await compareArrays(PG.int4Array, [[[1, 2], [3, null]], [[[1], [2]], [[3], [4]]], []], numberText)),
      ...(await compareArrays(PG.int8Array, [[2n ** 62n, -1n, null]], numberText)),
      ...(await compareArrays(PG.boolArray, [[true, false, null]], numberText)),
      ...(await compareArrays(PG.numericArray, [['1.50', 0.1, 'NaN', null]], numberText)),
      ...(await compareArrays(PG.byteaArray, [[Buffer.from('01ff', 'hex'), Buffer.alloc(0), null]], (v) => v)),
      ...(await compareArrays(PG.jsonbArray, [JSON_DOCS.slice(0, 40).map(pgJson), [pgJson(null), null]], (v) => JSON.stringify((v as { json: JsonValue }).json))),
    ];
    assert.deepEqual(mismatches, []);
  });

  /** ROW($1::t1, $2::t2, ...) for a record, nested records as nested ROW(...). */
  function rowSql(fields: readonly PgRecordField[], params: unknown[]): string {
    const parts = fields.map((f) => {
      if (f.type.kind === 'record') return rowSql((f.value as { fields: readonly PgRecordField[] }).fields, params);
      params.push(f.value === null || typeof f.value === 'string' || Array.isArray(f.value) ? f.value : numberText(f.value));
      return `$${params.length}::${f.type.name}`;
    });
    return `ROW(${parts.join(', ')})`;
  }

  it('records: record_out quoting and record_send, nested records and arrays in fields', async () => {
    const field = (type: PgType, value: PgValue): PgRecordField => ({ type, value });
    const records = [
      [field(PG.text, 'IMDB Review Sentiment'), field(PG.text, 'text-classification'), field(PG.text, 'transformers'), field(PG.bool, true)],
      [field(PG.text, null), field(PG.text, ''), field(PG.text, 'a"b\\c'), field(PG.text, 'x,y'), field(PG.text, '('), field(PG.float4, 1.5), field(PG.int4Array, [1, 2])],
      [field(PG.record, pgRecord([field(PG.int4, 1), field(PG.text, 'a b')])), field(PG.float8, 1e-5), field(PG.int8, 2n ** 40n)],
      [field(PG.text, null)],
      Array.from({ length: 20 }, () => field(PG.text, randomString())),
    ];
    const mismatches: string[] = [];
    for (const fields of records) {
      const params: unknown[] = [];
      const row = rowSql(fields, params);
      const result = await client.query<[string, string]>({ text: `SELECT ${row}, record_send(${row})`, values: params, rowMode: 'array' });
      const [text, bytes] = result.rows[0] ?? ['', ''];
      mismatches.push(...mismatch({ type: PG.record, value: pgRecord(fields), input: row }, text, bytes));
    }
    assert.deepEqual(mismatches, []);
    const literal = await server.scalar("SELECT ROW('IMDB Review Sentiment', 'text-classification', 'transformers', true)::text");
    assert.equal(literal, encodeText(PG.record, pgRecord(records[0] ?? []))?.toString());
  });

  it('binary result format carries the send bytes', async () => {
    // node-postgres decodes every column as a string, so ask for binary results on a raw connection.
    const { wire } = await WireClient.login(server.port);
    const sql = "SELECT 1.5::real, '{1e-5,NULL}'::float8[], 2::int8, '{\"b\": [1]}'::jsonb, ROW('a'::text, 1::int4), 12.50::numeric, NULL::text";
    wire.write(new Writer(Frontend.Parse).cstring('').cstring(sql).int16(0).finish());
    // Bind: unnamed portal and statement, no parameters, one result format code for all: 1 (binary).
    wire.write(new Writer(Frontend.Bind).cstring('').cstring('').int16(0).int16(0).int16(1).int16(1).finish());
    wire.write(new Writer(Frontend.Execute).cstring('').int32(0).finish());
    wire.write(new Writer(Frontend.Sync).finish());
    const row = (await wire.until('Z')).find((m) => m.type === 'D');
    wire.destroy();
    assert.ok(row, 'no DataRow');
    const r = new Reader(row.bytes, 5);
    const columns = Array.from({ length: r.int16() }, () => {
      const length = r.int32();
      return length < 0 ? null : Buffer.from(r.bytes(length));
    });
    const ours = [
      encodeBinary(PG.float4, 1.5),
      encodeBinary(PG.float8Array, [1e-5, null]),
      encodeBinary(PG.int8, 2),
      encodeBinary(PG.jsonb, pgJson({ b: [1] })),
      encodeBinary(PG.record, pgRecord([{ type: PG.text, value: 'a' }, { type: PG.int4, value: 1 }])),
      encodeBinary(PG.numeric, '12.50'),
      encodeBinary(PG.text, null),
    ];
    assert.deepEqual(columns, ours);
  });

  it('rejects the values PostgreSQL rejects, with the same SQLSTATE', async () => {
    const rejected: [string, unknown[], PgType, PgValue][] = [
      ['SELECT $1::int2', ['40000'], PG.int2, 40000],
      ['SELECT $1::int4', ['1.5'], PG.int4, 1.5],
      ['SELECT $1::int8', ['9223372036854775808'], PG.int8, 2n ** 63n],
      ['SELECT $1::float8::real', ['1e39'], PG.float4, 1e39],
      ['SELECT $1::float8::real', ['1e-50'], PG.float4, 1e-50],
      ['SELECT $1::numeric', ['1e-16384'], PG.numeric, '1e-16384'],
      ['SELECT $1::text', ['a\0b'], PG.text, 'a\0b'],
      ['SELECT $1::jsonb', ['"\\u0000"'], PG.jsonb, pgJson('\0')],
      ['SELECT ARRAY[ARRAY[1], ARRAY[2, 3]]', [], PG.int4Array, [[1], [2, 3]]],
      ["SELECT '{{{{{{{1}}}}}}}'::int[]", [], PG.int4Array, [[[[[[[1]]]]]]]],
    ];
    for (const [sql, params, type, value] of rejected) {
      const theirs = await client.query(sql, params).then(
        () => 'accepted',
        (error: unknown) => (error as { code?: string }).code,
      );
      const ours = (() => {
        try {
          encodeText(type, value);
          return 'accepted';
        } catch (error) {
          return error instanceof PgValueError ? error.sqlState : String(error);
        }
      })();
      assert.equal(ours, theirs, sql);
    }
  });
});
