import { ProxyError } from '../../proxy/errors.js';
import type { ArgKind, ArgValue, Args, Overload, PgmlFunction } from './registry-types.js';

/** The overload PostgreSQL chose and its arguments, typed by the declaration. */
export interface ResolvedCall {
  readonly overload: Overload;
  readonly args: Args;
}

/**
 * Reads the companion's jsonb (`{"o": overload index, "a": [values in parameter order]}`) back
 * into JavaScript values. jsonb carries numbers as numbers except NaN and ±Infinity, which
 * arrive as strings for real/double precision.
 */
export function resolveArguments(fn: PgmlFunction, json: string): ResolvedCall {
  const parsed = JSON.parse(json) as { o?: unknown; a?: unknown };
  const overload = typeof parsed.o === 'number' ? fn.overloads[parsed.o] : undefined;
  if (overload === undefined || !Array.isArray(parsed.a) || parsed.a.length !== overload.params.length) {
    throw new ProxyError({
      severity: 'ERROR',
      code: 'XX000',
      message: `pgml-proxy: the SQL functions in the database do not match this proxy's pgml.${fn.name}()`,
      hint: 'Run `npx pgml-proxy migrate` against this database (it also runs when the proxy starts).',
    });
  }
  const values = parsed.a as unknown[];
  const args: Record<string, ArgValue> = {};
  overload.params.forEach((param, i) => {
    args[param.name] = convert(values[i] ?? null, param.type.kind);
  });
  return { overload, args };
}

function convert(value: unknown, kind: ArgKind): ArgValue {
  if (value === null) return null;
  switch (kind) {
    case 'number':
      return toNumber(value);
    case 'number[]':
      return mapArray(value, toNumber);
    case 'text':
    case 'boolean':
    case 'json':
    case 'text[]':
    case 'boolean[]':
    case 'json[]':
      return value as ArgValue;
  }
}

function toNumber(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return Number(value);
}

/** Arrays may be multi-dimensional: nested JSON arrays. */
function mapArray(value: unknown, each: (v: unknown) => ArgValue): ArgValue {
  if (!Array.isArray(value)) return each(value);
  return value.map((v: unknown) => (Array.isArray(v) ? mapArray(v, each) : each(v)));
}

/** A text argument a STRICT overload received (never NULL by then). */
export function textArg(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new Error(`pgml-proxy: argument ${name} should be text, got ${JSON.stringify(value)}`);
  return value;
}

/** A text[] argument; a NULL element is the caller's error (one prediction per element). */
export function textsArg(args: Args, name: string): string[] {
  const value = args[name];
  if (!Array.isArray(value)) throw new Error(`pgml-proxy: argument ${name} should be text[], got ${JSON.stringify(value)}`);
  return value.flat(Infinity).map((item) => {
    if (typeof item === 'string') return item;
    throw new ProxyError({ severity: 'ERROR', code: '22004', message: `${name} must not contain NULL elements`, hint: 'Filter them out, e.g. with array_remove(inputs, NULL).' });
  });
}
