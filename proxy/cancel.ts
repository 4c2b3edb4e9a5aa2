import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { BackendKeyData } from './protocol/backend.js';

/** Something a CancelRequest can reach: a client session. */
export interface Cancellable {
  /** Cancels whatever the session is running now; does nothing when it is idle. */
  cancel(): void;
}

interface Entry {
  readonly secretKey: Buffer;
  readonly target: Cancellable;
}

/**
 * The proxy's own BackendKeyData, issued per client session. Clients never see the upstream's
 * process id or secret; a CancelRequest is matched here and forwarded by the session with the
 * upstream key it holds (pgbouncer and pgdog do the same).
 */
export class CancelRegistry {
  private readonly entries = new Map<number, Entry>();

  issue(target: Cancellable): BackendKeyData {
    let processId: number;
    do processId = randomInt(1, 0x7fffffff);
    while (this.entries.has(processId));
    const secretKey = randomBytes(4);
    this.entries.set(processId, { secretKey, target });
    return { processId, secretKey };
  }

  release(processId: number): void {
    this.entries.delete(processId);
  }

  /** The session owning this key, or undefined; the secret is compared in constant time. */
  find(processId: number, secretKey: Buffer): Cancellable | undefined {
    const entry = this.entries.get(processId);
    if (entry === undefined || entry.secretKey.length !== secretKey.length) return undefined;
    return timingSafeEqual(entry.secretKey, secretKey) ? entry.target : undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
