#!/usr/bin/env bash
# Benchmark workerless shoots on the local seed (real etcd + shoot API server per shoot); prints one JSON line
# and writes its section of docs/benchmarks.md.
#   hack/bench-shoots.sh            (release build; takes a while the first time)
#   BENCH_PROFILE=debug hack/bench-shoots.sh
set -euo pipefail
if [[ "${1:-}" == "--help" ]]; then sed -n 2,5p "$0"; exit 0; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
source "$ROOT/hack/lib.sh"
garden::ensure_packages
garden::ensure_kubectl
PROFILE=${BENCH_PROFILE:-release}
cd "$ROOT"
PACKAGES=(-p garden-apiserver -p garden-controller-manager -p gardenlet -p etcd-backup -p garden-e2e)
if [[ "$PROFILE" == release ]]; then
  cargo build --release "${PACKAGES[@]}" --bins >&2
else
  cargo build "${PACKAGES[@]}" --bins >&2
fi
TARGET=$(garden::target_dir)
export GARDEN_BIN_DIR="$TARGET/$PROFILE"
LINE=$("$TARGET/$PROFILE/bench-shoots" | tail -n 1)
echo "$LINE"
python3 - "$LINE" "$PROFILE" "$ROOT/docs/benchmarks.md" <<'PY'
import json, sys, datetime, re
line, profile, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.loads(line)
ratio = r['create_to_ready_p50_s'] / r['etcd_start_s'] if r['etcd_start_s'] else 0
section = f"""## local shoots (`hack/bench-shoots.sh`)

Measured {datetime.date.today()} on this 2-core machine, {profile} build. One garden (etcd, garden-apiserver,
garden-controller-manager) and the gardenlet of seed `local`, whose process runtime runs each shoot's control
plane as a real etcd 3.4 plus a shoot API server (`garden-apiserver --api-profile shoot`). Shoots are
workerless; "ready" means `status.lastOperation` is `Create Succeeded 100`, polled through the API every 50 ms.

| figure | value |
|---|---|
| baseline: a bare etcd with the runtime's flags until `etcdctl endpoint health` succeeds (`etcd_start_s`) | {r['etcd_start_s']} s |
| one shoot, create until ready, p50 of 10 created one after another (`create_to_ready_p50_s`) | {r['create_to_ready_p50_s']} s ({ratio:.2f}x the bare etcd start) |
| 50 shoots created at once until all are ready (`shoots_50_all_ready_s`) | {r['shoots_50_all_ready_s']} s |
| RSS of one control plane, etcd + shoot API server + backup snapshotter, median over the 50 (`control_plane_rss_mib`) | {r['control_plane_rss_mib']} MiB |
| the parts: etcd / shoot API server / snapshotter, medians (`etcd_rss_mib`, `apiserver_rss_mib`, `snapshotter_rss_mib`) | {r['etcd_rss_mib']} / {r['apiserver_rss_mib']} / {r['snapshotter_rss_mib']} MiB |

The kubernetes runtime's memory requests of etcd and its backup sidecar (`gardenlet/src/runtime/kubernetes.rs`) are
sized from the etcd and snapshotter figures of this table (a workerless shoot's etcd; Debian's etcd 3.4 here, the
runtime's image is etcd 3.5). The shoot API server measured here is `garden-apiserver --api-profile shoot`, not the
kube-apiserver image the kubernetes runtime runs, so its request is not derived from it.

Raw line: `{line}`
"""
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmarks\n\nEach section is written by its script; re-run the script to refresh it.\n\n"
pattern = re.compile(r"## local shoots \(`hack/bench-shoots.sh`\).*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip() + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
