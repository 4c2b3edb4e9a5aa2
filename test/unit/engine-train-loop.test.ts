/**
 * The training loop's pieces — seeded shuffles, length-grouped batches, gradient sums and
 * clipping, step counts — and trainLoop itself on a toy task: a linear model
 * with a squared loss, small enough to check against its analytic gradient.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Params } from '../../engine/models/params.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { chunks, lengthGroupedOrder, padRows } from '../../engine/train/batches.js';
import { clipGradients, globalNorm, GradientSum } from '../../engine/train/gradients.js';
import { TRAINING_DEFAULTS, type TrainingArgs } from '../../engine/train/hyperparams.js';
import { interval, plannedSteps, trainLoop, type LogEntry, type LoopHooks, type LoopResult, type StepReport } from '../../engine/train/loop.js';
import { longest } from '../../engine/train/memory.js';
import { Rng } from '../../engine/train/rng.js';
import { learningRateAt, scheduleFor } from '../../engine/train/schedule.js';
import { makeTrainable, type Trainable } from '../../engine/train/trainable.js';

before(async () => {
  await startRuntime();
});

function args(overrides: Partial<TrainingArgs>): TrainingArgs {
  return { ...TRAINING_DEFAULTS, ...overrides };
}

function isPermutation(order: readonly number[], n: number): boolean {
  return order.length === n && [...order].sort((a, b) => a - b).every((v, i) => v === i);
}

describe('Rng', () => {
  it('is mulberry32: the same values as an independent port for seeds 42 and 0', () => {
    // Python port of mulberry32 (32-bit arithmetic masked by hand), first three draws.
    const want = new Map([[42, [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]], [0, [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]]]);
    for (const [seed, values] of want) {
      const rng = new Rng(seed);
      assert.deepEqual(values.map(() => rng.next()), values);
    }
  });

  it('is reproducible from its seed, and different seeds differ', () => {
    const draw = (seed: number): number[] => { const rng = new Rng(seed); return Array.from({ length: 20 }, () => rng.next()); };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
    assert.deepEqual(new Rng(3).permutation(50), new Rng(3).permutation(50));
    assert.notDeepEqual(new Rng(3).permutation(50), new Rng(4).permutation(50));
  });

  it('stays in range: next in [0, 1), below(n) a whole number in [0, n)', () => {
    const rng = new Rng(1);
    for (let k = 0; k < 10_000; k++) {
      const x = rng.next();
      assert.ok(x >= 0 && x < 1, `${x}`);
      const i = rng.below(7);
      assert.ok(Number.isInteger(i) && i >= 0 && i < 7, `${i}`);
    }
  });

  it('gives valid permutations, including the empty and single ones', () => {
    assert.deepEqual(new Rng(5).permutation(0), []);
    assert.deepEqual(new Rng(5).permutation(1), [0]);
    for (let seed = 0; seed < 20; seed++) assert.ok(isPermutation(new Rng(seed).permutation(37), 37));
  });

  it('is roughly uniform, for draws and for the permutations of 4 items', () => {
    const rng = new Rng(2024);
    const counts = new Array<number>(10).fill(0);
    for (let k = 0; k < 100_000; k++) { const b = rng.below(10); counts[b] = (counts[b] ?? 0) + 1; }
    // σ ≈ 95 per bucket; 5σ either side.
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 475, `bucket counts ${counts.join(', ')}`);
    const seen = new Map<string, number>();
    for (let k = 0; k < 24_000; k++) { const key = rng.permutation(4).join(''); seen.set(key, (seen.get(key) ?? 0) + 1); }
    assert.equal(seen.size, 24, 'every ordering of 4 items occurs');
    for (const [key, c] of seen) assert.ok(Math.abs(c - 1000) < 160, `${key} occurred ${c} times`);
  });
});

describe('lengthGroupedOrder', () => {
  const lengths = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 509));
  const longest = Math.max(...lengths);

  it('is a reproducible permutation, different for another seed', () => {
    const order = lengthGroupedOrder(lengths, 4, new Rng(42));
    assert.ok(isPermutation(order, 1000));
    assert.deepEqual(lengthGroupedOrder(lengths, 4, new Rng(42)), order);
    assert.notDeepEqual(lengthGroupedOrder(lengths, 4, new Rng(43)), order);
  });

  it('sorts megabatches of min(n / (4·batch), 50) batches longest first, the longest example of all first', () => {
    const order = lengthGroupedOrder(lengths, 4, new Rng(42));
    assert.equal(lengths[order[0] ?? -1], longest);
    // 1000 // 16 = 62, capped at 50: megabatches of 200, cut from the seeded permutation.
    const permutation = new Rng(42).permutation(1000);
    const groups = chunks(order, 200);
    let swapped = 0;
    groups.forEach((group, g) => {
      const lens = group.map((i) => lengths[i] ?? 0);
      // Only the first element can be out of place: it is the one exchanged with the longest.
      for (let k = 2; k < lens.length; k++) assert.ok((lens[k - 1] ?? 0) >= (lens[k] ?? 0), `megabatch ${g} is sorted longest first`);
      const source = new Set(permutation.slice(g * 200, g * 200 + 200));
      const foreign = group.filter((i) => !source.has(i));
      assert.ok(foreign.length <= 1 && (foreign.length === 0 || group[0] === foreign[0]), `megabatch ${g} holds its own slice of the permutation`);
      swapped += foreign.length;
    });
    assert.ok(swapped === 0 || swapped === 2, 'the longest example was exchanged with the first, or was already first');
  });

  it('makes one sorted megabatch when there are few examples, keeping the shuffle among equal lengths', () => {
    const few = [3, 9, 1, 9, 4];
    const order = lengthGroupedOrder(few, 8, new Rng(1));
    assert.deepEqual(order.map((i) => few[i]), [9, 9, 4, 3, 1]);
    const permutation = new Rng(1).permutation(5);
    const nines = permutation.filter((i) => few[i] === 9);
    assert.deepEqual(order.slice(0, 2), nines, 'a stable sort');
    const same = [5, 5, 5, 5, 5, 5];
    assert.deepEqual(lengthGroupedOrder(same, 2, new Rng(9)), new Rng(9).permutation(6), 'equal lengths keep the permutation');
  });
});

describe('chunks and padRows', () => {
  it('cuts consecutive slices, the last one shorter', () => {
    assert.deepEqual(chunks([1, 2, 3, 4, 5, 6, 7], 3), [[1, 2, 3], [4, 5, 6], [7]]);
    assert.deepEqual(chunks([1, 2], 5), [[1, 2]]);
    assert.deepEqual(chunks([], 3), []);
  });

  it('pads on the right with the pad id, mask 1 on tokens and 0 on padding', () => {
    const padded = padRows([[5, 6, 7], [8], []], 1);
    assert.equal(padded.batch, 3);
    assert.equal(padded.seq, 3);
    assert.deepEqual([...padded.inputIds], [5, 6, 7, 8, 1, 1, 1, 1, 1]);
    assert.deepEqual([...padded.attentionMask], [1, 1, 1, 1, 0, 0, 0, 0, 0]);
    const none = padRows([], 0);
    assert.equal(none.seq, 0);
    assert.equal(none.inputIds.length, 0);
  });
});

describe('gradients', () => {
  const host = (entries: [string, number[]][]): Map<string, Float32Array> => new Map(entries.map(([name, v]) => [name, Float32Array.from(v)]));

  it('GradientSum adds maps by name into host memory, disposing each tensor it reads', () => {
    const baseline = tf.memory().numTensors;
    const sum = new GradientSum();
    sum.start();
    const second = new Map([['a', tf.tensor1d([10, 20])]]);
    sum.add(new Map([['a', tf.tensor1d([1, 2])], ['b', tf.tensor1d([3])]]));
    sum.add(second);
    sum.add(new Map([['b', tf.tensor1d([1])], ['c', tf.tensor1d([5])]]));
    assert.ok(second.get('a')?.isDisposed, 'an added gradient is disposed');
    assert.equal(tf.memory().numTensors, baseline, 'nothing stays on the backend');
    const total = sum.current();
    assert.deepEqual([...total.keys()].sort(), ['a', 'b', 'c']);
    assert.deepEqual([...(total.get('a') ?? [])], [11, 22]);
    assert.deepEqual([...(total.get('b') ?? [])], [4]);
    assert.deepEqual([...(total.get('c') ?? [])], [5]);
    const arrayOfA = total.get('a');
    sum.start();
    assert.equal(sum.current().size, 0, 'start() begins an empty sum');
    sum.add(new Map([['a', tf.tensor1d([7, 8])]]));
    assert.deepEqual([...(sum.current().get('a') ?? [])], [7, 8], 'the previous step\'s values are not added in');
    assert.equal(sum.current().get('a'), arrayOfA, 'the host array is reused from step to step');
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('globalNorm is the L2 norm over every gradient', () => {
    assert.ok(Math.abs(globalNorm(host([['a', [3]], ['b', [0, 4, 0, 0]], ['c', [12]]])) - 13) < 1e-9);
    assert.equal(globalNorm(new Map()), 0);
  });

  it('clipGradients scales in place by min(1, max / (norm + 1e-6)) as torch does, and max 0 only measures', () => {
    const make = (): Map<string, Float32Array> => host([['a', [3, 0]], ['b', [4]]]);
    const clipped = make();
    assert.ok(Math.abs(clipGradients(clipped, 1) - 5) < 1e-9, 'returns the norm before clipping');
    const k = 1 / (5 + 1e-6);
    assert.ok(Math.abs((clipped.get('a')?.[0] ?? 0) - 3 * k) < 1e-7 && Math.abs((clipped.get('b')?.[0] ?? 0) - 4 * k) < 1e-7);
    assert.ok(Math.abs(globalNorm(clipped) - 5 * k) < 1e-6);
    for (const maxNorm of [10, 0]) {
      const kept = make();
      assert.ok(Math.abs(clipGradients(kept, maxNorm) - 5) < 1e-9);
      assert.deepEqual([...(kept.get('a') ?? [])], [3, 0], `max ${maxNorm}: the gradients are left as they are`);
      assert.deepEqual([...(kept.get('b') ?? [])], [4]);
    }
    const nan = host([['a', [Number.NaN, 1]]]);
    assert.ok(Number.isNaN(clipGradients(nan, 1)), 'a non-finite norm is reported, not hidden');
    assert.equal(nan.get('a')?.[1], 1, 'and nothing is scaled');
  });
});

describe('plannedSteps and interval', () => {
  it('counts optimizer steps as transformers does', () => {
    assert.deepEqual(plannedSteps(100, args({ perDeviceTrainBatchSize: 8 })), { perEpoch: 13, total: 39 });
    // ceil(100 / 8) = 13 batches, 13 // 4 = 3 updates per epoch.
    assert.deepEqual(plannedSteps(100, args({ perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 4 })), { perEpoch: 3, total: 9 });
    assert.deepEqual(plannedSteps(3, args({ perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 4 })), { perEpoch: 1, total: 3 }, 'at least 1');
    assert.deepEqual(plannedSteps(100, args({ perDeviceTrainBatchSize: 8, numTrainEpochs: 0.5 })), { perEpoch: 13, total: 7 }, 'ceil(6.5)');
    assert.deepEqual(plannedSteps(100, args({ perDeviceTrainBatchSize: 8, maxSteps: 5 })), { perEpoch: 13, total: 5 }, 'max_steps overrides');
    assert.deepEqual(plannedSteps(100, args({ perDeviceTrainBatchSize: 8, maxSteps: 50, numTrainEpochs: 0 })), { perEpoch: 13, total: 50 });
  });

  it('reads a value below 1 as a fraction of all steps', () => {
    assert.equal(interval(500, 39), 500);
    assert.equal(interval(0.1, 39), 4);
    assert.equal(interval(0.5, 10), 5);
    assert.equal(interval(0.01, 10), 1);
  });
});

// --- trainLoop on a toy task: prediction w·x + b, loss the mean of (prediction − y)². ---

interface Example {
  readonly length: number;
  readonly x: readonly [number, number];
  readonly y: number;
}

const W0 = [0.1, -0.2] as const;
const B0 = 0.05;

function toyExamples(n: number, seed: number, length?: number): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const x: [number, number] = [rng.next() * 2 - 1, rng.next() * 2 - 1];
    return { length: length ?? 1 + rng.below(30), x, y: 3 * x[0] - 2 * x[1] + 0.5 + 0.1 * rng.next() };
  });
}

function toyTrainable(): Trainable {
  const source = new Params(new Map<string, tf.Tensor>([['linear.weight', tf.tensor1d([...W0])], ['linear.bias', tf.tensor1d([B0])]]));
  const trainable = makeTrainable(source);
  source.dispose();
  return trainable;
}

function toyLoss(trainable: Trainable, examples: readonly Example[]): tf.Scalar {
  return tf.tidy(() => {
    const x = tf.tensor2d(examples.map((e) => [...e.x]));
    const y = tf.tensor1d(examples.map((e) => e.y));
    const prediction = x.mul(trainable.params.get('linear.weight')).sum(1).add(trainable.params.get('linear.bias'));
    return prediction.sub(y).square().mean<tf.Scalar>();
  });
}

interface Run {
  readonly result: LoopResult;
  readonly steps: StepReport[];
  readonly logs: LogEntry[];
  readonly params: number[];
}

/** Trains a fresh toy model; checks the tensor count is back at its baseline whatever happens. */
async function run(examples: readonly Example[], training: TrainingArgs, microBatch: (seq: number, batch: number) => number, hooks: LoopHooks = {}): Promise<Run> {
  const baseline = tf.memory().numTensors;
  const trainable = toyTrainable();
  const steps: StepReport[] = [];
  const logs: LogEntry[] = [];
  try {
    const result = await trainLoop(examples, { trainable, loss: (part) => toyLoss(trainable, part), microBatch: (batch) => microBatch(longest(batch), batch.length) }, training, {
      ...hooks,
      onStep: (report) => { steps.push(report); hooks.onStep?.(report); },
      onLog: (entry) => logs.push(entry),
    });
    const params = [...(trainable.variables.get('linear.weight')?.dataSync() ?? []), ...(trainable.variables.get('linear.bias')?.dataSync() ?? [])];
    return { result, steps, logs, params };
  } finally {
    trainable.dispose();
    assert.equal(tf.memory().numTensors, baseline, 'trainLoop leaves no tensor behind');
  }
}

function assertNear(got: readonly number[], want: readonly number[], tolerance: number, what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => assert.ok(Math.abs(g - (want[i] ?? Number.NaN)) <= tolerance, `${what}[${i}]: ${g} vs ${want[i]}`));
}

describe('trainLoop', () => {
  it('computes the whole batch\'s mean loss and gradient, however it is split', async () => {
    const examples = toyExamples(6, 3);
    // d/dw mean((w·x + b − y)²) = mean(2·r·x), d/db = mean(2·r), r the residual at the start.
    const residuals = examples.map((e) => W0[0] * e.x[0] + W0[1] * e.x[1] + B0 - e.y);
    const mean = (f: (r: number, e: Example) => number): number => residuals.reduce((s, r, i) => s + f(r, examples[i] as Example), 0) / examples.length;
    const grad = [mean((r, e) => 2 * r * e.x[0]), mean((r, e) => 2 * r * e.x[1]), mean((r) => 2 * r)];
    const norm = Math.hypot(...grad);
    const loss = mean((r) => r * r);
    for (const micro of [1, 4, 6]) {
      const { steps } = await run(examples, args({ perDeviceTrainBatchSize: 8, maxSteps: 1 }), () => micro);
      const first = steps[0];
      assert.ok(first !== undefined);
      assert.equal(first.microBatches, Math.ceil(6 / micro));
      assert.ok(Math.abs(first.loss - loss) <= 1e-5 * loss, `micro-batch ${micro}: loss ${first.loss} vs ${loss}`);
      assert.ok(Math.abs(first.gradNorm - norm) <= 1e-5 * norm, `micro-batch ${micro}: grad norm ${first.gradNorm} vs ${norm}`);
    }
  });

  it('(a) gives the same parameters whether each batch runs as micro-batches of 1, 2, 3 or whole', async () => {
    const examples = toyExamples(20, 11);
    const training = args({ perDeviceTrainBatchSize: 8, numTrainEpochs: 2, learningRate: 0.05, warmupSteps: 2 });
    const whole = await run(examples, training, (_seq, batch) => batch);
    assert.equal(whole.result.steps, 6, '3 batches (8, 8, 4) a step, for 2 epochs');
    for (const micro of [1, 2, 3]) {
      const calls: { seq: number; batch: number }[] = [];
      const split = await run(examples, training, (seq, batch) => { calls.push({ seq, batch }); return micro; });
      assertNear(split.params, whole.params, 1e-5, `parameters with micro-batches of ${micro}`);
      assertNear(split.steps.map((s) => s.loss), whole.steps.map((s) => s.loss), 1e-5, `step losses with micro-batches of ${micro}`);
      // Megabatches of 8 (20 < 4 × 8): each epoch's batches hold 8, 8 and 4 examples.
      assert.deepEqual(split.steps.map((s) => s.microBatches), [8, 8, 4, 8, 8, 4].map((b) => Math.ceil(b / micro)));
      assert.deepEqual(calls.map((c) => c.batch), [8, 8, 4, 8, 8, 4], 'microBatch is asked once per batch');
    }
    assert.ok(whole.params.some((p, i) => Math.abs(p - ([...W0, B0][i] ?? 0)) > 1e-3), 'training moved the parameters');
  });

  it('hands microBatch each batch before splitting it', async () => {
    const examples = toyExamples(12, 5);
    const calls: number[] = [];
    const seen: (readonly Example[])[] = [];
    const baseline = tf.memory().numTensors;
    const trainable = toyTrainable();
    await trainLoop(examples, {
      trainable,
      loss: (part) => { seen.push(part); return toyLoss(trainable, part); },
      microBatch: (batch) => { calls.push(longest(batch)); return 1; },
    }, args({ perDeviceTrainBatchSize: 4, maxSteps: 3 }));
    trainable.dispose();
    assert.equal(tf.memory().numTensors, baseline);
    const batches = chunks(seen.map((part) => part[0] as Example), 4);
    assert.deepEqual(calls, batches.map((batch) => Math.max(...batch.map((e) => e.length))));
    assert.equal(calls[0], Math.max(...examples.map((e) => e.length)), 'the longest example of all comes first');
  });

  it('(b) gradient_accumulation_steps 2 with batch 4 equals batch 8 in one piece', async () => {
    // Equal lengths: both runs take the same seeded permutation, so each step sees the same 8 examples.
    const examples = toyExamples(16, 21, 5);
    const accumulated = await run(examples, args({ perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 2, numTrainEpochs: 3, learningRate: 0.05 }), (_s, b) => b);
    const single = await run(examples, args({ perDeviceTrainBatchSize: 8, numTrainEpochs: 3, learningRate: 0.05 }), (_s, b) => b);
    assert.equal(accumulated.result.steps, 6);
    assert.equal(single.result.steps, 6);
    assert.deepEqual(accumulated.steps.map((s) => s.microBatches), [2, 2, 2, 2, 2, 2]);
    assert.deepEqual(accumulated.steps.map((s) => s.samples), [8, 16, 24, 32, 40, 48]);
    assertNear(accumulated.params, single.params, 1e-5, 'parameters');
    assertNear(accumulated.steps.map((s) => s.loss), single.steps.map((s) => s.loss), 1e-5, 'step losses');
    assertNear(accumulated.steps.map((s) => s.gradNorm), single.steps.map((s) => s.gradNorm), 1e-5, 'gradient norms');
  });

  it('(c) logs every logging_steps, and at the end, with the mean loss of the window', async () => {
    const examples = toyExamples(8, 4);
    const training = args({ perDeviceTrainBatchSize: 2, maxSteps: 5, loggingSteps: 2, warmupSteps: 2, learningRate: 0.1 });
    const { steps, logs } = await run(examples, training, (_s, b) => b);
    assert.deepEqual(logs.map((l) => l.step), [2, 4, 5]);
    const loss = (step: number): number => steps[step - 1]?.loss ?? Number.NaN;
    assertNear(logs.map((l) => l.loss), [(loss(1) + loss(2)) / 2, (loss(3) + loss(4)) / 2, loss(5)], 1e-12, 'window means');
    assert.deepEqual(logs.map((l) => l.learningRate), [2, 4, 5].map((s) => steps[s - 1]?.learningRate));
    assert.ok(logs.every((l) => l.maxSteps === 5 && l.etaSeconds >= 0));
    // Each step uses the schedule's rate for its 0-based index: warmup 0, ½, then linear decay.
    const schedule = scheduleFor(training, 5);
    assert.deepEqual(steps.map((s) => s.learningRate), [0, 1, 2, 3, 4].map((s) => learningRateAt(schedule, s)));
    assertNear(steps.map((s) => s.learningRate), [0, 0.05, 0.1, 0.2 / 3, 0.1 / 3], 1e-12, 'rates');
    // A fraction of the steps: 0.4 × 5 = every 2.
    const fractional = await run(examples, { ...training, loggingSteps: 0.4 }, (_s, b) => b);
    assert.deepEqual(fractional.logs.map((l) => l.step), [2, 4, 5]);
  });

  it('(d) stops at an abort with an AbortError and leaks no tensor', async () => {
    const examples = toyExamples(16, 8);
    const controller = new AbortController();
    const seen: number[] = [];
    // run() asserts the tensor count afterwards, also when trainLoop rejects.
    await assert.rejects(run(examples, args({ perDeviceTrainBatchSize: 4 }), () => 1, {
      signal: controller.signal,
      onStep: (report) => { seen.push(report.step); if (report.step === 2) controller.abort(); },
    }), (error: unknown) => error instanceof Error && error.name === 'AbortError');
    assert.deepEqual(seen, [1, 2]);
    await assert.rejects(run(examples, args({}), () => 1, { signal: AbortSignal.abort() }), (error: unknown) => error instanceof Error && error.name === 'AbortError');
  });

  it('leaks no tensor when the task\'s loss throws mid-step', async () => {
    const examples = toyExamples(8, 9);
    const baseline = tf.memory().numTensors;
    const trainable = toyTrainable();
    let calls = 0;
    await assert.rejects(trainLoop(examples, {
      trainable,
      loss: (part) => { calls += 1; if (calls === 3) throw new Error('out of memory'); return toyLoss(trainable, part); },
      microBatch: () => 2,
    }, args({ perDeviceTrainBatchSize: 8 })), /out of memory/);
    trainable.dispose();
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('(e) evaluates every eval_steps (else logging_steps) with "steps", at each epoch\'s end with "epoch"', async () => {
    const examples = toyExamples(8, 6);
    const points = async (training: TrainingArgs): Promise<{ step: number; epoch: number }[]> => {
      const at: { step: number; epoch: number }[] = [];
      await run(examples, training, (_s, b) => b, { evaluate: (point) => { at.push({ ...point }); } });
      return at;
    };
    const base = args({ perDeviceTrainBatchSize: 2, numTrainEpochs: 2 });
    assert.deepEqual((await points({ ...base, evaluationStrategy: 'steps', evalSteps: 3 })).map((p) => p.step), [3, 6]);
    assert.deepEqual((await points({ ...base, evaluationStrategy: 'steps', loggingSteps: 4 })).map((p) => p.step), [4, 8]);
    assert.deepEqual(await points({ ...base, evaluationStrategy: 'epoch', gradientAccumulationSteps: 2, numTrainEpochs: 3 }),
      [{ step: 2, epoch: 1 }, { step: 4, epoch: 2 }, { step: 6, epoch: 3 }]);
    assert.deepEqual(await points({ ...base, evaluationStrategy: 'no', evalSteps: 1 }), []);
    // max_steps stopping mid-epoch: the last evaluation reports the epochs actually done.
    assert.deepEqual(await points({ ...base, evaluationStrategy: 'epoch', maxSteps: 6 }), [{ step: 4, epoch: 1 }, { step: 6, epoch: 1.5 }]);
  });

  it('waits for an asynchronous evaluation before the next step', async () => {
    const events: string[] = [];
    await run(toyExamples(8, 2), args({ perDeviceTrainBatchSize: 4, numTrainEpochs: 2, evaluationStrategy: 'epoch' }), (_s, b) => b, {
      onStep: (report) => events.push(`step ${report.step}`),
      evaluate: async ({ step }) => { events.push(`evaluate ${step}`); await sleep(5); events.push(`evaluated ${step}`); },
    });
    assert.deepEqual(events, ['step 1', 'step 2', 'evaluate 2', 'evaluated 2', 'step 3', 'step 4', 'evaluate 4', 'evaluated 4']);
  });

  it('(f) takes plannedSteps steps: fractional epochs, max_steps, and accumulation that does not divide', async () => {
    const cases: readonly { n: number; training: TrainingArgs; epochs: number }[] = [
      { n: 12, training: args({ perDeviceTrainBatchSize: 4, numTrainEpochs: 1.5 }), epochs: 1 + 2 / 3 },
      { n: 8, training: args({ perDeviceTrainBatchSize: 4, maxSteps: 7, numTrainEpochs: 1 }), epochs: 3.5 },
      { n: 10, training: args({ perDeviceTrainBatchSize: 4, numTrainEpochs: 2 }), epochs: 2 },
      // 3 batches, accumulation 2: one planned update per epoch; the loop's epoch has two (2 + 1 batches).
      { n: 12, training: args({ perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 2, numTrainEpochs: 2 }), epochs: 1 },
    ];
    for (const { n, training, epochs } of cases) {
      const { result, steps } = await run(toyExamples(n, n), training, (_s, b) => b);
      const { total } = plannedSteps(n, training);
      assert.equal(result.steps, total, `${n} examples, ${JSON.stringify(training)}`);
      assert.deepEqual(steps.map((s) => s.step), Array.from({ length: total }, (_, i) => i + 1));
      assert.ok(steps.every((s) => s.maxSteps === total));
      assert.ok(Math.abs((steps.at(-1)?.epoch ?? 0) - epochs) < 1e-12, `last step at epoch ${steps.at(-1)?.epoch}, want ${epochs}`);
      assert.ok(Math.abs(result.epochs - epochs) < 1e-12, `result.epochs ${result.epochs}, want ${epochs}`);
      assert.ok(Number.isFinite(result.trainLoss) && Math.abs(result.trainLoss - steps.reduce((s, r) => s + r.loss, 0) / total) < 1e-12, 'train_loss is the mean step loss');
    }
  });

  it('refuses an empty training set', async () => {
    const trainable = toyTrainable();
    await assert.rejects(trainLoop([], { trainable, loss: (part: readonly Example[]) => toyLoss(trainable, part), microBatch: () => 1 }, args({})), /no training examples/);
    trainable.dispose();
  });
});
