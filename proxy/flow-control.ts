import type net from 'node:net';
import type { Duplex } from 'node:stream';

/** The two sockets of a session, as they are at the moment (TLS may replace the client's). */
export interface SessionSockets {
  client(): Duplex;
  upstream(): net.Socket | null;
  /** The upstream took what it was sent: the session may read the client again. */
  upstreamWritable(): void;
}

/**
 * Backpressure between a client and its upstream: when one side's socket buffer is full, the
 * other side is not read until it drains, so a slow reader never makes the proxy buffer
 * without bound (pgbouncer does the same with its fixed buffers).
 */
export class FlowControl {
  private clientFull = false;
  private upstreamFull = false;

  constructor(private readonly sockets: SessionSockets) {}

  /** True while the upstream's buffer is full; the session keeps the client paused meanwhile. */
  get upstreamBlocked(): boolean {
    return this.upstreamFull;
  }

  /** True when neither side is blocked on the other. */
  get quiet(): boolean {
    return !this.clientFull && !this.upstreamFull;
  }

  writeClient(bytes: Buffer): void {
    const client = this.sockets.client();
    const upstream = this.sockets.upstream();
    if (client.write(bytes) || upstream === null || this.clientFull) return;
    // Stop reading the upstream until the client has taken what we sent.
    this.clientFull = true;
    upstream.pause();
    client.once('drain', () => {
      this.clientFull = false;
      upstream.resume();
    });
  }

  writeUpstream(bytes: Buffer): void {
    const upstream = this.sockets.upstream();
    if (upstream === null || upstream.write(bytes) || this.upstreamFull) return;
    this.upstreamFull = true;
    this.sockets.client().pause();
    upstream.once('drain', () => {
      this.upstreamFull = false;
      this.sockets.upstreamWritable();
    });
  }

  /** Resolves once the upstream socket's buffer has room again (at once when it has). */
  upstreamDrained(): Promise<void> {
    const socket = this.sockets.upstream();
    if (socket === null || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done).off('close', done);
        resolve();
      };
      socket.on('drain', done).on('close', done);
    });
  }
}
