import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeBinary, encodeText, PG, pgJson, pgRecord, PgValueError, type PgType, type PgValue } from '../../proxy/protocol/pg-types.js';

/** Golden values printed by PostgreSQL 15.18 (`SELECT x::text`, `SELECT <type>send(x)`). */
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const text = (type: PgType, value: PgValue): string | null => encodeText(type, value)?.toString('utf8') ?? null;
const binary = (type: PgType, value: PgValue): string | null => encodeBinary(type, value)?.toString('hex') ?? null;

/** Asserts both encoders reject the value with this SQLSTATE. */
function rejects(type: PgType, value: PgValue, sqlState: string, message?: RegExp): void {
  for (const encode of [encodeText, encodeBinary]) {
    assert.throws(
      () => encode(type, value),
      (error: unknown) => error instanceof PgValueError && error.sqlState === sqlState && (message?.test(error.message) ?? true),
    );
  }
}

const RECORD_IMDB = pgRecord([
  { type: PG.text, value: 'IMDB Review Sentiment' },
  { type: PG.text, value: 'text-classification' },
  { type: PG.text, value: 'transformers' },
  { type: PG.bool, value: true },
]);

describe('pg-types: catalogue', () => {
  it('carries the OIDs and sizes of pg_type', () => {
    const rows = [PG.bool, PG.int2, PG.int4, PG.int8, PG.float4, PG.float8, PG.text, PG.jsonb, PG.record, PG.float4Array].map((t) => [t.name, t.oid, t.typlen]);
    assert.deepEqual(rows, [
      ['boolean', 16, 1],
      ['smallint', 21, 2],
      ['integer', 23, 4],
      ['bigint', 20, 8],
      ['real', 700, 4],
      ['double precision', 701, 8],
      ['text', 25, -1],
      ['jsonb', 3802, -1],
      ['record', 2249, -1],
      ['real[]', 1021, -1],
    ]);
    assert.equal(PG.float4Array.element, PG.float4);
    assert.deepEqual([PG.textArray.oid, PG.jsonbArray.oid, PG.int8Array.oid, PG.boolArray.oid], [1009, 3807, 1016, 1000]);
  });
});

describe('pg-types: scalars', () => {
  it('SQL NULL is null in both formats', () => {
    assert.equal(encodeText(PG.int4, null), null);
    assert.equal(encodeBinary(PG.jsonb, null), null);
  });

  it('bool', () => {
    assert.deepEqual([text(PG.bool, true), text(PG.bool, false), binary(PG.bool, true), binary(PG.bool, false)], ['t', 'f', '01', '00']);
    rejects(PG.bool, 1, '42804');
  });

  it('integers from numbers and bigints, range-checked', () => {
    assert.equal(text(PG.int2, -32768), '-32768');
    assert.equal(binary(PG.int2, -2), 'fffe');
    assert.equal(text(PG.int4, -0), '0');
    assert.equal(binary(PG.int4, 2147483647), '7fffffff');
    assert.equal(text(PG.int8, 2 ** 53), '9007199254740992');
    assert.equal(text(PG.int8, -(2n ** 63n)), '-9223372036854775808');
    assert.equal(binary(PG.int8, -2n), 'fffffffffffffffe');
    rejects(PG.int2, 32768, '22003', /^smallint out of range$/);
    rejects(PG.int4, 2 ** 31, '22003', /^integer out of range$/);
    rejects(PG.int8, 2n ** 63n, '22003', /^bigint out of range$/);
    rejects(PG.int4, 1.5, '22P02', /^invalid input syntax for type integer: "1.5"$/);
    rejects(PG.int4, NaN, '22P02');
    rejects(PG.int8, '1', '42804');
  });

  it('float4: shortest digits that round-trip through float32, float4out layout', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'],
      [1 / 3, '0.33333334'],
      [1e-5, '1e-05'],
      [1e-4, '0.0001'],
      [9.999999e-5, '9.999999e-05'],
      [1e20, '1e+20'],
      [123456, '123456'],
      [999999.9, '999999.9'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [123456789, '1.2345679e+08'],
      [16777215, '1.6777215e+07'],
      [-1.5, '-1.5'],
      [0, '0'],
      [-0, '-0'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
      [3.4028234663852886e38, '3.4028235e+38'], // largest float32
      [2 ** -126, '1.1754944e-38'], // smallest normal
      [2 ** -140, '7.17e-43'], // denormal
      [2 ** -149, '1e-45'], // smallest denormal
      // Never a half-way point (STRICTLY_SHORTEST 0): 7.524274e+07 would read back too.
      [75242736, '7.5242736e+07'],
      // Exact ties keep the even digit.
      [2 ** -12, '0.00024414062'],
      [-361922.125, '-361922.12'],
    ];
    for (const [value, expected] of cases) assert.equal(text(PG.float4, value), expected, `float4 ${value}`);
  });

  it('float4 binary, and the float8 → float4 overflow and underflow errors', () => {
    assert.deepEqual([1.5, -0, NaN, Infinity, 0.1].map((v) => binary(PG.float4, v)), ['3fc00000', '80000000', '7fc00000', '7f800000', '3dcccccd']);
    rejects(PG.float4, 1e39, '22003', /^value out of range: overflow$/);
    rejects(PG.float4, 1e-50, '22003', /^value out of range: underflow$/);
    rejects(PG.float4, 1n, '42804');
  });

  it('float8: shortest round-trip digits, float8out layout', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'],
      [Math.fround(0.1), '0.10000000149011612'],
      [1 / 3, '0.3333333333333333'],
      [1e-5, '1e-05'],
      [0.001, '0.001'],
      [1e20, '1e+20'],
      [123456789, '123456789'],
      [999999999999999, '999999999999999'],
      [1e15, '1e+15'],
      [1.5e15, '1.5e+15'],
      [2 ** 53 - 1, '9.007199254740991e+15'],
      [1e100, '1e+100'],
      [1e-100, '1e-100'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      // 1e23 is a half-way point between two doubles; PostgreSQL never prints one.
      [1e23, '9.999999999999999e+22'],
      [2 ** 60, '1.152921504606847e+18'],
      [-0, '-0'],
      [-Infinity, '-Infinity'],
    ];
    for (const [value, expected] of cases) assert.equal(text(PG.float8, value), expected, `float8 ${value}`);
    assert.deepEqual([-0, 1, NaN].map((v) => binary(PG.float8, v)), ['8000000000000000', '3ff0000000000000', '7ff8000000000000']);
  });

  it('numeric keeps the written scale; numbers print positionally', () => {
    const cases: [string | number | bigint, string, string][] = [
      ['12345.678', '12345.678', '0003 0001 0000 0003 0001 0929 1a7c'],
      ['1.50', '1.50', '0002 0000 0000 0002 0001 1388'],
      ['1.50e1', '15.0', '0001 0000 0000 0001 000f'],
      ['-0.0', '0.0', '0000 0000 0000 0001'],
      [0.00001, '0.00001', '0001 fffe 0000 0005 03e8'],
      [-100000, '-100000', '0001 0001 4000 0000 000a'],
      [1e21, '1000000000000000000000', '0001 0005 0000 0000 000a'],
      [123n, '123', '0001 0000 0000 0000 007b'],
      ['NaN', 'NaN', '0000 0000 c000 0000'],
      [-Infinity, '-Infinity', '0000 0000 f000 0020'],
      [Infinity, 'Infinity', '0000 0000 d000 0020'],
    ];
    for (const [value, expected, send] of cases) {
      assert.equal(text(PG.numeric, value), expected, `numeric ${String(value)}`);
      assert.equal(binary(PG.numeric, value), send.replace(/ /g, ''), `numeric_send ${String(value)}`);
    }
    rejects(PG.numeric, '1e-16384', '22003', /^value overflows numeric format$/);
    rejects(PG.numeric, '1.2.3', '22P02');
  });

  it('text, varchar and bytea', () => {
    assert.deepEqual(encodeText(PG.text, 'hé'), hex('68 c3a9'));
    assert.deepEqual(encodeBinary(PG.varchar, 'hé'), hex('68 c3a9'));
    assert.equal(text(PG.text, ''), '');
    rejects(PG.text, 'a\0b', '22021');
    rejects(PG.text, 'a\uD800b', '22021');
    rejects(PG.text, 5, '42804');
    assert.equal(text(PG.bytea, hex('01ff')), '\\x01ff');
    assert.equal(text(PG.bytea, Buffer.alloc(0)), '\\x');
    assert.equal(binary(PG.bytea, new Uint8Array([1, 255])), '01ff');
  });
});

describe('pg-types: json and jsonb', () => {
  it('jsonb_out: spaces after : and , and keys shorter-first then by bytes', () => {
    assert.equal(text(PG.jsonb, pgJson({ b: [1, 2], aa: 2, a: { z: {}, y: [] } })), '{"a": {"y": [], "z": {}}, "b": [1, 2], "aa": 2}');
    assert.equal(text(PG.jsonb, pgJson({ é: 1, z: 2, ab: 3 })), '{"z": 2, "ab": 3, "é": 1}');
  });

  it('jsonb numbers as numeric_out prints them, never in exponent form', () => {
    assert.equal(text(PG.jsonb, pgJson([1e-7, 1e21, -0, 1.5, -2.5e-3, NaN, Infinity])), '[0.0000001, 1000000000000000000000, 0, 1.5, -0.0025, null, null]');
    // The digits are JSON.stringify's ("1e+23"), parsed by numeric_in, not float8out's.
    assert.equal(text(PG.jsonb, pgJson(1e23)), '100000000000000000000000');
  });

  it('jsonb strings use escape_json; scalars and JSON null stand alone', () => {
    assert.equal(text(PG.jsonb, pgJson('x"y\\\n\t\u0001\u007fé')), '"x\\"y\\\\\\n\\t\\u0001\u007fé"');
    assert.deepEqual([null, true, 3, 'a'].map((v) => text(PG.jsonb, pgJson(v))), ['null', 'true', '3', '"a"']);
    assert.equal(text(PG.jsonb, pgJson({ a: undefined, b: null })), '{"b": null}');
    rejects(PG.jsonb, pgJson('a\0'), '22P05');
    rejects(PG.jsonb, { a: 1 } as unknown as PgValue, '42804');
  });

  it('jsonb binary is version 1 then the text; json is JSON.stringify as is', () => {
    assert.equal(binary(PG.jsonb, pgJson({ a: 1 })), '01' + Buffer.from('{"a": 1}').toString('hex'));
    assert.equal(text(PG.json, pgJson({ b: 1, a: [1e-7, 'x'] })), '{"b":1,"a":[1e-7,"x"]}');
    assert.equal(binary(PG.json, pgJson({ a: 1 })), Buffer.from('{"a":1}').toString('hex'));
  });
});

describe('pg-types: records', () => {
  it('record_out quotes only what needs quoting', () => {
    assert.equal(text(PG.record, RECORD_IMDB), '("IMDB Review Sentiment",text-classification,transformers,t)');
    const tricky = pgRecord([
      { type: PG.text, value: null },
      { type: PG.text, value: '' },
      { type: PG.text, value: 'a"b\\c' },
      { type: PG.text, value: 'x,y' },
      { type: PG.text, value: '(' },
      { type: PG.float4, value: 1.5 },
      { type: PG.int4Array, value: [1, 2] },
      { type: PG.text, value: '\u00a0' },
    ]);
    assert.equal(text(PG.record, tricky), '(,"","a""b\\\\c","x,y","(",1.5,"{1,2}",\u00a0)');
    assert.equal(text(PG.record, pgRecord([{ type: PG.record, value: pgRecord([{ type: PG.int4, value: 1 }, { type: PG.text, value: 'a b' }]) }])), '("(1,""a b"")")');
    assert.equal(text(PG.record, pgRecord([])), '()');
    assert.equal(text(PG.record, pgRecord([{ type: PG.text, value: null }])), '()');
  });

  it('record_send: field count, then OID, length (-1 for NULL) and bytes per field', () => {
    const record = pgRecord([
      { type: PG.int4, value: 1 },
      { type: PG.text, value: 'a' },
      { type: PG.text, value: null },
      { type: PG.bool, value: true },
    ]);
    assert.deepEqual(encodeBinary(PG.record, record), hex('00000004 00000017 00000004 00000001 00000019 00000001 61 00000019 ffffffff 00000010 00000001 01'));
    rejects(PG.record, [1] as PgValue, '42804');
  });
});

describe('pg-types: arrays', () => {
  it('array_out quoting: empty, NULL in any case, specials, ASCII whitespace', () => {
    const values = ['a b', 'x"y', null, '', 'NULL', 'nUlL', 'nulls', '{', 'a\\b', '\v', '\u00a0', 'plain'];
    assert.equal(text(PG.textArray, values), '{"a b","x\\"y",NULL,"","NULL","nUlL",nulls,"{","a\\\\b","\v",\u00a0,plain}');
  });

  it('element output functions nest inside the quoting', () => {
    assert.equal(text(PG.float4Array, [1.5, 2, null, NaN, -Infinity, 1e-5]), '{1.5,2,NULL,NaN,-Infinity,1e-05}');
    assert.equal(text(PG.jsonbArray, [pgJson({ a: 1 }), pgJson(null)]), '{"{\\"a\\": 1}","null"}');
    assert.equal(text(PG.byteaArray, [hex('01ff')]), '{"\\\\x01ff"}');
    assert.equal(text(PG.boolArray, [true, false]), '{t,f}');
    assert.equal(text(PG.recordArray, [RECORD_IMDB]), '{"(\\"IMDB Review Sentiment\\",text-classification,transformers,t)"}');
  });

  it('multi-dimensional, empty and ragged arrays', () => {
    assert.equal(text(PG.int4Array, [[1, 2], [3, 4]]), '{{1,2},{3,4}}');
    assert.equal(text(PG.float8Array, [[[0.5]], [[null]]]), '{{{0.5}},{{NULL}}}');
    assert.equal(text(PG.int4Array, []), '{}');
    assert.equal(text(PG.int4Array, [[], []]), '{}');
    rejects(PG.int4Array, [[1], [2, 3]], '2202E');
    rejects(PG.int4Array, [[1], 2], '2202E');
    rejects(PG.int4Array, [[[[[[[1]]]]]]], '54000');
    rejects(PG.int4Array, 1, '42804');
    rejects(PG.int2Array, [1, 40000], '22003');
  });

  it('array_send: ndim, has-null, element OID, dimensions with lower bound 1, elements', () => {
    assert.deepEqual(
      encodeBinary(PG.int4Array, [[1, 2], [3, null]]),
      hex('00000002 00000001 00000017  00000002 00000001 00000002 00000001  00000004 00000001 00000004 00000002 00000004 00000003 ffffffff'),
    );
    assert.deepEqual(encodeBinary(PG.int4Array, []), hex('00000000 00000000 00000017'));
    assert.deepEqual(encodeBinary(PG.float4Array, [Infinity, NaN]), hex('00000001 00000000 000002bc 00000002 00000001 00000004 7f800000 00000004 7fc00000'));
    assert.deepEqual(encodeBinary(PG.textArray, ['hé']), hex('00000001 00000000 00000019 00000001 00000001 00000003 68c3a9'));
  });
});
