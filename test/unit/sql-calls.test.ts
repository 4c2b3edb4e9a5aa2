import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { findPgmlCalls, loadSqlParser, type ParsedStatement } from '../../src/sql/find-calls.js';
import { mightCallPgml } from '../../src/sql/prefilter.js';

/** One call: function name, the call's exact text, and the schema token when it is not `pgml`. */
type Call = readonly [fn: string, text: string, schema?: string];
interface Statement {
  readonly text: string;
  /** 'select-call' with its column, 'select-from-call', or 'other'. */
  readonly shape: readonly ['select-call', string] | readonly ['select-from-call'] | readonly ['other'];
  readonly calls: readonly Call[];
}
type Case = readonly [sql: string, statements: readonly Statement[] | 'error'];

/** A single statement whose text is `sql` without its closing `;`. */
function one(sql: string, shape: Statement['shape'], ...calls: Call[]): Case {
  return [sql, [{ text: sql.replace(/\s*;\s*$/, ''), shape, calls }]];
}
function stmt(text: string, shape: Statement['shape'], ...calls: Call[]): Statement {
  return { text, shape, calls };
}
const OTHER = ['other'] as const;
const FROM = ['select-from-call'] as const;
const col = (name: string): Statement['shape'] => ['select-call', name];

// Real catalogue queries psql 15 sends for \df pgml.*, \dt, \dT pgml.*, \d pgml.models, \sf and \df+ (psql -E).
const PSQL_DF = `SELECT n.nspname as "Schema",
  p.proname as "Name",
  pg_catalog.pg_get_function_result(p.oid) as "Result data type",
  pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",
 CASE p.prokind
  WHEN 'a' THEN 'agg'
  WHEN 'w' THEN 'window'
  WHEN 'p' THEN 'proc'
  ELSE 'func'
 END as "Type"
FROM pg_catalog.pg_proc p
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname OPERATOR(pg_catalog.~) '^(pgml)$' COLLATE pg_catalog.default
ORDER BY 1, 2, 4;`;
const PSQL_DT = `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;`;
const PSQL_DT_TYPES = `SELECT n.nspname as "Schema",
  pg_catalog.format_type(t.oid, NULL) AS "Name",
  pg_catalog.obj_description(t.oid, 'pg_type') as "Description"
FROM pg_catalog.pg_type t
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))
  AND NOT EXISTS(SELECT 1 FROM pg_catalog.pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid)
  AND n.nspname OPERATOR(pg_catalog.~) '^(pgml)$' COLLATE pg_catalog.default
ORDER BY 1, 2;`;
const PSQL_D_TABLE = `SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(models)$' COLLATE pg_catalog.default
  AND n.nspname OPERATOR(pg_catalog.~) '^(pgml)$' COLLATE pg_catalog.default
ORDER BY 2, 3;`;
const PSQL_SF = `SELECT 'pgml.version'::pg_catalog.regproc::pg_catalog.oid`;
const PSQL_DF_PLUS = `SELECT n.nspname as "Schema",
  p.proname as "Name",
 CASE WHEN prosecdef THEN 'definer' ELSE 'invoker' END AS "Security",
 pg_catalog.array_to_string(p.proacl, E'\\n') AS "Access privileges",
 COALESCE(pg_catalog.pg_get_function_sqlbody(p.oid), p.prosrc) as "Source code",
 pg_catalog.obj_description(p.oid, 'pg_proc') as "Description"
FROM pg_catalog.pg_proc p
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     LEFT JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.proname OPERATOR(pg_catalog.~) '^(version)$' COLLATE pg_catalog.default
  AND n.nspname OPERATOR(pg_catalog.~) '^(pgml)$' COLLATE pg_catalog.default
ORDER BY 1, 2, 4;`;

const IMDB_TUNE = `pgml.tune('IMDB Review Sentiment', task => 'text-classification', relation_name => 'pgml.imdb', y_column_name => 'label', model_name => 'distilbert-base-uncased', hyperparams => '{"learning_rate": 2e-5}')`;
const SQUAD_TUNE = `pgml.tune('SQuAD Q&A v2', 'question-answering', 'pgml.squad_v2', 'answers', 'deepset/roberta-base-squad2', hyperparams => '{"max_length": 384}', test_size => 11873, test_sampling => 'last')`;
const KDE4_TUNE = `pgml.tune(
    'Translate English to Spanish',
    task => 'translation',
    relation_name => 'pgml.kde4',
    y_column_name => 'translation',
    model_name => 'Helsinki-NLP/opus-mt-en-es',
    hyperparams => '{"learning_rate": 2e-5, "per_device_train_batch_size": 16, "num_train_epochs": 1}',
    test_size => 0.5,
    test_sampling => 'last'
)`;
const TRANSFORM = `pgml.transform(
    task   => 'text-classification',
    inputs => ARRAY['I love how amazingly simple ML has become!', 'I hate doing mundane and thankless tasks. ☹️']
)`;
const KDE4_LOAD = `pgml.load_dataset('kde4', kwargs => '{"lang1": "en", "lang2": "es"}')`;

const CASES: readonly Case[] = [
  // PostgresML's own examples.
  one(`SELECT pgml.load_dataset('imdb');`, col('load_dataset'), ['load_dataset', `pgml.load_dataset('imdb')`]),
  one(`SELECT * FROM ${KDE4_LOAD};`, FROM, ['load_dataset', KDE4_LOAD]),
  one(`SELECT ${IMDB_TUNE};`, col('tune'), ['tune', IMDB_TUNE]),
  one(`SELECT ${SQUAD_TUNE};`, col('tune'), ['tune', SQUAD_TUNE]),
  one(`SELECT * FROM ${KDE4_TUNE};`, FROM, ['tune', KDE4_TUNE]),
  one(`SELECT pgml.predict('IMDB Review Sentiment', 'I love this movie') AS sentiment;`, col('sentiment'), ['predict', `pgml.predict('IMDB Review Sentiment', 'I love this movie')`]),
  one(`SELECT pgml.predict_proba('IMDB Review Sentiment', 'I love this movie')`, col('predict_proba'), ['predict_proba', `pgml.predict_proba('IMDB Review Sentiment', 'I love this movie')`]),
  one(`SELECT pgml.generate('Translate English to Spanish', 'I love SQL') AS spanish;`, col('spanish'), ['generate', `pgml.generate('Translate English to Spanish', 'I love SQL')`]),
  one(`SELECT ${TRANSFORM} AS positivity;`, col('positivity'), ['transform', TRANSFORM]),
  one(`SELECT pgml.transform(task => '{"task": "text-generation", "model": "gpt2"}'::JSONB, inputs => ARRAY['Once upon a time'])`, col('transform'), ['transform', `pgml.transform(task => '{"task": "text-generation", "model": "gpt2"}'::JSONB, inputs => ARRAY['Once upon a time'])`]),
  one(`SELECT pgml.embed('intfloat/e5-small', 'passage: hello')`, col('embed'), ['embed', `pgml.embed('intfloat/e5-small', 'passage: hello')`]),
  one(`SELECT * FROM pgml.deploy('IMDB Review Sentiment', strategy => 'best_score')`, FROM, ['deploy', `pgml.deploy('IMDB Review Sentiment', strategy => 'best_score')`]),
  one(`SELECT pgml.deploy('IMDB Review Sentiment', 'most_recent', 'svm')`, col('deploy'), ['deploy', `pgml.deploy('IMDB Review Sentiment', 'most_recent', 'svm')`]),
  one(`SELECT * FROM pgml.load_dataset('imdb') d`, FROM, ['load_dataset', `pgml.load_dataset('imdb')`]),
  one(`SELECT * FROM pgml.load_dataset('imdb') AS d;`, FROM, ['load_dataset', `pgml.load_dataset('imdb')`]),
  // How the name can be written.
  one(`SELECT pgml.version() AS v`, col('v'), ['version', 'pgml.version()']),
  one(`select PGML.VERSION()`, col('version'), ['version', 'PGML.VERSION()', 'PGML']),
  one(`SELECT "pgml"."version"()`, col('version'), ['version', '"pgml"."version"()', '"pgml"']),
  one(`SELECT pgml."Version"()`, col('Version'), ['Version', 'pgml."Version"()']),
  one(`SELECT pgml.version() AS "Version"`, col('Version'), ['version', 'pgml.version()']),
  one(`SELECT pgml . version ( )`, col('version'), ['version', 'pgml . version ( )']),
  one(`SELECT pgml/* why */.version()`, col('version'), ['version', 'pgml/* why */.version()']),
  one(`SELECT U&"\\0070gml".version()`, col('version'), ['version', 'U&"\\0070gml".version()', 'U&"\\0070gml"']),
  one(`SELECT (pgml.version())`, col('version'), ['version', 'pgml.version()']),
  // Calls inside larger statements.
  one(`SELECT id, pgml.predict('p', body) FROM t`, OTHER, ['predict', `pgml.predict('p', body)`]),
  one(`SELECT pgml.predict('p', pgml.version())`, col('predict'), ['predict', `pgml.predict('p', pgml.version())`], ['version', 'pgml.version()']),
  one(`SELECT review, pgml.predict('IMDB Review Sentiment', review) AS sentiment FROM pgml.imdb LIMIT 10;`, OTHER, ['predict', `pgml.predict('IMDB Review Sentiment', review)`]),
  one(`INSERT INTO preds SELECT id, pgml.predict('p', ARRAY[a, b]::real[]) FROM t`, OTHER, ['predict', `pgml.predict('p', ARRAY[a, b]::real[])`]),
  one(`UPDATE t SET score = pgml.predict('p', body) WHERE score IS NULL`, OTHER, ['predict', `pgml.predict('p', body)`]),
  one(`SELECT * FROM t WHERE pgml.predict('p', body) = 1 ORDER BY pgml.predict_proba('p', body) DESC`, OTHER, ['predict', `pgml.predict('p', body)`], ['predict_proba', `pgml.predict_proba('p', body)`]),
  one(`WITH e AS (SELECT pgml.embed('m', body) AS v FROM docs) SELECT * FROM e`, OTHER, ['embed', `pgml.embed('m', body)`]),
  one(`SELECT (SELECT pgml.version())`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT * FROM t, LATERAL pgml.load_dataset(t.name) x`, OTHER, ['load_dataset', 'pgml.load_dataset(t.name)']),
  one(`EXPLAIN SELECT pgml.version()`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT pgml.predict('p', $1)`, col('predict'), ['predict', `pgml.predict('p', $1)`]),
  one(`SELECT pgml.predict('p', "odd ) name") FROM t`, OTHER, ['predict', `pgml.predict('p', "odd ) name")`]),
  one(`SELECT pgml.transform($$ {"task": ")"} $$::jsonb, ARRAY[$t$ ( $t$, ' )'])`, col('transform'), ['transform', `pgml.transform($$ {"task": ")"} $$::jsonb, ARRAY[$t$ ( $t$, ' )'])`]),
  one(`SELECT pgml.predict('p', E'it\\'s ( great', 'a''b)') AS x`, col('x'), ['predict', `pgml.predict('p', E'it\\'s ( great', 'a''b)')`]),
  one(`SELECT E'\\'', pgml.version(), 'x'`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT 'it''s', pgml.version( /* ) */ -- )\n)`, OTHER, ['version', 'pgml.version( /* ) */ -- )\n)']),
  // Simple forms with one clause too many are 'other'.
  one(`SELECT pgml.version() LIMIT 1`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT DISTINCT pgml.version()`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT pgml.version() UNION SELECT '1'`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT pgml.version(), 1`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT pgml.version()::text`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT pgml.version() INTO v`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT pgml.version() FROM t`, OTHER, ['version', 'pgml.version()']),
  one(`SELECT * FROM pgml.load_dataset('imdb') WITH ORDINALITY`, OTHER, ['load_dataset', `pgml.load_dataset('imdb')`]),
  one(`SELECT * FROM pgml.load_dataset('imdb') AS d(a, b)`, OTHER, ['load_dataset', `pgml.load_dataset('imdb')`]),
  one(`SELECT * FROM pgml.load_dataset('imdb'), t`, OTHER, ['load_dataset', `pgml.load_dataset('imdb')`]),
  one(`SELECT * FROM pgml.load_dataset('imdb') WHERE true`, OTHER, ['load_dataset', `pgml.load_dataset('imdb')`]),
  one(`SELECT table_name FROM pgml.load_dataset('imdb')`, OTHER, ['load_dataset', `pgml.load_dataset('imdb')`]),
  // Mentions of pgml that are not calls.
  one(`SELECT count(*) FROM pgml.models`, OTHER),
  one(`SELECT * FROM pgml.overview`, OTHER),
  one(`SELECT 'x'::pgml.sampling`, OTHER),
  one(`SELECT CAST('last' AS pgml.sampling), pgml_version(), xpgml.version(), "PGML".version()`, OTHER),
  one(`CREATE TABLE pgml.t (s pgml.sampling DEFAULT 'last')`, OTHER),
  one(`CREATE FUNCTION pgml.p(project text) RETURNS real LANGUAGE plpgsql AS $$ BEGIN RETURN pgml.predict(project, 1); END $$`, OTHER),
  one(`CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT pgml.version() $body$`, OTHER),
  one(`DO $$ BEGIN PERFORM pgml.version(); END $$`, OTHER),
  [`-- pgml.tune(\nSELECT 1`, [stmt('SELECT 1', OTHER)]],
  one(`SELECT /* pgml.x() /* nested */ pgml.y() */ 1`, OTHER),
  one(`SELECT 'pgml.predict(''p'', 1)', E'it\\'s pgml.version()'`, OTHER),
  one(PSQL_DF, OTHER),
  one(PSQL_DT, OTHER),
  one(PSQL_DT_TYPES, OTHER),
  one(PSQL_D_TABLE, OTHER),
  one(PSQL_SF, OTHER),
  one(PSQL_DF_PLUS, OTHER),
  // Non-ASCII text before a call: byte offsets from the parser must become string indexes.
  one(`SELECT '日本語 🙂 café' AS t, pgml.predict('p', 'naïve')`, OTHER, ['predict', `pgml.predict('p', 'naïve')`]),
  one(`SELECT pgml.embed('m', 'Ünïcödé 🙂') AS e`, col('e'), ['embed', `pgml.embed('m', 'Ünïcödé 🙂')`]),
  [`/* 🙂 */ SELECT pgml.version() -- done`, [stmt('SELECT pgml.version()', col('version'), ['version', 'pgml.version()'])]],
  [`SELECT 'é😀'; SELECT "ключ", pgml.predict('p', 'x') FROM "表";`, [stmt(`SELECT 'é😀'`, OTHER), stmt(`SELECT "ключ", pgml.predict('p', 'x') FROM "表"`, OTHER, ['predict', `pgml.predict('p', 'x')`])]],
  // Several statements in one Query message.
  [`SELECT pgml.version() ;  SELECT 1`, [stmt('SELECT pgml.version()', col('version'), ['version', 'pgml.version()']), stmt('SELECT 1', OTHER)]],
  [
    `BEGIN;\nSELECT pgml.load_dataset('imdb');\nSELECT count(*) FROM pgml.imdb;\nCOMMIT;\n`,
    [stmt('BEGIN', OTHER), stmt(`SELECT pgml.load_dataset('imdb')`, col('load_dataset'), ['load_dataset', `pgml.load_dataset('imdb')`]), stmt('SELECT count(*) FROM pgml.imdb', OTHER), stmt('COMMIT', OTHER)],
  ],
  [`SELECT 1;;SELECT * FROM pgml.load_dataset('imdb') /* c */ ; `, [stmt('SELECT 1', OTHER), stmt(`SELECT * FROM pgml.load_dataset('imdb')`, FROM, ['load_dataset', `pgml.load_dataset('imdb')`])]],
  // Empty and broken input.
  ['', []],
  ['  -- nothing but a comment\n', []],
  [`SELEC pgml.version()`, 'error'],
  [`SELECT pgml.version(`, 'error'],
  [`SELECT 'unterminated`, 'error'],
  [`SELECT pgml.version(); SELECT FROM WHERE`, 'error'],
];

function actual(sql: string, statement: ParsedStatement): Statement {
  const { shape } = statement;
  return {
    text: sql.slice(statement.start, statement.end),
    shape: shape.kind === 'select-call' ? ['select-call', shape.column] : [shape.kind],
    calls: statement.calls.map((call) => {
      const schema = sql.slice(call.schemaStart, call.schemaEnd);
      return schema === 'pgml' ? [call.fn, sql.slice(call.start, call.end)] : [call.fn, sql.slice(call.start, call.end), schema];
    }),
  };
}

describe('findPgmlCalls', () => {
  before(() => loadSqlParser());

  it('has a table of at least 60 statements', () => assert.ok(CASES.length >= 60, String(CASES.length)));

  for (const [sql, expected] of CASES) {
    it(JSON.stringify(sql.length > 90 ? `${sql.slice(0, 90)}…` : sql), () => {
      const parsed = findPgmlCalls(sql);
      if (expected === 'error') {
        assert.equal(parsed.ok, false);
        return;
      }
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      assert.deepEqual(parsed.statements.map((statement) => actual(sql, statement)), expected);
      // The select shapes point at the very call listed for the statement.
      for (const statement of parsed.statements) {
        if (statement.shape.kind !== 'other') assert.equal(statement.shape.call, statement.calls[0]);
      }
    });
  }

  it('never gives a false negative in mightCallPgml', () => {
    for (const [sql, expected] of CASES) {
      if (expected === 'error') continue;
      for (const statement of expected) {
        if (statement.calls.length === 0) continue;
        assert.ok(mightCallPgml(sql), sql);
        assert.ok(mightCallPgml(statement.text), statement.text);
      }
    }
  });

  it('reports a syntax error with the parser message', () => {
    assert.deepEqual(findPgmlCalls('SELEC 1'), { ok: false, error: 'syntax error at or near "SELEC"' });
  });

  it('refuses text the parser cannot see whole instead of throwing', () => {
    assert.equal(findPgmlCalls('SELECT pgml.version()\0; SELECT 1').ok, false);
    assert.equal(findPgmlCalls(`SELECT 'a\uD800b', pgml.version()`).ok, false);
    assert.equal(findPgmlCalls('\u00a0').ok, false);
    const deep = `SELECT ${'('.repeat(100_000)}1${')'.repeat(100_000)}`;
    assert.equal(findPgmlCalls(deep).ok, false);
  });

  it('declines trees deep enough to break the parser, which keeps working', () => {
    // Each of these exhausts the WASM stack in libpg-query 17.7.3 and would corrupt the module.
    for (const sql of [
      `SELECT ${'1+'.repeat(10_000)}pgml.version()`,
      `SELECT pgml.version()${'::text'.repeat(10_000)}`,
      `SELECT ${'(SELECT '.repeat(3000)}pgml.version()${')'.repeat(3000)}`,
      Array.from({ length: 14_000 }, (_, i) => `SELECT pgml.predict('p', ${i})`).join(' UNION ALL '),
    ]) {
      assert.equal(findPgmlCalls(sql).ok, false);
    }
    assert.equal(findPgmlCalls('SELECT pgml.version()').ok, true);
  });

  it('still parses large flat statements', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `(${i}, -${i}, pgml.predict('p', ${i}))`).join(', ');
    const or = Array.from({ length: 5000 }, (_, i) => `id = ${i}`).join(' OR ');
    const arms = Array.from({ length: 1000 }, (_, i) => `WHEN x = ${i} THEN 'v${i}'`).join(' ');
    for (const [sql, calls] of [[`INSERT INTO t VALUES ${rows}`, 5000], [`SELECT pgml.version() FROM t WHERE ${or}`, 1], [`SELECT pgml.embed('m', CASE ${arms} END)`, 1]] as const) {
      const parsed = findPgmlCalls(sql);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      assert.equal(parsed.statements[0]?.calls.length, calls);
    }
  });
});
