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
import { answerQuestions, qaMaxLength, type QaInput, type QaParts } from '../qa/answer.js';
import type { AnswerRequest, LoadedKind, WorkerResults } from './protocol.js';

type Served =
  | { readonly kind: 'classifier'; readonly parts: ClassifierParts }
  | { readonly kind: 'seq2seq'; readonly parts: Text2Text }
  | { readonly kind: 'qa'; readonly parts: QaParts };

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

  async answer(key: string, inputs: readonly QaInput[], request: AnswerRequest): Promise<WorkerResults['answer']> {
    const { parts } = this.get(key, 'qa');
    const answers = await answerQuestions(parts, inputs, { ...request, maxLength: qaMaxLength(parts.config, request.maxLength) });
    return { answers };
  }

  unload(key: string): void {
    const served = this.models.get(key);
    if (served === undefined) return;
    (served.kind === 'seq2seq' ? served.parts.model.params : served.parts.params).dispose();
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
    const parts = { config: model.config, params: model.params, tokenizer };
    return model.config.head === 'sequence-classification' ? { kind: 'classifier', parts } : { kind: 'qa', parts };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
