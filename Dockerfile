# The three images, one target each (context: the repository root, see .dockerignore):
#   docker build --target introducer -t socp/introducer:local .   (server, client-cli alike)
# One `npm ci` and one `tsc -b` of every workspace serve all three; each image then takes its
# own production dependencies and its own `dist`. (Docker's classic builder runs every stage
# above the target; the stages after `deps` are only metadata and copies.)

# The full install: the root and the five workspaces (not `tests`), with their dev tools.
FROM node:24-bookworm-slim AS install
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY libs/socp/package.json libs/socp/
COPY libs/socp-node/package.json libs/socp-node/
COPY services/introducer/package.json services/introducer/
COPY services/server/package.json services/server/
COPY services/client-cli/package.json services/client-cli/
RUN npm ci --no-audit --no-fund --ignore-scripts --loglevel=error --include-workspace-root \
      -w libs/socp -w libs/socp-node -w services/introducer -w services/server -w services/client-cli

FROM install AS build
COPY libs/socp libs/socp
COPY libs/socp-node libs/socp-node
COPY services/introducer services/introducer
COPY services/server services/server
COPY services/client-cli services/client-cli
RUN npx tsc -b libs/socp libs/socp-node services/introducer services/server services/client-cli

# Each service's production dependencies alone (no compiler, no test tools) in
# /deps/<service>/node_modules, installed from the npm cache the full install filled.
FROM install AS deps
RUN for s in introducer server client-cli; do \
      npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error --omit=dev -w services/$s \
      && mkdir -p /deps/$s && mv node_modules /deps/$s/ || exit 1; \
    done

# What every image runs on: Node, production mode, the built protocol library and its Node helpers.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/libs/socp/package.json libs/socp/
COPY --from=build /src/libs/socp/dist libs/socp/dist
COPY --from=build /src/libs/socp-node/package.json libs/socp-node/
COPY --from=build /src/libs/socp-node/dist libs/socp-node/dist

# The two daemons' probe: ready = docs/contracts.md "Admin HTTP" /readyz on the admin port.
# node itself probes (no curl in the image), with node:http rather than fetch: it starts
# several times faster, which matters on a loaded host.
FROM runtime AS daemon
HEALTHCHECK --interval=5s --timeout=30s --start-period=60s --retries=3 CMD ["node", "-e", "require('http').get(`http://127.0.0.1:${process.env.SOCP_ADMIN_PORT||9180}/readyz`,{timeout:5000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]

# Ready = key loaded and registry writable.
FROM daemon AS introducer
COPY --from=deps /deps/introducer/node_modules node_modules
COPY --from=build /src/services/introducer/package.json services/introducer/
COPY --from=build /src/services/introducer/dist services/introducer/dist
# Registry, id and (unless SOCP_KEY_FILE points elsewhere) the key live in /data.
RUN mkdir /data && chown node:node /data
ENV SOCP_DATA_DIR=/data
VOLUME /data
USER node
EXPOSE 9100 9180
CMD ["node", "services/introducer/dist/main.js"]

# Ready = Redis reachable, keys loaded, joined the mesh.
FROM daemon AS server
COPY --from=deps /deps/server/node_modules node_modules
COPY --from=build /src/services/server/package.json services/server/
COPY --from=build /src/services/server/dist services/server/dist
USER node
EXPOSE 9101 9180
CMD ["node", "--max-semi-space-size=8", "services/server/dist/main.js"]

FROM runtime AS client-cli
COPY --from=deps /deps/client-cli/node_modules node_modules
COPY --from=build /src/services/client-cli/package.json services/client-cli/
COPY --from=build /src/services/client-cli/dist services/client-cli/dist
# The CLI keeps its keys and pins in SOCP_HOME; mount a volume there to keep an identity.
RUN mkdir -p /home/node/.socp && chown node:node /home/node/.socp
ENV SOCP_HOME=/home/node/.socp SOCP_SERVER_URL=ws://server-1:9101
USER node
ENTRYPOINT ["node", "/app/services/client-cli/dist/main.js"]
# `docker compose run --rm client` signs up a new identity; pass `login` (with the volume) to reuse one.
CMD ["signup"]
