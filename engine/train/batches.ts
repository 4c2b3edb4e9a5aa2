/**
 * Batching with dynamic padding: examples of similar length go together (transformers'
 * LengthGroupedSampler), so a batch is padded to its own longest example, not to max_length.
 * On CPU that is most of the speed: attention cost grows with the square of the padded length.
 */
import type { Rng } from './rng.js';

/**
 * transformers' get_length_grouped_indices: a random permutation cut into "megabatches" of up to
 * 50 batches, each sorted longest first, so batches stay random across the epoch while every
 * batch holds examples of similar length. The longest example of all goes first, so running out
 * of memory shows at the first step rather than hours in.
 */
export function lengthGroupedOrder(lengths: readonly number[], batchSize: number, rng: Rng): number[] {
  const n = lengths.length;
  const indices = rng.permutation(n);
  const multiplier = Math.max(1, Math.min(Math.floor(n / (batchSize * 4)), 50));
  const megabatch = multiplier * batchSize;
  const length = (i: number): number => lengths[i] ?? 0;
  const groups: number[][] = [];
  for (let start = 0; start < n; start += megabatch) {
    // A stable sort keeps the permutation's order among equal lengths.
    groups.push(indices.slice(start, start + megabatch).sort((a, b) => length(b) - length(a)));
  }
  let longestGroup = 0;
  for (let g = 1; g < groups.length; g += 1) {
    if (length(groups[g]?.[0] ?? 0) > length(groups[longestGroup]?.[0] ?? 0)) longestGroup = g;
  }
  const first = groups[0];
  const longest = groups[longestGroup];
  if (first !== undefined && longest !== undefined && longestGroup !== 0) {
    const a = first[0] as number;
    first[0] = longest[0] as number;
    longest[0] = a;
  }
  return groups.flat();
}

/** Consecutive slices of `size` (the last may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

export interface PaddedBatch {
  readonly batch: number;
  readonly seq: number;
  /** Row-major [batch, seq]. */
  readonly inputIds: Int32Array;
  readonly attentionMask: Int32Array;
}

/** Pads token id rows to the longest one, with mask 0 on padding (right padding, as HF collators). */
export function padRows(rows: readonly (readonly number[])[], padId: number): PaddedBatch {
  const seq = rows.reduce((max, row) => Math.max(max, row.length), 0);
  const inputIds = new Int32Array(rows.length * seq).fill(padId);
  const attentionMask = new Int32Array(rows.length * seq);
  rows.forEach((row, r) => {
    inputIds.set(row, r * seq);
    attentionMask.fill(1, r * seq, r * seq + row.length);
  });
  return { batch: rows.length, seq, inputIds, attentionMask };
}
