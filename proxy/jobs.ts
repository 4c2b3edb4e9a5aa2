import { errorResponseFor, failUpstreamTransaction, type JobContext } from './call-runner.js';
import type { TransactionStatus } from './protocol/codes.js';
import type { ResponseTracker } from './response-tracker.js';
import type { UpstreamQueries } from './upstream-queries.js';

/** Work the proxy does itself for one client message; may report a new transaction status. */
export type JobRun = (context: JobContext) => Promise<TransactionStatus | undefined>;

/** What a session lends its jobs. */
export interface JobHost {
  readonly tracker: ResponseTracker;
  readonly upstream: UpstreamQueries;
  transactionStatus(): TransactionStatus;
  /** See CallContext.ownsTransaction. */
  ownsTransaction(): boolean;
  send(message: Buffer): void;
  /** The job is over (with the status it reported, if any): the session reads the client again. */
  finished(status: TransactionStatus | undefined): void;
}

interface Pending {
  readonly run: JobRun;
  /** Extended-protocol messages are skipped, as PostgreSQL skips them, after an error until Sync. */
  readonly skippable: boolean;
  readonly abort: AbortController;
  started: boolean;
}

/**
 * The one job a session may have: it waits until the upstream has answered everything relayed
 * before it (responses stay in the order the client asked), then runs with the upstream to
 * itself while the client's further messages wait. A failure becomes the statement's ERROR and
 * fails the upstream transaction as PostgreSQL would; the session goes on.
 */
export class Jobs {
  private pending: Pending | null = null;
  private waiters: (() => void)[] = [];

  constructor(private readonly host: JobHost) {}

  get active(): boolean {
    return this.pending !== null;
  }

  /** True once the job runs (no longer waits for the upstream). */
  get running(): boolean {
    return this.pending?.started === true;
  }

  schedule(run: JobRun, skippable: boolean): void {
    this.pending = { run, skippable, abort: new AbortController(), started: false };
    this.startIfReady();
  }

  /** Call after upstream messages were handled: a waiting job may start now. */
  startIfReady(): void {
    const job = this.pending;
    if (job === null || job.started || !this.host.tracker.idle) return;
    job.started = true;
    // Never synchronously: the session is still inside the framer callback that scheduled it.
    queueMicrotask(() => void this.run(job));
  }

  /** Resolves once no job is pending, or after `timeoutMs` at the latest. */
  settled(timeoutMs: number): Promise<void> {
    if (this.pending === null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Cancels a running job (CancelRequest, disconnect). */
  abort(): void {
    this.pending?.abort.abort();
  }

  private async run(job: Pending): Promise<void> {
    const { host } = this;
    let status: TransactionStatus | undefined;
    if (!(job.skippable && host.tracker.skippingUntilSync)) {
      const context: JobContext = {
        upstream: host.upstream,
        signal: job.abort.signal,
        transactionStatus: host.transactionStatus(),
        ownsTransaction: host.ownsTransaction(),
        send: (message) => host.send(message),
      };
      try {
        status = await job.run(context);
      } catch (error) {
        host.send(errorResponseFor(error, 0, job.abort.signal));
        await failUpstreamTransaction(host.upstream, error);
      }
      // The upstream now discards until the client's Sync: relayed messages get no answers.
      if (host.upstream.discarding) host.tracker.upstreamFailed();
    }
    this.pending = null;
    host.finished(status);
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
