# syntax=docker/dockerfile:1
#
# The companion server as a container. It follows the steps test/packaging/server-package.test.ts
# runs in `npm test` (no image can be built on the project's CI machines): build and pack both
# packages from the repository, install the two tarballs with --omit=dev into an empty project,
# run `connectpsp-checkout-server start`.
#
#   docker build -t connectpsp-checkout .
#   docker run -p 3000:3000 -v cpc-data:/data connectpsp-checkout      # sandbox mode, demo store
#
# Live: pass CONNECTPSP_ENV=production and the credentials (README, "Configuration").

# 1. Build and pack, as `npm ci && npm run build && npm pack -w widget -w server`.
FROM node:20-bookworm-slim AS pack
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY widget/package.json widget/
COPY server/package.json server/
# --ignore-scripts: nothing here runs the server, and the repository's own scripts are not copied yet.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && mkdir /packs && npm pack -w widget -w server --ignore-scripts --pack-destination /packs

# 2. A production install from the tarballs alone (better-sqlite3 may compile here).
FROM node:20-bookworm-slim AS install
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY --from=pack /packs /packs
RUN echo '{"name":"connectpsp-checkout-deployment","private":true,"type":"module"}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /packs/connectpsp-checkout-*.tgz /packs/connectpsp-checkout-server-*.tgz \
 && rm -rf /packs

# 3. The runtime: no compiler, no npm in the process tree, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATABASE_URL=sqlite:/data/checkout.db
WORKDIR /app
COPY --from=install /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# SIGTERM starts the graceful stop (readiness 503, streams told to reconnect, requests drained).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself as PID 1's child of tini-less docker: no npm or shell in between to swallow SIGTERM.
CMD ["node", "node_modules/connectpsp-checkout-server/dist/cli.js", "start"]
