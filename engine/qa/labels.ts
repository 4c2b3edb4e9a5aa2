// Training targets per window, as run_qa.py's prepare_train_features computes them from the
// first gold answer; answers that do not sit where answer_start says are reported, not guessed.
import { utf16Index } from './chars.js';
import { QaError, type Window } from './types.js';

/** SQuAD's answers column: parallel lists, empty for an unanswerable question (SQuAD v2). */
export interface QaAnswers {
  readonly text: readonly string[];
  /** Code point indices into the context, as Python (which made SQuAD) counts them. */
  readonly answerStart: readonly number[];
}

/** Token positions of the answer in one window; both 0 (the CLS / <s> token) when it is not inside. */
export interface Positions {
  readonly start: number;
  readonly end: number;
}

export type WindowLabels =
  | { readonly kind: 'labels'; readonly positions: Positions[] }
  | { readonly kind: 'mismatch'; readonly index: number; readonly answerStart: number; readonly text: string; readonly found: string };

const SHAPE = 'answers must be {"text": [...], "answer_start": [...]} with as many starts as texts';

/** The answers value as a JSON string or an already parsed object. */
export function parseAnswers(value: unknown): QaAnswers {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new QaError(`${SHAPE}, not ${value.slice(0, 80)}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null) throw new QaError(`${SHAPE}, not ${JSON.stringify(parsed)}`);
  const { text, answer_start: answerStart } = parsed as { text?: unknown; answer_start?: unknown };
  if (!Array.isArray(text) || !Array.isArray(answerStart) || text.length !== answerStart.length) {
    throw new QaError(`${SHAPE}, not ${JSON.stringify(parsed).slice(0, 120)}`);
  }
  const texts: unknown[] = text;
  const starts: unknown[] = answerStart;
  if (!texts.every((t) => typeof t === 'string')) throw new QaError(`${SHAPE}: every text must be a string`);
  if (!starts.every((s): s is number => Number.isInteger(s) && (s as number) >= 0)) throw new QaError(`${SHAPE}: every answer_start must be a non-negative integer`);
  return { text: texts, answerStart: starts };
}

/** The first answer whose text is not at its answer_start in the context, if any. */
export function findMismatch(context: string, answers: QaAnswers): Extract<WindowLabels, { kind: 'mismatch' }> | undefined {
  for (const [index, text] of answers.text.entries()) {
    const answerStart = answers.answerStart[index] ?? 0;
    const from = utf16Index(context, answerStart);
    const found = context.slice(from, from + text.length);
    if (found !== text) return { kind: 'mismatch', index, answerStart, text, found };
  }
  return undefined;
}

/** Start/end positions for every window of one example, or the mismatch that makes it unusable. */
export function windowLabels(windows: readonly Window[], context: string, answers: QaAnswers): WindowLabels {
  const mismatch = findMismatch(context, answers);
  if (mismatch !== undefined) return mismatch;
  const [text] = answers.text;
  const [start] = answers.answerStart;
  if (text === undefined || start === undefined) return { kind: 'labels', positions: windows.map(() => ({ start: 0, end: 0 })) };
  const from = utf16Index(context, start);
  return { kind: 'labels', positions: windows.map((window) => positionsIn(window, from, from + text.length)) };
}

/**
 * The context tokens holding the answer's first and last characters (UTF-16 indices, like the
 * offsets): the last one starting at or before startChar, the first one ending at or after
 * endChar. run_qa.py scans the same way but runs past the context when the answer starts in its
 * last token (landing on a special or padding token); this stays inside the context.
 */
export function positionsIn(window: Window, startChar: number, endChar: number): Positions {
  const first = window.offsets[window.contextStart];
  const last = window.offsets[window.contextEnd - 1];
  if (first === null || first === undefined || last === null || last === undefined) return { start: 0, end: 0 };
  if (!(first[0] <= startChar && last[1] >= endChar)) return { start: 0, end: 0 };
  let start = window.contextStart;
  while (start + 1 < window.contextEnd && (window.offsets[start + 1]?.[0] ?? Infinity) <= startChar) start++;
  let end = window.contextEnd - 1;
  while (end - 1 >= window.contextStart && (window.offsets[end - 1]?.[1] ?? -Infinity) >= endChar) end--;
  return { start, end };
}
