import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PostgresCluster } from '../../src/embedded/cluster.js';
import { fixturePath } from './paths.js';

export interface TestPostgresOptions {
  /** Serve TLS with the fixture certificate (fixtures/tls). */
  readonly ssl?: boolean;
  /** pg_hba.conf contents; the default trusts every loopback login. */
  readonly hba?: string;
  readonly settings?: Readonly<Record<string, string>>;
}

export interface TestPostgres extends AsyncDisposable {
  readonly cluster: PostgresCluster;
  readonly port: number;
  /** Superuser URL straight to PostgreSQL (no proxy). */
  readonly url: string;
  /** Runs SQL as the superuser, directly. */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

export const TRUST_HBA = 'host all all 127.0.0.1/32 trust\n';

/** A real, private PostgreSQL for one test file: initdb in a temp folder, start, stop, delete. */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const folder = await mkdtemp(path.join(tmpdir(), 'pgml-test-pg-'));
  const { chmod } = await import('node:fs/promises');
  await chmod(folder, 0o711);
  const files: Record<string, Buffer> = {};
  if (options.ssl === true) {
    files['server.crt'] = await readFile(fixturePath('tls', 'server.crt'));
    files['server.key'] = await readFile(fixturePath('tls', 'server.key'));
  }
  const cluster = new PostgresCluster({
    dataDir: path.join(folder, 'data'),
    superuser: 'postgres',
    password: 'postgres',
    port: 0,
    hba: options.hba ?? TRUST_HBA,
    files,
    settings: { ...(options.ssl === true ? { ssl: 'on' } : {}), max_connections: '60', ...options.settings },
  });
  await cluster.init();
  await cluster.start();
  const stop = async (): Promise<void> => {
    await cluster.stop();
    await rm(folder, { recursive: true, force: true });
  };
  return {
    cluster,
    port: cluster.port,
    url: cluster.url,
    async sql(text, values) {
      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      try {
        return await client.query(text, values);
      } finally {
        await client.end();
      }
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
