#!/usr/bin/env bash
# Stops the local garden started by hack/local-up.sh.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/local-down.sh [--purge] [--help]

Stops exactly the processes hack/local-up.sh started (the PIDs in
$GARDEN_HOME/*.pid): SIGTERM first, SIGKILL after GARDEN_STOP_TIMEOUT seconds
(default 15). Nothing else is touched.

  --purge   also delete $GARDEN_HOME (etcd data, certificates, kubeconfigs, logs)

Environment:
  GARDEN_HOME   state directory (default: <repo>/.garden)
USAGE
}

PURGE=""
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    --purge) PURGE=1 ;;
    *) usage >&2; exit 2 ;;
  esac
done

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GARDEN_HOME="$(garden::garden_home)"
GRACE="${GARDEN_STOP_TIMEOUT:-15}"

# Reverse start order: clients before the API server, the API server before etcd.
# Any other PID file (a component added later) is stopped first.
KNOWN=(gardenlet controller-manager apiserver etcd)
ORDER=()
if [[ -d "$GARDEN_HOME" ]]; then
  shopt -s nullglob
  for f in "$GARDEN_HOME"/*.pid; do
    name="$(basename "$f" .pid)"
    case " ${KNOWN[*]} " in
      *" $name "*) ;;
      *) ORDER+=("$name") ;;
    esac
  done
  shopt -u nullglob
fi
ORDER+=("${KNOWN[@]}")

stopped=0
for name in "${ORDER[@]}"; do
  pidfile="$GARDEN_HOME/$name.pid"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  # Every component has $GARDEN_HOME in its arguments: a PID that doesn't is
  # not ours (stale file, PID reused) and is left alone.
  if garden::pid_alive "$pidfile" "$GARDEN_HOME"; then
    garden::stop_pid "$pid" "$name" "$GRACE"
    stopped=$((stopped + 1))
  else
    garden::log "$name (pid ${pid:-?}) not running (stale PID file)"
  fi
  rm -f "$pidfile"
done

# Shoot control planes of the local seed run detached (they survive gardenlet restarts): stop them too,
# API servers before their etcds.
if [[ -d "$GARDEN_HOME/seeds" ]]; then
  shopt -s nullglob
  for pidfile in "$GARDEN_HOME"/seeds/*/*/backup.pid "$GARDEN_HOME"/seeds/*/*/apiserver.pid "$GARDEN_HOME"/seeds/*/*/etcd.pid; do
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if garden::pid_alive "$pidfile" "$GARDEN_HOME"; then
      garden::stop_pid "$pid" "$(basename "$(dirname "$pidfile")")/$(basename "$pidfile" .pid)" "$GRACE"
      stopped=$((stopped + 1))
    fi
    rm -f "$pidfile"
  done
  shopt -u nullglob
fi

if [[ $stopped -eq 0 ]]; then
  garden::log "no local garden processes were running"
else
  garden::log "stopped $stopped process(es)"
fi

if [[ -n "$PURGE" ]]; then
  if [[ -d "$GARDEN_HOME" ]]; then
    # Refuse obviously wrong targets: GARDEN_HOME is removed recursively.
    case "$GARDEN_HOME" in
      / | "$HOME" | "$GARDEN_REPO_ROOT") garden::die "refusing to delete GARDEN_HOME=$GARDEN_HOME" ;;
    esac
    rm -rf -- "$GARDEN_HOME"
    garden::log "deleted $GARDEN_HOME"
  else
    garden::log "nothing to purge: $GARDEN_HOME does not exist"
  fi
fi
