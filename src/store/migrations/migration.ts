/** One versioned step of the upstream schema. Applied once, in version order, never edited after release. */
export interface Migration {
  /** Recorded in pgml_proxy.migrations; strictly increasing. */
  readonly version: number;
  /** A short label for logs and pgml_proxy.migrations.name. */
  readonly name: string;
  /** One or more statements, run in the migration transaction through the simple query protocol. */
  readonly sql: string;
}
