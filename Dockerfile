# syntax=docker/dockerfile:1
# messenger-relay: build on Node 22 with the dev toolchain, run on Node 22 slim with production dependencies only,
# as the unprivileged `node` user. Build: docker build -t messenger-relay .
# Run the embedded default (HTTPS on 8443, self-signed, SQLite in /app/data):
#   docker run -p 8443:8443 -v relay-data:/app/data messenger-relay
# Run with a configuration file: add -v ./relay.yaml:/etc/messenger-relay/relay.yaml:ro and
#   serve --config /etc/messenger-relay/relay.yaml

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches; the toolchain stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts off so `prepare` (tsc) does not run before the sources are here; better-sqlite3's build runs explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY types ./types
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies stay root-owned and read-only for the service user; only data/ and certs/ are writable
# (the embedded default keeps its SQLite file, credentials and self-signed certificate there).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/healthcheck.cjs ./healthcheck.cjs
RUN mkdir -p /app/data /app/certs && chown node:node /app/data /app/certs
USER node
EXPOSE 8443
VOLUME ["/app/data"]
# Works with TLS on (the default, self-signed) or off (behind a TLS-terminating load balancer): see healthcheck.cjs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.cjs"]
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["serve"]
