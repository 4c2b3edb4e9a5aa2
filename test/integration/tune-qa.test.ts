/**
 * The question-answering seed workflow verbatim through psql (fixture squad_v2 from the local hub,
 * a tiny RoBERTa under deepset/roberta-base-squad2), then serving through pgml.transform with a
 * `project:` model — for QA and for the other tuned tasks — and the bad inputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { loadModelFromFiles } from '../../engine/models/save/index.js';
import { useLocalHub } from '../helpers/local-hub.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';
import { psql } from '../helpers/run.js';

const QA = `SELECT pgml.load_dataset('squad_v2');
SELECT pgml.tune('SQuAD Q&A v2', 'question-answering', 'pgml.squad_v2', 'answers',
  'deepset/roberta-base-squad2',
  hyperparams => '{"learning_rate": 2e-5, "max_length": 384, "stride": 128}');
`;

describe('pgml.tune for question answering, and pgml.transform with project: models', () => {
  let upstream: TestPostgres;
  let proxy: TestProxy;
  const local = useLocalHub();
  pgmlStack(
    (stack) => {
      ({ upstream, proxy } = stack);
    },
    { hub: () => local.hub() },
  );

  async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: proxy.url() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  it('runs the SQuAD v2 example verbatim and answers through pgml.transform', async () => {
    const { stdout, stderr } = await psql(proxy.url(), ['-v', 'ON_ERROR_STOP=1'], { input: QA });
    assert.match(stdout, /^\(pgml\.squad_v2,16\)$/m);
    assert.match(stdout, /^\("SQuAD Q&A v2",question-answering,transformers,t\)$/m);
    assert.match(stderr, /NOTICE: {2}QuestionAnsweringDataset \{ num_rows: 16, num_unanswerable: \d+, num_train_rows: 12, num_test_rows: 4 \}/);
    const { rows } = await upstream.sql<{ metrics: Record<string, number> }>(`SELECT metrics FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'SQuAD Q&A v2'`);
    const metrics = rows[0]?.metrics ?? {};
    for (const key of ['exact_match', 'f1', 'eval_loss', 'fit_time', 'score_time']) assert.equal(typeof metrics[key], 'number', key);
    assert.ok((metrics.f1 ?? -1) >= 0 && (metrics.f1 ?? 101) <= 100);
    const deployed = await upstream.sql(`SELECT d.name, m.status FROM pgml.deployed_models d JOIN pgml.models m ON m.id = d.id`);
    assert.deepEqual(deployed.rows, [{ name: 'SQuAD Q&A v2', status: 'successful' }]);
    // The stored files are a checkpoint the engine loads back with its span head.
    const files = await upstream.sql<{ path: string; data: Buffer }>(`SELECT path, data FROM pgml.files ORDER BY path, part`);
    const byName = new Map<string, Buffer>();
    for (const row of files.rows) byName.set(row.path, Buffer.concat([byName.get(row.path) ?? Buffer.alloc(0), row.data]));
    const model = await loadModelFromFiles(byName);
    assert.ok(model.kind === 'encoder' && model.config.head === 'question-answering' && model.config.family === 'roberta');
    model.params.dispose();

    await withClient(async (client) => {
      const context = 'The cat 🐈 sleeps on the red sofa in the afternoon.';
      const one = await client.query<{ t: { score: number; start: number; end: number; answer: string } }>(
        `SELECT pgml.transform('{"task": "question-answering", "model": "project:SQuAD Q&A v2"}', inputs => ARRAY[$1]) AS t`,
        [JSON.stringify({ question: 'Where does the cat sleep?', context })],
      );
      const answer = one.rows[0]?.t;
      assert.ok(answer !== undefined);
      assert.deepEqual(Object.keys(answer).sort(), ['answer', 'end', 'score', 'start']);
      assert.ok(answer.score >= 0 && answer.score <= 1);
      // start/end count characters as Python does (the emoji is one), and cut the answer out of the context.
      assert.equal(Array.from(context).slice(answer.start, answer.end).join(''), answer.answer);
      assert.ok(answer.answer.length > 0, 'the pipeline always answers with a span by default');
      const two = await client.query<{ t: unknown[] }>(
        `SELECT pgml.transform('{"task": "question-answering", "model": "project:SQuAD Q&A v2"}', inputs => ARRAY[$1, $1]) AS t`,
        [JSON.stringify({ question: 'Where does the cat sleep?', context })],
      );
      assert.deepEqual(two.rows[0]?.t, [answer, answer], 'several inputs give a list');
    });
  });

  it('serves tuned translation and classification projects through pgml.transform too', async () => {
    await withClient(async (client) => {
      await client.query(`CREATE TABLE pairs AS SELECT 'the cat ' || g AS en, 'el gato ' || g AS es FROM generate_series(1, 12) g`);
      await client.query(`SELECT pgml.tune('EnEs', task => 'translation', relation_name => 'pairs', y_column_name => 'es', model_name => 'Helsinki-NLP/opus-mt-en-es', hyperparams => '{"max_steps": 1}')`);
      const translated = await client.query<{ t: { translation_text: string }[] }>(
        `SELECT pgml.transform('{"task": "translation_en_to_es", "model": "project:EnEs"}', inputs => ARRAY['the cat', 'the dog'], args => '{"max_new_tokens": 5}') AS t`,
      );
      const texts = translated.rows[0]?.t ?? [];
      assert.equal(texts.length, 2);
      const direct = await client.query<{ t: string[] }>(`SELECT pgml.generate('EnEs', ARRAY['the cat', 'the dog'], '{"max_new_tokens": 5}') AS t`);
      assert.deepEqual(texts.map((t) => t.translation_text), direct.rows[0]?.t, 'transform and generate agree');

      await client.query(`CREATE TABLE moods AS SELECT 'water morning city ' || g AS body, 'happy' AS mood FROM generate_series(1, 8) g UNION ALL SELECT 'rent law party ' || g, 'sad' FROM generate_series(1, 8) g`);
      await client.query(`SELECT pgml.tune('Moods', task => 'text-classification', relation_name => 'moods', y_column_name => 'mood', model_name => 'distilbert-base-uncased', hyperparams => '{"max_steps": 1}')`);
      const classified = await client.query<{ t: { label: string; score: number }[] }>(`SELECT pgml.transform('{"task": "text-classification", "model": "project:Moods"}', inputs => ARRAY['water']) AS t`);
      const [row] = classified.rows[0]?.t ?? [];
      assert.ok(row !== undefined && ['happy', 'sad'].includes(row.label) && row.score >= 0.5 && row.score <= 1, JSON.stringify(row));
      const label = await client.query<{ l: string }>(`SELECT pgml.predict_label('Moods', 'water') AS l`);
      assert.equal(row.label, label.rows[0]?.l);
    });
  });

  it('reports bad input clearly and keeps the session', async () => {
    await withClient(async (client) => {
      const rejects = async (sql: string, code: string, message: RegExp): Promise<void> => {
        await assert.rejects(client.query(sql), (error: pg.DatabaseError) => {
          assert.equal(error.code, code, error.message);
          assert.match(`${error.message} ${error.detail ?? ''} ${error.hint ?? ''}`, message);
          return true;
        });
        assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
      };
      await client.query(`CREATE TABLE bad_answers AS SELECT 'q' || g AS question, 'context ' || g AS context, CASE WHEN g = 3 THEN '{"text": ["x"]}'::jsonb ELSE '{"text": [], "answer_start": []}'::jsonb END AS answers FROM generate_series(1, 6) g`);
      await rejects(`SELECT pgml.tune('Bad', 'question-answering', 'bad_answers', 'answers', 'deepset/roberta-base-squad2')`, '22023', /row 3: answers must be \{"text": \[\.\.\.\], "answer_start": \[\.\.\.\]\}/);
      await client.query(`CREATE TABLE long_question AS SELECT repeat('why ', 200) AS question, 'short context' AS context, '{"text": [], "answer_start": []}'::jsonb AS answers FROM generate_series(1, 6)`);
      await rejects(`SELECT pgml.tune('Long', 'question-answering', 'long_question', 'answers', 'deepset/roberta-base-squad2', hyperparams => '{"max_length": 64}')`, '22023', /max_length = 64 is smaller than the question/);
      const failed = await upstream.sql(`SELECT m.status FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'Long'`);
      assert.deepEqual(failed.rows, [{ status: 'failed' }], 'found while training: the model row says failed');
      await client.query(`CREATE TABLE shifted AS SELECT 'Where?' AS question, 'It is in Paris today.' AS context,
        CASE WHEN g = 2 THEN '{"text": ["Paris"], "answer_start": [3]}' ELSE '{"text": ["Paris"], "answer_start": [9]}' END::jsonb AS answers FROM generate_series(1, 6) g`);
      const warned = await psql(proxy.url(), ['-c', `SELECT * FROM pgml.tune('Shifted', 'question-answering', 'shifted', 'answers', 'deepset/roberta-base-squad2', hyperparams => '{"max_steps": 1}')`]);
      assert.match(warned.stderr, /WARNING: {2}left out 1 rows whose answer_start does not point at the answer's text/);
      assert.match(warned.stderr, /num_rows: 5,/);
      await rejects(`SELECT pgml.transform('{"task": "question-answering", "model": "project:SQuAD Q&A v2"}', inputs => ARRAY['not json'])`, '22023', /input 1 must be a JSON object \{"question"/);
      await rejects(`SELECT pgml.transform('{"task": "summarization", "model": "project:SQuAD Q&A v2"}', inputs => ARRAY['x'])`, '22023', /is a question-answering project, not summarization/);
      await rejects(`SELECT pgml.transform('{"task": "question-answering", "model": "deepset/roberta-base-squad2"}', inputs => ARRAY['x'])`, '0A000', /runs the models of tuned projects.*project:<project name>/);
      await rejects(`SELECT pgml.transform('{"task": "question-answering", "model": "project:SQuAD Q&A v2"}', '{"top_k": 3}', ARRAY['{"question": "q", "context": "c"}'])`, '22023', /"top_k" is not a question-answering setting/);
    });
  });
});
