import { ProxyError } from '../../proxy/errors.js';
import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { queryText } from './sql.js';
import { keyMetric, type Task } from './key-metrics.js';

/**
 * Projects, models and deployments in the `pgml` schema, read and written on the caller's own
 * upstream session: the caller's privileges apply and every write joins the caller's transaction.
 */

/**
 * NOTIFY channel of every deployment; the payload is the project's name. A notification is
 * delivered only when the deploying transaction commits, so a proxy that LISTENs here drops its
 * cached model for that project exactly when the new deployment becomes visible to it.
 */
export const DEPLOYMENTS_CHANNEL = 'pgml_deployments';

/** The `pgml.strategy` labels. */
export type Strategy = 'new_score' | 'best_score' | 'most_recent' | 'rollback' | 'specific';
/** Strategies that choose a model by themselves (pgml.deploy by project name). */
export type SelectionStrategy = 'best_score' | 'most_recent' | 'rollback';
export const SELECTION_STRATEGIES: readonly SelectionStrategy[] = ['best_score', 'most_recent', 'rollback'];

export interface Project {
  readonly id: bigint;
  readonly name: string;
  readonly task: Task;
}

export interface Model {
  readonly id: bigint;
  readonly project: Project;
  readonly algorithm: string;
  /** pgml.models.status: in_progress, successful or failed. */
  readonly status: string;
  /** pgml.models.metrics as stored (null when the model has none). */
  readonly metrics: JsonValue;
}

export interface Deployment {
  readonly id: bigint;
  readonly strategy: Strategy;
  /** pgml.deployments.created_at as PostgreSQL prints it. */
  readonly deployedAt: string;
  readonly model: Model;
}

/** What a strategy chose. */
export interface Candidate {
  readonly modelId: bigint;
  readonly algorithm: string;
}

function required(value: string | null | undefined, what: string): string {
  if (value === null || value === undefined) throw new Error(`pgml-proxy: ${what} came back NULL from the pgml schema`);
  return value;
}

/** The project named `name`, or null. */
export async function lookupProject(upstream: UpstreamQueries, name: string): Promise<Project | null> {
  const [row] = await queryText(upstream, 'SELECT id, name, task::text FROM pgml.projects WHERE name = $1::text', [name]);
  if (row === undefined) return null;
  return { id: BigInt(required(row[0], 'projects.id')), name: required(row[1], 'projects.name'), task: required(row[2], 'projects.task') as Task };
}

/** The project named `name`; PostgresML's error when there is none. */
export async function findProject(upstream: UpstreamQueries, name: string): Promise<Project> {
  const project = await lookupProject(upstream, name);
  if (project !== null) return project;
  throw new ProxyError({
    severity: 'ERROR',
    code: '42704',
    message: `Project named \`${name}\` does not exist.`,
    hint: `Create it by training a model: SELECT * FROM pgml.tune('${name.replaceAll("'", "''")}', task => ..., relation_name => ..., y_column_name => ..., model_name => ...);`,
  });
}

const MODEL_COLUMNS = 'm.id, m.algorithm, m.status, m.metrics::text, p.id, p.name, p.task::text';

function modelFrom(row: readonly (string | null)[], offset: number): Model {
  const at = (i: number, what: string): string => required(row[offset + i], what);
  const metrics = row[offset + 3] ?? null;
  return {
    id: BigInt(at(0, 'models.id')),
    algorithm: at(1, 'models.algorithm'),
    status: at(2, 'models.status'),
    metrics: metrics === null ? null : (JSON.parse(metrics) as JsonValue),
    project: { id: BigInt(at(4, 'projects.id')), name: at(5, 'projects.name'), task: at(6, 'projects.task') as Task },
  };
}

/** The model with this id and its project, or null. */
export async function lookupModel(upstream: UpstreamQueries, modelId: bigint): Promise<Model | null> {
  const [row] = await queryText(
    upstream,
    `SELECT ${MODEL_COLUMNS} FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE m.id = $1::bigint`,
    [String(modelId)],
  );
  return row === undefined ? null : modelFrom(row, 0);
}

/** The project's live model: its latest deployment by created_at, then id (as the views say). */
export async function currentDeployment(upstream: UpstreamQueries, projectId: bigint): Promise<Deployment | null> {
  const [row] = await queryText(
    upstream,
    `SELECT d.id, d.strategy::text, d.created_at::text, ${MODEL_COLUMNS}
       FROM pgml.deployments d
       JOIN pgml.models m ON m.id = d.model_id
       JOIN pgml.projects p ON p.id = d.project_id
      WHERE d.project_id = $1::bigint
      ORDER BY d.created_at DESC, d.id DESC
      LIMIT 1`,
    [String(projectId)],
  );
  if (row === undefined) return null;
  return {
    id: BigInt(required(row[0], 'deployments.id')),
    strategy: required(row[1], 'deployments.strategy') as Strategy,
    deployedAt: required(row[2], 'deployments.created_at'),
    model: modelFrom(row, 3),
  };
}

/** `strategy` as one pgml.deploy(project_name, ...) can use; `new_score`/`specific` are 22023. */
export function selectionStrategy(strategy: string): SelectionStrategy {
  const found = SELECTION_STRATEGIES.find((s) => s === strategy);
  if (found !== undefined) return found;
  throw new ProxyError({
    severity: 'ERROR',
    code: '22023',
    message: `invalid strategy "${strategy}" for pgml.deploy`,
    detail: `Valid strategies are ${SELECTION_STRATEGIES.join(', ')}.`,
    hint: 'To deploy one particular model, call pgml.deploy(model_id); pgml.tune records new_score deployments itself.',
  });
}

/** A model's key metric as a number; anything else in the JSON (absent, null, text) is NULL. */
const SCORE = `CASE WHEN jsonb_typeof(m.metrics -> $3::text) = 'number' THEN (m.metrics ->> $3::text)::float8 END`;

/**
 * The model `strategy` picks for `project`, among models of `algorithm` when it is given:
 * - best_score: the best key metric, compared as numbers (PostgresML compares the JSON text,
 *   where '0.9' beats '1'), models without it last, ties to the newest;
 * - most_recent: the newest;
 * - rollback: the most recently deployed model other than the live one, so two rollbacks in a
 *   row toggle between the last two.
 * Only models whose training succeeded qualify.
 */
export async function selectCandidate(upstream: UpstreamQueries, project: Project, strategy: SelectionStrategy, algorithm: string | null): Promise<Candidate> {
  const values = [String(project.id), algorithm];
  const restrict = `m.project_id = $1::bigint AND m.status = 'successful' AND ($2::text IS NULL OR m.algorithm = $2::text)`;
  let sql: string;
  switch (strategy) {
    case 'best_score': {
      const metric = keyMetric(project.task);
      values.push(metric.name);
      sql = `SELECT m.id, m.algorithm FROM pgml.models m WHERE ${restrict}
              ORDER BY ${SCORE} ${metric.higherIsBetter ? 'DESC' : 'ASC'} NULLS LAST, m.created_at DESC, m.id DESC LIMIT 1`;
      break;
    }
    case 'most_recent':
      sql = `SELECT m.id, m.algorithm FROM pgml.models m WHERE ${restrict} ORDER BY m.created_at DESC, m.id DESC LIMIT 1`;
      break;
    case 'rollback':
      sql = `SELECT m.id, m.algorithm
               FROM pgml.deployments d JOIN pgml.models m ON m.id = d.model_id
              WHERE d.project_id = $1::bigint AND ${restrict}
                AND m.id IS DISTINCT FROM (SELECT model_id FROM pgml.deployments WHERE project_id = $1::bigint ORDER BY created_at DESC, id DESC LIMIT 1)
              ORDER BY d.created_at DESC, d.id DESC LIMIT 1`;
      break;
  }
  const [row] = await queryText(upstream, sql, values);
  if (row !== undefined) return { modelId: BigInt(required(row[0], 'models.id')), algorithm: required(row[1], 'models.algorithm') };
  throw noQualifiedModel(project, strategy, algorithm);
}

function noQualifiedModel(project: Project, strategy: SelectionStrategy, algorithm: string | null): ProxyError {
  const models = algorithm === null ? 'successfully trained model' : `successfully trained ${algorithm} model`;
  const detail =
    strategy === 'rollback'
      ? `Project \`${project.name}\` has no ${models} that was deployed before its current one.`
      : `Project \`${project.name}\` has no ${models}.`;
  return new ProxyError({
    severity: 'ERROR',
    code: 'P0002',
    message: 'No qualified models exist for this deployment.',
    detail,
    hint:
      strategy === 'rollback'
        ? 'Rollback returns to a model deployed earlier; deploy another model first (pgml.deploy with best_score, most_recent or a model id).'
        : 'Train one with pgml.tune, or see the project’s models with SELECT * FROM pgml.trained_models.',
  });
}

export interface NewDeployment {
  readonly projectId: bigint;
  readonly modelId: bigint;
  readonly strategy: Strategy;
}

/**
 * Makes `modelId` the project's live model and announces it on DEPLOYMENTS_CHANNEL. One statement,
 * so the row and the notification are one unit: both take effect when the caller's transaction
 * commits, and neither if it rolls back. Returns the new pgml.deployments id.
 */
export async function recordDeployment(upstream: UpstreamQueries, deployment: NewDeployment): Promise<bigint> {
  const [row] = await queryText(
    upstream,
    `WITH d AS (
       INSERT INTO pgml.deployments (project_id, model_id, strategy) VALUES ($1::bigint, $2::bigint, $3::text::pgml.strategy)
       RETURNING id, project_id
     )
     SELECT d.id, pg_catalog.pg_notify($4::text, p.name) FROM d JOIN pgml.projects p ON p.id = d.project_id`,
    [String(deployment.projectId), String(deployment.modelId), deployment.strategy, DEPLOYMENTS_CHANNEL],
  );
  return BigInt(required(row?.[0], 'deployments.id'));
}
