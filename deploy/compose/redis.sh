#!/bin/sh
# Entrypoint of every server's Redis (the public redis:7-bookworm image; compose and Swarm
# mount this file). The password comes from a file (a Docker secret or the pair's shared
# volume), never from the command line or the environment, where `docker inspect` and `ps`
# would show it: this script writes a config with `requirepass` into /dev/shm (a tmpfs in
# every container: the password never reaches a disk), readable by user redis alone, then
# hands over to the image's own entrypoint (which drops to user redis).
#
#   SOCP_REDIS_PASSWORD_FILE  the password (default /run/secrets/redis.pass)
#   SOCP_REDIS_SOCKET         listen on this unix socket only (no TCP); unset: TCP 6379
#   SOCP_REDIS_MAXMEMORY      memory cap (default below); at the cap Redis refuses writes
#   `redis.sh --health`       the healthcheck: an authenticated PING
#   any other arguments       passed on to redis-server (persistence flags)
set -eu
# 256 MB holds roughly 100k users' bindings plus their offline queues (a few KB each) and is
# small enough for 50 servers' Redis on one machine; raise it for bigger meshes.
REDIS_MAXMEMORY_DEFAULT=256mb
PASS_FILE=${SOCP_REDIS_PASSWORD_FILE:-/run/secrets/redis.pass}
CONF_DIR=/dev/shm/socp-redis

if [ "${1:-}" = --health ]; then
  REDISCLI_AUTH=$(cat "$PASS_FILE"); export REDISCLI_AUTH
  if [ -n "${SOCP_REDIS_SOCKET:-}" ]; then set -- -s "$SOCP_REDIS_SOCKET"; else set -- -h 127.0.0.1; fi
  [ "$(redis-cli "$@" ping)" = PONG ]
  exit
fi

[ -s "$PASS_FILE" ] || { echo "redis.sh: no password in $PASS_FILE" >&2; exit 1; }
umask 077
mkdir -p "$CONF_DIR"
if [ -n "${SOCP_REDIS_SOCKET:-}" ]; then
  # The socket's folder is shared with this Redis's own server only (its user may differ).
  sock_dir=$(dirname "$SOCP_REDIS_SOCKET")
  mkdir -p "$sock_dir"
  chown redis:redis "$sock_dir" && chmod 0755 "$sock_dir"
fi
{
  echo "requirepass $(cat "$PASS_FILE")"
  echo "maxmemory ${SOCP_REDIS_MAXMEMORY:-$REDIS_MAXMEMORY_DEFAULT}"
  # Bindings, queues and identities must never vanish silently: at the cap Redis answers
  # writes with OOM, which the server turns into a coded refusal.
  echo "maxmemory-policy noeviction"
  if [ -n "${SOCP_REDIS_SOCKET:-}" ]; then
    echo "port 0"
    echo "unixsocket $SOCP_REDIS_SOCKET"
    echo "unixsocketperm 666"   # the server's user differs from redis's; the password guards it
  fi
} >"$CONF_DIR/redis.conf"
chown -R redis:redis "$CONF_DIR" 2>/dev/null || true
exec docker-entrypoint.sh redis-server "$CONF_DIR/redis.conf" "$@"
