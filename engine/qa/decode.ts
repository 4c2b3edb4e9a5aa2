// The answer to one example from the logits of all its windows: run_qa.py's
// postprocess_qa_predictions (version_2_with_negative) picks the span, and the score is the
// question-answering pipeline's p_start × p_end so that it lands in [0, 1].
import { codePointIndex } from './chars.js';
import type { Span } from './types.js';

export type Logits = Float32Array | readonly number[];

export interface WindowLogits {
  readonly startLogits: Logits;
  readonly endLogits: Logits;
  /** The window's offsets: null marks tokens that cannot be part of an answer. */
  readonly offsets: readonly (Span | null)[];
}

export interface AnswerOptions {
  /** How many top starts and top ends are paired per window (n_best_size). */
  readonly nBest?: number;
  /** Longest answer in tokens (max_answer_length). */
  readonly maxAnswerLength?: number;
  /** Answer "" when the null score beats the best span by more than this (null_score_diff_threshold). */
  readonly nullScoreDiffThreshold?: number;
  /** SQuAD v2: "" is a possible answer. Off, the best span wins whatever the null score. */
  readonly allowNoAnswer?: boolean;
}

/**
 * The question-answering pipeline's output row. start/end count code points, as the pipeline's
 * Python indices (and SQuAD's answer_start) do: answer === [...context].slice(start, end).join('').
 */
export interface QaAnswer {
  readonly score: number;
  readonly start: number;
  readonly end: number;
  readonly answer: string;
}

interface Best {
  readonly logit: number;
  readonly window: number;
  readonly startToken: number;
  readonly endToken: number;
  readonly span: Span;
}

/** Token indices of the k largest values, largest first (np.argsort(x)[-1:-k-1:-1]). */
export function topIndices(values: Logits, count: number, k: number): number[] {
  const indices = Array.from({ length: count }, (_, i) => i);
  indices.sort((a, b) => (values[b] ?? -Infinity) - (values[a] ?? -Infinity) || a - b);
  return indices.slice(0, k);
}

/**
 * The pipeline's probabilities over the tokens that may answer: the context and the first token
 * (CLS, the "no answer" slot); the rest are masked out before the softmax.
 */
export function answerProbabilities(logits: Logits, offsets: readonly (Span | null)[]): Float64Array {
  const allowed = (i: number): boolean => i === 0 || offsets[i] !== null;
  let max = -Infinity;
  for (let i = 0; i < offsets.length; i++) if (allowed(i)) max = Math.max(max, logits[i] ?? -Infinity);
  const probabilities = new Float64Array(offsets.length);
  let sum = 0;
  for (let i = 0; i < offsets.length; i++) {
    if (!allowed(i)) continue;
    const p = Math.exp((logits[i] ?? -Infinity) - max);
    probabilities[i] = p;
    sum += p;
  }
  return probabilities.map((p) => p / sum);
}

function bestSpanIn(window: WindowLogits, index: number, nBest: number, maxAnswerLength: number, best: Best | undefined): Best | undefined {
  const { startLogits, endLogits, offsets } = window;
  // Logit rows may carry batch padding past the window's tokens; those are never candidates.
  const count = Math.min(offsets.length, startLogits.length, endLogits.length);
  const ends = topIndices(endLogits, count, nBest);
  let kept = best;
  for (const s of topIndices(startLogits, count, nBest)) {
    const startSpan = offsets[s];
    if (startSpan === null || startSpan === undefined) continue;
    for (const e of ends) {
      const endSpan = offsets[e];
      if (endSpan === null || endSpan === undefined || e < s || e - s + 1 > maxAnswerLength) continue;
      const span: Span = [startSpan[0], endSpan[1]];
      // run_qa.py takes the best prediction whose text is not empty.
      if (span[1] <= span[0]) continue;
      const logit = (startLogits[s] ?? 0) + (endLogits[e] ?? 0);
      if (kept === undefined || logit > kept.logit) kept = { logit, window: index, startToken: s, endToken: e, span };
    }
  }
  return kept;
}

/**
 * One example's answer from all its windows: the best span by start + end logit, or "" when the
 * smallest null score (first-token start + end) beats it by more than the threshold. When no span
 * qualifies the answer is "" (run_qa.py would predict the placeholder text "empty").
 */
export function decodeAnswer(context: string, windows: readonly WindowLogits[], options: AnswerOptions = {}): QaAnswer {
  const nBest = options.nBest ?? 20;
  const maxAnswerLength = options.maxAnswerLength ?? 30;
  const threshold = options.nullScoreDiffThreshold ?? 0;
  const allowNoAnswer = options.allowNoAnswer ?? true;
  let best: Best | undefined;
  let minNullLogit = Infinity;
  let minNullProbability = 1;
  for (const [index, window] of windows.entries()) {
    minNullLogit = Math.min(minNullLogit, (window.startLogits[0] ?? 0) + (window.endLogits[0] ?? 0));
    const nullProbability = (answerProbabilities(window.startLogits, window.offsets)[0] ?? 0) * (answerProbabilities(window.endLogits, window.offsets)[0] ?? 0);
    minNullProbability = Math.min(minNullProbability, nullProbability);
    best = bestSpanIn(window, index, nBest, maxAnswerLength, best);
  }
  const noAnswer: QaAnswer = { score: windows.length === 0 ? 0 : minNullProbability, start: 0, end: 0, answer: '' };
  if (best === undefined) return noAnswer;
  if (allowNoAnswer && minNullLogit - best.logit > threshold) return noAnswer;
  const window = windows[best.window];
  if (window === undefined) return noAnswer;
  const pStart = answerProbabilities(window.startLogits, window.offsets)[best.startToken] ?? 0;
  const pEnd = answerProbabilities(window.endLogits, window.offsets)[best.endToken] ?? 0;
  return {
    score: pStart * pEnd,
    start: codePointIndex(context, best.span[0]),
    end: codePointIndex(context, best.span[1]),
    answer: context.slice(best.span[0], best.span[1]),
  };
}
