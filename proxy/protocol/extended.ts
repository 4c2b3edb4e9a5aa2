import { Backend, Frontend } from './codes.js';
import { Reader } from './reader.js';
import { ProtocolViolation } from './violation.js';
import { Writer } from './writer.js';

/**
 * Extended-query messages the proxy reads from clients (to answer intercepted statements) and
 * writes to the upstream (to run its own queries on the client's session), plus the small
 * backend answers it synthesizes.
 */

/** The parameter values of a Bind, kept as the client sent them (text or binary). */
export interface BoundParameters {
  readonly formats: readonly number[];
  readonly values: readonly (Buffer | null)[];
}

export interface BindMessage extends BoundParameters {
  readonly portal: string;
  readonly statement: string;
  /** Result column format codes: none = all text, one = for all columns, else one per column. */
  readonly resultFormats: readonly number[];
}

export function decodeBind(buf: Buffer, start: number, end: number): BindMessage {
  const r = new Reader(buf, start + 5, end);
  const portal = r.cstring();
  const statement = r.cstring();
  const formats = int16List(r);
  const count = r.int16();
  const values: (Buffer | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.int32();
    // Copied: the receive buffer is reused, and these values outlive it.
    values.push(length === -1 ? null : Buffer.from(r.bytes(length)));
  }
  const resultFormats = int16List(r);
  return { portal, statement, formats, values, resultFormats };
}

/** A Describe or Close: 'S' for a prepared statement, 'P' for a portal. */
export interface TargetMessage {
  readonly kind: 'S' | 'P';
  readonly name: string;
}

export function decodeTarget(buf: Buffer, start: number, end: number): TargetMessage {
  const r = new Reader(buf, start + 5, end);
  const kind = String.fromCharCode(r.int8());
  if (kind !== 'S' && kind !== 'P') throw new ProtocolViolation(`invalid Describe/Close target ${JSON.stringify(kind)}`);
  return { kind, name: r.cstring() };
}

export interface ExecuteMessage {
  readonly portal: string;
  readonly maxRows: number;
}

export function decodeExecute(buf: Buffer, start: number, end: number): ExecuteMessage {
  const r = new Reader(buf, start + 5, end);
  return { portal: r.cstring(), maxRows: r.int32() };
}

function int16List(r: Reader): number[] {
  const count = r.int16();
  const list: number[] = [];
  for (let i = 0; i < count; i++) list.push(r.int16());
  return list;
}

// ---- frontend messages the proxy sends upstream ----------------------------------------------

export function encodeParse(statement: string, query: string, parameterTypes: readonly number[]): Buffer {
  const w = new Writer(Frontend.Parse, 16 + query.length).cstring(statement).cstring(query).int16(parameterTypes.length);
  for (const oid of parameterTypes) w.int32(oid | 0);
  return w.finish();
}

export function encodeBind(portal: string, statement: string, parameters: BoundParameters, resultFormats: readonly number[]): Buffer {
  const w = new Writer(Frontend.Bind, 64).cstring(portal).cstring(statement).int16(parameters.formats.length);
  for (const format of parameters.formats) w.int16(format);
  w.int16(parameters.values.length);
  for (const value of parameters.values) {
    if (value === null) w.int32(-1);
    else w.int32(value.length).bytes(value);
  }
  w.int16(resultFormats.length);
  for (const format of resultFormats) w.int16(format);
  return w.finish();
}

export function encodeDescribe(kind: 'S' | 'P', name: string): Buffer {
  return new Writer(Frontend.Describe, 8 + name.length).int8(kind.charCodeAt(0)).cstring(name).finish();
}

export function encodeClose(kind: 'S' | 'P', name: string): Buffer {
  return new Writer(Frontend.Close, 8 + name.length).int8(kind.charCodeAt(0)).cstring(name).finish();
}

export function encodeExecute(portal: string, maxRows: number): Buffer {
  return new Writer(Frontend.Execute, 8 + portal.length).cstring(portal).int32(maxRows).finish();
}

export const FLUSH = Buffer.from([Frontend.Flush, 0, 0, 0, 4]);
export const SYNC = Buffer.from([Frontend.Sync, 0, 0, 0, 4]);

export function encodeCopyFail(message: string): Buffer {
  return new Writer(Frontend.CopyFail, message.length + 8).cstring(message).finish();
}

// ---- backend answers ---------------------------------------------------------------------------

export const PARSE_COMPLETE = Buffer.from([Backend.ParseComplete, 0, 0, 0, 4]);
export const BIND_COMPLETE = Buffer.from([Backend.BindComplete, 0, 0, 0, 4]);
export const CLOSE_COMPLETE = Buffer.from([Backend.CloseComplete, 0, 0, 0, 4]);
export const NO_DATA = Buffer.from([Backend.NoData, 0, 0, 0, 4]);
export const EMPTY_QUERY = Buffer.from([Backend.EmptyQueryResponse, 0, 0, 0, 4]);

export function encodeCommandComplete(tag: string): Buffer {
  return new Writer(Backend.CommandComplete, tag.length + 8).cstring(tag).finish();
}

export function decodeCommandComplete(buf: Buffer, start: number, end: number): string {
  return new Reader(buf, start + 5, end).cstring();
}

/** A DataRow of already-encoded column values (null = SQL NULL). */
export function encodeDataRow(values: readonly (Buffer | null)[]): Buffer {
  let size = 2;
  for (const value of values) size += 4 + (value?.length ?? 0);
  const w = new Writer(Backend.DataRow, size).int16(values.length);
  for (const value of values) {
    if (value === null) w.int32(-1);
    else w.int32(value.length).bytes(value);
  }
  return w.finish();
}

/** The columns of a DataRow; values are views into `buf`. */
export function decodeDataRow(buf: Buffer, start: number, end: number): (Buffer | null)[] {
  const r = new Reader(buf, start + 5, end);
  const count = r.int16();
  const values: (Buffer | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.int32();
    values.push(length === -1 ? null : r.bytes(length));
  }
  return values;
}

/** One column of a RowDescription. */
export interface FieldDescription {
  readonly name: string;
  readonly tableOid: number;
  readonly columnNumber: number;
  readonly typeOid: number;
  readonly typeSize: number;
  readonly typeModifier: number;
  readonly format: number;
}

export function decodeRowDescription(buf: Buffer, start: number, end: number): FieldDescription[] {
  const r = new Reader(buf, start + 5, end);
  const count = r.int16();
  const fields: FieldDescription[] = [];
  for (let i = 0; i < count; i++) {
    fields.push({
      name: r.cstring(),
      tableOid: r.int32() >>> 0,
      columnNumber: r.int16(),
      typeOid: r.int32() >>> 0,
      typeSize: r.int16(),
      typeModifier: r.int32(),
      format: r.int16(),
    });
  }
  return fields;
}

export function encodeRowDescription(fields: readonly FieldDescription[]): Buffer {
  const w = new Writer(Backend.RowDescription, 32 * fields.length).int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name).int32(f.tableOid | 0).int16(f.columnNumber).int32(f.typeOid | 0).int16(f.typeSize).int32(f.typeModifier).int16(f.format);
  }
  return w.finish();
}

/**
 * Expands Bind's result format codes to one per column, as PostgreSQL applies them; null when
 * the count fits neither rule (PostgreSQL's ERROR "bind message has N result formats ...").
 */
export function formatsFor(resultFormats: readonly number[], columns: number): number[] | null {
  if (resultFormats.length === 0) return new Array<number>(columns).fill(0);
  if (resultFormats.length === 1) return new Array<number>(columns).fill(resultFormats[0] ?? 0);
  return resultFormats.length === columns ? [...resultFormats] : null;
}
