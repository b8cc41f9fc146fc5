//! The chaos suite (`hack/chaos.sh` runs it; plain `cargo test` skips it, `#[ignore]`): one garden with two local
//! seeds that back shoot etcds up, and rounds of an operation (create, delete, hibernate, wake or migrate a
//! shoot to the other seed) with a fault injected at a random moment after it: SIGKILL (and restart) of the
//! garden's etcd, garden-apiserver, a gardenlet or garden-controller-manager, or the deletion of objects the
//! system owns (a seed's BackupBucket, a shoot's control-plane Secrets, a project RoleBinding). The moments and choices come from a
//! seeded xorshift (`GARDEN_CHAOS_SEED`, printed), the number of rounds from `GARDEN_CHAOS_ROUNDS`.
//!
//! After every round everything must converge (every shoot in the state asked for, the deleted objects back),
//! and each running shoot gets a ConfigMap written into it. At the end: every acknowledged ConfigMap is read back
//! (hibernated shoots are woken first), every shoot's etcd is thrown away and must come back from its
//! BackupEntry with those ConfigMaps, and after deleting the shoots no process, directory or backup entry is
//! left. The convergence time after each kind of fault (median and max) is printed as one JSON line
//! (`chaos: {...}`), which `hack/chaos.sh` passes on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use component_base::procfs::processes_with;
use garden_e2e::shoot::{self, alive, pid_of};
use garden_e2e::{eventually, GardenOptions, TestGarden};
use serde_json::json;

const NS: &str = "garden-dev";
/// How long one round may take to converge.
const CONVERGE: Duration = Duration::from_secs(150);
/// Faults happen at a random delay in `0..MAX_FAULT_DELAY_MS` after the operation was accepted.
const MAX_FAULT_DELAY_MS: u64 = 2000;
const MAX_SHOOTS: usize = 3;

/// xorshift64*: reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    KillEtcd,
    KillApiServer,
    KillGardenlet,
    KillControllerManager,
    DeleteBackupBucket,
    DeleteShootSecrets,
    DeleteProjectRoleBinding,
}

const FAULTS: [Fault; 7] = [
    Fault::KillEtcd,
    Fault::KillApiServer,
    Fault::KillGardenlet,
    Fault::KillControllerManager,
    Fault::DeleteBackupBucket,
    Fault::DeleteShootSecrets,
    Fault::DeleteProjectRoleBinding,
];

impl Fault {
    fn key(self) -> &'static str {
        match self {
            Fault::KillEtcd => "kill_etcd",
            Fault::KillApiServer => "kill_apiserver",
            Fault::KillGardenlet => "kill_gardenlet",
            Fault::KillControllerManager => "kill_controller_manager",
            Fault::DeleteBackupBucket => "delete_backupbucket",
            Fault::DeleteShootSecrets => "delete_shoot_secrets",
            Fault::DeleteProjectRoleBinding => "delete_project_rolebinding",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Want {
    Running,
    Hibernated,
    Gone,
}

const MEMBER_BINDING: &str = "gardener.cloud:system:project-member";
const SHOOT_SECRETS: [&str; 2] = ["ca", "kube-apiserver"];

const SEEDS: [&str; 2] = ["local", "local-2"];

struct Seed {
    config: String,
    state_dir: PathBuf,
    bucket: String,
}

struct Suite {
    garden: TestGarden,
    seeds: BTreeMap<&'static str, Seed>,
    shoots: BTreeMap<String, Want>,
    /// ConfigMaps acknowledged by each shoot's API server.
    acks: BTreeMap<String, Vec<String>>,
    created: usize,
}

fn technical_id(name: &str) -> String {
    format!("shoot--dev--{name}")
}

impl Suite {
    fn kubectl_retry(&self, args: &[&str]) -> String {
        let mut last = String::new();
        let ok = eventually(Duration::from_secs(30), || {
            let out = self.garden.kubectl(args);
            last = String::from_utf8_lossy(&out.stderr).to_string();
            out.status.success()
        });
        assert!(ok, "kubectl {args:?}: {last}");
        last
    }

    fn create(&mut self) -> String {
        let name = format!("c{:02}", self.created);
        self.created += 1;
        let manifest = std::fs::read_to_string(garden_e2e::repo_path("examples/shoot-local-workerless.yaml")).unwrap();
        let manifest = manifest.replace("name: local-workerless", &format!("name: {name}"));
        let out = self.garden.kubectl_stdin(&["apply", "-f", "-"], &manifest);
        assert!(out.status.success(), "create {name}: {}", String::from_utf8_lossy(&out.stderr));
        self.shoots.insert(name.clone(), Want::Running);
        name
    }

    fn delete(&mut self, name: &str) {
        self.kubectl_retry(&[
            "-n",
            NS,
            "annotate",
            "--overwrite",
            "shoot",
            name,
            "confirmation.gardener.cloud/deletion=true",
        ]);
        self.kubectl_retry(&["-n", NS, "delete", "shoot", name, "--wait=false"]);
        self.shoots.insert(name.to_string(), Want::Gone);
    }

    fn hibernate(&mut self, name: &str, enabled: bool) {
        let patch = json!({"spec": {"hibernation": {"enabled": enabled}}}).to_string();
        self.kubectl_retry(&["-n", NS, "patch", "shoot", name, "--type", "merge", "-p", &patch]);
        self.shoots.insert(name.to_string(), if enabled { Want::Hibernated } else { Want::Running });
    }

    /// The seed a shoot is asked to run on.
    fn seed_of(&self, name: &str) -> String {
        shoot::field(&self.garden, NS, name, "{.spec.seedName}")
    }

    /// The control-plane directory of a shoot on its seed.
    fn plane(&self, name: &str) -> PathBuf {
        let seed = self.seed_of(name);
        self.seeds[seed.as_str()].state_dir.join(technical_id(name))
    }

    fn migrate(&mut self, name: &str) -> String {
        let to = if self.seed_of(name) == SEEDS[0] { SEEDS[1] } else { SEEDS[0] };
        let patch = json!({"spec": {"seedName": to}}).to_string();
        self.kubectl_retry(&["-n", NS, "patch", "shoot", name, "--type", "merge", "-p", &patch]);
        to.to_string()
    }

    fn with(&self, want: Want) -> Vec<String> {
        self.shoots.iter().filter(|(_, w)| **w == want).map(|(n, _)| n.clone()).collect()
    }

    /// Picks and starts an operation; returns its description.
    fn operate(&mut self, rng: &mut Rng) -> String {
        let running = self.with(Want::Running);
        let hibernated = self.with(Want::Hibernated);
        let live = running.len() + hibernated.len();
        let mut choices: Vec<&str> = Vec::new();
        if live < MAX_SHOOTS {
            choices.push("create");
        }
        if live > 1 {
            choices.push("delete");
        }
        if !running.is_empty() {
            choices.push("hibernate");
        }
        if !hibernated.is_empty() {
            choices.push("wake");
        }
        if !running.is_empty() {
            choices.push("migrate");
        }
        let pick = |rng: &mut Rng, v: &[String]| v[rng.below(v.len() as u64) as usize].clone();
        match choices[rng.below(choices.len() as u64) as usize] {
            "create" => format!("create {}", self.create()),
            "delete" => {
                let all: Vec<String> = running.iter().chain(&hibernated).cloned().collect();
                let name = pick(rng, &all);
                self.delete(&name);
                format!("delete {name}")
            }
            "hibernate" => {
                let name = pick(rng, &running);
                self.hibernate(&name, true);
                format!("hibernate {name}")
            }
            "migrate" => {
                let name = pick(rng, &running);
                let to = self.migrate(&name);
                format!("migrate {name} to {to}")
            }
            _ => {
                let name = pick(rng, &hibernated);
                self.hibernate(&name, false);
                format!("wake {name}")
            }
        }
    }

    fn inject(&mut self, fault: Fault, rng: &mut Rng) {
        let g = &mut self.garden;
        match fault {
            Fault::KillEtcd => g.crash_restart_etcd().unwrap(),
            Fault::KillApiServer => g.crash_restart_apiserver().unwrap(),
            Fault::KillGardenlet => {
                let seed = SEEDS[rng.below(2) as usize];
                g.kill_gardenlet(seed);
                g.start_gardenlet(seed, &self.seeds[seed].config).unwrap();
            }
            Fault::KillControllerManager => g.crash_restart_controller_manager().unwrap(),
            Fault::DeleteBackupBucket => {
                let seed = SEEDS[rng.below(2) as usize];
                let _ = g.kubectl(&["delete", "backupbucket", &self.seeds[seed].bucket, "--wait=false"]);
            }
            Fault::DeleteShootSecrets => {
                let running = self.with(Want::Running);
                if !running.is_empty() {
                    let name = &running[rng.below(running.len() as u64) as usize];
                    let mut args = vec!["-n".to_string(), technical_id(name), "delete".into(), "secret".into()];
                    args.extend(SHOOT_SECRETS.iter().map(|s| s.to_string()));
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let _ = self.garden.kubectl(&args);
                }
            }
            Fault::DeleteProjectRoleBinding => {
                let _ = g.kubectl(&["-n", NS, "delete", "rolebinding", MEMBER_BINDING]);
            }
        }
    }

    /// What is not yet as asked for (empty: converged).
    fn pending(&self) -> Vec<String> {
        let g = &self.garden;
        let mut out = Vec::new();
        for (name, want) in &self.shoots {
            let fields = shoot::field(
                g,
                NS,
                name,
                "{.status.lastOperation.state} {.status.lastOperation.progress} {.status.hibernated} {.metadata.generation} {.status.observedGeneration} {.spec.seedName} {.status.seedName}",
            );
            let f: Vec<&str> = fields.split_whitespace().collect();
            let ok = match want {
                Want::Gone => !g.kubectl(&["-n", NS, "get", "shoot", name]).status.success(),
                Want::Running | Want::Hibernated => {
                    let hibernated = if *want == Want::Hibernated { "true" } else { "false" };
                    f.len() == 7
                        && f[0] == "Succeeded"
                        && f[1] == "100"
                        && f[2] == hibernated
                        && f[3] == f[4]
                        && f[5] == f[6]
                }
            };
            if !ok {
                out.push(format!("{name} ({want:?}): {fields}"));
            }
        }
        let exists = |args: &[&str]| g.kubectl(args).status.success();
        for (seed, s) in &self.seeds {
            if !exists(&["get", "backupbucket", &s.bucket]) {
                out.push(format!("backup bucket of {seed}"));
            }
        }
        if !exists(&["-n", NS, "get", "rolebinding", MEMBER_BINDING]) {
            out.push("project member RoleBinding".into());
        }
        for name in self.with(Want::Running) {
            for s in SHOOT_SECRETS {
                if !exists(&["-n", &technical_id(&name), "get", "secret", s]) {
                    out.push(format!("secret {s} of {name}"));
                }
            }
        }
        out
    }

    fn converge(&self, what: &str) {
        let mut last = Vec::new();
        let ok = eventually(CONVERGE, || {
            last = self.pending();
            last.is_empty()
        });
        assert!(
            ok,
            "{what}: not converged after {CONVERGE:?}: {last:?}\ngardenlet logs:\n{}\n---\n{}\ncontroller-manager log:\n{}",
            self.garden.log_tail("gardenlet-local", 30),
            self.garden.log_tail("gardenlet-local-2", 30),
            self.garden.log_tail("controller-manager", 20)
        );
    }

    fn admin(&self, name: &str) -> PathBuf {
        shoot::admin_kubeconfig(&self.garden, NS, name, &format!("{name}-admin.kubeconfig"))
    }

    /// Writes a ConfigMap into every running shoot and remembers the acknowledged ones.
    fn write_acks(&mut self, round: usize) {
        for name in self.with(Want::Running) {
            let admin = self.admin(&name);
            let cm = format!("ack-{round:03}");
            let out =
                self.garden.kubectl_as(&admin, &["create", "configmap", &cm, &format!("--from-literal=round={round}")]);
            if out.status.success() {
                self.acks.entry(name).or_default().push(cm);
            } else {
                eprintln!("[chaos] write {cm} into {name} not acknowledged: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
    }

    /// Every acknowledged ConfigMap of the running shoots is there.
    fn missing_acks(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for name in self.with(Want::Running) {
            let admin = self.admin(&name);
            let list = self.garden.kubectl_as(&admin, &["get", "configmaps", "-o", "name"]);
            let have = String::from_utf8_lossy(&list.stdout).to_string();
            for cm in self.acks.get(&name).into_iter().flatten() {
                if !have.lines().any(|l| l == format!("configmap/{cm}")) {
                    missing.push(format!("{name}/{cm}"));
                }
            }
        }
        missing
    }
}

/// Median and maximum of sorted seconds, to a tenth.
fn median_max(sorted: &[f64]) -> (f64, f64) {
    let tenth = |x: f64| (x * 10.0).round() / 10.0;
    let n = sorted.len();
    match n {
        0 => (0.0, 0.0),
        _ if n % 2 == 1 => (tenth(sorted[n / 2]), tenth(sorted[n - 1])),
        _ => (tenth((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0), tenth(sorted[n - 1])),
    }
}

fn files_below(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| if e.path().is_dir() { files_below(&e.path()) } else { 1 })
        .sum()
}

#[test]
#[ignore = "the chaos suite: hack/chaos.sh runs it"]
fn the_system_converges_after_every_fault_and_loses_nothing() {
    let seed: u64 = std::env::var("GARDEN_CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xc4a0_5eed);
    let rounds: usize = std::env::var("GARDEN_CHAOS_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(14);
    eprintln!("[chaos] seed {seed} (GARDEN_CHAOS_SEED), {rounds} rounds (GARDEN_CHAOS_ROUNDS)");
    let started = Instant::now();
    let mut rng = Rng(seed | 1);

    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let mut seeds = BTreeMap::new();
    let mut reapers = Vec::new();
    for seed in SEEDS {
        let (config, state_dir) = garden.seed_config(seed, "etcdBackup:\n  deltaSnapshotPeriodSeconds: 1");
        garden.start_gardenlet(seed, &config).unwrap();
        reapers.push(Reaper(format!("{}/", state_dir.display())));
        let mut bucket = String::new();
        assert!(eventually(Duration::from_secs(30), || {
            bucket = garden.kubectl_ok(&["get", "seed", seed, "-o", "jsonpath={.metadata.uid}"]);
            !bucket.is_empty()
        }));
        seeds.insert(seed, Seed { config, state_dir, bucket });
    }
    garden.apply_dev_project().unwrap();
    let mut suite = Suite { garden, seeds, shoots: BTreeMap::new(), acks: BTreeMap::new(), created: 0 };
    suite.create();
    suite.create();
    suite.converge("setup");
    suite.write_acks(0);

    let mut times: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for round in 1..=rounds {
        // Every kind of fault comes round equally often; the operations and the moments are random.
        let fault = FAULTS[(round - 1 + seed as usize) % FAULTS.len()];
        let op = suite.operate(&mut rng);
        let delay = Duration::from_millis(rng.below(MAX_FAULT_DELAY_MS));
        std::thread::sleep(delay);
        let t0 = Instant::now();
        suite.inject(fault, &mut rng);
        suite.converge(&format!("round {round}: {op}, {fault:?} after {delay:?}"));
        let since_fault = t0.elapsed();
        times.entry(fault.key()).or_default().push(since_fault.as_secs_f64());
        eprintln!("[chaos] round {round}: {op}, {fault:?} +{delay:?}: converged {since_fault:.1?} after the fault");
        suite.write_acks(round);
        let missing = suite.missing_acks();
        assert!(missing.is_empty(), "round {round}: acknowledged writes lost: {missing:?}");
    }

    // Wake every hibernated shoot: their writes are still there.
    for name in suite.with(Want::Hibernated) {
        suite.hibernate(&name, false);
    }
    suite.converge("waking up");
    let missing = suite.missing_acks();
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");

    // Every shoot's backups are restorable: its etcd and data thrown away, the ConfigMaps come back from them.
    for name in suite.with(Want::Running) {
        let plane = suite.plane(&name);
        let uid = shoot::field(&suite.garden, NS, &name, "{.metadata.uid}");
        let entry = format!("{}--{uid}", technical_id(&name));
        assert!(suite.garden.kubectl(&["-n", NS, "get", "backupentry", &entry]).status.success(), "{entry}");
        // The newest writes are in a delta snapshot within a second or two.
        std::thread::sleep(Duration::from_secs(3));
        let etcd = pid_of(&plane, "etcd").expect("etcd runs");
        let _ = std::process::Command::new("kill").args(["-KILL", &etcd.to_string()]).status();
        assert!(eventually(Duration::from_secs(10), || !alive(etcd)));
        std::fs::remove_dir_all(plane.join("etcd")).unwrap();
        let ok = eventually(Duration::from_secs(120), || suite.missing_acks().iter().all(|m| !m.starts_with(&name)));
        assert!(ok, "{name}: not restored from its backups: {:?}", suite.missing_acks());
    }

    // Delete everything: nothing is left behind.
    for name in suite.with(Want::Running) {
        suite.delete(&name);
    }
    suite.converge("deleting every shoot");
    let mut leaks = Vec::new();
    let garden = &suite.garden;
    let namespaces = garden.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    leaks.extend(namespaces.lines().filter(|n| n.contains("shoot--dev--")).map(str::to_string));
    for (seed, s) in &suite.seeds {
        for entry in std::fs::read_dir(&s.state_dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && name.starts_with("shoot--") {
                leaks.push(format!("directory {name} on {seed}"));
            }
        }
        let backups = s.state_dir.join("backups");
        assert!(
            eventually(Duration::from_secs(60), || files_below(&backups) == 0),
            "snapshots of deleted shoots left on {seed}: {} files",
            files_below(&backups)
        );
    }
    let entries = garden.kubectl_ok(&["get", "backupentries", "-A", "-o", "name"]);
    leaks.extend(entries.lines().map(str::to_string));
    for r in &reapers {
        leaks.extend(processes_with(&r.0).into_iter().map(|(pid, args)| format!("process {pid}: {args:?}")));
    }
    assert!(leaks.is_empty(), "left behind: {leaks:#?}");

    let figures: BTreeMap<&str, serde_json::Value> = times
        .iter_mut()
        .map(|(k, v)| {
            v.sort_by(f64::total_cmp);
            let (median, max) = median_max(v);
            (*k, json!({"n": v.len(), "median_s": median, "max_s": max}))
        })
        .collect();
    let line = json!({"seed": seed, "rounds": rounds, "seconds": started.elapsed().as_secs(), "convergence": figures});
    eprintln!("chaos: {line}");
    if let Ok(path) = std::env::var("GARDEN_CHAOS_REPORT") {
        std::fs::write(path, line.to_string()).unwrap();
    }
}

/// Kills (SIGKILL) whatever still runs from the seed's state directory when the test ends, pass or fail.
struct Reaper(String);

impl Drop for Reaper {
    fn drop(&mut self) {
        for (pid, _) in processes_with(&self.0) {
            let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
}
