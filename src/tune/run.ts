/**
 * pgml.tune for text classification, in PostgresML's order of events, on the caller's own
 * session: check everything that can be checked (project, relation, columns, rows, labels, split,
 * model files) before writing anything; then the project, snapshot and an `in_progress` model
 * row — committed at once when the call owns its transaction, so other sessions see it — then
 * training in an engine worker, then files, metrics, status and deployment in one transaction.
 * A failure or cancel after the model row exists leaves it `failed` and deploys nothing.
 */
import { isLocalModel, modelFolder } from '../../engine/hub/index.js';
import { HyperparamError, parseHyperparams, redactSecrets, type Hyperparams } from '../../engine/train/hyperparams.js';
import { failUpstreamTransaction } from '../../proxy/call-runner.js';
import { ProxyError } from '../../proxy/errors.js';
import { UpstreamError } from '../../proxy/upstream-queries.js';
import type { JsonValue, PgValue } from '../../proxy/protocol/pg-types.js';
import type { HandlerContext } from '../pgml/registry-types.js';
import { fromHub } from '../hub-errors.js';
import { currentDeployment, recordDeployment } from '../store/deployments.js';
import { writeModelFiles } from '../store/files.js';
import { keyMetricValue, shouldAutoDeploy, type Task } from '../store/key-metrics.js';
import { insertLog } from '../store/logs.js';
import { completeModel, insertModel, lastModelName, setModelStatus } from '../store/models.js';
import { createProject, parseTask, projectFor, taskName } from '../store/projects.js';
import { insertSnapshot, lastSnapshot, materializeSnapshot } from '../store/snapshots.js';
import { datasetSelect, readRowChunks } from './dataset.js';
import { tuneErrorOf } from './engine-errors.js';
import { planFor, type TaskColumns, type TaskPlan } from './tasks.js';
import { formatMetrics, TuneProgress } from './progress.js';
import { resolveRelation, type Relation } from './relation.js';
import type { Sampling } from '../../engine/train/split.js';
import type { TrainingJob } from '../serving/engine-host.js';

export interface TuneArgs {
  readonly projectName: string;
  readonly task: string | null;
  readonly relationName: string | null;
  readonly yColumnName: string | null;
  readonly modelName: string | null;
  readonly hyperparams: JsonValue;
  readonly testSize: number;
  readonly testSampling: Sampling;
  readonly automaticDeploy: boolean;
  readonly materializeSnapshot: boolean;
}

/** Where the rows come from: a relation named now, or the project's last snapshot. */
interface Source {
  /** The project's last snapshot, reused when relation_name is NULL (PostgresML's rule); null for a new one. */
  readonly snapshotId: bigint | null;
  readonly plan: TaskPlan;
  readonly relation: Relation;
  readonly relationName: string;
  readonly columns: TaskColumns;
  readonly testSize: number;
  readonly testSampling: Sampling;
}

export async function runTune(args: TuneArgs, context: HandlerContext): Promise<PgValue[][]> {
  const { upstream } = context;
  const notice = (message: string): void => context.notice({ message });
  const hyperparams = readHyperparams(args.hyperparams);
  const project = await projectFor(upstream, args.projectName, args.task === null ? null : parseTask(args.task));
  const source = await sourceOf(args, project, hyperparams, context);
  const modelName = args.modelName ?? (project.id === null ? null : await lastModelName(upstream, project.id));
  if (modelName === null) throw new ProxyError({ severity: 'ERROR', code: '22023', message: 'pgml.tune needs a model_name: a Hugging Face model id or a local folder', hint: "e.g. model_name => 'distilbert-base-uncased'" });
  const folder = await fetchModel(modelName, context);
  if (context.services.engine.trainingBusy) notice('waiting for another training job to finish...');
  const job = await context.services.engine.trainingJob(context.signal);
  try {
    return await train(args, { project, source, hyperparams, modelName, folder, job }, context);
  } finally {
    await job.close();
  }
}

interface Prepared {
  readonly project: Awaited<ReturnType<typeof projectFor>>;
  readonly source: Source;
  readonly hyperparams: Hyperparams;
  readonly modelName: string;
  readonly folder: string;
  readonly job: TrainingJob;
}

async function train(args: TuneArgs, prepared: Prepared, context: HandlerContext): Promise<PgValue[][]> {
  const { project, source, hyperparams, modelName, folder, job } = prepared;
  const { upstream } = context;
  const notice = (message: string): void => context.notice({ message });
  notice(`Snapshotting table "${source.relationName}", this may take a little while...`);
  const chunks = await readRowChunks(upstream, source.relation.qualified, source.columns.read);
  const split = { testSize: source.testSize, sampling: source.testSampling, seed: hyperparams.training.seed };
  const data = await fromEngine(() => source.plan.load(job, chunks, source.columns, split));
  for (const message of data.warnings ?? []) context.notice({ severity: 'WARNING', code: '01000', message });
  for (const message of data.notices) notice(message);
  if (hyperparams.unused.length > 0) notice(`pgml.tune does not use these hyperparams: ${hyperparams.unused.join(', ')}`);

  // Everything checked: from here on, rows are written.
  const projectRow = project.id === null ? await createProject(upstream, project.name, project.task) : { ...project, id: project.id };
  const snapshotId = source.snapshotId ?? (await insertSnapshot(upstream, {
    relationName: source.relationName,
    yColumnName: source.columns.label.name,
    testSize: source.testSize,
    testSampling: source.testSampling,
    columns: source.relation.columns.map((c) => ({ name: c.name, pg_type: c.type, position: c.position, label: c.name === source.columns.label.name })),
    analysis: data.analysis,
  }));
  if (args.materializeSnapshot && source.snapshotId === null) {
    await materializeSnapshot(upstream, snapshotId, datasetSelect(source.relation.qualified, source.columns.read));
  }
  const stored = { ...redactSecrets(objectOf(args.hyperparams)), model_name: modelName, project_name: projectRow.name };
  const modelId = await insertModel(upstream, { projectId: projectRow.id, snapshotId, hyperparams: stored, numFeatures: 1 });
  if (context.ownsTransaction) await upstream.sync(); // the in_progress row is visible from here on
  notice(`Tuning Model { id: ${modelId}, task: ${taskName(projectRow.task)}, algorithm: transformers, model_name: ${modelName} }`);

  const progress = new TuneProgress({ upstream, ownsTransaction: context.ownsTransaction, projectId: projectRow.id, modelId, notice });
  let deployed = false;
  try {
    const result = await fromEngine(() => source.plan.train(job, folder, hyperparams, progress.onEvent));
    await progress.flush();
    context.signal.throwIfAborted();
    const metrics = result.metrics;
    await writeModelFiles(upstream, modelId, new Map(result.files));
    await insertLog(upstream, projectRow.id, modelId, {
      step: result.steps, train_runtime: result.runtimeSeconds, train_samples_per_second: result.samplesPerSecond, train_loss: result.trainLoss, timestamp: new Date().toISOString(),
    });
    await completeModel(upstream, modelId, metrics);
    notice(`Metrics: ${formatMetrics(metrics)}`);
    deployed = args.automaticDeploy && (await deployIfBetter(context, projectRow, modelId, metrics));
    if (!args.automaticDeploy) notice('Automatic deployment disabled via configuration.');
    if (context.ownsTransaction) await upstream.sync(); // files, metrics, status and deployment commit together
  } catch (error) {
    await progress.settle(); // the session runs one statement at a time: let a progress row finish first
    await markFailed(context, projectRow.id, modelId, error);
    throw error;
  }
  if (deployed) context.services.deployments.invalidate(projectRow.name);
  return [[projectRow.name, taskName(projectRow.task), 'transformers', deployed]];
}

async function sourceOf(args: TuneArgs, project: { readonly id: bigint | null; readonly task: Task }, hyperparams: Hyperparams, context: HandlerContext): Promise<Source> {
  const plan = planFor(project.task);
  const projectId = project.id;
  let relationName = args.relationName;
  let yColumn = args.yColumnName;
  let testSize = args.testSize;
  let testSampling = args.testSampling;
  let readFrom = relationName;
  let snapshotId: bigint | null = null;
  if (relationName === null) {
    const snapshot = projectId === null ? null : await lastSnapshot(context.upstream, projectId);
    if (snapshot === null) {
      throw new ProxyError({ severity: 'ERROR', code: '22023', message: 'You must pass a `relation_name` and `y_column_name` to snapshot the first time you train a model.' });
    }
    context.notice({ message: `Using existing snapshot from ${snapshot.relationName}` });
    relationName = snapshot.relationName;
    readFrom = snapshot.materializedTable ?? snapshot.relationName;
    snapshotId = snapshot.id;
    yColumn = yColumn ?? snapshot.yColumnName;
    testSize = snapshot.testSize;
    testSampling = snapshot.testSampling as Sampling;
  }
  if (yColumn === null) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: 'You must pass a `y_column_name` when you pass a `relation_name` for a supervised task.' });
  }
  const relation = await resolveRelation(context.upstream, readFrom ?? relationName);
  const columns = plan.columns(relation, yColumn, hyperparams.dataset);
  return { plan, snapshotId, relation, relationName, columns, testSize, testSampling };
}


function readHyperparams(json: JsonValue): Hyperparams {
  try {
    return parseHyperparams(json);
  } catch (error) {
    if (error instanceof HyperparamError) throw new ProxyError({ severity: 'ERROR', code: '22023', message: `invalid hyperparams: ${error.message}` }, { cause: error });
    throw error;
  }
}

/** The model's folder: a local path as is, else the hub's files through its cache, with progress NOTICEs. */
async function fetchModel(name: string, context: HandlerContext): Promise<string> {
  if (await isLocalModel(name)) return name;
  const hub = context.services.hub();
  let last = 0;
  return fromHub('pgml.tune', () =>
    modelFolder(hub, { type: 'model', id: name }, {
      signal: context.signal,
      onProgress: (bytes, total) => {
        if (performance.now() - last < 2000 || total === 0) return;
        last = performance.now();
        context.notice({ message: `downloading ${name}: ${Math.round((100 * bytes) / total)}% of ${(total / 1e6).toFixed(0)} MB` });
      },
    }),
  );
}

async function deployIfBetter(context: HandlerContext, project: { readonly id: bigint; readonly task: Task }, modelId: bigint, metrics: Readonly<Record<string, number>>): Promise<boolean> {
  const current = await currentDeployment(context.upstream, project.id);
  const candidate = keyMetricValue(project.task, metrics);
  const live = current === null ? undefined : keyMetricValue(project.task, current.model.metrics);
  if (current !== null && !shouldAutoDeploy(project.task, candidate, live)) {
    context.notice({ message: `Not deploying newly trained model: the deployed model ${current.model.id} scores better (${live} vs ${candidate}).` });
    return false;
  }
  context.notice({ message: `Deploying model id: ${modelId}` });
  await recordDeployment(context.upstream, { projectId: project.id, modelId, strategy: 'new_score' });
  return true;
}

/**
 * Outside a transaction block the in_progress row is already committed: roll back whatever this
 * call wrote since (its group is made to fail first, so nothing half-written commits), then
 * record `failed`. Inside the caller's own transaction everything rolls back with it instead.
 */
async function markFailed(context: HandlerContext, projectId: bigint, modelId: bigint, error: unknown): Promise<void> {
  if (!context.ownsTransaction) return;
  const { upstream } = context;
  const message = context.signal.aborted ? 'canceled' : error instanceof Error ? error.message : String(error);
  // Twice at most: a cancel forwarded to the server for a progress write may land on the first try.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await failUpstreamTransaction(upstream, error);
      await upstream.sync();
      await setModelStatus(upstream, modelId, 'failed');
      await insertLog(upstream, projectId, modelId, { error: message, timestamp: new Date().toISOString() });
      await upstream.sync();
      return;
    } catch (failure) {
      if (!(failure instanceof UpstreamError && failure.code === '57014')) break;
      await upstream.sync().catch(() => undefined);
    }
  }
  // The upstream session is gone or failing: the row stays in_progress, which is all the database can know.
}

/** Runs engine work, turning the failures a caller can act on into their SQL errors (engine-errors.ts). */
async function fromEngine<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw tuneErrorOf(error) ?? error;
  }
}

function objectOf(json: JsonValue): Readonly<Record<string, unknown>> {
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
}
