// return_overflowing_tokens for QA: the question is kept whole and the context is cut into
// windows of overlapping tokens, each wrapped in the model's special tokens, as HF's fast
// tokenizer does with truncation='only_second' and a stride (tokenizers' Encoding::truncate).
import { assemble, specialCount } from '../tokenizers/template.js';
import type { Tokenizer } from '../tokenizers/index.js';
import type { TemplatePlacement } from '../tokenizers/types.js';
import { QaError, type Span, type Window } from './types.js';

export interface WindowOptions {
  /** Tokens per window, special tokens included (run_qa.py's max_seq_length). */
  readonly maxLength?: number;
  /** Context tokens shared by consecutive windows (run_qa.py's doc_stride). */
  readonly stride?: number;
  /**
   * Lower a stride that does not fit beside a long question to half the room left (HF refuses
   * instead): what lets one max_length/stride setting serve questions of every length.
   */
  readonly fitStride?: boolean;
}

// Python's str.isspace set, which run_qa.py's question.lstrip() removes (JS \s differs on \x1c-\x1f, \x85, \ufeff).
const PYTHON_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function stripQuestion(question: string): string {
  let at = 0;
  while (at < question.length && PYTHON_SPACE.has(question.charCodeAt(at))) at++;
  return question.slice(at);
}

/** [start, end) token ranges of the context, one per window; the last one reaches the end. */
export function windowRanges(contextTokens: number, room: number, stride: number): [number, number][] {
  if (contextTokens <= room) return [[0, contextTokens]];
  const step = room - stride;
  const ranges: [number, number][] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(start + room, contextTokens);
    ranges.push([start, end]);
    if (end === contextTokens) return ranges;
  }
}

function bare(tokenizer: Tokenizer, text: string, what: string): { ids: number[]; offsets: [number, number][] } {
  const encoding = tokenizer.encode(text, undefined, { addSpecialTokens: false });
  if (encoding.offsets === undefined) throw new QaError(`the tokenizer cannot map the ${what}'s tokens back to characters, so answers cannot be located in it`);
  return { ids: encoding.ids, offsets: encoding.offsets };
}

export function qaWindows(tokenizer: Tokenizer, question: string, context: string, options: WindowOptions = {}): Window[] {
  const maxLength = options.maxLength ?? 384;
  const requestedStride = options.stride ?? 128;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new QaError(`max_length must be a positive integer, not ${maxLength}`);
  if (!Number.isInteger(requestedStride) || requestedStride < 0) throw new QaError(`stride must be a non-negative integer, not ${requestedStride}`);
  const template = tokenizer.template;
  if (template === undefined) throw new QaError('this tokenizer has no question/context pair layout');
  const layout = template.pair;
  const q = bare(tokenizer, stripQuestion(question), 'question');
  const c = bare(tokenizer, context, 'context');
  const specials = specialCount(layout);
  const room = maxLength - specials - q.ids.length;
  const stride = options.fitStride === true && room > 0 && requestedStride >= room ? Math.floor(room / 2) : requestedStride;
  if (q.ids.length + c.ids.length + specials > maxLength) {
    // The same two refusals as tokenizers' truncate_encodings and Encoding::truncate.
    if (room <= 0) {
      throw new QaError(`max_length = ${maxLength} is smaller than the question: it takes ${q.ids.length} tokens plus ${specials} special tokens, leaving no room for the context; raise max_length or shorten the question`);
    }
    if (stride >= room) {
      throw new QaError(`stride = ${stride} must be smaller than the ${room} context tokens that fit beside the question at max_length = ${maxLength}`);
    }
  }
  // Where the context lands in every window: after the question and the specials placed before B.
  const before = contextPosition(layout, q.ids.length);
  return windowRanges(c.ids.length, room, stride).map(([start, end]) => {
    const assembled = assemble(layout, { ids: q.ids, offsets: q.offsets }, { ids: c.ids.slice(start, end), offsets: c.offsets.slice(start, end) });
    const offsets: (Span | null)[] = assembled.ids.map(() => null);
    for (let k = start; k < end; k++) offsets[before + k - start] = c.offsets[k] ?? null;
    return {
      ids: assembled.ids,
      attentionMask: assembled.ids.map(() => 1),
      typeIds: assembled.typeIds,
      offsets,
      contextStart: before,
      contextEnd: before + end - start,
    };
  });
}

function contextPosition(layout: readonly TemplatePlacement[], questionTokens: number): number {
  let at = 0;
  for (const piece of layout) {
    if (piece.sequence === 'B') return at;
    at += piece.special?.length ?? (piece.sequence === 'A' ? questionTokens : 0);
  }
  throw new QaError('the tokenizer\'s pair layout has no place for the context');
}
