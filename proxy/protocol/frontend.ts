import { StartupCode } from './codes.js';
import { Reader } from './reader.js';
import { ProtocolViolation } from './violation.js';
import { Writer } from './writer.js';

/** The first packet of a connection, decoded. See protocol-message-formats.html. */
export type StartupPacket =
  | { readonly kind: 'ssl-request' }
  | { readonly kind: 'gssenc-request' }
  | { readonly kind: 'cancel-request'; readonly processId: number; readonly secretKey: Buffer }
  | {
      readonly kind: 'startup';
      readonly major: number;
      readonly minor: number;
      /** Parameters in the order sent ("user", "database", "options", ...). */
      readonly parameters: ReadonlyMap<string, string>;
    };

/** Decodes an untyped startup packet (length header included in `buf[start, end)`). */
export function decodeStartupPacket(buf: Buffer, start: number, end: number): StartupPacket {
  const r = new Reader(buf, start + 4, end);
  const code = r.int32();
  switch (code) {
    case StartupCode.SSLRequest:
      return { kind: 'ssl-request' };
    case StartupCode.GSSENCRequest:
      return { kind: 'gssenc-request' };
    case StartupCode.CancelRequest: {
      const processId = r.int32();
      // Protocol 3.2 allows a secret of up to 256 bytes; 3.0 uses 4.
      const secretKey = Buffer.from(r.rest());
      return { kind: 'cancel-request', processId, secretKey };
    }
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  const parameters = new Map<string, string>();
  if (major === 3) {
    for (;;) {
      const name = r.cstring();
      if (name === '') break;
      parameters.set(name, r.cstring());
    }
  }
  return { kind: 'startup', major, minor, parameters };
}

/** Encodes a protocol 3.0 StartupMessage. */
export function encodeStartupMessage(parameters: ReadonlyMap<string, string>): Buffer {
  const w = new Writer(null, 128).int32(StartupCode.Protocol3);
  for (const [name, value] of parameters) w.cstring(name).cstring(value);
  return w.int8(0).finish();
}

export function encodeSSLRequest(): Buffer {
  return new Writer(null, 4).int32(StartupCode.SSLRequest).finish();
}

export function encodeCancelRequest(processId: number, secretKey: Buffer): Buffer {
  return new Writer(null, 8 + secretKey.length)
    .int32(StartupCode.CancelRequest)
    .int32(processId)
    .bytes(secretKey)
    .finish();
}

/** The SQL text of a simple Query ('Q') message. */
export function decodeQuery(buf: Buffer, start: number, end: number): string {
  return new Reader(buf, start + 5, end).cstring();
}

export interface ParseMessage {
  readonly statement: string;
  readonly query: string;
  readonly parameterTypes: readonly number[];
}

/** A Parse ('P') message. */
export function decodeParse(buf: Buffer, start: number, end: number): ParseMessage {
  const r = new Reader(buf, start + 5, end);
  const statement = r.cstring();
  const query = r.cstring();
  const count = r.int16();
  const parameterTypes: number[] = [];
  for (let i = 0; i < count; i++) parameterTypes.push(r.int32() >>> 0);
  return { statement, query, parameterTypes };
}

export interface SASLInitialResponse {
  readonly mechanism: string;
  /** The client-first-message, or null when the client sent none (length -1). */
  readonly data: Buffer | null;
}

/** A SASLInitialResponse ('p' sent in answer to AuthenticationSASL). */
export function decodeSASLInitialResponse(buf: Buffer, start: number, end: number): SASLInitialResponse {
  const r = new Reader(buf, start + 5, end);
  const mechanism = r.cstring();
  const length = r.int32();
  const data = length === -1 ? null : r.bytes(length);
  if (r.remaining !== 0) throw new ProtocolViolation('trailing bytes in SASLInitialResponse');
  return { mechanism, data };
}
