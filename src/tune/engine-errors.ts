/**
 * What a failure in the training worker means to the caller: the engine's verdicts on the data
 * (one label, a test_size too large, a question longer than max_length, a bad hyperparam) are
 * the caller's errors (22023); a wasm allocation that failed is out of memory (53200), with what
 * to lower. Anything else stays an internal error.
 */
import { WorkerError } from '../../engine/worker/client.js';
import { ProxyError } from '../../proxy/errors.js';

const INPUT_ERRORS = ['DatasetError', 'SplitError', 'QaError', 'HyperparamError'];

/** The ProxyError `error` stands for, or null when it is not one the caller can act on. */
export function tuneErrorOf(error: unknown): ProxyError | null {
  if (!(error instanceof WorkerError)) return null;
  if (INPUT_ERRORS.includes(error.errorName)) return new ProxyError({ severity: 'ERROR', code: '22023', message: error.message }, { cause: error });
  if (!outOfMemory(error)) return null;
  return new ProxyError({
    severity: 'ERROR', code: '53200',
    message: `the engine ran out of memory while training: the wasm backend's heap stops at 4 GiB (${error.message})`,
    hint: 'Lower max_length (max_input_length and max_summary_length for translation and summarization), or fine-tune a smaller model; '
      + 'the batch size does not matter, batches are already split to fit.',
  }, { cause: error });
}

/**
 * A wasm allocation that failed: emscripten aborts the instance ("Aborted(OOM)"), or an access
 * lands past the heap ("memory access out of bounds", a WebAssembly.RuntimeError: what a
 * BART-base tune at micro-batch 1 hit before the optimizer moved to host memory).
 */
function outOfMemory(error: WorkerError): boolean {
  return error.errorName === 'RuntimeError' || /out of memory|memory access out of bounds|Aborted\(/i.test(error.message);
}
