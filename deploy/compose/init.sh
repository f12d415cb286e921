#!/bin/sh
# One-shot initialisation of a deployment (docker-compose.yml service `init`; Swarm's
# deploy.sh runs it too, on host folders). Idempotent: what exists is kept, what is missing is
# made, so every `docker compose up` may run it again. Runs as root in the introducer image
# (it needs the key tool) and writes only under /v (and /transfer):
#
#   /v/introducer-J/  introducer.pass, introducer.key.pem (RSA-4096, sealed), mesh-join
#   /v/server-I/      server.pass (seals the server key in its Redis), mesh-join, bootstrap.json
#   /v/redis-I/       redis.pass (that Redis's password; the pair's shared folder)
#   /v/redis-I-data   (read-only, optional) the Redis data, checked against server-I's secrets
#   /v/prometheus-sd/ servers.json, introducers.json: Prometheus file_sd targets with names
#   /transfer         (optional) the client's transfer folder; received/ made writable
#
# Every secret is 32 random bytes, base64url (43 characters), one line; files are owned by
# the services' user (uid 1000) and readable by it alone. SOCP_INIT_SERVERS (default 3) is how
# many servers the deployment has; SOCP_INIT_INTRODUCERS (default 2) how many introducers.
set -eu
SERVICE_UID=1000     # user `node` in our images
SERVERS=${SOCP_INIT_SERVERS:-3}
INTRODUCERS=${SOCP_INIT_INTRODUCERS:-2}
INTRODUCER_PORT=9100
ADMIN_PORT=9180
V=/v

say() { echo "init: $*"; }
fail() { echo "init: ERROR: $*" >&2; exit 1; }

secret() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

# own FILE: the services' user reads it, nobody else.
own() { chown "$SERVICE_UID:$SERVICE_UID" "$1"; chmod 0400 "$1"; }

# ensure_secret FILE: a fresh secret unless the file exists.
ensure_secret() {
  [ -s "$1" ] && return 0
  (umask 077; secret >"$1.tmp") && mv "$1.tmp" "$1" && own "$1"
  say "generated $(echo "$1" | sed "s#^$V/##")"
}

# write FILE MODE: stdin to FILE atomically (Prometheus and the servers may be reading it).
write() { cat >"$1.tmp" && chmod "$2" "$1.tmp" && mv "$1.tmp" "$1"; }

# A Redis data folder with content was sealed by some server passphrase; a server folder
# without one means that passphrase is gone (secrets deleted, or made by another deployment).
check_server_identity() {
  i=$1
  [ -s "$V/server-$i/server.pass" ] && return 0
  data="$V/redis-$i-data"
  [ -d "$data" ] || return 0
  [ -n "$(ls -A "$data" 2>/dev/null)" ] || return 0
  fail "redis-$i-data holds server-$i's identity (server id, private key sealed under its
  passphrase), but server-$i's secrets are gone, so the key can no longer be opened.
  The data volumes and the secrets belong to different deployments (secrets deleted, or a
  deployment started with other secrets under the same project name).
  Remedy: start from the deployment that made these volumes, or delete them and start afresh:
      bash scripts/down.sh --volumes      # compose: every server's Redis (server ids, accounts,
                                          # offline queues), the introducers' registries and
                                          # secrets, Prometheus history
      bash deploy/swarm/deploy.sh --rm    # Swarm: the stack and its volumes"
}

# --- the mesh join secret: one value, a copy for every introducer and server -----------------
units=""
for j in $(seq 1 "$INTRODUCERS"); do units="$units introducer-$j"; done
for i in $(seq 1 "$SERVERS"); do units="$units server-$i"; done
for u in $units; do [ -d "$V/$u" ] || fail "$V/$u is not mounted"; done
for i in $(seq 1 "$SERVERS"); do check_server_identity "$i"; done

join=""
for u in $units; do [ -s "$V/$u/mesh-join" ] && { join=$(cat "$V/$u/mesh-join"); break; }; done
[ -n "$join" ] || { join=$(secret); say "generated the mesh join secret"; }
for u in $units; do
  f="$V/$u/mesh-join"
  if [ ! -s "$f" ] || [ "$(cat "$f")" != "$join" ]; then
    (umask 077; printf '%s\n' "$join" | write "$f" 0600) && own "$f"
  fi
done

# --- introducers: passphrase + key; their public keys are the servers' pins ------------------
pins=""
for j in $(seq 1 "$INTRODUCERS"); do
  d="$V/introducer-$j"
  ensure_secret "$d/introducer.pass"
  pub=$(SOCP_KEY_PASSPHRASE_FILE="$d/introducer.pass" node /app/services/introducer/dist/keygen.js --out "$d/introducer.key.pem" 2>/dev/null) \
    || fail "introducer-$j: the key tool could not open or create $d/introducer.key.pem"
  own "$d/introducer.key.pem"
  pins="$pins{\"host\":\"introducer-$j\",\"port\":$INTRODUCER_PORT,\"pubkey\":\"$pub\"},"
done
bootstrap="[${pins%,}]"

# --- servers: passphrase, pinned introducers; each Redis pair: the password -------------------
for i in $(seq 1 "$SERVERS"); do
  d="$V/server-$i"
  ensure_secret "$d/server.pass"
  if [ ! -s "$d/bootstrap.json" ] || [ "$(cat "$d/bootstrap.json")" != "$bootstrap" ]; then
    printf '%s' "$bootstrap" | write "$d/bootstrap.json" 0444
  fi
  if [ -d "$V/redis-$i" ]; then ensure_secret "$V/redis-$i/redis.pass"; chmod 0755 "$V/redis-$i"; fi
  chown "$SERVICE_UID:$SERVICE_UID" "$d"; chmod 0500 "$d"
done
for j in $(seq 1 "$INTRODUCERS"); do
  chown "$SERVICE_UID:$SERVICE_UID" "$V/introducer-$j"; chmod 0500 "$V/introducer-$j"
done

# --- Prometheus targets, named (file_sd; Prometheus rereads them when they change) ------------
if [ -d "$V/prometheus-sd" ]; then
  targets() { # KIND COUNT → [{"targets":["kind-1:9180"],"labels":{"kind":"kind-1"}}, …]
    out=""
    for n in $(seq 1 "$2"); do out="$out{\"targets\":[\"$1-$n:$ADMIN_PORT\"],\"labels\":{\"$1\":\"$1-$n\"}},"; done
    printf '[%s]\n' "${out%,}"
  }
  targets server "$SERVERS" | write "$V/prometheus-sd/servers.json" 0444
  targets introducer "$INTRODUCERS" | write "$V/prometheus-sd/introducers.json" 0444
fi

# --- the client's transfer folder: received files must be writable by the client's user ------
if [ -d /transfer ]; then
  mkdir -p /transfer/received
  owner=$(stat -c %u /transfer/received)
  if [ "$owner" = 0 ]; then chown "$SERVICE_UID:$SERVICE_UID" /transfer/received
  elif [ "$owner" != "$SERVICE_UID" ]; then chmod a+rwx /transfer/received; fi
fi

say "ready: $INTRODUCERS introducers, $SERVERS servers"
