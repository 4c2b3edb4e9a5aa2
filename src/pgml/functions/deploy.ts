import { ProxyError } from '../../../proxy/errors.js';
import { PG, type PgValue } from '../../../proxy/protocol/pg-types.js';
import { findProject, lookupModel, recordDeployment, selectCandidate, selectionStrategy, type NewDeployment } from '../../store/deployments.js';
import { SQL } from '../param-types.js';
import type { Handler, HandlerContext, PgmlFunction, Returns } from '../registry-types.js';

const returns: Returns = {
  kind: 'table',
  columns: [
    { name: 'project', type: PG.text },
    { name: 'strategy', type: PG.text },
    { name: 'algorithm', type: PG.text },
  ],
};

/** PostgresML's deploy arguments are not Option<>s: a NULL one is the caller's mistake. */
function nullArgument(name: string): ProxyError {
  return new ProxyError({ severity: 'ERROR', code: '22004', message: `pgml.deploy: ${name} must not be NULL` });
}

async function deployModel(context: HandlerContext, deployment: NewDeployment, projectName: string): Promise<void> {
  // PostgresML says this too; the id is what pgml.deployed_models will show.
  context.notice({ message: `Deploying model id: ${deployment.modelId}` });
  await recordDeployment(context.upstream, deployment);
  // Every proxy hears of it through NOTIFY once it commits; this one needs no round trip for that.
  context.services.deployments.invalidate(projectName);
}

/** pgml.deploy(project_name, strategy, algorithm): a strategy picks the model. */
const byStrategy: Handler = async (args, context) => {
  const { project_name: name, strategy: strategyName } = args;
  if (typeof name !== 'string') throw nullArgument('project_name');
  if (typeof strategyName !== 'string') throw nullArgument('strategy');
  const strategy = selectionStrategy(strategyName);
  const project = await findProject(context.upstream, name);
  const algorithm = typeof args.algorithm === 'string' ? args.algorithm : null;
  const candidate = await selectCandidate(context.upstream, project, strategy, algorithm);
  await deployModel(context, { projectId: project.id, modelId: candidate.modelId, strategy }, project.name);
  return [[project.name, strategy, candidate.algorithm] satisfies PgValue[]];
};

/** pgml.deploy(model_id): that model, recorded with strategy `specific`. */
const byId: Handler = async (args, context) => {
  // STRICT (as PostgresML's): a NULL id never gets here.
  const modelId = BigInt(args.model_id as number);
  const model = await lookupModel(context.upstream, modelId);
  if (model === null) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '42704',
      message: `Model id ${modelId} does not exist.`,
      hint: 'See the models there are with SELECT * FROM pgml.trained_models.',
    });
  }
  if (model.status !== 'successful') {
    throw new ProxyError({
      severity: 'ERROR',
      code: '55000',
      message: `Model id ${modelId} cannot be deployed: its status is ${model.status}.`,
      detail: 'Only a model whose training succeeded can serve predictions.',
      hint: `Deploy another model of project \`${model.project.name}\`, or train a new one with pgml.tune.`,
    });
  }
  await deployModel(context, { projectId: model.project.id, modelId, strategy: 'specific' }, model.project.name);
  return [[model.project.name, 'specific', model.algorithm] satisfies PgValue[]];
};

export const deploy: PgmlFunction = {
  name: 'deploy',
  summary: "makes a model the project's live one: by id, or by strategy (best_score, most_recent, rollback)",
  overloads: [
    { params: [{ name: 'model_id', type: SQL.bigint }], returns, strict: true, handler: byId },
    {
      params: [{ name: 'project_name', type: SQL.text }, { name: 'strategy', type: SQL.strategy }, { name: 'algorithm', type: SQL.algorithm, default: 'NULL' }],
      returns,
      handler: byStrategy,
    },
  ],
};
