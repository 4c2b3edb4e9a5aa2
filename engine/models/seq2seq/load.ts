/**
 * Loads a Marian or BART checkpoint folder into a named weight tree, restoring what
 * save_pretrained leaves out: tied embeddings (safetensors stores `model.shared.weight` once) and
 * Marian's sinusoidal position tables (never saved; transformers rebuilds them at load).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readCheckpoint } from '../../weights/index.js';
import { Params } from '../params.js';
import { seq2seqConfigFrom, type Seq2SeqConfig } from './config.js';

export interface Seq2SeqModel {
  readonly config: Seq2SeqConfig;
  readonly params: Params;
  /** The raw config.json and generation_config.json (empty when absent), for generation defaults. */
  readonly configJson: Readonly<Record<string, unknown>>;
  readonly generationJson: Readonly<Record<string, unknown>>;
}

const TIED = ['lm_head.weight', 'model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight'];

/**
 * MarianSinusoidalPositionalEmbedding: not interleaved. For i < d/2, column i is
 * sin(pos / 10000^(2i/d)) and column d/2 + i the matching cos; computed in float64, stored as float32.
 */
export function sinusoidalTable(rows: number, dim: number): Float32Array {
  const table = new Float32Array(rows * dim);
  const half = Math.ceil(dim / 2); // torch fills sin into [0, ceil(d/2)) from the even columns
  for (let pos = 0; pos < rows; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      const column = j % 2 === 0 ? j / 2 : half + (j - 1) / 2;
      table[pos * dim + column] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

export async function loadSeq2Seq(folder: string): Promise<Seq2SeqModel> {
  const configJson = await readJson(path.join(folder, 'config.json'));
  const generationJson = await readJson(path.join(folder, 'generation_config.json'));
  const config = seq2seqConfigFrom(configJson);
  const weights = await readCheckpoint(folder);
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, w] of weights) tensors.set(name, tf.tensor(w.data, [...w.shape], w.dtype));
  if (config.positions === 'sinusoidal') {
    for (const side of ['encoder', 'decoder']) {
      const name = `model.${side}.embed_positions.weight`;
      tensors.get(name)?.dispose();
      tensors.set(name, tf.tensor2d(sinusoidalTable(config.maxPositions, config.dModel), [config.maxPositions, config.dModel]));
    }
  }
  const params = new Params(tensors);
  for (const name of TIED) params.tie(name, 'model.shared.weight');
  for (const name of [...TIED, 'final_logits_bias']) {
    if (!params.has(name)) {
      params.dispose();
      throw new Error(`${folder}: checkpoint has no ${name}`);
    }
  }
  return { config, params, configJson, generationJson };
}
