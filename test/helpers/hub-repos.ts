import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/*
 * The repositories a fake hub serves, read once from a folder laid out as
 *   <root>/<datasets|models>/<repo id>/<url-encoded revision>/<path in repo>   and   <root>/aliases.json
 * with the identifiers the real hub derives from them: commit shas, git blob oids, LFS sha256s.
 */

export type RepoType = 'dataset' | 'model';

export interface LfsInfo {
  readonly oid: string;
  readonly size: number;
  readonly pointerSize: number;
}

export interface RepoFile {
  readonly path: string;
  readonly bytes: Buffer;
  /** The git blob sha1: of the content, or for an LFS file of its pointer file. */
  readonly oid: string;
  readonly lfs: LfsInfo | null;
}

export interface Revision {
  readonly name: string;
  readonly sha: string;
  readonly files: ReadonlyMap<string, RepoFile>;
}

export interface Repo {
  readonly type: RepoType;
  readonly id: string;
  readonly revisions: ReadonlyMap<string, Revision>;
}

export interface TreeEntry {
  readonly type: 'file' | 'directory';
  readonly oid: string;
  readonly size: number;
  readonly path: string;
  readonly lfs?: LfsInfo;
}

const FOLDERS: Readonly<Record<RepoType, string>> = { dataset: 'datasets', model: 'models' };

const sha1 = (data: string | Buffer): string => createHash('sha1').update(data).digest('hex');

/** A fixed commit per repo and revision, so a cache filled in one run matches the next. */
export function commitSha(type: RepoType, id: string, revision: string): string {
  return sha1(`${type}:${id}@${revision}`);
}

// git hashes a blob as "blob <size>\0<content>".
function gitBlobOid(content: Buffer): string {
  return sha1(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]));
}

/** Which paths `.gitattributes` sends to LFS (`<glob> filter=lfs ...`; a glob without `/` matches the basename). */
function lfsMatcher(gitattributes: Buffer | undefined): (file: string) => boolean {
  const patterns = (gitattributes?.toString('utf8') ?? '')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([glob, ...attributes]) => glob !== undefined && glob !== '' && !glob.startsWith('#') && attributes.includes('filter=lfs'))
    .map(([glob = '']) => {
      const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
      return { regex: new RegExp(`^${source}$`), basename: !glob.includes('/') };
    });
  return (file) => patterns.some(({ regex, basename }) => regex.test(basename ? path.posix.basename(file) : file));
}

function repoFile(file: string, bytes: Buffer, isLfs: boolean): RepoFile {
  if (!isLfs) return { path: file, bytes, oid: gitBlobOid(bytes), lfs: null };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.length}\n`);
  return { path: file, bytes, oid: gitBlobOid(pointer), lfs: { oid: sha256, size: bytes.length, pointerSize: pointer.length } };
}

function readTree(dir: string, prefix = ''): [string, Buffer][] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry): [string, Buffer][] => {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return readTree(full, relative);
      return entry.isFile() ? [[relative, readFileSync(full)]] : [];
    });
}

function readRevision(type: RepoType, id: string, dir: string, name: string): Revision {
  const contents = readTree(dir);
  const isLfs = lfsMatcher(contents.find(([file]) => file === '.gitattributes')?.[1]);
  const files = new Map(contents.map(([file, bytes]) => [file, repoFile(file, bytes, isLfs(file))]));
  return { name, sha: commitSha(type, id, name), files };
}

function subfolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export class HubRepos {
  private constructor(
    private readonly repos: ReadonlyMap<string, Repo>,
    private readonly aliases: Readonly<Record<RepoType, ReadonlyMap<string, string>>>,
  ) {}

  static load(root: string): HubRepos {
    const repos = new Map<string, Repo>();
    for (const type of ['dataset', 'model'] as const) {
      const base = path.join(root, FOLDERS[type]);
      for (const owner of subfolders(base)) {
        for (const name of subfolders(path.join(base, owner))) {
          const id = `${owner}/${name}`;
          const revisions = new Map<string, Revision>();
          for (const folder of subfolders(path.join(base, owner, name))) {
            const revision = decodeURIComponent(folder);
            revisions.set(revision, readRevision(type, id, path.join(base, owner, name, folder), revision));
          }
          repos.set(`${type}:${id}`, { type, id, revisions });
        }
      }
    }
    // aliases.json and model-aliases.json map legacy ids (the hub's renames) to canonical ones.
    const aliases = (file: string): Map<string, string> => {
      const full = path.join(root, file);
      return new Map(Object.entries(existsSync(full) ? (JSON.parse(readFileSync(full, 'utf8')) as Record<string, string>) : {}));
    };
    return new HubRepos(repos, { dataset: aliases('aliases.json'), model: aliases('model-aliases.json') });
  }

  repo(type: RepoType, id: string): Repo | undefined {
    return this.repos.get(`${type}:${id}`);
  }

  /** The canonical id a legacy id redirects to. */
  canonical(type: RepoType, id: string): string | undefined {
    return this.aliases[type].get(id);
  }
}

/** A revision by branch/ref name or by its commit sha (clients pin downloads to the sha). */
export function findRevision(repo: Repo, name: string): Revision | undefined {
  return repo.revisions.get(name) ?? [...repo.revisions.values()].find((revision) => revision.sha === name);
}

/**
 * Splits decoded URL segments into a revision and the rest. The revision is normally one
 * url-encoded segment (`refs%2Fconvert%2Fparquet`), but the hub also accepts it unencoded.
 */
export function splitRevision(repo: Repo, segments: readonly string[]): { revision: Revision; rest: string[] } | { missing: string } {
  for (let count = 1; count <= segments.length; count++) {
    const revision = findRevision(repo, segments.slice(0, count).join('/'));
    if (revision !== undefined) return { revision, rest: segments.slice(count) };
  }
  return { missing: segments[0] ?? '' };
}

/** `GET /api/.../tree/{revision}/{dir}` entries; null when `dir` is not a folder of the revision. */
export function treeEntries(revision: Revision, dir: string, recursive: boolean): TreeEntry[] | null {
  const prefix = dir === '' ? '' : `${dir}/`;
  const below = [...revision.files.values()].filter((file) => file.path.startsWith(prefix));
  if (dir !== '' && below.length === 0) return null;
  const entries = new Map<string, TreeEntry>();
  const folderFiles = new Map<string, RepoFile[]>();
  for (const file of below) {
    const parts = file.path.slice(prefix.length).split('/');
    // Every folder between `dir` and the file (only the first one when not recursive).
    for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) {
      const folder = prefix + parts.slice(0, depth).join('/');
      folderFiles.set(folder, [...(folderFiles.get(folder) ?? []), file]);
    }
    if (recursive || parts.length === 1) {
      const { path: filePath, oid, lfs, bytes } = file;
      entries.set(filePath, { type: 'file', oid, size: bytes.length, path: filePath, ...(lfs === null ? {} : { lfs }) });
    }
  }
  for (const [folder, files] of folderFiles) {
    // A stand-in for the git tree oid: stable, and changes when anything inside changes.
    const oid = sha1(files.map((f) => `${f.path} ${f.oid}`).join('\n'));
    entries.set(folder, { type: 'directory', oid, size: 0, path: folder });
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// The hub's timestamps are not part of what clients check; a fixed one keeps answers reproducible.
const FIXED_DATE = '2024-01-01T00:00:00.000Z';

/** `GET /api/{datasets|models}/{id}[/revision/{rev}]` (huggingface_hub `dataset_info`/`model_info`). */
export function repoInfo(repo: Repo, revision: Revision): Record<string, unknown> {
  const files = [...revision.files.values()];
  return {
    _id: revision.sha.slice(0, 24),
    id: repo.id,
    ...(repo.type === 'model' ? { modelId: repo.id } : {}),
    author: repo.id.split('/')[0],
    sha: revision.sha,
    lastModified: FIXED_DATE,
    createdAt: FIXED_DATE,
    private: false,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: [],
    siblings: files.map((file) => ({ rfilename: file.path })),
    usedStorage: files.reduce((total, file) => total + file.bytes.length, 0),
  };
}

/** `GET /api/.../refs` (huggingface_hub `list_repo_refs`): where `refs/convert/parquet` shows up. */
export function repoRefs(repo: Repo): Record<string, unknown> {
  const revisions = [...repo.revisions.values()];
  const ref = (name: string, fullRef: string, sha: string): Record<string, string> => ({ name, ref: fullRef, targetCommit: sha });
  return {
    branches: revisions.filter((r) => !r.name.startsWith('refs/')).map((r) => ref(r.name, `refs/heads/${r.name}`, r.sha)),
    converts: revisions.filter((r) => r.name.startsWith('refs/convert/')).map((r) => ref(r.name.slice('refs/convert/'.length), r.name, r.sha)),
    tags: [],
  };
}

export const CONVERT_REVISION = 'refs/convert/parquet';
const SHARD = /^([^/]+)\/([^/]+)\/(\d{4})\.parquet$/;

/** The dataset viewer's conversion as config → split → shard numbers; null when there is none. */
export function parquetShards(repo: Repo): Map<string, Map<string, number[]>> | null {
  const convert = repo.revisions.get(CONVERT_REVISION);
  if (convert === undefined) return null;
  const configs = new Map<string, Map<string, number[]>>();
  for (const file of convert.files.keys()) {
    const match = SHARD.exec(file);
    if (match === null) continue;
    const [, config = '', split = '', shard = '0'] = match;
    const splits = configs.get(config) ?? new Map<string, number[]>();
    splits.set(split, [...(splits.get(split) ?? []), Number(shard)]);
    configs.set(config, splits);
  }
  return configs;
}
