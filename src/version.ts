import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** This package's version, from package.json (dist/src/version.js sits two levels below it). */
export function proxyVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
