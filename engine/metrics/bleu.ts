/**
 * Corpus BLEU as sacreBLEU 2.x computes it by default, `BLEU().corpus_score(hypotheses, [references])`:
 * tokenizer 13a, n-grams up to 4, brevity penalty against the closest reference length, smoothing
 * `exp`, case-sensitive, no effective order, on the 0–100 scale (signature
 * `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp`). Checked against sacreBLEU 2.6.0 and its own test
 * suite in test/unit/engine-metrics-text.test.ts.
 */

export interface BleuScore {
  /** 0–100. */
  readonly score: number;
  /** Modified n-gram precisions for n = 1..4, 0–100, after smoothing. */
  readonly precisions: number[];
  /** Brevity penalty. */
  readonly bp: number;
  /** Hypothesis tokens in the corpus. */
  readonly sysLen: number;
  /** Sum over segments of the reference length closest to the hypothesis length. */
  readonly refLen: number;
}

/** Sufficient statistics of a corpus: clipped matches and hypothesis n-grams per order, and lengths. */
export interface BleuStatistics {
  readonly correct: readonly number[];
  readonly total: readonly number[];
  readonly sysLen: number;
  readonly refLen: number;
}

const MAX_ORDER = 4;

/** sacreBLEU's `my_log(0)`: a floor instead of −∞, so exp() of the mean gives exactly 0. */
const LOG_ZERO = -9999999999;

/**
 * The characters Python's `str.isspace()` accepts, which `str.split()` and `str.rstrip()` use.
 * JavaScript's `\s` differs: it lacks U+001C–U+001F and U+0085 and adds U+FEFF.
 */
const PYTHON_WHITESPACE = new Set([
  '\t', '\n', '\v', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f', ' ', '\u0085', '\u00a0', '\u1680',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
]);

/** Python's `text.split()` with no argument: runs of whitespace separate, empty pieces are dropped. */
export function pythonSplit(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    // All of Python's whitespace lies in the BMP, so a UTF-16 code unit test is exact.
    if (PYTHON_WHITESPACE.has(text.charAt(i))) {
      if (start >= 0) words.push(text.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) words.push(text.slice(start));
  return words;
}

function pythonRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && PYTHON_WHITESPACE.has(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

// The mteval-v13a regexes of sacrebleu/tokenizers/tokenizer_re.py, in order. The first class is
// `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: all ASCII punctuation except ' , - . (and the space itself).
const SYMBOLS = /([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu;
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/**
 * sacreBLEU's `Tokenizer13a()(line)`: drop `<skipped>`, join `-\n` line breaks, unescape the four
 * XML entities mteval knows, split punctuation off, and collapse whitespace to single spaces.
 */
export function tokenize13a(text: string): string {
  let line = text.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&')) {
    // Order matters: `&amp;quot;` becomes `&quot;`, not `"`, as in sacreBLEU.
    line = line.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  line = ` ${line} `
    .replace(SYMBOLS, ' $1 ')
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return pythonSplit(line).join(' ');
}

/**
 * Corpus BLEU of hypotheses against references. `references[i]` is the reference of hypothesis i,
 * or a list of them (sacreBLEU takes the transpose: one stream per reference; an absent reference
 * there is a shorter list here).
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
): BleuScore {
  if (hypotheses.length !== references.length) {
    throw new Error(`BLEU has ${hypotheses.length} hypotheses but ${references.length} references`);
  }
  if (hypotheses.length === 0) throw new Error('BLEU needs at least one hypothesis');
  const correct = new Array<number>(MAX_ORDER).fill(0);
  const total = new Array<number>(MAX_ORDER).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hypothesis, i) => {
    const refs = references[i] ?? [];
    const refList = typeof refs === 'string' ? [refs] : refs;
    if (refList.length === 0) throw new Error(`BLEU reference ${i} is an empty list`);
    const segment = segmentStatistics(preprocess(hypothesis), refList.map(preprocess));
    segment.correct.forEach((count, n) => { correct[n] = (correct[n] ?? 0) + count; });
    segment.total.forEach((count, n) => { total[n] = (total[n] ?? 0) + count; });
    sysLen += segment.sysLen;
    refLen += segment.refLen;
  });
  return bleuFromStatistics({ correct, total, sysLen, refLen });
}

/** sacreBLEU's `BLEU.compute_bleu` with smooth_method 'exp', effective_order false, order 4. */
export function bleuFromStatistics(stats: BleuStatistics): BleuScore {
  const { correct, total, sysLen, refLen } = stats;
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  // No match of any order: 0 without smoothing (sacreBLEU issue #141).
  if (!correct.some((count) => count !== 0)) return { score: 0, precisions, bp, sysLen, refLen };
  // 'exp' (mteval-v13a's NIST smoothing): the k-th order with no match gets precision 1/(2^k · total).
  let smooth = 1;
  for (let n = 0; n < MAX_ORDER; n++) {
    const matched = correct[n] ?? 0;
    const guessed = total[n] ?? 0;
    // A corpus shorter than n tokens leaves this order and those above at precision 0, so BLEU 0.
    if (guessed === 0) break;
    if (matched === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * guessed);
    } else {
      precisions[n] = (100 * matched) / guessed;
    }
  }
  let logSum = 0;
  for (const p of precisions) logSum += p === 0 ? LOG_ZERO : Math.log(p);
  return { score: bp * Math.exp(logSum / MAX_ORDER), precisions, bp, sysLen, refLen };
}

/** `BLEU._preprocess_segment`: strip trailing whitespace, then tokenize; the result as tokens. */
function preprocess(segment: string): string[] {
  return pythonSplit(tokenize13a(pythonRstrip(segment)));
}

interface SegmentStatistics {
  readonly correct: number[];
  readonly total: number[];
  readonly sysLen: number;
  readonly refLen: number;
}

/** `BLEU._compute_segment_statistics`: matches are clipped by the largest count in any one reference. */
function segmentStatistics(hypothesis: readonly string[], references: readonly (readonly string[])[]): SegmentStatistics {
  const refCounts = new Map<string, number>();
  for (const reference of references) {
    for (const [ngram, count] of ngramCounts(reference)) {
      refCounts.set(ngram, Math.max(refCounts.get(ngram) ?? 0, count));
    }
  }
  const correct = new Array<number>(MAX_ORDER).fill(0);
  const total = new Array<number>(MAX_ORDER).fill(0);
  for (const [ngram, count] of ngramCounts(hypothesis)) {
    // Tokens hold no spaces, so the order of a key is one more than its spaces.
    const n = ngram.split(' ').length - 1;
    total[n] = (total[n] ?? 0) + count;
    correct[n] = (correct[n] ?? 0) + Math.min(count, refCounts.get(ngram) ?? 0);
  }
  return {
    correct, total, sysLen: hypothesis.length,
    refLen: closestRefLength(hypothesis.length, references.map((reference) => reference.length)),
  };
}

/** All n-grams of orders 1..4, keyed by their tokens joined with a space. */
function ngramCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= MAX_ORDER; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const ngram = tokens.slice(i, i + n).join(' ');
      counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
    }
  }
  return counts;
}

/** `BLEU._get_closest_ref_len`: the reference length nearest the hypothesis length, the shorter on a tie. */
function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let best = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    const bestDiff = Math.abs(hypLen - best);
    if (best < 0 || diff < bestDiff || (diff === bestDiff && len < best)) best = len;
  }
  return best;
}
