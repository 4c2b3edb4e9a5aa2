import { ProxyError } from '../../proxy/errors.js';
import type { Handler } from './registry-types.js';

/** The handler of a function whose engine work lands in a later release: a clear 0A000. */
export function notImplemented(name: string, issue: string): Handler {
  return () =>
    Promise.reject(
      new ProxyError({
        severity: 'ERROR',
        code: '0A000',
        message: `pgml.${name}() is not implemented yet in pgml-proxy`,
        detail: `The SQL signature is in place; the ${issue} is still being built.`,
        hint: 'See the README for what this version of pgml-proxy serves.',
      }),
    );
}
