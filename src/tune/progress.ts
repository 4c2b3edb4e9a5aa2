/**
 * What a user sees while pgml.tune runs: NOTICEs on their own connection every few seconds
 * (step, loss, speed, ETA), and rows in pgml.logs — at every logging_steps and at least every
 * PROGRESS_ROW_MS — committed as they come when the call owns its transaction, so another session
 * can watch. Database writes are queued one at a time (the caller's session runs one statement at
 * a time); the first failure is kept and rethrown by flush().
 */
import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import type { WorkerEvent } from '../../engine/worker/protocol.js';
import type { LogEntry, StepReport } from '../../engine/train/loop.js';
import { insertLog } from '../store/logs.js';

const NOTICE_MS = 3_000;
const PROGRESS_ROW_MS = 30_000;

export interface ProgressTarget {
  readonly upstream: UpstreamQueries;
  readonly ownsTransaction: boolean;
  readonly projectId: bigint;
  readonly modelId: bigint;
  notice(message: string): void;
}

export class TuneProgress {
  private writes: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private lastNotice = performance.now();
  private lastRow = performance.now();

  constructor(private readonly target: ProgressTarget) {}

  readonly onEvent = (event: WorkerEvent): void => {
    switch (event.kind) {
      case 'notice':
        this.target.notice(event.message);
        return;
      case 'step':
        this.onStep(event.report);
        return;
      case 'log':
        this.row(logRow(event.entry));
        return;
      case 'evaluation':
        this.target.notice(`evaluation: ${formatMetrics(event.entry)}`);
        this.row({ ...event.entry, timestamp: new Date().toISOString() });
        return;
      default: {
        const never: never = event;
        throw new Error(`unknown worker event ${JSON.stringify(never)}`);
      }
    }
  };

  /** Writes a row now (in order with the others). */
  row(logs: JsonValue): void {
    this.lastRow = performance.now();
    const { upstream, ownsTransaction, projectId, modelId } = this.target;
    this.writes = this.writes.then(async () => {
      if (this.failure !== null) return;
      try {
        await insertLog(upstream, projectId, modelId, logs);
        if (ownsTransaction) await upstream.sync();
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
      }
    });
  }

  /** Waits for the queued writes, whatever became of them (before the session is used for anything else). */
  async settle(): Promise<void> {
    await this.writes;
  }

  /** Waits for the queued writes; throws the first one that failed. */
  async flush(): Promise<void> {
    await this.writes;
    if (this.failure !== null) throw this.failure;
  }

  private onStep(report: StepReport): void {
    const now = performance.now();
    const perStep = report.elapsedSeconds / report.step;
    const eta = perStep * (report.maxSteps - report.step);
    if (now - this.lastNotice >= NOTICE_MS || report.step === report.maxSteps) {
      this.lastNotice = now;
      this.target.notice(
        `step ${report.step}/${report.maxSteps} (epoch ${report.epoch.toFixed(2)}): loss ${report.loss.toFixed(4)}, ` +
          `${(report.samples / report.elapsedSeconds).toFixed(1)} samples/s, ETA ${duration(eta)}`,
      );
    }
    if (now - this.lastRow >= PROGRESS_ROW_MS) {
      this.row({
        step: report.step, max_steps: report.maxSteps, epoch: report.epoch, loss: report.loss, learning_rate: report.learningRate,
        grad_norm: report.gradNorm, samples_per_second: report.samples / report.elapsedSeconds, eta_seconds: eta, timestamp: new Date().toISOString(),
      });
    }
  }
}

function logRow(entry: LogEntry): JsonValue {
  return {
    step: entry.step, max_steps: entry.maxSteps, epoch: entry.epoch, loss: entry.loss, learning_rate: entry.learningRate,
    grad_norm: entry.gradNorm, samples_per_second: entry.samplesPerSecond, eta_seconds: entry.etaSeconds, timestamp: new Date().toISOString(),
  };
}

export function formatMetrics(metrics: Readonly<Record<string, number>>): string {
  return Object.entries(metrics).map(([key, value]) => `${key} ${Number.isInteger(value) ? value : value.toFixed(4)}`).join(', ');
}

/** 95 → "1m35s", 4000 → "1h06m". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
