import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrateUrl } from '../../src/store/migrate.js';
import { functionsChecksum } from '../../src/store/migrations/functions.js';
import type { SqlFunction } from '../../src/store/sql-function.js';
import { startCli } from '../helpers/cli.js';
import { projectRoot } from '../helpers/paths.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { run } from '../helpers/run.js';

const bin = path.join(projectRoot, 'bin', 'pgml-proxy.js');
const stamp = 'timestamp without time zone';
const created = `created_at ${stamp} NOT NULL DEFAULT clock_timestamp()`;
const updated = `updated_at ${stamp} NOT NULL DEFAULT clock_timestamp()`;
const id = (table: string): string => `id bigint NOT NULL DEFAULT nextval('pgml.${table}_id_seq'::regclass)`;

/** The spec: every table and view with its columns, as `name type [NOT NULL] [DEFAULT expr]`. */
const COLUMNS: Record<string, readonly string[]> = {
  projects: [id('projects'), 'name text NOT NULL', 'task pgml.task NOT NULL', created, updated],
  snapshots: [
    id('snapshots'), 'relation_name text NOT NULL', 'y_column_name text[]', 'test_size real NOT NULL', 'test_sampling pgml.sampling NOT NULL',
    'status text NOT NULL', 'columns jsonb', 'analysis jsonb', created, updated, 'materialized boolean DEFAULT false',
  ],
  models: [
    id('models'), 'project_id bigint NOT NULL', 'snapshot_id bigint', 'num_features integer NOT NULL', 'algorithm text NOT NULL',
    "runtime pgml.runtime DEFAULT 'python'::pgml.runtime", 'hyperparams jsonb NOT NULL', 'status text NOT NULL', 'metrics jsonb', 'search text',
    'search_params jsonb NOT NULL', 'search_args jsonb NOT NULL', created, updated,
  ],
  deployments: [id('deployments'), 'project_id bigint NOT NULL', 'model_id bigint NOT NULL', 'strategy pgml.strategy NOT NULL', created],
  files: [id('files'), 'model_id bigint NOT NULL', 'path text NOT NULL', 'part integer NOT NULL', created, updated, 'data bytea NOT NULL'],
  logs: [
    "id integer NOT NULL DEFAULT nextval('pgml.logs_id_seq'::regclass)", 'model_id bigint', 'project_id bigint',
    `created_at ${stamp} DEFAULT CURRENT_TIMESTAMP`, 'logs jsonb',
  ],
  overview: [
    'name text', `deployed_at ${stamp}`, 'task pgml.task', 'algorithm text', 'runtime pgml.runtime', 'relation_name text',
    'y_column_name text[]', 'test_sampling pgml.sampling', 'test_size real',
  ],
  trained_models: [
    'id bigint', 'name text', 'task pgml.task', 'algorithm text', 'runtime pgml.runtime', `created_at ${stamp}`,
    'test_sampling pgml.sampling', 'test_size real', 'deployed boolean',
  ],
  deployed_models: ['id bigint', 'name text', 'task pgml.task', 'algorithm text', 'runtime pgml.runtime', `deployed_at ${stamp}`],
};

const ENUMS: Record<string, readonly string[]> = {
  task: [
    'regression', 'classification', 'decomposition', 'clustering', 'question_answering', 'summarization', 'translation',
    'text_classification', 'text_generation', 'text2text', 'embedding', 'text_pair_classification', 'conversation',
  ],
  sampling: ['random', 'last', 'stratified'],
  strategy: ['new_score', 'best_score', 'most_recent', 'rollback', 'specific'],
  runtime: ['python', 'rust', 'openai'],
  search: ['grid', 'random'],
  status: ['in_progress', 'successful', 'failed'],
};

const fn = (signature: string, returns: string, body: string): SqlFunction => ({
  signature,
  create: `CREATE OR REPLACE FUNCTION ${signature} RETURNS ${returns} LANGUAGE sql AS $$ ${body} $$`,
});

describe('the pgml schema migrations', () => {
  let server: TestPostgres;
  let databases = 0;
  before(async () => {
    server = await startTestPostgres();
  });
  after(() => server.stop());

  /** A new, empty database; its URL has no sslmode, so the connection exercises prefer's fallback. */
  const freshDatabase = async (): Promise<string> => {
    const name = `migrate_${String(++databases)}`;
    await server.sql(`CREATE DATABASE ${name}`);
    return server.url.replace(/\/postgres$/, `/${name}`);
  };
  const sql = async <Row extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<Row>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const column = async (url: string, text: string, values?: unknown[]): Promise<unknown[]> =>
    (await sql<Record<string, unknown>>(url, text, values)).map((row) => Object.values(row)[0]);

  it('installs PostgresML’s tables, views, enums, keys and triggers on a fresh database, once', async () => {
    const url = await freshDatabase();
    assert.deepEqual(await migrateUrl(url, { functions: [] }), { applied: [1], functionsChanged: true });
    for (const [name, expected] of Object.entries(COLUMNS)) {
      const actual = await column(
        url,
        `SELECT concat_ws(' ', column_name,
                  CASE data_type WHEN 'USER-DEFINED' THEN udt_schema || '.' || udt_name WHEN 'ARRAY' THEN substr(udt_name, 2) || '[]' ELSE data_type END,
                  CASE is_nullable WHEN 'NO' THEN 'NOT NULL' END, 'DEFAULT ' || column_default)
           FROM information_schema.columns WHERE table_schema = 'pgml' AND table_name = $1 ORDER BY ordinal_position`,
        [name],
      );
      assert.deepEqual(actual, expected, `columns of pgml.${name}`);
    }
    assert.deepEqual(await column(url, "SELECT table_name || ' ' || table_type FROM information_schema.tables WHERE table_schema = 'pgml' ORDER BY 1"), [
      'deployed_models VIEW', 'deployments BASE TABLE', 'files BASE TABLE', 'logs BASE TABLE', 'models BASE TABLE',
      'overview VIEW', 'projects BASE TABLE', 'snapshots BASE TABLE', 'trained_models VIEW',
    ]);
    const enums = await sql<{ name: string; labels: string[] }>(
      url,
      `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
         FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace = 'pgml'::regnamespace GROUP BY 1`,
    );
    for (const [name, labels] of Object.entries(ENUMS)) assert.deepEqual(enums.find((row) => row.name === name)?.labels, labels, `pgml.${name}`);
    assert.equal(enums.find((row) => row.name === 'algorithm')?.labels.length, 45);
    // Underscore labels only, as a fresh PostgresML install: the hyphenated spelling is for the text `task` argument.
    await assert.rejects(sql(url, "SELECT 'text-classification'::pgml.task"), { code: '22P02' });

    assert.deepEqual(
      await column(url, "SELECT conrelid::regclass || '.' || conname || ' -> ' || confrelid::regclass || ' ' || confdeltype::text FROM pg_constraint WHERE contype = 'f' AND connamespace = 'pgml'::regnamespace ORDER BY 1"),
      [
        'pgml.deployments.model_id_fk -> pgml.models c', 'pgml.deployments.project_id_fk -> pgml.projects c', 'pgml.files.model_id_fk -> pgml.models c',
        'pgml.models.project_id_fk -> pgml.projects c', 'pgml.models.snapshot_id_fk -> pgml.snapshots n',
      ],
    );
    const indexes = await column(url, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'pgml' ORDER BY indexname");
    assert.ok(indexes.includes('CREATE UNIQUE INDEX projects_name_idx ON pgml.projects USING btree (name)'));
    assert.ok(indexes.includes('CREATE UNIQUE INDEX files_model_id_path_part_idx ON pgml.files USING btree (model_id, path, part)'));
    assert.deepEqual(await column(url, "SELECT tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"), [
      'pgml.files files_auto_updated_at', 'pgml.models models_auto_updated_at', 'pgml.projects projects_auto_updated_at', 'pgml.snapshots snapshots_auto_updated_at',
    ]);
    await sql(url, "INSERT INTO pgml.projects (name, task) VALUES ('p', 'translation')");
    await sql(url, "UPDATE pgml.projects SET name = 'q'");
    assert.deepEqual(await column(url, 'SELECT updated_at > created_at FROM pgml.projects'), [true]);

    await sql(url, 'CREATE ROLE someone LOGIN');
    assert.deepEqual(await column(url, "SELECT has_schema_privilege('someone', 'pgml', 'USAGE') AND has_schema_privilege('someone', 'pgml_proxy', 'USAGE')"), [true]);
    assert.deepEqual(await sql(url, 'SELECT version, name FROM pgml_proxy.migrations'), [{ version: 1, name: 'schema' }]);
    assert.deepEqual(await migrateUrl(`${url}?sslmode=disable`, { functions: [] }), { applied: [], functionsChanged: false });
  });

  it('serialises concurrent runs: one applies, the others wait and find nothing to do', async () => {
    const url = await freshDatabase();
    const functions = [fn('pgml.fake_one()', 'int', 'SELECT 1')];
    const results = await Promise.all([1, 2, 3, 4].map(() => migrateUrl(url, { functions })));
    assert.deepEqual(results.map((result) => result.applied.length).sort(), [0, 0, 0, 1]);
    assert.deepEqual(results.map((result) => result.functionsChanged).sort(), [false, false, false, true]);
    assert.deepEqual(await column(url, 'SELECT count(*)::int FROM pgml_proxy.migrations'), [1]);
  });

  it('keeps the generated functions in step with the registry: replaces, redefines and drops', async () => {
    const url = await freshDatabase();
    const catalogue = (): Promise<unknown[]> =>
      column(url, `SELECT p.oid::regprocedure || ' -> ' || pg_get_function_result(p.oid) || ' # ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
                     FROM pg_proc p WHERE p.pronamespace IN ('pgml'::regnamespace, 'pgml_proxy'::regnamespace) ORDER BY 1`);
    const first = [fn('pgml_proxy.fake_a(x integer)', 'integer', 'SELECT x + 1'), fn('pgml.fake_b(t text)', 'text', "SELECT 'b:' || t")];
    assert.equal((await migrateUrl(url, { functions: first })).functionsChanged, true);
    const one = functionsChecksum(first);
    assert.deepEqual(await catalogue(), [
      'pgml.auto_updated_at(regclass) -> void # -', `pgml.fake_b(text) -> text # pgml-proxy generated ${one}`,
      'pgml.set_updated_at() -> trigger # -', `pgml_proxy.fake_a(integer) -> integer # pgml-proxy generated ${one}`,
    ]);
    // fake_a leaves the registry; fake_b changes its return type, which needs a DROP.
    const second = [fn('pgml.fake_b(t text)', 'integer', 'SELECT length(t)')];
    assert.deepEqual(await migrateUrl(url, { functions: second }), { applied: [], functionsChanged: true });
    const two = functionsChecksum(second);
    assert.deepEqual(await catalogue(), [
      'pgml.auto_updated_at(regclass) -> void # -', `pgml.fake_b(text) -> integer # pgml-proxy generated ${two}`, 'pgml.set_updated_at() -> trigger # -',
    ]);
    assert.deepEqual(await column(url, "SELECT pgml.fake_b('abc')"), [3]);
    assert.deepEqual(await column(url, "SELECT checksum FROM pgml_proxy.generated WHERE name = 'functions'"), [two]);
    assert.equal((await migrateUrl(url, { functions: second })).functionsChanged, false);
  });

  it('refuses to drop a function a user object depends on, and leaves everything as it was', async () => {
    const url = await freshDatabase();
    const installed = [fn('pgml.keep()', 'int', 'SELECT 1'), fn('pgml.doomed()', 'int', 'SELECT 2')];
    await migrateUrl(url, { functions: installed });
    await sql(url, 'CREATE VIEW uses_doomed AS SELECT pgml.doomed() AS d, pgml.keep() AS k');
    await assert.rejects(migrateUrl(url, { functions: [fn('pgml.keep()', 'int', 'SELECT 10')] }), {
      message: /^cannot drop pgml\.doomed\(\) because this pgml-proxy release no longer provides it: view uses_doomed depends on function pgml\.doomed\(\)\. Drop or change the dependent object/,
    });
    await assert.rejects(migrateUrl(url, { functions: [fn('pgml.keep()', 'text', "SELECT 'x'"), installed[1] as SqlFunction] }), {
      message: /^cannot drop pgml\.keep\(\) to change its definition: view uses_doomed depends on function pgml\.keep\(\)/,
    });
    // Rolled back: the old bodies and the old checksum.
    assert.deepEqual(await sql(url, 'SELECT * FROM uses_doomed'), [{ d: 2, k: 1 }]);
    assert.deepEqual(await column(url, 'SELECT checksum FROM pgml_proxy.generated'), [functionsChecksum(installed)]);
  });

  it('applies the versioned migrations and the functions in one transaction', async () => {
    const url = await freshDatabase();
    await assert.rejects(migrateUrl(url, { functions: [fn('pgml.broken()', 'int', 'SELECT no_such_column')] }), {
      message: /^cannot create pgml\.broken\(\): column "no_such_column" does not exist/,
    });
    assert.deepEqual(await column(url, "SELECT count(*)::int FROM pg_namespace WHERE nspname IN ('pgml', 'pgml_proxy')"), [0]);
  });

  it('refuses a pgml schema it did not create, but shares one that holds only other things', async () => {
    const foreign = await freshDatabase();
    await sql(foreign, 'CREATE SCHEMA pgml; CREATE TABLE pgml.projects (id int); CREATE TYPE pgml.task AS ENUM (\'x\')');
    await assert.rejects(migrateUrl(foreign, { functions: [] }), {
      message: /^this database already has a pgml schema that pgml-proxy did not create \(it holds pgml\.projects, pgml\.task but no pgml_proxy\.migrations\); rename it/,
    });
    assert.deepEqual(await column(foreign, "SELECT to_regnamespace('pgml_proxy') IS NULL"), [true]);

    const datasets = await freshDatabase();
    await sql(datasets, 'CREATE SCHEMA pgml; CREATE TABLE pgml.iris (sepal_length real)');
    assert.deepEqual((await migrateUrl(datasets, { functions: [] })).applied, [1]);
    assert.deepEqual(await column(datasets, "SELECT to_regclass('pgml.iris') IS NOT NULL"), [true]);
  });

  it('serves the views on empty tables and shows each project’s latest deployment', async () => {
    const url = await freshDatabase();
    await migrateUrl(url, { functions: [] });
    for (const view of ['overview', 'trained_models', 'deployed_models']) assert.deepEqual(await sql(url, `SELECT * FROM pgml.${view}`), [], view);
    const insertModel = (project: string): Promise<unknown[]> =>
      column(url, `INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, hyperparams, status, search_params, search_args)
                   SELECT id, 1, 1, 'transformers', '{}', 'successful', '{}', '{}' FROM pgml.projects WHERE name = $1 RETURNING id`, [project]);
    await sql(url, "INSERT INTO pgml.projects (name, task) VALUES ('imdb', 'text_classification'), ('kde4', 'translation')");
    await sql(url, "INSERT INTO pgml.snapshots (relation_name, y_column_name, test_size, test_sampling, status) VALUES ('pgml.imdb', '{label}', 0.25, 'last', 'in_progress')");
    const [first] = await insertModel('imdb');
    const [second] = await insertModel('imdb');
    const [other] = await insertModel('kde4');
    await sql(url, "INSERT INTO pgml.deployments (project_id, model_id, strategy) VALUES (1, $1, 'new_score')", [first]);
    await sql(url, "INSERT INTO pgml.deployments (project_id, model_id, strategy) VALUES (1, $1, 'most_recent')", [second]);

    assert.deepEqual(await sql(url, 'SELECT id::int, name, task, algorithm, runtime FROM pgml.deployed_models'), [
      { id: Number(second), name: 'imdb', task: 'text_classification', algorithm: 'transformers', runtime: 'python' },
    ]);
    assert.deepEqual(await sql(url, 'SELECT id::int, name, deployed FROM pgml.trained_models'), [
      { id: Number(other), name: 'kde4', deployed: false },
      { id: Number(second), name: 'imdb', deployed: true },
      { id: Number(first), name: 'imdb', deployed: false },
    ]);
    assert.deepEqual(await column(url, "SELECT format('%s %s %s %s', name, relation_name, y_column_name, test_sampling) FROM pgml.overview"), [
      'imdb pgml.imdb {label} last', 'imdb pgml.imdb {label} last',
    ]);
    await sql(url, "DELETE FROM pgml.projects WHERE name = 'imdb'");
    assert.deepEqual(await column(url, 'SELECT (SELECT count(*) FROM pgml.models) + (SELECT count(*) FROM pgml.deployments)'), ['1']);
  });

  it('runs as pgml-proxy migrate, and automatically when pgml-proxy start starts', async () => {
    const help = await run(process.execPath, [bin, '--help']);
    assert.match(help.stdout, /pgml-proxy migrate \[options\]/);
    const url = `${await freshDatabase()}?sslmode=disable`;
    const first = await run(process.execPath, [bin, 'migrate', '--upstream', url, '--log-level', 'warn']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^pgml-proxy migrate: postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/migrate_\d+\?sslmode=disable: applied migration 1 \(schema\); installed the pgml functions\n$/);
    const again = await run(process.execPath, [bin, 'migrate'], { env: { DATABASE_URL: url, PGML_LOG_LEVEL: 'warn' } });
    assert.match(again.stdout, /is up to date\n$/);

    const foreign = await freshDatabase();
    await sql(foreign, 'CREATE SCHEMA pgml; CREATE TABLE pgml.projects (id int)');
    const refused = await run(process.execPath, [bin, 'migrate', '--upstream', foreign]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^pgml-proxy: this database already has a pgml schema that pgml-proxy did not create .*\n$/);

    const fresh = await freshDatabase();
    const skipped = await startCli(['--listen', '127.0.0.1:0', '--upstream', fresh, '--skip-migrate']);
    assert.equal(await skipped.stop(), 0, skipped.stderr());
    assert.match(skipped.stderr(), /"event":"migrate.skipped"/);
    assert.deepEqual(await column(fresh, "SELECT to_regnamespace('pgml') IS NULL"), [true]);
    const proxy = await startCli(['--listen', '127.0.0.1:0', '--upstream', fresh]);
    assert.equal(await proxy.stop(), 0, proxy.stderr());
    assert.match(proxy.stderr(), /"event":"migrate.done","applied":\[1\]/);
    assert.deepEqual(await column(fresh, 'SELECT max(version) FROM pgml_proxy.migrations'), [1]);
  });

  it('migrates the embedded PostgreSQL when no upstream is given', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pgml-migrate-'));
    try {
      const env = { PGML_UPSTREAM: '', DATABASE_URL: '', PGML_LOG_LEVEL: 'warn' };
      const first = await run(process.execPath, [bin, 'migrate', '--data-dir', dataDir], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^pgml-proxy migrate: the embedded PostgreSQL in .*: applied migration 1 \(schema\)/);
      const second = await run(process.execPath, [bin, 'migrate', '--data-dir', dataDir], { env });
      assert.match(second.stdout, /is up to date\n$/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
