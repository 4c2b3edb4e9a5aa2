/**
 * Fine-tuning really trains: the tiny base DistilBERT fixture (no classifier head, like the real
 * distilbert-base-uncased) learns a generated sentiment task to at least 0.9 accuracy on held-out
 * reviews, its saved files load back with the same predictions, and no tensor is leaked.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fineTuneClassifier } from '../../engine/classify/fine-tune.js';
import { predictTexts } from '../../engine/classify/predict.js';
import { loadModelFromFiles } from '../../engine/models/save/index.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { loadTokenizer } from '../../engine/tokenizers/index.js';
import { parseHyperparams } from '../../engine/train/hyperparams.js';
import { WASM_HEAP_BUDGET } from '../../engine/train/memory.js';
import { fixturePath } from '../helpers/paths.js';
import { sentimentReviews } from '../helpers/sentiment.js';

const BASE = fixturePath('hub', 'models', 'distilbert', 'distilbert-base-uncased', 'main');

describe('fine-tuning a sequence classifier', () => {
  before(async () => {
    await startRuntime();
  });

  it('learns a clear signal to ≥ 0.9 test accuracy, and the saved model predicts the same', async () => {
    const reviews = sentimentReviews(400, 7);
    const train = reviews.slice(0, 320);
    const test = reviews.slice(320);
    const { training } = parseHyperparams({ learning_rate: 2e-3, num_train_epochs: 5, per_device_train_batch_size: 16, warmup_ratio: 0.1, logging_steps: 10 });
    const tensorsBefore = tf.memory().numTensors;
    const logs: number[] = [];
    const notices: string[] = [];
    const result = await fineTuneClassifier({
      modelFolder: BASE,
      labels: ['negative', 'positive'],
      train: { texts: train.map((r) => r.text), labels: train.map((r) => r.label) },
      test: { texts: test.map((r) => r.text), labels: test.map((r) => r.label) },
      training,
      maxLength: null,
      memoryBudget: WASM_HEAP_BUDGET,
    }, { onLog: (entry) => logs.push(entry.loss), notice: (message) => notices.push(message) });
    assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaves no tensor behind');
    assert.equal(result.train.steps, 100, '5 epochs × 320 / 16 steps');
    assert.ok((result.metrics.accuracy ?? 0) >= 0.9, `accuracy ${result.metrics.accuracy}`);
    assert.ok((result.metrics.f1 ?? 0) >= 0.9, `f1 ${result.metrics.f1}`);
    for (const key of ['f1', 'f1_macro', 'precision', 'recall', 'accuracy', 'log_loss', 'roc_auc', 'eval_loss', 'fit_time', 'score_time']) {
      assert.equal(typeof result.metrics[key], 'number', `metric ${key}`);
    }
    assert.ok(logs.length >= 5 && (logs.at(-1) ?? 1) < (logs[0] ?? 0), `the logged loss falls: ${logs.join(', ')}`);
    assert.ok(notices.some((n) => n.includes('pre_classifier.weight')), 'the new head is reported');

    const files = new Map([...result.files]);
    assert.deepEqual([...files.keys()].sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    const config = JSON.parse(files.get('config.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
    assert.deepEqual(config.architectures, ['DistilBertForSequenceClassification']);
    assert.deepEqual(config.id2label, { 0: 'negative', 1: 'positive' });
    const loaded = await loadModelFromFiles(files);
    assert.ok(loaded.kind === 'encoder');
    try {
      assert.ok(!loaded.params.has('vocab_projector.bias'), 'the MLM head is not saved with the classifier');
      const tokenizer = await loadTokenizer(BASE);
      const probabilities = predictTexts({ config: loaded.config, params: loaded.params, tokenizer }, test.map((r) => r.text), 8, WASM_HEAP_BUDGET);
      const correct = probabilities.filter((p, i) => (p[1] ?? 0) > (p[0] ?? 0) === (test[i]?.label === 1)).length;
      assert.equal(correct / test.length, result.metrics.accuracy, 'the reloaded model scores as the trained one did');
      for (const p of probabilities) assert.ok(Math.abs((p[0] ?? 0) + (p[1] ?? 0) - 1) < 1e-5);
    } finally {
      loaded.params.dispose();
    }
  });
});
