import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { findPgmlCalls, loadSqlParser } from '../../src/sql/find-calls.js';
import { mightCallPgml } from '../../src/sql/prefilter.js';

const CASES: readonly (readonly [sql: string, expected: boolean])[] = [
  ['SELECT abalance FROM pgbench_accounts WHERE aid = $1;', false],
  ['', false],
  ['SELECT pgml.version()', true],
  ['select PgMl.version()', true],
  ['SELECT "pgml".version()', true],
  ['SELECT pgml /* c */ . version()', true],
  ['SELECT pgml -- c\n.version()', true],
  ['SELECT U&"\\0070gml".version()', true],
  ['SELECT 1; SELECT pgml.version()', true],
  ["SELECT 'é🙂', pgml.version()", true],
  ['SELECT "é🙂", pgml.version()', true],
  ["SELECT $$ $a$ $$, pgml.version()", true],
  ["SELECT a$b$, pgml.version()", true], // a$b$ is an identifier, not a dollar quote
  ["SELECT $1, $2$, pgml.version()", true],
  ["SELECT E'\\'', pgml.version()", true],
  ["SELECT e'\\\\', pgml.version()", true],
  ["SELECT 'it''s', pgml.version()", true],
  ["SELECT /* /* */ pgml.x() */ pgml.version()", true],
  ['SELECT * FROM pgml.models', true], // a false positive: the parser decides
  ['SELECT 1 FROM "pgml"', false],
  ['SELECT "PGML".version()', false],
  ['SELECT pgml_version(), xpgml.version(), pgml$x.version()', false],
  ['SELECT pgml', false],
  ["SELECT 'pgml.version()'", false],
  ["SELECT E'\\'pgml.version()'", false],
  ["SELECT 'a\\', 'pgml.version()'", false], // standard strings: a backslash is just a character
  ['SELECT "pgml.version()"', false],
  ['SELECT $$pgml.version()$$', false],
  ['SELECT $fn$ $$ pgml.version() $$ $fn$', false],
  ['SELECT /* pgml.version() /* nested */ pgml.version() */ 1', false],
  ['-- pgml.version()\nSELECT 1', false],
  ['SELECT 1 -- pgml.version()', false],
  ["SELECT 'unterminated pgml.version()", false],
  ["SELECT n.nspname FROM pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.~) '^(pgml)$'", false],
  ["SELECT 'pgml.version'::pg_catalog.regproc::pg_catalog.oid", false],
];

describe('mightCallPgml', () => {
  for (const [sql, expected] of CASES) {
    it(`${JSON.stringify(sql)} → ${expected}`, () => assert.equal(mightCallPgml(sql), expected));
  }
});

// Pieces of a select list: calls, and places where pgml.x() is hidden from the grammar.
const CALLS = ['pgml.version()', 'PGML.Version()', '"pgml".embed(\'m\', \')\')', 'pgml /* . */ . predict(\'p\', E\'\\\'\')', 'pgml--c\n.version()'];
const HIDDEN = [
  "'pgml.version()'",
  "E'\\'pgml.version()'",
  "E'\\\\'",
  "'a\\'",
  '$$ pgml.version() $$',
  '$t$ $$ pgml.version() $t$',
  '"pgml.version()"',
  '/* pgml.version() /* n */ */ 1',
  '-- pgml.version()\n1',
  "'日本 🙂 é'",
  '"表"',
  'pgml_x',
  'x$pgml',
  '$1',
];

describe('mightCallPgml agrees with the parser', () => {
  before(() => loadSqlParser());

  it('on 3000 generated statements', () => {
    // A fixed-seed generator (mulberry32), so a failure reproduces.
    let seed = 0x9e3779b9;
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) % n);
    };
    const pick = (list: readonly string[]): string => list[random(list.length)] ?? '';
    for (let round = 0; round < 3000; round++) {
      const items: string[] = [];
      const calls: string[] = [];
      for (let count = 1 + random(4); count > 0; count--) {
        if (random(4) === 0) {
          const call = pick(CALLS);
          calls.push(call);
          items.push(call);
        } else items.push(pick(HIDDEN));
      }
      const sql = `SELECT ${items.join(', ')}`;
      const parsed = findPgmlCalls(sql);
      assert.ok(parsed.ok, `${sql}: ${parsed.ok ? '' : parsed.error}`);
      const found = parsed.statements.flatMap((statement) => statement.calls.map((call) => sql.slice(call.start, call.end)));
      assert.deepEqual(found, calls, sql);
      assert.equal(mightCallPgml(sql), calls.length > 0, sql);
    }
  });
});
