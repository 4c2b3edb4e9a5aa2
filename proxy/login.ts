import { ProxyError } from './errors.js';
import { decodeSASLMechanisms, encodeNegotiateProtocolVersion, encodeSASLMechanisms } from './protocol/backend.js';
import { AuthCode } from './protocol/codes.js';
import { decodeSASLInitialResponse } from './protocol/frontend.js';

/**
 * The rules of a relayed login, as pure functions over messages: what the upstream is sent at
 * startup, which SASL mechanisms the client may see, and which client answers cannot succeed.
 */

export interface StartupPlan {
  /** NegotiateProtocolVersion for the client, when it asked for more than 3.0 offers. */
  readonly negotiate: Buffer | null;
  /** The parameters the upstream gets, in a protocol 3.0 StartupMessage. */
  readonly parameters: ReadonlyMap<string, string>;
}

/**
 * A client asking for 3.x (x > 0) or `_pq_.` options is answered with NegotiateProtocolVersion
 * for 3.0 and the options we do not know; the upstream then sees a plain 3.0 startup, so it never
 * negotiates with us behind the client's back (pgbouncer PR #1007, psql-wire PR #147).
 */
export function planStartup(minor: number, parameters: ReadonlyMap<string, string>): StartupPlan {
  const protocolOptions = [...parameters.keys()].filter((name) => name.startsWith('_pq_.'));
  return {
    negotiate: minor > 0 || protocolOptions.length > 0 ? encodeNegotiateProtocolVersion(0, protocolOptions) : null,
    parameters: new Map([...parameters].filter(([name]) => !name.startsWith('_pq_.'))),
  };
}

/**
 * AuthenticationSASL without the channel-binding (-PLUS) mechanisms, or null when none were
 * offered. Binding cannot cross the proxy: over TLS the client would bind to the proxy's
 * certificate, and libpq refuses a -PLUS offer on a plaintext link.
 */
export function withoutChannelBinding(buf: Buffer, start: number, end: number): Buffer | null {
  const offered = decodeSASLMechanisms(buf, start, end);
  const usable = offered.filter((name) => !name.endsWith('-PLUS'));
  return usable.length < offered.length ? encodeSASLMechanisms(usable) : null;
}

/**
 * libpq over TLS that was offered only SCRAM-SHA-256 says "I could bind, you can't" (gs2 flag
 * 'y'); an upstream reached over TLS rejects that as a downgrade attack. Fail early and clearly.
 */
export function checkChannelBinding(buf: Buffer, start: number, end: number, upstreamEncrypted: boolean): void {
  const initial = decodeSASLInitialResponse(buf, start, end);
  if (initial.data?.[0] === 0x79 /* 'y' */ && upstreamEncrypted) throw ProxyError.channelBindingThroughProxy();
}

/** True while the upstream waits for a password message: after a request, before AuthenticationOk. */
export function awaitingPassword(lastAuthCode: number | null): boolean {
  return lastAuthCode !== null && lastAuthCode !== AuthCode.Ok && lastAuthCode !== AuthCode.SASLFinal;
}
