/** What the QA data or settings make impossible; the message says what to change. */
export class QaError extends Error {
  override readonly name = 'QaError';
}

/** A [start, end) range of UTF-16 code units in the context, as offset_mapping gives it. */
export type Span = readonly [number, number];

/** One overflow window of a (question, context) pair, as run_qa.py's prepare_*_features sees it. */
export interface Window {
  readonly ids: number[];
  readonly attentionMask: number[];
  readonly typeIds?: number[];
  /** Per token, its span in the context; null for question and special tokens (sequence_ids filtering). */
  readonly offsets: (Span | null)[];
  /** The context tokens are ids[contextStart, contextEnd). */
  readonly contextStart: number;
  readonly contextEnd: number;
}
