/**
 * Source/target pairs for translation and summarization, from the relation's (input, target)
 * rows in order; rows missing either side are left out and counted.
 */
import { dataRows } from '../data/data-rows.js';
import { DatasetError, type SplitRequest } from '../classify/dataset.js';
import { splitRows, type Split } from '../train/split.js';

export interface PairDataset {
  readonly sources: readonly string[];
  readonly targets: readonly string[];
  readonly skipped: { readonly noSource: number; readonly noTarget: number };
  readonly read: number;
}

export function pairDataset(chunks: Iterable<Uint8Array>): PairDataset {
  const sources: string[] = [];
  const targets: string[] = [];
  let noSource = 0;
  let noTarget = 0;
  let read = 0;
  for (const [source, target] of dataRows(chunks)) {
    read += 1;
    if (target === null || target === undefined) noTarget += 1;
    else if (source === null || source === undefined) noSource += 1;
    else {
      sources.push(source);
      targets.push(target);
    }
  }
  if (sources.length < 2) throw new DatasetError(`the relation has ${sources.length} usable rows (${read} read; ${noTarget} without a target, ${noSource} without an input); training needs at least two`);
  return { sources, targets, skipped: { noSource, noTarget }, read };
}

/** Without labels to stratify by, `stratified` is a seeded shuffle like `random`. */
export function splitPairs(data: PairDataset, request: SplitRequest): Split {
  return splitRows(new Array<number>(data.sources.length).fill(0), request.testSize, request.sampling, request.seed);
}
