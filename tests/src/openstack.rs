//! The local OpenStack of `hack/openstack.sh up` (started once per `hack/test.sh` run) as the tests and
//! benchmarks see it: its env file (credentials, IDs), the OpenStack venv's tools, and what of a shoot exists in it
//! (`tests/support/openstack_inventory.py`, openstacksdk as the cloud's admin).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::repo_path;

/// The env file `hack/openstack.sh up` writes: `$GARDEN_OPENSTACK_ENV`, else `${TMPDIR:-/tmp}/garden-openstack/env`.
pub fn env_file() -> PathBuf {
    let path = std::env::var("GARDEN_OPENSTACK_ENV").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into())).join("garden-openstack/env")
    });
    assert!(path.is_file(), "{}: start the local OpenStack first (hack/openstack.sh up)", path.display());
    path
}

/// The env file's assignments (OS_AUTH_URL, the tenant's and admin's names, OS_PASSWORD, OS_IMAGE_ID, ...).
pub fn env() -> BTreeMap<String, String> {
    std::fs::read_to_string(env_file())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A program of the OpenStack venv (`hack/openstack.sh install`): `python` (with openstacksdk), `openstack`.
pub fn venv_bin(name: &str) -> PathBuf {
    let tools = std::env::var_os("GARDEN_TOOLS_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/garden-tools")
    });
    tools.join("openstack-venv/bin").join(name)
}

fn inventory_script(technical_id: &str, purge: bool) -> Vec<u8> {
    let python = venv_bin("python");
    let mut cmd = Command::new(&python);
    cmd.arg(repo_path("tests/support/openstack_inventory.py")).arg(env_file()).arg(technical_id);
    if purge {
        cmd.arg("--purge");
    }
    // The local OpenStack's API servers (keystone first) answer a 5xx now and then on a loaded 2-core machine:
    // such a transient error is asked again, anything else fails at once.
    let mut attempt = 1;
    loop {
        let out = cmd.output().unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        if out.status.success() {
            return out.stdout;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(transient(&stderr) && attempt < 4, "openstack_inventory.py (attempt {attempt}): {stderr}");
        eprintln!("[garden-e2e] openstack_inventory.py: a transient server error (attempt {attempt}); asking again");
        std::thread::sleep(std::time::Duration::from_secs(2 * attempt));
        attempt += 1;
    }
}

/// What of shoot `technical_id` exists: kind (`Server`, `Router`, `Network`, `Subnet`, `RouterInterface`,
/// `SecurityGroup`, `KeyPair`) -> the live resources with their details.
pub fn inventory(technical_id: &str) -> BTreeMap<String, Vec<Value>> {
    serde_json::from_slice(&inventory_script(technical_id, false)).expect("openstack_inventory.py prints JSON")
}

/// Deletes whatever of shoot `technical_id` exists (what an interrupted earlier run left).
pub fn purge(technical_id: &str) {
    inventory_script(technical_id, true);
}

/// A failure of the local OpenStack's API servers that asking again can cure: a 5xx, or a connection the
/// loaded 2-core machine's API server dropped.
fn transient(stderr: &str) -> bool {
    ["(HTTP 500)", "(HTTP 502)", "(HTTP 503)", "(HTTP 504)", "Connection aborted", "Connection reset"]
        .iter()
        .any(|c| stderr.contains(c))
}

/// The `openstack` CLI as the tenant user; its stdout. A transient failure (see `transient`) is asked again, up to
/// three times; a delete asked again that finds nothing counts as done (the dropped attempt did it).
pub fn cli(args: &[&str]) -> String {
    let env = env();
    let mut attempt = 1;
    loop {
        let out = Command::new(venv_bin("openstack"))
            .args(["--os-auth-url", &env["OS_AUTH_URL"], "--os-username", &env["OS_USERNAME"]])
            .args(["--os-password", &env["OS_PASSWORD"], "--os-project-name", &env["OS_PROJECT_NAME"]])
            .args(["--os-user-domain-name", &env["OS_DOMAIN_NAME"], "--os-project-domain-name", &env["OS_DOMAIN_NAME"]])
            .args(["--os-region-name", &env["OS_REGION_NAME"]])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", venv_bin("openstack").display()));
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let gone = stderr.contains("No server with a name or ID") || stderr.contains("(HTTP 404)");
        if attempt > 1 && args.get(1) == Some(&"delete") && gone {
            return String::new();
        }
        assert!(transient(&stderr) && attempt < 4, "openstack {args:?} (attempt {attempt}): {stderr}");
        eprintln!("[garden-e2e] openstack {args:?}: a transient failure (attempt {attempt}); asking again");
        std::thread::sleep(std::time::Duration::from_secs(2 * attempt));
        attempt += 1;
    }
}
