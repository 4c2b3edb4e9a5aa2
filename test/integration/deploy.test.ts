import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { ProxyError } from '../../proxy/errors.js';
import { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { currentDeployment, DEPLOYMENTS_CHANNEL, findProject, lookupModel, lookupProject, recordDeployment } from '../../src/store/deployments.js';
import { keyMetricValue } from '../../src/store/key-metrics.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';
import { WireClient } from '../helpers/wire.js';

/**
 * pgml.deploy through a real proxy to a real PostgreSQL. Models are made directly with SQL, with
 * metrics where comparing the JSON text (as PostgresML does) would pick a different model than
 * comparing numbers: perplexity 9.5 vs 10.25 (lower is better), r2 -0.1 vs -0.5.
 */
describe('pgml.deploy', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  let client: pg.Client;
  let listener: pg.Client;
  const notifications: string[] = [];
  const ids: Record<string, string> = {};

  async function project(name: string, task: string): Promise<void> {
    await upstream.sql('INSERT INTO pgml.projects (name, task) VALUES ($1, $2)', [name, task]);
  }

  /** A model of `projectName` trained on the given day. */
  async function model(key: string, projectName: string, algorithm: string, status: string, metrics: object | null, day: number): Promise<void> {
    ids[key] = String(
      await upstream.scalar(
        `INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, hyperparams, status, metrics, search_params, search_args, created_at)
         SELECT p.id, (SELECT max(id) FROM pgml.snapshots), 1, $2, '{}', $3, $4, '{}', '{}', timestamp '2024-01-01' + make_interval(days => $5)
           FROM pgml.projects p WHERE p.name = $1 RETURNING id`,
        [projectName, algorithm, status, metrics === null ? null : JSON.stringify(metrics), day],
      ),
    );
  }

  // Registered before the stack's own `after`, so the clients end while the servers still run.
  after(async () => {
    await client.end();
    await listener.end();
  });

  pgmlStack(async (stack) => {
    ({ upstream, proxy } = stack);
    client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
    // Straight to PostgreSQL, as another proxy process would listen.
    listener = new pg.Client({ connectionString: upstream.url });
    await listener.connect();
    listener.on('notification', (message) => notifications.push(`${message.channel}:${message.payload ?? ''}`));
    await listener.query(`LISTEN ${DEPLOYMENTS_CHANNEL}`);
    await upstream.sql(`INSERT INTO pgml.snapshots (relation_name, test_size, test_sampling, status) VALUES ('pgml.t', 0.25, 'last', 'successful')`);
    await project('Sentiment', 'text_classification');
    await model('a', 'Sentiment', 'transformers', 'successful', { f1: 0.9 }, 1);
    await model('b', 'Sentiment', 'transformers', 'successful', { f1: 0.85 }, 2);
    await model('c', 'Sentiment', 'linear', 'successful', { f1: 1 }, 3);
    await model('d', 'Sentiment', 'transformers', 'successful', { accuracy: 0.99 }, 4);
    await model('e', 'Sentiment', 'transformers', 'failed', { f1: 0.99 }, 5);
    await model('f', 'Sentiment', 'transformers', 'in_progress', null, 6);
    await project('Writer', 'text_generation');
    await model('g1', 'Writer', 'transformers', 'successful', { perplexity: 9.5 }, 1);
    await model('g2', 'Writer', 'transformers', 'successful', { perplexity: 10.25 }, 2);
    await model('g3', 'Writer', 'transformers', 'successful', { perplexity: 9.5 }, 3);
    await model('g4', 'Writer', 'transformers', 'successful', { perplexity: 'n/a' }, 4);
    await project('Housing', 'regression');
    await model('r1', 'Housing', 'linear', 'successful', { r2: -0.5 }, 1);
    await model('r2', 'Housing', 'linear', 'successful', { r2: -0.1 }, 2);
    await project('Empty', 'classification');
  });

  async function deploy(args: string): Promise<string[]> {
    const result = await client.query<{ project: string; strategy: string; algorithm: string }>(`SELECT * FROM pgml.deploy(${args})`);
    return result.rows.map((row) => `${row.project}|${row.strategy}|${row.algorithm}`);
  }

  async function deployed(name: string): Promise<string | undefined> {
    const row = (await client.query<{ id: string }>('SELECT id FROM pgml.deployed_models WHERE name = $1', [name])).rows[0];
    return row?.id;
  }

  async function deploymentCount(): Promise<number> {
    return Number(await upstream.scalar('SELECT count(*) FROM pgml.deployments'));
  }

  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

  it('best_score picks the best f1 by number among successful models, optionally of one algorithm (psql)', async () => {
    const { stdout, stderr } = await psql(proxy.url(), ['-c', "SELECT * FROM pgml.deploy('Sentiment', 'best_score')"]);
    assert.equal(stdout, 'Sentiment|best_score|linear\n', 'f1 1 beats 0.9; the failed 0.99 does not qualify');
    assert.match(stderr, new RegExp(`NOTICE: {2}Deploying model id: ${ids.c}\\n`));
    assert.equal(await deployed('Sentiment'), ids.c);
    assert.deepEqual(await deploy(`'Sentiment', 'best_score', algorithm => 'transformers'`), ['Sentiment|best_score|transformers']);
    assert.equal(await deployed('Sentiment'), ids.a);
  });

  it('best_score compares numbers: lower perplexity wins, ties go to the newest; r2 -0.1 beats -0.5', async () => {
    assert.deepEqual(await deploy(`'Writer', 'best_score'`), ['Writer|best_score|transformers']);
    assert.equal(await deployed('Writer'), ids.g3, 'as text, 10.25 would sort before 9.5');
    assert.deepEqual(await deploy(`'Housing', 'best_score'`), ['Housing|best_score|linear']);
    assert.equal(await deployed('Housing'), ids.r2, "as text, '-0.5' would sort after '-0.1'");
  });

  it('most_recent picks the newest successful model, even without the key metric', async () => {
    const result = await client.query('SELECT * FROM pgml.deploy($1, $2)', ['Sentiment', 'most_recent']);
    assert.deepEqual(result.rows, [{ project: 'Sentiment', strategy: 'most_recent', algorithm: 'transformers' }]);
    assert.equal(await deployed('Sentiment'), ids.d);
  });

  it('rollback returns to the previously deployed model, and a second rollback toggles back', async () => {
    // History so far: c, a, d (current).
    assert.deepEqual(await deploy(`'Sentiment', 'rollback'`), ['Sentiment|rollback|transformers']);
    assert.equal(await deployed('Sentiment'), ids.a);
    await deploy(`'Sentiment', 'rollback'`);
    assert.equal(await deployed('Sentiment'), ids.d);
    await deploy(`'Sentiment', 'rollback'`);
    assert.equal(await deployed('Sentiment'), ids.a);
    assert.deepEqual(await deploy(`'Sentiment', 'rollback', 'linear'`), ['Sentiment|rollback|linear']);
    assert.equal(await deployed('Sentiment'), ids.c);
  });

  it('deploys one model by id with strategy specific, and a NULL id gives no row', async () => {
    assert.deepEqual(await deploy(ids.b ?? ''), ['Sentiment|specific|transformers']);
    assert.equal(await deployed('Sentiment'), ids.b);
    const strategy = await upstream.scalar('SELECT strategy::text FROM pgml.deployments ORDER BY id DESC LIMIT 1');
    assert.equal(strategy, 'specific');
    assert.deepEqual(await deploy('NULL::bigint'), []);
  });

  it('notifies pgml_deployments when the deploying transaction commits, and never for a rollback', async () => {
    await settle();
    notifications.length = 0;
    await deploy(`'Writer', 'most_recent'`);
    await settle();
    assert.deepEqual(notifications, [`${DEPLOYMENTS_CHANNEL}:Writer`]);

    notifications.length = 0;
    await client.query('BEGIN');
    await deploy(`'Housing', 'most_recent'`);
    await settle();
    assert.deepEqual(notifications, [], 'nothing before COMMIT');
    await client.query('COMMIT');
    await settle();
    assert.deepEqual(notifications, [`${DEPLOYMENTS_CHANNEL}:Housing`]);

    notifications.length = 0;
    const before = await deploymentCount();
    await client.query('BEGIN');
    await deploy(`'Sentiment', 'best_score'`);
    await client.query('ROLLBACK');
    await settle();
    assert.deepEqual(notifications, []);
    assert.equal(await deploymentCount(), before);
    assert.equal(await deployed('Sentiment'), ids.b);
  });

  const errorCases: [string, string, string, RegExp][] = [
    ['an unknown project', `'Nope', 'best_score'`, '42704', /^Project named `Nope` does not exist\.$/],
    ['a project without models', `'Empty', 'best_score'`, 'P0002', /^No qualified models exist for this deployment\.$/],
    ['most_recent without models', `'Empty', 'most_recent'`, 'P0002', /^No qualified models/],
    ['rollback without deployments', `'Empty', 'rollback'`, 'P0002', /^No qualified models/],
    ['an algorithm without models', `'Sentiment', 'best_score', 'xgboost'`, 'P0002', /^No qualified models/],
    ['strategy new_score', `'Sentiment', 'new_score'`, '22023', /^invalid strategy "new_score"/],
    ['strategy specific', `'Sentiment', 'specific'`, '22023', /^invalid strategy "specific"/],
    ['a strategy that is no pgml.strategy', `'Sentiment', 'nope'`, '22P02', /invalid input value for enum pgml\.strategy/],
    ['a NULL project name', `NULL, 'best_score'`, '22004', /project_name must not be NULL/],
    ['an unknown model id', '987654321', '42704', /^Model id 987654321 does not exist\.$/],
  ];
  for (const [what, args, code, message] of errorCases) {
    it(`refuses ${what} with ${code}; nothing is written and the session goes on`, async () => {
      const before = await deploymentCount();
      await assert.rejects(deploy(args), (error: pg.DatabaseError) => {
        assert.equal(error.code, code);
        assert.match(error.message, message);
        return true;
      });
      assert.equal(await deploymentCount(), before);
      assert.equal((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
    });
  }

  it('refuses a model that did not train successfully with 55000 and its status', async () => {
    for (const [key, status] of [['e', 'failed'], ['f', 'in_progress']] as const) {
      const before = await deploymentCount();
      await assert.rejects(deploy(ids[key] ?? ''), (error: pg.DatabaseError) => {
        assert.equal(error.code, '55000');
        assert.equal(error.message, `Model id ${ids[key] ?? ''} cannot be deployed: its status is ${status}.`);
        return true;
      });
      assert.equal(await deploymentCount(), before);
    }
  });

  it('gives hints and details with the errors (psql)', async () => {
    const { stderr } = await psql(proxy.url(), ['-v', 'VERBOSITY=verbose'], {
      input: "SELECT * FROM pgml.deploy('Nope', 'best_score');\nSELECT * FROM pgml.deploy('Empty', 'rollback');\nSELECT * FROM pgml.deploy('Sentiment', 'new_score');\n",
    });
    assert.match(stderr, /ERROR: {2}42704: Project named `Nope` does not exist\.\nHINT: {2}Create it by training a model: SELECT \* FROM pgml\.tune\('Nope'/);
    assert.match(stderr, /ERROR: {2}P0002: No qualified models exist for this deployment\.\nDETAIL: {2}Project `Empty` has no successfully trained model that was deployed before its current one\.\nHINT: {2}Rollback/);
    assert.match(stderr, /ERROR: {2}22023: invalid strategy "new_score" for pgml\.deploy\nDETAIL: {2}Valid strategies are best_score, most_recent, rollback\./);
  });

  it('fails an explicit transaction on error, as PostgreSQL would, and writes nothing', async () => {
    const before = await deploymentCount();
    await client.query('BEGIN');
    await deploy(`'Writer', 'best_score'`);
    await assert.rejects(deploy(`'Nope', 'best_score'`), { code: '42704' });
    await assert.rejects(client.query('SELECT 1'), { code: '25P02' });
    await client.query('ROLLBACK');
    assert.equal(await deploymentCount(), before);
    assert.equal(await deployed('Writer'), ids.g4, 'still the most_recent deployment made earlier');
  });

  it('store: reads projects, models and the current deployment, and records one with its notification', async () => {
    // The store on a session of its own, straight to PostgreSQL, as the proxy drives one.
    const { wire } = await WireClient.login(upstream.port, { user: 'postgres', database: 'postgres' });
    const queries = new UpstreamQueries((bytes) => wire.write(bytes), () => undefined);
    async function settled<T>(operation: Promise<T>): Promise<T> {
      while (queries.busy) {
        const { bytes } = await wire.message();
        queries.onFrame(bytes[0] ?? 0, bytes, 0, bytes.length);
      }
      return operation;
    }
    try {
      assert.equal(await settled(lookupProject(queries, 'Nope')), null);
      await assert.rejects(settled(findProject(queries, 'Nope')), (error: ProxyError) => error.fields.code === '42704');
      const sentiment = await settled(findProject(queries, 'Sentiment'));
      assert.equal(sentiment.task, 'text_classification');
      const current = await settled(currentDeployment(queries, sentiment.id));
      assert.equal(current?.strategy, 'specific');
      assert.equal(current.model.id, BigInt(ids.b ?? ''));
      assert.deepEqual(current.model.metrics, { f1: 0.85 });
      assert.equal(keyMetricValue(sentiment.task, current.model.metrics), 0.85);
      assert.equal(await settled(currentDeployment(queries, (await settled(findProject(queries, 'Empty'))).id)), null);
      assert.equal((await settled(lookupModel(queries, BigInt(ids.e ?? ''))))?.status, 'failed');

      notifications.length = 0;
      const id = await settled(recordDeployment(queries, { projectId: sentiment.id, modelId: BigInt(ids.a ?? ''), strategy: 'new_score' }));
      assert.equal(await settled(queries.sync()), 'I', 'commits the implicit transaction');
      const now = await settled(currentDeployment(queries, sentiment.id));
      assert.deepEqual([now?.id, now?.strategy, now?.model.id], [id, 'new_score', BigInt(ids.a ?? '')]);
      await settle();
      assert.deepEqual(notifications, [`${DEPLOYMENTS_CHANNEL}:Sentiment`]);
    } finally {
      wire.socket.destroy();
    }
  });
});
