#!/usr/bin/env bash
# Starts a complete local garden in the background and returns.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: hack/local-up.sh [--help] [--aggregated]

Installs what is missing (etcd, protoc and libprotobuf-dev, curl, python3, gcc,
kubectl), builds the workspace, and starts a local garden in the background:

  etcd                       data in $GARDEN_HOME/etcd
  garden-apiserver           certs in $GARDEN_HOME/certs, admin kubeconfig at $GARDEN_HOME/kubeconfig
  garden-controller-manager  talks to the apiserver with that kubeconfig
  gardenlet                  registers seed "local" (hack/config/gardenlet-local.yaml) and heartbeats
  provider-local             the local provider extension: Workers -> MachineClasses + MachineDeployments
  machine-controller         machines of every shoot on the seed; a machine is a detached local-node
                             process, its files in $GARDEN_HOME/seeds/local/machines
  garden-dashboard           the tenant portal (its front end built with npm first); log in with a token from
                             hack/token-for-user.sh (static tokens in $GARDEN_HOME/tokens.csv)

With --aggregated, the garden runs in the production topology instead: the API server above becomes the
garden's kube-apiserver (garden-apiserver --api-profile kube: the core API, APIServices and an aggregator),
and a second one serves Gardener's groups behind it:

  aggregated-apiserver       garden-apiserver --api-profile aggregated, certs in $GARDEN_HOME/certs/aggregated,
                             registered by hack/register-aggregated-apiserver.sh (APIServices, RBAC); it
                             authenticates callers through the front proxy and TokenReview and authorizes them
                             by SubjectAccessReview

Every client (kubectl, gardenctl, the controllers, the portal) still talks to the one URL; requests for
Gardener's groups are proxied. Both topologies keep their objects under the same etcd prefix, so a garden can
be stopped and started again in the other one.

registers the garden as "local" in gardenctl's configuration ($GCTL_HOME, default
~/.garden/gardenctl-v2.yaml), waits until each component is up (etcd /health, the API server's /readyz, the
others' /healthz where they have one), writes PID files ($GARDEN_HOME/*.pid),
prints what to do next and exits 0. Running it again while the garden is up
only prints its status. etcd data and certificates are kept across restarts
(hack/local-down.sh --purge deletes them).

Environment:
  GARDEN_HOME              state directory (default: <repo>/.garden)
  GARDEN_APISERVER_PORT    API server port (default: last one used, else a free port)
  AGGREGATED_APISERVER_PORT  the aggregated server's port with --aggregated (same default)
  ETCD_CLIENT_PORT         etcd client port (default: last one used, else a free port)
  ETCD_PEER_PORT           etcd peer port   (default: last one used, else a free port)
  PROVIDER_LOCAL_HEALTH_PORT      provider-local's /healthz port (default: last one used, else a free port)
  MACHINE_CONTROLLER_HEALTH_PORT  machine-controller's /healthz and /metrics port (same default)
  DASHBOARD_PORT           the portal's port (same default)
  GARDEN_READY_TIMEOUT     seconds to wait for each component (default: 120)
  CARGO_TARGET_DIR         honoured as by cargo
  GARDEN_SKIP_BUILD=1      use the binaries already built
EOF
}

AGGREGATED=0
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --aggregated) AGGREGATED=1 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GARDEN_HOME="$(garden::garden_home)"
export GARDEN_HOME
READY_TIMEOUT="${GARDEN_READY_TIMEOUT:-120}"
LOG_DIR="$GARDEN_HOME/logs"
CERT_DIR="$GARDEN_HOME/certs"
KUBECONFIG_PATH="$GARDEN_HOME/kubeconfig"
STATE_FILE="$GARDEN_HOME/local.env"
GARDENCTL_CONFIG="${GCTL_HOME:-$HOME/.garden}/${GCTL_CONFIG_NAME:-gardenctl-v2}.yaml"
# The local seed's state directory (gardenlet's stateDir) and, under it, the machine controller's.
SEED_STATE_DIR="$GARDEN_HOME/seeds/local"
# Normalized (no "//", "..", trailing "/"): machine-controller tags its agents with it as given.
MACHINES_DIR="$(realpath -ms -- "$SEED_STATE_DIR/machines")"
# Start order; local-down.sh stops in reverse.
COMPONENTS=(etcd apiserver controller-manager gardenlet provider-local machine-controller dashboard)
if [[ "$AGGREGATED" == 1 ]]; then
  COMPONENTS=(etcd apiserver aggregated-apiserver controller-manager gardenlet provider-local machine-controller dashboard)
fi

# --- prerequisites and build -------------------------------------------------

garden::ensure_packages
garden::ensure_rust
garden::ensure_kubectl
garden::ensure_dashboard

BIN_DIR="$(garden::bin_dir)"
if [[ "${GARDEN_SKIP_BUILD:-}" != "1" ]]; then
  garden::log "cargo build --workspace --bins (target: $(garden::target_dir))"
  (cd "$GARDEN_REPO_ROOT" && cargo build --workspace --bins) || garden::die "cargo build failed"
fi
APISERVER_BIN="$BIN_DIR/garden-apiserver"
CONTROLLER_MANAGER_BIN="$BIN_DIR/garden-controller-manager"
GARDENLET_BIN="$BIN_DIR/gardenlet"
PROVIDER_LOCAL_BIN="$BIN_DIR/gardener-extension-provider-local"
MACHINE_CONTROLLER_BIN="$BIN_DIR/machine-controller"
# machine-controller starts the local-node agents ("VMs") from next to its own binary.
LOCAL_NODE_BIN="$BIN_DIR/local-node"
GARDENCTL_BIN="$BIN_DIR/gardenctl"
DASHBOARD_BIN="$BIN_DIR/garden-dashboard"
BINARIES=("$APISERVER_BIN" "$CONTROLLER_MANAGER_BIN" "$GARDENLET_BIN" "$PROVIDER_LOCAL_BIN" "$MACHINE_CONTROLLER_BIN"
  "$LOCAL_NODE_BIN" "$GARDENCTL_BIN" "$DASHBOARD_BIN")
for bin in "${BINARIES[@]}"; do
  [[ -x "$bin" ]] || garden::die "binary not found: $bin (did the build succeed?)"
done

mkdir -p "$GARDEN_HOME" "$LOG_DIR" "$CERT_DIR"

# --- state from the previous run ---------------------------------------------

# Reads KEY from the state file written by an earlier run (empty if none).
state_get() {
  [[ -f "$STATE_FILE" ]] || return 0
  sed -n "s/^$1=//p" "$STATE_FILE" | tail -n1
}

# A garden started with --aggregated keeps that topology while it runs (a plain re-run only prints its status).
if [[ "$AGGREGATED" == 0 ]] && garden::pid_alive "$GARDEN_HOME/aggregated-apiserver.pid" "$GARDEN_HOME"; then
  AGGREGATED=1
  COMPONENTS=(etcd apiserver aggregated-apiserver controller-manager gardenlet provider-local machine-controller dashboard)
fi

display_path() {
  case "$1" in
    "$PWD"/*) printf '%s\n' "${1#"$PWD"/}" ;;
    *) printf '%s\n' "$1" ;;
  esac
}

# The local-node agents ("VMs") of this garden's machine controller: their command line has
# --tag=owner=$MACHINES_DIR (hack/local-down.sh stops every agent tagged with an owner under $GARDEN_HOME).
count_agents() {
  local f n=0
  for f in /proc/[0-9]*/cmdline; do
    if tr '\0' '\n' 2>/dev/null <"$f" | grep -xF -- "--tag=owner=$MACHINES_DIR" >/dev/null; then n=$((n + 1)); fi
  done
  printf '%s\n' "$n"
}

print_status() {
  local port
  port="$(state_get GARDEN_APISERVER_PORT)"
  echo
  echo "Local garden in $(display_path "$GARDEN_HOME"):"
  local c pid state
  for c in "${COMPONENTS[@]}"; do
    pid="$(cat "$GARDEN_HOME/$c.pid" 2>/dev/null || echo -)"
    if garden::pid_alive "$GARDEN_HOME/$c.pid" "$GARDEN_HOME"; then state=running; else state=stopped; fi
    printf '  %-20s pid %-8s %s\n' "$c" "$pid" "$state"
  done
  echo "  API server:          https://127.0.0.1:${port}"
  if [[ "$AGGREGATED" == 1 ]]; then
    echo "  aggregated server:   https://127.0.0.1:$(state_get AGGREGATED_APISERVER_PORT)  (Gardener's groups, behind the" \
      "API server: kubectl get apiservices)"
  fi
  echo "  etcd:                http://127.0.0.1:$(state_get ETCD_CLIENT_PORT)"
  echo "  provider-local:      http://127.0.0.1:$(state_get PROVIDER_LOCAL_HEALTH_PORT)/healthz"
  echo "  machine-controller:  http://127.0.0.1:$(state_get MACHINE_CONTROLLER_HEALTH_PORT)/metrics"
  echo "  portal:              http://127.0.0.1:$(state_get DASHBOARD_PORT)/  (log in with a token:" \
    "$(display_path "$GARDEN_REPO_ROOT")/hack/token-for-user.sh NAME)"
  echo "  machines:            $(count_agents) local-node agent(s), files in $(display_path "$MACHINES_DIR")/"
  echo "  logs:                $(display_path "$LOG_DIR")/"
  echo
  local ex="examples"
  [[ "$PWD" == "$GARDEN_REPO_ROOT" ]] || ex="$GARDEN_REPO_ROOT/examples"
  local hack="hack"
  [[ "$PWD" == "$GARDEN_REPO_ROOT" ]] || hack="$GARDEN_REPO_ROOT/hack"
  cat <<EOF
Next steps:
  export PATH=$BIN_DIR:\$PATH
  eval "\$(gardenctl rc bash)"         # a gardenctl session for this shell, completion, aliases (g, gt, gtv, gk)
  gardenctl target garden local        # the garden hack/local-up.sh registered in $(display_path "$GARDENCTL_CONFIG")
  eval "\$(gardenctl kubectl-env bash)" # KUBECONFIG follows the target; docs/usage/gardenctl.md has the rest
  export KUBECONFIG=$KUBECONFIG_PATH
  kubectl get namespaces
  kubectl apply -f $ex/cloudprofile-local.yaml -f $ex/project-dev.yaml
  kubectl -n garden-dev apply -f $ex/shoot-local.yaml
  kubectl -n garden-dev get shoots -o wide -w
  $hack/shoot-kubeconfig.sh garden-dev local > shoot.kubeconfig
  kubectl --kubeconfig shoot.kubeconfig get nodes
  kubectl -n shoot--dev--local get machinedeployments,machinesets,machines
  kubectl explain shoot.spec.provider.workers
  $hack/kubeconfig-for-user.sh alice > alice.kubeconfig
  $hack/token-for-user.sh garden-admin system:masters   # a token for the portal (http://127.0.0.1:$(state_get DASHBOARD_PORT)/)
  $hack/local-down.sh            # stop (add --purge to delete all state)
EOF
}

all_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do
    garden::pid_alive "$GARDEN_HOME/$c.pid" "$GARDEN_HOME" || return 1
  done
}

any_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do
    garden::pid_alive "$GARDEN_HOME/$c.pid" "$GARDEN_HOME" && return 0
  done
  return 1
}

if all_alive; then
  garden::log "local garden already running"
  for bin in "${BINARIES[@]}"; do
    if [[ "$bin" -nt "$GARDEN_HOME/apiserver.pid" ]]; then
      garden::log "note: $(basename "$bin") was rebuilt after the garden started;" \
        "run hack/local-down.sh && hack/local-up.sh to use the new build"
      break
    fi
  done
  print_status
  exit 0
fi

if any_alive; then
  garden::log "local garden is only partly running: restarting it (local-node agents keep running)"
  GARDEN_KEEP_AGENTS=1 "$GARDEN_REPO_ROOT/hack/local-down.sh"
fi

# --- ports -------------------------------------------------------------------

# pick_port ENV_VALUE STATE_KEY: the explicit value, else the previous port if
# still free (keeps etcd's peer URL and kubeconfigs stable), else a new one.
pick_port() {
  local explicit="$1" key="$2" previous
  if [[ -n "$explicit" ]]; then
    printf '%s\n' "$explicit"
    return 0
  fi
  previous="$(state_get "$key")"
  if [[ -n "$previous" ]] && garden::port_is_free "$previous"; then
    printf '%s\n' "$previous"
    return 0
  fi
  garden::free_port
}

ETCD_CLIENT_PORT="$(pick_port "${ETCD_CLIENT_PORT:-}" ETCD_CLIENT_PORT)"
ETCD_PEER_PORT="$(pick_port "${ETCD_PEER_PORT:-}" ETCD_PEER_PORT)"
while [[ "$ETCD_PEER_PORT" == "$ETCD_CLIENT_PORT" ]]; do ETCD_PEER_PORT="$(garden::free_port)"; done
APISERVER_PORT="$(pick_port "${GARDEN_APISERVER_PORT:-}" GARDEN_APISERVER_PORT)"
while [[ "$APISERVER_PORT" == "$ETCD_CLIENT_PORT" || "$APISERVER_PORT" == "$ETCD_PEER_PORT" ]]; do
  APISERVER_PORT="$(garden::free_port)"
done
# The health ports: same rules, and distinct from every port picked before.
PORTS=("$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT")
pick_distinct_port() {
  local port
  port="$(pick_port "$1" "$2")"
  while [[ " ${PORTS[*]} " == *" $port "* ]]; do port="$(garden::free_port)"; done
  printf '%s\n' "$port"
}
PROVIDER_LOCAL_HEALTH_PORT="$(pick_distinct_port "${PROVIDER_LOCAL_HEALTH_PORT:-}" PROVIDER_LOCAL_HEALTH_PORT)"
PORTS+=("$PROVIDER_LOCAL_HEALTH_PORT")
MACHINE_CONTROLLER_HEALTH_PORT="$(pick_distinct_port "${MACHINE_CONTROLLER_HEALTH_PORT:-}" MACHINE_CONTROLLER_HEALTH_PORT)"
PORTS+=("$MACHINE_CONTROLLER_HEALTH_PORT")
DASHBOARD_PORT="$(pick_distinct_port "${DASHBOARD_PORT:-}" DASHBOARD_PORT)"
PORTS+=("$DASHBOARD_PORT")
AGGREGATED_APISERVER_PORT="$(pick_distinct_port "${AGGREGATED_APISERVER_PORT:-}" AGGREGATED_APISERVER_PORT)"
PORTS+=("$AGGREGATED_APISERVER_PORT")
for p in "${PORTS[@]}"; do
  garden::port_is_free "$p" || garden::die "port $p on 127.0.0.1 is in use"
done

ETCD_URL="http://127.0.0.1:${ETCD_CLIENT_PORT}"
SERVER_URL="https://127.0.0.1:${APISERVER_PORT}"

cat >"$STATE_FILE" <<EOF
# Written by hack/local-up.sh; read by the other hack/ scripts.
GARDEN_APISERVER_PORT=$APISERVER_PORT
ETCD_CLIENT_PORT=$ETCD_CLIENT_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
PROVIDER_LOCAL_HEALTH_PORT=$PROVIDER_LOCAL_HEALTH_PORT
MACHINE_CONTROLLER_HEALTH_PORT=$MACHINE_CONTROLLER_HEALTH_PORT
DASHBOARD_PORT=$DASHBOARD_PORT
AGGREGATED_APISERVER_PORT=$AGGREGATED_APISERVER_PORT
GARDEN_BIN_DIR=$BIN_DIR
EOF

# --- start -------------------------------------------------------------------

STARTED=()
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 && ${#STARTED[@]} -gt 0 ]]; then
    garden::log "start-up failed: stopping what this run started"
    local i c
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
      c="${STARTED[$i]}"
      garden::stop_pid "$(cat "$GARDEN_HOME/$c.pid")" "$c" 10
      rm -f "$GARDEN_HOME/$c.pid"
    done
  fi
}
trap on_exit EXIT

# start_component NAME COMMAND [ARGS...]: runs it detached (own session, stdin
# closed, output to logs/NAME.log) and records its PID.
start_component() {
  local name="$1"
  shift
  local log="$LOG_DIR/$name.log"
  {
    echo
    echo "===== $(date -u +%Y-%m-%dT%H:%M:%SZ) starting: $*"
  } >>"$log"
  # setsid: the process outlives this script and its terminal; not being a
  # process-group leader here, setsid execs in place, so $! is the real PID.
  setsid nohup "$@" >>"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$GARDEN_HOME/$name.pid"
  STARTED+=("$name")
  garden::log "started $name (pid $pid, log $(display_path "$log"))"
}

# check_running NAME: fails with the log tail when the process has exited.
check_running() {
  if ! garden::pid_alive "$GARDEN_HOME/$1.pid" "$GARDEN_HOME"; then
    garden::log "$1 exited; last lines of $LOG_DIR/$1.log:"
    tail -n 30 "$LOG_DIR/$1.log" >&2 || true
    return 1
  fi
}

# wait_healthy NAME CHECK_FUNCTION: polls until healthy, the process dies, or timeout.
wait_healthy() {
  local name="$1" check="$2"
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$check"; do
    check_running "$name" || garden::die "$name did not start"
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      garden::die "$name not healthy after ${READY_TIMEOUT}s (log: $LOG_DIR/$name.log)"
    fi
    sleep 0.2
  done
  garden::log "$name is healthy"
}

etcd_healthy() {
  curl -sf --max-time 2 "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'
}

apiserver_ready() {
  [[ "$(curl -sk --max-time 2 "$SERVER_URL/readyz" 2>/dev/null)" == "ok" ]] && [[ -s "$KUBECONFIG_PATH" ]]
}

provider_local_healthy() {
  [[ "$(curl -s --max-time 2 "http://127.0.0.1:${PROVIDER_LOCAL_HEALTH_PORT}/healthz" 2>/dev/null)" == "ok" ]]
}

machine_controller_healthy() {
  [[ "$(curl -s --max-time 2 "http://127.0.0.1:${MACHINE_CONTROLLER_HEALTH_PORT}/healthz" 2>/dev/null)" == "ok" ]]
}

PEER_URL="http://127.0.0.1:${ETCD_PEER_PORT}"
start_component etcd etcd \
  --name garden \
  --data-dir "$GARDEN_HOME/etcd" \
  --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
  --listen-peer-urls "$PEER_URL" --initial-advertise-peer-urls "$PEER_URL" \
  --initial-cluster "garden=$PEER_URL" --initial-cluster-state new \
  --heartbeat-interval 100 --election-timeout 500
wait_healthy etcd etcd_healthy

# The apiserver writes the admin kubeconfig once it serves: drop a stale one
# so that waiting for it means waiting for this run.
rm -f "$KUBECONFIG_PATH"
# Static tokens (the portal's logins): hack/token-for-user.sh adds lines; the API server reads the file again.
TOKENS_FILE="$GARDEN_HOME/tokens.csv"
[[ -f "$TOKENS_FILE" ]] || (umask 077 && : >"$TOKENS_FILE")
PROFILE=garden
[[ "$AGGREGATED" == 1 ]] && PROFILE=kube
start_component apiserver "$APISERVER_BIN" \
  --api-profile "$PROFILE" \
  --token-auth-file "$TOKENS_FILE" \
  --etcd-servers "$ETCD_URL" \
  --bind-address 127.0.0.1 \
  --secure-port "$APISERVER_PORT" \
  --cert-dir "$CERT_DIR" \
  --admin-kubeconfig "$KUBECONFIG_PATH"
wait_healthy apiserver apiserver_ready

if [[ "$AGGREGATED" == 1 ]]; then
  AGGREGATED_URL="https://127.0.0.1:${AGGREGATED_APISERVER_PORT}"
  AGGREGATED_CERT_DIR="$CERT_DIR/aggregated"
  AGGREGATED_KUBECONFIG="$GARDEN_HOME/aggregated-apiserver.kubeconfig"
  # Its serving certificate names the Service the aggregator reaches it as; its identity towards the garden
  # kube-apiserver is a client certificate of user system:garden-apiserver.
  "$APISERVER_BIN" certs --cert-dir "$AGGREGATED_CERT_DIR" --host garden-apiserver.garden.svc
  "$APISERVER_BIN" kubeconfig --cert-dir "$CERT_DIR" --server "$SERVER_URL" --user system:garden-apiserver \
    >"$AGGREGATED_KUBECONFIG"
  chmod 600 "$AGGREGATED_KUBECONFIG"
  "$GARDEN_REPO_ROOT/hack/register-aggregated-apiserver.sh" --kubeconfig "$KUBECONFIG_PATH" \
    --port "$AGGREGATED_APISERVER_PORT" --ca-file "$AGGREGATED_CERT_DIR/ca.crt"
  aggregated_ready() {
    [[ "$(curl -sk --max-time 2 "$AGGREGATED_URL/readyz" 2>/dev/null)" == "ok" ]] &&
      kubectl --kubeconfig "$KUBECONFIG_PATH" wait --for=condition=Available apiservice --all --timeout=1s >/dev/null 2>&1
  }
  # One etcd prefix for both servers (the groups do not overlap); only the kube-apiserver compacts.
  start_component aggregated-apiserver "$APISERVER_BIN" \
    --api-profile aggregated \
    --etcd-servers "$ETCD_URL" \
    --etcd-compaction-interval 0 \
    --bind-address 127.0.0.1 \
    --secure-port "$AGGREGATED_APISERVER_PORT" \
    --cert-dir "$AGGREGATED_CERT_DIR" \
    --kubeconfig "$AGGREGATED_KUBECONFIG"
  wait_healthy aggregated-apiserver aggregated_ready
fi

start_component controller-manager "$CONTROLLER_MANAGER_BIN" --kubeconfig "$KUBECONFIG_PATH"
# It has no port of its own to probe here: make sure it survives its start-up.
sleep 2
check_running controller-manager || garden::die "garden-controller-manager did not start"

# The seed's control planes live under $SEED_STATE_DIR.
GARDENLET_CONFIG="$GARDEN_HOME/gardenlet-local.yaml"
{ cat "$GARDEN_REPO_ROOT/hack/config/gardenlet-local.yaml"; echo "stateDir: $SEED_STATE_DIR"; } >"$GARDENLET_CONFIG"
start_component gardenlet "$GARDENLET_BIN" --kubeconfig "$KUBECONFIG_PATH" --config "$GARDENLET_CONFIG"
sleep 1
check_running gardenlet || garden::die "gardenlet did not start"

# The seed's machine layer. Both watch every namespace of the seed API, which for local seeds is the garden API
# itself: exactly one of each per garden (hack/local-seed.sh starts none). Default timeouts (machine health 10m,
# creation 20m, node monitor grace period 40s). machine-controller's agents ("VMs") are detached and outlive it;
# they carry --tag=owner=$MACHINES_DIR and a restarted machine-controller finds them again.
start_component provider-local "$PROVIDER_LOCAL_BIN" \
  --kubeconfig "$KUBECONFIG_PATH" \
  --health-bind-address "127.0.0.1:$PROVIDER_LOCAL_HEALTH_PORT"
wait_healthy provider-local provider_local_healthy
start_component machine-controller "$MACHINE_CONTROLLER_BIN" \
  --kubeconfig "$KUBECONFIG_PATH" \
  --local-state-dir "$MACHINES_DIR" \
  --health-bind-address "127.0.0.1:$MACHINE_CONTROLLER_HEALTH_PORT"
wait_healthy machine-controller machine_controller_healthy

dashboard_healthy() {
  [[ "$(curl -s --max-time 2 "http://127.0.0.1:${DASHBOARD_PORT}/healthz" 2>/dev/null)" == "ok" ]]
}
start_component dashboard "$DASHBOARD_BIN" \
  --garden-server "$SERVER_URL" \
  --garden-ca "$CERT_DIR/ca.crt" \
  --bind-address "127.0.0.1:$DASHBOARD_PORT" \
  --static-dir "$GARDEN_REPO_ROOT/dashboard/frontend/dist"
wait_healthy dashboard dashboard_healthy

kubectl --kubeconfig "$KUBECONFIG_PATH" get namespaces >/dev/null 2>&1 ||
  garden::log "warning: 'kubectl get namespaces' with the admin kubeconfig failed"

# gardenctl's configuration ($GCTL_HOME, default ~/.garden) gets the local garden as "local", with a pattern
# that targets a shoot by its seed namespace (gardenctl target shoot--dev--local).
"$GARDENCTL_BIN" config set-garden local --kubeconfig "$KUBECONFIG_PATH" \
  --pattern '^shoot--(?P<project>[a-z0-9-]+?)--(?P<shoot>[a-z0-9-]+)$' >/dev/null ||
  garden::log "warning: registering the local garden in gardenctl's configuration failed"

trap - EXIT
garden::log "local garden is up"
print_status
