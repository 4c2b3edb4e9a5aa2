import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as tfjs from '@tensorflow/tfjs';
import { startRuntime } from '../../engine/runtime/index.js';
import {
  decode, disposeCache, encode, loadSeq2Seq, seq2seqLoss, shiftTokensRight, sinusoidalTable, type Seq2SeqModel,
} from '../../engine/models/seq2seq/index.js';
import { bannedNgramTokens, generate, generationConfigFor } from '../../engine/generate/index.js';

// Compiled to dist/test/unit, so the fixtures are three levels up from there.
const GOLDEN = path.resolve(import.meta.dirname, '../../../fixtures/hf-golden');
const FAMILIES = ['marian-mt', 'bart-conditional-generation'] as const;
const FOLDERS = ['safetensors', 'pytorch'] as const;

interface Generation {
  kwargs: { num_beams: number; max_new_tokens: number };
  sequences: number[][];
}

interface Golden {
  inputs: { input_ids: number[][]; attention_mask: number[][]; labels: number[][] };
  eval: {
    encoder_last_hidden_state: { mean: number; std: number; first_row_first_8: number[] };
    decoder_input_ids: number[][];
    decoder_logits: number[][][];
    loss: number;
  };
  generate: Record<'greedy' | 'beam' | 'greedy_long' | 'beam_long', Generation>;
}

let tf: typeof tfjs;
before(async () => {
  ({ tf } = await startRuntime());
});

async function golden(family: string): Promise<Golden> {
  return JSON.parse(await readFile(path.join(GOLDEN, family, 'golden.json'), 'utf8')) as Golden;
}

/** README tolerance for logits: abs ≤ 1e-4, or rel ≤ 1e-4 for values above 1. */
function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i] ?? NaN;
    const got = actual[i] ?? NaN;
    const tolerance = Math.max(1e-4, Math.abs(want) * 1e-4);
    assert.ok(Math.abs(got - want) <= tolerance, `${what}[${String(i)}]: got ${String(got)}, want ${String(want)}`);
  }
}

describe('seq2seq pieces', () => {
  it('builds the Marian sinusoidal table sin-half then cos-half', () => {
    const table = sinusoidalTable(3, 4);
    // Row 1: angles 1/10000^0 and 1/10000^0.5 → [sin 1, sin 0.01, cos 1, cos 0.01].
    assertClose(table.slice(4, 8), [Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)], 'row 1');
    assertClose(table.slice(0, 4), [0, 0, 1, 1], 'row 0');
  });

  it('shifts labels right with the start token and pad for -100', () => {
    assert.deepEqual(shiftTokensRight([[5, 6, -100]], 9, 7), [[7, 5, 6]]);
  });

  it('bans tokens that would repeat an n-gram', () => {
    assert.deepEqual(bannedNgramTokens([1, 2, 3, 1, 2], 3), [3]);
    assert.deepEqual(bannedNgramTokens([1, 2], 3), []);
  });
});

for (const family of FAMILIES) {
  describe(`${family} against the transformers goldens`, () => {
    let g: Golden;
    before(async () => {
      g = await golden(family);
    });

    for (const folder of FOLDERS) {
      describe(`from ${folder}/`, () => {
        let model: Seq2SeqModel;
        let baseline = 0;
        before(async () => {
          model = await loadSeq2Seq(path.join(GOLDEN, family, folder));
          baseline = tf.memory().numTensors;
        });
        after(() => {
          model.params.dispose();
        });

        it('matches the encoder output and decoder logits', () => {
          const ids = tf.tensor2d(g.inputs.input_ids, undefined, 'int32');
          const mask = tf.tensor2d(g.inputs.attention_mask, undefined, 'int32');
          const decoderIds = tf.tensor2d(g.eval.decoder_input_ids, undefined, 'int32');
          const encoded = encode(model.params, model.config, ids, mask);
          const { logits, cache } = decode(model.params, model.config, encoded, mask, decoderIds);
          const hidden = g.eval.encoder_last_hidden_state;
          const { mean, variance } = tf.moments(encoded);
          assertClose([mean.dataSync()[0] ?? NaN, Math.sqrt(variance.dataSync()[0] ?? NaN)], [hidden.mean, hidden.std], 'encoder mean/std');
          assertClose(encoded.dataSync().slice(0, 8), hidden.first_row_first_8, 'encoder [0,0,:8]');
          assertClose(logits.dataSync(), g.eval.decoder_logits.flat(2), 'decoder logits');
          tf.dispose([ids, mask, decoderIds, encoded, logits, mean, variance]);
          disposeCache(cache);
          assert.equal(tf.memory().numTensors, baseline);
        });

        it('matches the loss with labels', () => {
          const ids = tf.tensor2d(g.inputs.input_ids, undefined, 'int32');
          const mask = tf.tensor2d(g.inputs.attention_mask, undefined, 'int32');
          const loss = seq2seqLoss(model.params, model.config, ids, mask, g.inputs.labels);
          const value = loss.dataSync()[0] ?? NaN;
          assert.ok(Math.abs(value - g.eval.loss) <= 1e-5 + 1e-5 * Math.abs(g.eval.loss), `loss ${String(value)} vs ${String(g.eval.loss)}`);
          tf.dispose([ids, mask, loss]);
          assert.equal(tf.memory().numTensors, baseline);
        });

        for (const kind of ['greedy', 'beam', 'greedy_long', 'beam_long'] as const) {
          it(`generates the ${kind} ids`, () => {
            const { kwargs, sequences } = g.generate[kind];
            const ids = tf.tensor2d(g.inputs.input_ids, undefined, 'int32');
            const mask = tf.tensor2d(g.inputs.attention_mask, undefined, 'int32');
            const got = generate(model, ids, mask, { numBeams: kwargs.num_beams, maxNewTokens: kwargs.max_new_tokens });
            tf.dispose([ids, mask]);
            assert.deepEqual(got, sequences);
            assert.equal(tf.memory().numTensors, baseline);
          });
        }
      });
    }
  });
}

describe('generation settings', () => {
  it('applies no_repeat_ngram_size, min_new_tokens and early stopping', async () => {
    const g = await golden('bart-conditional-generation');
    const model = await loadSeq2Seq(path.join(GOLDEN, 'bart-conditional-generation', 'safetensors'));
    const baseline = tf.memory().numTensors;
    const ids = tf.tensor2d(g.inputs.input_ids, undefined, 'int32');
    const mask = tf.tensor2d(g.inputs.attention_mask, undefined, 'int32');
    const eos = model.config.eosTokenId;
    for (const numBeams of [1, 3]) {
      // The long goldens repeat bigrams ("539, 539, 539"); with n = 2 no bigram may occur twice.
      for (const row of generate(model, ids, mask, { numBeams, maxNewTokens: 24, noRepeatNgramSize: 2 })) {
        const bigrams = row.slice(1).map((id, i) => `${String(row[i])},${String(id)}`).filter((_, i) => row[i + 1] !== model.config.padTokenId);
        assert.equal(new Set(bigrams).size, bigrams.length, `repeated bigram in ${row.join(' ')}`);
      }
      for (const row of generate(model, ids, mask, { numBeams, maxNewTokens: 24, minNewTokens: 20 })) {
        assert.ok(row.indexOf(eos) === -1 || row.indexOf(eos, 1) > 20, `EOS too early in ${row.join(' ')}`);
      }
    }
    const early = generate(model, ids, mask, { numBeams: 3, maxNewTokens: 24, earlyStopping: true });
    assert.equal(early.length, 3);
    tf.dispose([ids, mask]);
    assert.equal(tf.memory().numTensors, baseline);
    model.params.dispose();
  });

  it('reads Marian pad suppression and forced EOS from generation_config.json', async () => {
    const model = await loadSeq2Seq(path.join(GOLDEN, 'marian-mt', 'safetensors'));
    const config = generationConfigFor(model, { numBeams: 1, maxNewTokens: 8 });
    model.params.dispose();
    assert.deepEqual(config.badWordsIds, [[456]]);
    assert.equal(config.forcedEosTokenId, 0);
    assert.equal(config.maxLength, 9);
    assert.equal(config.decoderStartTokenId, 456);
  });
});
