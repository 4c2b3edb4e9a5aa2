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
  /**
   * A fixed TCP port (e.g. from freePort()), kept across cluster.start() after a stop or kill;
   * the default 0 picks a new free port at each start.
   */
  readonly port?: number;
}

export interface TestPostgres extends AsyncDisposable {
  readonly cluster: PostgresCluster;
  readonly port: number;
  /** Superuser URL straight to PostgreSQL (no proxy). */
  readonly url: string;
  /** Runs SQL as the superuser, directly. */
  sql<Row extends pg.QueryResultRow = Record<string, number | string | boolean | null>>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
  /** The first column of the first row of a query run directly, e.g. a count. */
  scalar(text: string, values?: unknown[]): Promise<unknown>;
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
    port: options.port ?? 0,
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
  const sql = async <Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>> => {
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    try {
      return await client.query<Row>(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    cluster,
    port: cluster.port,
    url: cluster.url,
    sql,
    async scalar(text, values) {
      const row = (await sql(text, values)).rows[0];
      if (row === undefined) throw new Error(`no row from ${text}`);
      return Object.values(row)[0] as unknown;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
