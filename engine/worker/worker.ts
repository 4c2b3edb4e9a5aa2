/**
 * An engine worker thread: its own TF.js runtime (and, on wasm, its own 4 GiB heap), so training
 * and inference never block the proxy's event loop, and a worker whose wasm heap ran out can be
 * replaced without touching anything else. Answers the requests of protocol.ts one at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { setPriority, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { splitDataset, textDataset, type TextDataset } from '../classify/dataset.js';
import { fineTuneClassifier, type LabelledTexts } from '../classify/fine-tune.js';
import type { Split } from '../train/split.js';
import { predictTexts, type ClassifierParts } from '../classify/predict.js';
import { loadModelFromFolder, writeModelFiles } from '../models/save/index.js';
import { startRuntime } from '../runtime/index.js';
import { loadTokenizer } from '../tokenizers/index.js';
import { WASM_HEAP_BUDGET } from '../train/memory.js';
import type { FromWorker, ToWorker, WorkerEvent, WorkerResults } from './protocol.js';
import { transferable } from './transfer.js';

const port = parentPort;
if (port === null) throw new Error('engine/worker/worker.js runs as a worker thread');
// Training takes every cycle it gets: at a lower priority (Linux nice is per thread) it yields to
// the proxy's own event loop, so other clients' queries stay fast while a model trains. From the
// start: compiling the wasm backend is already heavy work.
if ((workerData as { role?: string } | null)?.role === 'training') lowerPriority();

const runtime = await startRuntime();
const memoryBudget = runtime.backend === 'wasm' ? WASM_HEAP_BUDGET : totalmem() / 2;
const classifiers = new Map<string, ClassifierParts>();
/** A training worker's rows, between load-text-dataset and tune-classifier. */
let loadedDataset: { readonly data: TextDataset; readonly split: Split } | null = null;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function handle(message: ToWorker, emit: (event: WorkerEvent) => void): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  switch (message.kind) {
    case 'load-text-dataset': {
      const data = textDataset(message.chunks, message.labelKind);
      const split = splitDataset(data, message.split);
      loadedDataset = { data, split };
      const value: WorkerResults['load-text-dataset'] = {
        classes: data.classes, rows: data.texts.length, train: split.train.length, test: split.test.length, read: data.read, skipped: data.skipped,
      };
      return { value, transfer: [] };
    }
    case 'tune-classifier': {
      if (loadedDataset === null) throw new Error('tune-classifier needs load-text-dataset first');
      const { data, split } = loadedDataset;
      const pick = (rows: readonly number[]): LabelledTexts => ({ texts: rows.map((i) => data.texts[i] ?? ''), labels: rows.map((i) => data.labels[i] ?? 0) });
      const request = { ...message.request, memoryBudget, labels: data.classes, train: pick(split.train), test: pick(split.test) };
      const result = await fineTuneClassifier(request, {
        notice: (text) => emit({ kind: 'notice', message: text }),
        onStep: (report) => emit({ kind: 'step', report }),
        onLog: (entry) => emit({ kind: 'log', entry }),
        onEvaluation: (entry) => emit({ kind: 'evaluation', entry }),
      });
      const files = [...result.files].map(([name, bytes]) => [name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)] as const);
      const value: WorkerResults['tune-classifier'] = {
        files,
        metrics: result.metrics,
        steps: result.train.steps,
        trainLoss: result.train.trainLoss,
        runtimeSeconds: result.train.runtimeSeconds,
        samplesPerSecond: result.train.samplesPerSecond,
      };
      return { value, transfer: transferable(files.map(([, bytes]) => bytes)) };
    }
    case 'load-classifier': {
      classifiers.get(message.key)?.params.dispose();
      classifiers.delete(message.key);
      const parts = await loadClassifier(message.files);
      classifiers.set(message.key, parts);
      const value: WorkerResults['load-classifier'] = { labels: parts.config.id2label };
      return { value, transfer: [] };
    }
    case 'classify': {
      const parts = classifiers.get(message.key);
      if (parts === undefined) throw new Error(`model ${message.key} is not loaded in this worker`);
      const value: WorkerResults['classify'] = { probabilities: predictTexts(parts, message.texts, message.batchSize, memoryBudget) };
      return { value, transfer: [] };
    }
    case 'unload':
      classifiers.get(message.key)?.params.dispose();
      classifiers.delete(message.key);
      return { value: null, transfer: [] };
    case 'loaded':
      return { value: { keys: [...classifiers.keys()] } satisfies WorkerResults['loaded'], transfer: [] };
    default: {
      const never: never = message;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

/** A stored model's files → a classifier, through a temporary folder (the loaders read folders). */
async function loadClassifier(files: readonly (readonly [string, Uint8Array])[]): Promise<ClassifierParts> {
  const folder = await mkdtemp(path.join(tmpdir(), 'pgml-serve-'));
  try {
    await writeModelFiles(folder, new Map(files.map(([name, bytes]) => [name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)])));
    const model = await loadModelFromFolder(folder);
    if (model.kind !== 'encoder' || model.config.head !== 'sequence-classification') {
      if (model.kind === 'encoder') model.params.dispose();
      throw new Error('the stored model is not a sequence classifier');
    }
    return { config: model.config, params: model.params, tokenizer: await loadTokenizer(folder) };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function lowerPriority(): void {
  const TRAINING_NICE = 10;
  try {
    setPriority(TRAINING_NICE);
  } catch {
    // Not permitted here (some containers): training then competes at normal priority.
  }
}

// One request at a time: TF.js work is synchronous anyway, and order keeps memory predictable.
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  queue = queue.then(async () => {
    try {
      const { value, transfer } = await handle(message, (event) => send({ id: message.id, type: 'event', event }));
      send({ id: message.id, type: 'result', value }, transfer);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      send({ id: message.id, type: 'error', message: failure.message, errorName: failure.name });
    }
  });
});
send({ id: 0, type: 'ready', backend: runtime.backend });
