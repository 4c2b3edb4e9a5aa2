/**
 * An engine worker thread: its own TF.js runtime (and, on wasm, its own 4 GiB heap), so training
 * and inference never block the proxy's event loop, and a worker whose wasm heap ran out can be
 * replaced without touching anything else. Answers the requests of protocol.ts one at a time.
 */
import { setPriority, totalmem } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { startRuntime } from '../runtime/index.js';
import { WASM_HEAP_BUDGET } from '../train/memory.js';
import type { FromWorker, ToWorker, WorkerEvent, WorkerResults } from './protocol.js';
import { ServingState } from './serving.js';
import { TrainingState, type Answer } from './training.js';

const port = parentPort;
if (port === null) throw new Error('engine/worker/worker.js runs as a worker thread');
// Training takes every cycle it gets: at a lower priority (Linux nice is per thread) it yields to
// the proxy's own event loop, so other clients' queries stay fast while a model trains. From the
// start: compiling the wasm backend is already heavy work.
if ((workerData as { role?: string } | null)?.role === 'training') lowerPriority();

const runtime = await startRuntime();
const memoryBudget = runtime.backend === 'wasm' ? WASM_HEAP_BUDGET : totalmem() / 2;
const training = new TrainingState(memoryBudget);
const serving = new ServingState(memoryBudget);

const now = <T>(value: T): Answer<T> => ({ value, transfer: [] });

async function handle(message: ToWorker, emit: (event: WorkerEvent) => void): Promise<Answer<unknown>> {
  switch (message.kind) {
    case 'load-text-dataset':
      return now(training.loadTextDataset(message.chunks, message.labelKind, message.split));
    case 'tune-classifier':
      return training.tuneClassifier(message, emit);
    case 'load-pair-dataset':
      return now(training.loadPairDataset(message.chunks, message.split));
    case 'tune-seq2seq':
      return training.tuneSeq2Seq(message, emit);
    case 'load-qa-dataset':
      return now(training.loadQaDataset(message.chunks, message.split));
    case 'tune-qa':
      return training.tuneQa(message, emit);
    case 'answer':
      return now(await serving.answer(message.key, message.inputs, message.settings));
    case 'load-model':
      return now(await serving.load(message.key, message.files));
    case 'classify':
      return now(serving.classify(message.key, message.texts, message.batchSize));
    case 'generate':
      return now(serving.generate(message.key, message.texts, message.options, message.batchSize));
    case 'unload':
      serving.unload(message.key);
      return now(null);
    case 'loaded':
      return now({ keys: serving.keys() } satisfies WorkerResults['loaded']);
    default: {
      const never: never = message;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
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

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
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
