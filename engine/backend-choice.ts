/**
 * Which TF.js backend the engine runs on: the best one installed — CUDA through
 * `@tensorflow/tfjs-node-gpu`, then native CPU through `@tensorflow/tfjs-node`, then WebAssembly
 * through `@tensorflow/tfjs-backend-wasm` — or the one PGML_BACKEND names. The native packages
 * are optional: where their install cannot download libtensorflow they are simply absent.
 */
export const BACKENDS = [
  { name: 'tensorflow-gpu', module: '@tensorflow/tfjs-node-gpu' },
  { name: 'tensorflow', module: '@tensorflow/tfjs-node' },
  { name: 'wasm', module: '@tensorflow/tfjs-backend-wasm' },
] as const;

export type BackendName = (typeof BACKENDS)[number]['name'];

/** The backend to use, or null when none is installed. Throws when PGML_BACKEND is unusable. */
export function chooseBackend(env: NodeJS.ProcessEnv = process.env): BackendName | null {
  const forced = env.PGML_BACKEND?.trim();
  if (forced !== undefined && forced !== '') {
    const backend = BACKENDS.find((b) => b.name === forced);
    if (backend === undefined) {
      throw new Error(`PGML_BACKEND=${forced} is not a backend; use one of ${BACKENDS.map((b) => b.name).join(', ')}`);
    }
    if (!installed(backend.module)) throw new Error(`PGML_BACKEND=${forced} needs ${backend.module}, which is not installed`);
    return backend.name;
  }
  return BACKENDS.find((b) => installed(b.module))?.name ?? null;
}

function installed(module: string): boolean {
  try {
    import.meta.resolve(module);
    return true;
  } catch {
    return false;
  }
}
