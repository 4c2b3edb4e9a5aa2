/**
 * One SQL function the proxy installs in the upstream (a `pgml.*` stub or its companion),
 * as the migration runner needs it. Generated from the function registry (src/pgml/).
 */
export interface SqlFunction {
  /** What DROP/COMMENT ON FUNCTION take, e.g. `pgml.predict(project_name text, inputs text)`. */
  readonly signature: string;
  /** A complete `CREATE OR REPLACE FUNCTION ...` statement. */
  readonly create: string;
}
