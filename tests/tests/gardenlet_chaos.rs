//! Robustness: create/delete cycles of a workerless shoot while the gardenlet is SIGKILLed at random moments
//! (a seeded xorshift, reproducible from the printed seed; `GARDEN_CHAOS_SEED` overrides it) and restarted
//! right away. Every shoot still reaches `Create Succeeded 100` and is deleted; afterwards nothing is left:
//! no shoot, no `shoot--dev--*` namespace, no control-plane directory, no etcd or API server process.

use std::process::Command;
use std::time::{Duration, Instant};

use component_base::procfs::processes_with;
use garden_e2e::shoot;
use garden_e2e::{assert_eventually, repo_path, GardenOptions, TestGarden};

const CYCLES: u64 = 20;
/// Kills happen at a random delay in `0..MAX_KILL_DELAY_MS` after the create or the delete.
const MAX_KILL_DELAY_MS: u64 = 1500;

/// xorshift64* over (seed, cycle, step): the same seed gives the same kill moments.
fn delay(seed: u64, cycle: u64, step: u64) -> Duration {
    let mut x = seed ^ cycle.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ step.wrapping_mul(0xD1B5_4A32_D192_ED03);
    if x == 0 {
        x = 0x2545_F491_4F6C_DD1D;
    }
    for _ in 0..4 {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
    }
    Duration::from_millis(x.wrapping_mul(0x2545_F491_4F6C_DD1D) % MAX_KILL_DELAY_MS)
}

fn sigkill(pid: u32) {
    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
}

/// Kills (SIGKILL) whatever still runs from the seed's state directory when the test ends, pass or fail:
/// control planes run detached from the gardenlet and the harness does not know them.
struct Reaper(String);

impl Drop for Reaper {
    fn drop(&mut self) {
        for (pid, _) in processes_with(&self.0) {
            sigkill(pid);
        }
    }
}

struct Chaos {
    garden: TestGarden,
    config: String,
    config_path: String,
    kills: usize,
}

impl Chaos {
    /// Waits `after`, SIGKILLs the gardenlet and starts it again at once.
    fn kill_and_restart(&mut self, after: Duration) {
        std::thread::sleep(after);
        let all: Vec<u32> = processes_with(&self.config_path)
            .into_iter()
            .filter(|(_, args)| args.iter().any(|a| a.contains("gardenlet")))
            .map(|(pid, _)| pid)
            .collect();
        // A child the gardenlet is forking right now (etcd, etcdctl, the snapshotter) shows the gardenlet's command
        // line until it execs: only processes whose parent is not a gardenlet count.
        let parent = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit(')').next()?.split_whitespace().nth(1)?.parse::<u32>().ok())
        };
        let pids: Vec<u32> = all.iter().copied().filter(|p| parent(*p).is_none_or(|pp| !all.contains(&pp))).collect();
        assert_eq!(pids.len(), 1, "exactly one gardenlet runs: {pids:?}");
        sigkill(pids[0]);
        self.kills += 1;
        // Reaps the killed child (no SIGTERM: it is already dead) and forgets it.
        self.garden.stop_gardenlet("local");
        self.garden.start_gardenlet("local", &self.config).unwrap();
    }

    fn gardenlet_log(&self) -> String {
        let text = std::fs::read_to_string(self.garden.log_path("gardenlet-local")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

#[test]
fn shoots_survive_gardenlet_sigkills_and_leave_nothing_behind() {
    let seed: u64 = std::env::var("GARDEN_CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x05ee_d0fc_4a05);
    eprintln!("[gardenlet-chaos] seed {seed} (GARDEN_CHAOS_SEED), {CYCLES} cycles");
    let started = Instant::now();

    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let state_dir = garden.dir().join("seed-local");
    let marker = format!("{}/", state_dir.display());
    let _reaper = Reaper(marker.clone());
    let config = std::fs::read_to_string(repo_path("hack/config/gardenlet-local.yaml")).unwrap();
    let config = format!("{config}\nstateDir: {}\n", state_dir.display());
    let config_path = garden.dir().join("gardenlet-local.yaml").display().to_string();
    let mut chaos = Chaos { garden, config: config.clone(), config_path, kills: 0 };
    chaos.garden.start_gardenlet("local", &config).unwrap();
    let garden = &chaos.garden;
    garden.kubectl_ok(&[
        "apply",
        "-f",
        &repo_path("examples/cloudprofile-local.yaml").display().to_string(),
        "-f",
        &repo_path("examples/project-dev.yaml").display().to_string(),
    ]);
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "namespace", "garden-dev"])
        .status
        .success());

    for cycle in 0..CYCLES {
        let name = format!("chaos-{cycle:02}");
        let cycle_start = Instant::now();
        let manifest = format!(
            r#"{{"apiVersion":"core.gardener.cloud/v1beta1","kind":"Shoot","metadata":{{"name":"{name}","namespace":"garden-dev"}},"spec":{{"cloudProfile":{{"kind":"CloudProfile","name":"local"}},"region":"local","purpose":"evaluation","provider":{{"type":"local"}},"kubernetes":{{"version":"1.33"}}}}}}"#
        );
        let out = chaos.garden.kubectl_stdin(&["create", "-f", "-"], &manifest);
        assert!(out.status.success(), "create {name}: {}", String::from_utf8_lossy(&out.stderr));
        let create_kill = delay(seed, cycle, 0);
        chaos.kill_and_restart(create_kill);
        let garden = &chaos.garden;
        assert!(
            garden_e2e::eventually(Duration::from_secs(90), || shoot::last_operation(garden, "garden-dev", &name)
                == "Create Succeeded 100"),
            "cycle {cycle}: {name} not ready (gardenlet killed {create_kill:?} after the create); last operation: \
             {}\ngardenlet log:\n{}",
            shoot::last_operation(garden, "garden-dev", &name),
            chaos.gardenlet_log()
        );
        let ready_after = cycle_start.elapsed();

        garden.kubectl_ok(&[
            "-n",
            "garden-dev",
            "annotate",
            "shoot",
            &name,
            "confirmation.gardener.cloud/deletion=true",
        ]);
        garden.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", &name, "--wait=false"]);
        let delete_kill = delay(seed, cycle, 1);
        chaos.kill_and_restart(delete_kill);
        let garden = &chaos.garden;
        assert!(
            garden_e2e::eventually(Duration::from_secs(90), || !garden
                .kubectl(&["-n", "garden-dev", "get", "shoot", &name])
                .status
                .success()),
            "cycle {cycle}: {name} not deleted (gardenlet killed {delete_kill:?} after the delete); last operation: \
             {}\ngardenlet log:\n{}",
            shoot::last_operation(garden, "garden-dev", &name),
            chaos.gardenlet_log()
        );
        eprintln!(
            "[gardenlet-chaos] cycle {cycle}: kills at +{create_kill:?} / +{delete_kill:?}, ready after {ready_after:?}, \
             gone after {:?}",
            cycle_start.elapsed()
        );
    }

    // Nothing is left behind.
    let garden = &chaos.garden;
    let shoots = garden.kubectl_ok(&["-n", "garden-dev", "get", "shoots", "-o", "name"]);
    assert!(shoots.trim().is_empty(), "shoots left: {shoots}");
    let namespaces = garden.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    let stale: Vec<&str> = namespaces.lines().filter(|n| n.contains("shoot--dev--")).collect();
    assert!(stale.is_empty(), "seed namespaces left: {stale:?}");
    let dirs: Vec<String> = std::fs::read_dir(&state_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                // The seed's backup bucket (its default local store) stays; the entries in it must not.
                .filter(|n| n != "backups")
                .collect()
        })
        .unwrap_or_default();
    let entries: Vec<String> = std::fs::read_dir(state_dir.join("backups"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .flat_map(|bucket| std::fs::read_dir(bucket.path()).into_iter().flatten().filter_map(Result::ok))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(entries.is_empty(), "backup entries of deleted shoots left: {entries:?}");
    // The finalizer is removed only after the processes were stopped: nothing may run any more.
    let processes = processes_with(&marker);
    assert!(
        dirs.is_empty() && processes.is_empty(),
        "after {} gardenlet kills: control-plane directories left in {}: {dirs:?}; processes left: {processes:#?}",
        chaos.kills,
        state_dir.display()
    );
    eprintln!("[gardenlet-chaos] {CYCLES} cycles, {} kills, {:?}", chaos.kills, started.elapsed());
}
