import net from 'node:net';
import { decodeFields } from '../../proxy/protocol/backend.js';
import { Frontend, StartupCode } from '../../proxy/protocol/codes.js';
import { encodeStartupMessage } from '../../proxy/protocol/frontend.js';
import { Reader } from '../../proxy/protocol/reader.js';
import { Writer } from '../../proxy/protocol/writer.js';

/** One backend message as received: its type as a character and its bytes, header included. */
export interface BackendMessage {
  readonly type: string;
  readonly bytes: Buffer;
}

const WAIT_MS = 10_000;

/**
 * A raw TCP client that speaks bytes to the proxy: tests write hand-built packets and read the
 * replies one message (or one byte, for SSL/GSS answers) at a time. Every wait has a time limit.
 */
export class WireClient {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;
  /** Resolves once the peer has closed the connection (or it was destroyed). */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    // A reset after the proxy hangs up is expected; tests look at `closed` and the messages.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.ended = true;
        this.notify();
        resolve();
      });
    });
  }

  static connect(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new WireClient(socket));
      });
    });
  }

  /** Connects, sends a 3.0 StartupMessage and reads up to the first ReadyForQuery. */
  static async login(port: number, parameters: Readonly<Record<string, string>> = {}): Promise<{ wire: WireClient; messages: BackendMessage[] }> {
    const wire = await WireClient.connect(port);
    wire.write(startupMessage(parameters));
    return { wire, messages: await wire.until('Z') };
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Reads one raw byte (the answer to SSLRequest or GSSENCRequest). */
  async byte(): Promise<string> {
    await this.waitFor(1);
    const byte = this.buffer.subarray(0, 1).toString('latin1');
    this.buffer = this.buffer.subarray(1);
    return byte;
  }

  /** Reads one whole backend message. */
  async message(): Promise<BackendMessage> {
    await this.waitFor(5);
    const total = 1 + this.buffer.readInt32BE(1);
    await this.waitFor(total);
    const bytes = Buffer.from(this.buffer.subarray(0, total));
    this.buffer = this.buffer.subarray(total);
    return { type: bytes.subarray(0, 1).toString('latin1'), bytes };
  }

  /** Messages up to and including the first one of `type`; a failure lists what came instead. */
  async until(type: string): Promise<BackendMessage[]> {
    const messages: BackendMessage[] = [];
    for (;;) {
      let message: BackendMessage;
      try {
        message = await this.message();
      } catch (error) {
        const seen = messages.map((m) => (m.type === 'E' ? `E(${[...errorFields(m).values()].join(' ')})` : m.type));
        throw new Error(`no '${type}' message: ${(error as Error).message}; received ${seen.join(' ') || 'nothing'}`);
      }
      messages.push(message);
      if (message.type === type) return messages;
    }
  }

  /**
   * Reads up to an ErrorResponse, returns its fields, then waits for the peer to close; throws
   * if anything followed the error.
   */
  async errorThenClose(): Promise<Map<string, string>> {
    const messages = await this.until('E');
    const error = messages[messages.length - 1];
    if (error === undefined) throw new Error('no ErrorResponse');
    await this.waitClosed();
    if (this.buffer.length > 0) throw new Error(`${this.buffer.length} bytes followed the ErrorResponse`);
    return errorFields(error);
  }

  /** Waits for the peer to close the connection; throws after the time limit. */
  async waitClosed(ms = WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async waitFor(n: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (this.buffer.length < n) {
      if (this.ended) throw new Error(`connection closed with ${this.buffer.length} of ${n} bytes received`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.buffer.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** Default login parameters for the test cluster's trusted superuser. */
const LOGIN = { user: 'postgres', database: 'postgres' };

/** A protocol 3.0 StartupMessage, built with the project's own encoder. */
export function startupMessage(parameters: Readonly<Record<string, string>> = {}): Buffer {
  return encodeStartupMessage(new Map(Object.entries({ ...LOGIN, ...parameters })));
}

/** A StartupMessage for any protocol version (major.minor), e.g. 3.2 with `_pq_.` options. */
export function startupMessageVersion(major: number, minor: number, parameters: Readonly<Record<string, string>> = {}): Buffer {
  const w = new Writer(null).int32((major << 16) | minor);
  for (const [name, value] of Object.entries({ ...LOGIN, ...parameters })) w.cstring(name).cstring(value);
  return w.int8(0).finish();
}

/** GSSENCRequest (1234.5680). */
export function gssEncRequest(): Buffer {
  return new Writer(null).int32(StartupCode.GSSENCRequest).finish();
}

/** A simple Query message. */
export function queryMessage(sql: string): Buffer {
  return new Writer(Frontend.Query).cstring(sql).finish();
}

/** The fields of an ErrorResponse or NoticeResponse, by one-letter code. */
export function errorFields(message: BackendMessage): Map<string, string> {
  return decodeFields(message.bytes, 0, message.bytes.length);
}

/** The text values of a DataRow (null for SQL NULL). */
export function dataRowValues(message: BackendMessage): (string | null)[] {
  const r = new Reader(message.bytes, 5);
  const values: (string | null)[] = [];
  for (let count = r.int16(); count > 0; count--) {
    const length = r.int32();
    values.push(length < 0 ? null : r.bytes(length).toString('utf8'));
  }
  return values;
}

/** Runs a simple query on a logged-in connection; returns the messages up to ReadyForQuery. */
export async function simpleQuery(wire: WireClient, sql: string): Promise<BackendMessage[]> {
  wire.write(queryMessage(sql));
  return wire.until('Z');
}
