import { Backend, Frontend } from './protocol/codes.js';

/**
 * The queue of responses the upstream still owes: one entry per relayed client message that
 * PostgreSQL answers (Parse, Bind, Describe, Execute, Close, Sync, Query, FunctionCall),
 * completed as the matching backend messages arrive. The proxy may only speak for itself —
 * answer an intercepted statement, or run a query of its own on the upstream — once this queue
 * is empty, so that every client sees its responses in the order it asked.
 *
 * It also follows PostgreSQL's extended-protocol error rule: after an ErrorResponse to an
 * extended-query message the server discards every message up to the next Sync, so those
 * entries will never be answered and are dropped at once.
 */
export class ResponseTracker {
  private ring = new Uint8Array(64);
  private head = 0;
  private size = 0;
  /** Set by an ErrorResponse to an extended-query message; cleared by the next relayed Sync. */
  private failedSinceSync = false;

  /** True when the upstream has answered everything relayed so far. */
  get idle(): boolean {
    return this.size === 0;
  }

  get pending(): number {
    return this.size;
  }

  /**
   * True when an extended-query message since the last relayed Sync failed: PostgreSQL is
   * discarding messages until that Sync, and so must the proxy for the ones it answers itself.
   */
  get skippingUntilSync(): boolean {
    return this.failedSinceSync;
  }

  /**
   * The proxy's own statement failed on the upstream (which now discards until Sync, as after a
   * client's failed message); relayed messages until the client's Sync will not be answered.
   */
  upstreamFailed(): void {
    this.failedSinceSync = true;
  }

  /** Records a client message relayed to the upstream. */
  sent(type: number): void {
    switch (type) {
      case Frontend.Parse:
      case Frontend.Bind:
      case Frontend.Describe:
      case Frontend.Execute:
      case Frontend.Close:
        if (this.failedSinceSync) return; // discarded by the server: no answer will come
        this.push(type);
        return;
      case Frontend.Sync:
        this.failedSinceSync = false;
        this.push(type);
        return;
      case Frontend.Query:
      case Frontend.FunctionCall:
        this.push(type);
        return;
      default:
        // Flush, CopyData/Done/Fail, Password and Terminate are answered by nothing of their own.
        return;
    }
  }

  /** Feeds one backend message; returns true when it completed the oldest pending request. */
  received(type: number): boolean {
    if (this.size === 0) return false;
    const waiting = this.ring[this.head];
    switch (type) {
      case Backend.ParseComplete:
      case Backend.BindComplete:
      case Backend.CloseComplete:
      case Backend.PortalSuspended:
      case Backend.NoData:
        return this.pop();
      case Backend.ParameterDescription:
        return false; // a statement Describe ends with the RowDescription or NoData after it
      case Backend.RowDescription:
        // Inside a Query or an Execute (there is none in Execute) it is just part of the result.
        return waiting === Frontend.Describe ? this.pop() : false;
      case Backend.CommandComplete:
      case Backend.EmptyQueryResponse:
        return waiting === Frontend.Execute ? this.pop() : false;
      case Backend.ErrorResponse:
        return this.onError(waiting);
      case Backend.ReadyForQuery:
        return this.pop();
      default:
        // DataRow, notices, notifications, ParameterStatus, copy traffic, FunctionCallResponse.
        return false;
    }
  }

  private onError(waiting: number | undefined): boolean {
    if (waiting === Frontend.Query || waiting === Frontend.FunctionCall || waiting === Frontend.Sync) {
      return false; // ReadyForQuery still follows
    }
    this.pop();
    // The server now skips to the next Sync: those entries will never be answered.
    while (this.size > 0 && this.ring[this.head] !== Frontend.Sync) this.pop();
    if (this.size === 0) this.failedSinceSync = true;
    return true;
  }

  private push(type: number): void {
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) & (this.ring.length - 1)] = type;
    this.size++;
  }

  private pop(): boolean {
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.size--;
    return true;
  }

  private grow(): void {
    const bigger = new Uint8Array(this.ring.length * 2);
    for (let i = 0; i < this.size; i++) bigger[i] = this.ring[(this.head + i) & (this.ring.length - 1)] ?? 0;
    this.ring = bigger;
    this.head = 0;
  }
}
