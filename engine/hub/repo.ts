/**
 * What names a thing on the hub: a repository (model or dataset), a revision in it, a file path.
 * The checks here keep names coming from users or from the hub's own listings from reaching
 * outside the cache folder once they become paths.
 */

export type RepoType = 'model' | 'dataset';

export interface RepoRef {
  readonly type: RepoType;
  /** `org/name`, or `name` for the hub's few un-namespaced repositories (`gpt2`, `imdb`). */
  readonly id: string;
  /** A branch, a tag, `refs/convert/parquet`, `refs/pr/1` or a commit sha; 'main' when absent. */
  readonly revision?: string;
}

export const DEFAULT_REVISION = 'main';

// huggingface_hub's REGEX_COMMIT_HASH: only a full sha is trusted as immutable.
const COMMIT_SHA = /^[0-9a-f]{40}$/;
// huggingface_hub's validate_repo_id, which also forbids '--' and '..' (they break the folder name).
const REPO_ID = /^(?:[\w.-]+\/)?[\w.-]+$/;

export function revisionOf(repo: RepoRef): string {
  return repo.revision ?? DEFAULT_REVISION;
}

export function isCommitSha(revision: string): boolean {
  return COMMIT_SHA.test(revision);
}

/** "dataset imdb at revision main": how errors and logs name a repository. */
export function describeRepo(repo: RepoRef): string {
  return `${repo.type} ${repo.id} at revision ${revisionOf(repo)}`;
}

/** Throws a TypeError for ids, revisions or paths that could not be a hub name. */
export function checkRepo(repo: RepoRef): void {
  // Callers outside TypeScript (SQL arguments, JSON) can still pass any string.
  if (!(['model', 'dataset'] as readonly string[]).includes(repo.type)) throw new TypeError(`unknown hub repository type ${JSON.stringify(repo.type)}`);
  if (!REPO_ID.test(repo.id) || repo.id.includes('--') || repo.id.includes('..') || repo.id.length > 96) {
    throw new TypeError(`${JSON.stringify(repo.id)} is not a hub repository id (expected "org/name" or "name")`);
  }
  checkRelativePath(revisionOf(repo), 'revision');
}

/** A path inside a repository: '/'-separated, relative, without '.' or '..' segments. */
export function checkRelativePath(value: string, what: string): void {
  const segments = value.split('/');
  const bad = value === '' || value.includes('\\') || value.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new TypeError(`${JSON.stringify(value)} is not a valid hub ${what}`);
}

/** `models--org--name`: huggingface_hub's repo_folder_name, from the id as given (not as renamed). */
export function repoFolderName(repo: RepoRef): string {
  return [`${repo.type}s`, ...repo.id.split('/')].join('--');
}
