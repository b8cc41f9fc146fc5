#!/usr/bin/env bash
# Starts one more local seed (its own gardenlet and state directory) next to the garden of hack/local-up.sh,
# e.g. as the target of a control plane migration:
#   hack/local-seed.sh local-2
#   kubectl -n garden-dev patch shoot local-workerless --type merge -p '{"spec":{"seedName":"local-2"}}'
# hack/local-down.sh stops it with the rest (its PID file is $GARDEN_HOME/gardenlet-NAME.pid).
# It starts no provider-local and no machine-controller of its own: both watch every namespace of the seed API, and
# local seeds share the garden API as their seed API, so exactly one of each runs per garden (hack/local-up.sh's)
# and it serves the worker pools of shoots on every local seed.
set -euo pipefail
case "${1:-}" in
  -h | --help | "") sed -n 2,9p "$0"; [[ -n "${1:-}" ]]; exit $? ;;
esac
SEED="$1"
[[ "$SEED" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || { echo "seed name $SEED is not a DNS label" >&2; exit 2; }
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GARDEN_HOME="$(garden::garden_home)"
KUBECONFIG_PATH="$GARDEN_HOME/kubeconfig"
[[ -f "$KUBECONFIG_PATH" ]] || garden::die "no local garden in $GARDEN_HOME: run hack/local-up.sh first"
NAME="gardenlet-$SEED"
PIDFILE="$GARDEN_HOME/$NAME.pid"
if garden::pid_alive "$PIDFILE" "$GARDEN_HOME"; then
  garden::log "$NAME already runs (pid $(cat "$PIDFILE"))"
  exit 0
fi
BIN="$(garden::bin_dir)/gardenlet"
[[ -x "$BIN" ]] || garden::die "binary not found: $BIN (run hack/local-up.sh, which builds it)"
CONFIG="$GARDEN_HOME/$NAME.yaml"
sed "0,/^    name: local\$/s//    name: $SEED/" "$GARDEN_REPO_ROOT/hack/config/gardenlet-local.yaml" >"$CONFIG"
echo "stateDir: $GARDEN_HOME/seeds/$SEED" >>"$CONFIG"
mkdir -p "$GARDEN_HOME/logs"
LOG="$GARDEN_HOME/logs/$NAME.log"
setsid nohup "$BIN" --kubeconfig "$KUBECONFIG_PATH" --config "$CONFIG" >>"$LOG" 2>&1 </dev/null &
echo "$!" >"$PIDFILE"
garden::log "started $NAME (pid $!, log $LOG)"
for _ in $(seq 1 100); do
  if KUBECONFIG="$KUBECONFIG_PATH" kubectl get seed "$SEED" -o 'jsonpath={.status.conditions[?(@.type=="GardenletReady")].status}' 2>/dev/null | grep -q True; then
    garden::log "seed $SEED is ready"
    exit 0
  fi
  garden::pid_alive "$PIDFILE" "$GARDEN_HOME" || { tail -n 20 "$LOG" >&2; garden::die "$NAME exited"; }
  sleep 0.2
done
garden::die "seed $SEED did not become ready; see $LOG"
