/**
 * Gradient checkpointing (engine/models/checkpoint.ts) on the hf-golden encoders and
 * encoder-decoders: the same loss
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
import { Dropout } from '../../engine/models/layers.js';
import { loadSeq2Seq, seq2seqLoss } from '../../engine/models/seq2seq/index.js';
import { lossAndGrads, makeTrainable, seq2seqTrainable, type Trainable } from '../../engine/train/index.js';
import { readCheckpoint } from '../../engine/weights/index.js';

const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');

interface GoldenInputs {
  inputs: { input_ids: number[][]; attention_mask: number[][]; labels?: number[][] };
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
      try {
        assertSameGradients(trainable, (seed, checkpoint) => encoderLoss(forward(trainable.params, config, inputs, { training: true, seed, checkpoint }), targets));
      } finally {
        tf.dispose(Object.values(inputs));
        trainable.dispose();
      }
      assert.equal(tf.memory().numTensors, baseline, 'no tensor is left behind');
    });
  }

  for (const folder of ['bart-conditional-generation', 'marian-mt']) {
    it(`${folder}: the same teacher-forced loss and gradients with every encoder and decoder layer checkpointed`, async () => {
      const baseline = tf.memory().numTensors;
      const g = JSON.parse(await readFile(path.join(GOLDEN, folder, 'golden.json'), 'utf8')) as GoldenInputs;
      const model = await loadSeq2Seq(path.join(GOLDEN, folder, 'safetensors'));
      const trainable = seq2seqTrainable(model);
      model.params.dispose();
      const ids = tf.tensor2d(g.inputs.input_ids, undefined, 'int32');
      const mask = tf.tensor2d(g.inputs.attention_mask, undefined, 'int32');
      const labels = g.inputs.labels ?? [];
      try {
        assertSameGradients(trainable, (seed, checkpoint) => seq2seqLoss(trainable.params, model.config, ids, mask, labels, new Dropout(true, seed), checkpoint));
      } finally {
        tf.dispose([ids, mask]);
        trainable.dispose();
      }
      assert.equal(tf.memory().numTensors, baseline, 'no tensor is left behind');
    });
  }
});

/**
 * The loss and every gradient of `loss(seed, checkpoint)` agree with and without checkpointing
 * (dropout on: another seed must change the loss), and the checkpointed forward keeps fewer bytes.
 */
function assertSameGradients(trainable: Trainable, loss: (seed: number, checkpoint: boolean) => tf.Scalar): void {
  const run = (seed: number, checkpoint: boolean): { loss: number; grads: Map<string, Float32Array>; kept: number } => {
    let kept = 0;
    const result = lossAndGrads(trainable, () => {
      const before = tf.memory().numBytes;
      const value = loss(seed, checkpoint);
      kept = tf.memory().numBytes - before;
      return value;
    });
    const host = new Map([...result.grads].map(([name, grad]) => [name, grad.dataSync() as Float32Array]));
    tf.dispose([...result.grads.values()]);
    return { loss: result.loss, grads: host, kept };
  };
  const plain = run(1234, false);
  const recomputed = run(1234, true);
  assert.notEqual(run(99, false).loss, plain.loss, 'dropout is on: another seed gives another loss');
  assert.ok(Math.abs(recomputed.loss - plain.loss) <= 1e-6 * Math.abs(plain.loss), `loss ${recomputed.loss} vs ${plain.loss}`);
  assert.deepEqual([...recomputed.grads.keys()].sort(), [...plain.grads.keys()].sort(), 'every parameter gets a gradient');
  for (const [name, want] of plain.grads) {
    const got = recomputed.grads.get(name) ?? new Float32Array();
    const scale = Math.max(...Array.from(want, Math.abs));
    const worst = Array.from(want, (w, i) => Math.abs(w - (got[i] ?? Number.NaN))).reduce((a, b) => Math.max(a, b), 0);
    // Keys' biases get a gradient that is zero in exact arithmetic (softmax ignores a shift): float noise, ~1e-9.
    assert.ok(worst <= 1e-4 * scale + 1e-7, `${name}: worst difference ${worst} against a largest value of ${scale}`);
  }
  assert.ok(recomputed.kept < plain.kept, `the checkpointed forward keeps ${recomputed.kept} bytes, the plain one ${plain.kept}`);
}
