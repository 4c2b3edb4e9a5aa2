/**
 * The train/test split of pgml.tune: `test_size` as a fraction of the rows (rounded) or, above 1,
 * as a number of rows; `test_sampling` as PostgresML names them — `last` keeps the relation's
 * order and tests on its last rows, `random` shuffles, `stratified` shuffles within each label so
 * both splits keep the label proportions (PostgresML's own never really did). Seeded: the same
 * seed gives the same split.
 */
import { ProxyError } from '../../proxy/errors.js';
import { Rng } from '../../engine/train/rng.js';

export type Sampling = 'last' | 'random' | 'stratified';

export interface Split {
  /** Row indices. */
  readonly train: readonly number[];
  readonly test: readonly number[];
}

export function testRows(rows: number, testSize: number): number {
  if (!(testSize > 0) || !Number.isFinite(testSize)) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: `test_size must be greater than 0, not ${testSize}`, hint: 'Use a fraction such as 0.25, or a number of rows above 1.' });
  }
  const count = testSize > 1 ? Math.round(testSize) : Math.round(rows * testSize);
  if (count >= rows) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: `test_size = ${testSize} is too large. There are only ${rows} samples.`, hint: 'Leave rows to train on: lower test_size.' });
  }
  if (count < 1) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: `test_size = ${testSize} leaves no test rows out of ${rows}`, hint: 'Raise test_size: metrics need at least one test row.' });
  }
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
  labels.forEach((label, i) => groups.set(label, [...(groups.get(label) ?? []), i]));
  const classes = [...groups.keys()].sort((a, b) => a - b);
  const n = labels.length;
  const quota = classes.map((c) => ((groups.get(c)?.length ?? 0) * tests) / n);
  const shares = quota.map(Math.floor);
  let left = tests - shares.reduce((a, b) => a + b, 0);
  const byRemainder = classes.map((_, k) => k).sort((a, b) => (quota[b] ?? 0) - (shares[b] ?? 0) - ((quota[a] ?? 0) - (shares[a] ?? 0)) || a - b);
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
    test.push(...rows.slice(0, take));
    train.push(...rows.slice(take));
  });
  return { train: rng.shuffle(train), test: rng.shuffle(test) };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
