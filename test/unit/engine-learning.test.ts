/**
 * Training really trains, for the sequence-to-sequence and question-answering tasks: on
 * generated data with a clear mapping, the tiny fixture models improve their key metric far
 * beyond where they start (BLEU for copying word sequences with BART; SQuAD F1 for an answer
 * marked by a fixed phrase with RoBERTa).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadSeq2Seq } from '../../engine/models/seq2seq/index.js';
import { fineTuneQuestionAnswering } from '../../engine/qa/fine-tune.js';
import type { QaExample } from '../../engine/qa/dataset.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { fineTuneSeq2Seq, textMetrics } from '../../engine/text2text/fine-tune.js';
import { generateTexts } from '../../engine/text2text/generate-texts.js';
import { loadTokenizer } from '../../engine/tokenizers/index.js';
import { parseHyperparams } from '../../engine/train/hyperparams.js';
import { WASM_HEAP_BUDGET } from '../../engine/train/memory.js';
import { Rng } from '../../engine/train/rng.js';
import { fixturePath } from '../helpers/paths.js';

const WORDS = ['cat', 'dog', 'house', 'water', 'red', 'blue', 'big', 'small', 'sun', 'moon', 'tree', 'car', 'road', 'book', 'lamp'];
const BART = fixturePath('hub', 'models', 'sshleifer', 'distilbart-xsum-12-1', 'main');
const ROBERTA_QA = fixturePath('hub', 'models', 'deepset', 'roberta-base-squad2', 'main');

function phrase(rng: Rng, min: number, spread: number): string {
  return Array.from({ length: min + rng.below(spread) }, () => WORDS[rng.below(WORDS.length)] ?? '').join(' ');
}

describe('learning on generated data', () => {
  before(async () => {
    await startRuntime();
  });

  it('a tiny BART learns to copy word sequences: BLEU from near 0 to well above 40 (with gradient checkpointing)', async () => {
    const rng = new Rng(3);
    const pairs = Array.from({ length: 400 }, () => phrase(rng, 3, 3));
    const train = pairs.slice(0, 320);
    const test = pairs.slice(320);
    const tokenizer = await loadTokenizer(BART);
    const model = await loadSeq2Seq(BART);
    const start = textMetrics(generateTexts({ model, tokenizer }, test, {}, 16), test).bleu ?? 100;
    model.params.dispose();
    const tensors = tf.memory().numTensors;
    const { training } = parseHyperparams({
      learning_rate: 5e-3, num_train_epochs: 15, per_device_train_batch_size: 16, per_device_eval_batch_size: 16, warmup_ratio: 0.1, gradient_checkpointing: true,
    });
    const notices: string[] = [];
    const result = await fineTuneSeq2Seq({
      modelFolder: BART, train: { sources: train, targets: train }, test: { sources: test, targets: test }, training, maxSourceLength: null, maxTargetLength: null, memoryBudget: WASM_HEAP_BUDGET,
    }, { notice: (message) => notices.push(message) });
    assert.ok(notices.some((n) => n.startsWith('gradient checkpointing:')), notices.join('\n'));
    assert.equal(tf.memory().numTensors, tensors, 'training leaves no tensor behind');
    const bleu = result.metrics.bleu ?? 0;
    assert.ok(start < 5, `the untrained model does not copy (BLEU ${start})`);
    assert.ok(bleu > 40, `BLEU after training ${bleu} (from ${start})`);
    assert.ok((result.metrics.rouge_ngram_f1 ?? 0) > 0.6, `ROUGE-1 ${result.metrics.rouge_ngram_f1}`);
  });

  it('a tiny RoBERTa learns an answer marked by a fixed phrase: SQuAD F1 from near 10 to above 60 (with gradient checkpointing)', async () => {
    const rng = new Rng(5);
    const examples: QaExample[] = Array.from({ length: 300 }, () => {
      const lead = phrase(rng, 3, 6);
      const answer = WORDS[rng.below(WORDS.length)] ?? 'cat';
      const context = `${lead} the answer is ${answer} ${phrase(rng, 3, 6)}`;
      return { question: 'What is the answer?', context, answers: { text: [answer], answerStart: [`${lead} the answer is `.length] } };
    });
    const test = examples.slice(240);
    const untrained = await fineTuneQuestionAnswering({
      modelFolder: ROBERTA_QA, train: examples.slice(0, 2), test, training: parseHyperparams({ max_steps: 1, learning_rate: 1e-9 }).training, maxLength: null, stride: null, memoryBudget: WASM_HEAP_BUDGET,
    });
    // Checkpointed blocks give the plain gradients (engine-checkpoint.test.ts); this shows a whole fine-tune learns through them.
    const { training } = parseHyperparams({ learning_rate: 5e-3, num_train_epochs: 15, per_device_train_batch_size: 16, warmup_ratio: 0.1, gradient_checkpointing: true });
    const notices: string[] = [];
    const trained = await fineTuneQuestionAnswering(
      { modelFolder: ROBERTA_QA, train: examples.slice(0, 240), test, training, maxLength: null, stride: null, memoryBudget: WASM_HEAP_BUDGET },
      { notice: (message) => notices.push(message) },
    );
    assert.ok(notices.some((n) => n.startsWith('gradient checkpointing:')), notices.join('\n'));
    const [before, after] = [untrained.metrics.f1 ?? 100, trained.metrics.f1 ?? 0];
    assert.ok(before < 30, `untrained F1 ${before}`);
    assert.ok(after > 60 && after > before + 40, `F1 after training ${after} (from ${before})`);
    assert.ok((trained.metrics.exact_match ?? 0) > 50, `exact match ${trained.metrics.exact_match}`);
  });
});
