#!/usr/bin/env bash
# The chaos suite: faults injected into a running garden at random moments; everything must converge.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/chaos.sh [--help]

Runs the chaos suite (tests/tests/chaos.rs, ignored by plain `cargo test`):
one garden with two local seeds that back shoot etcds up; rounds of an
operation (create, delete, hibernate, wake, migrate a shoot) with one fault at
a random moment after it: SIGKILL and restart of the garden's etcd,
garden-apiserver, the gardenlet or garden-controller-manager, or deletion of
system-owned objects (the seed's BackupBucket, a shoot's control-plane
Secrets, a project RoleBinding). After each round every shoot must reach the
state asked for and the deleted objects must be back; ConfigMaps written into
the shoots are read back, every shoot's etcd is finally thrown away and
restored from its BackupEntry, and after deleting the shoots nothing is left.
Prints one JSON line: the seed, the rounds, and the convergence time after each
kind of fault (median and max seconds).

Environment:
  GARDEN_CHAOS_SEED    the seed (default fixed; a failure prints the one it used)
  GARDEN_CHAOS_ROUNDS  rounds (default 14: every kind of fault twice)
  GARDEN_BIN_DIR       where the binaries are (default: the cargo target dir's debug/)
USAGE
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GARDEN_REPO_ROOT"
garden::ensure_packages
garden::ensure_kubectl
export PATH
GARDEN_BIN_DIR="${GARDEN_BIN_DIR:-$(garden::bin_dir)}"
export GARDEN_BIN_DIR
cargo build --workspace --bins
REPORT="$(mktemp "${TMPDIR:-/tmp}/garden-chaos.XXXXXX")"
trap 'rm -f "$REPORT"' EXIT
GARDEN_CHAOS_REPORT="$REPORT" cargo test -p garden-e2e --test chaos -- --ignored --nocapture
cat "$REPORT"
echo
