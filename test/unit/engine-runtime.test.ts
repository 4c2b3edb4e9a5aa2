/**
 * engine/runtime: backend start and the kernel fixes, each checked against the cpu backend on
 * small random inputs. The first test runs the stock wasm kernels, to show what the fixes fix.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { startRuntime, stopRuntime } from '../../engine/runtime/index.js';

/** Deterministic values in [-1, 1), so both backends see the same inputs. */
function random(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(random(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** Runs `f` on a backend and returns its outputs as plain arrays (tensors never cross backends). */
async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const outs = tf.tidy(f);
    const values = (Array.isArray(outs) ? outs : [outs]).map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(outs);
    return values;
  } finally {
    await tf.setBackend(previous);
  }
}

function maxDiff(a: Float32Array | undefined, b: Float32Array | undefined): number {
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] ?? Number.NaN))), 0);
}

async function sameOnBothBackends(f: () => tf.Tensor | tf.Tensor[], tolerance: number): Promise<void> {
  const wasm = await on('wasm', f);
  const cpu = await on('cpu', f);
  assert.equal(wasm.length, cpu.length);
  wasm.forEach((w, i) => assert.ok(maxDiff(w, cpu[i]) <= tolerance, `output ${i}: ${maxDiff(w, cpu[i])} > ${tolerance}`));
}

/** Mean time of one product, inputs made beforehand, output read back. */
function timeMs(c: SpeedCase, repeats: number): number {
  const a = rand(c.a, 4);
  const b = rand(c.b, 5);
  // The body returns nothing: tidy walks whatever it returns, and walking a big typed array costs more than the product.
  const run = (): void => {
    tf.tidy(() => {
      tf.matMul(a, b, c.ta, c.tb).dataSync();
    });
  };
  run(); // warm-up: kernel setup and first allocations
  const begun = performance.now();
  for (let i = 0; i < repeats; i++) run();
  const ms = (performance.now() - begun) / repeats;
  tf.dispose([a, b]);
  return ms;
}

interface SpeedCase {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
  flop: number;
}

const fusedNT = (): tf.Tensor =>
  tf.fused.matMul({ a: rand([6, 5], 1), b: rand([4, 5], 2), bias: rand([4], 3), transposeB: true });
const plainNT = (): tf.Tensor => tf.add(tf.matMul(rand([6, 5], 1), rand([4, 5], 2), false, true), rand([4], 3));

const fusedBatched = (): tf.Tensor => tf.fused.matMul({ a: rand([2, 5, 6], 1), b: rand([2, 6, 4], 2), bias: rand([4], 3) });
const plainBatched = (): tf.Tensor => tf.add(tf.matMul(rand([2, 5, 6], 1), rand([2, 6, 4], 2)), rand([4], 3));

const speedCases: Record<string, SpeedCase> = {
  'NN 256x768·768x768': { a: [256, 768], b: [768, 768], ta: false, tb: false, flop: 2 * 256 * 768 * 768 },
  'NT 256x768·(768x768)ᵀ': { a: [256, 768], b: [768, 768], ta: false, tb: true, flop: 2 * 256 * 768 * 768 },
  'TN (256x768)ᵀ·256x768': { a: [256, 768], b: [256, 768], ta: true, tb: false, flop: 2 * 256 * 768 * 768 },
  'batched 24x128x64 QKᵀ': { a: [24, 128, 64], b: [24, 128, 64], ta: false, tb: true, flop: 2 * 24 * 128 * 128 * 64 },
};
const stockMs: Record<string, number> = {};

describe('engine runtime', () => {
  it('stock wasm kernels: _FusedMatMul with bias and transposeB is wrong, and tensorflow is not installed', async () => {
    await assert.rejects(startRuntime({ backend: 'tensorflow' }), /@tensorflow\/tfjs-node\b.*not installed/);
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const [fused] = await on('wasm', fusedNT);
    const [plain] = await on('wasm', plainNT);
    assert.ok(maxDiff(fused, plain) > 0.1, 'the stock wasm kernel was expected to be wrong here');
    const [batched] = await on('wasm', fusedBatched);
    const [batchedPlain] = await on('wasm', plainBatched);
    assert.ok(maxDiff(batched, batchedPlain) > 0.1, 'stock wasm bias with batch > 1 was expected to be wrong');
    for (const [name, c] of Object.entries(speedCases)) stockMs[name] = timeMs(c, 2);
  });

  after(stopRuntime); // a no-op when the last test already stopped it

  it('starts on wasm, is idempotent, logs, and refuses to switch backend while running', async () => {
    const events: string[] = [];
    const runtime = await startRuntime({ backend: 'wasm', log: (event) => events.push(event) });
    assert.equal(runtime.backend, 'wasm');
    assert.equal(runtime.tf.getBackend(), 'wasm');
    assert.deepEqual(events, ['engine.runtime.started']);
    assert.equal(await startRuntime(), runtime);
    await assert.rejects(startRuntime({ backend: 'cpu' }), /already runs on wasm/);
    assert.ok(runtime.fixes.includes('wasm:UnsortedSegmentSum'));
  });

  it('trains a gather embedding on wasm: its gradient (UnsortedSegmentSum) equals cpu', async () => {
    const ids = [3, 0, 7, 3, 49, 12, 0, 3, 25, 25, 1, 48];
    await sameOnBothBackends(() => {
      const params = rand([50, 8], 10);
      const weights = rand([3, 4, 8], 11);
      const loss = (p: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.gather(p, tf.tensor2d(ids, [3, 4], 'int32')), weights));
      return [loss(params), tf.grad(loss)(params)];
    }, 1e-5);
    await sameOnBothBackends(() => tf.unsortedSegmentSum(rand([6, 3], 12), tf.tensor1d([2, -1, 2, 9, 0, 4], 'int32'), 5), 1e-6);
  });

  it('UnsortedSegmentSum by hand: rows add up per segment, out-of-range ids are dropped', async () => {
    const f = (): tf.Tensor =>
      tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([2, -1, 2, 0], 'int32'), 3);
    for (const backend of ['wasm', 'cpu'] as const) {
      const [out] = await on(backend, f);
      assert.deepEqual(Array.from(out ?? []), [7, 8, 0, 0, 6, 8], backend);
    }
  });

  it('cpu UnsortedSegmentSum is a scatter-add: fast for numSegments=30522 and right', async () => {
    await tf.setBackend('cpu');
    try {
      const begun = performance.now();
      const total = tf.tidy(() => {
        const x = tf.ones([512, 64]);
        const ids = tf.tensor1d(Array.from({ length: 512 }, (_, i) => (i * 7919) % 30522), 'int32');
        return tf.unsortedSegmentSum(x, ids, 30522).sum();
      });
      const sum = total.dataSync()[0];
      total.dispose();
      const ms = performance.now() - begun;
      assert.equal(sum, 512 * 64);
      assert.ok(ms < 2000, `took ${ms} ms`);
      console.log(`cpu UnsortedSegmentSum, 512x64 into 30522 segments: ${ms.toFixed(1)} ms`);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('wasm Identity shares the buffer: clone adds no data buffer, and values survive disposing the source', () => {
    const big = tf.fill([1024, 1024], 1.5);
    const before = tf.memory().numDataBuffers;
    const copy = tf.clone(big);
    assert.equal(tf.memory().numDataBuffers, before);
    big.dispose();
    assert.deepEqual(Array.from(copy.dataSync().subarray(0, 3)), [1.5, 1.5, 1.5]);
    copy.dispose();
  });

  it('wasm fused.matMul with a bias and transposes equals matMul + add, and equals cpu', async () => {
    const [fused] = await on('wasm', fusedNT);
    const [plain] = await on('wasm', plainNT);
    assert.ok(maxDiff(fused, plain) < 1e-5);
    const [batched] = await on('wasm', fusedBatched);
    const [batchedPlain] = await on('wasm', plainBatched);
    assert.ok(maxDiff(batched, batchedPlain) < 1e-5);
    await sameOnBothBackends(
      () => [
        fusedNT(),
        tf.fused.matMul({ a: rand([5, 6], 1), b: rand([5, 4], 2), bias: rand([4], 3), transposeA: true, activation: 'relu' }),
        tf.fused.matMul({ a: rand([2, 5, 6], 1), b: rand([2, 4, 5], 2), bias: rand([4], 3), transposeA: true, transposeB: true }),
        tf.fused.matMul({ a: rand([3, 5, 6], 1), b: rand([6, 4], 2), bias: rand([4], 3), activation: 'relu' }),
      ],
      1e-5,
    );
  });

  it('wasm BatchMatMul with the transpose fix equals cpu for NN/NT/TN/TT, batched and broadcast shapes', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[7, 5], [5, 3], false, false],
      [[7, 5], [3, 5], false, true],
      [[5, 7], [5, 3], true, false],
      [[5, 7], [3, 5], true, true],
      [[4, 16, 8], [4, 8, 12], false, false],
      [[4, 16, 8], [4, 12, 8], false, true],
      [[4, 8, 16], [1, 8, 12], true, false],
      [[1, 16, 8], [3, 12, 8], false, true],
      [[2, 3, 5, 7], [2, 3, 9, 7], false, true],
    ];
    for (const [aShape, bShape, ta, tb] of cases) {
      await sameOnBothBackends(() => tf.matMul(rand(aShape, 20), rand(bShape, 21), ta, tb), 1e-5);
    }
    await sameOnBothBackends(() => tf.matMul(rand([64, 768], 22), rand([256, 768], 23), false, true), 2e-4);
  });

  it('BatchMatMul speed against the stock kernel (printed)', () => {
    const gflops = (c: SpeedCase, ms: number): string => (c.flop / ms / 1e6).toFixed(1);
    for (const [name, c] of Object.entries(speedCases)) {
      const ms = timeMs(c, 3);
      const stock = stockMs[name] ?? Number.NaN;
      console.log(`wasm ${name}: stock ${gflops(c, stock)} GFLOP/s, fixed ${gflops(c, ms)} GFLOP/s (${(stock / ms).toFixed(1)}x)`);
    }
  });

  it('numTensors returns to its baseline after a forward and gradient inside tf.tidy', () => {
    const baseline = tf.memory().numTensors;
    tf.tidy(() => {
      const w = rand([8, 8], 30);
      const loss = (p: tf.Tensor): tf.Tensor => {
        const x = tf.gather(p, tf.tensor1d([1, 2, 2, 5], 'int32'));
        const h = tf.fused.matMul({ a: x, b: w, bias: rand([8], 31), transposeB: true, activation: 'relu' });
        return tf.sum(tf.matMul(h, tf.clone(w), false, true));
      };
      tf.grad(loss)(rand([10, 8], 32)).dataSync();
    });
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('stopRuntime puts the stock kernels back', async () => {
    await stopRuntime();
    assert.equal(tf.getKernel('UnsortedSegmentSum', 'wasm'), undefined);
    await stopRuntime();
  });
});
