import type { Migration } from './migration.js';

/**
 * Tables, views and types this migration creates in `pgml`. A `pgml` schema that already holds
 * one of them but was not created by pgml-proxy is someone else's, and is not touched.
 */
export const pgmlObjectNames: readonly string[] = [
  'task',
  'algorithm',
  'sampling',
  'strategy',
  'runtime',
  'search',
  'status',
  'projects',
  'snapshots',
  'models',
  'deployments',
  'files',
  'logs',
  'overview',
  'trained_models',
  'deployed_models',
];

/**
 * PostgresML's schema as a fresh install of the extension (2.10) has it: pgml-extension/sql/schema.sql
 * plus the tables and columns its upgrade scripts changed (snapshots.y_column_name and
 * models.snapshot_id nullable, pgml.logs from pgml--2.8.2--2.8.3.sql). Enum labels are pgrx's, in
 * the Rust declaration order (orm/*.rs), so `ORDER BY task` sorts as there.
 *
 * Deliberate differences, none visible in a column list:
 * - pgml.task has underscore labels only, as a fresh PostgresML install. "Either spelling" in
 *   PostgresML applies to the text `task` argument of pgml.train/tune (parsed by Task::from_str),
 *   not to the enum; a hyphenated alias label would make two distinct values of one task, which
 *   breaks `WHERE task = 'text_classification'` and GROUP BY. (Upgraded PostgresML installs carry
 *   a stray 'text-pair-classification' label that its own code never writes.)
 * - No updated_at trigger on pgml.deployments: it has no updated_at column, so PostgresML's
 *   trigger there would make every UPDATE of a deployment fail.
 * - deployments_project_id_created_at_idx covers (project_id, created_at), as its name says, to
 *   serve "latest deployment per project"; the DISTINCT ON subqueries break created_at ties by id.
 * - Ids are plain bigserial (PostgresML's cloud build switched to a snowflake extension).
 */
const sql = `
CREATE SCHEMA IF NOT EXISTS pgml;
CREATE SCHEMA IF NOT EXISTS pgml_proxy;

-- pgml-proxy's own bookkeeping.
CREATE TABLE pgml_proxy.migrations (
  version int PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE pgml_proxy.generated (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz
);

CREATE TYPE pgml.task AS ENUM (
  'regression', 'classification', 'decomposition', 'clustering', 'question_answering',
  'summarization', 'translation', 'text_classification', 'text_generation', 'text2text',
  'embedding', 'text_pair_classification', 'conversation'
);
CREATE TYPE pgml.algorithm AS ENUM (
  'linear', 'xgboost', 'xgboost_random_forest', 'svm', 'lasso', 'elastic_net', 'ridge', 'kmeans',
  'dbscan', 'knn', 'random_forest', 'least_angle', 'lasso_least_angle', 'orthogonal_matching_pursuit',
  'bayesian_ridge', 'automatic_relevance_determination', 'stochastic_gradient_descent', 'perceptron',
  'passive_aggressive', 'ransac', 'theil_sen', 'huber', 'quantile', 'kernel_ridge', 'gaussian_process',
  'nu_svm', 'ada_boost', 'bagging', 'extra_trees', 'gradient_boosting_trees', 'hist_gradient_boosting',
  'linear_svm', 'lightgbm', 'transformers', 'affinity_propagation', 'birch', 'feature_agglomeration',
  'mini_batch_kmeans', 'mean_shift', 'optics', 'spectral', 'spectral_bi', 'spectral_co', 'catboost', 'pca'
);
CREATE TYPE pgml.sampling AS ENUM ('random', 'last', 'stratified');
CREATE TYPE pgml.strategy AS ENUM ('new_score', 'best_score', 'most_recent', 'rollback', 'specific');
CREATE TYPE pgml.runtime AS ENUM ('python', 'rust', 'openai');
CREATE TYPE pgml.search AS ENUM ('grid', 'random');
CREATE TYPE pgml.status AS ENUM ('in_progress', 'successful', 'failed');

-- Bumps updated_at when a row really changed, unless the writer set updated_at itself.
CREATE OR REPLACE FUNCTION pgml.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := clock_timestamp();
  END IF;
  RETURN NEW;
END;
$body$;

-- (Re)creates the trigger <table>_auto_updated_at that calls pgml.set_updated_at().
CREATE OR REPLACE FUNCTION pgml.auto_updated_at(tbl regclass) RETURNS void LANGUAGE plpgsql AS $body$
DECLARE
  trigger_name text := (SELECT relname FROM pg_catalog.pg_class WHERE oid = tbl) || '_auto_updated_at';
BEGIN
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', trigger_name, tbl);
  EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION pgml.set_updated_at()', trigger_name, tbl);
END;
$body$;

-- Projects organise work: one project, one task, forever.
CREATE TABLE pgml.projects (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  task pgml.task NOT NULL,
  created_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamp without time zone NOT NULL DEFAULT clock_timestamp()
);
SELECT pgml.auto_updated_at('pgml.projects');
CREATE UNIQUE INDEX projects_name_idx ON pgml.projects (name);

-- Snapshots freeze the training data's description (and, when materialized, the data).
CREATE TABLE pgml.snapshots (
  id bigserial PRIMARY KEY,
  relation_name text NOT NULL,
  y_column_name text[],
  test_size real NOT NULL,
  test_sampling pgml.sampling NOT NULL,
  status text NOT NULL,
  columns jsonb,
  analysis jsonb,
  created_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  materialized boolean DEFAULT false
);
SELECT pgml.auto_updated_at('pgml.snapshots');

-- Models: what was trained, how, and how well.
CREATE TABLE pgml.models (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL,
  snapshot_id bigint,
  num_features int NOT NULL,
  algorithm text NOT NULL,
  runtime pgml.runtime DEFAULT 'python'::pgml.runtime,
  hyperparams jsonb NOT NULL,
  status text NOT NULL,
  metrics jsonb,
  search text,
  search_params jsonb NOT NULL,
  search_args jsonb NOT NULL,
  created_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT project_id_fk FOREIGN KEY (project_id) REFERENCES pgml.projects (id) ON DELETE CASCADE,
  CONSTRAINT snapshot_id_fk FOREIGN KEY (snapshot_id) REFERENCES pgml.snapshots (id) ON DELETE SET NULL
);
CREATE INDEX models_project_id_idx ON pgml.models (project_id);
CREATE INDEX models_snapshot_id_idx ON pgml.models (snapshot_id);
SELECT pgml.auto_updated_at('pgml.models');

-- Deployments: append-only history; a project's live model is its latest row.
CREATE TABLE pgml.deployments (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL,
  model_id bigint NOT NULL,
  strategy pgml.strategy NOT NULL,
  created_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT project_id_fk FOREIGN KEY (project_id) REFERENCES pgml.projects (id) ON DELETE CASCADE,
  CONSTRAINT model_id_fk FOREIGN KEY (model_id) REFERENCES pgml.models (id) ON DELETE CASCADE
);
CREATE INDEX deployments_project_id_created_at_idx ON pgml.deployments (project_id, created_at);
CREATE INDEX deployments_model_id_created_at_idx ON pgml.deployments (model_id);

-- Model files as ordered chunks, so models replicate with the database.
CREATE TABLE pgml.files (
  id bigserial PRIMARY KEY,
  model_id bigint NOT NULL,
  path text NOT NULL,
  part integer NOT NULL,
  created_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamp without time zone NOT NULL DEFAULT clock_timestamp(),
  data bytea NOT NULL,
  CONSTRAINT model_id_fk FOREIGN KEY (model_id) REFERENCES pgml.models (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX files_model_id_path_part_idx ON pgml.files (model_id, path, part);
SELECT pgml.auto_updated_at('pgml.files');

-- Training progress, one JSON document per event (PostgresML keeps no foreign keys here).
CREATE TABLE pgml.logs (
  id serial PRIMARY KEY,
  model_id bigint,
  project_id bigint,
  created_at timestamp DEFAULT CURRENT_TIMESTAMP,
  logs jsonb
);

-- One row per deployment, newest first.
CREATE VIEW pgml.overview AS
SELECT
  p.name,
  d.created_at AS deployed_at,
  p.task,
  m.algorithm,
  m.runtime,
  s.relation_name,
  s.y_column_name,
  s.test_sampling,
  s.test_size
FROM pgml.projects p
INNER JOIN pgml.models m ON p.id = m.project_id
INNER JOIN pgml.deployments d ON d.project_id = p.id AND d.model_id = m.id
INNER JOIN pgml.snapshots s ON s.id = m.snapshot_id
ORDER BY d.created_at DESC;

-- Every model, newest first; deployed is true for each project's live model only.
CREATE VIEW pgml.trained_models AS
SELECT
  m.id,
  p.name,
  p.task,
  m.algorithm,
  m.runtime,
  m.created_at,
  s.test_sampling,
  s.test_size,
  d.model_id IS NOT NULL AS deployed
FROM pgml.projects p
INNER JOIN pgml.models m ON p.id = m.project_id
INNER JOIN pgml.snapshots s ON s.id = m.snapshot_id
LEFT JOIN (
  SELECT DISTINCT ON (project_id) project_id, model_id, created_at
  FROM pgml.deployments
  ORDER BY project_id, created_at DESC, id DESC
) d ON d.model_id = m.id
ORDER BY m.created_at DESC;

-- Each project's live model.
CREATE VIEW pgml.deployed_models AS
SELECT
  m.id,
  p.name,
  p.task,
  m.algorithm,
  m.runtime,
  d.created_at AS deployed_at
FROM pgml.projects p
INNER JOIN (
  SELECT DISTINCT ON (project_id) project_id, model_id, created_at
  FROM pgml.deployments
  ORDER BY project_id, created_at DESC, id DESC
) d ON d.project_id = p.id
INNER JOIN pgml.models m ON m.id = d.model_id
ORDER BY p.name ASC;

GRANT USAGE ON SCHEMA pgml, pgml_proxy TO PUBLIC;
-- Lets a proxy that logs in as an ordinary user confirm the schema is current.
GRANT SELECT ON pgml_proxy.migrations, pgml_proxy.generated TO PUBLIC;
`;

export const schema: Migration = { version: 1, name: 'schema', sql };
