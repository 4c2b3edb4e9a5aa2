/**
 * The proxy's side of an engine worker: starts the thread, sends requests, routes each answer's
 * events and result back to its caller. Cancelling a request terminates the worker (TF.js cannot
 * be interrupted mid-kernel, and a terminated thread frees its wasm heap at once); a worker that
 * dies fails whatever it was doing, and the owner starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerEvent, WorkerRequest, WorkerResults } from './protocol.js';

export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: WorkerEvent) => void;
  readonly transfer?: readonly ArrayBuffer[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onEvent?: (event: WorkerEvent) => void;
}

/** A failure inside the worker, with the name of the error it threw there. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  constructor(message: string, readonly errorName: string) {
    super(message);
  }
}

const WORKER_SCRIPT = new URL('./worker.js', import.meta.url);

export class EngineWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | null = null;

  private constructor(private readonly worker: Worker, readonly backend: string) {
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.stop(new Error(`the engine worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.stop(new Error(`the engine worker exited (code ${code})`)));
  }

  /** A new worker, once its TF.js runtime is ready. Training workers run at a lower priority. */
  static start(role: 'training' | 'inference'): Promise<EngineWorker> {
    const worker = new Worker(WORKER_SCRIPT, { workerData: { role } });
    return new Promise((resolve, reject) => {
      const failed = (error: Error): void => reject(new Error(`the engine worker did not start: ${error.message}`, { cause: error }));
      const exited = (code: number): void => failed(new Error(`exit code ${code}`));
      worker.once('error', failed);
      worker.once('exit', exited);
      worker.once('message', (message: FromWorker) => {
        worker.off('error', failed).off('exit', exited);
        if (message.type !== 'ready') {
          void worker.terminate();
          reject(new Error(`the engine worker sent ${message.type} before it was ready`));
          return;
        }
        resolve(new EngineWorker(worker, message.backend));
      });
    });
  }

  /** False once the worker exited or was terminated. */
  get alive(): boolean {
    return this.stopped === null;
  }

  /** True while requests wait for answers. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  request<K extends WorkerRequest['kind']>(request: Extract<WorkerRequest, { kind: K }>, options: RequestOptions = {}): Promise<WorkerResults[K]> {
    if (this.stopped !== null) return Promise.reject(this.stopped);
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    const id = this.nextId++;
    return new Promise<WorkerResults[K]>((resolve, reject) => {
      const onAbort = (): void => {
        reject(abortError(signal));
        void this.terminate();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (value) => { done(); resolve(value as WorkerResults[K]); },
        reject: (error) => { done(); reject(error); },
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      const message: ToWorker = { id, ...request };
      this.worker.postMessage(message, [...(options.transfer ?? [])]);
    });
  }

  /** Stops the thread; whatever was asked of it fails. */
  async terminate(): Promise<void> {
    this.stop(new Error('the engine worker was stopped'));
    await this.worker.terminate();
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'ready') return;
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    switch (message.type) {
      case 'event':
        pending.onEvent?.(message.event);
        return;
      case 'result':
        this.pending.delete(message.id);
        pending.resolve(message.value);
        return;
      case 'error':
        this.pending.delete(message.id);
        pending.reject(new WorkerError(message.message, message.errorName));
        return;
      default: {
        const never: never = message;
        throw new Error(`unexpected worker message ${JSON.stringify(never)}`);
      }
    }
  }

  private stop(reason: Error): void {
    if (this.stopped !== null) return;
    this.stopped = reason;
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError');
}
