import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { Hub, type HubOptions } from '../../engine/hub/index.js';
import { startHubServer, type HubServer } from './hub-server.js';

/** The fixture hub served on a loopback port, with an empty cache of the test file's own. */
export interface LocalHub {
  readonly server: HubServer;
  /** A scratch folder removed after the file. */
  readonly folder: string;
  /** What hub() uses; a test may swap it (offline, another cache) and put it back. */
  options: HubOptions;
  /** A Hub with the current options: give `() => local.hub()` to pgmlStack as `hub`. */
  hub(): Hub;
}

/** Registers before/after hooks for a local hub; call it before pgmlStack so the hub outlives the proxy. */
export function useLocalHub(): LocalHub {
  const state: { server: HubServer | null; folder: string; options: HubOptions | null } = { server: null, folder: '', options: null };
  before(async () => {
    state.server = await startHubServer();
    state.folder = await mkdtemp(path.join(tmpdir(), 'pgml-local-hub-'));
    state.options = { endpoint: state.server.url, token: null, cacheDir: path.join(state.folder, 'hub-cache'), offline: false };
  });
  after(async () => {
    await state.server?.close();
    await rm(state.folder, { recursive: true, force: true });
  });
  const started = <T>(value: T | null): T => {
    if (value === null) throw new Error('the local hub starts in a before() hook: use it inside tests');
    return value;
  };
  return {
    get server() {
      return started(state.server);
    },
    get folder() {
      return state.folder;
    },
    get options() {
      return started(state.options);
    },
    set options(value: HubOptions) {
      state.options = value;
    },
    hub: () => new Hub(started(state.options)),
  };
}
