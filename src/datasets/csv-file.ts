import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { ProxyError } from '../../proxy/errors.js';
import { copyLine } from './copy-text.js';
import { CopyChunker, type DataFile } from './data-file.js';
import { inferredColumns, kindOfText, widen, type Inferred } from './text-inference.js';

function records(path: string): AsyncIterable<string[]> {
  return createReadStream(path).pipe(parse({ bom: true, relax_quotes: false, skip_empty_lines: true }));
}

/**
 * A CSV file with a header line. Read twice, streaming both times: once to infer the column
 * types from every value, once to copy. Empty fields are NULL, as pandas reads them.
 */
export async function openCsv(path: string): Promise<DataFile> {
  let names: string[] | null = null;
  let kinds: Inferred[] = [];
  let rows = 0;
  try {
    for await (const record of records(path)) {
      if (names === null) {
        names = record;
        kinds = record.map((): Inferred => 'none');
        continue;
      }
      if (record.length !== names.length) throw new Error(`line ${rows + 2} has ${record.length} fields, the header ${names.length}`);
      record.forEach((value, i) => {
        if (value !== '') kinds[i] = widen(kinds[i] ?? 'none', kindOfText(value));
      });
      rows++;
    }
  } catch (error) {
    throw new ProxyError({ severity: 'ERROR', code: '22P04', message: `cannot read CSV file "${path}": ${error instanceof Error ? error.message : String(error)}` });
  }
  if (names === null) throw new ProxyError({ severity: 'ERROR', code: '22P04', message: `CSV file "${path}" is empty: it needs a header line` });
  const columns = inferredColumns(names, kinds);
  const valueKinds = columns.map((c) => c.kind);
  return {
    path,
    rows,
    columns,
    async *copyChunks(limit, onRows) {
      const end = limit ?? rows;
      const chunker = new CopyChunker(onRows);
      let seen = -1; // the header
      for await (const record of records(path)) {
        if (seen++ < 0) continue;
        if (seen > end) break;
        const full = chunker.add(copyLine(valueKinds, record.map((v) => (v === '' ? null : v))));
        if (full !== null) yield full;
      }
      const rest = chunker.flush();
      if (rest !== null) yield rest;
    },
  };
}
