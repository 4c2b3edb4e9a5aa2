/**
 * pgml.tune's bad inputs: each is an ERROR with its SQLSTATE, the session goes on, and nothing is
 * written (no project, snapshot, model or file rows) — whatever the protocol.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { useLocalHub } from '../helpers/local-hub.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';
import { sentimentReviews } from '../helpers/sentiment.js';

const MODEL = `model_name => 'distilbert-base-uncased'`;
const FAST = `hyperparams => '{"num_train_epochs": 1, "per_device_train_batch_size": 16}'`;

describe('pgml.tune bad input', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  let client: pg.Client;
  const local = useLocalHub();
  // Registered before the stack's own after(): this client ends before its PostgreSQL stops.
  after(async () => {
    await client.end();
  });
  pgmlStack(
    async (stack) => {
      ({ upstream, proxy } = stack);
      await upstream.sql('CREATE TABLE reviews (body text, label int)');
      for (const review of sentimentReviews(40, 3)) await upstream.sql('INSERT INTO reviews VALUES ($1, $2)', [review.text, review.label]);
      await upstream.sql(`CREATE TABLE numbers (x int, label int); INSERT INTO numbers SELECT g, g % 2 FROM generate_series(1, 20) g`);
      await upstream.sql(`CREATE TABLE one_label (body text, label int); INSERT INTO one_label SELECT 'text ' || g, 1 FROM generate_series(1, 20) g`);
      await upstream.sql(`CREATE TABLE two_texts (title text, body text, label int); INSERT INTO two_texts SELECT 'a', 'b', g % 2 FROM generate_series(1, 20) g`);
      await upstream.sql('CREATE TABLE secret (body text, label int); INSERT INTO secret SELECT body, label FROM reviews; REVOKE ALL ON secret FROM PUBLIC; CREATE ROLE intruder LOGIN');
      // What a user of PostgresML needs too: rights on the pgml tables, not on every relation.
      await upstream.sql('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA pgml TO intruder; GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgml TO intruder');
      client = new pg.Client({ connectionString: proxy.url() });
      await client.connect();
    },
    { hub: () => local.hub() },
  );

  async function counts(): Promise<string> {
    const result = await upstream.sql<{ c: string }>(
      `SELECT (SELECT count(*) FROM pgml.projects) || '/' || (SELECT count(*) FROM pgml.snapshots) || '/' ||
              (SELECT count(*) FROM pgml.models) || '/' || (SELECT count(*) FROM pgml.files) || '/' || (SELECT count(*) FROM pgml.logs) AS c`,
    );
    return result.rows[0]?.c ?? '';
  }

  /** The call fails with `code` (and a message matching `message`), writes nothing, and the session still works. */
  async function rejects(sql: string, code: string, message: RegExp, on: pg.Client = client): Promise<void> {
    const before = await counts();
    await assert.rejects(on.query(sql), (error: pg.DatabaseError) => {
      assert.equal(error.code, code, `${error.code}: ${error.message}`);
      assert.match(error.message, message);
      return true;
    });
    assert.deepEqual((await on.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the session goes on');
    assert.equal(await counts(), before, 'nothing was written');
  }

  it('reports a missing relation (42P01) and a missing column (42703)', async () => {
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'nope', y_column_name => 'label', ${MODEL})`, '42P01', /relation "nope" does not exist/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'stars', ${MODEL})`, '42703', /column "stars" does not exist/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', hyperparams => '{"dataset_args": {"text_column": "title"}}', ${MODEL})`, '42703', /column "title" does not exist/);
  });

  it('refuses a feature column that is not text, and an ambiguous one', async () => {
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'numbers', y_column_name => 'label', ${MODEL})`, '42804', /column "x" of public\.numbers is integer, but text classification needs a text feature/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'two_texts', y_column_name => 'label', ${MODEL})`, '42P09', /several text columns besides the label: title, body/);
  });

  it('refuses a single distinct label', async () => {
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'one_label', y_column_name => 'label', ${MODEL})`, '22023', /single distinct label \(1\)/);
  });

  it('reports bad hyperparams: invalid JSON (22P02), zero batch size and negative learning rate (22023)', async () => {
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${MODEL}, hyperparams => '{"learning_rate": 2e-5,')`, '22P02', /invalid input syntax for type json/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${MODEL}, hyperparams => '{"per_device_train_batch_size": 0}')`, '22023', /per_device_train_batch_size must be greater than 0/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${MODEL}, hyperparams => '{"training_args": {"learning_rate": -1}}')`, '22023', /training_args\.learning_rate must be greater than 0/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${MODEL}, test_size => 2000)`, '22023', /test_size = 2000 is too large\. There are only 40 samples\./);
  });

  it('needs a task and a relation for a new project, and a model name', async () => {
    await rejects(`SELECT * FROM pgml.tune('p', relation_name => 'reviews', y_column_name => 'label', ${MODEL})`, '22023', /Project `p` does not exist\. To create a new project, provide the task\./);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', ${MODEL})`, '22023', /You must pass a `relation_name` and `y_column_name`/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label')`, '22023', /needs a model_name/);
    await rejects(`SELECT * FROM pgml.tune('p', task => 'sentiment', relation_name => 'reviews', y_column_name => 'label', ${MODEL})`, '22023', /unknown task "sentiment"/);
  });

  it("keeps a project's task: another task is PostgresML's error", async () => {
    const { rows } = await client.query(`SELECT * FROM pgml.tune('Kept', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', ${MODEL}, ${FAST})`);
    assert.deepEqual(rows, [{ status: 'Kept', task: 'text-classification', algorithm: 'transformers', deployed: true }]);
    await rejects(`SELECT * FROM pgml.tune('Kept', task => 'translation', relation_name => 'reviews', y_column_name => 'label', ${MODEL})`, '22023', /Project `"Kept"` already exists with a different task: `text-classification`\. Create a new project instead\./);
  });

  it('says what to download when the model is not cached and the hub is offline (58P01)', async () => {
    const online = local.options;
    local.options = { ...online, offline: true, cacheDir: path.join(local.folder, 'empty-cache') };
    try {
      await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', model_name => 'org/not-cached')`, '58P01', /org\/not-cached.*HF_HUB_OFFLINE is set; run once online/);
    } finally {
      local.options = online;
    }
    local.options = { ...online, endpoint: `${local.server.url}/missing-prefix` };
    try {
      await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'reviews', y_column_name => 'label', model_name => 'org/nowhere')`, '42704', /org\/nowhere.*repository not found/);
    } finally {
      local.options = online;
    }
  });

  it('reads the relation with the caller’s rights (42501)', async () => {
    const intruder = new pg.Client({ connectionString: proxy.url('intruder') });
    await intruder.connect();
    try {
      await rejects(`SELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'secret', y_column_name => 'label', ${MODEL})`, '42501', /permission denied for table secret/, intruder);
    } finally {
      await intruder.end();
    }
  });

  it('refuses inside a failed transaction block and leaves it failed, as PostgreSQL would', async () => {
    const { stderr, stdout } = await psql(proxy.url(), [], {
      input: `BEGIN;\nSELECT * FROM pgml.tune('p', task => 'text-classification', relation_name => 'nope', y_column_name => 'label', ${MODEL});\nSELECT 1;\nROLLBACK;\nSELECT 2;\n`,
    });
    assert.match(stderr, /ERROR: {2}relation "nope" does not exist/);
    assert.match(stderr, /ERROR: {2}current transaction is aborted/);
    assert.match(stdout, /^2$/m);
  });
});
