#!/usr/bin/env bash
# Benchmark of the tenant portal in a real browser (headless Chromium): prints one JSON line and writes its section
# of docs/benchmarks.md.
#   hack/bench-dashboard.sh                      (release build of the Rust side; takes a while the first time)
#   BENCH_PROFILE=debug hack/bench-dashboard.sh  BENCH_SHOOTS=1000 (default)
set -euo pipefail
if [[ "${1:-}" == "--help" ]]; then sed -n 2,5p "$0"; exit 0; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
source "$ROOT/hack/lib.sh"
garden::ensure_packages
garden::ensure_kubectl
garden::ensure_dashboard
PROFILE=${BENCH_PROFILE:-release}
cd "$ROOT"
PACKAGES=(-p garden-apiserver -p garden-controller-manager -p garden-dashboard -p garden-e2e)
if [[ "$PROFILE" == release ]]; then
  cargo build --release "${PACKAGES[@]}" --bins >&2
else
  cargo build "${PACKAGES[@]}" --bins >&2
fi
TARGET=$(garden::target_dir)
export GARDEN_BIN_DIR="$TARGET/$PROFILE"
LINE=$("$TARGET/$PROFILE/bench-dashboard" | tail -n 1)
echo "$LINE"
python3 - "$LINE" "$PROFILE" "$ROOT/docs/benchmarks.md" <<'PY'
import json, sys, datetime, re
line, profile, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.loads(line)
ratio = lambda a, b: f"{a / b:.1f}x" if b else "n/a"
section = f"""## Portal (`hack/bench-dashboard.sh`)

Measured {datetime.date.today()} on this 2-core machine, {profile} build of the Rust side, in Debian's headless
Chromium driven by playwright-core (`dashboard/e2e/bench.mjs`). A garden with {r['shoots']} workerless shoots in
project `dev` that no seed hosts, and `garden-dashboard` in front of it; the browser logs in as a user who may see
them. Baselines come from the same run: the same rows as a plain static HTML table set into the same browser, and
the garden's own watch delivering the same status changes.

| figure | value |
|---|---|
| list of {r['shoots']} shoots: navigation until every row is in the DOM, median of 3 (`list_1000_render_ms`) | {r['list_1000_render_ms']} ms ({ratio(r['list_1000_render_ms'], r['baseline_static_1000_ms'])} the static table) |
| baseline: the same rows as a static HTML table (`baseline_static_1000_ms`) | {r['baseline_static_1000_ms']} ms |
| a status change written to the garden until the status cell shows it, p50 / p99 of 50 (`update_to_screen_p50_ms`, `update_to_screen_p99_ms`; goal p99 < 500 ms) | {r['update_to_screen_p50_ms']} / {r['update_to_screen_p99_ms']} ms |
| baseline: the same change until a direct garden watch delivers it, p50 / p99 (`garden_watch_p50_ms`, `garden_watch_p99_ms`) | {r['garden_watch_p50_ms']} / {r['garden_watch_p99_ms']} ms |
| backend RSS with {r['sessions_open']} sessions on the list page, each with its live stream (`backend_rss_mib_20_sessions`) | {r['backend_rss_mib_20_sessions']} MiB ({ratio(r['backend_rss_mib_20_sessions'], r['backend_rss_mib_idle'])} the idle backend's {r['backend_rss_mib_idle']} MiB); garden watches shared by them: {r['shared_watches']} |

Raw line: `{line}`
"""
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmarks\n\nEach section is written by its script; re-run the script to refresh it.\n\n"
pattern = re.compile(r"## Portal \(`hack/bench-dashboard.sh`\).*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip() + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
