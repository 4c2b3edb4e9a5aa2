import type { Logger } from '../proxy/log.js';
import { redactUrl, type MigrateConfig } from './config.js';
import { startEmbeddedPostgres } from './embedded/default-upstream.js';
import { sqlFunctions } from './pgml/sql-functions.js';
import { migrateUrl, type MigrateResult } from './store/migrate.js';
import { migrations } from './store/migrations/index.js';

/**
 * `pgml-proxy migrate`: installs or updates the pgml schema in the upstream, or in the embedded
 * PostgreSQL of `dataDir` (started for the purpose and stopped again). Returns the line to print.
 */
export async function runMigrateCommand(config: MigrateConfig, log: Logger): Promise<string> {
  if (config.upstreamUrl !== null) {
    return describe(redactUrl(config.upstreamUrl), await migrateUrl(config.upstreamUrl, { functions: sqlFunctions(), log }));
  }
  const { cluster } = await startEmbeddedPostgres(config.dataDir, log);
  try {
    // Loopback to our own child process: TLS would only cost time.
    const result = await migrateUrl(`${cluster.url}?sslmode=disable`, { functions: sqlFunctions(), log });
    return describe(`the embedded PostgreSQL in ${config.dataDir}`, result);
  } finally {
    await cluster.stop();
  }
}

function describe(target: string, result: MigrateResult): string {
  const done: string[] = [];
  if (result.applied.length > 0) {
    const names = result.applied.map((version) => `${version} (${migrations.find((m) => m.version === version)?.name ?? '?'})`);
    done.push(`applied migration${names.length > 1 ? 's' : ''} ${names.join(', ')}`);
  }
  if (result.functionsChanged) done.push('installed the pgml functions');
  if (done.length === 0) return `pgml-proxy migrate: ${target} is up to date`;
  return `pgml-proxy migrate: ${target}: ${done.join('; ')}`;
}
