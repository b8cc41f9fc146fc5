#!/usr/bin/env bash
# Starts an OpenStack seed next to the garden of hack/local-up.sh, against the local OpenStack of
# hack/openstack.sh (keystone, glance, placement, neutron without agents, nova with the fake compute driver):
#   hack/local-openstack-seed.sh
#   kubectl apply -f examples/cloudprofile-openstack.yaml -f examples/project-dev.yaml
#   kubectl -n garden-dev apply -f examples/shoot-openstack.yaml
# It starts that OpenStack when it is not running (about 2 min; hack/openstack.sh down stops it), then the seed's
# gardenlet (seed "openstack", region RegionOne, hack/config/gardenlet-openstack.yaml; control planes as processes
# here, no etcd backups: there is no Swift), gardener-extension-provider-openstack, machine-controller
# --provider openstack --openstack-server-networks none (ports cannot be bound without network agents) and
# openstack-node-simulator (a Node for each server: the fake driver boots nothing; tests and this script only).
# hack/local-down.sh stops them with the rest (PID files in $GARDEN_HOME).
set -euo pipefail
case "${1:-}" in
  -h | --help) sed -n 2,13p "$0"; exit 0 ;;
  "") ;;
  *) sed -n 2,13p "$0" >&2; exit 2 ;;
esac
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GARDEN_HOME="$(garden::garden_home)"
KUBECONFIG_PATH="$GARDEN_HOME/kubeconfig"
[[ -f "$KUBECONFIG_PATH" ]] || garden::die "no local garden in $GARDEN_HOME: run hack/local-up.sh first"
BIN_DIR="$(garden::bin_dir)"
for b in gardenlet gardener-extension-provider-openstack machine-controller openstack-node-simulator; do
  [[ -x "$BIN_DIR/$b" ]] || garden::die "binary not found: $BIN_DIR/$b (run hack/local-up.sh, which builds it)"
done
"$GARDEN_REPO_ROOT/hack/openstack.sh" status >/dev/null 2>&1 || "$GARDEN_REPO_ROOT/hack/openstack.sh" up
mkdir -p "$GARDEN_HOME/logs" "$GARDEN_HOME/seeds/openstack"

CONFIG="$GARDEN_HOME/gardenlet-openstack.yaml"
cp "$GARDEN_REPO_ROOT/hack/config/gardenlet-openstack.yaml" "$CONFIG"
echo "stateDir: $GARDEN_HOME/seeds/openstack" >>"$CONFIG"
garden::start_detached gardenlet-openstack "$BIN_DIR/gardenlet" --kubeconfig "$KUBECONFIG_PATH" --config "$CONFIG"
garden::start_detached provider-openstack "$BIN_DIR/gardener-extension-provider-openstack" --kubeconfig "$KUBECONFIG_PATH" \
  --health-bind-address 127.0.0.1:0 --log-format text
garden::start_detached machine-controller-openstack "$BIN_DIR/machine-controller" --kubeconfig "$KUBECONFIG_PATH" \
  --provider openstack --openstack-server-networks none --health-bind-address 127.0.0.1:0 \
  --machine-safety-orphan-vms-period 30s
garden::start_detached openstack-node-simulator "$BIN_DIR/openstack-node-simulator" --kubeconfig "$KUBECONFIG_PATH" \
  --state-dir "$GARDEN_HOME/seeds/openstack/node-simulator"
for _ in $(seq 1 100); do
  if KUBECONFIG="$KUBECONFIG_PATH" kubectl get seed openstack -o 'jsonpath={.status.conditions[?(@.type=="GardenletReady")].status}' 2>/dev/null | grep -q True; then
    garden::log "seed openstack is ready; keystone at http://127.0.0.1:5050/v3"
    exit 0
  fi
  sleep 0.2
done
garden::die "seed openstack did not become ready; see $GARDEN_HOME/logs/gardenlet-openstack.log"
