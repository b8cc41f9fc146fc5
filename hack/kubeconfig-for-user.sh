#!/usr/bin/env bash
# Prints a kubeconfig for a user of the running local garden.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/kubeconfig-for-user.sh [--expiration-seconds N] NAME [GROUP...]

Prints to stdout a kubeconfig that authenticates as user NAME (member of the
given groups) against the local garden started by hack/local-up.sh, with a
client certificate signed by the garden's CA ($GARDEN_HOME/certs).

Example:
  hack/kubeconfig-for-user.sh alice > alice.kubeconfig
  KUBECONFIG=alice.kubeconfig kubectl -n garden-dev get shoots   # forbidden until alice is a project member

Environment:
  GARDEN_HOME   state directory (default: <repo>/.garden)
USAGE
}

EXTRA=()
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --expiration-seconds)
      [[ $# -ge 2 ]] || { usage >&2; exit 2; }
      EXTRA+=(--expiration-seconds "$2")
      shift 2
      ;;
    --expiration-seconds=*) EXTRA+=(--expiration-seconds "${1#*=}"); shift ;;
    -*) usage >&2; exit 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
[[ ${#ARGS[@]} -ge 1 ]] || { usage >&2; exit 2; }
USER_NAME="${ARGS[0]}"

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GARDEN_HOME="$(garden::garden_home)"
STATE_FILE="$GARDEN_HOME/local.env"
[[ -f "$STATE_FILE" ]] || garden::die "no local garden in $GARDEN_HOME: run hack/local-up.sh first"
state_get() { sed -n "s/^$1=//p" "$STATE_FILE" | tail -n1; }

PORT="$(state_get GARDEN_APISERVER_PORT)"
[[ -n "$PORT" ]] || garden::die "no GARDEN_APISERVER_PORT in $STATE_FILE"
BIN_DIR="$(state_get GARDEN_BIN_DIR)"
[[ -x "${BIN_DIR}/garden-apiserver" ]] || BIN_DIR="$(garden::bin_dir)"
APISERVER_BIN="$BIN_DIR/garden-apiserver"
[[ -x "$APISERVER_BIN" ]] || garden::die "binary not found: $APISERVER_BIN (run hack/local-up.sh)"
garden::pid_alive "$GARDEN_HOME/apiserver.pid" ||
  garden::log "warning: the local garden-apiserver is not running (hack/local-up.sh starts it)"

CMD=("$APISERVER_BIN" kubeconfig
  --cert-dir "$GARDEN_HOME/certs"
  --server "https://127.0.0.1:${PORT}"
  --user "$USER_NAME")
for group in "${ARGS[@]:1}"; do
  CMD+=(--group "$group")
done
exec "${CMD[@]}" "${EXTRA[@]}"
