/**
 * Which model serves each project, cached per proxy process: a project's deployment is looked up
 * once on the caller's session and reused until a NOTIFY on pgml_deployments (sent in the same
 * transaction as every deployment, see store/deployments.ts) says it changed — in this proxy or
 * any other. Entries are cached only while the listener is connected (otherwise a missed
 * notification would serve an old model forever) and only from lookups outside a transaction
 * block (a deployment the caller has not committed must not reach other sessions).
 */
import { ProxyError } from '../../proxy/errors.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import type { Task } from '../store/key-metrics.js';
import { queryText } from '../store/sql.js';

export interface DeployedModel {
  readonly projectId: bigint;
  readonly projectName: string;
  readonly task: Task;
  readonly modelId: bigint;
}

export class DeployedModels {
  private readonly cache = new Map<string, DeployedModel>();
  private live = false;
  /** Bumped by every invalidation, so a lookup that raced one is not cached. */
  private generation = 0;

  async resolve(upstream: UpstreamQueries, project: string, cacheable: boolean): Promise<DeployedModel> {
    const cached = this.live ? this.cache.get(project) : undefined;
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const [row] = await queryText(
      upstream,
      `SELECT p.id, p.task::text, d.model_id
         FROM pgml.projects p
         LEFT JOIN LATERAL (SELECT model_id FROM pgml.deployments WHERE project_id = p.id ORDER BY created_at DESC, id DESC LIMIT 1) d ON true
        WHERE p.name = $1::text`,
      [project],
    );
    if (row === undefined) {
      throw new ProxyError({ severity: 'ERROR', code: '42704', message: `Project named \`${project}\` does not exist.`, hint: 'See the projects with SELECT name, task FROM pgml.projects.' });
    }
    const [id, task, modelId] = row;
    if (modelId === null || modelId === undefined) {
      throw new ProxyError({
        severity: 'ERROR',
        code: 'P0002',
        message: `No deployed model exists for the project named: \`${project}\``,
        hint: 'Train one with pgml.tune, or deploy a trained model with pgml.deploy.',
      });
    }
    const model: DeployedModel = { projectId: BigInt(id ?? '0'), projectName: project, task: task as Task, modelId: BigInt(modelId) };
    if (cacheable && this.live && generation === this.generation) this.cache.set(project, model);
    return model;
  }

  /** A deployment of `project` changed (a notification, or a deploy in this process). */
  invalidate(project: string): void {
    this.generation += 1;
    this.cache.delete(project);
  }

  /** The listener (dis)connected: notifications may have been missed, so nothing cached is trusted. */
  setLive(live: boolean): void {
    this.generation += 1;
    this.cache.clear();
    this.live = live;
  }
}
