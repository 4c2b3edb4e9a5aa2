/**
 * engine/qa: SQuAD-style overflow windows over the fixture QA tokenizers, training labels per
 * window (run_qa.py prepare_train_features), and answer decoding across windows
 * (postprocess_qa_predictions with version_2_with_negative, scored as the pipeline does).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  QaError, decodeAnswer, parseAnswers, qaWindows, readWindowLogits, windowLabels,
  type QaAnswers, type Span, type Window, type WindowLogits,
} from '../../engine/qa/index.js';
import { loadTokenizer, type Tokenizer } from '../../engine/tokenizers/index.js';

// Compiled to dist/test/unit, so the fixtures are three levels up from there.
const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');
const FAMILIES = ['roberta', 'distilbert'] as const;
type Family = (typeof FAMILIES)[number];

const QUESTION = 'Where does the cat sleep?';
const CONTEXT = 'The cat sleeps on the sofa every afternoon. The dog prefers the garden. The train to Madrid leaves at nine in the morning from the central station.';
const MAX_LENGTH = 36;
const STRIDE = 8;
/**
 * [start, end) of each window in the context's own tokens at MAX_LENGTH/STRIDE, as HF's fast
 * tokenizer gives them (checked against tokenizers' Encoding::truncate: room = 36 - specials -
 * question tokens, step = room - stride).
 */
const RANGES: Record<Family, [number, number][]> = {
  roberta: [[0, 23], [15, 38], [30, 50]], // 4 specials, 9 question tokens, 50 context tokens
  distilbert: [[0, 25], [17, 42], [34, 51]], // 3 specials, 8 question tokens, 51 context tokens
};

const tokenizers = new Map<Family, Tokenizer>();
function tokenizerOf(family: Family): Tokenizer {
  const tokenizer = tokenizers.get(family);
  assert.ok(tokenizer !== undefined);
  return tokenizer;
}
before(async () => {
  for (const family of FAMILIES) tokenizers.set(family, await loadTokenizer(path.join(GOLDEN, `${family}-question-answering`, 'safetensors')));
});

function bareIds(tokenizer: Tokenizer, text: string): number[] {
  return tokenizer.encode(text, undefined, { addSpecialTokens: false }).ids;
}

function contextIds(window: Window): number[] {
  return window.ids.slice(window.contextStart, window.contextEnd);
}

function contextOffsets(window: Window): Span[] {
  return window.offsets.slice(window.contextStart, window.contextEnd).map((span) => {
    assert.ok(span !== null);
    return span;
  });
}

/** SQuAD's answers for the first occurrence of text; answer_start counts code points. */
function answers(context: string, text: string): QaAnswers {
  const at = context.indexOf(text);
  assert.ok(at >= 0, text);
  return { text: [text], answerStart: [Array.from(context.slice(0, at)).length] };
}

function labelsOf(windows: readonly Window[], context: string, given: QaAnswers): { start: number; end: number }[] {
  const result = windowLabels(windows, context, given);
  assert.equal(result.kind, 'labels');
  return result.positions;
}

/** The text between a window's start and end label, by offsets. */
function labelled(window: Window, context: string, position: { start: number; end: number }): string {
  const start = window.offsets[position.start];
  const end = window.offsets[position.end];
  assert.ok(start !== null && start !== undefined && end !== null && end !== undefined, 'labels point at context tokens');
  return context.slice(start[0], end[1]);
}

for (const family of FAMILIES) {
  describe(`qaWindows (${family})`, () => {
    it('cuts a long context into three windows that overlap by stride tokens', () => {
      const tokenizer = tokenizerOf(family);
      const windows = qaWindows(tokenizer, QUESTION, CONTEXT, { maxLength: MAX_LENGTH, stride: STRIDE });
      const all = tokenizer.encode(CONTEXT, undefined, { addSpecialTokens: false });
      const question = bareIds(tokenizer, QUESTION);
      assert.equal(windows.length, 3);
      assert.deepEqual(windows.map((w) => contextIds(w)), RANGES[family].map(([a, b]) => all.ids.slice(a, b)));
      for (const [k, window] of windows.entries()) {
        assert.ok(window.ids.length <= MAX_LENGTH, `window ${k} has ${window.ids.length} tokens`);
        assert.deepEqual(window.attentionMask, window.ids.map(() => 1));
        assert.equal(window.typeIds?.length, window.ids.length);
        // The question whole, right after the first special token, in every window.
        assert.deepEqual(window.ids.slice(1, 1 + question.length), question);
        assert.ok(window.offsets.slice(0, window.contextStart).every((span) => span === null), 'question and specials have no offsets');
        assert.ok(window.offsets.slice(window.contextEnd).every((span) => span === null));
        const next = windows[k + 1];
        if (next !== undefined) {
          assert.deepEqual(contextIds(window).slice(-STRIDE), contextIds(next).slice(0, STRIDE));
          assert.deepEqual(contextOffsets(window).slice(-STRIDE), contextOffsets(next).slice(0, STRIDE));
        }
      }
      // The last window ends with the context, and the first is what plain truncation keeps.
      assert.equal(contextOffsets(windows[2] as Window).at(-1)?.[1], CONTEXT.length);
      assert.deepEqual(windows[0]?.ids, tokenizer.encode(QUESTION, CONTEXT, { maxLength: MAX_LENGTH, truncation: 'only_second' }).ids);
    });

    it('maps every context token back to its own characters', () => {
      const tokenizer = tokenizerOf(family);
      for (const window of qaWindows(tokenizer, QUESTION, CONTEXT, { maxLength: MAX_LENGTH, stride: STRIDE })) {
        for (const [k, [start, end]] of contextOffsets(window).entries()) {
          const id = window.ids[window.contextStart + k] ?? -1;
          const piece = tokenizer.decode([id]).replace(/^##/, '').trim();
          assert.equal(CONTEXT.slice(start, end).toLowerCase(), piece.toLowerCase(), `token ${id}`);
        }
      }
    });

    it('gives one window equal to encode(question, context) when everything fits', async () => {
      const tokenizer = tokenizerOf(family);
      const golden = JSON.parse(await readFile(path.join(GOLDEN, `${family}-question-answering`, 'golden.json'), 'utf8')) as {
        inputs: { questions: string[]; contexts: string[]; input_ids: number[][]; attention_mask: number[][] };
      };
      for (const [k, question] of golden.inputs.questions.entries()) {
        const context = golden.inputs.contexts[k] ?? '';
        const windows = qaWindows(tokenizer, question, context);
        const encoded = tokenizer.encode(question, context);
        const [window] = windows;
        assert.equal(windows.length, 1);
        assert.ok(window !== undefined);
        assert.deepEqual(window.ids, encoded.ids);
        assert.deepEqual(window.typeIds, encoded.typeIds);
        assert.deepEqual(window.attentionMask, encoded.attentionMask);
        // ...which is what transformers' tokenizer gave (padding stripped).
        const mask = golden.inputs.attention_mask[k] ?? [];
        assert.deepEqual(window.ids, golden.inputs.input_ids[k]?.filter((_, i) => mask[i] === 1));
      }
    });

    it('strips the question of leading whitespace, as run_qa.py does', () => {
      const tokenizer = tokenizerOf(family);
      const options = { maxLength: MAX_LENGTH, stride: STRIDE };
      assert.deepEqual(qaWindows(tokenizer, ' \t\n' + QUESTION, CONTEXT, options), qaWindows(tokenizer, QUESTION, CONTEXT, options));
    });

    it('refuses a max_length the question fills, and a stride as wide as the room left', () => {
      const tokenizer = tokenizerOf(family);
      // The question and the special tokens alone: not one token of room for the context.
      const full = tokenizer.encode(QUESTION, '').ids.length;
      assert.throws(() => qaWindows(tokenizer, QUESTION, CONTEXT, { maxLength: full, stride: 0 }), (error: unknown) => {
        assert.ok(error instanceof QaError);
        assert.match(error.message, new RegExp(`max_length = ${full} is smaller than the question`));
        return true;
      });
      assert.equal(qaWindows(tokenizer, QUESTION, CONTEXT, { maxLength: full + 1, stride: 0 }).length, bareIds(tokenizer, CONTEXT).length);
      assert.throws(() => qaWindows(tokenizer, QUESTION, CONTEXT, { maxLength: 20, stride: 10 }), /stride = 10 must be smaller than the/);
      assert.throws(() => qaWindows(tokenizer, QUESTION, CONTEXT, { maxLength: 0 }), QaError);
      // A context that fits needs no room for a stride.
      assert.equal(qaWindows(tokenizer, QUESTION, 'On the sofa.', { maxLength: 20, stride: 128 }).length, 1);
    });
  });

  describe(`windowLabels (${family})`, () => {
    const windows = (): Window[] => qaWindows(tokenizerOf(family), QUESTION, CONTEXT, { maxLength: MAX_LENGTH, stride: STRIDE });

    it('labels the window that holds the answer and points the others at the first token', () => {
      const w = windows();
      const positions = labelsOf(w, CONTEXT, answers(CONTEXT, 'Madrid'));
      assert.deepEqual(positions[0], { start: 0, end: 0 });
      assert.deepEqual(positions[2], { start: 0, end: 0 });
      assert.equal(labelled(w[1] as Window, CONTEXT, positions[1] ?? { start: 0, end: 0 }), 'Madrid');
    });

    it('labels an answer in the overlap in both windows', () => {
      const w = windows();
      const positions = labelsOf(w, CONTEXT, answers(CONTEXT, 'prefers'));
      assert.equal(labelled(w[0] as Window, CONTEXT, positions[0] ?? { start: 0, end: 0 }), 'prefers');
      assert.equal(labelled(w[1] as Window, CONTEXT, positions[1] ?? { start: 0, end: 0 }), 'prefers');
      assert.deepEqual(positions[2], { start: 0, end: 0 });
    });

    it('skips a window the answer runs out of', () => {
      const w = windows();
      // Starts inside window 1 and ends past it, but window 2 holds all of it.
      const straddling = labelsOf(w, CONTEXT, answers(CONTEXT, 'the garden. The train'));
      assert.ok(contextOffsets(w[0] as Window).some(([start]) => start === CONTEXT.indexOf('the garden')), 'answer starts in window 1');
      assert.deepEqual(straddling[0], { start: 0, end: 0 });
      assert.equal(labelled(w[1] as Window, CONTEXT, straddling[1] ?? { start: 0, end: 0 }), 'the garden. The train');
      // Longer than window 1's end and starting before window 2's start: no window holds it.
      const nowhere = labelsOf(w, CONTEXT, answers(CONTEXT, 'sofa every afternoon. The dog prefers the garden. The train'));
      assert.deepEqual(nowhere, [{ start: 0, end: 0 }, { start: 0, end: 0 }, { start: 0, end: 0 }]);
    });

    it('points every window at the first token for an unanswerable question', () => {
      assert.deepEqual(labelsOf(windows(), CONTEXT, parseAnswers({ text: [], answer_start: [] })), [
        { start: 0, end: 0 }, { start: 0, end: 0 }, { start: 0, end: 0 },
      ]);
    });

    it('uses the token holding the first and last characters when the answer cuts a word', () => {
      const w = windows();
      // "s|leep|s on the so|f|a" in both vocabularies.
      const [position] = labelsOf(w.slice(0, 1), CONTEXT, answers(CONTEXT, 'eeps on the so'));
      assert.equal(labelled(w[0] as Window, CONTEXT, position ?? { start: 0, end: 0 }), 'leeps on the so');
    });

    it('reports an answer_start that does not point at the answer text', () => {
      const given = answers(CONTEXT, 'Madrid');
      const result = windowLabels(windows(), CONTEXT, { text: given.text, answerStart: [(given.answerStart[0] ?? 0) + 1] });
      assert.deepEqual(result, { kind: 'mismatch', index: 0, answerStart: CONTEXT.indexOf('Madrid') + 1, text: 'Madrid', found: 'adrid ' });
    });

    it('agrees with the golden start/end positions of the fixture batch', async () => {
      const golden = JSON.parse(await readFile(path.join(GOLDEN, `${family}-question-answering`, 'golden.json'), 'utf8')) as {
        inputs: { questions: string[]; contexts: string[]; answers: string[] };
        eval: { start_positions: number[]; end_positions: number[] };
      };
      for (const [k, question] of golden.inputs.questions.entries()) {
        const context = golden.inputs.contexts[k] ?? '';
        const [position] = labelsOf(qaWindows(tokenizerOf(family), question, context), context, answers(context, golden.inputs.answers[k] ?? ''));
        assert.deepEqual(position, { start: golden.eval.start_positions[k], end: golden.eval.end_positions[k] }, question);
      }
    });

    it('reads answer_start in code points, as SQuAD and PostgreSQL count them', () => {
      const context = 'Yesterday 🎉 the cat moved from the sofa to the garden.';
      const answerStart = context.indexOf('the garden') - 1; // the emoji is one code point, two UTF-16 units
      const w = qaWindows(tokenizerOf(family), QUESTION, context);
      const positions = labelsOf(w, context, parseAnswers(JSON.stringify({ text: ['the garden'], answer_start: [answerStart] })));
      assert.equal(labelled(w[0] as Window, context, positions[0] ?? { start: 0, end: 0 }), 'the garden');
    });
  });
}

describe('parseAnswers', () => {
  it('takes the jsonb value as text or parsed', () => {
    assert.deepEqual(parseAnswers('{"text": ["x"], "answer_start": [3]}'), { text: ['x'], answerStart: [3] });
    assert.deepEqual(parseAnswers({ text: [], answer_start: [] }), { text: [], answerStart: [] });
  });

  it('refuses anything else with the expected shape in the message', () => {
    for (const bad of ['not json', null, [], { text: ['a'] }, { text: ['a'], answer_start: [] }, { text: [1], answer_start: [0] }, { text: ['a'], answer_start: [-1] }, { text: ['a'], answer_start: [1.5] }]) {
      assert.throws(() => parseAnswers(bad), (error: unknown) => error instanceof QaError && error.message.includes('"answer_start"'), JSON.stringify(bad));
    }
  });
});

/** A context of three-letter words; token i spans [4i, 4i + 3). */
const WORDS = 'aaa bbb ccc ddd eee fff ggg hhh';
const word = (i: number): Span => [4 * i, 4 * i + 3];

/** A window of [CLS] q q [SEP] <words first..last> [SEP], logits -5 except those given. */
function handMade(first: number, last: number, starts: Record<number, number> = {}, ends: Record<number, number> = {}): WindowLogits {
  const offsets: (Span | null)[] = [null, null, null, null];
  for (let i = first; i <= last; i++) offsets.push(word(i));
  offsets.push(null);
  const logits = (set: Record<number, number>): number[] => offsets.map((_, i) => set[i] ?? -5);
  return { startLogits: logits(starts), endLogits: logits(ends), offsets };
}
const at = (first: number, wordIndex: number): number => 4 + wordIndex - first;

describe('decodeAnswer', () => {
  it('takes the best span over all windows', () => {
    const windows = [
      handMade(0, 3, { [at(0, 1)]: 2 }, { [at(0, 2)]: 1 }),
      handMade(2, 5, { [at(2, 3)]: 1 }, { [at(2, 3)]: 1 }),
      handMade(4, 7, { [at(4, 5)]: 3 }, { [at(4, 6)]: 2 }),
    ];
    assert.deepEqual({ ...decodeAnswer(WORDS, windows), score: 0 }, { score: 0, start: 20, end: 27, answer: 'fff ggg' });
  });

  it('answers "" when the smallest null score beats the best span', () => {
    const span = { start: { [at(0, 1)]: 3 }, end: { [at(0, 1)]: 3 } };
    const withNull = (a: number, b: number): WindowLogits[] => [
      handMade(0, 3, { ...span.start, 0: a }, { ...span.end, 0: a }),
      handMade(2, 5, { 0: b }, { 0: b }),
    ];
    // Null scores 8 and 6.4 against a span of 6: the minimum (6.4) still wins.
    const empty = decodeAnswer(WORDS, withNull(4, 3.2));
    assert.equal(empty.answer, '');
    assert.deepEqual([empty.start, empty.end], [0, 0]);
    assert.ok(empty.score > 0 && empty.score <= 1);
    // One window's null below the span (5.8 < 6) is enough for an answer, however sure the other is.
    assert.equal(decodeAnswer(WORDS, withNull(10, 2.9)).answer, 'bbb');
    // A tie keeps the span (postprocess_qa_predictions predicts "" only when null is strictly better).
    assert.equal(decodeAnswer(WORDS, withNull(3, 3)).answer, 'bbb');
    assert.equal(decodeAnswer(WORDS, withNull(4, 3.2), { allowNoAnswer: false }).answer, 'bbb');
  });

  it('never ends before it starts, nor runs longer than maxAnswerLength', () => {
    const backwards = handMade(0, 7, { [at(0, 5)]: 4 }, { [at(0, 3)]: 4, [at(0, 6)]: 1 });
    assert.equal(decodeAnswer(WORDS, [backwards]).answer, 'fff ggg');
    const long = handMade(0, 7, { [at(0, 0)]: 4, [at(0, 5)]: 1 }, { [at(0, 7)]: 4 });
    assert.equal(decodeAnswer(WORDS, [long]).answer, 'aaa bbb ccc ddd eee fff ggg hhh');
    assert.equal(decodeAnswer(WORDS, [long], { maxAnswerLength: 3 }).answer, 'fff ggg hhh');
  });

  it('ignores question and special tokens however high their logits', () => {
    const window = handMade(0, 3, { 1: 9, [at(0, 2)]: 1 }, { 2: 9, [at(0, 2)]: 1 });
    assert.equal(decodeAnswer(WORDS, [window]).answer, 'ccc');
  });

  it('scores p_start × p_end over the context and first token, as the pipeline does', () => {
    const window = handMade(0, 1, { [at(0, 0)]: 2 }, { [at(0, 1)]: 1 });
    const softmax = (logits: readonly number[], k: number): number => {
      const allowed = [0, 4, 5].map((i) => Math.exp(logits[i] ?? 0));
      return Math.exp(logits[k] ?? 0) / allowed.reduce((a, b) => a + b);
    };
    const expected = softmax(window.startLogits as number[], 4) * softmax(window.endLogits as number[], 5);
    const answer = decodeAnswer(WORDS, [window]);
    assert.equal(answer.answer, 'aaa bbb');
    assert.ok(Math.abs(answer.score - expected) < 1e-12, `${answer.score} vs ${expected}`);
    assert.deepEqual(decodeAnswer(WORDS, []), { score: 0, start: 0, end: 0, answer: '' });
  });

  it('maps tokens after an emoji to the right characters, and start/end to code points', () => {
    const context = 'Yesterday 🎉 the cat moved from the sofa to the garden.';
    for (const family of FAMILIES) {
      const [window] = qaWindows(tokenizerOf(family), QUESTION, context);
      assert.ok(window !== undefined);
      const [position] = labelsOf([window], context, answers(context, 'the garden'));
      assert.ok(position !== undefined);
      const logits = (k: number): Float32Array => Float32Array.from(window.ids, (_, i) => (i === k ? 5 : 0));
      const answer = decodeAnswer(context, [{ startLogits: logits(position.start), endLogits: logits(position.end), offsets: window.offsets }]);
      assert.equal(answer.answer, 'the garden', family);
      assert.equal(Array.from(context).slice(answer.start, answer.end).join(''), 'the garden', family);
      assert.equal(answer.start, context.indexOf('the garden') - 1, family);
    }
  });
});

describe('readWindowLogits', () => {
  it('cuts each row of a padded batch to its window, leaving no tensors behind', async () => {
    const windows = [handMade(0, 1), handMade(0, 0)].map((w): Window => ({
      ids: w.offsets.map(() => 1), attentionMask: w.offsets.map(() => 1), offsets: [...w.offsets], contextStart: 4, contextEnd: w.offsets.length - 1,
    }));
    const start = tf.tensor2d([[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13]]);
    const end = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2]]);
    const baseline = tf.memory().numTensors;
    const rows = await readWindowLogits(start, end, windows);
    assert.equal(tf.memory().numTensors, baseline);
    assert.deepEqual(rows.map((row) => Array.from(row.startLogits)), [[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
    assert.deepEqual(rows.map((row) => Array.from(row.endLogits)), [[1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2]]);
    await assert.rejects(readWindowLogits(start, end, windows.slice(0, 1)), QaError);
    tf.dispose([start, end]);
  });
});
