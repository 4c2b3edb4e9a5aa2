/**
 * Starts TF.js on the best installed backend (see ../backend-choice.ts) or the one PGML_BACKEND
 * forces, and registers the engine's kernel fixes. Idempotent: every caller shares one start.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, chooseBackend } from '../backend-choice.js';
import { registerKernelFixes, type RegisteredFixes } from './kernel-fixes.js';

export type RuntimeBackend = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface Runtime {
  readonly backend: RuntimeBackend;
  readonly tf: typeof tf;
  /** The kernel fixes in force, as `backend:Kernel`. */
  readonly fixes: readonly string[];
}

export interface RuntimeOptions {
  /** A forced backend, as PGML_BACKEND spells it; defaults to the environment variable. */
  backend?: string;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

interface Started {
  runtime: Runtime;
  fixes: RegisteredFixes;
}

let starting: Promise<Started> | null = null;

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  starting ??= start(options).catch((error: unknown) => {
    starting = null; // a failed start may be retried, e.g. with another backend
    throw error;
  });
  const { runtime } = await starting;
  // Sharing one start must not hide an explicit request for a different backend.
  const wanted = options.backend?.trim() ?? '';
  if (wanted !== '' && wanted !== runtime.backend) {
    throw new Error(`the engine runtime already runs on ${runtime.backend}; stop it before starting on ${wanted}`);
  }
  return runtime;
}

export async function stopRuntime(): Promise<void> {
  const current = starting;
  if (current === null) return;
  starting = null;
  const { fixes } = await current;
  fixes.undo();
  // Disposes the backend instances but keeps their factories, so a later start can re-initialise.
  tf.engine().reset();
}

async function start(options: RuntimeOptions): Promise<Started> {
  const begun = performance.now();
  const backend = await pickBackend(options.backend ?? process.env.PGML_BACKEND);
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to initialise`);
  await tf.ready();
  const fixes = registerKernelFixes(backend === 'wasm' ? ['wasm', 'cpu'] : ['cpu']);
  const runtime: Runtime = { backend, tf, fixes: fixes.names };
  options.log?.('engine.runtime.started', { backend, fixes: fixes.names, ms: Math.round(performance.now() - begun) });
  return { runtime, fixes };
}

/** Chooses and loads the backend's package, which registers it with tfjs. */
async function pickBackend(forced: string | undefined): Promise<RuntimeBackend> {
  const name = forced?.trim() ?? '';
  // cpu ships inside @tensorflow/tfjs; it is the reference in tests, not a production choice.
  if (name === 'cpu') return 'cpu';
  const chosen = chooseBackend({ PGML_BACKEND: name });
  if (chosen === null) return 'cpu';
  if (chosen === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    return 'wasm';
  }
  // The native packages are optional and not typed here; a string specifier keeps tsc from resolving them.
  const specifier: string = BACKENDS.find((b) => b.name === chosen)?.module ?? chosen;
  await import(specifier);
  return chosen;
}
