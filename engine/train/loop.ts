/**
 * The fine-tuning loop, top to bottom as transformers' Trainer runs it: for each optimizer step,
 * the batch's micro-batches (gradients summed), clip, learning rate from the schedule, AdamW
 * update, log, evaluate, stop. What a step computes (the model and its loss) is the task's.
 */
import type * as tf from '@tensorflow/tfjs';
import { AdamW, transformersNoDecay } from './adamw.js';
import { lengthGroupedOrder, chunks } from './batches.js';
import { clipGradients, GradientSum } from './gradients.js';
import type { TrainingArgs } from './hyperparams.js';
import { Rng } from './rng.js';
import { learningRateAt, scheduleFor } from './schedule.js';
import { lossAndGrads } from './step.js';
import type { Trainable } from './trainable.js';

/** Anything trainable one at a time; only its token length matters to the loop. */
export interface Sized {
  readonly length: number;
}

export interface LoopTask<E extends Sized> {
  readonly trainable: Trainable;
  /** Mean loss over `examples` in training mode, dropout seeded by `seed`. */
  loss(examples: readonly E[], seed: number): tf.Scalar;
  /** How many of `batch`'s examples one forward/backward pass may hold (at least 1). */
  microBatch(batch: readonly E[]): number;
}

/** One optimizer step, as the host sees it (for progress and ETA). */
export interface StepReport {
  readonly step: number;
  readonly maxSteps: number;
  /** Fractional epoch, as transformers reports it. */
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly gradNorm: number;
  readonly samples: number;
  readonly elapsedSeconds: number;
  /** Micro-batches this step was split into. */
  readonly microBatches: number;
}

/** A transformers-style log entry: the loss averaged since the previous entry. */
export interface LogEntry {
  readonly step: number;
  readonly maxSteps: number;
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly gradNorm: number;
  readonly samplesPerSecond: number;
  readonly etaSeconds: number;
}

export interface LoopHooks {
  onStep?(report: StepReport): void;
  onLog?(entry: LogEntry): void;
  /** Runs at the configured evaluation points; what it returns is logged by the caller. */
  evaluate?(at: { readonly step: number; readonly epoch: number }): Promise<void> | void;
  /** Checked between micro-batches. */
  readonly signal?: AbortSignal;
}

export interface LoopResult {
  readonly steps: number;
  readonly epochs: number;
  /** Mean of the step losses, as transformers' train_loss. */
  readonly trainLoss: number;
  readonly runtimeSeconds: number;
  readonly samplesPerSecond: number;
}

/** transformers: updates per epoch = batches per epoch // gradient_accumulation_steps (at least 1). */
export function plannedSteps(examples: number, args: TrainingArgs): { perEpoch: number; total: number } {
  const batches = Math.ceil(examples / args.perDeviceTrainBatchSize);
  const perEpoch = Math.max(1, Math.floor(batches / args.gradientAccumulationSteps));
  const total = args.maxSteps > 0 ? args.maxSteps : Math.ceil(args.numTrainEpochs * perEpoch);
  return { perEpoch, total };
}

/** Steps between events: a whole number, or a fraction (< 1) of all steps. */
export function interval(steps: number, total: number): number {
  return steps < 1 ? Math.max(1, Math.ceil(steps * total)) : steps;
}

export async function trainLoop<E extends Sized>(examples: readonly E[], task: LoopTask<E>, args: TrainingArgs, hooks: LoopHooks = {}): Promise<LoopResult> {
  if (examples.length === 0) throw new Error('there are no training examples');
  const { total } = plannedSteps(examples.length, args);
  const schedule = scheduleFor(args, total);
  const logEvery = interval(args.loggingSteps, total);
  const evalEvery = interval(args.evalSteps ?? args.loggingSteps, total);
  const optimizer = new AdamW(task.trainable.variables, {
    lr: args.learningRate,
    betas: [args.adamBeta1, args.adamBeta2],
    eps: args.adamEpsilon,
    weightDecay: args.weightDecay,
    noDecay: transformersNoDecay,
  });
  const lengths = examples.map((e) => e.length);
  const started = performance.now();
  let step = 0;
  let epoch = 0;
  // Epochs of data actually seen (the last step's fraction): max_steps may stop mid-epoch, and an
  // epoch whose batches do not divide by the accumulation has more updates than plannedSteps counts.
  let epochsDone = 0;
  let samples = 0;
  let lossSum = 0;
  let window = { loss: 0, steps: 0 };
  let microIndex = 0;
  // One host-side sum for the run: its arrays are reused by every step.
  const sum = new GradientSum();
  try {
    while (step < total) {
      const order = lengthGroupedOrder(lengths, args.perDeviceTrainBatchSize, new Rng(args.seed + epoch));
      const groups = chunks(chunks(order, args.perDeviceTrainBatchSize), args.gradientAccumulationSteps);
      for (let g = 0; g < groups.length && step < total; g += 1) {
        const batches = (groups[g] ?? []).map((indices) => indices.map((i) => examples[i] as E));
        const count = batches.reduce((n, b) => n + b.length, 0);
        sum.start();
        let loss = 0;
        let micro = 0;
        for (const batch of batches) {
          for (const part of chunks(batch, task.microBatch(batch))) {
            hooks.signal?.throwIfAborted();
            // Each micro-batch's mean loss weighted by its share: the sum is the mean over all `count`.
            const seed = args.seed * 7919 + (microIndex += 1) * 1000;
            const result = lossAndGrads(task.trainable, () => task.loss(part, seed).mul(part.length / count));
            sum.add(result.grads);
            loss += result.loss;
            micro += 1;
          }
        }
        const grads = sum.current();
        const gradNorm = clipGradients(grads, args.maxGradNorm);
        const learningRate = learningRateAt(schedule, step);
        optimizer.step(grads, learningRate);
        step += 1;
        samples += count;
        lossSum += loss;
        window = { loss: window.loss + loss, steps: window.steps + 1 };
        const fraction = epoch + (g + 1) / groups.length;
        epochsDone = fraction;
        const elapsedSeconds = (performance.now() - started) / 1000;
        hooks.onStep?.({ step, maxSteps: total, epoch: fraction, loss, learningRate, gradNorm, samples, elapsedSeconds, microBatches: micro });
        if (step % logEvery === 0 || step === total) {
          const perStep = elapsedSeconds / step;
          hooks.onLog?.({
            step, maxSteps: total, epoch: fraction, loss: window.loss / window.steps, learningRate, gradNorm,
            samplesPerSecond: samples / elapsedSeconds, etaSeconds: perStep * (total - step),
          });
          window = { loss: 0, steps: 0 };
        }
        if (args.evaluationStrategy === 'steps' && step % evalEvery === 0) await hooks.evaluate?.({ step, epoch: fraction });
      }
      epoch += 1;
      if (args.evaluationStrategy === 'epoch') await hooks.evaluate?.({ step, epoch: epochsDone });
    }
  } finally {
    optimizer.dispose();
  }
  const runtimeSeconds = (performance.now() - started) / 1000;
  return { steps: step, epochs: epochsDone, trainLoss: lossSum / Math.max(1, step), runtimeSeconds, samplesPerSecond: samples / runtimeSeconds };
}

/** What a task's fine-tuning tells its host beyond the loop's own events. */
export interface FineTuneHooks extends LoopHooks {
  notice?(message: string): void;
  /** Evaluation during training (evaluation_strategy), with transformers' eval_* names. */
  onEvaluation?(entry: Readonly<Record<string, number>>): void;
}

/** A fine-tuned model: its files in the Hugging Face layout, its test metrics, and the run. */
export interface FineTuneResult {
  readonly files: Map<string, Buffer>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly train: LoopResult;
}

/**
 * The hooks with a NOTICE the first time a step runs as several micro-batches, so users see why
 * a step takes longer than one pass would (and the same for every task).
 */
export function noticingMicroBatches(hooks: FineTuneHooks, batchSize: number): FineTuneHooks {
  let reported = false;
  return {
    ...hooks,
    onStep: (report) => {
      if (!reported && report.microBatches > 1) {
        reported = true;
        hooks.notice?.(`batches of ${batchSize} run as ${report.microBatches} micro-batches with accumulated gradients, to fit the backend's memory`);
      }
      hooks.onStep?.(report);
    },
  };
}
