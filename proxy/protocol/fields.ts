import { decodeFields } from './backend.js';
import { Writer } from './writer.js';

/**
 * Re-encodes an ErrorResponse or NoticeResponse with its statement position ('P', 1-based, in
 * characters) moved by `offset` characters: the proxy sends statements of a multi-statement
 * Query one at a time, and the client's cursor must point into the text it sent.
 */
export function withPositionShifted(message: Buffer, offset: number): Buffer {
  const type = message[0] ?? 0;
  const fields = decodeFields(message, 0, message.length);
  const position = fields.get('P');
  if (position === undefined) return message;
  fields.set('P', String(Number(position) + offset));
  const w = new Writer(type, message.length + 8);
  for (const [code, value] of fields) w.int8(code.charCodeAt(0)).cstring(value);
  return w.int8(0).finish();
}
