/**
 * The training rows as the engine worker receives them (PostgreSQL DataRow messages, in chunks),
 * labels mapped to classes, rows without a label left out, and the seeded train/test split.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatasetError, textDataset } from '../../engine/classify/dataset.js';
import { dataRows } from '../../engine/data/data-rows.js';
import { splitRows, SplitError, testRows } from '../../engine/train/split.js';
import { encodeDataRow } from '../../proxy/protocol/extended.js';

function rows(values: readonly (readonly (string | null)[])[]): Buffer {
  return Buffer.concat(values.map((row) => encodeDataRow(row.map((v) => (v === null ? null : Buffer.from(v, 'utf8'))))));
}

describe('DataRow chunks', () => {
  it('decodes text values and NULLs across chunks, UTF-8 included', () => {
    const chunks = [rows([['héllo 😀', '1'], [null, '0']]), rows([['x', null]])];
    assert.deepEqual([...dataRows(chunks)], [['héllo 😀', '1'], [null, '0'], ['x', null]]);
  });

  it('refuses bytes that are not whole DataRow messages', () => {
    const whole = rows([['a', '1']]);
    assert.throws(() => [...dataRows([whole.subarray(0, whole.length - 1)])], /does not add up/);
    assert.throws(() => [...dataRows([Buffer.from('Zgarbage')])], /no DataRow message at byte 0/);
  });
});

describe('textDataset', () => {
  it('leaves out NULL and -1 labels and NULL texts, and orders integer classes numerically', () => {
    const data = textDataset([rows([['a', '10'], ['b', '2'], ['c', '-1'], ['d', null], [null, '2'], ['e', '10']])], 'integer');
    assert.deepEqual(data.classes, ['2', '10']);
    assert.deepEqual(data.texts, ['a', 'b', 'e']);
    assert.deepEqual(data.labels, [1, 0, 1]);
    assert.deepEqual(data.skipped, { noLabel: 2, noText: 1 });
    assert.equal(data.read, 6);
  });

  it('keeps -1 as a label when labels are text', () => {
    const data = textDataset([rows([['a', 'pos'], ['b', '-1'], ['c', 'neg']])], 'text');
    assert.deepEqual(data.classes, ['-1', 'neg', 'pos']);
    assert.deepEqual(data.labels, [2, 0, 1]);
  });

  it('needs two distinct labels', () => {
    assert.throws(() => textDataset([rows([['a', '1'], ['b', '1'], ['c', '-1']])], 'integer'), (error: Error) => {
      assert.ok(error instanceof DatasetError);
      assert.match(error.message, /a single distinct label \(1\).*3 rows read; 1 without a label/);
      return true;
    });
  });
});

describe('splitRows', () => {
  const labels = Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : i < 95 ? 1 : 2));

  it('counts test rows as PostgresML does: a rounded fraction, or a number of rows above 1', () => {
    assert.equal(testRows(100, 0.25), 25);
    assert.equal(testRows(10, 0.25), 3); // 2.5 rounds up, as Math.round and Rust's round do
    assert.equal(testRows(100, 7), 7);
    assert.throws(() => testRows(10, 10), (error: Error) => error instanceof SplitError && /too large\. There are only 10 samples/.test(error.message));
    assert.throws(() => testRows(10, 0.01), /leaves no test rows out of 10/);
    assert.throws(() => testRows(10, 0), /greater than 0/);
  });

  it('last: the relation order, testing on the last rows', () => {
    const split = splitRows(labels, 0.1, 'last', 42);
    assert.deepEqual(split.test, [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    assert.deepEqual(split.train, Array.from({ length: 90 }, (_, i) => i));
  });

  it('random: a seeded permutation, the same for the same seed', () => {
    const a = splitRows(labels, 0.2, 'random', 42);
    assert.deepEqual(a, splitRows(labels, 0.2, 'random', 42));
    assert.notDeepEqual(a.test, splitRows(labels, 0.2, 'random', 43).test);
    assert.equal(a.test.length, 20);
    assert.deepEqual([...a.train, ...a.test].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  });

  it('stratified: each label keeps its share of the test rows, exactly adding up', () => {
    const split = splitRows(labels, 0.2, 'stratified', 42);
    const count = (rows: readonly number[], label: number): number => rows.filter((i) => labels[i] === label).length;
    assert.deepEqual([count(split.test, 0), count(split.test, 1), count(split.test, 2)], [16, 3, 1]);
    assert.deepEqual([count(split.train, 0), count(split.train, 1), count(split.train, 2)], [64, 12, 4]);
    assert.deepEqual(split, splitRows(labels, 0.2, 'stratified', 42));
    // A label with one row stays in train: a class only in the test split could not be learned.
    const rare = splitRows([0, 0, 0, 0, 0, 0, 0, 1], 0.5, 'stratified', 1);
    assert.ok(rare.train.includes(7));
    assert.equal(rare.test.length, 4);
  });
});
