import { PgValueError, type PgValue } from './pg-value.js';

/** A rectangular array: its dimensions and its elements in row-major order. */
export interface ArrayShape {
  /** One length per dimension; empty for an empty array (ndim 0). */
  readonly dims: readonly number[];
  readonly items: readonly PgValue[];
}

/** MAXDIM in src/include/utils/array.h. */
const MAX_DIMENSIONS = 6;

/**
 * The shape of a nested JavaScript array, each nesting level one dimension. Element values are
 * never JavaScript arrays (bytea is a Uint8Array, json a PgJson), so nesting is unambiguous.
 * As with ARRAY[ARRAY[]::int[]], an array without elements is the empty array, whatever its
 * nesting.
 */
export function arrayShape(value: readonly PgValue[]): ArrayShape {
  const dims: number[] = [];
  let level: PgValue = value;
  while (Array.isArray(level)) {
    const items = level as readonly PgValue[];
    dims.push(items.length);
    if (dims.length > MAX_DIMENSIONS) {
      throw new PgValueError('54000', `number of array dimensions (${dims.length}) exceeds the maximum allowed (${MAX_DIMENSIONS})`);
    }
    if (items.length === 0) break;
    level = items[0] ?? null;
  }
  const items: PgValue[] = [];
  collect(value, dims, 0, items);
  return items.length === 0 ? { dims: [], items } : { dims, items };
}

function collect(value: readonly PgValue[], dims: readonly number[], depth: number, out: PgValue[]): void {
  if (value.length !== dims[depth]) throw ragged();
  const leaf = depth === dims.length - 1;
  for (const item of value) {
    if (Array.isArray(item) === leaf) throw ragged();
    if (leaf) out.push(item);
    else collect(item as readonly PgValue[], dims, depth + 1, out);
  }
}

function ragged(): PgValueError {
  return PgValueError.arrayShape('multidimensional arrays must have array expressions with matching dimensions');
}
