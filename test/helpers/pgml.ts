import { after, before } from 'node:test';
import { PG, pgJson, type JsonValue, type PgValue } from '../../proxy/protocol/pg-types.js';
import { PgmlInterceptor } from '../../src/pgml/interceptor.js';
import { SQL } from '../../src/pgml/param-types.js';
import { PGML_FUNCTIONS } from '../../src/pgml/registry.js';
import type { PgmlFunction, Services } from '../../src/pgml/registry-types.js';
import { Hub } from '../../engine/hub/index.js';
import { jsonLogger } from '../../src/logger.js';
import { DeployedModels } from '../../src/serving/deployed-models.js';
import { DeploymentListener } from '../../src/serving/deployment-listener.js';
import { EngineHost } from '../../src/serving/engine-host.js';
import { sqlFunctions } from '../../src/pgml/sql-functions.js';
import { loadSqlParser } from '../../src/sql/find-calls.js';
import { migrateUrl } from '../../src/store/migrate.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';
import { startTestProxy, type TestProxy } from './proxy.js';

/**
 * Services for tests: no hub unless a test gives one (offline, pointing nowhere). `engine` and
 * `deployments` here are placeholders: pgmlStack gives each stack its own (workers are threads
 * that must be stopped after the file, and the listener needs the stack's PostgreSQL).
 */
export const TEST_SERVICES: Services = {
  proxyVersion: '9.9.9-test',
  engineBackend: () => 'test-backend',
  hub: () => new Hub({ endpoint: 'http://127.0.0.1:9', token: null, cacheDir: '/nonexistent/pgml-test-hub-cache', offline: true }),
  engine: new EngineHost(),
  deployments: new DeployedModels(),
};

/**
 * A function that exists only in tests: it hands back the arguments PostgreSQL resolved, so
 * tests can see positional, named and default arguments, casts and parameters arrive typed.
 * `fail` makes the handler throw; `notices` makes it send that many notices first.
 */
export const echoArgs: PgmlFunction = {
  name: 'echo_args',
  summary: 'test only: the resolved arguments as jsonb',
  overloads: [
    {
      params: [
        { name: 'project_name', type: SQL.text },
        { name: 'task', type: SQL.text, default: 'NULL' },
        { name: 'hyperparams', type: SQL.jsonb, default: `'{}'` },
        { name: 'test_size', type: SQL.real, default: '0.25' },
        { name: 'features', type: SQL.realArray, default: 'NULL' },
        { name: 'test_sampling', type: SQL.sampling, default: `'stratified'` },
      ],
      returns: { kind: 'scalar', type: PG.jsonb },
      handler: async (args, context) => {
        if (args.project_name === 'fail') throw new Error('the handler failed on purpose');
        const notices = typeof args.test_size === 'number' && args.project_name === 'notices' ? args.test_size : 0;
        for (let i = 1; i <= notices; i++) context.notice({ message: `progress ${i} of ${notices}` });
        if (args.project_name === 'wait') {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 30_000);
            context.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(context.signal.reason as Error);
            });
          });
        }
        return pgJson({ ...(args as Record<string, JsonValue>), transaction_status: context.transactionStatus });
      },
    },
    {
      params: [{ name: 'values', type: SQL.textArray }],
      returns: { kind: 'table', columns: [{ name: 'n', type: PG.int8 }, { name: 'value', type: PG.text }, { name: 'score', type: PG.float4 }] },
      strict: true,
      handler: (args) => Promise.resolve(((args.values ?? []) as string[]).map((value, i): PgValue[] => [BigInt(i + 1), value, (i + 1) / 4])),
    },
  ],
};

export interface PgmlStack {
  readonly upstream: TestPostgres;
  readonly proxy: TestProxy;
  /** What the proxy's pgml functions were given: its own engine and deployment cache. */
  readonly services: Services;
}

/**
 * Registers before/after hooks for a PostgreSQL with the pgml schema migrated in, and a proxy
 * answering pgml.* calls (the registry plus `echo_args`) in front of it.
 */
export function pgmlStack(ready: (stack: PgmlStack) => void | Promise<void>, overrides: Partial<Services> = {}): void {
  let stack: PgmlStack | null = null;
  let listener: DeploymentListener | null = null;
  before(async () => {
    const functions = [...PGML_FUNCTIONS, echoArgs];
    const upstream = await startTestPostgres();
    await migrateUrl(upstream.url, { functions: sqlFunctions(functions) });
    await loadSqlParser();
    const services: Services = { ...TEST_SERVICES, engine: new EngineHost(), deployments: new DeployedModels(), ...overrides };
    listener = new DeploymentListener(upstream.url, services.deployments, jsonLogger('silent'));
    listener.start();
    const interceptor = new PgmlInterceptor(services, functions);
    stack = { upstream, proxy: await startTestProxy({ upstreamPort: upstream.port, interceptor }), services };
    await ready(stack);
  });
  after(async () => {
    await listener?.stop();
    await stack?.proxy.close();
    await stack?.services.engine.close();
    await stack?.upstream.stop();
  });
}
