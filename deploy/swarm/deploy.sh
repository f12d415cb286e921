#!/usr/bin/env bash
# Deploys deploy/swarm/stack.yml on a single-node swarm and checks that the mesh forms: every
# server ready (/readyz 200) and linked to the other two (socp_peer_links_up = 2), then removes
# the stack (and its volumes). `--keep` leaves it running; remove later with `--rm`.
# A swarm this script had to create is left again at the end (`docker swarm leave --force`).
source "$(dirname "$0")/../../scripts/lib.sh"
export SOCP_LOCAL_DIR="${SOCP_SWARM_LOCAL_DIR:-$ROOT/deploy/local/swarm}"
source "$ROOT/scripts/docker.sh"
cd "$ROOT"
STACK=${SOCP_STACK:-socp-swarm}
FORM_SECS=${SOCP_FORM_SECS:-300}
STATE_FILE="$SOCP_LOCAL_DIR/swarm-created-by-deploy"
mode=${1:-check}

svc_container() { docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_$1" | head -n1; }
# Admin endpoint of a task, read from inside its container (nothing published for admin).
admin_get() {
  local c; c=$(svc_container "$1"); [ -n "$c" ] || return 1
  docker exec "$c" node -e "require('http').get('http://127.0.0.1:9180$2',{timeout:5000},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>{process.stdout.write(b);process.exit(r.statusCode===200?0:1)})}).on('error',()=>process.exit(1))"
}
linked() { admin_get "server-$1" /metrics | grep -qx 'socp_peer_links_up 2'; }

remove_stack() {
  log "docker stack rm $STACK"
  docker stack rm "$STACK" >/dev/null 2>&1 || true
  wait_for "stack $STACK containers gone" 120 bash -c "[ -z \"\$(docker ps -aq --filter label=com.docker.stack.namespace=$STACK)\" ]"
  wait_for "stack $STACK network gone" 60 bash -c "[ -z \"\$(docker network ls -q --filter label=com.docker.stack.namespace=$STACK)\" ]"
  docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK" | xargs -r docker volume rm >/dev/null
  if [ -f "$STATE_FILE" ]; then log "leaving the swarm this script created"; docker swarm leave --force >/dev/null; rm -f "$STATE_FILE"; fi
}

if [ "$mode" = --rm ]; then remove_stack; exit 0; fi
t0=$SECONDS
ensure_node
ensure_docker_stack
build_project_images introducer server
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  log "docker swarm init --advertise-addr 127.0.0.1"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  mkdir -p "$SOCP_LOCAL_DIR"; touch "$STATE_FILE"
fi
ensure_secrets_dir
for n in 1 2 3; do ensure_passphrase "server-$n"; done
SOCP_BOOTSTRAP=$(bootstrap_json); export SOCP_BOOTSTRAP
[ "$mode" = --keep ] || trap remove_stack EXIT
log "docker stack deploy $STACK"
quiet docker stack deploy --resolve-image never -c deploy/swarm/stack.yml "$STACK"
for i in 1 2 3; do wait_for "server-$i ready" "$FORM_SECS" admin_get "server-$i" /readyz; done
for i in 1 2 3; do wait_for "server-$i linked to the other two" "$FORM_SECS" linked "$i"; done
log "swarm mesh formed in $((SECONDS - t0)) s: $(for i in 1 2 3; do admin_get server-$i /identity | sed 's/.*"id":"\([^"]*\)".*/\1/'; echo -n ' '; done)"
[ "$mode" = --keep ] && log "left running; remove with: bash deploy/swarm/deploy.sh --rm"
exit 0
