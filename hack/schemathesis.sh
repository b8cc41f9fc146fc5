#!/usr/bin/env bash
# Fuzzes the garden API server with schemathesis against its own OpenAPI v3 documents.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/schemathesis.sh [--help] [garden|shoot|kube]...

Starts a throwaway etcd and garden-apiserver (every profile unless some are
named: `garden` serves Gardener's groups, `shoot` a shoot cluster's core kube
API, `kube` the garden kube-apiserver stand-in, of which only the groups the
shoot profile lacks are fuzzed: APIServices, TokenReview, SubjectAccessReview),
and runs schemathesis (pinned in hack/schemathesis-requirements.txt,
installed into a venv by garden::ensure_schemathesis) against every
group-version document listed in /openapi/v3, as the admin (a system:masters
client certificate), with the fuzzing and stateful phases (and coverage in a
longer run: SCHEMATHESIS_PHASES).
Checks: no 5xx (not_a_server_error) and every response valid against the
document (response_schema_conformance). Prints the number of generated test
cases per document and in all; exits non-zero on any failure. Watches are not
fuzzed (they stream until their timeout: hack/schemathesis/hooks.py).

Environment:
  SCHEMATHESIS_MAX_EXAMPLES  examples per operation (default 5; a longer hunt: 100)
  SCHEMATHESIS_MAX_TIME      seconds per group-version document (default 12; a longer hunt: 120)
  SCHEMATHESIS_PHASES        default fuzzing,stateful; a longer hunt: examples,coverage,fuzzing,stateful
  SCHEMATHESIS_SEED          a seed, to replay a run
  SCHEMATHESIS_KEEP          when set, keep the work dir (logs, documents) after a run
  GARDEN_BIN_DIR             where garden-apiserver is (default: the cargo target dir's debug/)
USAGE
}

PROFILES=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    garden | shoot | kube) PROFILES+=("$arg") ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ ${#PROFILES[@]} -gt 0 ]] || PROFILES=(garden shoot kube)

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GARDEN_REPO_ROOT"
garden::ensure_packages
garden::ensure_schemathesis
BIN_DIR="${GARDEN_BIN_DIR:-$(garden::bin_dir)}"
[[ -x "$BIN_DIR/garden-apiserver" ]] || garden::die "no $BIN_DIR/garden-apiserver: run cargo build --workspace --bins"

MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-5}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-12}"
PHASES="${SCHEMATHESIS_PHASES:-fuzzing,stateful}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/garden-schemathesis.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "${SCHEMATHESIS_KEEP:-}" ]]; then
    garden::log "schemathesis: work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

TOTAL_CASES=0
FAILED=()

# run_profile PROFILE: its own etcd and API server, then every group-version document.
run_profile() {
  local profile="$1" dir="$WORK/$1"
  mkdir -p "$dir"
  local client_port peer_port api_port
  client_port="$(garden::free_port)"
  peer_port="$(garden::free_port)"
  api_port="$(garden::free_port)"
  etcd --name st --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$client_port" --advertise-client-urls "http://127.0.0.1:$client_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "st=http://127.0.0.1:$peer_port" --log-level warn >"$dir/etcd.log" 2>&1 &
  PIDS+=($!)
  garden::wait_for 30 "etcd ($profile)" curl -sf "http://127.0.0.1:$client_port/health"
  "$BIN_DIR/garden-apiserver" --etcd-servers "http://127.0.0.1:$client_port" --bind-address 127.0.0.1 \
    --secure-port "$api_port" --cert-dir "$dir/certs" --admin-kubeconfig "$dir/admin.kubeconfig" \
    --api-profile "$profile" >"$dir/apiserver.log" 2>&1 &
  PIDS+=($!)
  local url="https://127.0.0.1:$api_port"
  garden::wait_for 60 "garden-apiserver ($profile)" bash -c "[[ \$(curl -sk $url/readyz) == ok ]] && [[ -s $dir/admin.kubeconfig ]]"
  # The admin's client certificate (O=system:masters) out of the kubeconfig the server wrote.
  python3 - "$dir" <<'PY'
import base64, re, sys
d = sys.argv[1]
text = open(f"{d}/admin.kubeconfig").read()
for key, out in (("client-certificate-data", "admin.crt"), ("client-key-data", "admin.key")):
    m = re.search(rf"{key}:\s*(\S+)", text)
    open(f"{d}/{out}", "wb").write(base64.b64decode(m.group(1)))
PY
  local curl_admin=(curl -sfk --cert "$dir/admin.crt" --key "$dir/admin.key")
  local docs
  docs="$("${curl_admin[@]}" "$url/openapi/v3" | python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin)["paths"])))')"
  local gv
  for gv in $docs; do
    if [[ "$profile" == kube ]]; then
      case "$gv" in
        apis/apiregistration.k8s.io/* | apis/authentication.k8s.io/* | apis/authorization.k8s.io/*) ;;
        *) continue ;;
      esac
    fi
    local file="$dir/$(echo "$gv" | tr '/' '_').json"
    "${curl_admin[@]}" "$url/openapi/v3/$gv" -o "$file"
    local log="$dir/$(basename "$file" .json).log"
    local seed_args=()
    [[ -z "${SCHEMATHESIS_SEED:-}" ]] || seed_args=(--seed "$SCHEMATHESIS_SEED")
    garden::log "schemathesis: $profile $gv ($PHASES, max $MAX_EXAMPLES examples per operation, ${MAX_TIME}s)"
    local rc=0
    # --max-time bounds the generating phases; timeout bounds the whole call.
    SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$GARDEN_REPO_ROOT/hack/schemathesis" NO_COLOR=1 \
      timeout $((MAX_TIME * 3 + 60)) "$SCHEMATHESIS_VENV/bin/st" run "$file" --url "$url" \
      --request-cert "$dir/admin.crt" --request-cert-key "$dir/admin.key" --tls-verify false \
      --checks not_a_server_error,response_schema_conformance \
      --phases "$PHASES" \
      --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --request-timeout 10 \
      --suppress-health-check all --no-color "${seed_args[@]}" >"$log" 2>&1 || rc=$?
    local cases
    cases="$(grep -oE '[0-9]+ generated' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)"
    TOTAL_CASES=$((TOTAL_CASES + cases))
    if ((rc != 0)); then
      FAILED+=("$profile $gv")
      cat "$log"
      garden::log "schemathesis: $profile $gv FAILED ($cases test cases; api server log: $dir/apiserver.log)"
      tail -20 "$dir/apiserver.log" >&2
    else
      garden::log "schemathesis: $profile $gv passed: $cases test cases"
    fi
  done
}

for profile in "${PROFILES[@]}"; do
  run_profile "$profile"
done
echo "schemathesis: $TOTAL_CASES test cases generated in all (${PROFILES[*]})"
if ((${#FAILED[@]} > 0)); then
  printf 'schemathesis: failures in: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
