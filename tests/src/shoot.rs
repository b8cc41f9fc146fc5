//! Helpers for tests of shoots on local seeds: shoot fields through kubectl, the shoot's admin kubeconfig, and
//! the processes of a process-runtime control plane (`<stateDir>/<technicalID>/<component>.pid`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::TestGarden;

/// Waits until the shoot's last operation Succeeded (100) for its current generation; panics with its
/// description after `timeout`.
pub fn wait_succeeded(garden: &TestGarden, ns: &str, name: &str, timeout: Duration) {
    crate::assert_eventually!(
        timeout,
        || field(garden, ns, name, "{.metadata.generation}") == field(garden, ns, name, "{.status.observedGeneration}")
            && last_operation(garden, ns, name).ends_with("Succeeded 100"),
        "last operation: {} {}",
        last_operation(garden, ns, name),
        field(garden, ns, name, "{.status.lastOperation.description}")
    );
}

/// The provider IDs of the Nodes in the shoot that `kubeconfig` reaches.
pub fn node_provider_ids(garden: &TestGarden, kubeconfig: &Path) -> BTreeSet<String> {
    let out = garden.kubectl_as(kubeconfig, &["get", "nodes", "-o", "json"]);
    let nodes: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    nodes["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|n| n["spec"]["providerID"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// What of a cloud inventory (kind -> live resources) is left: "<count> <kind>" for every kind with resources.
pub fn leftovers(inventory: BTreeMap<String, Vec<Value>>) -> Vec<String> {
    inventory
        .into_iter()
        .filter(|(_, items)| !items.is_empty())
        .map(|(kind, items)| format!("{} {kind}", items.len()))
        .collect()
}

/// `kubectl -n <ns> get shoot <name> -o jsonpath=<jsonpath>` (empty on failure).
pub fn field(garden: &TestGarden, ns: &str, name: &str, jsonpath: &str) -> String {
    let out = garden.kubectl(&["-n", ns, "get", "shoot", name, "-o", &format!("jsonpath={jsonpath}")]);
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Creates `examples/shoot-local-workerless.yaml` in `garden-dev` under `name` and waits until its creation
/// succeeded.
pub fn create_workerless(garden: &TestGarden, name: &str) {
    let manifest = std::fs::read_to_string(crate::repo_path("examples/shoot-local-workerless.yaml")).unwrap();
    let manifest = manifest.replace("name: local-workerless", &format!("name: {name}"));
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], &manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crate::assert_eventually!(
        std::time::Duration::from_secs(90),
        || last_operation(garden, "garden-dev", name) == "Create Succeeded 100",
        "last operation: {}",
        last_operation(garden, "garden-dev", name)
    );
}

/// `kubectl -n <ns> patch shoot <name> --type merge -p <patch>` (panics on failure).
pub fn merge_patch(garden: &TestGarden, ns: &str, name: &str, patch: &str) {
    garden.kubectl_ok(&["-n", ns, "patch", "shoot", name, "--type", "merge", "-p", patch]);
}

/// `"<type> <state> <progress>"` of the shoot's last operation.
pub fn last_operation(garden: &TestGarden, ns: &str, name: &str) -> String {
    field(
        garden,
        ns,
        name,
        "{.status.lastOperation.type} {.status.lastOperation.state} {.status.lastOperation.progress}",
    )
}

/// `shoots/<name>/<sub>` (`adminkubeconfig` or `viewerkubeconfig`) for `expiration_seconds`, requested with
/// the kubeconfig `as_kubeconfig`; returns the decoded kubeconfig, or kubectl's error text.
pub fn request_kubeconfig(
    garden: &TestGarden,
    as_kubeconfig: &Path,
    (ns, name): (&str, &str),
    sub: &str,
    expiration_seconds: i64,
) -> Result<String, String> {
    let req = format!(
        r#"{{"apiVersion":"authentication.gardener.cloud/v1alpha1","kind":"AdminKubeconfigRequest","spec":{{"expirationSeconds":{expiration_seconds}}}}}"#
    );
    let req_file = garden.dir().join(format!("{name}-{sub}.request.json"));
    std::fs::write(&req_file, req).unwrap();
    let path = format!("/apis/core.gardener.cloud/v1beta1/namespaces/{ns}/shoots/{name}/{sub}");
    let out = garden.kubectl_as(as_kubeconfig, &["create", "--raw", &path, "-f", &req_file.display().to_string()]);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).to_string());
    }
    let resp: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    assert_eq!(resp["kind"], "AdminKubeconfigRequest");
    assert!(resp["status"]["expirationTimestamp"].as_str().is_some(), "{resp}");
    let b64 = resp["status"]["kubeconfig"].as_str().expect("kubeconfig in the response");
    let mut child = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b64.as_bytes()).unwrap();
    Ok(String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap())
}

/// An admin kubeconfig of the shoot (one hour, requested as the garden admin), written to `<garden dir>/<file>`.
pub fn admin_kubeconfig(garden: &TestGarden, ns: &str, name: &str, file: &str) -> PathBuf {
    let kubeconfig = request_kubeconfig(garden, &garden.kubeconfig(), (ns, name), "adminkubeconfig", 3600)
        .unwrap_or_else(|e| panic!("admin kubeconfig of shoot {ns}/{name}: {e}"));
    let target = garden.dir().join(file);
    std::fs::write(&target, kubeconfig).unwrap();
    target
}

/// The PID in `<plane>/<component>.pid`.
pub fn pid_of(plane: &Path, component: &str) -> Option<u32> {
    std::fs::read_to_string(plane.join(format!("{component}.pid"))).ok()?.trim().parse().ok()
}

/// Whether `pid` is a live (not zombie) process.
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

/// Components of a process-runtime control plane.
pub const COMPONENTS: [&str; 3] = ["etcd", "apiserver", "backup"];

/// No process of the control plane runs: PID files absent or naming dead processes.
pub fn no_process_runs(plane: &Path) -> bool {
    COMPONENTS.iter().all(|c| pid_of(plane, c).is_none_or(|pid| !alive(pid)))
}

/// Kills whatever control-plane process is left when a test ends (also on a failed assertion).
pub struct KillPlaneOnDrop(pub PathBuf);

impl Drop for KillPlaneOnDrop {
    fn drop(&mut self) {
        for c in COMPONENTS {
            if let Some(pid) = pid_of(&self.0, c).filter(|p| alive(*p)) {
                let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}
