import { AuthCode, Backend, type TransactionStatus } from './codes.js';
import { Reader } from './reader.js';
import { ProtocolViolation } from './violation.js';
import { Writer } from './writer.js';

/** Fields of an ErrorResponse or NoticeResponse, by their one-letter codes. */
export interface NoticeFields {
  /** 'S' localized severity, 'V' non-localized (ERROR, FATAL, NOTICE, ...). */
  readonly severity: string;
  /** 'C' SQLSTATE. */
  readonly code: string;
  /** 'M' primary message. */
  readonly message: string;
  /** 'D' detail. */
  readonly detail?: string;
  /** 'H' hint. */
  readonly hint?: string;
}

function encodeFields(type: number, f: NoticeFields): Buffer {
  const w = new Writer(type, 64 + f.message.length);
  w.int8(0x53).cstring(f.severity); // 'S'
  w.int8(0x56).cstring(f.severity); // 'V'
  w.int8(0x43).cstring(f.code); // 'C'
  w.int8(0x4d).cstring(f.message); // 'M'
  if (f.detail !== undefined) w.int8(0x44).cstring(f.detail); // 'D'
  if (f.hint !== undefined) w.int8(0x48).cstring(f.hint); // 'H'
  return w.int8(0).finish();
}

export function encodeErrorResponse(fields: NoticeFields): Buffer {
  return encodeFields(Backend.ErrorResponse, fields);
}

export function encodeNoticeResponse(fields: NoticeFields): Buffer {
  return encodeFields(Backend.NoticeResponse, fields);
}

/** Decodes an ErrorResponse or NoticeResponse body into a map of field code → value. */
export function decodeFields(buf: Buffer, start: number, end: number): Map<string, string> {
  const r = new Reader(buf, start + 5, end);
  const fields = new Map<string, string>();
  for (;;) {
    const code = r.int8();
    if (code === 0) return fields;
    fields.set(String.fromCharCode(code), r.cstring());
  }
}

export function encodeReadyForQuery(status: TransactionStatus): Buffer {
  return new Writer(Backend.ReadyForQuery, 1).int8(status.charCodeAt(0)).finish();
}

export function decodeReadyForQuery(buf: Buffer, start: number, end: number): TransactionStatus {
  if (end - start !== 6) throw new ProtocolViolation('ReadyForQuery must be 6 bytes');
  const status = String.fromCharCode(buf.readUInt8(start + 5));
  if (status !== 'I' && status !== 'T' && status !== 'E') {
    throw new ProtocolViolation(`invalid transaction status ${JSON.stringify(status)}`);
  }
  return status;
}

export interface BackendKeyData {
  readonly processId: number;
  readonly secretKey: Buffer;
}

export function encodeBackendKeyData(key: BackendKeyData): Buffer {
  return new Writer(Backend.BackendKeyData, 4 + key.secretKey.length)
    .int32(key.processId)
    .bytes(key.secretKey)
    .finish();
}

export function decodeBackendKeyData(buf: Buffer, start: number, end: number): BackendKeyData {
  const r = new Reader(buf, start + 5, end);
  return { processId: r.int32(), secretKey: Buffer.from(r.rest()) };
}

/** The request code of an Authentication ('R') message. */
export function decodeAuthCode(buf: Buffer, start: number, end: number): number {
  return new Reader(buf, start + 5, end).int32();
}

/** The mechanism names offered by AuthenticationSASL. */
export function decodeSASLMechanisms(buf: Buffer, start: number, end: number): string[] {
  const r = new Reader(buf, start + 9, end);
  const names: string[] = [];
  for (;;) {
    const name = r.cstring();
    if (name === '') return names;
    names.push(name);
  }
}

export function encodeSASLMechanisms(names: readonly string[]): Buffer {
  const w = new Writer(Backend.Authentication, 32).int32(AuthCode.SASL);
  for (const name of names) w.cstring(name);
  return w.int8(0).finish();
}

/**
 * NegotiateProtocolVersion: the newest minor version this server speaks, and the `_pq_.`
 * options it did not recognise. Sent when a client asks for 3.x with x > 0 or for options.
 */
export function encodeNegotiateProtocolVersion(minor: number, unsupported: readonly string[]): Buffer {
  const w = new Writer(Backend.NegotiateProtocolVersion, 32).int32(minor).int32(unsupported.length);
  for (const option of unsupported) w.cstring(option);
  return w.finish();
}

export function encodeParameterStatus(name: string, value: string): Buffer {
  return new Writer(Backend.ParameterStatus, name.length + value.length + 2).cstring(name).cstring(value).finish();
}

export function encodeAuthenticationOk(): Buffer {
  return new Writer(Backend.Authentication, 4).int32(AuthCode.Ok).finish();
}
