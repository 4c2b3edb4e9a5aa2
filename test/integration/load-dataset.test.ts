import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Hub, type HubOptions } from '../../engine/hub/index.js';
import { startHubServer, type HubServer } from '../helpers/hub-server.js';
import { fixturePath } from '../helpers/paths.js';
import { pgmlStack } from '../helpers/pgml.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestProxy } from '../helpers/proxy.js';

describe('pgml.load_dataset', () => {
  let server: HubServer;
  let folder: string;
  let hubOptions: HubOptions;
  let upstream: TestPostgres;
  let proxy: TestProxy;
  let client: pg.Client;
  before(async () => {
    server = await startHubServer();
    folder = await mkdtemp(path.join(tmpdir(), 'pgml-load-'));
    hubOptions = { endpoint: server.url, token: null, cacheDir: path.join(folder, 'hub-cache'), offline: false };
  });
  after(async () => {
    await client.end();
  });
  pgmlStack(
    async (stack) => {
      ({ upstream, proxy } = stack);
      client = new pg.Client({ connectionString: proxy.url() });
      await client.connect();
    },
    { hub: () => new Hub(hubOptions) },
  );
  after(async () => {
    await server.close();
    await rm(folder, { recursive: true, force: true });
  });

  async function load(sql: string, values: unknown[] = []): Promise<{ table_name: string; rows: string }> {
    const result = await client.query<{ table_name: string; rows: string }>(sql, values);
    const row = result.rows[0];
    assert.ok(row !== undefined);
    return row;
  }

  async function columns(table: string): Promise<string> {
    const result = await upstream.sql<{ c: string }>(
      `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS c
         FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
      [table],
    );
    return result.rows[0]?.c ?? '';
  }

  it('loads imdb from the hub: every split in order, ClassLabel as bigint', async () => {
    assert.deepEqual(await load("SELECT * FROM pgml.load_dataset('imdb')"), { table_name: 'pgml.imdb', rows: '26' });
    assert.equal(await columns('pgml.imdb'), 'text text, label bigint');
    const labels = await upstream.sql<{ label: string; n: number }>('SELECT label::text, count(*)::int AS n FROM pgml.imdb GROUP BY 1 ORDER BY 1');
    assert.deepEqual(labels.rows, [
      { label: '-1', n: 6 },
      { label: '0', n: 10 },
      { label: '1', n: 10 },
    ]);
  });

  it('loads kde4 en-es with lang1/lang2; translation is jsonb and the seed view works', async () => {
    const result = await load(`SELECT * FROM pgml.load_dataset('kde4', kwargs => '{"lang1": "en", "lang2": "es"}')`);
    assert.deepEqual(result, { table_name: 'pgml.kde4', rows: '20' });
    assert.equal(await columns('pgml.kde4'), 'id text, translation jsonb');
    await client.query(`CREATE OR REPLACE VIEW kde4_en_to_es AS SELECT translation->>'en' AS "en", translation->>'es' AS "es" FROM pgml.kde4 LIMIT 10`);
    const view = await client.query<{ en: string | null; es: string | null }>('SELECT * FROM kde4_en_to_es');
    assert.equal(view.rows.length, 10);
    assert.ok(view.rows.every((r) => typeof r.en === 'string' && r.en !== '' && typeof r.es === 'string' && r.es !== ''));
    // Loading again keeps the table (and the view over it) and replaces the rows.
    assert.deepEqual(await load(`SELECT * FROM pgml.load_dataset('kde4', kwargs => '{"lang1": "en", "lang2": "es"}')`), result);
    assert.equal((await client.query('SELECT * FROM kde4_en_to_es')).rows.length, 10);
  });

  it('loads squad_v2 with answers as jsonb, billsum with one split, and a limit from train', async () => {
    assert.deepEqual(await load("SELECT * FROM pgml.load_dataset('squad_v2')"), { table_name: 'pgml.squad_v2', rows: '16' });
    assert.equal(await columns('pgml.squad_v2'), 'id text, title text, context text, question text, answers jsonb');
    const unanswerable = await upstream.scalar("SELECT count(*)::int FROM pgml.squad_v2 WHERE jsonb_array_length(answers->'text') = 0");
    assert.ok(typeof unanswerable === 'number' && unanswerable > 0);
    assert.deepEqual(await load(`SELECT * FROM pgml.load_dataset('billsum', kwargs => '{"split": "ca_test"}')`), { table_name: 'pgml.billsum', rows: '5' });
    assert.deepEqual(await load("SELECT * FROM pgml.load_dataset('imdb', \"limit\" => $1)", [5]), { table_name: 'pgml.imdb', rows: '5' });
    assert.equal(await upstream.scalar('SELECT count(*)::int FROM pgml.imdb WHERE label = -1'), 0, 'a limit reads train only');
  });

  it('loads again offline from the cache without a request, and says what is missing', async () => {
    const requests = server.requests.length;
    const online = hubOptions;
    hubOptions = { ...online, offline: true, endpoint: 'http://127.0.0.1:9' };
    try {
      assert.deepEqual(await load(`SELECT * FROM pgml.load_dataset('billsum', kwargs => '{"split": "ca_test"}')`), { table_name: 'pgml.billsum', rows: '5' });
      assert.deepEqual(await load("SELECT * FROM pgml.load_dataset('imdb')"), { table_name: 'pgml.imdb', rows: '26' });
      assert.deepEqual(await load(`SELECT * FROM pgml.load_dataset('kde4', kwargs => '{"lang1": "en", "lang2": "es"}')`), { table_name: 'pgml.kde4', rows: '20' });
      assert.deepEqual(await load("SELECT * FROM pgml.load_dataset('squad_v2')"), { table_name: 'pgml.squad_v2', rows: '16' });
      assert.equal(server.requests.length, requests, 'offline: not one request');
      await assert.rejects(load("SELECT * FROM pgml.load_dataset('pgml-fixtures/reviews')"), (error: pg.DatabaseError) => {
        assert.equal(error.code, '58P01');
        assert.match(error.message, /pgml-fixtures\/reviews/);
        assert.match(`${error.message} ${error.hint ?? ''} ${error.detail ?? ''}`, /offline|HF_HUB_OFFLINE|cache/i);
        return true;
      });
    } finally {
      hubOptions = online;
    }
  });

  it('loads a repo’s own data files when there is no Parquet conversion', async () => {
    const result = await load("SELECT * FROM pgml.load_dataset('pgml-fixtures/reviews')");
    assert.equal(result.table_name, 'pgml."pgml-fixtures/reviews"');
    assert.match(await columns('pgml."pgml-fixtures/reviews"'), /text text, stars integer, score real, helpful boolean/);
  });

  it('loads local Parquet files and folders, the table named after them', async () => {
    const local = path.join(folder, 'local', 'movie_reviews');
    await cp(fixturePath('hub', 'datasets', 'stanfordnlp', 'imdb', 'refs%2Fconvert%2Fparquet', 'plain_text', 'train', '0000.parquet'), path.join(local, 'train-00000-of-00001.parquet'));
    await cp(fixturePath('hub', 'datasets', 'stanfordnlp', 'imdb', 'refs%2Fconvert%2Fparquet', 'plain_text', 'test', '0000.parquet'), path.join(local, 'test-00000-of-00001.parquet'));
    assert.deepEqual(await load('SELECT * FROM pgml.load_dataset($1)', [local]), { table_name: 'pgml.movie_reviews', rows: '20' });
    assert.deepEqual(await load(`SELECT * FROM pgml.load_dataset($1, kwargs => '{"split": "test"}')`, [local]), { table_name: 'pgml.movie_reviews', rows: '8' });
    const file = path.join(local, 'test-00000-of-00001.parquet');
    assert.deepEqual(await load(`SELECT * FROM pgml.load_dataset($1, kwargs => '{"table": "my_test"}')`, [file]), { table_name: 'pgml.my_test', rows: '8' });
  });

  it('loads each fixture dataset from a local copy of its Parquet conversion folder', async () => {
    const conversions: [string, string, string, string][] = [
      ['stanfordnlp/imdb', 'plain_text', 'pgml.stanfordnlp_imdb', '26'],
      ['Helsinki-NLP/kde4', 'en-es', 'pgml."Helsinki-NLP_kde4"', '20'],
      ['rajpurkar/squad_v2', 'squad_v2', 'pgml.rajpurkar_squad_v2', '16'],
      ['FiscalNote/billsum', 'default', 'pgml."FiscalNote_billsum"', '15'],
    ];
    for (const [repo, config, table, rows] of conversions) {
      const local = path.join(folder, 'conversions', repo.replace('/', '_'));
      await cp(fixturePath('hub', 'datasets', ...repo.split('/'), 'refs%2Fconvert%2Fparquet', config), local, { recursive: true });
      assert.deepEqual(await load('SELECT * FROM pgml.load_dataset($1)', [local]), { table_name: table, rows });
    }
    assert.equal(await columns('pgml."Helsinki-NLP_kde4"'), 'id text, translation jsonb');
    assert.deepEqual(await load(`SELECT * FROM pgml.load_dataset($1, kwargs => '{"split": "ca_test"}')`, [path.join(folder, 'conversions', 'FiscalNote_billsum')]), {
      table_name: 'pgml."FiscalNote_billsum"',
      rows: '5',
    });
  });

  it('loads local CSV and JSON-lines files with inferred column types', async () => {
    const csv = path.join(folder, 'local', 'scores.csv');
    const jsonl = path.join(folder, 'local', 'events.jsonl');
    await writeFile(csv, 'name,score,count,ok,note\n"Smith, J",1.5,3,true,"said ""hi""\ttwice"\nLee,2,,false,\n');
    await writeFile(jsonl, '{"id": 1, "tags": ["a", "b"], "text": "x\\ny"}\n\n{"id": 2, "tags": [], "text": null, "extra": 2.5}\n');
    assert.deepEqual(await load('SELECT * FROM pgml.load_dataset($1)', [csv]), { table_name: 'pgml.scores', rows: '2' });
    assert.equal(await columns('pgml.scores'), 'name text, score double precision, count bigint, ok boolean, note text');
    const rows = await upstream.sql('SELECT name, score, count, ok, note FROM pgml.scores ORDER BY name');
    assert.deepEqual(rows.rows, [
      { name: 'Lee', score: 2, count: null, ok: false, note: null },
      { name: 'Smith, J', score: 1.5, count: '3', ok: true, note: 'said "hi"\ttwice' },
    ]);
    assert.deepEqual(await load('SELECT * FROM pgml.load_dataset($1)', [jsonl]), { table_name: 'pgml.events', rows: '2' });
    assert.equal(await columns('pgml.events'), 'id bigint, tags jsonb, text text, extra double precision');
    assert.equal(await upstream.scalar("SELECT text FROM pgml.events WHERE id = 1"), 'x\ny');
  });

  it('rejects bad input with clear errors and leaves the previous table as it was', async () => {
    const before = await upstream.scalar('SELECT count(*)::int FROM pgml.kde4');
    const cases: [string, RegExp][] = [
      ["SELECT * FROM pgml.load_dataset('no-such/dataset')", /no-such\/dataset.*repository not found/],
      ["SELECT * FROM pgml.load_dataset('kde4')", /several configs[\s\S]*en-es/],
      ["SELECT * FROM pgml.load_dataset('kde4', 'xx-yy')", /no config "xx-yy"[\s\S]*en-es/],
      [`SELECT * FROM pgml.load_dataset('kde4', kwargs => '{"lang1": "en", "lang2": "es", "split": "nope"}')`, /no split "nope"[\s\S]*train/],
      ["SELECT * FROM pgml.load_dataset('/no/such/file.parquet')", /no such file/],
    ];
    for (const [sql, expected] of cases) {
      await assert.rejects(client.query(sql), (error: pg.DatabaseError) => {
        assert.match(`${error.message} ${error.detail ?? ''}`, expected);
        return true;
      });
    }
    assert.equal(await upstream.scalar('SELECT count(*)::int FROM pgml.kde4'), before);
    await client.query('BEGIN');
    await load(`SELECT * FROM pgml.load_dataset('billsum', kwargs => '{"split": "test", "table": "rolled_back"}')`);
    await client.query('ROLLBACK');
    assert.equal(await upstream.scalar("SELECT to_regclass('pgml.rolled_back')::text"), null);
  });
});
