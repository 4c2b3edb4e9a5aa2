/**
 * Writes a model the way transformers' `save_pretrained(safe_serialization=True)` does, so the
 * folder loads in Python and in this engine alike: config.json, model.safetensors (tied weights
 * stored once, Marian's rebuilt position tables left out), generation_config.json and the
 * tokenizer files. The result is a name → bytes map; writing it anywhere is the caller's choice.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeSafetensors, type WeightTensor } from '../../weights/index.js';
import type { Params } from '../params.js';

type Json = Record<string, unknown>;

export interface SaveFiles {
  /** The model's config.json object (as read, or as built for a new model). */
  readonly configJson: Readonly<Json>;
  /** generation_config.json; written only when given. */
  readonly generationJson?: Readonly<Json>;
  /** Label names by class index; when given they replace `id2label`/`label2id` in config.json. */
  readonly labels?: readonly string[];
  /** A folder holding the tokenizer files to copy (often the folder the model was loaded from). */
  readonly tokenizerFolder: string;
}

// Weight sharing in transformers' seq2seq LMs: these are the same Parameter as model.shared.weight
// when tie_word_embeddings is on, and save_pretrained keeps only the first name (model.shared.weight).
const TIED_TO_SHARED = ['lm_head.weight', 'model.encoder.embed_tokens.weight', 'model.decoder.embed_tokens.weight'];
// MarianMTModel._keys_to_ignore_on_save: sinusoidal tables, rebuilt at load time.
const MARIAN_UNSAVED = ['model.encoder.embed_positions.weight', 'model.decoder.embed_positions.weight'];
// The tokenizer files transformers' save_pretrained writes (fast and slow tokenizers); a folder's
// other files (model card, other weight formats, training state) are not the model's to carry.
const TOKENIZER_FILE = /^(tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|vocab\.(txt|json)|merges\.txt|[^/]*\.spm|spiece\.model|sentencepiece\.bpe\.model)$/;

/** Every file of the saved model, by file name. Reads the tensors, never disposes them. */
export async function saveModel(params: Params, files: SaveFiles): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  out.set('config.json', jsonFile(withLabels(files.configJson, files.labels)));
  out.set('model.safetensors', encodeSafetensors(await weightsToSave(params, files.configJson), { format: 'pt' }));
  if (files.generationJson !== undefined) out.set('generation_config.json', jsonFile(files.generationJson));
  for (const [name, bytes] of await tokenizerFiles(files.tokenizerFolder)) out.set(name, bytes);
  return out;
}

/** The checkpoint names to store: everything but tied aliases and tensors transformers rebuilds. */
async function weightsToSave(params: Params, configJson: Readonly<Json>): Promise<WeightTensor[]> {
  const modelType = configJson.model_type;
  const seq2seq = modelType === 'bart' || modelType === 'marian';
  const skip = new Set<string>(modelType === 'marian' ? MARIAN_UNSAVED : []);
  if (seq2seq && configJson.tie_word_embeddings !== false && params.has('model.shared.weight')) {
    const shared = await tensorData(params, 'model.shared.weight');
    for (const name of TIED_TO_SHARED) {
      if (!params.has(name)) continue;
      // A tied alias that drifted from the shared table (trained as its own variable) would be lost silently.
      if (params.get(name) !== params.get('model.shared.weight') && !sameValues(shared.data, (await tensorData(params, name)).data)) {
        throw new Error(`saveModel: ${name} differs from model.shared.weight, but tie_word_embeddings stores only the shared table`);
      }
      skip.add(name);
    }
  }
  const weights: WeightTensor[] = [];
  for (const name of params.names()) if (!skip.has(name)) weights.push(await tensorData(params, name));
  return weights;
}

async function tensorData(params: Params, name: string): Promise<WeightTensor> {
  const tensor = params.get(name);
  const data = await tensor.data();
  if (data instanceof Float32Array && tensor.dtype === 'float32') return { name, shape: tensor.shape, data, dtype: 'float32' };
  if (data instanceof Int32Array && tensor.dtype === 'int32') return { name, shape: tensor.shape, data, dtype: 'int32' };
  throw new Error(`saveModel: ${name} is ${tensor.dtype}; only float32 and int32 weights can be saved`);
}

/** Bitwise, so NaN payloads and -0 count as the values they are in the file. */
function sameValues(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((word, i) => word === y[i]);
}

function withLabels(configJson: Readonly<Json>, labels: readonly string[] | undefined): Json {
  if (labels === undefined) return { ...configJson };
  // transformers writes id2label with string keys (JSON) and derives num_labels from it.
  const id2label = Object.fromEntries(labels.map((label, i) => [String(i), label]));
  const label2id = Object.fromEntries(labels.map((label, i) => [label, i]));
  const rest: Json = { ...configJson };
  delete rest.num_labels;
  return { ...rest, id2label, label2id };
}

/**
 * As transformers' `to_json_string`: `json.dumps(d, indent=2, sort_keys=True) + "\n"`. Python's
 * ensure_ascii escapes non-ASCII; floats like 0.0 come back as 0 after JSON.parse (same value).
 */
export function jsonFile(value: Readonly<Json>): Buffer {
  const text = JSON.stringify(sortKeys(value), null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Buffer.from(`${text}\n`, 'utf8');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, item]) => [key, sortKeys(item)]));
}

async function tokenizerFiles(folder: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    // Files only: hub snapshots link blobs, so a symlink to a file counts too.
    if (!(entry.isFile() || entry.isSymbolicLink()) || !TOKENIZER_FILE.test(entry.name)) continue;
    files.set(entry.name, await readFile(path.join(folder, entry.name)));
  }
  return files;
}
