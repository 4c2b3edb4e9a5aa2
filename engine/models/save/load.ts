/**
 * Loads a saved Hugging Face model folder (or the file map saveModel returns) into the family it
 * names: BERT-like encoders or Marian/BART seq2seq, dispatched on config.json's `model_type`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readCheckpoint } from '../../weights/index.js';
import { checkEncoderWeights, readEncoderConfig, type EncoderConfig } from '../encoders/index.js';
import { paramsFromWeights, type Params } from '../params.js';
import { loadSeq2Seq, type Seq2SeqModel } from '../seq2seq/index.js';

export interface EncoderModel {
  readonly kind: 'encoder';
  readonly config: EncoderConfig;
  readonly params: Params;
  readonly configJson: Readonly<Record<string, unknown>>;
}

export type LoadedModel = EncoderModel | ({ readonly kind: 'seq2seq' } & Seq2SeqModel);

const ENCODERS = new Set(['bert', 'distilbert', 'roberta']);
const SEQ2SEQ = new Set(['bart', 'marian']);

export async function loadModelFromFolder(folder: string): Promise<LoadedModel> {
  const configJson = JSON.parse(await readFile(path.join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  const modelType = String(configJson.model_type);
  if (SEQ2SEQ.has(modelType)) return { kind: 'seq2seq', ...(await loadSeq2Seq(folder)) };
  if (!ENCODERS.has(modelType)) throw new Error(`${folder}: model_type ${JSON.stringify(configJson.model_type)} has no loader`);
  const config = readEncoderConfig(configJson);
  const params = paramsFromWeights(tf, await readCheckpoint(folder));
  try {
    checkEncoderWeights(params, config);
  } catch (error) {
    params.dispose(); // a failed load must not leak the tensors it made
    throw error;
  }
  return { kind: 'encoder', config, params, configJson };
}

/** Writes every file into `folder` (which must exist); names are plain file names, never paths. */
export async function writeModelFiles(folder: string, files: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const [name, bytes] of files) {
    // A map built elsewhere must not write outside the folder.
    if (name !== path.basename(name) || name === '.' || name === '..') throw new Error(`writeModelFiles: ${JSON.stringify(name)} is not a file name`);
    await writeFile(path.join(folder, name), bytes);
  }
}

/** The round trip of saveModel: the same loaders, through a temporary folder removed afterwards. */
export async function loadModelFromFiles(files: ReadonlyMap<string, Buffer>): Promise<LoadedModel> {
  const folder = await mkdtemp(path.join(tmpdir(), 'pgml-model-'));
  try {
    await writeModelFiles(folder, files);
    return await loadModelFromFolder(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
