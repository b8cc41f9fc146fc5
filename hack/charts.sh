#!/usr/bin/env bash
# Renders, lints and strictly validates the Helm charts under charts/.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/charts.sh [--help] [-v|--verbose] [CHART]...

Checks every chart under charts/ (or the CHARTs named) with the real Helm
engine, offline: no cluster, no helm binary, no cargo build.

  1. A venv $GARDEN_TOOLS_DIR/charts-venv (default ~/.cache/garden-tools) with
     the PyPI packages pinned in hack/charts-requirements.txt (helm-python-sdk:
     Helm's Go library; kubernetes-validate: the Kubernetes schemas;
     cryptography: the certificate checks), created or
     updated when they are missing or at another version.
  2. charts/tests/check_charts.py: for every values file charts/<chart>/ci/*.yaml
     renders the chart (release garden-test, namespace garden), lints it (Kubernetes
     v1.33.0; warnings fail), validates every object strictly against the
     Kubernetes 1.33 schemas and cross-checks the release: RBAC subjects against
     the ServiceAccounts, Service selectors against the pods, images against
     garden/<binary>:<appVersion>, volumes against the ConfigMaps and Secrets,
     probes against the container ports, the container arguments against
     the binary's clap flags read from its Rust source, and (garden-controlplane)
     the APIServices against the Service and the group-versions garden-apiserver
     serves, each caBundle against the serving certificate it must have signed.
     Every values file
     charts/<chart>/ci/broken/*.yaml must fail to render (schema or `fail`),
     for the reason its `# expect:` line names.
  3. charts/tests/test_check_charts.py (unless CHARTs are named): breaks one thing
     at a time in a copy of a chart and requires the checks above to catch it.

Prints one summary line per chart; exits non-zero on any failure.

Options:
  -v, --verbose   list the objects each values file renders

Environment:
  GARDEN_TOOLS_DIR  where the venv lives (default ~/.cache/garden-tools)
USAGE
}

ARGS=()
CHARTS=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    -v | --verbose) ARGS+=(--verbose) ;;
    -*) usage >&2; exit 2 ;;
    *) CHARTS+=("$arg") ;;
  esac
done

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REQUIREMENTS="$GARDEN_REPO_ROOT/hack/charts-requirements.txt"
VENV="$GARDEN_TOOLS_DIR/charts-venv"

# The pinned packages as `name==version` lines (comments dropped).
pinned() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$REQUIREMENTS"
}

# True when the venv has exactly the pinned versions.
venv_current() {
  [[ -x "$VENV/bin/python" ]] || return 1
  local want have
  want="$(pinned | tr 'A-Z_' 'a-z-' | sort)"
  have="$("$VENV/bin/python" - "$REQUIREMENTS" <<'PY' 2>/dev/null | sort
import importlib.metadata as m, re, sys
for line in open(sys.argv[1]):
    name = re.sub(r"#.*", "", line).strip().split("==")[0]
    if name:
        try:
            print(f"{name.lower().replace('_', '-')}=={m.version(name)}")
        except m.PackageNotFoundError:
            pass
PY
)" || return 1
  [[ "$want" == "$have" ]]
}

if ! venv_current; then
  command -v python3 >/dev/null 2>&1 || garden::ensure_packages
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    # Debian splits venv/ensurepip out of python3.
    ver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    garden::apt_install "python${ver}-venv"
  fi
  garden::log "installing $(pinned | tr '\n' ' ')into $VENV"
  mkdir -p "$GARDEN_TOOLS_DIR"
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV" || garden::die "python3 -m venv $VENV failed"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" ||
    garden::die "pip install -r $REQUIREMENTS failed"
  venv_current || garden::die "$VENV does not hold the versions pinned in $REQUIREMENTS"
fi

# The checks import each other; no bytecode files in the work tree.
export PYTHONDONTWRITEBYTECODE=1

status=0
"$VENV/bin/python" "$GARDEN_REPO_ROOT/charts/tests/check_charts.py" ${ARGS[@]+"${ARGS[@]}"} ${CHARTS[@]+"${CHARTS[@]}"} ||
  status=1
if [[ ${#CHARTS[@]} -eq 0 ]]; then
  echo
  "$VENV/bin/python" "$GARDEN_REPO_ROOT/charts/tests/test_check_charts.py" || status=1
fi
exit "$status"
