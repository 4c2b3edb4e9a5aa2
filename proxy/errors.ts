import { encodeErrorResponse, type NoticeFields } from './protocol/backend.js';

/**
 * An error the proxy itself reports to a client, with its SQLSTATE. Named constructors below
 * cover each situation so call sites never assemble codes by hand.
 */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';

  constructor(
    readonly fields: NoticeFields,
    options?: { cause?: unknown },
  ) {
    super(fields.message, options);
  }

  get fatal(): boolean {
    return this.fields.severity === 'FATAL';
  }

  toBytes(): Buffer {
    return encodeErrorResponse(this.fields);
  }

  /** 08P01: the client broke the wire protocol; the connection ends. */
  static protocolViolation(message: string): ProxyError {
    return new ProxyError({ severity: 'FATAL', code: '08P01', message });
  }

  /** 0A000: a protocol version this server does not speak (PostgreSQL's own wording). */
  static unsupportedProtocol(major: number, minor: number): ProxyError {
    return new ProxyError({
      severity: 'FATAL',
      code: '0A000',
      message: `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`,
    });
  }

  /** 08006: the upstream PostgreSQL could not be reached when the client connected. */
  static upstreamUnreachable(address: string, cause: unknown): ProxyError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ProxyError(
      {
        severity: 'FATAL',
        code: '08006',
        message: `could not connect to the upstream PostgreSQL server at ${address}: ${reason}`,
        hint: 'Check that the upstream server is running and that pgml-proxy --upstream points at it.',
      },
      { cause },
    );
  }

  /** 08006: the upstream connection dropped during a session. */
  static upstreamLost(address: string): ProxyError {
    return new ProxyError({
      severity: 'FATAL',
      code: '08006',
      message: `lost the connection to the upstream PostgreSQL server at ${address}`,
      hint: 'The server may have restarted; reconnect to start a new session.',
    });
  }

  /** 57P01: the proxy is shutting down (PostgreSQL's wording for a shutdown). */
  static shuttingDown(): ProxyError {
    return new ProxyError({
      severity: 'FATAL',
      code: '57P01',
      message: 'terminating connection due to administrator command',
      detail: 'pgml-proxy is shutting down.',
    });
  }

  /**
   * 08P01: the client would use SCRAM channel binding through a proxy where the upstream link
   * is TLS too. The client cannot bind to the upstream's certificate, and PostgreSQL rejects a
   * client that says it could have (gs2 flag 'y'), so the login cannot succeed.
   */
  static channelBindingThroughProxy(): ProxyError {
    return new ProxyError({
      severity: 'FATAL',
      code: '08P01',
      message: 'SCRAM channel binding cannot pass through pgml-proxy when both links use TLS',
      hint: 'Add channel_binding=disable to the client connection string, or connect pgml-proxy to the upstream with sslmode=disable.',
    });
  }
}
