/**
 * pgml.tune → predict end to end, through psql and node pg, as users copy it from PostgresML's
 * documentation: the fixture imdb from a local hub, the tiny `distilbert-base-uncased` fixture
 * downloaded by the real hub code, training in an engine worker, everything stored in the
 * database and served back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import pg from 'pg';
import { predictTexts } from '../../engine/classify/predict.js';
import { loadModelFromFiles } from '../../engine/models/save/index.js';
import { startRuntime } from '../../engine/runtime/index.js';
import { loadTokenizer } from '../../engine/tokenizers/index.js';
import { WASM_HEAP_BUDGET } from '../../engine/train/memory.js';
import { writeModelFiles } from '../../engine/models/save/index.js';
import { useLocalHub } from '../helpers/local-hub.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';

const SEED_SNIPPET = `SELECT pgml.load_dataset('imdb');
SELECT pgml.tune('IMDB Review Sentiment', task => 'text-classification',
    relation_name => 'pgml.imdb', y_column_name => 'label',
    model_name => 'distilbert-base-uncased',
    hyperparams => '{"learning_rate": 2e-5, "per_device_train_batch_size": 16, "num_train_epochs": 1}');
SELECT pgml.predict('IMDB Review Sentiment', 'I love SQL');
`;

describe('pgml.tune for text classification', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  const local = useLocalHub();
  before(async () => {
    await startRuntime();
  });
  pgmlStack(
    (stack) => {
      ({ upstream, proxy } = stack);
    },
    { hub: () => local.hub() },
  );

  it('runs the IMDB example verbatim through psql and serves the deployed model', async () => {
    const { stdout, stderr } = await psql(proxy.url(), ['-v', 'ON_ERROR_STOP=1'], { input: SEED_SNIPPET });
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], '(pgml.imdb,26)');
    assert.equal(lines[1], '("IMDB Review Sentiment",text-classification,transformers,t)');
    assert.match(lines[2] ?? '', /^[01]$/);
    assert.match(stderr, /NOTICE: {2}left out 6 rows without a label \(NULL or -1\)/);
    assert.match(stderr, /NOTICE: {2}TextClassificationDataset \{ num_distinct_labels: 2, num_rows: 20, num_train_rows: 15, num_test_rows: 5 \}/);
    assert.match(stderr, /NOTICE: {2}Deploying model id: 1/);

    const client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
    try {
      const proba = (await client.query<{ p: number[] }>(`SELECT pgml.predict_proba('IMDB Review Sentiment', 'I love SQL') AS p`)).rows[0]?.p ?? [];
      assert.equal(proba.length, 2);
      assert.ok(Math.abs((proba[0] ?? 0) + (proba[1] ?? 0) - 1) < 1e-5, `sums to 1: ${proba.join(', ')}`);
      assert.equal(Number(lines[2]), (proba[1] ?? 0) > (proba[0] ?? 0) ? 1 : 0, 'predict is the argmax of predict_proba');

      const models = await upstream.sql<{ status: string; metrics: Record<string, number>; algorithm: string; hyperparams: Record<string, unknown> }>('SELECT status, metrics, algorithm, hyperparams FROM pgml.models');
      assert.equal(models.rows.length, 1);
      const model = models.rows[0];
      assert.ok(model !== undefined);
      assert.equal(model.status, 'successful');
      assert.equal(model.algorithm, 'transformers');
      assert.deepEqual(Object.keys(model.metrics).sort(), ['accuracy', 'eval_loss', 'f1', 'f1_macro', 'fit_time', 'log_loss', 'precision', 'recall', 'roc_auc', 'score_time']);
      assert.equal(model.hyperparams.model_name, 'distilbert-base-uncased');
      const projects = await upstream.sql('SELECT name, task::text FROM pgml.projects');
      assert.deepEqual(projects.rows, [{ name: 'IMDB Review Sentiment', task: 'text_classification' }]);
      const deployments = await upstream.sql('SELECT model_id::int, strategy::text FROM pgml.deployments');
      assert.deepEqual(deployments.rows, [{ model_id: 1, strategy: 'new_score' }]);
      const logs = await upstream.sql<{ logs: Record<string, number> }>('SELECT logs FROM pgml.logs WHERE model_id = 1 ORDER BY id');
      assert.ok(logs.rows.some((r) => r.logs.max_steps === 1 && typeof r.logs.loss === 'number'), 'a progress row');
      assert.ok(logs.rows.some((r) => typeof r.logs.train_runtime === 'number'), 'the training summary');

      // The stored chunks reassemble into a checkpoint the engine loads with identical predictions.
      const files = await upstream.sql<{ path: string; data: Buffer }>('SELECT path, data FROM pgml.files WHERE model_id = 1 ORDER BY path, part');
      const byName = new Map<string, Buffer>();
      for (const row of files.rows) byName.set(row.path, Buffer.concat([byName.get(row.path) ?? Buffer.alloc(0), row.data]));
      assert.ok(byName.has('model.safetensors') && byName.has('config.json') && byName.has('tokenizer.json'));
      const loaded = await loadModelFromFiles(byName);
      assert.ok(loaded.kind === 'encoder');
      const scratch = await mkdtemp(path.join(tmpdir(), 'pgml-tune-files-'));
      try {
        await writeModelFiles(scratch, byName);
        const local = predictTexts({ config: loaded.config, params: loaded.params, tokenizer: await loadTokenizer(scratch) }, ['I love SQL'], 8, WASM_HEAP_BUDGET)[0] ?? [];
        local.forEach((p, i) => assert.ok(Math.abs(p - (proba[i] ?? 0)) < 1e-6, `class ${i}: ${p} vs ${proba[i]}`));
      } finally {
        loaded.params.dispose();
        await rm(scratch, { recursive: true, force: true });
      }
    } finally {
      await client.end();
    }
  });

  it('materializes a snapshot on request and trains on it again with relation_name => NULL', async () => {
    const client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
    try {
      await client.query(`CREATE TABLE shifting AS SELECT text, label FROM pgml.imdb WHERE label >= 0`);
      const tune = (extra: string): Promise<pg.QueryResult<{ deployed: boolean }>> =>
        client.query(`SELECT * FROM pgml.tune('Frozen', ${extra} model_name => 'distilbert-base-uncased', hyperparams => '{"max_steps": 1}')`);
      await tune(`task => 'text-classification', relation_name => 'shifting', y_column_name => 'label', materialize_snapshot => true, test_sampling => 'last',`);
      const snapshot = await upstream.sql<{ id: number; materialized: boolean; relation_name: string }>(`SELECT id::int, materialized, relation_name FROM pgml.snapshots ORDER BY id DESC LIMIT 1`);
      const row = snapshot.rows[0];
      assert.ok(row !== undefined);
      assert.equal(row.materialized, true);
      assert.equal(row.relation_name, 'shifting');
      const copied = await upstream.sql(`SELECT count(*)::int AS n FROM pgml.snapshot_${row.id}`);
      assert.deepEqual(copied.rows, [{ n: 20 }]);
      // The source changes; the next tune of the project reads the snapshot's copy, not the table.
      await client.query(`DELETE FROM shifting WHERE label = 1`);
      const again = await psql(proxy.url(), ['-c', `SELECT * FROM pgml.tune('Frozen', model_name => 'distilbert-base-uncased', hyperparams => '{"max_steps": 1}')`]);
      assert.match(again.stderr, /NOTICE: {2}Using existing snapshot from shifting/);
      assert.match(again.stderr, /num_distinct_labels: 2, num_rows: 20, num_train_rows: 15, num_test_rows: 5/);
      const models = await upstream.sql(`SELECT m.snapshot_id::int FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'Frozen' ORDER BY m.id`);
      assert.deepEqual(models.rows, [{ snapshot_id: row.id }, { snapshot_id: row.id }], 'both models train on the one snapshot');
    } finally {
      await client.end();
    }
  });
});
