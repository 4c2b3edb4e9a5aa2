/**
 * engine/models/encoders against fixtures/hf-golden: logits from both weight folders, the
 * transformers loss, gradient L2 norms, the config reader, and tensor bookkeeping.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  checkEncoderWeights, disposeOutput, encoderLoss, forward, gradientNorms, readEncoderConfig, trainableParams,
  type EncoderConfig, type EncoderInputs, type EncoderOutput, type EncoderTargets,
} from '../../engine/models/encoders/index.js';
import { paramsFromWeights, type Params } from '../../engine/models/params.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { readCheckpoint } from '../../engine/weights/index.js';

// Compiled to dist/test/unit, so the fixtures are three levels up from there.
const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');

interface GoldenInputs {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
}

interface Golden {
  inputs: GoldenInputs;
  eval: {
    logits?: number[][];
    labels?: number[];
    start_logits?: number[][];
    end_logits?: number[][];
    start_positions?: number[];
    end_positions?: number[];
    loss: number;
    grad_l2_norms_all: Record<string, number>;
  };
  pair_case?: GoldenInputs & { logits: number[][] };
}

async function golden(folder: string): Promise<Golden> {
  return JSON.parse(await readFile(path.join(GOLDEN, folder, 'golden.json'), 'utf8')) as Golden;
}

async function load(folder: string, format: 'safetensors' | 'pytorch'): Promise<{ config: EncoderConfig; params: Params }> {
  const dir = path.join(GOLDEN, folder, format);
  const config = readEncoderConfig(JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')));
  return { config, params: paramsFromWeights(tf, await readCheckpoint(dir)) };
}

function inputsOf(g: GoldenInputs): EncoderInputs {
  const base = { inputIds: tf.tensor2d(g.input_ids, undefined, 'int32'), attentionMask: tf.tensor2d(g.attention_mask, undefined, 'int32') };
  return g.token_type_ids === undefined ? base : { ...base, tokenTypeIds: tf.tensor2d(g.token_type_ids, undefined, 'int32') };
}

function disposeInputs(inputs: EncoderInputs): void {
  tf.dispose([inputs.inputIds, inputs.attentionMask, ...(inputs.tokenTypeIds ? [inputs.tokenTypeIds] : [])]);
}

/** README tolerance for logits: abs ≤ 1e-4, or rel ≤ 1e-4 above 1. */
function assertClose(actual: tf.Tensor, expected: number[][], what: string): void {
  assert.deepEqual(actual.shape, [expected.length, expected[0]?.length]);
  const values = actual.dataSync();
  expected.flat().forEach((want, i) => {
    const got = values[i] ?? Number.NaN;
    const tolerance = 1e-4 * Math.max(1, Math.abs(want));
    assert.ok(Math.abs(got - want) <= tolerance, `${what}[${i}]: ${got} vs ${want}`);
  });
}

function targetsOf(g: Golden): EncoderTargets {
  if (g.eval.labels !== undefined) return { labels: g.eval.labels };
  return { startPositions: g.eval.start_positions ?? [], endPositions: g.eval.end_positions ?? [] };
}

function checkOutput(output: EncoderOutput, g: Golden, what: string): void {
  if (output.kind === 'sequence-classification') assertClose(output.logits, g.eval.logits ?? [], `${what} logits`);
  else {
    assertClose(output.startLogits, g.eval.start_logits ?? [], `${what} start`);
    assertClose(output.endLogits, g.eval.end_logits ?? [], `${what} end`);
  }
}

const CASES = [
  'distilbert-sequence-classification',
  'bert-sequence-classification',
  'roberta-sequence-classification',
  'distilbert-question-answering',
  'roberta-question-answering',
] as const;

before(async () => {
  await startRuntime();
});

for (const folder of CASES) {
  describe(folder, () => {
    for (const format of ['safetensors', 'pytorch'] as const) {
      it(`matches the golden logits and loss from ${format}, and frees every tensor`, async () => {
        const g = await golden(folder);
        const baseline = tf.memory().numTensors;
        const { config, params } = await load(folder, format);
        assert.deepEqual(checkEncoderWeights(params, config), [], 'every checkpoint weight is used');
        const inputs = inputsOf(g.inputs);
        const output = forward(params, config, inputs, { training: false });
        checkOutput(output, g, `${folder}/${format}`);
        const loss = encoderLoss(output, targetsOf(g));
        const value = loss.dataSync()[0] ?? Number.NaN;
        assert.ok(Math.abs(value - g.eval.loss) <= 1e-5 + 1e-5 * Math.abs(g.eval.loss), `loss ${value} vs ${g.eval.loss}`);
        if (g.pair_case !== undefined) {
          const pair = inputsOf(g.pair_case);
          const pairOutput = forward(params, config, pair, { training: false });
          assert.equal(pairOutput.kind, 'sequence-classification');
          assertClose(pairOutput.logits, g.pair_case.logits, 'pair logits');
          disposeOutput(pairOutput);
          disposeInputs(pair);
        }
        loss.dispose();
        disposeOutput(output);
        disposeInputs(inputs);
        params.dispose();
        assert.equal(tf.memory().numTensors, baseline);
      });
    }

    it('gives the golden gradient L2 norm for every parameter', async () => {
      const g = await golden(folder);
      const baseline = tf.memory().numTensors;
      const { config, params } = await load(folder, 'safetensors');
      const trainable = trainableParams(params);
      params.dispose();
      const inputs = inputsOf(g.inputs);
      const { loss, norms } = gradientNorms(trainable, () =>
        tf.tidy(() => {
          const output = forward(trainable.params, config, inputs, { training: false });
          return encoderLoss(output, targetsOf(g));
        }),
      );
      assert.ok(Math.abs(loss - g.eval.loss) <= 1e-5 + 1e-5 * g.eval.loss);
      assert.deepEqual([...norms.keys()].sort(), Object.keys(g.eval.grad_l2_norms_all).sort());
      for (const [name, want] of Object.entries(g.eval.grad_l2_norms_all)) {
        const got = norms.get(name) ?? Number.NaN;
        // README: rel ≤ 1e-3, and abs ≤ 1e-6 for norms that are a true zero plus rounding noise.
        const ok = want < 1e-5 ? Math.abs(got - want) <= 1e-6 : Math.abs(got - want) <= 1e-3 * want;
        assert.ok(ok, `grad norm ${name}: ${got} vs ${want}`);
      }
      disposeInputs(inputs);
      trainable.dispose();
      assert.equal(tf.memory().numTensors, baseline);
    });
  });
}

describe('encoder training mode', () => {
  it('applies seeded dropout only when training', async () => {
    const folder = 'distilbert-sequence-classification';
    const g = await golden(folder);
    const baseline = tf.memory().numTensors;
    const { config, params } = await load(folder, 'safetensors');
    const inputs = inputsOf(g.inputs);
    const logitsOf = (training: boolean, seed?: number): number[] => {
      const output = forward(params, config, inputs, seed === undefined ? { training } : { training, seed });
      assert.equal(output.kind, 'sequence-classification');
      const values = [...output.logits.dataSync()];
      disposeOutput(output);
      return values;
    };
    const evalA = logitsOf(false);
    assert.deepEqual(logitsOf(false), evalA);
    const trainA = logitsOf(true, 7);
    assert.deepEqual(logitsOf(true, 7), trainA, 'a seed makes dropout reproducible');
    assert.notDeepEqual(trainA, evalA);
    disposeInputs(inputs);
    params.dispose();
    assert.equal(tf.memory().numTensors, baseline);
  });
});

describe('checkEncoderWeights', () => {
  it('names a missing or mis-shaped weight', async () => {
    const { config, params } = await load('bert-sequence-classification', 'safetensors');
    const small = { ...config, numLabels: 5 };
    assert.throws(() => checkEncoderWeights(params, small), /classifier\.weight is \[3, 32\], expected \[5, 32\]/);
    const deeper = { ...config, numLayers: 3 };
    assert.throws(() => checkEncoderWeights(params, deeper), /bert\.encoder\.layer\.2\.attention\.self\.query\.weight is missing/);
    params.dispose();
  });
});

describe('readEncoderConfig', () => {
  it('maps DistilBERT and BERT spellings onto one config', () => {
    const distil = readEncoderConfig({
      model_type: 'distilbert', architectures: ['DistilBertForQuestionAnswering'], dim: 8, n_layers: 1, n_heads: 2,
      hidden_dim: 16, max_position_embeddings: 4, vocab_size: 10, qa_dropout: 0.3,
    });
    assert.equal(distil.head, 'question-answering');
    assert.equal(distil.hiddenSize, 8);
    assert.equal(distil.typeVocabSize, 0);
    assert.equal(distil.dropout.head, 0.3);
    assert.deepEqual(distil.id2label, ['LABEL_0', 'LABEL_1']);
    const bert = readEncoderConfig({
      model_type: 'roberta', architectures: ['RobertaForSequenceClassification'], hidden_size: 8, num_hidden_layers: 1,
      num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 6, vocab_size: 10, id2label: { 1: 'b', 0: 'a', 2: 'c' },
    });
    assert.deepEqual(bert.id2label, ['a', 'b', 'c']);
    assert.equal(bert.numLabels, 3);
    assert.equal(bert.padTokenId, 1);
    assert.equal(bert.dropout.head, 0.1);
  });

  it('rejects an unknown family or activation', () => {
    assert.throws(() => readEncoderConfig({ model_type: 'gpt2' }), /model_type/);
    assert.throws(
      () => readEncoderConfig({
        model_type: 'bert', architectures: ['BertForSequenceClassification'], hidden_size: 8, num_hidden_layers: 1,
        num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 6, vocab_size: 10, hidden_act: 'mish',
      }),
      /activation/,
    );
  });
});
