/**
 * Learning-rate schedules as transformers' get_scheduler builds them (optimization.py): a
 * multiplier of the base rate per optimizer step, after an optional linear warmup.
 */
import type { SchedulerType, TrainingArgs } from './hyperparams.js';

export interface Schedule {
  readonly type: SchedulerType;
  readonly baseRate: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
}

/** transformers' get_warmup_steps: warmup_steps when set, else ceil(warmup_ratio × total). */
export function scheduleFor(args: TrainingArgs, totalSteps: number): Schedule {
  const warmupSteps = args.warmupSteps > 0 ? args.warmupSteps : Math.ceil(args.warmupRatio * totalSteps);
  return { type: args.lrSchedulerType, baseRate: args.learningRate, totalSteps, warmupSteps };
}

/**
 * The rate of optimizer step `step` (0-based: the first update uses step 0, as the LambdaLR
 * scheduler is stepped after each update).
 */
export function learningRateAt(schedule: Schedule, step: number): number {
  return schedule.baseRate * multiplier(schedule, step);
}

function multiplier({ type, totalSteps, warmupSteps }: Schedule, step: number): number {
  if (type === 'constant') return 1;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  switch (type) {
    case 'constant_with_warmup':
      return 1;
    case 'linear':
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    case 'cosine': {
      // num_cycles = 0.5: half a cosine wave from the base rate down to 0.
      const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
    }
    default: {
      const never: never = type;
      throw new Error(`unknown schedule ${String(never)}`);
    }
  }
}
