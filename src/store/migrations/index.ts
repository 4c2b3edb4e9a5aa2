import { schema } from './001-schema.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/** Every versioned migration, in the order they apply. Append; never edit or renumber a released one. */
export const migrations: readonly Migration[] = [schema];
