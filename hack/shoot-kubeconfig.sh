#!/usr/bin/env bash
# Prints a short-lived kubeconfig for a shoot's own API server (shoots/adminkubeconfig, or viewerkubeconfig).
#   hack/shoot-kubeconfig.sh [--viewer] [--expiration-seconds N] NAMESPACE SHOOT > shoot.kubeconfig
# Uses the current KUBECONFIG (the garden); the caller needs `create` on shoots/adminkubeconfig.
set -euo pipefail
SUB=adminkubeconfig
SECONDS_VALID=3600
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) sed -n 2,4p "$0"; exit 0 ;;
    --viewer) SUB=viewerkubeconfig; shift ;;
    --expiration-seconds) SECONDS_VALID="$2"; shift 2 ;;
    *) break ;;
  esac
done
[[ $# -eq 2 ]] || { sed -n 2,4p "$0" >&2; exit 2; }
NAMESPACE="$1"
SHOOT="$2"
REQUEST=$(mktemp)
trap 'rm -f "$REQUEST"' EXIT
printf '{"apiVersion":"authentication.gardener.cloud/v1alpha1","kind":"AdminKubeconfigRequest","spec":{"expirationSeconds":%s}}' \
  "$SECONDS_VALID" >"$REQUEST"
kubectl create --raw "/apis/core.gardener.cloud/v1beta1/namespaces/$NAMESPACE/shoots/$SHOOT/$SUB" -f "$REQUEST" |
  python3 -c 'import base64, json, sys; sys.stdout.write(base64.b64decode(json.load(sys.stdin)["status"]["kubeconfig"]).decode())'
