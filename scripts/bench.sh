#!/usr/bin/env bash
# `npm run bench`: build what the bench needs, then run it (bench/src/run-bench.ts). Not part of
# the test command. Extra arguments go to the bench (e.g. --quick). Takes ~5–10 minutes.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_node
command -v redis-server >/dev/null || apt_install redis-server
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
log "build"
npm run build --silent
npx tsc -b tests bench
log "bench"
exec node bench/dist/run-bench.js "$@"
