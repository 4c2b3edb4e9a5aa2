/**
 * engine/train against fixtures/hf-golden: gradient L2 norms for the seq2seq families, and five
 * torch AdamW steps (`training.losses`, `training.param_l2_norms_after`) for all seven, with
 * tensor counts back at their baseline afterwards.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { encoderLoss, forward, readEncoderConfig, type EncoderTargets } from '../../engine/models/encoders/index.js';
import { paramsFromWeights } from '../../engine/models/params.js';
import { loadSeq2Seq } from '../../engine/models/seq2seq/index.js';
import { startRuntime } from '../../engine/runtime/index.js';
import {
  AdamW, disposeGrads, gradL2Norms, lossAndGrads, makeTrainable, seq2seqTrainable, seq2seqTrainingLoss, trainStep, transformersNoDecay, type Trainable,
} from '../../engine/train/index.js';
import { readCheckpoint } from '../../engine/weights/index.js';

// Compiled to dist/test/unit, so the fixtures are three levels up from there.
const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');

interface Golden {
  inputs: { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][]; labels?: number[][] };
  eval: {
    labels?: number[];
    start_positions?: number[];
    end_positions?: number[];
    loss: number;
    grad_l2_norms_all: Record<string, number>;
  };
  training: {
    optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number; steps: number };
    losses: number[];
    param_l2_norms_after: Record<string, number>;
  };
}

/** A family's trainable weights plus the loss on the golden batch; `dispose` frees both. */
interface Setup {
  trainable: Trainable;
  loss: () => tf.Scalar;
  dispose: () => void;
}

async function golden(folder: string): Promise<Golden> {
  return JSON.parse(await readFile(path.join(GOLDEN, folder, 'golden.json'), 'utf8')) as Golden;
}

async function encoderSetup(folder: string, g: Golden): Promise<Setup> {
  const dir = path.join(GOLDEN, folder, 'safetensors');
  const config = readEncoderConfig(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')));
  const source = paramsFromWeights(tf, await readCheckpoint(dir));
  const trainable = makeTrainable(source);
  source.dispose();
  const inputs = {
    inputIds: tf.tensor2d(g.inputs.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(g.inputs.attention_mask, undefined, 'int32'),
    ...(g.inputs.token_type_ids === undefined ? {} : { tokenTypeIds: tf.tensor2d(g.inputs.token_type_ids, undefined, 'int32') }),
  };
  const targets: EncoderTargets = g.eval.labels !== undefined
    ? { labels: g.eval.labels }
    : { startPositions: g.eval.start_positions ?? [], endPositions: g.eval.end_positions ?? [] };
  const loss = (): tf.Scalar => tf.tidy(() => encoderLoss(forward(trainable.params, config, inputs, { training: false }), targets));
  return { trainable, loss, dispose: () => { tf.dispose(Object.values(inputs)); trainable.dispose(); } };
}

async function seq2seqSetup(folder: string, g: Golden, format: 'safetensors' | 'pytorch' = 'safetensors'): Promise<Setup> {
  const model = await loadSeq2Seq(path.join(GOLDEN, folder, format));
  const trainable = seq2seqTrainable(model);
  model.params.dispose();
  const ids = tf.tensor2d(g.inputs.input_ids, undefined, 'int32');
  const mask = tf.tensor2d(g.inputs.attention_mask, undefined, 'int32');
  const labels = g.inputs.labels ?? [];
  const loss = (): tf.Scalar => seq2seqTrainingLoss(trainable, model.config, ids, mask, labels);
  return { trainable, loss, dispose: () => { tf.dispose([ids, mask]); trainable.dispose(); } };
}

const ENCODERS = [
  'distilbert-sequence-classification',
  'bert-sequence-classification',
  'roberta-sequence-classification',
  'distilbert-question-answering',
  'roberta-question-answering',
] as const;
const SEQ2SEQ = ['marian-mt', 'bart-conditional-generation'] as const;

function setupFor(folder: string, g: Golden, format?: 'safetensors' | 'pytorch'): Promise<Setup> {
  return (SEQ2SEQ as readonly string[]).includes(folder) ? seq2seqSetup(folder, g, format) : encoderSetup(folder, g);
}

function l2(variable: tf.Variable): number {
  return tf.tidy(() => variable.square().sum().sqrt().dataSync()[0] ?? Number.NaN);
}

before(async () => {
  await startRuntime();
});

for (const folder of SEQ2SEQ) {
  describe(`${folder} gradients`, () => {
    for (const format of ['safetensors', 'pytorch'] as const) {
      it(`gives the golden gradient L2 norm for every parameter from ${format}`, async () => {
        const g = await golden(folder);
        const baseline = tf.memory().numTensors;
        const setup = await setupFor(folder, g, format);
        const { loss, grads } = lossAndGrads(setup.trainable, setup.loss);
        const norms = gradL2Norms(setup.trainable, grads);
        disposeGrads(grads);
        assert.ok(Math.abs(loss - g.eval.loss) <= 1e-5 + 1e-5 * g.eval.loss, `loss ${loss} vs ${g.eval.loss}`);
        // Tied embeddings are one parameter, buffers and sinusoidal tables none: the key sets match.
        assert.deepEqual([...norms.keys()].sort(), Object.keys(g.eval.grad_l2_norms_all).sort());
        for (const [name, want] of Object.entries(g.eval.grad_l2_norms_all)) {
          const got = norms.get(name) ?? Number.NaN;
          // README: rel ≤ 1e-3, and abs ≤ 1e-6 for norms that are a true zero plus rounding noise.
          const ok = want < 1e-5 ? Math.abs(got - want) <= 1e-6 : Math.abs(got - want) <= 1e-3 * want;
          assert.ok(ok, `grad norm ${name}: ${got} vs ${want}`);
        }
        setup.dispose();
        assert.equal(tf.memory().numTensors, baseline);
      });
    }
  });
}

for (const folder of [...ENCODERS, ...SEQ2SEQ]) {
  describe(`${folder} AdamW`, () => {
    it('reproduces the five torch AdamW steps and frees every tensor', async () => {
      const g = await golden(folder);
      const { lr, betas, eps, weight_decay: weightDecay, steps } = g.training.optimizer;
      const baseline = tf.memory().numTensors;
      const setup = await setupFor(folder, g);
      // The goldens decay every parameter (plain torch AdamW over model.parameters()).
      const optimizer = new AdamW(setup.trainable.variables, { lr, betas, eps, weightDecay });
      const losses: number[] = [];
      const counts: number[] = [];
      for (let k = 0; k < steps; k++) {
        losses.push(trainStep(setup.trainable, optimizer, setup.loss));
        counts.push(tf.memory().numTensors);
      }
      const last = setup.loss();
      losses.push(last.dataSync()[0] ?? Number.NaN);
      last.dispose();
      // After the first step creates the moments, each step leaves exactly as many tensors as before.
      assert.ok(counts.every((n) => n === counts[0]), `tensor counts per step: ${counts.join(', ')}`);
      g.training.losses.forEach((want, k) => {
        const got = losses[k] ?? Number.NaN;
        assert.ok(Math.abs(got - want) <= 1e-4 * (k + 1) * Math.abs(want), `loss after ${k} steps: ${got} vs ${want}`);
      });
      for (const [name, want] of Object.entries(g.training.param_l2_norms_after)) {
        const variable = setup.trainable.variables.get(name);
        assert.ok(variable !== undefined, `${name} is trainable`);
        const got = l2(variable);
        assert.ok(Math.abs(got - want) <= 1e-4 * want, `‖${name}‖ after ${steps} steps: ${got} vs ${want}`);
      }
      optimizer.dispose();
      setup.dispose();
      assert.equal(tf.memory().numTensors, baseline);
    });
  });
}

describe('AdamW', () => {
  it('matches a hand-computed torch step, skips missing gradients, and honours noDecay', () => {
    const baseline = tf.memory().numTensors;
    // Inside tidy so the initial values are freed and only the variables remain.
    const [w, bias, untouched] = tf.tidy(() => [
      tf.variable(tf.tensor1d([1, -2]), true, 'adamw-test-w'),
      tf.variable(tf.tensor1d([0.5]), true, 'adamw-test-bias'),
      tf.variable(tf.tensor1d([3]), true, 'adamw-test-untouched'),
    ]);
    const variables = new Map([['dense.weight', w], ['dense.bias', bias], ['frozen.weight', untouched]]);
    const optimizer = new AdamW(variables, { lr: 0.1, weightDecay: 0.5, noDecay: transformersNoDecay });
    const grads = new Map([['dense.weight', Float32Array.of(0.2, -0.4)], ['dense.bias', Float32Array.of(1)]]);
    optimizer.step(grads);
    // Step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps) = ±lr after p·(1 − lr·wd).
    const wValues = [...w.dataSync()];
    assert.ok(Math.abs((wValues[0] ?? NaN) - (1 * 0.95 - 0.1)) < 1e-6 && Math.abs((wValues[1] ?? NaN) - (-2 * 0.95 + 0.1)) < 1e-6);
    assert.ok(Math.abs((bias.dataSync()[0] ?? NaN) - 0.4) < 1e-6, 'bias is not decayed');
    assert.equal(untouched.dataSync()[0], 3);
    assert.equal(optimizer.stepOf('frozen.weight'), 0);
    assert.equal(optimizer.stepOf('dense.weight'), 1);
    assert.equal(tf.memory().numTensors, baseline + 3, 'the update leaves only the three variables');
    assert.throws(() => optimizer.step(new Map([['dense.bias', Float32Array.of(1, 2)]])), /2 values, the parameter 1/);
    optimizer.dispose();
    tf.dispose([w, bias, untouched]);
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('excludes biases and every LayerNorm spelling the way transformers does', () => {
    for (const name of ['bert.embeddings.LayerNorm.weight', 'distilbert.transformer.layer.0.sa_layer_norm.weight',
      'model.encoder.layernorm_embedding.weight', 'model.decoder.layers.1.final_layer_norm.weight', 'classifier.bias']) {
      assert.ok(transformersNoDecay(name), name);
    }
    assert.ok(!transformersNoDecay('model.shared.weight'));
    assert.ok(!transformersNoDecay('classifier.out_proj.weight'));
  });
});
