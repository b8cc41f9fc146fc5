#!/usr/bin/env bash
# Starts an AWS seed next to the garden of hack/local-up.sh, against moto (PyPI moto[server], an EC2/IAM/S3 API
# server on loopback) instead of AWS:
#   hack/local-aws-seed.sh
#   kubectl apply -f examples/cloudprofile-aws.yaml -f examples/project-dev.yaml
#   kubectl -n garden-dev apply -f examples/shoot-aws.yaml
# It runs moto (AMI, instance type and key pair validation on), the seed's gardenlet (seed "aws", region us-east-1,
# hack/config/gardenlet-aws.yaml; control planes as processes here, etcd backups into moto's S3),
# gardener-extension-provider-aws, machine-controller --provider aws and aws-node-simulator (a Node for each
# instance: moto's never boot; tests and this script only). hack/local-down.sh stops them with the rest (PID
# files in $GARDEN_HOME). Environment:
#   AWS_SEED_MOTO_PORT   moto's port (default: the last one used, else a free port)
set -euo pipefail
case "${1:-}" in
  -h | --help) sed -n 2,12p "$0"; exit 0 ;;
  "") ;;
  *) sed -n 2,12p "$0" >&2; exit 2 ;;
esac
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GARDEN_HOME="$(garden::garden_home)"
KUBECONFIG_PATH="$GARDEN_HOME/kubeconfig"
[[ -f "$KUBECONFIG_PATH" ]] || garden::die "no local garden in $GARDEN_HOME: run hack/local-up.sh first"
garden::ensure_moto
BIN_DIR="$(garden::bin_dir)"
for b in gardenlet gardener-extension-provider-aws machine-controller aws-node-simulator; do
  [[ -x "$BIN_DIR/$b" ]] || garden::die "binary not found: $BIN_DIR/$b (run hack/local-up.sh, which builds it)"
done
mkdir -p "$GARDEN_HOME/logs" "$GARDEN_HOME/seeds/aws"
PORT_FILE="$GARDEN_HOME/aws-seed-moto.port"
PORT="${AWS_SEED_MOTO_PORT:-$(cat "$PORT_FILE" 2>/dev/null || garden::free_port)}"
echo "$PORT" >"$PORT_FILE"
ENDPOINT="http://127.0.0.1:$PORT"

MOTO_PY="$GARDEN_TOOLS_DIR/moto-venv/bin/python"
garden::start_detached aws-seed-moto env MOTO_ENABLE_AMI_VALIDATION=true MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION=true \
  MOTO_ENABLE_KEYPAIR_VALIDATION=true \
  "$MOTO_PY" -c 'import sys; from moto.server import main; main(["-H", "127.0.0.1", "-p", sys.argv[1]])' \
  "$PORT" "$GARDEN_HOME"
for _ in $(seq 1 150); do
  curl -sf "$ENDPOINT/moto-api/" >/dev/null 2>&1 && break
  garden::pid_alive "$GARDEN_HOME/aws-seed-moto.pid" "$GARDEN_HOME" ||
    { tail -n 20 "$GARDEN_HOME/logs/aws-seed-moto.log" >&2; garden::die "moto exited"; }
  sleep 0.2
done
curl -sf "$ENDPOINT/moto-api/" >/dev/null || garden::die "moto did not answer on $ENDPOINT"

# The seed's shoot etcds are backed up into moto's S3 (a BackupBucket of type aws; moto takes any key).
KUBECONFIG="$KUBECONFIG_PATH" kubectl get namespace garden >/dev/null 2>&1 ||
  KUBECONFIG="$KUBECONFIG_PATH" kubectl create namespace garden >/dev/null
KUBECONFIG="$KUBECONFIG_PATH" kubectl -n garden create secret generic backup-aws --from-literal=accessKeyID=moto \
  --from-literal=secretAccessKey=moto --dry-run=client -o yaml | KUBECONFIG="$KUBECONFIG_PATH" kubectl apply -f - >/dev/null
CONFIG="$GARDEN_HOME/gardenlet-aws.yaml"
python3 - "$GARDEN_REPO_ROOT/hack/config/gardenlet-aws.yaml" "$CONFIG" "$ENDPOINT" "$GARDEN_HOME/seeds/aws" <<'PY'
import sys
source, target, endpoint, state_dir = sys.argv[1:5]
text = open(source).read()
backup = (
    "  spec:\n    backup:\n      provider: aws\n      region: us-east-1\n      providerConfig:\n"
    f"        endpoint: {endpoint}\n      credentialsRef:\n        apiVersion: v1\n        kind: Secret\n"
    "        name: backup-aws\n        namespace: garden\n"
)
assert "  spec:\n" in text, "hack/config/gardenlet-aws.yaml has no seedConfig.spec"
open(target, "w").write(text.replace("  spec:\n", backup, 1) + f"stateDir: {state_dir}\n")
PY
garden::start_detached gardenlet-aws "$BIN_DIR/gardenlet" --kubeconfig "$KUBECONFIG_PATH" --config "$CONFIG"
garden::start_detached provider-aws "$BIN_DIR/gardener-extension-provider-aws" --kubeconfig "$KUBECONFIG_PATH" \
  --aws-endpoint "$ENDPOINT" --health-bind-address 127.0.0.1:0
garden::start_detached machine-controller-aws "$BIN_DIR/machine-controller" --kubeconfig "$KUBECONFIG_PATH" --provider aws \
  --aws-endpoint "$ENDPOINT" --health-bind-address 127.0.0.1:0 \
  --machine-safety-orphan-vms-period 30s
garden::start_detached aws-node-simulator "$BIN_DIR/aws-node-simulator" --kubeconfig "$KUBECONFIG_PATH" \
  --aws-endpoint "$ENDPOINT" --state-dir "$GARDEN_HOME/seeds/aws/node-simulator"
for _ in $(seq 1 100); do
  if KUBECONFIG="$KUBECONFIG_PATH" kubectl get seed aws -o 'jsonpath={.status.conditions[?(@.type=="GardenletReady")].status}' 2>/dev/null | grep -q True; then
    garden::log "seed aws is ready; moto (EC2/IAM) at $ENDPOINT"
    exit 0
  fi
  sleep 0.2
done
garden::die "seed aws did not become ready; see $GARDEN_HOME/logs/gardenlet-aws.log"
