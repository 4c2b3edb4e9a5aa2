/**
 * The train/test split of pgml.tune: `test_size` as a fraction of the rows (rounded) or, above 1,
 * as a number of rows; `test_sampling` as PostgresML names them — `last` keeps the relation's
 * order and tests on its last rows, `random` shuffles, `stratified` shuffles within each label so
 * both splits keep the label proportions (PostgresML's own never really did). Seeded: the same
 * seed gives the same split.
 */
import { Rng } from './rng.js';

export type Sampling = 'last' | 'random' | 'stratified';

export interface Split {
  /** Row indices. */
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/** A test_size that leaves no rows on one side; the message says what to change. */
export class SplitError extends Error {
  override readonly name = 'SplitError';
}

export function testRows(rows: number, testSize: number): number {
  if (!(testSize > 0) || !Number.isFinite(testSize)) throw new SplitError(`test_size must be greater than 0, not ${testSize}`);
  const count = testSize > 1 ? Math.round(testSize) : Math.round(rows * testSize);
  if (count >= rows) throw new SplitError(`test_size = ${testSize} is too large. There are only ${rows} samples.`);
  if (count < 1) throw new SplitError(`test_size = ${testSize} leaves no test rows out of ${rows}; raise it (metrics need at least one test row)`);
  return count;
}

/** `labels` are class indices per row, in the relation's order. */
export function splitRows(labels: readonly number[], testSize: number, sampling: Sampling, seed: number): Split {
  const n = labels.length;
  const tests = testRows(n, testSize);
  const rng = new Rng(seed);
  switch (sampling) {
    case 'last':
      return { train: range(0, n - tests), test: range(n - tests, n) };
    case 'random': {
      const order = rng.permutation(n);
      return { train: order.slice(0, n - tests), test: order.slice(n - tests) };
    }
    case 'stratified':
      return stratified(labels, tests, rng);
    default: {
      const never: never = sampling;
      throw new Error(`unknown sampling ${String(never)}`);
    }
  }
}

/**
 * Each label's rows are shuffled and its share of the test rows taken from them; shares are
 * rounded by largest remainder so they add up to exactly `tests`, and a label never gives all
 * its rows to the test split (it could not be learned).
 */
function stratified(labels: readonly number[], tests: number, rng: Rng): Split {
  const groups = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const group = groups.get(label);
    if (group === undefined) groups.set(label, [i]);
    else group.push(i);
  });
  const classes = [...groups.keys()].sort((a, b) => a - b);
  const n = labels.length;
  const quota = classes.map((c) => ((groups.get(c)?.length ?? 0) * tests) / n);
  const shares = quota.map(Math.floor);
  let left = tests - shares.reduce((a, b) => a + b, 0);
  const remainder = (k: number): number => (quota[k] ?? 0) - (shares[k] ?? 0);
  const byRemainder = classes.map((_, k) => k).sort((a, b) => remainder(b) - remainder(a) || a - b);
  for (const k of byRemainder) {
    if (left === 0) break;
    shares[k] = (shares[k] ?? 0) + 1;
    left -= 1;
  }
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((c, k) => {
    const rows = rng.shuffle([...(groups.get(c) ?? [])]);
    const take = Math.min(shares[k] ?? 0, Math.max(0, rows.length - 1));
    // Loops, not push(...rows): a spread of 100k arguments overflows the call stack.
    rows.forEach((row, i) => (i < take ? test : train).push(row));
  });
  return { train: rng.shuffle(train), test: rng.shuffle(test) };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
