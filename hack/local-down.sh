#!/usr/bin/env bash
# Stops the local garden started by hack/local-up.sh.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/local-down.sh [--purge] [--help]

Stops exactly the processes hack/local-up.sh started (the PIDs in
$GARDEN_HOME/*.pid), then the local-node agents (the shoots' "VMs": every
local-node process with --tag=owner=$GARDEN_HOME/... on its command line), then
the shoot control planes under $GARDEN_HOME/seeds: SIGTERM first, SIGKILL after
GARDEN_STOP_TIMEOUT seconds (default 15). Nothing else is touched. Machines and
Nodes stay: after the next hack/local-up.sh the machines turn Unknown (their
agents are gone) and are replaced after the machine health timeout (10 minutes).

  --purge   also delete $GARDEN_HOME (etcd data, certificates, kubeconfigs, logs,
            the seeds' shoot control planes, backups and machine files)

Environment:
  GARDEN_HOME           state directory (default: <repo>/.garden)
  GARDEN_KEEP_AGENTS=1  leave the local-node agents running (hack/local-up.sh sets it when it restarts a
                        partly running garden: the restarted machine-controller adopts them)
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
KNOWN=(dashboard machine-controller provider-local gardenlet controller-manager aggregated-apiserver apiserver etcd)
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

# The local-node agents ("VMs") run detached from machine-controller (stopped above, so it starts no new ones).
# Each carries --tag=owner=<machine-controller's --local-state-dir>, which is under $GARDEN_HOME.
# local-up.sh passes that directory normalized.
OWNER_PREFIX="$(realpath -ms -- "$GARDEN_HOME")/"
AGENT_PIDS=()
AGENT_NAMES=()
if [[ -d "$GARDEN_HOME" && "${GARDEN_KEEP_AGENTS:-}" != "1" ]]; then
  for cmdline in /proc/[0-9]*/cmdline; do
    pid="${cmdline#/proc/}"
    pid="${pid%/cmdline}"
    # argv, one per line; empty for a process gone meanwhile or a zombie.
    args="$(tr '\0' '\n' 2>/dev/null <"$cmdline")" || continue
    [[ "$(basename -- "$(head -n1 <<<"$args")")" == local-node ]] || continue
    grep -F -- "--tag=owner=$OWNER_PREFIX" >/dev/null <<<"$args" || continue
    AGENT_PIDS+=("$pid")
    AGENT_NAMES+=("local-node $(sed -n 's/^--tag=machine=//p' <<<"$args" | head -n1)")
  done
fi
# SIGTERM to all first (an agent exits at once and leaves its Node), then wait for each.
if [[ ${#AGENT_PIDS[@]} -gt 0 ]]; then
  garden::log "stopping ${#AGENT_PIDS[@]} local-node agent(s) (pids ${AGENT_PIDS[*]})"
fi
for pid in "${AGENT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for i in "${!AGENT_PIDS[@]}"; do
  garden::stop_pid "${AGENT_PIDS[$i]}" "${AGENT_NAMES[$i]}" "$GRACE"
  stopped=$((stopped + 1))
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
