import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyLine, copyValue, toJson } from '../../../src/datasets/copy-text.js';
import { chooseSplits, orderSplits, splitOfFile } from '../../../src/datasets/splits.js';
import { kindOfJson, kindOfText, widen } from '../../../src/datasets/text-inference.js';

describe('COPY text encoding', () => {
  it('escapes what COPY treats specially and writes NULL as \\N', () => {
    assert.equal(copyValue('text', 'a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
    assert.equal(copyValue('text', 'plain ünïcode 😀'), 'plain ünïcode 😀');
    assert.equal(copyValue('text', null), '\\N');
    assert.equal(copyValue('integer', undefined), '\\N');
    assert.equal(copyValue('text', '\\N'), '\\\\N', 'a literal backslash-N is data, not NULL');
  });

  it('writes numbers, booleans, bytes, dates and JSON in forms PostgreSQL reads back', () => {
    assert.equal(copyValue('integer', 9007199254740993n), '9007199254740993');
    assert.equal(copyValue('float', NaN), 'NaN');
    assert.equal(copyValue('float', -Infinity), '-Infinity');
    assert.equal(copyValue('boolean', true), 't');
    assert.equal(copyValue('bytea', new Uint8Array([0, 255, 16])), '\\\\x00ff10');
    assert.equal(copyValue('date', new Date('2024-02-29T00:00:00Z')), '2024-02-29');
    assert.equal(copyValue('json', { text: ['a\tb'], answer_start: [3] }), '{"text":["a\\\\tb"],"answer_start":[3]}');
    assert.equal(toJson({ big: 2n ** 62n, small: 5n }), '{"big":"4611686018427387904","small":5}');
  });

  it('joins a row with tabs and ends it with a newline', () => {
    assert.equal(copyLine(['text', 'integer', 'json'], ['x', 1n, null]), 'x\t1\t\\N\n');
  });
});

describe('splits', () => {
  it('reads the split from the hub’s file naming conventions', () => {
    assert.equal(splitOfFile('data/train-00000-of-00002.parquet'), 'train');
    assert.equal(splitOfFile('ca_test-00000-of-00001.parquet'), 'ca_test');
    assert.equal(splitOfFile('test.csv'), 'test');
    assert.equal(splitOfFile('validation-reviews.jsonl'), 'validation');
    assert.equal(splitOfFile('data/unsupervised/part.parquet'), 'unsupervised');
    assert.equal(splitOfFile('default/ca_test/0001.parquet'), 'ca_test');
    assert.equal(splitOfFile('reviews.parquet'), null);
    assert.equal(splitOfFile('my-data.parquet'), null);
  });

  it('orders splits as datasets declares them and picks one, or train under a limit', () => {
    const splits = ['unsupervised', 'test', 'train', 'ca_test'].map((split) => ({ split, files: [`${split}.parquet`] }));
    assert.deepEqual(orderSplits(splits).map((s) => s.split), ['train', 'test', 'ca_test', 'unsupervised']);
    assert.deepEqual(chooseSplits('d', splits, null, 10).map((s) => s.split), ['train']);
    assert.deepEqual(chooseSplits('d', splits, 'ca_test', null).map((s) => s.split), ['ca_test']);
    assert.throws(() => chooseSplits('d', splits, 'nope', null), /no split "nope"/);
  });
});

describe('type inference for CSV and JSON lines', () => {
  it('widens integer → float → text, and JSON structures to jsonb', () => {
    assert.equal(kindOfText('42'), 'integer');
    assert.equal(kindOfText('99999999999999999999'), 'float', 'beyond bigint');
    assert.equal(kindOfText('-1.5e3'), 'float');
    assert.equal(kindOfText('TRUE'), 'boolean');
    assert.equal(kindOfText('12 apples'), 'text');
    assert.equal(widen('integer', 'float'), 'float');
    assert.equal(widen('boolean', 'integer'), 'text');
    assert.equal(widen('none', 'boolean'), 'boolean');
    assert.equal(kindOfJson({ en: 'x' }), 'json');
    assert.equal(widen('text', kindOfJson([1])), 'json');
    assert.equal(kindOfJson(3), 'integer');
  });
});
