import type { Hub, RepoRef } from '../../engine/hub/index.js';
import { HubError } from '../../engine/hub/index.js';
import { ProxyError } from '../../proxy/errors.js';
import { orderSplits, splitOfFile, type SplitFiles } from './splits.js';

/** The hub's Parquet conversion of every public dataset: `<config>/<split>/NNNN.parquet`. */
const PARQUET_REVISION = 'refs/convert/parquet';

export interface HubDatasetRequest {
  readonly id: string;
  readonly revision: string | null;
  /** The `subset` argument, or lang1-lang2 from kwargs (kde4-style builders). */
  readonly config: string | null;
  /** When set, only this split's files are downloaded. */
  readonly split: string | null;
  readonly signal: AbortSignal;
  progress(message: string): void;
}

/**
 * Finds a hub dataset's Parquet files for one config — from the hub's Parquet conversion, else
 * from the repo's own data files — and downloads them into the local cache (or, offline, finds
 * them there). Returns the splits with local paths, in the dataset's split order.
 */
export async function hubDataset(hub: Hub, request: HubDatasetRequest): Promise<SplitFiles[]> {
  const converted: RepoRef = { type: 'dataset', id: request.id, revision: PARQUET_REVISION };
  let files = await listOrNull(hub, converted, request.signal);
  let repo = converted;
  let configs: Map<string, Map<string, string[]>>;
  if (files !== null && files.length > 0) {
    configs = groupConverted(files);
  } else {
    repo = { type: 'dataset', id: request.id, ...(request.revision === null ? {} : { revision: request.revision }) };
    files = (await hub.listFiles(repo, undefined, request.signal)).map((f) => f.path).filter((p) => p.endsWith('.parquet'));
    configs = new Map([['default', groupBySplit(files)]]);
  }
  // One commit for every shard (and no API call per file): pin the revision once.
  const { sha } = await hub.resolveRevision(repo, request.signal);
  repo = { ...repo, revision: sha };
  const config = chooseConfig(request, configs);
  const splits = configs.get(config) ?? new Map<string, string[]>();
  const wanted = [...splits].filter(([split]) => request.split === null || split === request.split);
  const result: SplitFiles[] = [];
  for (const [split, paths] of wanted) {
    const local: string[] = [];
    for (const path of paths) local.push(await download(hub, repo, path, request));
    result.push({ split, files: local });
  }
  if (request.split !== null && result.length === 0) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '22023',
      message: `dataset ${request.id} (config ${config}) has no split "${request.split}"`,
      detail: `Its splits are: ${orderSplits([...splits.keys()].map((split) => ({ split }))).map((s) => s.split).join(', ')}.`,
    });
  }
  return orderSplits(result);
}

/** Downloads (or finds in the cache) one file, with a NOTICE every few seconds on big ones. */
async function download(hub: Hub, repo: RepoRef, path: string, request: HubDatasetRequest): Promise<string> {
  let reported = Date.now();
  return hub.download(repo, path, {
    signal: request.signal,
    onProgress: (bytes, total) => {
      const now = Date.now();
      if (now - reported < 2000) return;
      reported = now;
      request.progress(`downloading ${request.id}/${path}: ${megabytes(bytes)} of ${megabytes(total)} MB`);
    },
  });
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

async function listOrNull(hub: Hub, repo: RepoRef, signal: AbortSignal): Promise<string[] | null> {
  try {
    return (await hub.listFiles(repo, undefined, signal)).map((f) => f.path).filter((p) => p.endsWith('.parquet'));
  } catch (error) {
    // No conversion (yet): the repo's own files are the next place to look.
    if (error instanceof HubError && (error.kind === 'revision-not-found' || error.kind === 'entry-not-found')) return null;
    throw error;
  }
}

/** `<config>/<split>/0000.parquet` (and `partial-<split>` for big ones) → config → split → files. */
function groupConverted(paths: readonly string[]): Map<string, Map<string, string[]>> {
  const configs = new Map<string, Map<string, string[]>>();
  for (const path of [...paths].sort()) {
    const [config, folder] = path.split('/');
    if (config === undefined || folder === undefined) continue;
    const split = folder.replace(/^partial-/, '');
    const splits = configs.get(config) ?? new Map<string, string[]>();
    splits.set(split, [...(splits.get(split) ?? []), path]);
    configs.set(config, splits);
  }
  return configs;
}

function groupBySplit(paths: readonly string[]): Map<string, string[]> {
  const splits = new Map<string, string[]>();
  for (const path of [...paths].sort()) {
    const split = splitOfFile(path) ?? 'train';
    splits.set(split, [...(splits.get(split) ?? []), path]);
  }
  return splits;
}

function chooseConfig(request: HubDatasetRequest, configs: ReadonlyMap<string, unknown>): string {
  const names = [...configs.keys()];
  if (request.config !== null) {
    if (configs.has(request.config)) return request.config;
    throw new ProxyError({
      severity: 'ERROR',
      code: '22023',
      message: `dataset ${request.id} has no config "${request.config}"`,
      detail: `Its configs are: ${names.join(', ') || '(none)'}.`,
      hint: `Pass one as subset => '...' (or kwargs lang1/lang2 for translation datasets).`,
    });
  }
  if (names.length === 1 && names[0] !== undefined) return names[0];
  for (const usual of ['default', 'plain_text']) if (configs.has(usual)) return usual;
  throw new ProxyError({
    severity: 'ERROR',
    code: '22023',
    message: names.length === 0 ? `dataset ${request.id} has no Parquet data files` : `dataset ${request.id} has several configs; say which one to load`,
    detail: names.length === 0 ? undefined : `Its configs are: ${names.join(', ')}.`,
    hint: names.length === 0 ? undefined : `Pass one as subset => '${names[0] ?? ''}' (or kwargs lang1/lang2 for translation datasets).`,
  });
}
