/**
 * The engine's worker threads, as the proxy uses them: each training job in a worker of its own
 * (stopped afterwards, so its wasm heap is freed and a cancel can stop it at once), one at a time
 * by default since a job already takes the machine's cores; and one long-lived inference worker
 * holding the deployed models most recently used.
 */
import type { LabelKind, SplitRequest } from '../../engine/classify/dataset.js';
import type { GenerationOptions } from '../../engine/generate/index.js';
import { EngineWorker } from '../../engine/worker/client.js';
import type { AnswerRequest, WorkerEvent, WorkerRequest, WorkerResults } from '../../engine/worker/protocol.js';
import type { QaInput } from '../../engine/qa/answer.js';
import type { QaAnswer } from '../../engine/qa/decode.js';
import { transferable } from '../../engine/worker/transfer.js';

export type TuneClassifierRequest = Extract<WorkerRequest, { kind: 'tune-classifier' }>['request'];

type Loaded = WorkerResults['load-model'];
type TuneSeq2SeqRequest = Extract<WorkerRequest, { kind: 'tune-seq2seq' }>['request'];

/** One training job's worker: its rows first, then the training. */
export interface TrainingJob {
  /** `chunks` (DataRow messages of text and label) are moved to the worker, not copied. */
  loadTextDataset(chunks: readonly Uint8Array[], labelKind: LabelKind, split: SplitRequest): Promise<WorkerResults['load-text-dataset']>;
  tuneClassifier(request: TuneClassifierRequest, onEvent: (event: WorkerEvent) => void): Promise<WorkerResults['tune-classifier']>;
  loadPairDataset(chunks: readonly Uint8Array[], split: SplitRequest): Promise<WorkerResults['load-pair-dataset']>;
  tuneSeq2Seq(request: TuneSeq2SeqRequest, onEvent: (event: WorkerEvent) => void): Promise<WorkerResults['tune-seq2seq']>;
  loadQaDataset(chunks: readonly Uint8Array[], split: SplitRequest): Promise<WorkerResults['load-qa-dataset']>;
  tuneQa(request: Extract<WorkerRequest, { kind: 'tune-qa' }>['request'], onEvent: (event: WorkerEvent) => void): Promise<WorkerResults['tune-qa']>;
  close(): Promise<void>;
}

export interface EngineHostOptions {
  /** Training jobs that may run at once; later ones wait their turn. */
  readonly trainingSlots?: number;
  /** Models the inference worker keeps loaded; the least recently used goes first. */
  readonly cachedModels?: number;
  readonly startWorker?: (role: 'training' | 'inference') => Promise<EngineWorker>;
}

export interface Classified {
  readonly labels: readonly string[];
  readonly probabilities: readonly (readonly number[])[];
}

export class EngineHost {
  private readonly trainingSlots: number;
  private readonly cachedModels: number;
  private readonly startWorker: (role: 'training' | 'inference') => Promise<EngineWorker>;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly training = new Set<EngineWorker>();
  private inference: Promise<EngineWorker> | null = null;
  /** key → what the inference worker loaded, in least-recently-used order (Map keeps insertion order). */
  private readonly loaded = new Map<string, Promise<Loaded>>();
  private closed = false;

  constructor(options: EngineHostOptions = {}) {
    this.trainingSlots = options.trainingSlots ?? 1;
    this.cachedModels = options.cachedModels ?? 3;
    this.startWorker = options.startWorker ?? ((role) => EngineWorker.start(role));
  }

  /** True when a new job would have to wait for another to finish. */
  get trainingBusy(): boolean {
    return this.running >= this.trainingSlots;
  }

  /**
   * A worker for one training job, once a training slot is free (NOTICE-worthy: `trainingBusy`).
   * The job owns the worker until close(), which stops it and frees the slot; aborting `signal`
   * stops the worker at once, whatever it is doing.
   */
  async trainingJob(signal: AbortSignal): Promise<TrainingJob> {
    await this.slot(signal);
    let worker: EngineWorker;
    try {
      signal.throwIfAborted();
      worker = await this.startWorker('training');
    } catch (error) {
      this.release();
      throw error;
    }
    this.training.add(worker);
    let closed = false;
    return {
      loadTextDataset: (chunks, labelKind, split) =>
        worker.request({ kind: 'load-text-dataset', chunks, labelKind, split }, { signal, transfer: transferable(chunks) }),
      tuneClassifier: (request, onEvent) => worker.request({ kind: 'tune-classifier', request }, { signal, onEvent }),
      loadPairDataset: (chunks, split) => worker.request({ kind: 'load-pair-dataset', chunks, split }, { signal, transfer: transferable(chunks) }),
      tuneSeq2Seq: (request, onEvent) => worker.request({ kind: 'tune-seq2seq', request }, { signal, onEvent }),
      loadQaDataset: (chunks, split) => worker.request({ kind: 'load-qa-dataset', chunks, split }, { signal, transfer: transferable(chunks) }),
      tuneQa: (request, onEvent) => worker.request({ kind: 'tune-qa', request }, { signal, onEvent }),
      close: async () => {
        if (closed) return;
        closed = true;
        this.training.delete(worker);
        await worker.terminate();
        this.release();
      },
    };
  }

  /** Class probabilities from the stored model `key`, loading its files into the inference worker first when needed. */
  async classify(key: string, files: () => Promise<Map<string, Buffer>>, texts: readonly string[], batchSize = 32): Promise<Classified> {
    const worker = await this.inferenceWorker();
    const { labels } = await this.load(worker, key, files);
    const { probabilities } = await worker.request({ kind: 'classify', key, texts, batchSize });
    return { labels, probabilities };
  }

  /** Texts generated by the stored sequence-to-sequence model `key`, one per input, in order. */
  async generate(key: string, files: () => Promise<Map<string, Buffer>>, texts: readonly string[], options: GenerationOptions, batchSize = 8): Promise<readonly string[]> {
    const worker = await this.inferenceWorker();
    await this.load(worker, key, files);
    return (await worker.request({ kind: 'generate', key, texts, options, batchSize })).texts;
  }

  /** Answers from the stored extractive QA model `key`, one per input, in order. */
  async answer(key: string, files: () => Promise<Map<string, Buffer>>, inputs: readonly QaInput[], settings: AnswerRequest): Promise<readonly QaAnswer[]> {
    const worker = await this.inferenceWorker();
    await this.load(worker, key, files);
    return (await worker.request({ kind: 'answer', key, inputs, settings })).answers;
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.training];
    const inference = this.inference;
    this.inference = null;
    await Promise.all(workers.map((w) => w.terminate()));
    if (inference !== null) await inference.then((w) => w.terminate(), () => undefined);
  }

  private load(worker: EngineWorker, key: string, files: () => Promise<Map<string, Buffer>>): Promise<Loaded> {
    let labels = this.loaded.get(key);
    if (labels !== undefined) {
      this.loaded.delete(key); // re-inserted below: now the most recently used
    } else {
      labels = files()
        .then((map) => {
          const list = [...map].map(([name, bytes]) => [name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)] as const);
          // Moved, not copied: a base-size model is hundreds of MB the proxy does not keep.
          return worker.request({ kind: 'load-model', key, files: list }, { transfer: transferable(list.map(([, bytes]) => bytes)) });
        });
      labels.catch(() => this.loaded.delete(key)); // a failed load is retried by the next call
    }
    this.loaded.set(key, labels);
    for (const old of [...this.loaded.keys()].slice(0, Math.max(0, this.loaded.size - this.cachedModels))) {
      this.loaded.delete(old);
      void worker.request({ kind: 'unload', key: old }).catch(() => undefined);
    }
    return labels;
  }

  private inferenceWorker(): Promise<EngineWorker> {
    if (this.closed) return Promise.reject(new Error('the engine is shutting down'));
    const current = this.inference;
    if (current !== null) {
      return current.then((worker) => {
        if (worker.alive) return worker;
        // It died (e.g. out of wasm memory): what it had loaded is gone with it.
        if (this.inference === current) this.inference = null;
        return this.inferenceWorker();
      });
    }
    this.loaded.clear();
    const started = this.startWorker('inference');
    this.inference = started;
    started.catch(() => {
      if (this.inference === started) this.inference = null;
    });
    return started;
  }

  private slot(signal: AbortSignal | undefined): Promise<void> {
    if (this.running < this.trainingSlots) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const take = (): void => {
        signal?.removeEventListener('abort', abort);
        this.running += 1;
        resolve();
      };
      const abort = (): void => {
        const at = this.queue.indexOf(take);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.queue.push(take);
    });
  }

  private release(): void {
    this.running -= 1;
    this.queue.shift()?.();
  }
}
