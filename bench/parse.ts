/**
 * SQL call-finding benchmark: what the pre-filter adds to every relayed statement that does not
 * call pgml (target: well under 1 µs), and what the full path (pre-filter + libpg-query parse +
 * locating calls) costs for statements that do. Each figure is a median over rounds, printed
 * beside baselines measured in the same run on the same text: `indexOf('pgml')`,
 * `Buffer.byteLength`, and decoding the statement's UTF-8 bytes, which the proxy must do anyway
 * to look at a Query message's text.
 *
 *   npm run build && node dist/bench/parse.js [--rounds 7] [--round-ms 40]
 */
import { parseArgs } from 'node:util';
import { findPgmlCalls, loadSqlParser } from '../src/sql/find-calls.js';
import { mightCallPgml } from '../src/sql/prefilter.js';
import { median } from './common.js';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'round-ms': { type: 'string', default: '40' },
  },
});
const rounds = Number(flags.rounds);
const roundMs = Number(flags['round-ms']);
if (!Number.isSafeInteger(rounds) || rounds < 1 || !(roundMs > 0)) throw new Error('--rounds must be ≥ 1 and --round-ms > 0');

/** An ORM-style query of about 2 KB: quoted identifiers, parameters, joins, no pgml. */
function ormQuery(): string {
  const columns = ['id', 'email', 'display_name', 'created_at', 'updated_at', 'status', 'plan_id', 'last_login_at'];
  const select = columns.map((c) => `"users"."${c}" AS "users__${c}"`).join(', ');
  const orders = ['id', 'user_id', 'total_cents', 'currency', 'placed_at'].map((c) => `"orders"."${c}" AS "orders__${c}"`).join(', ');
  let sql = `SELECT ${select}, ${orders} FROM "public"."users" AS "users" LEFT OUTER JOIN "public"."orders" AS "orders" ON "orders"."user_id" = "users"."id" WHERE "users"."status" = $1 AND "users"."deleted_at" IS NULL`;
  for (let n = 2; sql.length < 1950; n++) sql += ` AND ("users"."flag_${n}" = $${n} OR "orders"."note_${n}" ILIKE '%' || $${n} || '%')`;
  return `${sql} ORDER BY "users"."created_at" DESC LIMIT 50 OFFSET 0`;
}

const PLAIN: readonly (readonly [string, string])[] = [
  ['pgbench select', 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;'],
  ['pgbench update', 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;'],
  ['ORM query (2 KB)', ormQuery()],
  [
    'psql \\dt',
    `SELECT n.nspname as "Schema",\n  c.relname as "Name",\n  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",\n  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam\nWHERE c.relkind IN ('r','p','')\n      AND n.nspname <> 'pg_catalog'\n      AND n.nspname !~ '^pg_toast'\n      AND n.nspname <> 'information_schema'\n  AND pg_catalog.pg_table_is_visible(c.oid)\nORDER BY 1,2;`,
  ],
  [
    // Mentions pgml inside a string, so it takes the lexing path and must still say no.
    'psql \\df pgml.*',
    `SELECT n.nspname as "Schema",\n  p.proname as "Name",\n  pg_catalog.pg_get_function_result(p.oid) as "Result data type",\n  pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",\n CASE p.prokind\n  WHEN 'a' THEN 'agg'\n  WHEN 'w' THEN 'window'\n  WHEN 'p' THEN 'proc'\n  ELSE 'func'\n END as "Type"\nFROM pg_catalog.pg_proc p\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\nWHERE n.nspname OPERATOR(pg_catalog.~) '^(pgml)$' COLLATE pg_catalog.default\nORDER BY 1, 2, 4;`,
  ],
];

const WITH_CALLS: readonly (readonly [string, string])[] = [
  ['pgml.version()', 'SELECT pgml.version();'],
  ['predict, one row', "SELECT pgml.predict('IMDB Review Sentiment', 'I love this movie') AS sentiment;"],
  ['predict over a table', "SELECT id, pgml.predict('IMDB Review Sentiment', review) FROM pgml.imdb WHERE id < $1 ORDER BY id;"],
  [
    'tune (named args)',
    `SELECT pgml.tune('IMDB Review Sentiment', task => 'text-classification', relation_name => 'pgml.imdb', y_column_name => 'label', model_name => 'distilbert-base-uncased', hyperparams => '{"learning_rate": 2e-5}');`,
  ],
  ['non-ASCII, 2 statements', "SELECT 'café 🙂 日本語'; SELECT * FROM pgml.load_dataset('kde4', kwargs => '{\"lang1\": \"en\", \"lang2\": \"es\"}');"],
];

let sink = 0;

/** Median ns per call of `fn` over the rounds, each round sized to take about --round-ms. */
function measure(fn: () => unknown): number {
  let iterations = 1;
  // Calibrate (which also warms up): double until one batch takes a tenth of a round.
  for (;;) {
    const took = time(fn, iterations);
    if (took > roundMs * 1e5 || iterations > 1e8) {
      iterations = Math.max(1, Math.round((iterations * roundMs * 1e6) / took));
      break;
    }
    iterations *= 2;
  }
  const perCall: number[] = [];
  for (let round = 0; round < rounds; round++) perCall.push(time(fn, iterations) / iterations);
  return median(perCall);
}

function time(fn: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) if (fn() !== false) sink++;
  return Number(process.hrtime.bigint() - start);
}


interface Baselines {
  readonly indexOf: number;
  readonly byteLength: number;
  readonly decode: number;
}

function baselines(sql: string): Baselines {
  const bytes = Buffer.from(sql);
  return {
    indexOf: measure(() => sql.indexOf('pgml')),
    byteLength: measure(() => Buffer.byteLength(sql)),
    decode: measure(() => bytes.toString('utf8')),
  };
}

const ns = (value: number): string => (value < 10_000 ? `${value.toFixed(1)} ns` : `${(value / 1000).toFixed(1)} µs`).padStart(11);
const header = (first: string): string =>
  `${first.padEnd(26)}${'bytes'.padStart(6)}${'measured'.padStart(11)}${'indexOf'.padStart(11)}${'byteLength'.padStart(11)}${'decode'.padStart(11)}${'÷ decode'.padStart(10)}`;

function row(name: string, sql: string, value: number, base: Baselines): string {
  const ratio = value / base.decode;
  return `${name.padEnd(26)}${String(Buffer.byteLength(sql)).padStart(6)}${ns(value)}${ns(base.indexOf)}${ns(base.byteLength)}${ns(base.decode)}${ratio.toFixed(ratio < 10 ? 2 : 0).padStart(10)}`;
}

/** A flat string as decoding a Query message gives, not the rope that `+=` builds. */
const flat = (sql: string): string => Buffer.from(sql).toString('utf8');

async function main(): Promise<void> {
  await loadSqlParser();
  // Let V8 tier up libpg-query's WASM before anything is timed, so the first row is not penalised.
  for (const deadline = Date.now() + 1000; Date.now() < deadline; ) for (const [, sql] of WITH_CALLS) findPgmlCalls(sql);
  console.log(`median ns per statement over ${rounds} rounds of ~${roundMs} ms; "decode" is Buffer#toString('utf8') of the statement\n`);
  console.log('(a) mightCallPgml on statements without pgml calls');
  console.log(header('statement'));
  const prefilterMedians: number[] = [];
  for (const [name, text] of PLAIN) {
    const sql = flat(text);
    if (mightCallPgml(sql)) throw new Error(`pre-filter said yes to ${name}`);
    const value = measure(() => mightCallPgml(sql));
    prefilterMedians.push(value);
    console.log(row(name, sql, value, baselines(sql)));
  }
  console.log(`  worst median: ${ns(Math.max(...prefilterMedians)).trim()} (target < 1 µs)\n`);

  console.log('(b) full path on statements with pgml calls: mightCallPgml + findPgmlCalls');
  console.log(header('statement'));
  for (const [name, text] of WITH_CALLS) {
    const sql = flat(text);
    const parsed = findPgmlCalls(sql);
    if (!parsed.ok || parsed.statements.every((s) => s.calls.length === 0)) throw new Error(`no call found in ${name}`);
    const value = measure(() => mightCallPgml(sql) && findPgmlCalls(sql));
    console.log(row(name, sql, value, baselines(sql)));
  }
  if (sink === 0) console.log(''); // keeps the measured results observable to the optimiser
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
