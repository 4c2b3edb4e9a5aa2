/**
 * engine/models/save against fixtures/hf-golden: a saved folder has the transformers layout, its
 * model.safetensors is byte-identical to the one save_pretrained wrote, and save → load gives
 * exactly the same outputs (max abs diff 0), for an encoder and for both seq2seq families.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { disposeOutput, forward, type EncoderInputs } from '../../engine/models/encoders/index.js';
import { Params } from '../../engine/models/params.js';
import { loadModelFromFiles, loadModelFromFolder, saveModel, type LoadedModel } from '../../engine/models/save/index.js';
import { decode, disposeCache, encode } from '../../engine/models/seq2seq/index.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { parseSafetensors } from '../../engine/weights/index.js';

// Compiled to dist/test/unit, so the fixtures are three levels up from there.
const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');

interface Golden {
  inputs: { input_ids: number[][]; attention_mask: number[][] };
  eval: { decoder_input_ids?: number[][] };
}

async function golden(family: string): Promise<Golden> {
  return JSON.parse(await readFile(path.join(GOLDEN, family, 'golden.json'), 'utf8')) as Golden;
}

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, undefined, 'int32');
}

/** The model's main output for the golden inputs: classifier logits, or decoder logits. */
function run(model: LoadedModel, g: Golden): tf.Tensor {
  const inputIds = ids(g.inputs.input_ids);
  const mask = ids(g.inputs.attention_mask);
  try {
    if (model.kind === 'encoder') {
      const inputs: EncoderInputs = { inputIds, attentionMask: mask };
      const output = forward(model.params, model.config, inputs, { training: false });
      const logits = output.kind === 'sequence-classification' ? output.logits.clone() : tf.concat([output.startLogits, output.endLogits]);
      disposeOutput(output);
      return logits;
    }
    const decoderIds = ids(g.eval.decoder_input_ids ?? []);
    const encoded = encode(model.params, model.config, inputIds, mask);
    const { logits, cache } = decode(model.params, model.config, encoded, mask, decoderIds);
    disposeCache(cache);
    tf.dispose([encoded, decoderIds]);
    return logits;
  } finally {
    tf.dispose([inputIds, mask]);
  }
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    assert.equal(tf.equal(a, b).all().dataSync()[0], 1, 'every logit is equal');
    return tf.sub(a, b).abs().max().dataSync()[0] ?? Number.NaN;
  });
}

function saveInputs(model: LoadedModel, folder: string): Parameters<typeof saveModel>[1] {
  const base = { configJson: model.configJson, tokenizerFolder: folder };
  return model.kind === 'seq2seq' && Object.keys(model.generationJson).length > 0 ? { ...base, generationJson: model.generationJson } : base;
}

before(async () => {
  await startRuntime();
});

const FAMILIES = ['distilbert-sequence-classification', 'roberta-question-answering', 'marian-mt', 'bart-conditional-generation'] as const;

for (const family of FAMILIES) {
  describe(`saveModel: ${family}`, () => {
    const safetensorsDir = path.join(GOLDEN, family, 'safetensors');

    it('writes model.safetensors byte-identical to save_pretrained, from either weight format', async () => {
      const expected = await readFile(path.join(safetensorsDir, 'model.safetensors'));
      for (const format of ['safetensors', 'pytorch'] as const) {
        const folder = path.join(GOLDEN, family, format);
        const model = await loadModelFromFolder(folder);
        const files = await saveModel(model.params, saveInputs(model, folder));
        model.params.dispose();
        const saved = files.get('model.safetensors');
        assert.ok(saved !== undefined);
        assert.ok(saved.equals(expected), `${format}: saved bytes differ from the fixture's model.safetensors`);
      }
    });

    it('writes the transformers layout: config, tokenizer files, generation config', async () => {
      const model = await loadModelFromFolder(safetensorsDir);
      const files = await saveModel(model.params, saveInputs(model, safetensorsDir));
      model.params.dispose();
      const expectedNames = ['config.json', 'model.safetensors', ...tokenizerNames(family)].sort();
      if (family === 'marian-mt' || family === 'bart-conditional-generation') expectedNames.push('generation_config.json');
      assert.deepEqual([...files.keys()].sort(), expectedNames.sort());
      for (const [name, bytes] of files) {
        const original = await readFile(path.join(safetensorsDir, name));
        if (name.endsWith('.json') && (name === 'config.json' || name === 'generation_config.json')) {
          assert.deepEqual(JSON.parse(bytes.toString('utf8')), JSON.parse(original.toString('utf8')), name);
        } else {
          assert.ok(bytes.equals(original), `${name} is copied unchanged`);
        }
      }
      const header = parseSafetensors(files.get('model.safetensors') ?? Buffer.alloc(0), 'saved');
      for (const tied of ['lm_head.weight', 'model.encoder.embed_tokens.weight', 'model.encoder.embed_positions.weight']) {
        if (family === 'marian-mt' || tied !== 'model.encoder.embed_positions.weight') assert.ok(!header.has(tied), `${tied} is not stored`);
      }
    });

    it('round-trips save → load with exactly the same logits, and frees every tensor', async () => {
      const g = await golden(family);
      const baseline = tf.memory().numTensors;
      const model = await loadModelFromFolder(safetensorsDir);
      const reloaded = await loadModelFromFiles(await saveModel(model.params, saveInputs(model, safetensorsDir)));
      const before = run(model, g);
      const after = run(reloaded, g);
      assert.equal(maxAbsDiff(before, after), 0);
      tf.dispose([before, after]);
      model.params.dispose();
      reloaded.params.dispose();
      assert.equal(tf.memory().numTensors, baseline);
    });
  });
}

function tokenizerNames(family: string): string[] {
  const common = ['tokenizer_config.json', 'special_tokens_map.json'];
  if (family.startsWith('distilbert')) return [...common, 'vocab.txt', 'tokenizer.json'];
  if (family === 'marian-mt') return [...common, 'source.spm', 'target.spm', 'vocab.json'];
  return [...common, 'vocab.json', 'merges.txt', 'tokenizer.json'];
}

describe('saveModel options and refusals', () => {
  it('writes id2label and label2id when labels are given', async () => {
    const folder = path.join(GOLDEN, 'distilbert-sequence-classification', 'safetensors');
    const model = await loadModelFromFolder(folder);
    const files = await saveModel(model.params, { configJson: model.configJson, tokenizerFolder: folder, labels: ['bad', 'good'] });
    const config = JSON.parse(files.get('config.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
    assert.deepEqual(config.id2label, { 0: 'bad', 1: 'good' });
    assert.deepEqual(config.label2id, { bad: 0, good: 1 });
    const reloaded = await loadModelFromFiles(files);
    assert.ok(reloaded.kind === 'encoder');
    assert.deepEqual(reloaded.config.id2label, ['bad', 'good']);
    model.params.dispose();
    reloaded.params.dispose();
  });

  it('refuses to drop a tied weight that drifted from model.shared.weight', async () => {
    const params = new Params(
      new Map<string, tf.Tensor>([
        ['model.shared.weight', tf.tensor2d([[1, 2]])],
        ['lm_head.weight', tf.tensor2d([[1, 3]])],
      ]),
    );
    await assert.rejects(saveModel(params, { configJson: { model_type: 'bart' }, tokenizerFolder: GOLDEN }), /lm_head.weight differs/);
    params.dispose();
  });
});
