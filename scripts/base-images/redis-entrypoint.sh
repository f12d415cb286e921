#!/bin/sh
# Like the official redis image's entrypoint: flags alone mean redis-server; the server runs
# as user redis; protected mode is off because the container network is the boundary.
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
  shift
  case "$1" in *.conf) conf=$1; shift; set -- redis-server "$conf" --protected-mode no "$@" ;;
               *) set -- redis-server --protected-mode no "$@" ;; esac
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
