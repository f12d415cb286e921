#!/usr/bin/env bash
# Deploys deploy/swarm/stack.yml on a single-node swarm and checks that the mesh forms: every
# server ready (/readyz 200) and linked to the other two (socp_peer_links_up = 2), then removes
# the stack (and its volumes). `--keep` leaves it running; remove later with `--rm`.
# Secrets: deploy/compose/init.sh (the compose mesh's init step) writes them as files under
# $SOCP_LOCAL_DIR/secrets, checking them against the stack's Redis volumes if a kept stack left
# some; swarm secrets are made from those files.
# A swarm this script had to create is left again at the end (`docker swarm leave --force`),
# and the docker_gwbridge network that `swarm init` made is removed with it.
source "$(dirname "$0")/../../scripts/lib.sh"
export SOCP_LOCAL_DIR="${SOCP_SWARM_LOCAL_DIR:-$ROOT/deploy/local/swarm}"
source "$ROOT/scripts/docker.sh"
cd "$ROOT"
STACK=${SOCP_STACK:-socp-swarm}
FORM_SECS=${SOCP_FORM_SECS:-300}
SERVERS=3                 # as in stack.yml
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
  if [ -f "$STATE_FILE" ]; then
    log "leaving the swarm this script created"
    docker swarm leave --force >/dev/null
    if grep -q gwbridge-made "$STATE_FILE"; then
      wait_for "docker_gwbridge unused" 30 bash -c '[ "$(docker network inspect -f "{{len .Containers}}" docker_gwbridge 2>/dev/null || echo 0)" = 0 ]'
      docker network rm docker_gwbridge >/dev/null 2>&1 || true
    fi
    rm -f "$STATE_FILE"
  fi
}

# The stack's secret files via init (as for compose): existing Redis volumes of a kept stack
# are mounted read-only so that init refuses secrets that no longer open them.
init_secrets() {
  local args=(--rm --network none --user 0:0 -e "SOCP_INIT_SERVERS=$SERVERS"
              -v "$ROOT/deploy/compose/init.sh:/socp/init.sh:ro" -v "$SOCP_SECRETS_DIR/prometheus-sd:/v/prometheus-sd")
  local u i out
  for u in introducer-1 introducer-2 $(for ((i = 1; i <= SERVERS; i++)); do echo "server-$i redis-$i"; done); do
    args+=(-v "$SOCP_SECRETS_DIR/$u:/v/$u")
  done
  for ((i = 1; i <= SERVERS; i++)); do
    docker volume inspect "${STACK}_redis-$i-data" >/dev/null 2>&1 && args+=(-v "${STACK}_redis-$i-data:/v/redis-$i-data:ro")
  done
  out=$(docker run "${args[@]}" "socp/introducer:$SOCP_IMAGE_TAG" sh /socp/init.sh 2>&1) \
    || { printf '%s\n' "$out" >&2; die "init refused to make the stack's secrets (see above)"; }
}

if [ "$mode" = --rm ]; then remove_stack; exit 0; fi
t0=$SECONDS
ensure_node
ensure_docker_stack
build_project_images introducer server
mkdir -p "$SOCP_SECRETS_DIR"; chmod 700 "$SOCP_SECRETS_DIR"
init_secrets
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  gw=gwbridge-kept; docker network inspect docker_gwbridge >/dev/null 2>&1 || gw=gwbridge-made
  log "docker swarm init --advertise-addr 127.0.0.1"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  mkdir -p "$SOCP_LOCAL_DIR"; echo "$gw" >"$STATE_FILE"
fi
[ "$mode" = --keep ] || trap remove_stack EXIT
log "docker stack deploy $STACK"
quiet docker stack deploy --resolve-image never -c deploy/swarm/stack.yml "$STACK"
for i in 1 2 3; do wait_for "server-$i ready" "$FORM_SECS" admin_get "server-$i" /readyz; done
for i in 1 2 3; do wait_for "server-$i linked to the other two" "$FORM_SECS" linked "$i"; done
log "swarm mesh formed in $((SECONDS - t0)) s: $(for i in 1 2 3; do admin_get server-$i /identity | sed 's/.*"id":"\([^"]*\)".*/\1/'; echo -n ' '; done)"
[ "$mode" = --keep ] && log "left running; remove with: bash deploy/swarm/deploy.sh --rm"
exit 0
