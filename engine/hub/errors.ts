import { describeRepo, type RepoRef } from './repo.js';

export type HubErrorKind =
  | 'repo-not-found'
  | 'revision-not-found'
  | 'entry-not-found'
  | 'unauthorized'
  | 'offline-missing'
  | 'network';

/** What every message needs to tell the user where to look next. */
export interface HubErrorContext {
  readonly repo: RepoRef;
  /** The file or folder inside the repository, when the failure concerns one. */
  readonly path?: string;
  readonly endpoint: string;
  readonly cacheDir: string;
  readonly hadToken: boolean;
}

/**
 * A hub failure a user can act on. Built only by the named constructors below, whose messages
 * name the repository and file and say what to do next. Messages never contain the token: they
 * are made from the context above, which does not hold it.
 */
export class HubError extends Error {
  override readonly name = 'HubError';

  private constructor(
    readonly kind: HubErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static repoNotFound(context: HubErrorContext): HubError {
    const hint = context.hadToken
      ? 'check the id, and that the account of HF_TOKEN can read it'
      : 'check the id; a private or gated repository also needs HF_TOKEN';
    return new HubError('repo-not-found', `${where(context)}: repository not found at ${context.endpoint} (${hint})`);
  }

  static revisionNotFound(context: HubErrorContext): HubError {
    return new HubError('revision-not-found', `${where(context)}: the revision does not exist (use a branch, a tag or a commit sha of the repository)`);
  }

  static entryNotFound(context: HubErrorContext): HubError {
    return new HubError('entry-not-found', `${where(context)}: no such file or folder in the repository`);
  }

  static unauthorized(context: HubErrorContext, status: number, gated: boolean): HubError {
    const hint = gated
      ? "the repository is gated: accept its conditions on its hub page with the account of HF_TOKEN"
      : context.hadToken
        ? 'HF_TOKEN was refused: set a valid token with read access, or accept the repository\'s conditions on its hub page'
        : 'set HF_TOKEN (or log in with `huggingface-cli login`) and accept the repository\'s conditions on its hub page';
    return new HubError('unauthorized', `${where(context)}: access denied by ${context.endpoint} (HTTP ${status}); ${hint}`);
  }

  static offlineMissing(context: HubErrorContext, what: string): HubError {
    return new HubError(
      'offline-missing',
      `${where(context)}: ${what} is not in the hub cache ${context.cacheDir} and HF_HUB_OFFLINE is set; ` +
        'run once online (without HF_HUB_OFFLINE) to download it, or copy a huggingface_hub cache there (HF_HUB_CACHE / HF_HOME)',
    );
  }

  static network(context: HubErrorContext, problem: string, cause?: unknown): HubError {
    return new HubError(
      'network',
      `${where(context)}: ${problem}; check HF_ENDPOINT (now ${context.endpoint}) and the network, ` +
        `or set HF_HUB_OFFLINE=1 to use what is already in the cache ${context.cacheDir}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

function where(context: HubErrorContext): string {
  const file = context.path === undefined || context.path === '' ? '' : `, file ${context.path}`;
  return `${describeRepo(context.repo)}${file}`;
}
