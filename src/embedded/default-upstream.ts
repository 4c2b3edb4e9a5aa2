import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../proxy/log.js';
import { PostgresCluster } from './cluster.js';

interface Credentials {
  readonly superuser: string;
  readonly password: string;
}

/**
 * The PostgreSQL that `pgml-proxy start` runs when no upstream is given: created in
 * `<dataDir>/postgres` on first start with a generated superuser password (kept in
 * `<dataDir>/credentials.json`, mode 0600), reused on every later start.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<{ cluster: PostgresCluster; credentials: Credentials }> {
  await mkdir(dataDir, { recursive: true });
  // Traverse-only for others: PostgreSQL may run as another user (we are root), and the
  // credentials file stays private (0600).
  await chmod(dataDir, 0o711);
  const credentials = await loadOrCreateCredentials(path.join(dataDir, 'credentials.json'));
  const cluster = new PostgresCluster({ dataDir: path.join(dataDir, 'postgres'), port: 0, log, ...credentials });
  if (await cluster.init()) log.info('embedded.created', { data_dir: dataDir });
  await cluster.start();
  return { cluster, credentials };
}

async function loadOrCreateCredentials(file: string): Promise<Credentials> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<Credentials>;
    if (typeof stored.superuser === 'string' && typeof stored.password === 'string') {
      return { superuser: stored.superuser, password: stored.password };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const created = { superuser: 'postgres', password: randomBytes(12).toString('base64url') };
  await writeFile(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  return created;
}
