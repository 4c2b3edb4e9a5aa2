import { deploy } from './functions/deploy.js';
import { embed } from './functions/embed.js';
import { generate } from './functions/generate.js';
import { loadDataset } from './functions/load-dataset.js';
import { predictBatch } from './functions/predict-batch.js';
import { predictLabel } from './functions/predict-label.js';
import { predictProba } from './functions/predict-proba.js';
import { predict } from './functions/predict.js';
import { transform } from './functions/transform.js';
import { tune } from './functions/tune.js';
import { version } from './functions/version.js';
import type { PgmlFunction } from './registry-types.js';

/** Every pgml.* function the proxy serves. Adding one here installs it and routes it. */
export const PGML_FUNCTIONS: readonly PgmlFunction[] = [
  loadDataset,
  tune,
  predict,
  predictProba,
  predictBatch,
  predictLabel,
  generate,
  transform,
  embed,
  deploy,
  version,
];
