#!/usr/bin/env bash
# THE test command (README, .ci/run): installs what it needs, builds, runs every lane.
#   bash scripts/test.sh            all lanes (unit, service, integration, e2e, interop, containers)
#   bash scripts/test.sh unit       one or more lanes
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_node
ensure_host_tools
if [ -f scripts/docker.sh ]; then source scripts/docker.sh; ensure_docker_stack; fi
log "npm ci"
npm ci --no-audit --no-fund --loglevel=error
log "build"
npm run build --silent
[ -f tests/tsconfig.json ] && npx tsc -b tests
log "type-check the tests (jest's swc transform does not)"
npm run typecheck:tests --silent
log "reverse vectors: frames signed by our library, verified by Python cryptography"
if [ -f tests/vectors/check-ours.sh ]; then bash tests/vectors/check-ours.sh; fi
lanes=("$@")
[ ${#lanes[@]} -eq 0 ] && lanes=(unit service integration e2e interop containers)
args=()
for l in "${lanes[@]}"; do args+=(--selectProjects "$l"); done
log "jest ${lanes[*]}"
export TESTCONTAINERS_RYUK_DISABLED=true
npx jest "${args[@]}" --passWithNoTests=false --ci
