import net from 'node:net';
import tls from 'node:tls';
import { encodeSSLRequest } from './protocol/frontend.js';

/** libpq's sslmode values. See https://www.postgresql.org/docs/current/libpq-ssl.html */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const sslModes: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface UpstreamTls {
  readonly mode: SslMode;
  /** PEM trust roots (sslrootcert); without them the system's are used for verify-*. */
  readonly ca?: Buffer;
  /** PEM client certificate and key (sslcert, sslkey). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Where the upstream PostgreSQL listens and how to reach it. */
export interface UpstreamTarget {
  /** A host name or address, or a directory holding the Unix socket (starts with '/'). */
  readonly host: string;
  readonly port: number;
  readonly tls: UpstreamTls;
  /** 0 waits as long as the operating system does. */
  readonly connectTimeoutMs: number;
}

export function describeTarget(target: UpstreamTarget): string {
  return target.host.startsWith('/') ? `${target.host}/.s.PGSQL.${target.port}` : `${target.host}:${target.port}`;
}

export interface UpstreamConnection {
  readonly socket: net.Socket;
  /** True when the link is TLS. */
  readonly encrypted: boolean;
  /** Sets the receiver of the upstream's bytes (once, after connecting). */
  onData(handler: (chunk: Buffer) => void): void;
}

/** One read buffer for every plaintext upstream socket; each read is copied out at its size. */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * Opens a connection to the upstream and settles TLS as `sslmode` says (SSLRequest, then a
 * TLS handshake on 'S'). The caller sends the startup packet next.
 */
export async function connectUpstream(target: UpstreamTarget): Promise<UpstreamConnection> {
  const mode = target.tls.mode;
  // 'allow' tries plaintext first; a server that insists on TLS rejects it in pg_hba.
  if (mode === 'disable' || mode === 'allow' || target.host.startsWith('/')) {
    // Known plaintext: read through `onread` into the shared buffer. This skips a 64 KiB
    // allocation and the stream machinery on every read (measured: ~3% of proxy CPU).
    let receive: (chunk: Buffer) => void = () => undefined;
    const socket = await openSocket(target, {
      buffer: sharedReadBuffer,
      callback: (size, buf) => {
        receive(Buffer.from(buf.subarray(0, size)));
        return true;
      },
    });
    return { socket, encrypted: false, onData: (handler) => (receive = handler) };
  }
  const socket = await openSocket(target);
  try {
    const answer = await requestTls(socket, target.connectTimeoutMs);
    if (answer === 'N') {
      if (mode === 'prefer') return streamConnection(socket, false);
      throw new Error(`the server does not support SSL, but sslmode=${mode} requires it`);
    }
    return streamConnection(await startTls(socket, target), true);
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

function streamConnection(socket: net.Socket, encrypted: boolean): UpstreamConnection {
  return { socket, encrypted, onData: (handler) => socket.on('data', handler) };
}

function openSocket(target: UpstreamTarget, onread?: net.OnReadOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = target.host.startsWith('/')
      ? net.connect({ path: describeTarget(target), onread })
      : net.connect({ host: target.host, port: target.port, onread });
    const timer =
      target.connectTimeoutMs > 0
        ? setTimeout(() => {
            socket.destroy();
            reject(new Error(`timed out after ${target.connectTimeoutMs} ms`));
          }, target.connectTimeoutMs)
        : undefined;
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** Sends SSLRequest and reads the one-byte answer. Anything after it is a violation (CVE-2021-23222). */
function requestTls(socket: net.Socket, timeoutMs: number): Promise<'S' | 'N'> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, answer?: 'S' | 'N'): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      if (error) reject(error);
      else resolve(answer ?? 'N');
    };
    const onData = (chunk: Buffer): void => {
      socket.pause();
      const answer = String.fromCharCode(chunk.readUInt8(0));
      if (chunk.length !== 1 || (answer !== 'S' && answer !== 'N')) {
        done(new Error('the server answered the SSL request with unexpected data'));
      } else done(null, answer);
    };
    const onError = (error: Error): void => done(error);
    const onClose = (): void => done(new Error('the server closed the connection during the SSL request'));
    const timer = timeoutMs > 0 ? setTimeout(() => done(new Error(`no answer to the SSL request after ${timeoutMs} ms`)), timeoutMs) : undefined;
    socket.on('data', onData).on('error', onError).on('close', onClose);
    socket.write(encodeSSLRequest());
  });
}

function startTls(socket: net.Socket, target: UpstreamTarget): Promise<tls.TLSSocket> {
  const { mode, ca, cert, key } = target.tls;
  // libpq: with a root certificate, 'require' verifies the chain like 'verify-ca'.
  const verifyChain = mode === 'verify-ca' || mode === 'verify-full' || (mode === 'require' && ca !== undefined);
  const options: tls.ConnectionOptions = {
    socket,
    host: target.host,
    ca,
    cert,
    key,
    rejectUnauthorized: verifyChain,
    servername: net.isIP(target.host) === 0 ? target.host : undefined,
    checkServerIdentity: mode === 'verify-full' ? tls.checkServerIdentity : () => undefined,
  };
  return new Promise((resolve, reject) => {
    const secure = tls.connect(options);
    secure.once('error', reject);
    secure.once('secureConnect', () => {
      secure.off('error', reject);
      resolve(secure);
    });
  });
}
