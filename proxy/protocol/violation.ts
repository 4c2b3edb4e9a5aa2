/**
 * A client or server broke the wire protocol (bad length, unknown message type, truncated
 * body). The session answers a client's violation with FATAL 08P01 and ends.
 */
export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
}
