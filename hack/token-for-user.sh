#!/usr/bin/env bash
# Prints a new bearer token for a user of the running local garden (for the portal's login, or kubectl --token).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/token-for-user.sh NAME [GROUP...]

Adds a random static token for user NAME (member of the given groups) to the local garden's token file
($GARDEN_HOME/tokens.csv, kube's --token-auth-file format, mode 0600) and prints the token. The running
garden-apiserver reads the file again within a second; hack/local-up.sh starts it with that file.

Example:
  TOKEN=$(hack/token-for-user.sh alice)
  kubectl --token "$TOKEN" -n garden-dev get shoots   # forbidden until alice is a member of project dev
  # or paste it into the portal's login page (hack/local-up.sh prints its URL)

Environment:
  GARDEN_HOME   state directory (default: <repo>/.garden)
USAGE
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "" | -*) usage >&2; exit 2 ;;
esac
USER_NAME="$1"
shift
[[ "$USER_NAME" =~ ^[A-Za-z0-9@._:-]+$ ]] || { echo "ERROR: user names may hold letters, digits and @._:-" >&2; exit 2; }
for group in "$@"; do
  [[ "$group" =~ ^[A-Za-z0-9@._:-]+$ ]] || { echo "ERROR: group '$group': letters, digits and @._:- only" >&2; exit 2; }
done

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GARDEN_HOME="$(garden::garden_home)"
TOKENS="$GARDEN_HOME/tokens.csv"
[[ -f "$GARDEN_HOME/local.env" ]] || garden::die "no local garden in $GARDEN_HOME: run hack/local-up.sh first"
garden::pid_alive "$GARDEN_HOME/apiserver.pid" ||
  garden::log "warning: the local garden-apiserver is not running (hack/local-up.sh starts it)"

TOKEN="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
GROUPS_CSV="$(IFS=,; echo "$*")"
umask 077
printf '%s,%s,%s,"%s"\n' "$TOKEN" "$USER_NAME" "$USER_NAME" "$GROUPS_CSV" >>"$TOKENS"
printf '%s\n' "$TOKEN"
