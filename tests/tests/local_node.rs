//! The local provider's node agent (`local-node`) against a shoot API server (`--api-profile shoot`, which serves
//! Nodes and grants the machine controller's bootstrap tokens what a node needs): it registers its Node Ready
//! with labels, providerID and capacity, renews its Lease, re-registers a deleted Node, sets Ready back after
//! someone set it Unknown, survives an API server crash, leaves the Node on SIGTERM (exit 0), takes an existing
//! Node over, and stops renewing when killed (a lost VM).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use garden_e2e::{assert_eventually, bootstrap_token_secret, GardenOptions, TestGarden};

const NODE: &str = "shoot--dev--local-worker-z1-abcde";

fn start_agent(garden: &TestGarden, kubeconfig: &Path, labels: &str) -> Child {
    let log = std::fs::File::options().create(true).append(true).open(garden.dir().join("local-node.log")).unwrap();
    let err = log.try_clone().unwrap();
    Command::new(garden.bin_dir().join("local-node"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--node-name", NODE])
        .args(["--provider-id", &format!("local:///shoot--dev--local/{NODE}")])
        .args(["--labels", labels])
        .args(["--taints", "node.gardener.cloud/critical-components-not-ready=:NoSchedule"])
        .args(["--capacity", "cpu=4,memory=8Gi"])
        .args(["--heartbeat-interval", "1s"])
        .args(["--tag", "shoot=shoot--dev--local", "--tag", &format!("machine={NODE}")])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .expect("start local-node (build it first: cargo build --workspace --bins)")
}

fn jsonpath(garden: &TestGarden, args: &[&str], path: &str) -> String {
    let out = garden.kubectl(&[args, &["-o", &format!("jsonpath={path}")]].concat());
    if out.status.success() {
        String::from_utf8_lossy(&out.stdout).to_string()
    } else {
        String::new()
    }
}

fn ready(garden: &TestGarden) -> String {
    jsonpath(garden, &["get", "node", NODE], r#"{.status.conditions[?(@.type=="Ready")].status}"#)
}

fn renew_time(garden: &TestGarden) -> String {
    jsonpath(garden, &["-n", "kube-node-lease", "get", "lease", NODE], "{.spec.renewTime}")
}

/// Waits until the Lease's renewTime moves (twice, so the agent is heartbeating, not just starting).
fn lease_moves(garden: &TestGarden) -> bool {
    let mut seen = vec![renew_time(garden)];
    garden_e2e::eventually(Duration::from_secs(30), || {
        let now = renew_time(garden);
        if !now.is_empty() && seen.last() != Some(&now) {
            seen.push(now);
        }
        seen.len() >= 3
    })
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
}

#[test]
fn the_node_agent_registers_heartbeats_and_is_lost_when_killed() {
    let mut garden = TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "shoot".into()],
        ..Default::default()
    })
    .unwrap();
    let out = garden.kubectl_stdin(
        &["apply", "-f", "-"],
        &bootstrap_token_secret(
            "abcdef",
            "0123456789abcdef",
            "2099-01-01T00:00:00Z",
            "system:bootstrappers:machine-controller",
        ),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kubeconfig = garden.token_kubeconfig("node", "abcdef.0123456789abcdef");
    let log = garden.dir().join("local-node.log");
    let log_tail = || std::fs::read_to_string(&log).unwrap_or_default();

    // Registration: Ready, with labels, providerID, taints and capacity from the flags.
    let mut agent = start_agent(&garden, &kubeconfig, "worker.gardener.cloud/pool=worker,kubernetes.io/arch=arm64");
    assert_eventually!(
        Duration::from_secs(30),
        || ready(&garden) == "True",
        "node not Ready; agent log:\n{}",
        log_tail()
    );
    let node: serde_json::Value =
        serde_json::from_str(&garden.kubectl_ok(&["get", "node", NODE, "-o", "json"])).unwrap();
    let labels = &node["metadata"]["labels"];
    assert_eq!(labels["worker.gardener.cloud/pool"], "worker");
    assert_eq!(labels["kubernetes.io/hostname"], NODE);
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert_eq!(labels["kubernetes.io/arch"], "arm64");
    assert_eq!(node["spec"]["providerID"], format!("local:///shoot--dev--local/{NODE}"));
    assert_eq!(node["spec"]["taints"][0]["key"], "node.gardener.cloud/critical-components-not-ready");
    assert_eq!(node["status"]["capacity"], serde_json::json!({"cpu": "4", "memory": "8Gi", "pods": "110"}));
    assert_eq!(node["status"]["allocatable"], node["status"]["capacity"]);
    assert_eq!(node["status"]["nodeInfo"]["kubeletVersion"], "v1.33.2");
    assert_eq!(node["status"]["nodeInfo"]["osImage"], "garden local-node");
    let table = garden.kubectl_ok(&["get", "node", NODE]);
    assert!(table.contains("Ready") && table.contains("v1.33.2"), "{table}");

    // Heartbeats: the Lease is held by the node and renewed.
    assert!(lease_moves(&garden), "lease not renewed; agent log:\n{}", log_tail());
    let holder = jsonpath(&garden, &["-n", "kube-node-lease", "get", "lease", NODE], "{.spec.holderIdentity}");
    assert_eq!(holder, NODE);
    if let Some(rss) = rss_kib(agent.id()) {
        eprintln!("[local-node] RSS of one agent after registration and heartbeats: {rss} KiB");
    }

    // Someone sets Ready to Unknown (a node lifecycle controller): the next heartbeat sets it True again.
    garden.kubectl_ok(&[
        "patch",
        "node",
        NODE,
        "--subresource=status",
        "--type=strategic",
        "-p",
        r#"{"status":{"conditions":[{"type":"Ready","status":"Unknown","reason":"NodeStatusUnknown"}]}}"#,
    ]);
    assert_eventually!(Duration::from_secs(30), || ready(&garden) == "True");

    // A deleted Node is registered again.
    let uid = jsonpath(&garden, &["get", "node", NODE], "{.metadata.uid}");
    garden.kubectl_ok(&["delete", "node", NODE, "--wait=false"]);
    assert_eventually!(Duration::from_secs(30), || {
        let now = jsonpath(&garden, &["get", "node", NODE], "{.metadata.uid}");
        !now.is_empty() && now != uid && ready(&garden) == "True"
    });

    // The API server crashes and comes back: the agent keeps trying and heartbeats again.
    garden.crash_restart_apiserver().unwrap();
    assert!(lease_moves(&garden), "no heartbeats after the API server restart; agent log:\n{}", log_tail());
    assert!(agent.try_wait().unwrap().is_none(), "the agent must not exit on API errors");

    // SIGTERM: exit 0, the Node stays.
    Command::new("kill").args(["-TERM", &agent.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = agent.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the agent ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    garden.kubectl_ok(&["get", "node", NODE]);

    // A new agent takes the existing Node over (its labels win) and heartbeats.
    agent = start_agent(&garden, &kubeconfig, "worker.gardener.cloud/pool=other");
    assert_eventually!(Duration::from_secs(30), || jsonpath(
        &garden,
        &["get", "node", NODE],
        "{.metadata.labels.worker\\.gardener\\.cloud/pool}"
    ) == "other");
    assert!(lease_moves(&garden), "lease not renewed after the takeover; agent log:\n{}", log_tail());

    // kill -9 (a lost VM): the Lease stops moving, the Node stays.
    agent.kill().unwrap();
    agent.wait().unwrap();
    let last = renew_time(&garden);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(renew_time(&garden), last, "a killed agent renews nothing");
    garden.kubectl_ok(&["get", "node", NODE]);
    assert!(!log_tail().contains("0123456789abcdef"), "the token secret never reaches the log");
}
