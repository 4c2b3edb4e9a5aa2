# pgml-proxy: the proxy alone; point it at any PostgreSQL with DATABASE_URL / PGML_UPSTREAM.
# Built in the full Node image (it has the C compiler and Node's headers for the native
# pass-through relay, proxy/native/build.js), run in the slim one.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY proxy ./proxy
COPY src ./src
COPY engine ./engine
COPY test ./test
COPY bench ./bench
COPY fixtures ./fixtures
RUN npm ci && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app ./
USER node
EXPOSE 6432
ENTRYPOINT ["node", "bin/pgml-proxy.js"]
CMD ["start", "--listen", "0.0.0.0:6432"]
