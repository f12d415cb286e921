#!/usr/bin/env bash
# `npm run up`: brings the compose mesh up on this machine, from a fresh clone.
# Installs what is missing (Node, Docker engine, compose v2, base images), builds the images,
# starts docker-compose.yml (+ deploy/local/compose.scale.yml after scripts/scale.sh): its
# `init` service generates or keeps the secrets (in volumes), then everything starts; waits
# until every /readyz answers 200, then prints where everything is. A service that does not
# come up is shown with its last log lines and the likely cause.
# On a machine with a registry, `docker compose up -d --wait` alone does the same.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/docker.sh"
cd "$ROOT"
t0=$SECONDS
ensure_node
ensure_docker_stack
command -v curl >/dev/null 2>&1 || apt_install curl
build_project_images
t_built=$SECONDS
ensure_transfer_dir
env_unset SOCP_BOOTSTRAP   # written by earlier versions; the servers now read init's file
log "docker compose up"
compose_up --remove-orphans
# shellcheck disable=SC2046
wait_ready introducer-1 introducer-2 $(server_services)
log "images ready in $((t_built - t0)) s; compose up to every /readyz 200 in $((SECONDS - t_built)) s"
port() { compose port "$1" "$2" | sed 's/.*://'; }
{
  echo
  echo "Servers (WebSocket, users and servers):"
  for s in $(server_services); do
    echo "  $s  ws://127.0.0.1:$(port "$s" 9101)   admin http://127.0.0.1:$(port "$s" 9180)"
  done
  echo "Introducers (admin): http://127.0.0.1:$(port introducer-1 9180)  http://127.0.0.1:$(port introducer-2 9180)"
  echo "Prometheus:          http://127.0.0.1:$(port prometheus 9090)   dashboard: /consoles/socp.html   alerts: /alerts"
  echo
  echo "Attach a CLI client (one per person; it fails over to the other servers):"
  echo "  docker compose run --rm client                                        # on server-1"
  echo "  docker compose run --rm -e SOCP_SERVER_URL=ws://server-2:9101 client  # on server-2"
  echo "Files: put them in ${SOCP_TRANSFER_DIR:-./transfer}/ to send (/file bob note.txt); received files land in ${SOCP_TRANSFER_DIR:-./transfer}/received/"
  echo "Grow/shrink: bash scripts/scale.sh N     Stop: bash scripts/down.sh"
}
