# llm-relay in a container: the package built from this checkout and installed exactly as
# test/package/install.test.ts installs it (npm pack, then npm install --omit=dev of the tarball
# in an empty folder), so that test shows what this image does.

# 1. Build: the TypeScript and the admin UI, packed into the tarball users install.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The build needs no native module: better-sqlite3 is compiled where the package is installed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm pack --ignore-scripts --pack-destination /pkg

# 2. Install: the tarball with production dependencies only; better-sqlite3 is compiled here.
FROM node:20-bookworm-slim AS install
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /pkg/ /pkg/
RUN npm install --omit=dev --no-audit --no-fund /pkg/llm-relay-gateway-*.tgz

# 3. Run: no compiler, no sources, a non-root user, the data directory a volume.
FROM node:20-bookworm-slim
ENV NODE_ENV=production LLM_RELAY_DATA_DIR=/data PORT=8000
WORKDIR /app
COPY --from=install /app /app
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME /data
EXPOSE 8000 8001
# The gateway's own readiness probe; a PORT changed by the environment is followed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and the gateway handles SIGTERM itself (drains, writes its records, exits 0): no shell in between.
ENTRYPOINT ["node", "/app/node_modules/llm-relay-gateway/bin/llm-relay.js"]
# Config: mount a file and set LLM_RELAY_CONFIG=/config/relay.yaml (or pass --config), or use the
# embedded defaults and environment (OPENAI-Forward's and openai-api-route's variables work too).
CMD ["run", "--host", "0.0.0.0"]
