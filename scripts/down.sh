#!/usr/bin/env bash
# `npm run down`: stops the compose mesh (servers get SIGTERM: CTRL_CLOSE + USER_REMOVEs).
# Volumes (Redis data = server identities, introducer registries) are kept unless --volumes.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/docker.sh"
cd "$ROOT"
args=(down --remove-orphans --timeout 20)
[ "${1:-}" = --volumes ] && args+=(--volumes)
docker info >/dev/null 2>&1 || die "docker is not running"
quiet compose --profile client "${args[@]}"
[ "${1:-}" = --volumes ] && remove_project_volumes
log "mesh stopped${1:+ ($1)}"
