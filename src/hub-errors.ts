import { HubError } from '../engine/hub/index.js';
import { ProxyError } from '../proxy/errors.js';

/** SQLSTATEs for hub failures: a user sees what went wrong and what to do (the message says). */
const HUB_SQLSTATE: Readonly<Record<HubError['kind'], string>> = {
  'repo-not-found': '42704',
  'revision-not-found': '42704',
  'entry-not-found': '42704',
  unauthorized: '42501',
  'offline-missing': '58P01',
  network: '58030',
};

/** Runs hub work; a HubError becomes an ERROR with its SQLSTATE, prefixed with the function's name. */
export async function fromHub<T>(caller: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof HubError)) throw error;
    throw new ProxyError({ severity: 'ERROR', code: HUB_SQLSTATE[error.kind], message: `${caller}: ${error.message}` }, { cause: error });
  }
}
