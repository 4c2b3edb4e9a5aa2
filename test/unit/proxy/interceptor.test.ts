import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayClaim, type Interceptor } from '../../../proxy/interceptor.js';
import { mightCallPgml } from '../../../src/sql/prefilter.js';
import { PgmlInterceptor } from '../../../src/pgml/interceptor.js';
import { TEST_SERVICES } from '../../helpers/pgml.js';

function withMarkers(markers: readonly string[] | null): Interceptor {
  return { markers, planQuery: () => null, planStatement: () => null };
}

const PGML_MARKERS = new PgmlInterceptor(TEST_SERVICES).markers;

describe('mayClaim', () => {
  const table: readonly { sql: string; claimable: boolean }[] = [
    { sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = 1', claimable: false },
    { sql: 'SELECT pgml.version()', claimable: true },
    { sql: 'select PgMl.predict(1)', claimable: true },
    { sql: 'SELECT "pgml"."version"()', claimable: true },
    { sql: 'SELECT U&"\\0070gml".version()', claimable: true },
    { sql: "SELECT 'pgm' || 'l.x'", claimable: false },
    { sql: 'SELECT ŝpgml', claimable: true },
    { sql: 'SELECT ｐｇｍｌ.version()', claimable: false }, // fullwidth letters are not the schema
  ];

  for (const { sql, claimable } of table) {
    it(`${claimable ? 'may claim' : 'never claims'} ${sql}`, () => {
      // A Query body inside a bigger buffer: only [start, end) counts.
      const body = Buffer.from(`pgml${sql}\0pgml`);
      assert.equal(mayClaim(withMarkers(PGML_MARKERS), body, 4, body.length - 4), claimable);
    });
  }

  it('is a superset of mightCallPgml: no false negatives', () => {
    for (const { sql } of table) if (mightCallPgml(sql)) assert.ok(mayClaim(withMarkers(PGML_MARKERS), Buffer.from(sql), 0, Buffer.byteLength(sql)), sql);
  });

  it('offers everything without markers and nothing with none', () => {
    const body = Buffer.from('SELECT 1');
    assert.equal(mayClaim(withMarkers(null), body, 0, body.length), true);
    assert.equal(mayClaim(withMarkers([]), body, 0, body.length), false);
  });
});
