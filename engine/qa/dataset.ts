/**
 * Question-answering rows — question, context, and SQuAD's `answers` (jsonb) — in the relation's
 * order. An `answers` value of the wrong shape stops the load naming its row; an answer whose
 * answer_start does not point at its text is left out and counted (a warning, as run_qa.py data
 * checks would want); rows without a question or context are left out.
 */
import { DatasetError, type SplitRequest } from '../classify/dataset.js';
import { dataRows } from '../data/data-rows.js';
import { splitRows, type Split } from '../train/split.js';
import { findMismatch, parseAnswers, type QaAnswers } from './labels.js';
import { QaError } from './types.js';

export interface QaExample {
  readonly question: string;
  readonly context: string;
  readonly answers: QaAnswers;
}

export interface QaDataset {
  readonly examples: readonly QaExample[];
  readonly skipped: { readonly missing: number; readonly mismatched: number };
  readonly read: number;
  readonly unanswerable: number;
}

export function qaDataset(chunks: Iterable<Uint8Array>): QaDataset {
  const examples: QaExample[] = [];
  let missing = 0;
  let mismatched = 0;
  let read = 0;
  for (const [question, context, answersText] of dataRows(chunks)) {
    read += 1;
    if (question === null || question === undefined || context === null || context === undefined || answersText === null || answersText === undefined) {
      missing += 1;
      continue;
    }
    let answers: QaAnswers;
    try {
      answers = parseAnswers(answersText);
    } catch (error) {
      if (!(error instanceof QaError)) throw error;
      throw new DatasetError(`row ${read}: ${error.message}; found ${answersText.length > 200 ? `${answersText.slice(0, 200)}…` : answersText}`);
    }
    if (findMismatch(context, answers) !== undefined) mismatched += 1;
    else examples.push({ question, context, answers });
  }
  if (examples.length < 2) throw new DatasetError(`the relation has ${examples.length} usable rows (${read} read; ${missing} without a question, context or answers, ${mismatched} whose answer_start does not match the context); training needs at least two`);
  return { examples, skipped: { missing, mismatched }, read, unanswerable: examples.filter((e) => e.answers.text.length === 0).length };
}

/** `stratified` keeps the share of unanswerable questions in both splits. */
export function splitQa(data: QaDataset, request: SplitRequest): Split {
  return splitRows(data.examples.map((e) => (e.answers.text.length === 0 ? 1 : 0)), request.testSize, request.sampling, request.seed);
}
