/**
 * The training relation and its columns, found the way PostgreSQL itself resolves the name
 * (`to_regclass`: quoting, schema-qualified or through the caller's search_path; tables, views,
 * materialized views and foreign tables alike), on the caller's session and with their rights.
 */
import { ProxyError } from '../../proxy/errors.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { queryText } from '../store/sql.js';

export type ColumnKind = 'text' | 'integer' | 'boolean' | 'other';

export interface Column {
  readonly name: string;
  /** format_type(): `text`, `bigint`, `character varying(20)`, ... */
  readonly type: string;
  readonly kind: ColumnKind;
  readonly position: number;
}

export interface Relation {
  /** As written in SQL, schema-qualified and quoted where needed (regclass output with its schema). */
  readonly qualified: string;
  readonly columns: readonly Column[];
}

const KINDS: Readonly<Record<string, ColumnKind>> = {
  text: 'text', 'character varying': 'text', character: 'text', name: 'text', citext: 'text',
  smallint: 'integer', integer: 'integer', bigint: 'integer',
  boolean: 'boolean',
};

export async function resolveRelation(upstream: UpstreamQueries, name: string): Promise<Relation> {
  const [found] = await queryText(
    upstream,
    `SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), c.oid::text
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = pg_catalog.to_regclass($1::text)`,
    [name],
  );
  if (found === undefined) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '42P01',
      message: `relation "${name}" does not exist`,
      hint: 'Name a table or view the current user can see: schema-qualified (pgml.imdb) or on the search_path.',
    });
  }
  const rows = await queryText(
    upstream,
    `SELECT attname, pg_catalog.format_type(atttypid, atttypmod), pg_catalog.format_type(atttypid, NULL), attnum::text
       FROM pg_catalog.pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [found[1] ?? '0'],
  );
  const columns = rows.map(([column, type, base, position]): Column => ({
    name: column ?? '',
    type: type ?? '',
    kind: KINDS[base ?? ''] ?? 'other',
    position: Number(position),
  }));
  return { qualified: found[0] ?? name, columns };
}

/** The column called `name` (exactly, as a quoted identifier); PostgreSQL's error otherwise. */
export function findColumn(relation: Relation, name: string, role: string): Column {
  const column = relation.columns.find((c) => c.name === name);
  if (column !== undefined) return column;
  throw new ProxyError({
    severity: 'ERROR',
    code: '42703',
    message: `column "${name}" does not exist in ${relation.qualified}`,
    detail: `It was given as the ${role}. The relation has: ${relation.columns.map((c) => `${c.name} ${c.type}`).join(', ')}.`,
  });
}

/**
 * The text feature: `dataset_args.text_column` when given, else the one text column that is not
 * the label. Anything ambiguous is an error that lists the candidates and says how to choose.
 */
export function textColumn(relation: Relation, label: Column, requested: string | null, task = 'text classification'): Column {
  if (requested !== null) {
    const column = findColumn(relation, requested, 'text column (dataset_args.text_column)');
    if (column.kind !== 'text') throw notText(relation, column, task);
    return column;
  }
  const others = relation.columns.filter((c) => c.name !== label.name);
  const texts = others.filter((c) => c.kind === 'text');
  if (texts.length === 1 && texts[0] !== undefined) return texts[0];
  if (texts.length === 0) {
    const [first] = others;
    if (first !== undefined && others.length === 1) throw notText(relation, first, task);
    throw new ProxyError({
      severity: 'ERROR',
      code: '42804',
      message: `${relation.qualified} has no text column besides the label "${label.name}"`,
      detail: `Its columns: ${relation.columns.map((c) => `${c.name} ${c.type}`).join(', ')}.`,
      hint: `${capitalized(task)} trains on one text column; create a view that casts or builds it.`,
    });
  }
  throw new ProxyError({
    severity: 'ERROR',
    code: '42P09',
    message: `${relation.qualified} has several text columns besides the label: ${texts.map((c) => c.name).join(', ')}`,
    hint: `Name the one to train on with hyperparams => '{"dataset_args": {"text_column": "${texts[0]?.name ?? 'text'}"}}', or create a view with just that column and the label.`,
  });
}

function notText(relation: Relation, column: Column, task: string): ProxyError {
  return new ProxyError({
    severity: 'ERROR',
    code: '42804',
    message: `column "${column.name}" of ${relation.qualified} is ${column.type}, but ${task} needs a text ${task === 'text classification' ? 'feature' : 'input'}`,
    hint: `Create a view that casts it, e.g. SELECT ${column.name}::text AS ${column.name}, ... FROM ${relation.qualified}.`,
  });
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** The target of a text-to-text task: a text column. */
export function targetColumn(relation: Relation, name: string, task: string): Column {
  const column = findColumn(relation, name, 'y_column_name');
  if (column.kind === 'text') return column;
  throw new ProxyError({
    severity: 'ERROR',
    code: '42804',
    message: `target column "${name}" of ${relation.qualified} is ${column.type}; ${task} needs a text target`,
    hint: 'Create a view that gives the target as text.',
  });
}

/** Labels may be integers (class ids, Hugging Face's ClassLabel), text or boolean. */
export function labelColumn(relation: Relation, name: string): Column {
  const column = findColumn(relation, name, 'y_column_name');
  if (column.kind !== 'other') return column;
  throw new ProxyError({
    severity: 'ERROR',
    code: '42804',
    message: `label column "${name}" of ${relation.qualified} is ${column.type}; text classification needs integer, text or boolean labels`,
  });
}
