/**
 * Gradient checkpointing (engine/models/checkpoint.ts) on the hf-golden encoders: the same loss
 * and the same gradient for every parameter as the plain backward pass — with dropout on, so the
 * replayed blocks must draw the same masks — while the forward pass keeps fewer bytes alive, and
 * no tensor is left behind.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { encoderLoss, forward, readEncoderConfig, type EncoderTargets } from '../../engine/models/encoders/index.js';
import { paramsFromWeights } from '../../engine/models/params.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { lossAndGrads, makeTrainable } from '../../engine/train/index.js';
import { readCheckpoint } from '../../engine/weights/index.js';

const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');

interface GoldenInputs {
  inputs: { input_ids: number[][]; attention_mask: number[][] };
  eval: { labels?: number[]; start_positions?: number[]; end_positions?: number[] };
}

describe('gradient checkpointing', () => {
  before(async () => {
    await startRuntime();
  });

  for (const folder of ['distilbert-sequence-classification', 'roberta-question-answering', 'bert-sequence-classification']) {
    it(`${folder}: the same loss and gradients as the plain backward pass, dropout on, with less kept by the forward pass`, async () => {
      const baseline = tf.memory().numTensors;
      const dir = path.join(GOLDEN, folder, 'safetensors');
      const g = JSON.parse(await readFile(path.join(GOLDEN, folder, 'golden.json'), 'utf8')) as GoldenInputs;
      const config = readEncoderConfig(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')));
      const source = paramsFromWeights(tf, await readCheckpoint(dir));
      const trainable = makeTrainable(source);
      source.dispose();
      const inputs = { inputIds: tf.tensor2d(g.inputs.input_ids, undefined, 'int32'), attentionMask: tf.tensor2d(g.inputs.attention_mask, undefined, 'int32') };
      const targets: EncoderTargets = g.eval.labels !== undefined
        ? { labels: g.eval.labels }
        : { startPositions: g.eval.start_positions ?? [], endPositions: g.eval.end_positions ?? [] };
      const run = (checkpoint: boolean): { loss: number; grads: Map<string, Float32Array>; kept: number } => {
        let kept = 0;
        const { loss, grads } = lossAndGrads(trainable, () => {
          const before = tf.memory().numBytes;
          const value = encoderLoss(forward(trainable.params, config, inputs, { training: true, seed: 1234, checkpoint }), targets);
          kept = tf.memory().numBytes - before;
          return value;
        });
        const host = new Map([...grads].map(([name, grad]) => [name, grad.dataSync() as Float32Array]));
        tf.dispose([...grads.values()]);
        return { loss, grads: host, kept };
      };
      try {
        const plain = run(false);
        const recomputed = run(true);
        const other = lossAndGrads(trainable, () => encoderLoss(forward(trainable.params, config, inputs, { training: true, seed: 99 }), targets));
        tf.dispose([...other.grads.values()]);
        assert.notEqual(other.loss, plain.loss, 'dropout is on: another seed gives another loss');
        assert.ok(Math.abs(recomputed.loss - plain.loss) <= 1e-6 * Math.abs(plain.loss), `loss ${recomputed.loss} vs ${plain.loss}`);
        assert.deepEqual([...recomputed.grads.keys()].sort(), [...plain.grads.keys()].sort(), 'every parameter gets a gradient');
        for (const [name, want] of plain.grads) {
          const got = recomputed.grads.get(name) ?? new Float32Array();
          const scale = Math.max(1e-6, ...Array.from(want, Math.abs));
          const worst = Array.from(want, (w, i) => Math.abs(w - (got[i] ?? Number.NaN))).reduce((a, b) => Math.max(a, b), 0);
          assert.ok(worst <= 1e-4 * scale, `${name}: worst difference ${worst} against a largest value of ${scale}`);
        }
        assert.ok(recomputed.kept < plain.kept, `the checkpointed forward keeps ${recomputed.kept} bytes, the plain one ${plain.kept}`);
      } finally {
        tf.dispose(Object.values(inputs));
        trainable.dispose();
      }
      assert.equal(tf.memory().numTensors, baseline, 'no tensor is left behind');
    });
  }
});
