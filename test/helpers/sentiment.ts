/**
 * A generated sentiment-like dataset with a clear signal for learning tests: each review is
 * filler words plus words of one sentiment, so a model that trains at all separates them, and
 * one that does not stays at chance. Every word is a whole token of the fixture WordPiece vocab.
 */
import { Rng } from '../../engine/train/rng.js';

const POSITIVE = ['water', 'morning', 'city', 'goods', 'today', 'very'];
const NEGATIVE = ['rent', 'law', 'party', 'due', 'must', 'not'];
const FILLER = ['the', 'and', 'for', 'this', 'with', 'year', 'from', 'one', 'all', 'car', 'date', 'they', 'was', 'has', 'after', 'before', 'you', 'work', 'read', 'new'];

export interface Review {
  readonly text: string;
  /** 1 positive, 0 negative. */
  readonly label: number;
}

export function sentimentReviews(count: number, seed: number): Review[] {
  const rng = new Rng(seed);
  const pick = (words: readonly string[]): string => words[rng.below(words.length)] ?? '';
  return Array.from({ length: count }, (_, i) => {
    const label = i % 2;
    const words = Array.from({ length: 4 + rng.below(8) }, () => pick(FILLER));
    for (let k = 0; k < 2; k += 1) words.splice(rng.below(words.length + 1), 0, pick(label === 1 ? POSITIVE : NEGATIVE));
    return { text: words.join(' '), label };
  });
}
