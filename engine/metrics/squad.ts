/**
 * SQuAD v2.0 scores as the official `evaluate-v2.0.py` computes them (HF `evaluate`'s squad_v2
 * wraps the same script), with no no-answer probabilities: every prediction is taken as given.
 */
import { pythonSplit } from './bleu.js';

export interface SquadV2Scores {
  /** Exact match, 0–100. */
  readonly exact: number;
  /** Token F1, 0–100. */
  readonly f1: number;
  readonly total: number;
  /** Over questions with at least one gold answer; omitted when there are none. */
  readonly HasAns_exact?: number;
  readonly HasAns_f1?: number;
  readonly HasAns_total?: number;
  /** Over unanswerable questions (no gold answer); omitted when there are none. */
  readonly NoAns_exact?: number;
  readonly NoAns_f1?: number;
  readonly NoAns_total?: number;
}

/** Python's `string.punctuation`: ASCII only, so curly quotes and the like survive. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/**
 * `\b(a|an|the)\b` with Python's Unicode `\b`: a boundary is between a word character ([\p{L}\p{N}_],
 * which is Python's `\w` for str) and anything else. JavaScript's own `\b` is ASCII-only and would
 * find a boundary inside `éa`.
 */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** `normalize_answer`: lowercase, drop punctuation, replace articles by spaces, collapse whitespace. */
export function normalizeAnswer(text: string): string {
  let noPunctuation = '';
  for (const ch of text.toLowerCase()) if (!PUNCTUATION.has(ch)) noPunctuation += ch;
  return pythonSplit(noPunctuation.replace(ARTICLES, ' ')).join(' ');
}

/** `compute_exact`: 1 when both normalize to the same string. Symmetric in its arguments. */
export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/**
 * `compute_f1`: harmonic mean of token precision and recall over the multiset of normalized tokens.
 * When either side has no tokens, 1 if both have none and 0 otherwise. Symmetric in its arguments.
 */
export function tokenF1(prediction: string, gold: string): number {
  const predictionTokens = pythonSplit(normalizeAnswer(prediction));
  const goldTokens = pythonSplit(normalizeAnswer(gold));
  if (predictionTokens.length === 0 || goldTokens.length === 0) {
    return predictionTokens.length === goldTokens.length ? 1 : 0;
  }
  const goldCounts = new Map<string, number>();
  for (const token of goldTokens) goldCounts.set(token, (goldCounts.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of predictionTokens) {
    const left = goldCounts.get(token) ?? 0;
    if (left > 0) {
      same++;
      goldCounts.set(token, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predictionTokens.length;
  const recall = same / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * The script's totals for `predictions[i]` against the gold answers `golds[i]`. An empty gold list
 * marks an unanswerable question: its only correct answer is the empty string. Each question scores
 * its best match over its gold answers; gold answers that normalize to nothing are skipped, but the
 * question still counts as answerable (the script decides that on the raw list).
 */
export function squadV2(predictions: readonly string[], golds: readonly (readonly string[])[]): SquadV2Scores {
  if (predictions.length !== golds.length) {
    throw new Error(`SQuAD has ${predictions.length} predictions but ${golds.length} gold answer lists`);
  }
  if (predictions.length === 0) throw new Error('SQuAD needs at least one question');
  const exact: number[] = [];
  const f1: number[] = [];
  const hasAnswer: boolean[] = [];
  predictions.forEach((prediction, i) => {
    const raw = golds[i] ?? [];
    const answers = raw.filter((answer) => normalizeAnswer(answer) !== '');
    const candidates = answers.length > 0 ? answers : [''];
    exact.push(Math.max(...candidates.map((gold) => exactMatch(prediction, gold))));
    f1.push(Math.max(...candidates.map((gold) => tokenF1(prediction, gold))));
    hasAnswer.push(raw.length > 0);
  });
  const all = predictions.map((_, i) => i);
  const scores: SquadV2Scores = { ...percentages(exact, f1, all) };
  const hasAns = all.filter((i) => hasAnswer[i] === true);
  const noAns = all.filter((i) => hasAnswer[i] === false);
  return {
    ...scores,
    ...(hasAns.length > 0 ? prefixed('HasAns', percentages(exact, f1, hasAns)) : {}),
    ...(noAns.length > 0 ? prefixed('NoAns', percentages(exact, f1, noAns)) : {}),
  };
}

interface Totals {
  readonly exact: number;
  readonly f1: number;
  readonly total: number;
}

/** `make_eval_dict`: sums in question order, then 100 · sum / count. */
function percentages(exact: readonly number[], f1: readonly number[], questions: readonly number[]): Totals {
  let exactSum = 0;
  let f1Sum = 0;
  for (const i of questions) {
    exactSum += exact[i] ?? 0;
    f1Sum += f1[i] ?? 0;
  }
  return { exact: (100 * exactSum) / questions.length, f1: (100 * f1Sum) / questions.length, total: questions.length };
}

function prefixed(prefix: 'HasAns' | 'NoAns', totals: Totals): Partial<SquadV2Scores> {
  return prefix === 'HasAns'
    ? { HasAns_exact: totals.exact, HasAns_f1: totals.f1, HasAns_total: totals.total }
    : { NoAns_exact: totals.exact, NoAns_f1: totals.f1, NoAns_total: totals.total };
}
