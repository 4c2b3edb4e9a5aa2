import type { NoticeFields } from '../../proxy/protocol/backend.js';
import type { TransactionStatus } from '../../proxy/protocol/codes.js';
import type { JsonValue, PgType, PgValue } from '../../proxy/protocol/pg-types.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import type { Hub } from '../../engine/hub/index.js';
import type { DeployedModels } from '../serving/deployed-models.js';
import type { EngineHost } from '../serving/engine-host.js';

/**
 * How every pgml.* function is declared: once, as data. The same declaration generates the SQL
 * stub (so PostgreSQL resolves overloads, named arguments and defaults, and `\df` lists it), the
 * companion that hands the resolved arguments back as jsonb, and the dispatch to its handler.
 */

/** How an argument arrives in JavaScript once PostgreSQL has evaluated it (via jsonb). */
export type ArgKind = 'text' | 'number' | 'boolean' | 'json' | 'text[]' | 'number[]' | 'boolean[]' | 'json[]';

export interface ParamType {
  /** The SQL type as written in the function's signature. */
  readonly sql: string;
  readonly kind: ArgKind;
}

export interface Param {
  readonly name: string;
  readonly type: ParamType;
  /** SQL default expression, e.g. `NULL`, `'{}'`, `0.25`; absent means required. */
  readonly default?: string;
}

export type Returns =
  | { readonly kind: 'scalar'; readonly type: PgType; readonly setof?: boolean }
  | { readonly kind: 'table'; readonly columns: readonly { readonly name: string; readonly type: PgType }[] };

/** A resolved argument value: SQL NULL is null; arrays may be nested (multi-dimensional). */
export type ArgValue = JsonValue;

export type Args = Readonly<Record<string, ArgValue>>;

export interface HandlerContext {
  readonly signal: AbortSignal;
  readonly transactionStatus: TransactionStatus;
  /**
   * The call is alone in an implicit transaction: it may commit on `upstream` (sync()) to make
   * rows visible to other sessions while it runs. False inside BEGIN or after other statements.
   */
  readonly ownsTransaction: boolean;
  /** The caller's own upstream session: reads and writes run with the caller's privileges. */
  readonly upstream: UpstreamQueries;
  readonly services: Services;
  notice(fields: Omit<NoticeFields, 'severity' | 'code'> & { readonly severity?: string; readonly code?: string }): void;
}

/** What handlers may ask of the application around them. */
export interface Services {
  readonly proxyVersion: string;
  /** Hugging Face hub access (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, the cache). */
  readonly hub: () => Hub;
  /** The TF.js backend the engine uses (or would use), for pgml.version() and logs. */
  readonly engineBackend: () => string;
  /** The engine's worker threads: training jobs and the inference worker. */
  readonly engine: EngineHost;
  /** Which model serves each project (cached, invalidated by deployments anywhere). */
  readonly deployments: DeployedModels;
}

/**
 * A handler's result, by the overload's return shape: one value (scalar), a list of values
 * (SETOF scalar), or rows in the declared column order (TABLE).
 */
export type Output = PgValue | readonly PgValue[] | readonly (readonly PgValue[])[];

export type Handler = (args: Args, context: HandlerContext) => Promise<Output>;

export interface Overload {
  readonly params: readonly Param[];
  readonly returns: Returns;
  /** NULL in any argument → NULL out, without running the handler (PostgresML's pgrx rule). */
  readonly strict?: boolean;
  readonly handler: Handler;
}

export interface PgmlFunction {
  readonly name: string;
  /** One line for `COMMENT`-style help and errors. */
  readonly summary: string;
  readonly overloads: readonly Overload[];
}
