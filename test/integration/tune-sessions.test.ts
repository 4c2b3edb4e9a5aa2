/**
 * pgml.tune seen from other sessions and serving afterwards: progress visible while training,
 * other clients' round trips unaffected, cancel (psql Ctrl-C) and disconnect leave a `failed`
 * model and no deployment, transaction blocks keep their meaning, text labels, redeploy and
 * rollback served at once without a restart.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { useLocalHub } from '../helpers/local-hub.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';
import { sentimentReviews } from '../helpers/sentiment.js';

/** About a hundred quick steps: long enough to watch, short enough for a test. */
const TRAIN = `model_name => 'distilbert-base-uncased', test_size => 0.2,
  hyperparams => '{"learning_rate": 2e-3, "num_train_epochs": 5, "per_device_train_batch_size": 16, "warmup_ratio": 0.1, "logging_steps": 1}'`;
/** Effectively endless, for cancel and disconnect. */
const ENDLESS = `model_name => 'distilbert-base-uncased', hyperparams => '{"max_steps": 1000000, "logging_steps": 1}'`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('pgml.tune with other sessions, and serving', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  const clients: pg.Client[] = [];
  const local = useLocalHub();
  after(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  });
  pgmlStack(
    async (stack) => {
      ({ upstream, proxy } = stack);
      await upstream.sql('CREATE TABLE reviews (body text, label int)');
      const values = sentimentReviews(400, 11).map((r) => `(${literal(r.text)}, ${r.label})`).join(', ');
      await upstream.sql(`INSERT INTO reviews VALUES ${values}`);
    },
    { hub: () => local.hub() },
  );

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
    clients.push(client);
    return client;
  }

  /** The latest model of a project, as another session sees it (straight from PostgreSQL). */
  async function modelOf(project: string): Promise<{ id: number; status: string; logs: number } | undefined> {
    const { rows } = await upstream.sql<{ id: number; status: string; logs: number }>(
      `SELECT m.id::int, m.status, (SELECT count(*)::int FROM pgml.logs l WHERE l.model_id = m.id) AS logs
         FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1 ORDER BY m.id DESC LIMIT 1`,
      [project],
    );
    return rows[0];
  }

  async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(25);
    }
  }

  it('shows progress to other sessions while training, and keeps their round trips fast', async () => {
    const tuner = await connect();
    const other = await connect();
    let done = false;
    const tuning = tuner
      // With a parameter: the extended protocol, where the proxy must see the call owns its transaction too.
      .query(`SELECT * FROM pgml.tune($1, task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${TRAIN})`, ['Watched'])
      .finally(() => (done = true));
    // Two loops at once: one samples another client's round trips, one watches from a third session.
    const latencies: number[] = [];
    const seen = { inProgress: false, logsWhileRunning: 0 };
    const sample = async (): Promise<void> => {
      while (!done) {
        const began = performance.now();
        await other.query('SELECT 1');
        latencies.push(performance.now() - began);
        await sleep(5);
      }
    };
    const watch = async (): Promise<void> => {
      while (!done) {
        const model = await modelOf('Watched');
        if (model?.status === 'in_progress') {
          seen.inProgress = true;
          seen.logsWhileRunning = Math.max(seen.logsWhileRunning, model.logs);
        }
        await sleep(25);
      }
    };
    await Promise.all([sample(), watch(), tuning.catch(() => undefined)]);
    const { rows } = await tuning;
    assert.deepEqual(rows, [{ status: 'Watched', task: 'text-classification', algorithm: 'transformers', deployed: true }]);
    assert.ok(seen.inProgress, 'another session saw the in_progress model row');
    assert.ok(seen.logsWhileRunning >= 3, `another session saw progress rows in pgml.logs while training (${seen.logsWhileRunning})`);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Infinity;
    assert.ok(latencies.length >= 100, `enough samples (${latencies.length})`);
    assert.ok(p99 < 50, `SELECT 1 p99 ${p99.toFixed(1)} ms while training`);
    const { rows: [model] } = await upstream.sql<{ status: string; accuracy: number }>(
      `SELECT status, (metrics->>'accuracy')::float8 AS accuracy FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'Watched'`,
    );
    assert.ok(model !== undefined);
    assert.equal(model.status, 'successful');
    assert.ok(model.accuracy >= 0.9, `trained through SQL to accuracy ${model.accuracy}`);
    const step = await upstream.sql<{ max_steps: number }>(`SELECT max((logs->>'max_steps')::int) AS max_steps FROM pgml.logs`);
    assert.equal(step.rows[0]?.max_steps, 100, '5 epochs of 320 training rows at 16 a batch');
  });

  it('stops on Ctrl-C in psql within two seconds: 57014, model failed, nothing deployed, the session goes on', async () => {
    // psql at a terminal (script gives it a pty): Ctrl-C cancels the running statement and psql
    // stays at its prompt, as a user sees it. (Reading a script from a pipe, psql would quit.)
    const child = spawn('script', ['-qefc', `psql -X -n -q -A -t '${proxy.url()}'`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin.write(`SELECT * FROM pgml.tune('Cancelled', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${ENDLESS.replaceAll('\n', ' ')});\n`);
    await waitFor('training to start', async () => ((await modelOf('Cancelled'))?.logs ?? 0) >= 2 || undefined);
    const cancelled = performance.now();
    child.stdin.write('\x03'); // Ctrl-C at the terminal
    const model = await waitFor('the model to be marked failed', async () => {
      const m = await modelOf('Cancelled');
      return m?.status === 'failed' ? m : undefined;
    });
    const seconds = (performance.now() - cancelled) / 1000;
    child.stdin.end("SELECT 'still ' || 'here';\n\\q\n");
    await new Promise((resolve) => child.once('close', resolve));
    assert.ok(seconds < 2, `marked failed ${seconds.toFixed(2)} s after Ctrl-C`);
    assert.match(output, /ERROR: {2}canceling statement due to user request/);
    assert.match(output, /^still here\r?$/m, 'the same psql session answers the next query');
    const deployed = await upstream.sql(`SELECT count(*)::int AS n FROM pgml.deployments WHERE model_id = $1`, [model.id]);
    assert.deepEqual(deployed.rows, [{ n: 0 }]);
  });

  it('stops when the client goes away: model failed within two seconds, other sessions unaffected', async () => {
    const leaving = new pg.Client({ connectionString: proxy.url() });
    await leaving.connect();
    leaving.on('error', () => undefined); // the connection is about to be cut under a running query
    const tuning = leaving.query(`SELECT * FROM pgml.tune('Abandoned', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${ENDLESS})`).catch((error: unknown) => error);
    await waitFor('training to start', async () => ((await modelOf('Abandoned'))?.logs ?? 0) >= 2 || undefined);
    const left = performance.now();
    await leaving.end();
    await tuning;
    const model = await waitFor('the model to be marked failed', async () => {
      const m = await modelOf('Abandoned');
      return m?.status === 'failed' ? m : undefined;
    });
    assert.ok((performance.now() - left) / 1000 < 2, 'marked failed within two seconds');
    const deployed = await upstream.sql(`SELECT count(*)::int AS n FROM pgml.deployments WHERE model_id = $1`, [model.id]);
    assert.deepEqual(deployed.rows, [{ n: 0 }]);
    assert.deepEqual((await (await connect()).query('SELECT 2 AS two')).rows, [{ two: 2 }]);
  });

  it('keeps a transaction block’s meaning: ROLLBACK undoes the whole tune, COMMIT keeps it', async () => {
    const client = await connect();
    const count = async (): Promise<number> => Number((await upstream.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pgml.projects WHERE name = 'InTx'`)).rows[0]?.n);
    await client.query('BEGIN');
    await client.query(`SELECT * FROM pgml.tune('InTx', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${ENDLESS.replace('1000000', '2')})`);
    assert.equal(await count(), 0, 'nothing is visible before COMMIT');
    await client.query('ROLLBACK');
    assert.equal(await count(), 0);
    await client.query('BEGIN');
    await client.query(`SELECT * FROM pgml.tune('InTx', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${ENDLESS.replace('1000000', '2')})`);
    await client.query('COMMIT');
    assert.equal(await count(), 1);
    const { rows } = await upstream.sql(`SELECT m.status FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'InTx'`);
    assert.deepEqual(rows, [{ status: 'successful' }]);
  });

  it('serves text labels; redeploys and rolls back without a restart', async () => {
    const client = await connect();
    await client.query(`CREATE VIEW labelled AS SELECT body, CASE label WHEN 1 THEN 'positive' ELSE 'negative' END AS sentiment FROM reviews
                        UNION ALL SELECT 'no label here', NULL`);
    const text = 'water morning city goods';
    const proba = async (): Promise<number[]> => (await client.query<{ p: number[] }>(`SELECT pgml.predict_proba('Words', $1) AS p`, [text])).rows[0]?.p ?? [];
    const tune = async (hyperparams: string, relation = `relation_name => 'labelled', y_column_name => 'sentiment',`): Promise<boolean> => {
      const { rows } = await client.query<{ deployed: boolean }>(
        `SELECT * FROM pgml.tune('Words', task => 'text-classification', ${relation} model_name => 'distilbert-base-uncased', test_size => 0.2, hyperparams => '${hyperparams}')`,
      );
      return rows[0]?.deployed ?? false;
    };
    // A: barely trained. B: trained. C: barely trained again, worse than B, so not deployed.
    assert.equal(await tune('{"max_steps": 1, "learning_rate": 1e-6}'), true, 'the first model is deployed');
    const weak = await proba();
    assert.equal(await tune('{"learning_rate": 2e-3, "num_train_epochs": 5, "per_device_train_batch_size": 16, "warmup_ratio": 0.1}', ''), true, 'a better model is deployed');
    const strong = await proba();
    assert.notDeepEqual(strong, weak, 'the new deployment is served without a restart');
    assert.ok((strong[1] ?? 0) > 0.9, `the trained model is sure of it: ${strong.join(', ')}`);
    assert.deepEqual((await client.query(`SELECT pgml.predict('Words', $1) AS id`, [text])).rows, [{ id: 1 }]);
    assert.deepEqual((await client.query(`SELECT pgml.predict_label('Words', $1) AS label`, [text])).rows, [{ label: 'positive' }]);
    const ids = await client.query(`SELECT pgml.predict('Words', ARRAY['rent law party due', $1]) AS ids`, [text]);
    assert.deepEqual(ids.rows, [{ ids: [0, 1] }]);
    const labels = await client.query(`SELECT pgml.predict_label('Words', ARRAY['rent law party due', $1]) AS labels`, [text]);
    assert.deepEqual(labels.rows, [{ labels: ['negative', 'positive'] }]);
    const batch = await client.query(`SELECT * FROM pgml.predict_batch('Words', ARRAY['rent law party due', $1])`, [text]);
    assert.deepEqual(batch.rows, [{ predict_batch: 0 }, { predict_batch: 1 }]);
    assert.equal(await tune('{"max_steps": 1, "learning_rate": 1e-6}', ''), false, 'a worse model is not deployed');
    assert.deepEqual(await proba(), strong);

    await client.query(`SELECT * FROM pgml.deploy('Words', 'rollback')`);
    assert.deepEqual(await proba(), weak, 'rollback serves the previous deployment at once');
    await client.query(`SELECT * FROM pgml.deploy('Words', 'best_score')`);
    assert.deepEqual(await proba(), strong);
    const { rows } = await upstream.sql(`SELECT strategy::text FROM pgml.deployments d JOIN pgml.projects p ON p.id = d.project_id WHERE p.name = 'Words' ORDER BY d.id`);
    assert.deepEqual(rows.map((r) => r.strategy), ['new_score', 'new_score', 'rollback', 'best_score']);
    const config = await upstream.sql<{ config: string }>(
      `SELECT convert_from(data, 'UTF8') AS config FROM pgml.files f JOIN pgml.deployed_models d ON d.id = f.model_id WHERE d.name = 'Words' AND f.path = 'config.json'`,
    );
    assert.deepEqual((JSON.parse(config.rows[0]?.config ?? '{}') as { id2label: unknown }).id2label, { 0: 'negative', 1: 'positive' });
    const { stderr } = await psql(proxy.url(), ['-c', `SELECT * FROM pgml.tune('Words', hyperparams => '{"max_steps": 1, "fp16": true}')`]);
    assert.match(stderr, /NOTICE: {2}left out 1 rows without a label/);
    assert.match(stderr, /NOTICE: {2}pgml\.tune does not use these hyperparams: fp16/);
    assert.match(stderr, /NOTICE: {2}Using existing snapshot from labelled/);
  });
});

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
