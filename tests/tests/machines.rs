//! The machine layer end to end on the local seed: `examples/shoot-local.yaml` gets Ready nodes (node-agent
//! processes) through Worker -> MachineClass/MachineDeployment -> MachineSet -> Machine; scaling, rolling a
//! machine type change, lost VMs, meltdown protection, orphan collection, hibernation and deletion.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use garden_e2e::shoot::{self, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, repo_path, GardenOptions, TestGarden};
use serde_json::Value;

const NS: &str = "shoot--dev--local";

struct Shoot {
    garden: TestGarden,
    state_dir: PathBuf,
    admin: PathBuf,
    _cleanup: KillPlaneOnDrop,
}

/// A garden with the local seed (gardenlet, provider-local, machine-controller with `mc_args`) and
/// `examples/shoot-local.yaml` (with `shoot_patch` applied, a JSON merge patch) created and ready.
fn shoot_with_workers(mc_args: &[&str], shoot_patch: Option<&str>) -> Shoot {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let (config, state_dir) = garden.local_seed_config();
    garden.start_gardenlet("local", &config).unwrap();
    garden.start_machine_layer(&state_dir, mc_args).unwrap();
    garden.apply_dev_project().unwrap();
    let cleanup = KillPlaneOnDrop(state_dir.join(NS));
    garden.kubectl_ok(&[
        "-n",
        "garden-dev",
        "apply",
        "-f",
        &repo_path("examples/shoot-local.yaml").display().to_string(),
    ]);
    if let Some(p) = shoot_patch {
        shoot::merge_patch(&garden, "garden-dev", "local", p);
    }
    assert_eventually!(
        Duration::from_secs(180),
        || shoot::last_operation(&garden, "garden-dev", "local").ends_with("Succeeded 100"),
        "last operation: {} {}",
        shoot::last_operation(&garden, "garden-dev", "local"),
        shoot::field(&garden, "garden-dev", "local", "{.status.lastOperation.description}")
    );
    let admin = shoot::admin_kubeconfig(&garden, "garden-dev", "local", "shoot-admin.kubeconfig");
    Shoot { garden, state_dir, admin, _cleanup: cleanup }
}

impl Shoot {
    fn machines(&self) -> Vec<Value> {
        let out = self.garden.kubectl_ok(&["-n", NS, "get", "machines.machine.sapcloud.io", "-o", "json"]);
        serde_json::from_str::<Value>(&out).unwrap()["items"].as_array().cloned().unwrap_or_default()
    }

    /// Machine name -> phase.
    fn phases(&self) -> BTreeMap<String, String> {
        self.machines()
            .iter()
            .map(|m| {
                let name = m["metadata"]["name"].as_str().unwrap_or_default().to_string();
                let phase = m["status"]["currentStatus"]["phase"].as_str().unwrap_or_default().to_string();
                (name, phase)
            })
            .collect()
    }

    fn nodes(&self) -> Vec<Value> {
        let out = self.garden.kubectl_as(&self.admin, &["get", "nodes", "-o", "json"]);
        if !out.status.success() {
            return Vec::new();
        }
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["items"].as_array().cloned().unwrap_or_default()
    }

    fn ready_nodes(&self) -> Vec<String> {
        self.nodes()
            .iter()
            .filter(|n| {
                n["status"]["conditions"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
            })
            .map(|n| n["metadata"]["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Live node agents of this garden's machine controller: (pid, machine name).
    fn agents(&self) -> Vec<(u32, String)> {
        garden_e2e::local_node_agents(&self.state_dir)
    }

    /// Sets the pool's minimum and maximum (and, when given, its machine type) through the shoot.
    fn set_pool(&self, minimum: i32, maximum: i32, machine_type: Option<&str>) {
        let mut ops = vec![
            format!(r#"{{"op":"replace","path":"/spec/provider/workers/0/maximum","value":{maximum}}}"#),
            format!(r#"{{"op":"replace","path":"/spec/provider/workers/0/minimum","value":{minimum}}}"#),
        ];
        if let Some(t) = machine_type {
            ops.push(format!(r#"{{"op":"replace","path":"/spec/provider/workers/0/machine/type","value":"{t}"}}"#));
        }
        let patch = format!("[{}]", ops.join(","));
        self.garden.kubectl_ok(&["-n", "garden-dev", "patch", "shoot", "local", "--type", "json", "-p", &patch]);
    }

    /// Waits until the shoot's reconcile of its current spec succeeded.
    fn wait_reconciled(&self, timeout: Duration) {
        let g = &self.garden;
        assert_eventually!(
            timeout,
            || shoot::field(g, "garden-dev", "local", "{.metadata.generation}")
                == shoot::field(g, "garden-dev", "local", "{.status.observedGeneration}")
                && shoot::last_operation(g, "garden-dev", "local").ends_with("Succeeded 100"),
            "{} {}",
            shoot::last_operation(g, "garden-dev", "local"),
            shoot::field(g, "garden-dev", "local", "{.status.lastOperation.description}")
        );
    }

    /// Waits until exactly `n` machines exist, all Running, with one agent each and `n` Ready nodes.
    fn wait_settled(&self, n: usize, timeout: Duration) {
        assert_eventually!(
            timeout,
            || {
                let phases = self.phases();
                let mut agents: Vec<String> = self.agents().into_iter().map(|(_, m)| m).collect();
                agents.sort();
                let machines: Vec<String> = phases.keys().cloned().collect();
                phases.len() == n
                    && phases.values().all(|p| p == "Running")
                    && agents == machines
                    && self.ready_nodes().len() == n
            },
            "machines {:?}, agents {:?}, ready nodes {:?}",
            self.phases(),
            self.agents(),
            self.ready_nodes()
        );
    }
}

#[test]
fn shoot_with_a_worker_pool_gets_ready_nodes_hibernates_wakes_and_deletes_them() {
    let s = shoot_with_workers(&[], None);
    let g = &s.garden;

    // EveryNodeReady, one Ready node with Gardener's labels, one Running machine, one agent.
    let condition =
        shoot::field(g, "garden-dev", "local", r#"{.status.conditions[?(@.type=="EveryNodeReady")].status}"#);
    assert_eq!(condition, "True");
    let nodes = s.nodes();
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    let labels = &nodes[0]["metadata"]["labels"];
    assert_eq!(labels["worker.gardener.cloud/pool"], "local");
    assert_eq!(labels["topology.kubernetes.io/zone"], "0");
    assert_eq!(labels["node.kubernetes.io/instance-type"], "local");
    assert!(nodes[0]["spec"]["providerID"].as_str().unwrap().starts_with("local:///shoot--dev--local/"));
    assert_eq!(s.ready_nodes().len(), 1);
    assert_eq!(s.phases().values().collect::<Vec<_>>(), ["Running"]);
    assert_eq!(s.agents().len(), 1);
    let worker = g.kubectl_ok(&["-n", NS, "get", "workers.extensions.gardener.cloud", "local", "-o", "json"]);
    let worker: Value = serde_json::from_str(&worker).unwrap();
    assert_eq!(worker["status"]["machineDeployments"][0]["name"], "shoot--dev--local-local-z1");
    assert_eq!(worker["status"]["lastOperation"]["state"], "Succeeded");
    // kubectl's table of machines: MCM's columns.
    let table = g.kubectl_ok(&["-n", NS, "get", "machinedeployments.machine.sapcloud.io"]);
    assert!(table.contains("shoot--dev--local-local-z1"), "{table}");

    // Hibernate: every machine goes, and with it every agent; the control plane stops.
    shoot::merge_patch(g, "garden-dev", "local", r#"{"spec":{"hibernation":{"enabled":true}}}"#);
    assert_eventually!(
        Duration::from_secs(120),
        || shoot::field(g, "garden-dev", "local", "{.status.hibernated}") == "true"
            && shoot::last_operation(g, "garden-dev", "local") == "Reconcile Succeeded 100",
        "{}",
        shoot::last_operation(g, "garden-dev", "local")
    );
    assert!(s.machines().is_empty(), "{:?}", s.phases());
    assert!(s.agents().is_empty(), "{:?}", s.agents());

    // Wake up: the node comes back.
    shoot::merge_patch(g, "garden-dev", "local", r#"{"spec":{"hibernation":{"enabled":false}}}"#);
    assert_eventually!(
        Duration::from_secs(120),
        || shoot::field(g, "garden-dev", "local", "{.status.hibernated}") == "false"
            && shoot::last_operation(g, "garden-dev", "local") == "Reconcile Succeeded 100",
        "{}",
        shoot::last_operation(g, "garden-dev", "local")
    );
    assert_eventually!(Duration::from_secs(30), || s.ready_nodes().len() == 1);
    assert_eq!(s.agents().len(), 1);

    // Delete: no Machine, no agent, no Worker left.
    g.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", "local", "confirmation.gardener.cloud/deletion=true"]);
    g.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", "local", "--wait=false"]);
    assert_eventually!(Duration::from_secs(120), || !g
        .kubectl(&["-n", "garden-dev", "get", "shoot", "local"])
        .status
        .success());
    assert!(s.agents().is_empty(), "{:?}", s.agents());
    let left = g.kubectl_ok(&["get", "machines.machine.sapcloud.io", "-A", "-o", "name"]);
    assert!(left.trim().is_empty(), "{left}");
    assert!(!g.kubectl(&["get", "clusters.extensions.gardener.cloud", NS]).status.success());
}

#[test]
fn scaling_removes_machines_in_mcm_order_and_a_machine_type_change_rolls_without_losing_nodes() {
    let s = shoot_with_workers(&[], None);
    let g = &s.garden;
    let first: Vec<String> = s.phases().keys().cloned().collect();
    assert_eq!(first.len(), 1);

    // 1 -> 5.
    s.set_pool(5, 5, None);
    s.wait_reconciled(Duration::from_secs(120));
    s.wait_settled(5, Duration::from_secs(60));

    // 5 -> 2: the two machines with a lower priority go first, then the newest; the oldest stays.
    let newer: Vec<String> = s.phases().keys().filter(|m| !first.contains(m)).cloned().collect();
    for m in &newer[..2] {
        g.kubectl_ok(&[
            "-n",
            NS,
            "annotate",
            "machines.machine.sapcloud.io",
            m,
            "machinepriority.machine.sapcloud.io=1",
        ]);
    }
    s.set_pool(2, 2, None);
    s.wait_reconciled(Duration::from_secs(120));
    s.wait_settled(2, Duration::from_secs(60));
    let left: Vec<String> = s.phases().keys().cloned().collect();
    assert!(left.contains(&first[0]), "the oldest machine stays: {left:?}");
    assert!(!left.contains(&newer[0]) && !left.contains(&newer[1]), "low-priority machines go first: {left:?}");

    // A machine type change rolls (maxSurge 1, maxUnavailable 0): Ready nodes never drop below the minimum.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (admin, kubectl_stop) = (s.admin.clone(), stop.clone());
    let sampler = {
        let garden_kubectl =
            g.kubectl_cmd(&["--kubeconfig", &admin.display().to_string(), "get", "nodes", "-o", "json"]);
        let program = garden_kubectl.get_program().to_owned();
        let args: Vec<std::ffi::OsString> = garden_kubectl.get_args().map(|a| a.to_owned()).collect();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !kubectl_stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(out) = std::process::Command::new(&program).args(&args).output() {
                    if out.status.success() {
                        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
                        let ready = v["items"]
                            .as_array()
                            .map(|items| {
                                items
                                    .iter()
                                    .filter(|n| {
                                        n["status"]["conditions"].as_array().is_some_and(|c| {
                                            c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True")
                                        })
                                    })
                                    .count()
                            })
                            .unwrap_or(0);
                        samples.push(ready);
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            samples
        })
    };
    s.set_pool(2, 2, Some("local-large"));
    s.wait_reconciled(Duration::from_secs(180));
    s.wait_settled(2, Duration::from_secs(60));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let samples = sampler.join().unwrap();
    assert!(!samples.is_empty(), "the node count was sampled during the roll");
    assert!(samples.iter().all(|n| *n >= 2), "Ready nodes dropped below the minimum: {samples:?}");
    for n in s.nodes() {
        assert_eq!(n["metadata"]["labels"]["node.kubernetes.io/instance-type"], "local-large");
    }
    assert!(s.phases().keys().all(|m| !left.contains(m)), "every machine was replaced");
}

#[test]
fn lost_vms_are_replaced_a_bounded_number_at_a_time_and_orphans_are_collected() {
    let s = shoot_with_workers(&["--machine-health-timeout=4s"], None);
    let g = &s.garden;
    s.set_pool(3, 3, None);
    s.wait_reconciled(Duration::from_secs(120));
    s.wait_settled(3, Duration::from_secs(60));

    // kill -9 one agent (a lost VM): NotReady after the grace period, Unknown, Failed after the health
    // timeout, replaced by a new machine.
    let (pid, lost) = s.agents()[0].clone();
    component_base::procfs::signal("-KILL", pid);
    assert_eventually!(
        Duration::from_secs(60),
        || s.phases().get(&lost).is_some_and(|p| p == "Unknown"),
        "{:?}",
        s.phases()
    );
    assert_eventually!(Duration::from_secs(90), || !s.phases().contains_key(&lost), "{:?}", s.phases());
    s.wait_settled(3, Duration::from_secs(90));

    // Kill all agents of the pool: meltdown protection replaces at most maxSurge (1) machine at a time.
    let before: Vec<String> = s.phases().keys().cloned().collect();
    for (pid, _) in s.agents() {
        component_base::procfs::signal("-KILL", pid);
    }
    let mut max_in_replacement = 0;
    let mut max_total = 0;
    let deadline = std::time::Instant::now() + garden_e2e::patient(Duration::from_secs(240));
    loop {
        let phases = s.phases();
        let replacing = phases.values().filter(|p| matches!(p.as_str(), "Failed" | "Terminating")).count();
        max_in_replacement = max_in_replacement.max(replacing);
        max_total = max_total.max(phases.len());
        let replaced = phases.keys().all(|m| !before.contains(m));
        if replaced && phases.len() == 3 && phases.values().all(|p| p == "Running") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not all machines replaced: {phases:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(max_in_replacement <= 1, "more than maxSurge machines replaced at once: {max_in_replacement}");
    assert!(max_total <= 4, "more than replicas + maxSurge machines: {max_total}");
    s.wait_settled(3, Duration::from_secs(60));

    // An agent started by hand with the shoot's tags and no Machine is an orphan VM: collected.
    let ghost_dir = s.state_dir.join("machines").join(NS).join("ghost");
    std::fs::create_dir_all(&ghost_dir).unwrap();
    let kubeconfig = ghost_dir.join("kubeconfig");
    std::fs::copy(&s.admin, &kubeconfig).unwrap();
    let mut ghost = std::process::Command::new(g.bin_dir().join("local-node"))
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .args(["--node-name=ghost", "--provider-id=local:///shoot--dev--local/ghost", "--heartbeat-interval=2s"])
        .arg(format!("--tag=owner={}", s.state_dir.join("machines").display()))
        .args([format!("--tag=shoot={NS}"), "--tag=machine=ghost".to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert_eventually!(Duration::from_secs(5), || s.agents().iter().any(|(_, m)| m == "ghost"));
    assert_eventually!(
        Duration::from_secs(30),
        || matches!(ghost.try_wait(), Ok(Some(_))),
        "the orphan agent still runs"
    );
    assert!(s.agents().iter().all(|(_, m)| m != "ghost"));
    assert_eq!(s.phases().len(), 3, "no machine was touched: {:?}", s.phases());
}

#[test]
fn killing_the_machine_controller_during_scale_and_roll_cycles_converges_without_duplicates_or_leaks() {
    let mut s = shoot_with_workers(&[], Some(ELASTIC_POOL));
    let md = format!("{NS}-local-z1");
    stop_provider_local(&s.garden);
    let mut rng_state: u64 = 0x9e3779b97f4a7c15 ^ u64::from(std::process::id());
    let mut rand = move |n: u64| {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state % n
    };
    let mut replicas = 0;
    for cycle in 0..20 {
        if cycle % 3 == 2 {
            // A roll: a node label in the template changes.
            let patch = format!(
                r#"{{"spec":{{"template":{{"spec":{{"nodeTemplate":{{"metadata":{{"labels":{{"cycle":"c{cycle}"}}}}}}}}}}}}}}"#
            );
            s.garden.kubectl_ok(&[
                "-n",
                NS,
                "patch",
                "machinedeployments.machine.sapcloud.io",
                &md,
                "--type",
                "merge",
                "-p",
                &patch,
            ]);
        } else {
            replicas = 1 + rand(5) as i32;
            s.garden.kubectl_ok(&[
                "-n",
                NS,
                "scale",
                "machinedeployments.machine.sapcloud.io",
                &md,
                &format!("--replicas={replicas}"),
            ]);
        }
        std::thread::sleep(Duration::from_millis(rand(2500)));
        s.garden.kill_machine_controller();
        std::thread::sleep(Duration::from_millis(rand(500)));
        s.garden.start_machine_controller().unwrap();
    }
    let n = usize::try_from(replicas).unwrap();
    s.wait_settled(n, Duration::from_secs(180));
    // No duplicate VM for any machine, no machine stuck, every machine's node carries the last template.
    let agents = s.agents();
    let mut names: Vec<&String> = agents.iter().map(|(_, m)| m).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), agents.len(), "duplicate agents: {agents:?}");
    let sets = s.garden.kubectl_ok(&[
        "-n",
        NS,
        "get",
        "machinesets.machine.sapcloud.io",
        "-o",
        "jsonpath={range .items[*]}{.spec.replicas} {end}",
    ]);
    let active: Vec<&str> = sets.split_whitespace().filter(|r| *r != "0").collect();
    assert_eq!(active, [replicas.to_string().as_str()], "one active machine set: {sets}");
    for node in s.nodes() {
        assert_eq!(node["metadata"]["labels"]["cycle"], "c17", "every node from the last template");
    }
}

/// Takes the Worker actuator away, so a test can drive the shoot's MachineDeployment directly (the actuator
/// keeps replicas within the pool's bounds and resets the template).
fn stop_provider_local(garden: &TestGarden) {
    let mine = garden.dir().display().to_string();
    for (pid, args) in component_base::procfs::processes_with("gardener-extension-provider-local") {
        if args.iter().any(|a| a.contains(&mine)) {
            component_base::procfs::signal("-KILL", pid);
        }
    }
}

const ELASTIC_POOL: &str = r#"{"spec":{"provider":{"workers":[{"name":"local","minimum":0,"maximum":6,"machine":{"type":"local","image":{"name":"local","version":"1.1.0"},"architecture":"amd64"},"cri":{"name":"containerd"},"zones":["0"]}]}}}"#;

#[test]
fn machine_deployments_recreate_roll_back_and_pause() {
    let s = shoot_with_workers(&[], Some(ELASTIC_POOL));
    let g = &s.garden;
    stop_provider_local(g);
    let md = format!("{NS}-local-z1");
    let md_json = || -> Value {
        serde_json::from_str(&g.kubectl_ok(&[
            "-n",
            NS,
            "get",
            "machinedeployments.machine.sapcloud.io",
            &md,
            "-o",
            "json",
        ]))
        .unwrap()
    };
    let patch = |p: &str| {
        g.kubectl_ok(&["-n", NS, "patch", "machinedeployments.machine.sapcloud.io", &md, "--type", "merge", "-p", p]);
    };
    let label = |v: &str| {
        format!(
            r#"{{"spec":{{"template":{{"spec":{{"nodeTemplate":{{"metadata":{{"labels":{{"rev":"{v}"}}}}}}}}}}}}}}"#
        )
    };
    let node_labels = || -> Vec<String> {
        s.nodes().iter().map(|n| n["metadata"]["labels"]["rev"].as_str().unwrap_or_default().to_string()).collect()
    };
    g.kubectl_ok(&["-n", NS, "scale", "machinedeployments.machine.sapcloud.io", &md, "--replicas=2"]);
    s.wait_settled(2, Duration::from_secs(60));

    // Recreate: every old machine is gone before a new one is created.
    patch(r#"{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}"#);
    patch(&label("a"));
    let old: Vec<String> = s.phases().keys().cloned().collect();
    let mut mixed = false;
    assert_eventually!(
        Duration::from_secs(60),
        || {
            let now = s.phases();
            let olds = now.keys().filter(|m| old.contains(m)).count();
            mixed |= olds > 0 && olds < now.len();
            olds == 0 && now.len() == 2 && now.values().all(|p| p == "Running")
        },
        "{:?}",
        s.phases()
    );
    assert!(!mixed, "Recreate never runs old and new machines side by side");
    s.wait_settled(2, Duration::from_secs(30));
    assert_eq!(node_labels(), ["a", "a"]);

    // Roll back to the previous revision (the template without the label).
    patch(r#"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}"#);
    patch(&label("b"));
    assert_eventually!(
        Duration::from_secs(60),
        || node_labels() == ["b", "b"] && s.phases().len() == 2,
        "{:?}",
        node_labels()
    );
    patch(r#"{"spec":{"rollbackTo":{"revision":0}}}"#);
    assert_eventually!(
        Duration::from_secs(60),
        || node_labels() == ["a", "a"] && s.phases().len() == 2,
        "{:?}",
        node_labels()
    );
    assert!(md_json()["spec"]["rollbackTo"].is_null(), "rollbackTo is cleared");
    s.wait_settled(2, Duration::from_secs(30));

    // Paused: a template change does not roll, scaling still works; resuming rolls.
    patch(r#"{"spec":{"paused":true}}"#);
    patch(&label("c"));
    g.kubectl_ok(&["-n", NS, "scale", "machinedeployments.machine.sapcloud.io", &md, "--replicas=3"]);
    s.wait_settled(3, Duration::from_secs(60));
    assert_eq!(node_labels(), ["a", "a", "a"]);
    patch(r#"{"spec":{"paused":false}}"#);
    assert_eventually!(
        Duration::from_secs(60),
        || node_labels() == ["c", "c", "c"] && s.phases().len() == 3,
        "{:?}",
        node_labels()
    );
    let revision = md_json()["metadata"]["annotations"]["deployment.kubernetes.io/revision"].clone();
    assert_eq!(revision, "5", "revisions a, b, a again (4), c");
}

#[test]
fn machines_are_frozen_while_the_shoot_api_cannot_be_reached() {
    let mut s = shoot_with_workers(&["--machine-health-timeout=10s"], None);
    s.set_pool(2, 2, None);
    s.wait_reconciled(Duration::from_secs(120));
    s.wait_settled(2, Duration::from_secs(60));
    let before = s.phases();

    // Without its gardenlet nobody restarts the shoot API server: kill it and stay blind for longer than the
    // grace period plus the health timeout.
    s.garden.stop_gardenlet("local");
    let plane = s.state_dir.join(NS);
    let api = shoot::pid_of(&plane, "apiserver").expect("shoot API server pid");
    component_base::procfs::signal("-KILL", api);
    let until = std::time::Instant::now() + Duration::from_secs(25);
    while std::time::Instant::now() < until {
        let now = s.phases();
        assert_eq!(now, before, "machines changed while the shoot API could not be reached");
        std::thread::sleep(Duration::from_millis(500));
    }

    // The gardenlet comes back and restarts the API server: the same machines are Running.
    let (config, _) = s.garden.local_seed_config();
    s.garden.start_gardenlet("local", &config).unwrap();
    s.wait_settled(2, Duration::from_secs(90));
    assert_eq!(s.phases().keys().collect::<Vec<_>>(), before.keys().collect::<Vec<_>>());
}
