/** src/tune/engine-errors.ts: which worker failures become which SQL errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerError } from '../../../engine/worker/client.js';
import { tuneErrorOf } from '../../../src/tune/engine-errors.js';

describe('tuneErrorOf', () => {
  it("makes the engine's verdicts on the data 22023, with the engine's message", () => {
    for (const name of ['DatasetError', 'SplitError', 'QaError', 'HyperparamError']) {
      const error = tuneErrorOf(new WorkerError('test_size leaves no training rows', name));
      assert.ok(error !== null, name);
      assert.equal(error.fields.code, '22023', name);
      assert.equal(error.message, 'test_size leaves no training rows');
    }
  });

  it('makes a failed wasm allocation 53200 with what to lower', () => {
    // The messages the worker reported when a BART-base tune ran out of the wasm heap, and emscripten's abort.
    const cases: [string, string][] = [['memory access out of bounds', 'RuntimeError'], ['Aborted(OOM)', 'Error'], ['Out of memory', 'RangeError']];
    for (const [message, name] of cases) {
      const error = tuneErrorOf(new WorkerError(message, name));
      assert.ok(error !== null, message);
      assert.equal(error.fields.code, '53200', message);
      assert.match(error.message, /ran out of memory .* 4 GiB/);
      assert.match(error.fields.hint ?? '', /Lower max_length/);
    }
  });

  it('leaves every other failure alone', () => {
    assert.equal(tuneErrorOf(new WorkerError('undefined is not a function', 'TypeError')), null);
    assert.equal(tuneErrorOf(new Error('memory access out of bounds')), null, 'only the worker\'s failures are judged');
    assert.equal(tuneErrorOf('a string'), null);
  });
});
