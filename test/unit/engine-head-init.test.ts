import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkEncoderWeights, disposeOutput, forward, initializeMissingHead, readEncoderConfig } from '../../engine/models/encoders/index.js';
import { paramsFromWeights } from '../../engine/models/params.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { readCheckpoint, type WeightTensor } from '../../engine/weights/index.js';

const FOLDER = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden/distilbert-sequence-classification/safetensors');

/** The checkpoint without the weights whose names match `drop`, as a base model would be. */
async function baseWeights(drop: RegExp): Promise<Map<string, WeightTensor>> {
  const weights = await readCheckpoint(FOLDER);
  return new Map([...weights].filter(([name]) => !drop.test(name)));
}

describe('a new task head on a base checkpoint', () => {
  before(async () => {
    await startRuntime();
  });

  it('initialises the missing head like transformers and runs with the new label count', async () => {
    const json = JSON.parse(await readFile(path.join(FOLDER, 'config.json'), 'utf8')) as Record<string, unknown>;
    const config = readEncoderConfig({ ...json, id2label: { 0: 'neg', 1: 'neutral', 2: 'pos' }, num_labels: 3 });
    const baseline = tf.memory().numTensors;
    const params = paramsFromWeights(tf, await baseWeights(/^(pre_classifier|classifier)\./));
    assert.throws(() => checkEncoderWeights(params, config), /classifier\.weight is missing/);
    const initialised = initializeMissingHead(tf, params, config);
    assert.deepEqual(initialised.sort(), ['classifier.bias', 'classifier.weight', 'pre_classifier.bias', 'pre_classifier.weight']);
    checkEncoderWeights(params, config);
    const weight = params.get('classifier.weight');
    assert.deepEqual(weight.shape, [3, config.hiddenSize]);
    const [std, biasSum] = tf.tidy(() => [
      Math.sqrt(tf.moments(params.get('pre_classifier.weight')).variance.dataSync()[0] ?? 0),
      params.get('classifier.bias').abs().sum().dataSync()[0],
    ]);
    assert.ok(Math.abs(std - 0.02) < 0.004, `std ${String(std)}`);
    assert.equal(biasSum, 0);
    const inputIds = tf.tensor2d([[101, 7, 8, 102]], undefined, 'int32');
    const attentionMask = tf.tensor2d([[1, 1, 1, 1]], undefined, 'int32');
    const output = forward(params, config, { inputIds, attentionMask }, { training: false });
    assert.equal(output.kind, 'sequence-classification');
    assert.deepEqual(output.logits.shape, [1, 3]);
    disposeOutput(output);
    tf.dispose([inputIds, attentionMask]);
    params.dispose();
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('never makes up a missing backbone weight', async () => {
    const json = JSON.parse(await readFile(path.join(FOLDER, 'config.json'), 'utf8')) as Record<string, unknown>;
    const config = readEncoderConfig(json);
    const params = paramsFromWeights(tf, await baseWeights(/transformer\.layer\.0\.attention\.q_lin\.weight$/));
    assert.deepEqual(initializeMissingHead(tf, params, config), []);
    assert.throws(() => checkEncoderWeights(params, config), /distilbert\.transformer\.layer\.0\.attention\.q_lin\.weight is missing/);
    params.dispose();
  });
});
