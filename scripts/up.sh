#!/usr/bin/env bash
# `npm run up`: brings the compose mesh up on this machine, from a fresh clone.
# Installs what is missing (Node, Docker engine, compose v2, base images), builds the images,
# generates secrets (deploy/local/secrets, gitignored) and SOCP_BOOTSTRAP (.env), starts
# docker-compose.yml (+ deploy/local/compose.scale.yml after scripts/scale.sh), waits until
# every /readyz answers 200, then prints where everything is.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/docker.sh"
cd "$ROOT"
t0=$SECONDS
ensure_node
ensure_docker_stack
command -v curl >/dev/null 2>&1 || apt_install curl
build_project_images
t_built=$SECONDS
ensure_secrets_dir
for n in 1 2 3; do ensure_passphrase "server-$n"; done
env_set SOCP_BOOTSTRAP "$(bootstrap_json)"
t_up=$SECONDS
log "docker compose up"
quiet compose up -d --remove-orphans
wait_ready
log "images ready in $((t_built - t0)) s; compose up to every /readyz 200 in $((SECONDS - t_up)) s"
{
  echo
  echo "Servers (WebSocket, users and servers):"
  for s in $(server_services); do
    echo "  $s  ws://127.0.0.1:$(compose port "$s" 9101 | sed 's/.*://')   admin http://127.0.0.1:$(compose port "$s" 9180 | sed 's/.*://')"
  done
  echo "Introducers (admin): http://127.0.0.1:$(compose port introducer-1 9180 | sed 's/.*://')  http://127.0.0.1:$(compose port introducer-2 9180 | sed 's/.*://')"
  echo "Prometheus:          http://127.0.0.1:$(compose port prometheus 9090 | sed 's/.*://')"
  echo
  echo "Attach a CLI client (one per person; pick the server):"
  echo "  docker compose run --rm client"
  echo "  docker compose run --rm -e SOCP_SERVER_URL=ws://server-2:9101 client"
  echo "Grow/shrink: bash scripts/scale.sh N     Stop: npm run down"
}
