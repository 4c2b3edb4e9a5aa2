/**
 * The proxy's own connection to the upstream, listening on pgml_deployments so a deployment made
 * through any proxy (or straight in SQL with pg_notify) reaches this process's cache. It
 * reconnects with backoff; while it is down, nothing is cached (DeployedModels.setLive).
 */
import pg from 'pg';
import type { Logger } from '../../proxy/log.js';
import { DEPLOYMENTS_CHANNEL } from '../store/deployments.js';
import type { DeployedModels } from './deployed-models.js';

const MAX_BACKOFF_MS = 30_000;

export class DeploymentListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoff = 500;
  private timer: NodeJS.Timeout | null = null;
  /** Connections already given up on ('error' and 'end' both report the same loss). */
  private readonly gone = new WeakSet<pg.Client>();

  constructor(
    private readonly url: string,
    private readonly models: DeployedModels,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.models.setLive(false);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** stop() may have run while connect() awaited. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'pgml-proxy deployments' });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === DEPLOYMENTS_CHANNEL) this.models.invalidate(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${DEPLOYMENTS_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.isStopped()) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoff = 500;
    this.models.setLive(true);
    this.log.info('deployments.listening');
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.stopped || this.gone.has(client)) return;
    this.gone.add(client);
    this.client = null;
    this.models.setLive(false);
    void client.end().catch(() => undefined);
    this.log.warn('deployments.listener_lost', { error: error instanceof Error ? error.message : String(error), retry_ms: this.backoff });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.backoff);
    this.timer.unref();
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }
}
