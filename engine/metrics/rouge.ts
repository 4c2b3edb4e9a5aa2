/**
 * ROUGE-1 and ROUGE-2 as Google's `rouge_score` computes them with
 * `RougeScorer(['rouge1', 'rouge2'], use_stemmer=False)`: its default tokenizer, n-gram overlap
 * clipped by the smaller count, precision over the prediction's n-grams, recall over the reference's.
 *
 * Aggregation: the plain mean over examples of each precision, recall and F1 (the mean of per-example
 * F1, not the F1 of the means). PostgresML called HF `evaluate`'s `rouge.compute(predictions,
 * references)`, whose default aggregator reports the `mid` of a 1000-sample bootstrap of F1; that
 * mid is the median of resampled means, so it scatters around this mean from run to run and is not
 * reproducible. `use_aggregator=False` followed by a mean gives exactly these numbers.
 */

export interface RougeScore {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface RougeScores {
  readonly rouge1: RougeScore;
  readonly rouge2: RougeScore;
}

/**
 * `rouge_score.tokenize.tokenize(text, None)`: lowercase, replace every run of characters outside
 * [a-z0-9] by a space, split, keep the non-empty tokens. So only ASCII letters and digits survive.
 */
export function rougeTokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** `rouge_scorer._score_ngrams` for one reference (`target`) and one prediction. */
export function rougeN(prediction: string, reference: string, n: number): RougeScore {
  if (!Number.isInteger(n) || n < 1) throw new Error(`ROUGE-N needs a positive integer n, got ${n}`);
  return scoreNgrams(ngramCounts(rougeTokenize(prediction), n), ngramCounts(rougeTokenize(reference), n));
}

/** ROUGE-1 and ROUGE-2 of one prediction against its reference. */
export function rougePair(prediction: string, reference: string): RougeScores {
  const predictionTokens = rougeTokenize(prediction);
  const referenceTokens = rougeTokenize(reference);
  return {
    rouge1: scoreNgrams(ngramCounts(predictionTokens, 1), ngramCounts(referenceTokens, 1)),
    rouge2: scoreNgrams(ngramCounts(predictionTokens, 2), ngramCounts(referenceTokens, 2)),
  };
}

/** Mean ROUGE-1 and ROUGE-2 over the pairs (see the module comment for why a mean). */
export function rouge(predictions: readonly string[], references: readonly string[]): RougeScores {
  if (predictions.length !== references.length) {
    throw new Error(`ROUGE has ${predictions.length} predictions but ${references.length} references`);
  }
  if (predictions.length === 0) throw new Error('ROUGE needs at least one prediction');
  const pairs = predictions.map((prediction, i) => rougePair(prediction, references[i] ?? ''));
  return {
    rouge1: mean(pairs.map((pair) => pair.rouge1)),
    rouge2: mean(pairs.map((pair) => pair.rouge2)),
  };
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    // Tokens are [a-z0-9]+, so a space cannot make two different n-grams collide.
    const ngram = tokens.slice(i, i + n).join(' ');
    counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
  }
  return counts;
}

function scoreNgrams(prediction: ReadonlyMap<string, number>, reference: ReadonlyMap<string, number>): RougeScore {
  let overlap = 0;
  for (const [ngram, count] of reference) overlap += Math.min(count, prediction.get(ngram) ?? 0);
  // max(·, 1): an empty side gives 0, not 0/0 (rouge_score does the same).
  const precision = overlap / Math.max(sum(prediction.values()), 1);
  const recall = overlap / Math.max(sum(reference.values()), 1);
  return { precision, recall, f1: fMeasure(precision, recall) };
}

/** `rouge_score.scoring.fmeasure`: the harmonic mean, 0 when both are 0. */
function fMeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function mean(scores: readonly RougeScore[]): RougeScore {
  return {
    precision: sum(scores.map((score) => score.precision)) / scores.length,
    recall: sum(scores.map((score) => score.recall)) / scores.length,
    f1: sum(scores.map((score) => score.f1)) / scores.length,
  };
}
