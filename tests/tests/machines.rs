//! The machine layer end to end on the local seed: `examples/shoot-local.yaml` gets Ready nodes (node-agent
//! processes) through Worker -> MachineClass/MachineDeployment -> MachineSet -> Machine; scaling, rolling a
//! machine type change, lost VMs, meltdown protection, orphan collection, hibernation and deletion.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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
        agents_under(&self.state_dir)
    }

    fn running_machines(&self) -> usize {
        self.phases().values().filter(|p| *p == "Running").count()
    }
}

fn agents_under(state_dir: &Path) -> Vec<(u32, String)> {
    let owner = format!("--tag=owner={}", state_dir.join("machines").display());
    component_base::procfs::processes_with(&owner)
        .into_iter()
        .filter(|(_, args)| args.first().is_some_and(|a| a.ends_with("local-node")))
        .filter_map(|(pid, args)| {
            let name = args.iter().find_map(|a| a.strip_prefix("--tag=machine="))?.to_string();
            Some((pid, name))
        })
        .collect()
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
