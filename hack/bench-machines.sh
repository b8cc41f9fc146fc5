#!/usr/bin/env bash
# Benchmark the machine layer on the local seed (a shoot's pool from 0 to 100 machines and back, against 100
# node agents started by hand); prints one JSON line and writes its section of docs/benchmarks.md.
#   hack/bench-machines.sh            (release build; takes a while the first time)
#   BENCH_PROFILE=debug hack/bench-machines.sh
set -euo pipefail
if [[ "${1:-}" == "--help" ]]; then sed -n 2,6p "$0"; exit 0; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=hack/lib.sh
source "$ROOT/hack/lib.sh"
garden::ensure_packages
garden::ensure_kubectl
PROFILE=${BENCH_PROFILE:-release}
cd "$ROOT"
PACKAGES=(-p garden-apiserver -p garden-controller-manager -p gardenlet -p etcd-backup -p machine-controller
  -p provider-local -p garden-e2e)
if [[ "$PROFILE" == release ]]; then
  cargo build --release "${PACKAGES[@]}" --bins >&2
else
  cargo build "${PACKAGES[@]}" --bins >&2
fi
TARGET=$(garden::target_dir)
export GARDEN_BIN_DIR="$TARGET/$PROFILE"
LINE=$("$TARGET/$PROFILE/bench-machines" | tail -n 1)
echo "$LINE"
python3 - "$LINE" "$PROFILE" "$ROOT/docs/benchmarks.md" <<'PY'
import json, sys, datetime, re
line, profile, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.loads(line)
n = r['machines']
section = f"""## Machines (`hack/bench-machines.sh`)

Measured {datetime.date.today()} on this 2-core machine, {profile} build. One garden (etcd, garden-apiserver,
garden-controller-manager), the gardenlet of seed `local` (process runtime) and its machine layer:
gardener-extension-provider-local and machine-controller with the e2e harness's flags
(`MACHINE_CONTROLLER_TEST_ARGS`: agents heartbeat every 2 s, machines resynced every 1 s, orphan VMs collected
every 2 s). The shoot is `examples/shoot-local.yaml` with its pool at zero machines: a pool with `maximum: 0` is
refused by validation (Gardener's rule: one pool with maximum > 0), so it is created with minimum 0 / maximum 1,
which the Worker actuator turns into 0 replicas. Nodes are counted Ready through the shoot API (kube-rs, every
250 ms). Re-run: `hack/bench-machines.sh` (`BENCH_PROFILE=debug` for the debug binaries, `BENCH_MACHINES=N`
for a quick run with fewer machines).

| figure | value |
|---|---|
| baseline: {n} `local-node` agents started directly, until their {n} Nodes are Ready (`local_100_bare_s`) | {r['local_100_bare_s']} s |
| pool patched to minimum = maximum = {n}, until {n} Nodes are Ready (`local_100_ready_s`) | {r['local_100_ready_s']} s |
| ratio (`local_vs_bare`, goal <= 1.5) | {r['local_vs_bare']} |
| machine-controller CPU (user + system) over the scale-up (`controller_cpu_s`) | {r['controller_cpu_s']} s |
| machine-controller VmRSS at the end of the scale-up (`controller_rss_mib`) | {r['controller_rss_mib']} MiB |
| one agent: mean VmRSS / mean Pss over the {n} (`agent_rss_mib` / `agent_pss_mib`) | {r['agent_rss_mib']} / {r['agent_pss_mib']} MiB |
| driver calls per machine, CreateMachine + GetMachineStatus (`local_driver_calls_per_machine`, goal <= 2) | {r['local_driver_calls_per_machine']} |
| of which CreateMachine / GetMachineStatus (`creates_per_machine` / `status_reads_per_machine`) | {r['creates_per_machine']} / {r['status_reads_per_machine']} |
| ListMachines calls during the scale-up (`list_calls`) | {r['list_calls']} |
| back to zero, until no Machine and no agent process is left (`local_100_delete_s`) | {r['local_100_delete_s']} s |

The baseline is the floor the machine layer stands on: the same `local-node` binary, the same shoot API server,
the same heartbeat, each agent with its own node name and its own bootstrap token (a `bootstrap.kubernetes.io/token`
Secret in the shoot's `kube-system` with group `system:bootstrappers:machine-controller`, inside the gardenlet's
user-data kubeconfig, as the local driver writes it), all {n} spawned at once. Its tokens are created before its
clock starts; everything the machine layer does between the shoot patch and a Ready Node is inside
`local_100_ready_s`: the gardenlet's reconcile of the Worker, provider-local's MachineDeployment, the
MachineSet and its Machines, one bootstrap token per machine, the driver's spawn. The baseline runs first, on
the shoot at zero machines; its agents are killed and their Nodes, Leases and tokens deleted before the scale-up.
The scale-up window for CPU time and driver calls ends when all {n} Machines are `Running` (a little after the
last Node is Ready); calls are deltas of `machine_controller_driver_calls_total` over all codes, so the status
reads include the one before each create (NotFound, as MCM asks before it creates). Agent memory: VmRSS counts the
binary's shared pages in every agent, Pss shares them out. Back to zero: the pool is patched to minimum 0 /
maximum 1 (the actuator clamps the MachineDeployment to 1), then the MachineDeployment is set to 0 replicas as
an autoscaler would; timed from the shoot patch. Everything runs on the same two cores, so the {n} agents'
start-up competes with the controllers and the API servers it is measured through.

Raw line: `{line}`
"""
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmarks\n\nEach section is written by its script; re-run the script to refresh it.\n\n"
pattern = re.compile(r"## Machines \(`hack/bench-machines.sh`\).*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip() + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
