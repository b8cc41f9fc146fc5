//! Benchmark of the machine layer on the local seed (run by `hack/bench-machines.sh`): prints one JSON line.
//!
//! A garden with controller-manager, the gardenlet of seed `local` and its machine layer (provider-local and
//! machine-controller with the harness's flags, [`MACHINE_CONTROLLER_TEST_ARGS`]). The shoot of
//! `examples/shoot-local.yaml` is created with its pool at zero machines (a pool with maximum 0 is tried first;
//! validation refuses it, so the pool is minimum 0 / maximum 1, which the Worker actuator turns into 0
//! replicas). Then, one after another:
//!
//! - `local_100_bare_s`: the baseline: N `local-node` agents started directly against the shoot API (each with
//!   its own bootstrap token Secret, created beforehand, the machine user-data kubeconfig the gardenlet wrote with
//!   that token, its own node name and the controller's heartbeat interval), until their N Nodes are Ready;
//!   then the agents are killed and their Nodes, Leases and tokens deleted;
//! - `local_100_ready_s`: the shoot's pool patched to minimum = maximum = N (a JSON merge patch replacing
//!   `spec.provider.workers`), until N Nodes of the pool are Ready in the shoot API (kube-rs list every 250 ms);
//!   over that window machine-controller's CPU time (`controller_cpu_s`) and driver calls (from `/metrics`:
//!   `creates_per_machine`, `status_reads_per_machine`, their sum `local_driver_calls_per_machine`, and
//!   `list_calls`); at its end machine-controller's VmRSS (`controller_rss_mib`) and the agents' mean VmRSS and
//!   Pss (`agent_rss_mib`, `agent_pss_mib`);
//! - `local_100_delete_s`: back to zero: the pool patched to minimum 0 / maximum 1 (the Worker actuator clamps the
//!   MachineDeployment to 1), then the MachineDeployment's replicas set to 0 as an autoscaler would, until no
//!   Machine and no agent process is left (timed from the shoot patch).
//!
//! N is 100 (`BENCH_MACHINES` overrides it for quick runs; the JSON line reports it as `machines`). A machine
//! layer that does not get there in time ends the benchmark with an error naming what it saw, the tail of
//! machine-controller's log, and the garden directory (kept).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures::{stream, StreamExt, TryStreamExt};
use garden_e2e::bench::{
    self, all_running, clock_ticks_per_second, cpu_ticks, driver_calls, driver_calls_between, machine_phases,
    machines_wanted, mean, metrics_now, proc_mib, round, ExampleShoot,
};
use garden_e2e::{patient, GardenOptions, TestGarden, MACHINE_CONTROLLER_TEST_ARGS};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Secret};
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::Client;
use serde_json::json;

/// The shoot's seed namespace (technical ID) and its pool's MachineDeployment.
const NS: &str = "shoot--dev--local";
const DEPLOYMENT: &str = "shoot--dev--local-local-z1";
const PROJECT_NS: &str = "garden-dev";
const SHOOT: &str = "local";
const EXAMPLE: ExampleShoot = ExampleShoot { file: "shoot-local.yaml", namespace: PROJECT_NS, name: SHOOT };
/// Nodes of the shoot's pool.
const POOL_SELECTOR: &str = "worker.gardener.cloud/pool=local";
/// Nodes (and token Secrets) of the baseline's agents.
const BARE_LABEL: &str = "bench.gardener.cloud/bare";
const BARE_SELECTOR: &str = "bench.gardener.cloud/bare=true";
/// The gardenlet's user data of the pools (a kubeconfig for the shoot API) and its token placeholder.
const USER_DATA_SECRET: &str = "worker-user-data";
const USER_DATA_KEY: &str = "userData";
const TOKEN_PLACEHOLDER: &str = "<<BOOTSTRAP_TOKEN>>";
/// The group machine-controller's bootstrap tokens carry (`machine-controller/src/bootstrap.rs`).
const BOOTSTRAP_GROUP: &str = "system:bootstrappers:machine-controller";

const POLL: Duration = Duration::from_millis(250);
const NODES_TIMEOUT: Duration = Duration::from_secs(900);

/// The `--local-node-heartbeat-interval` the harness gives machine-controller (its agents' heartbeat).
fn heartbeat_interval() -> Result<&'static str> {
    MACHINE_CONTROLLER_TEST_ARGS
        .iter()
        .find_map(|a| a.strip_prefix("--local-node-heartbeat-interval="))
        .context("MACHINE_CONTROLLER_TEST_ARGS sets no --local-node-heartbeat-interval")
}

/// The machine-controller of this garden (found by its `--local-state-dir`).
fn machine_controller_pid(state_dir: &Path) -> Result<u32> {
    bench::machine_controller_pid(&format!("--local-state-dir={}", state_dir.join("machines").display()))
}

/// Mean VmRSS and mean Pss (MiB) of `pids`.
fn memory_of(pids: &[u32]) -> (f64, f64) {
    let rss: Vec<f64> = pids.iter().filter_map(|p| proc_mib(*p, "status", "VmRSS")).collect();
    let pss: Vec<f64> = pids.iter().filter_map(|p| proc_mib(*p, "smaps_rollup", "Pss")).collect();
    (mean(&rss), mean(&pss))
}

// ----- the shoot -----

fn ready_node(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// (Ready, all) Nodes matching `selector` in the shoot API; (0, 0) while it does not answer.
async fn count_nodes(nodes: &Api<Node>, selector: &str) -> (usize, usize) {
    match nodes.list(&ListParams::default().labels(selector)).await {
        Ok(list) => (list.items.iter().filter(|n| ready_node(n)).count(), list.items.len()),
        Err(e) => {
            eprintln!("[bench-machines] listing nodes failed: {e}");
            (0, 0)
        }
    }
}

/// Polls every 250 ms until `want` Nodes matching `selector` are Ready; returns the seconds since `start`.
async fn wait_nodes_ready(nodes: &Api<Node>, selector: &str, want: usize, start: Instant) -> Result<f64> {
    let deadline = start + patient(NODES_TIMEOUT);
    let mut last_report = Instant::now();
    loop {
        let (ready, all) = count_nodes(nodes, selector).await;
        if ready >= want {
            return Ok(start.elapsed().as_secs_f64());
        }
        if Instant::now() > deadline {
            bail!(
                "only {ready} of {want} Nodes ({selector}) Ready ({all} registered) after {:?}",
                patient(NODES_TIMEOUT)
            );
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "[bench-machines]   {:.0} s: {ready}/{want} Ready, {all} registered",
                start.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(POLL).await;
    }
}

// ----- the baseline: agents started by hand -----

struct BareAgents {
    children: Vec<Child>,
    names: Vec<String>,
    tokens: Vec<String>,
}

/// Starts `n` `local-node` agents against the shoot API, like the local driver does (tokens created first).
async fn start_bare_agents(
    garden: &TestGarden,
    seed: &Client,
    shoot: &Client,
    n: usize,
    heartbeat: &str,
) -> Result<(BareAgents, Instant)> {
    let user_data = Api::<Secret>::namespaced(seed.clone(), NS).get(USER_DATA_SECRET).await?;
    let template = user_data
        .data
        .as_ref()
        .and_then(|d| d.get(USER_DATA_KEY))
        .map(|v| String::from_utf8_lossy(&v.0).into_owned())
        .with_context(|| format!("secret {NS}/{USER_DATA_SECRET} has no {USER_DATA_KEY}"))?;
    if !template.contains(TOKEN_PLACEHOLDER) {
        bail!("the user data holds no {TOKEN_PLACEHOLDER}");
    }
    let salt = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos() as u64;
    let dir = garden.dir().join("bench-bare");
    let secrets: Api<Secret> = Api::namespaced(shoot.clone(), "kube-system");
    let mut names = Vec::new();
    let mut tokens = Vec::new();
    let mut kubeconfigs = Vec::new();
    for i in 0..n {
        let (name, id) = (format!("bench-bare-{i:03}"), format!("bb{i:04}"));
        let token_secret =
            format!("{:016x}", salt.wrapping_add(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | (1 << 63));
        let secret: Secret = serde_json::from_value(json!({
            "metadata": {"name": format!("bootstrap-token-{id}"), "namespace": "kube-system",
                "labels": {BARE_LABEL: "true"}},
            "type": "bootstrap.kubernetes.io/token",
            "stringData": {"token-id": id, "token-secret": token_secret, "usage-bootstrap-authentication": "true",
                "usage-bootstrap-signing": "true", "auth-extra-groups": BOOTSTRAP_GROUP,
                "description": format!("bench-machines baseline agent {name}")}
        }))?;
        secrets.create(&PostParams::default(), &secret).await.with_context(|| format!("creating token {id}"))?;
        let agent_dir = dir.join(&name);
        std::fs::create_dir_all(&agent_dir)?;
        let kubeconfig = agent_dir.join("kubeconfig");
        std::fs::write(&kubeconfig, template.replace(TOKEN_PLACEHOLDER, &format!("{id}.{token_secret}")))?;
        names.push(name);
        tokens.push(format!("bootstrap-token-{id}"));
        kubeconfigs.push((agent_dir, kubeconfig));
    }
    let binary = garden.bin_dir().join("local-node");
    let start = Instant::now();
    let mut children = Vec::new();
    for (name, (agent_dir, kubeconfig)) in names.iter().zip(&kubeconfigs) {
        let log = std::fs::File::create(agent_dir.join("local-node.log"))?;
        let mut cmd = Command::new(&binary);
        cmd.arg(format!("--kubeconfig={}", kubeconfig.display()))
            .arg(format!("--node-name={name}"))
            .arg(format!("--provider-id=local:///bench/{name}"))
            .arg(format!("--labels={BARE_LABEL}=true"))
            .arg(format!("--heartbeat-interval={heartbeat}"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log));
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        children.push(cmd.spawn().with_context(|| format!("failed to start {}", binary.display()))?);
    }
    Ok((BareAgents { children, names, tokens }, start))
}

/// Kills the agents and deletes their Nodes, Leases and tokens; waits until no Node of theirs is left.
async fn remove_bare_agents(shoot: &Client, agents: BareAgents) -> Result<()> {
    for mut child in agents.children {
        let _ = child.kill();
        let _ = child.wait();
    }
    let nodes: Api<Node> = Api::all(shoot.clone());
    let leases: Api<Lease> = Api::namespaced(shoot.clone(), "kube-node-lease");
    let secrets: Api<Secret> = Api::namespaced(shoot.clone(), "kube-system");
    stream::iter(agents.names.iter().zip(&agents.tokens))
        .map(|(name, token)| {
            let (nodes, leases, secrets) = (&nodes, &leases, &secrets);
            async move {
                component_base::api::delete_if_exists(nodes, name).await?;
                component_base::api::delete_if_exists(leases, name).await?;
                component_base::api::delete_if_exists(secrets, token).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    let deadline = Instant::now() + patient(Duration::from_secs(60));
    while count_nodes(&nodes, BARE_SELECTOR).await.1 > 0 {
        if Instant::now() > deadline {
            bail!("the baseline's Nodes are still there a minute after their deletion");
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

// ----- the measurement -----

struct Figures {
    machines: usize,
    bare_s: f64,
    ready_s: f64,
    delete_s: f64,
    controller_rss_mib: f64,
    controller_cpu_s: f64,
    agent_rss_mib: f64,
    agent_pss_mib: f64,
    calls: BTreeMap<String, f64>,
}

async fn measure(garden: &TestGarden, state_dir: &Path, n: usize) -> Result<Figures> {
    let heartbeat = heartbeat_interval()?;
    let seed = garden.client().await?;
    let shoots = EXAMPLE.api(garden).await?;
    let machines = bench::machines_api(garden, NS).await?;
    let deployments = Api::<DynamicObject>::namespaced_with(
        seed.clone(),
        NS,
        &bench::ar("machine.sapcloud.io", "v1alpha1", "MachineDeployment", "machinedeployments"),
    );

    // The shoot, at zero machines.
    let t = Instant::now();
    let (min0, max0) = EXAMPLE.create_at_zero(garden, "bench-machines").await?;
    eprintln!(
        "[bench-machines] shoot ready (pool minimum {min0} / maximum {max0}) after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let admin = garden_e2e::shoot::admin_kubeconfig(garden, PROJECT_NS, SHOOT, "shoot-admin.kubeconfig");
    let shoot = garden.client_for(&admin).await?;
    let nodes: Api<Node> = Api::all(shoot.clone());
    let (_, before) = count_nodes(&nodes, POOL_SELECTOR).await;
    let machines_before = machine_phases(&machines).await;
    if before != 0 || !machines_before.is_empty() || !garden_e2e::local_node_agents(state_dir).is_empty() {
        bail!("the shoot should start with no machine: {before} Nodes, machines {machines_before:?}");
    }

    // (1) The baseline: N agents started by hand.
    eprintln!("[bench-machines] baseline: starting {n} local-node agents (heartbeat {heartbeat})");
    let (bare, start) = start_bare_agents(garden, &seed, &shoot, n, heartbeat).await?;
    let bare_result = wait_nodes_ready(&nodes, BARE_SELECTOR, n, start).await;
    let pids: Vec<u32> = bare.children.iter().map(Child::id).collect();
    let (bare_rss, bare_pss) = memory_of(&pids);
    remove_bare_agents(&shoot, bare).await?;
    let bare_s = bare_result?;
    eprintln!(
        "[bench-machines] baseline: {n} Nodes Ready after {bare_s:.2} s (agents: mean RSS {bare_rss:.1} MiB, \
         Pss {bare_pss:.1} MiB)"
    );

    // (2) Scale-up through the machine layer.
    let mc = machine_controller_pid(state_dir)?;
    let ticks = clock_ticks_per_second()?;
    let calls_before = driver_calls(&metrics_now(garden)?);
    let cpu_before = cpu_ticks(mc)?;
    eprintln!("[bench-machines] scale-up: pool to minimum = maximum = {n}");
    let start = Instant::now();
    EXAMPLE.scale_pool(&shoots, n as i64, n as i64).await?;
    let ready_s = match wait_nodes_ready(&nodes, POOL_SELECTOR, n, start).await {
        Ok(s) => s,
        Err(e) => bail!(
            "{e:#}; machines by phase: {:?}; agents running: {}",
            machine_phases(&machines).await,
            garden_e2e::local_node_agents(state_dir).len()
        ),
    };
    eprintln!(
        "[bench-machines] scale-up: {n} Nodes Ready after {ready_s:.2} s; machines {:?}",
        machine_phases(&machines).await
    );
    // The window of CPU time and driver calls ends once the machines know it too: all N Running.
    let deadline = start + patient(NODES_TIMEOUT);
    let settled_s = loop {
        let phases = machine_phases(&machines).await;
        if all_running(&phases, n) {
            break start.elapsed().as_secs_f64();
        }
        if Instant::now() > deadline {
            bail!("{n} Nodes are Ready but the machines are {phases:?} after {:?}", patient(NODES_TIMEOUT));
        }
        tokio::time::sleep(POLL).await;
    };
    let cpu_after = cpu_ticks(mc).context("machine-controller exited during the scale-up")?;
    let calls_after = driver_calls(&metrics_now(garden)?);
    let controller_rss_mib = proc_mib(mc, "status", "VmRSS").context("machine-controller's VmRSS")?;
    let agents = garden_e2e::local_node_agents(state_dir);
    eprintln!("[bench-machines] scale-up: {n} machines Running after {settled_s:.2} s; {} agents", agents.len());
    if agents.len() != n {
        bail!("{n} Nodes are Ready but {} node agents run (one per machine expected): {agents:?}", agents.len());
    }
    let (agent_rss_mib, agent_pss_mib) = memory_of(&agents.iter().map(|(pid, _)| *pid).collect::<Vec<_>>());
    let by_code: BTreeMap<String, f64> = calls_after
        .iter()
        .map(|(key, after)| (format!("{} {}", key.0, key.1), after - calls_before.get(key).copied().unwrap_or(0.0)))
        .filter(|(_, delta)| *delta > 0.0)
        .collect();
    eprintln!("[bench-machines] driver calls during the scale-up, by method and code: {by_code:?}");
    let calls = driver_calls_between(&calls_before, &calls_after);
    let controller_cpu_s = cpu_after.saturating_sub(cpu_before) as f64 / ticks;

    // (3) Back to zero.
    eprintln!("[bench-machines] scale-down: pool to minimum 0 / maximum 1, then the MachineDeployment to 0 replicas");
    let start = Instant::now();
    EXAMPLE.scale_pool(&shoots, 0, 1).await?;
    let deadline = start + patient(NODES_TIMEOUT);
    // The Worker actuator keeps replicas within the new bounds (100 -> 1); then 0, as an autoscaler would.
    loop {
        let replicas = deployments.get(DEPLOYMENT).await?.data["spec"]["replicas"].as_i64().unwrap_or(-1);
        if (0..=1).contains(&replicas) {
            break;
        }
        if Instant::now() > deadline {
            bail!("MachineDeployment {DEPLOYMENT} still has {replicas} replicas after the pool went to maximum 1");
        }
        tokio::time::sleep(POLL).await;
    }
    let zero = json!({"spec": {"replicas": 0}});
    deployments.patch(DEPLOYMENT, &PatchParams::default(), &Patch::Merge(&zero)).await?;
    let delete_s = loop {
        let phases = machine_phases(&machines).await;
        let agents = garden_e2e::local_node_agents(state_dir).len();
        if phases.is_empty() && agents == 0 {
            break start.elapsed().as_secs_f64();
        }
        if Instant::now() > deadline {
            bail!("scale-down: machines {phases:?} and {agents} agents left after {:?}", patient(NODES_TIMEOUT));
        }
        tokio::time::sleep(POLL).await;
    };
    eprintln!("[bench-machines] scale-down: no machine and no agent left after {delete_s:.2} s");

    Ok(Figures {
        machines: n,
        bare_s,
        ready_s,
        delete_s,
        controller_rss_mib,
        controller_cpu_s,
        agent_rss_mib,
        agent_pss_mib,
        calls,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let n = machines_wanted()?;
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() })?;
    let (config, state_dir) = garden.local_seed_config();
    garden.start_gardenlet("local", &config)?;
    garden.start_machine_layer(&state_dir, &[])?;
    garden.apply_dev_project()?;

    let figures = match measure(&garden, &state_dir, n).await {
        Ok(f) => f,
        Err(e) => {
            // Keep the garden directory (logs, machine files) for whoever reads the error.
            garden_e2e::bench::report_failure(&garden, "bench-machines");
            return Err(e);
        }
    };

    let per_machine = |method: &str| figures.calls.get(method).copied().unwrap_or(0.0) / figures.machines as f64;
    let creates = per_machine("CreateMachine");
    let status_reads = per_machine("GetMachineStatus");
    let result = json!({
        "machines": figures.machines,
        "local_100_ready_s": round(figures.ready_s),
        "local_100_bare_s": round(figures.bare_s),
        "local_vs_bare": round(figures.ready_s / figures.bare_s),
        "controller_rss_mib": round(figures.controller_rss_mib),
        "controller_cpu_s": round(figures.controller_cpu_s),
        "agent_rss_mib": round(figures.agent_rss_mib),
        "agent_pss_mib": round(figures.agent_pss_mib),
        "local_driver_calls_per_machine": round(creates + status_reads),
        "creates_per_machine": round(creates),
        "status_reads_per_machine": round(status_reads),
        "list_calls": figures.calls.get("ListMachines").copied().unwrap_or(0.0),
        "local_100_delete_s": round(figures.delete_s),
    });
    println!("{result}");
    Ok(())
}
