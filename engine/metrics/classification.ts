/**
 * Text-classification metrics as stored in `pgml.models.metrics`, with scikit-learn's semantics
 * (checked against sklearn 1.2 in test/unit/engine-metrics.test.ts). Pure numbers, no TF.js, so the
 * evaluation step can hand over plain arrays after its tensors are gone.
 */

export interface ClassificationMetrics {
  readonly accuracy: number;
  /** sklearn `f1_score(average='weighted')`. */
  readonly f1: number;
  /** sklearn `f1_score(average='macro')`. */
  readonly f1_macro: number;
  /** sklearn `precision_score(average='weighted')`. */
  readonly precision: number;
  /** sklearn `recall_score(average='weighted')`. */
  readonly recall: number;
  /** sklearn `log_loss(y_true, probabilities, labels=range(numClasses))`. */
  readonly log_loss: number;
  /** Binary only: sklearn `roc_auc_score(y_true, p[:, 1])`; omitted when y_true holds a single class. */
  readonly roc_auc?: number;
}

export type Average = 'macro' | 'weighted';

export interface PrecisionRecallF1 {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** float64 machine epsilon: sklearn's `log_loss` clips with `np.finfo(float64).eps`. */
const EPS = 2.220446049250313e-16;

/**
 * All metrics for one evaluation. `yTrue` holds class indices in [0, numClasses); `probabilities[i]`
 * has numClasses entries summing to about 1, and the prediction is their argmax.
 */
export function classificationMetrics(
  yTrue: readonly number[],
  probabilities: readonly (readonly number[])[],
  numClasses: number,
): ClassificationMetrics {
  checkLabels('yTrue', yTrue, numClasses);
  checkProbabilities(probabilities, yTrue.length, numClasses);
  const yPred = probabilities.map(argmax);
  const weighted = precisionRecallF1(yTrue, yPred, 'weighted');
  const metrics: ClassificationMetrics = {
    accuracy: accuracy(yTrue, yPred),
    f1: weighted.f1,
    f1_macro: precisionRecallF1(yTrue, yPred, 'macro').f1,
    precision: weighted.precision,
    recall: weighted.recall,
    log_loss: logLoss(yTrue, probabilities, numClasses),
  };
  if (numClasses !== 2) return metrics;
  const rocAuc = binaryRocAuc(yTrue, probabilities.map((row) => row[1] ?? 0));
  return rocAuc === undefined ? metrics : { ...metrics, roc_auc: rocAuc };
}

/** Index of the largest entry; the first one wins a tie, as `numpy.argmax` does. */
export function argmax(row: readonly number[]): number {
  if (row.length === 0) throw new Error('argmax of an empty row');
  let best = 0;
  for (let i = 1; i < row.length; i++) {
    if ((row[i] ?? -Infinity) > (row[best] ?? -Infinity)) best = i;
  }
  return best;
}

/** Fraction of samples whose predicted class equals the true one. */
export function accuracy(yTrue: readonly number[], yPred: readonly number[]): number {
  checkPair(yTrue, yPred);
  let correct = 0;
  yTrue.forEach((label, i) => { if (label === yPred[i]) correct++; });
  return correct / yTrue.length;
}

/**
 * sklearn's `precision_recall_fscore_support(average=...)`. The averaged labels are the sorted union
 * of those in yTrue and yPred (not every class the model knows); a label never predicted has
 * precision 0, one never true has recall 0 (zero_division=0), and F1 is 0 when both are 0.
 * 'weighted' weights each label by its support, its count in yTrue.
 */
export function precisionRecallF1(yTrue: readonly number[], yPred: readonly number[], average: Average): PrecisionRecallF1 {
  checkPair(yTrue, yPred);
  const labels = [...new Set([...yTrue, ...yPred])].sort((a, b) => a - b);
  const slot = new Map(labels.map((label, i) => [label, i]));
  const tp = new Array<number>(labels.length).fill(0);
  const predicted = new Array<number>(labels.length).fill(0);
  const support = new Array<number>(labels.length).fill(0);
  yTrue.forEach((label, i) => {
    const t = slot.get(label) ?? 0;
    const p = slot.get(yPred[i] ?? -1) ?? 0;
    support[t] = (support[t] ?? 0) + 1;
    predicted[p] = (predicted[p] ?? 0) + 1;
    if (t === p) tp[t] = (tp[t] ?? 0) + 1;
  });
  const precision = tp.map((n, i) => divideOrZero(n, predicted[i] ?? 0));
  const recall = tp.map((n, i) => divideOrZero(n, support[i] ?? 0));
  const f1 = precision.map((p, i) => {
    const r = recall[i] ?? 0;
    return divideOrZero(2 * p * r, p + r);
  });
  const weights = average === 'weighted' ? support : support.map(() => 1);
  return { precision: weightedMean(precision, weights), recall: weightedMean(recall, weights), f1: weightedMean(f1, weights) };
}

/**
 * Mean of −log p(true class). Each row is renormalised to sum 1, then clipped to [eps, 1 − eps] so a
 * confident wrong answer costs −log(eps) ≈ 36.04 rather than Infinity. sklearn 1.2 clips before it
 * renormalises and 1.5 no longer renormalises; for rows that sum to 1 all three agree to O(eps).
 */
export function logLoss(yTrue: readonly number[], probabilities: readonly (readonly number[])[], numClasses: number): number {
  // sklearn refuses a single label: there is nothing to be uncertain about.
  if (numClasses < 2) throw new Error(`log loss needs at least two classes, got ${numClasses}`);
  checkLabels('yTrue', yTrue, numClasses);
  checkProbabilities(probabilities, yTrue.length, numClasses);
  let total = 0;
  yTrue.forEach((label, i) => {
    const row = probabilities[i] ?? [];
    const sum = row.reduce((a, b) => a + b, 0);
    const p = Math.min(Math.max((row[label] ?? 0) / sum, EPS), 1 - EPS);
    total -= Math.log(p);
  });
  return total / yTrue.length;
}

/**
 * Area under the ROC curve for labels 0/1 and scores for class 1, or undefined when yTrue holds only
 * one class (sklearn raises there). Computed as the Mann–Whitney U statistic over average ranks,
 * which counts a tied positive/negative pair as ½, exactly what the trapezoids of sklearn's curve do.
 */
export function binaryRocAuc(yTrue: readonly number[], scores: readonly number[]): number | undefined {
  checkLabels('yTrue', yTrue, 2);
  if (scores.length !== yTrue.length) throw new Error(`yTrue has ${yTrue.length} samples but scores has ${scores.length}`);
  if (scores.some((s) => !Number.isFinite(s))) throw new Error('scores must be finite numbers');
  const positives = yTrue.filter((label) => label === 1).length;
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let positiveRankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] ?? 0] === scores[order[start] ?? 0]) end++;
    // Ranks are 1-based; a run of ties shares the mean of its ranks.
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) if (yTrue[order[k] ?? 0] === 1) positiveRankSum += rank;
    start = end + 1;
  }
  const u = positiveRankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

function divideOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** `np.average(values, weights=weights)`: the weighted sum over the sum of the weights. */
function weightedMean(values: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  let weight = 0;
  values.forEach((v, i) => {
    const w = weights[i] ?? 0;
    sum += v * w;
    weight += w;
  });
  return sum / weight;
}

function checkPair(yTrue: readonly number[], yPred: readonly number[]): void {
  if (yPred.length !== yTrue.length) throw new Error(`yTrue has ${yTrue.length} samples but yPred has ${yPred.length}`);
  checkLabels('yTrue', yTrue);
  checkLabels('yPred', yPred);
}

/** Labels must be integers in [0, numClasses), or just non-negative integers when numClasses is not known. */
function checkLabels(name: string, labels: readonly number[], numClasses?: number): void {
  if (labels.length === 0) throw new Error('classification metrics need at least one sample');
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1)) {
    throw new Error(`numClasses must be a positive integer, got ${numClasses}`);
  }
  const limit = numClasses ?? Infinity;
  const bad = labels.findIndex((label) => !Number.isInteger(label) || label < 0 || label >= limit);
  if (bad >= 0) {
    const range = numClasses === undefined ? 'a non-negative integer' : `an integer in [0, ${numClasses})`;
    throw new Error(`${name}[${bad}] = ${labels[bad] ?? NaN} is not a class index: expected ${range}`);
  }
}

function checkProbabilities(probabilities: readonly (readonly number[])[], samples: number, numClasses: number): void {
  if (probabilities.length !== samples) throw new Error(`yTrue has ${samples} samples but probabilities has ${probabilities.length}`);
  probabilities.forEach((row, i) => {
    if (row.length !== numClasses) throw new Error(`probabilities[${i}] has ${row.length} entries, expected ${numClasses}`);
    if (row.some((p) => !Number.isFinite(p) || p < 0)) throw new Error(`probabilities[${i}] must hold finite non-negative numbers`);
    // Renormalising an all-zero row would divide by zero.
    if (!row.some((p) => p > 0)) throw new Error(`probabilities[${i}] is all zeros`);
  });
}
