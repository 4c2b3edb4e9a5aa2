/**
 * Two proxies in front of one database: each caches which model serves a project, and a
 * deployment made through one reaches the other through NOTIFY pgml_deployments — no restart,
 * no shared memory. Without its LISTEN connection a proxy caches nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { jsonLogger } from '../../src/logger.js';
import { PgmlInterceptor } from '../../src/pgml/interceptor.js';
import { PGML_FUNCTIONS } from '../../src/pgml/registry.js';
import type { Services } from '../../src/pgml/registry-types.js';
import { DeployedModels } from '../../src/serving/deployed-models.js';
import { DeploymentListener } from '../../src/serving/deployment-listener.js';
import { EngineHost } from '../../src/serving/engine-host.js';
import { useLocalHub } from '../helpers/local-hub.js';
import { pgmlStack, TEST_SERVICES } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sentimentReviews } from '../helpers/sentiment.js';

const TEXT = 'water morning city goods';

describe('the deployed-model cache across proxies', () => {
  let upstream: TestPostgres;
  let proxyA: TestProxy;
  let proxyB: TestProxy;
  let servicesB: Services;
  let listenerB: DeploymentListener;
  let a: pg.Client;
  let b: pg.Client;
  const local = useLocalHub();
  after(async () => {
    await a.end();
    await b.end();
    await listenerB.stop();
    await proxyB.close();
    await servicesB.engine.close();
  });
  pgmlStack(
    async (stack) => {
      ({ upstream, proxy: proxyA } = stack);
      await upstream.sql('CREATE TABLE reviews (body text, label int)');
      for (const r of sentimentReviews(200, 5)) await upstream.sql('INSERT INTO reviews VALUES ($1, $2)', [r.text, r.label]);
      servicesB = { ...TEST_SERVICES, hub: () => local.hub(), engine: new EngineHost(), deployments: new DeployedModels() };
      listenerB = new DeploymentListener(upstream.url, servicesB.deployments, jsonLogger('silent'));
      listenerB.start();
      proxyB = await startTestProxy({ upstreamPort: upstream.port, interceptor: new PgmlInterceptor(servicesB, PGML_FUNCTIONS) });
      a = new pg.Client({ connectionString: proxyA.url() });
      b = new pg.Client({ connectionString: proxyB.url() });
      await a.connect();
      await b.connect();
    },
    { hub: () => local.hub() },
  );

  const probaThrough = async (client: pg.Client): Promise<number[]> => (await client.query<{ p: number[] }>(`SELECT pgml.predict_proba('Shared', $1) AS p`, [TEXT])).rows[0]?.p ?? [];

  async function eventually(client: pg.Client, want: number[]): Promise<number> {
    const began = performance.now();
    for (;;) {
      const got = await probaThrough(client);
      if (JSON.stringify(got) === JSON.stringify(want)) return performance.now() - began;
      if (performance.now() - began > 5000) assert.deepEqual(got, want, 'the other proxy serves the new deployment');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('serves a deployment made through another proxy, once it commits', async () => {
    const tune = (hyperparams: string): Promise<pg.QueryResult> =>
      a.query(`SELECT * FROM pgml.tune('Shared', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', model_name => 'distilbert-base-uncased', hyperparams => '${hyperparams}')`);
    await tune('{"max_steps": 1, "learning_rate": 1e-6}');
    const weak = await probaThrough(b);
    await tune('{"learning_rate": 2e-3, "num_train_epochs": 4, "per_device_train_batch_size": 16}');
    const strong = await eventually(b, await probaThrough(a)).then(() => probaThrough(b));
    assert.notDeepEqual(strong, weak);
    assert.deepEqual(await probaThrough(b), strong, 'B now caches the second model');

    // A deploys the first model again inside a transaction: B keeps serving the second until COMMIT.
    await a.query('BEGIN');
    await a.query('SELECT * FROM pgml.deploy(1)');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await probaThrough(b), strong, 'an uncommitted deployment is not served elsewhere');
    await a.query('COMMIT');
    const ms = await eventually(b, weak);
    assert.ok(ms < 2000, `B switched ${ms.toFixed(0)} ms after the commit`);

    // The cache is real: a deployment written without a notification goes unnoticed by B ...
    await upstream.sql(`INSERT INTO pgml.deployments (project_id, model_id, strategy) SELECT project_id, 2, 'specific' FROM pgml.models WHERE id = 2`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await probaThrough(b), weak, 'B serves what it cached');
    // ... until the notification arrives.
    await upstream.sql(`SELECT pg_notify('pgml_deployments', 'Shared')`);
    await eventually(b, strong);
  });

  it('caches nothing while its LISTEN connection is down', async () => {
    await listenerB.stop();
    const before = await probaThrough(b);
    // A deployment written straight into the table (no NOTIFY): only a proxy that asks sees it.
    const other = (await upstream.sql<{ id: number }>(`SELECT id::int FROM pgml.models WHERE status = 'successful' AND id <> (SELECT id FROM pgml.deployed_models WHERE name = 'Shared') ORDER BY id LIMIT 1`)).rows[0]?.id;
    await upstream.sql(`INSERT INTO pgml.deployments (project_id, model_id, strategy) SELECT project_id, id, 'specific' FROM pgml.models WHERE id = $1`, [other]);
    assert.notDeepEqual(await probaThrough(b), before, 'B looked the deployment up again');
  });
});
