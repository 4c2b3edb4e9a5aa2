// Builds the optional native fast path (fast-relay.c beside this file) into build/fast-relay.node,
// run by `npm install`/`npm ci`. It needs only a C compiler and the headers of the running Node
// (no download); when either is missing or the compile fails it says so and exits 0: the proxy
// then relays everything in JavaScript (proxy/fast-path.ts loads the addon only if it is there).
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const output = path.join(root, 'build', 'fast-relay.node');

function nodeHeaders() {
  const version = process.version.slice(1);
  const candidates = [
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    path.join(os.homedir(), '.cache', 'node-gyp', version, 'include', 'node'),
  ];
  return candidates.find((dir) => dir && existsSync(path.join(dir, 'node_api.h')) && existsSync(path.join(dir, 'uv.h')));
}

function build() {
  if (process.env.PGML_PROXY_FAST_RELAY === 'off') return 'disabled by PGML_PROXY_FAST_RELAY=off';
  // The relay thread waits with epoll.
  if (process.platform !== 'linux') return `not supported on ${process.platform}`;
  const include = nodeHeaders();
  if (include === undefined) return "Node's C headers (node_api.h, uv.h) were not found";
  mkdirSync(path.dirname(output), { recursive: true });
  rmSync(output, { force: true });
  const compiler = process.env.CC || 'cc';
  // Node-API and libuv symbols resolve against the node binary at load time.
  const args = ['-O2', '-fPIC', '-shared', '-pthread', '-Wall', '-DNODE_GYP_MODULE_NAME=fast_relay', '-DNAPI_VERSION=8', `-I${include}`];
  try {
    execFileSync(compiler, [...args, '-o', output, path.join(here, 'fast-relay.c')], { stdio: ['ignore', 'inherit', 'pipe'] });
  } catch (error) {
    return `${compiler} failed: ${String(error.stderr ?? error.message).trim().slice(0, 500)}`;
  }
  return null;
}

const failure = build();
if (failure === null) console.log(`pgml-proxy: built the native pass-through relay (${path.relative(root, output)})`);
else console.log(`pgml-proxy: native pass-through relay not built (${failure}); relaying in JavaScript`);
