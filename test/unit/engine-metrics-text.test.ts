/**
 * engine/metrics bleu, rouge and squad against their reference implementations: cases worked out by
 * hand, values published with the references (sacreBLEU's README and test suite, rouge_score's tests
 * against ROUGE-1.5.5), and values printed by the references themselves:
 *   - sacreBLEU 2.6.0 (its PyPI wheel installed into a scratch venv), through
 *     `BLEU().corpus_score(hyps, refs)` and `Tokenizer13a()(text)` as in each comment;
 *   - rouge_score's `tokenize.tokenize(text, None)`, `rouge_scorer._score_ngrams` and
 *     `scoring.fmeasure` (google-research rouge/, run from source with use_stemmer=False);
 *   - the official SQuAD `evaluate-v2.0.py` functions run on the lists below (no na_prob file).
 * When written, the three modules also agreed with those references on 400 random corpora of
 * punctuation, entities, digits, line breaks and non-ASCII text (BLEU within 2e-15).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bleuFromStatistics, corpusBleu, exactMatch, normalizeAnswer, rouge, rougeN, rougePair, rougeTokenize,
  squadV2, tokenF1, tokenize13a, type BleuScore, type RougeScore,
} from '../../engine/metrics/index.js';

function close(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

function closeBleu(actual: BleuScore, expected: BleuScore, tolerance = 1e-9): void {
  close(actual.score, expected.score, tolerance);
  assert.equal(actual.precisions.length, 4);
  expected.precisions.forEach((p, n) => { close(actual.precisions[n] ?? NaN, p, tolerance); });
  close(actual.bp, expected.bp, tolerance);
  assert.equal(actual.sysLen, expected.sysLen);
  assert.equal(actual.refLen, expected.refLen);
}

function closeRouge(actual: RougeScore, precision: number, recall: number, f1: number, tolerance = 1e-12): void {
  close(actual.precision, precision, tolerance);
  close(actual.recall, recall, tolerance);
  close(actual.f1, f1, tolerance);
}

// sacreBLEU's README example (also test/test_bleu.py's test_corpus_bleu_cases), as streams: one list
// per reference, each aligned with SYSTEM.
const SYSTEM = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
const REF_STREAMS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const perHypothesis = (streams: readonly (readonly string[])[]): string[][] =>
  SYSTEM.map((_, i) => streams.map((stream) => stream[i] ?? ''));

describe('tokenize13a', () => {
  // Tokenizer13a()(text) from sacreBLEU 2.6.0.
  const table: readonly (readonly [string, string])[] = [
    ['The dog bit the man.', 'The dog bit the man .'],
    ["It wasn't surprising.", "It wasn't surprising ."],
    ['&quot;Hello&quot; &amp; &lt;b&gt;', '" Hello " & < b >'],
    ['&amp;quot;', '& quot ;'],
    ['AT&T &amp; co', 'AT & T & co'],
    ['3.14 and 1,000 people, 5-6 years.', '3.14 and 1,000 people , 5 - 6 years .'],
    ['well-known e-mail', 'well-known e-mail'],
    ['line-\nbreak', 'linebreak'],
    ['a\nb', 'a b'],
    ['<skipped> text', 'text'],
    [
      'Price: $5 (approx.) [sic] {x} @home #tag 100% a/b ~ ^ _ `x` | \\ ; =?!',
      'Price : $ 5 ( approx . ) [ sic ] { x } @ home # tag 100 % a / b ~ ^ _ ` x ` | \\ ; = ? !',
    ],
    ['naïve café — “quoted” …', 'naïve café — “quoted” …'],
    ['U.S.A. and e.g., 2.5.', 'U . S . A . and e . g . , 2.5 .'],
    ['.5 and 5. and ,5', '. 5 and 5 . and , 5'],
    // Python's str.split(): U+0085, U+00A0 and U+001F separate, U+FEFF does not.
    ['a\u0085b\u00a0c\ufeffd\u001fe', 'a b c\ufeffd e'],
    ['hi😀. 😀,x', 'hi😀 . 😀 , x'],
    ['  spaced   out  ', 'spaced out'],
    ['', ''],
  ];
  for (const [text, tokens] of table) {
    it(`tokenizes ${JSON.stringify(text)}`, () => { assert.equal(tokenize13a(text), tokens); });
  }
});

describe('corpusBleu', () => {
  it("reproduces sacreBLEU's README example with two reference streams: BLEU 48.53", () => {
    // README: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18);
    // test_bleu.py asserts 48.530827 within 1e-8. Full precision from sacreBLEU 2.6.0.
    closeBleu(corpusBleu(SYSTEM, perHypothesis(REF_STREAMS)), {
      score: 48.530827009929865,
      precisions: [82.3529411764706, 50.0, 45.45454545454545, 37.5],
      bp: 0.9428731438548749, sysLen: 17, refLen: 18,
    });
  });

  it('scores each reference stream of the README example alone (sacreBLEU 2.6.0)', () => {
    // corpus_score(sys, refs[:1]) → 45.07 70.6/42.9/36.4/37.5, BP 1 (17 = 17); counts 12/6/4/3.
    closeBleu(corpusBleu(SYSTEM, REF_STREAMS[0] ?? []), {
      score: 45.06750632106114,
      precisions: [70.58823529411765, 42.857142857142854, 36.36363636363637, 37.5],
      bp: 1, sysLen: 17, refLen: 17,
    });
    // corpus_score(sys, refs[1:]) → 28.33, counts 12/6/3/1, ref_len 19 so BP = e^(1 − 19/17).
    closeBleu(corpusBleu(SYSTEM, REF_STREAMS[1] ?? []), {
      score: 28.330553664429278,
      precisions: [70.58823529411765, 42.857142857142854, 27.272727272727273, 12.5],
      bp: 0.8890097654027757, sysLen: 17, refLen: 19,
    });
  });

  it('keeps empty hypotheses and scores them 0 (test_bleu.py)', () => {
    // ('', '', '') against the README references: sys_len 0 → BP 0, no match → BLEU 0. ref_len takes
    // the reference closest to 0 tokens, the shortest: 6 ('The dog bit the man .') + 5 + 6 = 17.
    closeBleu(corpusBleu(['', '', ''], perHypothesis(REF_STREAMS)), {
      score: 0, precisions: [0, 0, 0, 0], bp: 0, sysLen: 0, refLen: 17,
    });
  });

  it("counts clipped matches as test_bleu.py's test_statistics, and smooths the empty 4-gram order", () => {
    // test_bleu.py: common [4, 2, 1, 0], total [6, 5, 4, 3]. Unigrams 'am I am a character sequence'
    // against 'I am a symbol string sequence a a': am ×2 clipped to 1, I, a, sequence → 4 of 6.
    // 'exp' smoothing: the first order with no match gets 100 / (2 · 3). BP = e^(1 − 8/6).
    // Score from sacreBLEU 2.6.0: 23.263472697663296.
    const result = corpusBleu(['am I am a character sequence'], ['I am a symbol string sequence a a']);
    closeBleu(result, {
      score: 23.263472697663296,
      precisions: [400 / 6, 40, 25, 100 / 6],
      bp: Math.exp(1 - 8 / 6), sysLen: 6, refLen: 8,
    });
    const byHand = Math.exp(1 - 8 / 6) * Math.exp((Math.log(400 / 6) + Math.log(40) + Math.log(25) + Math.log(100 / 6)) / 4);
    close(result.score, byHand, 1e-9);
  });

  it('halves the smoothed precision again for each further order with no match (issue #98 sentence)', () => {
    // test_sentence_bleu.py: 8.493 with exp smoothing and 13a (there with effective_order, which
    // changes nothing when every order has n-grams). Counts 5/2/0/0 of 14/13/12/11: the 3-grams get
    // 100/(2·12), the 4-grams 100/(4·11). Full precision from sacreBLEU 2.6.0.
    const result = corpusBleu(
      ['Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;'],
      ['producţia de zahăr brut se exprimă în zahăr alb;'],
    );
    closeBleu(result, {
      score: 8.493098745313148,
      precisions: [500 / 14, 200 / 13, 100 / 24, 100 / 44],
      bp: 1, sysLen: 14, refLen: 10,
    });
  });

  it('is 0 without smoothing when nothing matches (issue #141)', () => {
    closeBleu(corpusBleu(['this is a cat'], ['okay thanks']), {
      score: 0, precisions: [0, 0, 0, 0], bp: 1, sysLen: 4, refLen: 2,
    });
  });

  it('is 100 for a perfect match, up to exp(log 100) rounding', () => {
    // sacreBLEU 2.6.0 prints 100.00000000000004 here. Trailing whitespace is stripped first.
    const result = corpusBleu(['The cat sat on the mat.\n  '], ['The cat sat on the mat.']);
    closeBleu(result, { score: 100, precisions: [100, 100, 100, 100], bp: 1, sysLen: 7, refLen: 7 });
  });

  it('is 0 for a corpus shorter than four tokens, however well it matches', () => {
    // 'a b c' against itself: no 4-gram at all, so the loop stops and precision 4 stays 0 (my_log floor).
    const result = corpusBleu(['a b c'], ['a b c']);
    closeBleu(result, { score: 0, precisions: [100, 100, 100, 0], bp: 1, sysLen: 3, refLen: 3 });
  });

  it('applies the brevity penalty to a short hypothesis that matches exactly', () => {
    // Hypothesis 'the quick brown fox' (4) inside a 9-token reference: every n-gram matches, so
    // precisions are 100 and BLEU = 100 · e^(1 − 9/4) = 100 · e^(−1.25) = 28.650479686019…
    const result = corpusBleu(['the quick brown fox'], ['the quick brown fox jumps over the lazy dog']);
    closeBleu(result, {
      score: 100 * Math.exp(-1.25), precisions: [100, 100, 100, 100], bp: Math.exp(-1.25), sysLen: 4, refLen: 9,
    });
    close(result.score, 28.650479686019, 1e-9);
  });

  it('pools statistics over the corpus rather than averaging sentence scores', () => {
    // Segment 1 'a b c d' = its reference: 4/3/2/1 of 4/3/2/1. Segment 2 'w x y z' vs 'w q r s':
    // 1/0/0/0 of 4/3/2/1. Pooled: 5/8, 3/6, 2/4, 1/2 → BLEU = (62.5 · 50³)^(1/4) = 50 · 1.25^(1/4)
    // = 52.87…, where the mean of the two sentence scores would be (100 + 15.97…)/2.
    const pooled = corpusBleu(['a b c d', 'w x y z'], ['a b c d', 'w q r s']);
    closeBleu(pooled, { score: 50 * 1.25 ** 0.25, precisions: [62.5, 50, 50, 50], bp: 1, sysLen: 8, refLen: 8 });
  });

  it('takes the closest reference length, the shorter one on a tie, and clips by the best reference', () => {
    // 6 tokens against references of 8 and 4 tokens: both 2 away, so ref_len 4 (sacreBLEU 2.6.0).
    closeBleu(corpusBleu(['a b c d e f'], [['a b c d e f g h', 'a b c d']]), {
      score: 100, precisions: [100, 100, 100, 100], bp: 1, sysLen: 6, refLen: 4,
    });
    // 'the the the the' against 'the cat' and 'the the dog': the is clipped at max(1, 2) = 2 → 2/4;
    // 'the the' at 1 of 3; no 3- or 4-gram match: 100/(2·2) and 100/(4·1). Closest length 3, so no
    // penalty. BLEU = (50 · 100/3 · 25 · 25)^(1/4); sacreBLEU 2.6.0 prints 31.947155212313625.
    const clipped = corpusBleu(['the the the the'], [['the cat', 'the the dog']]);
    close(clipped.score, 31.947155212313625, 1e-9);
    closeBleu(clipped, {
      score: Math.exp((Math.log(50) + Math.log(100 / 3) + Math.log(25) + Math.log(25)) / 4),
      precisions: [50, 100 / 3, 25, 25], bp: 1, sysLen: 4, refLen: 3,
    });
  });

  it('is case-sensitive', () => {
    // 'The Cat' and 'the cat' differ: 3 of 5 unigrams match (sacreBLEU 2.6.0: 60.0/50.0/33.3/25.0).
    close(corpusBleu(['The Cat sat down today'], ['the cat sat down today']).precisions[0] ?? NaN, 60);
  });

  it('rejects mismatched or empty input', () => {
    assert.throws(() => corpusBleu(['a'], []), /1 hypotheses but 0 references/);
    assert.throws(() => corpusBleu([], []), /at least one/);
    assert.throws(() => corpusBleu(['a'], [[]]), /empty list/);
  });
});

describe('bleuFromStatistics', () => {
  it("matches test_bleu.py's test_scoring: 0.8375922397 for 9/7/5/3 of 10/8/6/4 at equal lengths", () => {
    const result = bleuFromStatistics({ correct: [9, 7, 5, 3], total: [10, 8, 6, 4], sysLen: 11, refLen: 11 });
    close(result.score / 100, 0.8375922397, 1e-8);
  });
});

describe('rougeTokenize', () => {
  it('lowercases and keeps only runs of ASCII letters and digits', () => {
    assert.deepEqual(rougeTokenize("It's 2024: déjà-vu, AT&T!"), ['it', 's', '2024', 'd', 'j', 'vu', 'at', 't']);
    assert.deepEqual(rougeTokenize(' / — '), []);
  });
});

describe('rougePair', () => {
  it("matches rouge_score's own tests (rouge_scorer_test.py)", () => {
    // testRouge1: target 'testing one two', prediction 'testing' → P 1, R 1/3, F 1/2.
    closeRouge(rougeN('testing', 'testing one two', 1), 1, 1 / 3, 1 / 2);
    // testRouge2: prediction 'testing one' → bigram P 1, R 1/2, F 2/3.
    closeRouge(rougeN('testing one', 'testing one two', 2), 1, 1 / 2, 2 / 3);
    // testRougeEmpty: an empty prediction scores 0 everywhere.
    const empty = rougePair('', 'testing one two');
    closeRouge(empty.rouge1, 0, 0, 0);
    closeRouge(empty.rouge2, 0, 0, 0);
  });

  it('matches ROUGE-1.5.5 on rouge_score testdata lines 0 and 1 (5 decimals, as rouge_scorer_test.py)', () => {
    // rouge/testdata/prediction.txt and target.txt; ground truth from manual ROUGE-1.5.5 runs.
    const first = rougePair(
      "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi",
      "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM " +
        "EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L",
    );
    closeRouge(first.rouge1, 0.68750, 0.40741, 0.51163, 5e-6);
    closeRouge(first.rouge2, 0.53333, 0.30769, 0.39024, 5e-6);
    const second = rougePair(
      "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J " +
        "XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD",
      "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m " +
        "qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing " +
        "UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN",
    );
    closeRouge(second.rouge1, 0.65385, 0.40476, 0.50000, 5e-6);
    closeRouge(second.rouge2, 0.48000, 0.29268, 0.36364, 5e-6);
    // rouge_score run from source gives these exactly: 11/16, 11/27; 8/15, 4/13.
    closeRouge(first.rouge1, 11 / 16, 11 / 27, 0.5116279069767441);
    closeRouge(first.rouge2, 8 / 15, 4 / 13, 0.3902439024390244);
  });

  it('clips repeated n-grams by the smaller count', () => {
    // 'the the the' vs 'the cat': unigram overlap min(3, 1) = 1 → P 1/3, R 1/2, F 2·(1/6)/(5/6) = 2/5.
    // Bigrams 'the the' ×2 vs 'the cat': no overlap → 0.
    const result = rougePair('the the the', 'the cat');
    closeRouge(result.rouge1, 1 / 3, 1 / 2, 2 / 5);
    closeRouge(result.rouge2, 0, 0, 0);
  });

  it('scores the classic fox example', () => {
    // Prediction 'The quick brown dog jumps on the log.' → the quick brown dog jumps on the log (8);
    // reference 'The quick brown fox jumps over the lazy dog' (9). Unigrams: the ×2, quick, brown,
    // dog, jumps → 6: P 6/8, R 6/9, F 12/17. Bigrams (7 vs 8): 'the quick', 'quick brown' → P 2/7,
    // R 2/8, F 2·(1/14)/(15/28) = 4/15.
    const result = rougePair('The quick brown dog jumps on the log.', 'The quick brown fox jumps over the lazy dog');
    closeRouge(result.rouge1, 6 / 8, 6 / 9, 12 / 17);
    closeRouge(result.rouge2, 2 / 7, 2 / 8, 4 / 15);
  });

  it('splits on non-ASCII letters instead of keeping them', () => {
    // 'Café naïve déjà-vu 2024!' → caf na ve d j vu 2024 (7); 'cafe naive deja vu 2024' (5).
    // Unigrams vu, 2024 → P 2/7, R 2/5, F 1/3; bigram 'vu 2024' → P 1/6, R 1/4, F 1/5.
    const result = rougePair('Café naïve déjà-vu 2024!', 'cafe naive deja vu 2024');
    closeRouge(result.rouge1, 2 / 7, 2 / 5, 1 / 3);
    closeRouge(result.rouge2, 1 / 6, 1 / 4, 1 / 5);
  });
});

describe('rouge', () => {
  it('averages precision, recall and F1 over the examples', () => {
    // Pairs: perfect ('hello there'), the clipped case above, and no overlap.
    //   rouge1: P (1 + 1/3 + 0)/3 = 4/9, R (1 + 1/2 + 0)/3 = 1/2, F (1 + 2/5 + 0)/3 = 7/15
    //   rouge2: P (1 + 0 + 0)/3 = 1/3, R 1/3, F 1/3
    // The mean F1 (7/15) differs from the F1 of the mean P and R (2·(4/9)(1/2)/(17/18) = 8/17).
    const result = rouge(['hello there', 'the the the', 'general kenobi'], ['hello there', 'the cat', 'obi wan']);
    closeRouge(result.rouge1, 4 / 9, 1 / 2, 7 / 15);
    closeRouge(result.rouge2, 1 / 3, 1 / 3, 1 / 3);
  });

  it("gives 1 for evaluate's docstring example", () => {
    const result = rouge(['hello there', 'general kenobi'], ['hello there', 'general kenobi']);
    closeRouge(result.rouge1, 1, 1, 1);
    closeRouge(result.rouge2, 1, 1, 1);
  });

  it('rejects mismatched or empty input', () => {
    assert.throws(() => rouge(['a'], ['a', 'b']), /1 predictions but 2 references/);
    assert.throws(() => rouge([], []), /at least one/);
    assert.throws(() => rougeN('a', 'a', 0), /positive integer/);
  });
});

describe('normalizeAnswer', () => {
  // normalize_answer from evaluate-v2.0.py on each input.
  const table: readonly (readonly [string, string])[] = [
    ['The  Quick, brown FOX!', 'quick brown fox'],
    ['an apple a day', 'apple day'],
    // Python's \b is Unicode: é is a word character, so 'a' after it is no article.
    ['éa bananas', 'éa bananas'],
    // Punctuation goes first, so 'the-end' becomes 'theend' and keeps its 'the'.
    ['théâtre the_end the-end', 'théâtre theend theend'],
    // Lowercasing maps Ⅻ (U+216B) to ⅻ (U+217B); numerals are word characters too.
    ['Ⅻ the ½ an', 'ⅻ ½'],
    // string.punctuation is ASCII only.
    ['“Curly” quotes — dash', '“curly” quotes — dash'],
    ['aaa an.a tHe', 'aaa ana'],
    ['', ''],
  ];
  for (const [text, normalized] of table) {
    it(`normalizes ${JSON.stringify(text)}`, () => { assert.equal(normalizeAnswer(text), normalized); });
  }
});

describe('exactMatch and tokenF1', () => {
  it('match after normalization', () => {
    assert.equal(exactMatch('the Denver Broncos!', 'Denver Broncos'), 1);
    assert.equal(exactMatch('Denver', 'Denver Broncos'), 0);
    assert.equal(tokenF1('the Denver Broncos!', 'Denver Broncos'), 1);
  });

  it('give token F1 for partial overlaps, counting repeated tokens once each', () => {
    // 'Denver' vs 'Denver Broncos': P 1, R 1/2 → 2/3.
    close(tokenF1('Denver', 'Denver Broncos'), 2 / 3);
    // 'in 1990s' vs 'the 1990s' → [in, 1990s] vs [1990s]: P 1/2, R 1 → 2/3.
    close(tokenF1('in 1990s', 'the 1990s'), 2 / 3);
    // 'a b b c' → [b, b, c] vs 'b c c d': common min(b 2,1) + min(c 1,2) = 2; P 2/3, R 2/4 → 4/7.
    close(tokenF1('a b b c', 'b c c d'), 4 / 7);
    assert.equal(tokenF1('Carolina', 'Panthers'), 0);
  });

  it('score the empty answer 1 only against the empty answer', () => {
    assert.equal(exactMatch('', ''), 1);
    assert.equal(tokenF1('', ''), 1);
    assert.equal(tokenF1('x', ''), 0);
    assert.equal(tokenF1('', 'x'), 0);
    // An answer of articles and punctuation only is empty after normalization.
    assert.equal(tokenF1('The.', ''), 1);
  });
});

describe('squadV2', () => {
  it('matches evaluate-v2.0.py on answerable and unanswerable questions', () => {
    // Per question (exact, f1), from the official script:
    //   0 'Denver Broncos' vs [Denver Broncos, Broncos]  → 1, 1
    //   1 'the Broncos'    vs [Denver Broncos]           → 0, 2/3 (P 1, R 1/2)
    //   2 ''               unanswerable                  → 1, 1
    //   3 ''               vs [Panthers]                 → 0, 0
    //   4 'Carolina'       unanswerable                  → 0, 0
    //   5 'in 1990s'       vs [the 1990s, 1990]          → 0, max(2/3, 0) = 2/3
    //   6 'the'            vs [The]: normalizes to '', so gold becomes [''] yet the question stays
    //                      answerable                    → 1, 1
    // All: exact 3/7, f1 (1 + 2/3 + 1 + 0 + 0 + 2/3 + 1)/7 = (13/3)/7 = 13/21.
    // HasAns (0, 1, 3, 5, 6): exact 2/5, f1 (1 + 2/3 + 0 + 2/3 + 1)/5 = 2/3. NoAns (2, 4): 1/2, 1/2.
    const result = squadV2(
      ['Denver Broncos', 'the Broncos', '', '', 'Carolina', 'in 1990s', 'the'],
      [['Denver Broncos', 'Broncos'], ['Denver Broncos'], [], ['Panthers'], [], ['the 1990s', '1990'], ['The']],
    );
    close(result.exact, 42.857142857142854);
    close(result.f1, 61.904761904761905);
    close(result.exact, (100 * 3) / 7);
    close(result.f1, (100 * 13) / 21);
    assert.equal(result.total, 7);
    close(result.HasAns_exact ?? NaN, 40);
    close(result.HasAns_f1 ?? NaN, 66.66666666666666);
    assert.equal(result.HasAns_total, 5);
    close(result.NoAns_exact ?? NaN, 50);
    close(result.NoAns_f1 ?? NaN, 50);
    assert.equal(result.NoAns_total, 2);
  });

  it('omits the NoAns totals when every question has an answer', () => {
    assert.deepEqual(squadV2(['Paris'], [['paris!']]), {
      exact: 100, f1: 100, total: 1, HasAns_exact: 100, HasAns_f1: 100, HasAns_total: 1,
    });
  });

  it('omits the HasAns totals when every question is unanswerable', () => {
    // '' is right (1, 1); 'x' is wrong (0, 0).
    assert.deepEqual(squadV2(['', 'x'], [[], []]), {
      exact: 50, f1: 50, total: 2, NoAns_exact: 50, NoAns_f1: 50, NoAns_total: 2,
    });
  });

  it('rejects mismatched or empty input', () => {
    assert.throws(() => squadV2(['a'], []), /1 predictions but 0 gold/);
    assert.throws(() => squadV2([], []), /at least one/);
  });
});
