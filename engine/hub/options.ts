import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export interface HubOptions {
  /** Base URL of the hub, without a trailing slash. */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer`; never logged nor put in an error message. */
  readonly token: string | null;
  /** The huggingface_hub cache folder (holds `models--org--name/`, `datasets--org--name/`). */
  readonly cacheDir: string;
  /** No network at all: only what the cache holds. */
  readonly offline: boolean;
  readonly userAgent?: string;
  /** How long to wait for a response's headers (HF_HUB_ETAG_TIMEOUT; default 10 s). */
  readonly requestTimeoutMs?: number;
  /** How long a download may receive nothing before it is abandoned (HF_HUB_DOWNLOAD_TIMEOUT; default 10 s). */
  readonly downloadTimeoutMs?: number;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_TIMEOUT_MS = 10_000;

// huggingface_hub's ENV_VARS_TRUE_VALUES, compared upper-cased.
const TRUE_VALUES = new Set(['1', 'ON', 'YES', 'TRUE']);

/**
 * The options huggingface_hub itself would use under this environment (its `constants.py`), so
 * that a cache and a token set up for Python tools are found as they are.
 */
export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HubOptions {
  const home = expandHome(set(env.HF_HOME) ?? path.join(set(env.XDG_CACHE_HOME) ?? path.join(userHome(env), '.cache'), 'huggingface'), env);
  const cacheDir = expandHome(set(env.HF_HUB_CACHE) ?? set(env.HUGGINGFACE_HUB_CACHE) ?? path.join(home, 'hub'), env);
  const tokenPath = expandHome(set(env.HF_TOKEN_PATH) ?? path.join(home, 'token'), env);
  return {
    endpoint: (set(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    token: cleanToken(env.HF_TOKEN) ?? cleanToken(env.HUGGING_FACE_HUB_TOKEN) ?? tokenFromFile(tokenPath),
    cacheDir: path.resolve(cacheDir),
    offline: isTrue(set(env.HF_HUB_OFFLINE) ?? env.TRANSFORMERS_OFFLINE),
    requestTimeoutMs: seconds(env.HF_HUB_ETAG_TIMEOUT, 'HF_HUB_ETAG_TIMEOUT'),
    downloadTimeoutMs: seconds(env.HF_HUB_DOWNLOAD_TIMEOUT, 'HF_HUB_DOWNLOAD_TIMEOUT'),
  };
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toUpperCase());
}

/** An unset or empty variable counts as absent, as `os.getenv(...) or default` does in Python. */
function set(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function userHome(env: NodeJS.ProcessEnv): string {
  return set(env.HOME) ?? homedir();
}

/** Python's expanduser: only a leading `~` or `~/`. */
function expandHome(value: string, env: NodeJS.ProcessEnv): string {
  if (value === '~') return userHome(env);
  if (value.startsWith('~/')) return path.join(userHome(env), value.slice(2));
  return value;
}

// huggingface_hub's _clean_token: surrounding whitespace (the token file ends with a newline) is dropped.
function cleanToken(value: string | undefined): string | null {
  const token = value?.trim() ?? '';
  return token === '' ? null : token;
}

function tokenFromFile(file: string): string | null {
  try {
    return cleanToken(readFileSync(file, 'utf8'));
  } catch {
    return null; // no `huggingface-cli login` on this machine: anonymous access
  }
}

function seconds(value: string | undefined, name: string): number {
  if (value === undefined || value.trim() === '') return DEFAULT_TIMEOUT_MS;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new TypeError(`${name}=${value} is not a number of seconds`);
  return parsed * 1000;
}
