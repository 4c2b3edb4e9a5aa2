/**
 * An inference worker's models: stored models loaded by key (the proxy decides which to keep),
 * each served by what its config.json says it is.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { predictTexts, type ClassifierParts } from '../classify/predict.js';
import type { GenerationOptions } from '../generate/index.js';
import { loadModelFromFolder, writeModelFiles, type LoadedModel } from '../models/save/index.js';
import { generateTexts, type Text2Text } from '../text2text/generate-texts.js';
import { loadTokenizer } from '../tokenizers/index.js';
import type { LoadedKind, WorkerResults } from './protocol.js';

type Served = { readonly kind: 'classifier'; readonly parts: ClassifierParts } | { readonly kind: 'seq2seq'; readonly parts: Text2Text };

export class ServingState {
  private readonly models = new Map<string, Served>();

  constructor(private readonly memoryBudget: number) {}

  async load(key: string, files: readonly (readonly [string, Uint8Array])[]): Promise<WorkerResults['load-model']> {
    this.unload(key);
    const served = await fromFiles(files);
    this.models.set(key, served);
    return { kind: served.kind, labels: served.kind === 'classifier' ? served.parts.config.id2label : [] };
  }

  classify(key: string, texts: readonly string[], batchSize: number): WorkerResults['classify'] {
    const served = this.get(key, 'classifier');
    return { probabilities: predictTexts(served.parts, texts, batchSize, this.memoryBudget) };
  }

  generate(key: string, texts: readonly string[], options: GenerationOptions, batchSize: number): WorkerResults['generate'] {
    const served = this.get(key, 'seq2seq');
    return { texts: generateTexts(served.parts, texts, options, batchSize) };
  }

  unload(key: string): void {
    const served = this.models.get(key);
    if (served === undefined) return;
    (served.kind === 'classifier' ? served.parts.params : served.parts.model.params).dispose();
    this.models.delete(key);
  }

  keys(): string[] {
    return [...this.models.keys()];
  }

  private get<K extends LoadedKind>(key: string, kind: K): Extract<Served, { kind: K }> {
    const served = this.models.get(key);
    if (served === undefined) throw new Error(`model ${key} is not loaded in this worker`);
    if (served.kind !== kind) throw new Error(`model ${key} is a ${served.kind}, not a ${kind}`);
    return served as Extract<Served, { kind: K }>;
  }
}

/** A stored model's files → a model, through a temporary folder (the loaders read folders). */
async function fromFiles(files: readonly (readonly [string, Uint8Array])[]): Promise<Served> {
  const folder = await mkdtemp(path.join(tmpdir(), 'pgml-serve-'));
  try {
    await writeModelFiles(folder, new Map(files.map(([name, bytes]) => [name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)])));
    const model: LoadedModel = await loadModelFromFolder(folder);
    const tokenizer = await loadTokenizer(folder);
    if (model.kind === 'seq2seq') return { kind: 'seq2seq', parts: { model, tokenizer } };
    if (model.config.head === 'sequence-classification') return { kind: 'classifier', parts: { config: model.config, params: model.params, tokenizer } };
    model.params.dispose();
    throw new Error(`the stored model has a ${model.config.head} head, which this worker does not serve yet`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
