#!/usr/bin/env bash
# Runs every libFuzzer target of garden-apiserver (garden-apiserver/fuzz) for a bounded time.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/fuzz.sh [--help] [TARGET...]

Builds the fuzz targets (cargo-fuzz, installed when missing) and runs each
for FUZZ_SECONDS (default 20) seconds, all of them unless TARGETs are named:
  decode_request   request bodies: JSON, YAML, kube protobuf -> kind codec, defaulting, validation
  selectors        label and field selectors, parsed and matched
  shoot_admission  a Shoot create through decoding, defaulting, validation and the admission chain
  patch            JSON patch, merge patch, strategic merge patch and server-side apply

The inputs in garden-apiserver/fuzz/regressions/<target>/ seed each run; an
input that crashes a target is written there too (crash-*), and `cargo test`
replays that folder (garden_apiserver::fuzzing): commit it with the fix.
The working corpus lives under $CARGO_TARGET_DIR/fuzz-corpus (not committed).

Environment:
  FUZZ_SECONDS      seconds per target (CI: 20; a longer hunt: 600 or more)
  CARGO_TARGET_DIR  honoured as by cargo; the fuzz build goes to its fuzz/ folder
USAGE
}

TARGETS=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) TARGETS+=("$arg") ;;
  esac
done
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(decode_request selectors shoot_admission patch)

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$GARDEN_REPO_ROOT"
garden::ensure_cargo_fuzz

SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"
TARGET_DIR="$(garden::target_dir)"
FUZZ=(cargo fuzz)
export RUSTC_BOOTSTRAP=1
COMMON=(--fuzz-dir garden-apiserver/fuzz --sanitizer none --target-dir "$TARGET_DIR/fuzz")

garden::log "building the fuzz targets"
"${FUZZ[@]}" build "${COMMON[@]}"

failed=()
for target in "${TARGETS[@]}"; do
  corpus="$TARGET_DIR/fuzz-corpus/$target"
  kept="garden-apiserver/fuzz/regressions/$target"
  mkdir -p "$corpus" "$kept"
  garden::log "fuzzing $target for ${SECONDS_PER_TARGET}s"
  log="$TARGET_DIR/fuzz-$target.log"
  if "${FUZZ[@]}" run "${COMMON[@]}" "$target" "$corpus" "$kept" -- \
    -max_total_time="$SECONDS_PER_TARGET" -artifact_prefix="$kept/" -print_final_stats=1 >"$log" 2>&1; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    garden::log "$target: clean, ${runs:-?} inputs run"
  else
    tail -30 "$log" >&2
    garden::log "$target: CRASH; the input is in $kept/ (commit it with the fix)"
    failed+=("$target")
  fi
done
[[ ${#failed[@]} -eq 0 ]] || garden::die "fuzz targets failed: ${failed[*]}"
