import { PG } from '../../../proxy/protocol/pg-types.js';
import type { PgmlFunction } from '../registry-types.js';

/** PostgresML's API level this proxy speaks; tools that parse the leading version see it. */
export const POSTGRESML_API_VERSION = '2.10.0';

export const version: PgmlFunction = {
  name: 'version',
  summary: 'the PostgresML API version served, the pgml-proxy version and the engine backend',
  overloads: [
    {
      params: [],
      returns: { kind: 'scalar', type: PG.text },
      handler: (_args, { services }) =>
        Promise.resolve(`${POSTGRESML_API_VERSION} (pgml-proxy ${services.proxyVersion}, engine backend: ${services.engineBackend()})`),
    },
  ],
};
