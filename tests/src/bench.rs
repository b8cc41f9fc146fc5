//! What the machine benchmarks (`bench-machines`, `bench-aws-machines`) share: process figures from `/proc`,
//! machine-controller's driver call counters, and an example shoot created at zero machines, scaled by patching
//! its first pool and watched through its Machines.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value};

use crate::{patient, repo_path, TestGarden};

const POLL: Duration = Duration::from_millis(250);
const SHOOT_READY_TIMEOUT: Duration = Duration::from_secs(300);

/// `BENCH_MACHINES`, else 100.
pub fn machines_wanted() -> Result<usize> {
    match std::env::var("BENCH_MACHINES") {
        Ok(v) => v.parse().ok().filter(|n| *n > 0).with_context(|| format!("BENCH_MACHINES={v:?}: want a count > 0")),
        Err(_) => Ok(100),
    }
}

/// Two decimals.
pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

pub fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: format!("{group}/{version}"),
        kind: kind.into(),
        plural: plural.into(),
    }
}

// ----- /proc -----

/// A `kB` field of `/proc/<pid>/<file>` (`VmRSS` of `status`, `Pss` of `smaps_rollup`) in MiB.
pub fn proc_mib(pid: u32, file: &str, field: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let line = text.lines().find(|l| l.split(':').next() == Some(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A workerless shoot of project dev on the local CloudProfile (the benchmarks' unit of work).
pub fn workerless_shoot(name: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
        "metadata": {"name": name, "namespace": "garden-dev"},
        "spec": {
            "cloudProfile": {"kind": "CloudProfile", "name": "local"},
            "region": "local",
            "purpose": "evaluation",
            "provider": {"type": "local"},
            "kubernetes": {"version": "1.33"}
        }
    })
}

/// utime + stime of `pid` in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_ticks(pid: u32) -> Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).with_context(|| format!("no process {pid}"))?;
    // The command name (field 2) may hold spaces: count from its closing parenthesis (field 3 is the state).
    let rest = stat.rsplit_once(") ").context("malformed /proc/<pid>/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| -> Result<u64> { fields.get(i).context("short /proc/<pid>/stat")?.parse().context("stat") };
    Ok(field(11)? + field(12)?)
}

pub fn clock_ticks_per_second() -> Result<f64> {
    let out = Command::new("getconf").arg("CLK_TCK").output().context("failed to run getconf CLK_TCK")?;
    String::from_utf8_lossy(&out.stdout).trim().parse().context("getconf CLK_TCK printed no number")
}

/// The machine-controller process whose arguments contain `marker` (a flag unique to this garden).
pub fn machine_controller_pid(marker: &str) -> Result<u32> {
    component_base::procfs::processes_with(marker)
        .into_iter()
        .find(|(_, args)| args.first().is_some_and(|a| a.ends_with("machine-controller")))
        .map(|(pid, _)| pid)
        .with_context(|| format!("no machine-controller with {marker} is running"))
}

// ----- machine-controller's /metrics -----

/// `machine_controller_driver_calls_total` by (method, code).
pub fn driver_calls(metrics: &str) -> BTreeMap<(String, String), f64> {
    let mut calls = BTreeMap::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("machine_controller_driver_calls_total{") else { continue };
        let Some((labels, value)) = rest.rsplit_once("} ") else { continue };
        let label =
            |name: &str| labels.split(',').find_map(|kv| kv.strip_prefix(name)?.strip_prefix("=\"")?.strip_suffix('"'));
        if let (Some(method), Some(code), Ok(value)) = (label("method"), label("code"), value.trim().parse::<f64>()) {
            *calls.entry((method.to_string(), code.to_string())).or_default() += value;
        }
    }
    calls
}

/// `machine_controller_cloud_api_calls_total` by operation (drivers that count their requests).
pub fn cloud_api_calls(metrics: &str) -> BTreeMap<String, f64> {
    metrics
        .lines()
        .filter_map(|line| line.strip_prefix("machine_controller_cloud_api_calls_total{operation=\""))
        .filter_map(|rest| rest.rsplit_once("\"} "))
        .filter_map(|(operation, value)| Some((operation.to_string(), value.trim().parse().ok()?)))
        .collect()
}

pub fn metrics_now(garden: &TestGarden) -> Result<String> {
    let text = garden.machine_controller_metrics();
    if !text.contains("machine_controller_") {
        bail!("machine-controller's /metrics did not answer");
    }
    Ok(text)
}

/// Driver calls between two readings of [`driver_calls`], summed over codes: method -> calls.
pub fn driver_calls_between(
    before: &BTreeMap<(String, String), f64>,
    after: &BTreeMap<(String, String), f64>,
) -> BTreeMap<String, f64> {
    let mut calls: BTreeMap<String, f64> = BTreeMap::new();
    for (key, value) in after {
        *calls.entry(key.0.clone()).or_default() += value - before.get(key).copied().unwrap_or(0.0);
    }
    calls
}

// ----- the example shoot -----

/// An example shoot (`examples/<file>`: the Shoot and the documents it needs) in a project namespace.
pub struct ExampleShoot {
    pub file: &'static str,
    pub namespace: &'static str,
    pub name: &'static str,
}

impl ExampleShoot {
    /// The example's documents: the shoot and the rest (credentials and their binding).
    fn documents(&self) -> Result<(Value, Vec<serde_yaml::Value>)> {
        let path = repo_path(&format!("examples/{}", self.file));
        let text = std::fs::read_to_string(&path).with_context(|| format!("failed to read {}", path.display()))?;
        let mut shoot = None;
        let mut rest = Vec::new();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let doc = <serde_yaml::Value as serde::Deserialize>::deserialize(doc)?;
            if doc.get("kind").and_then(|k| k.as_str()) == Some("Shoot") {
                shoot = Some(serde_json::to_value(&doc)?);
            } else if !doc.is_null() {
                rest.push(doc);
            }
        }
        Ok((shoot.with_context(|| format!("examples/{} holds no Shoot", self.file))?, rest))
    }

    pub async fn api(&self, garden: &TestGarden) -> Result<Api<DynamicObject>> {
        Ok(Api::namespaced_with(
            garden.client().await?,
            self.namespace,
            &ar("core.gardener.cloud", "v1beta1", "Shoot", "shoots"),
        ))
    }

    /// Creates the shoot with its first pool at zero machines and waits until it is ready; returns the pool's
    /// (minimum, maximum) it was created with. A pool with maximum 0 is tried first; Gardener's validation wants
    /// one pool with maximum > 0, so then minimum 0 / maximum 1, which the Worker actuator turns into 0 replicas.
    pub async fn create_at_zero(&self, garden: &TestGarden, log: &str) -> Result<(i64, i64)> {
        let shoots = self.api(garden).await?;
        let (shoot, rest) = self.documents()?;
        let manifests = rest.iter().map(serde_yaml::to_string).collect::<Result<Vec<_>, _>>()?.join("---\n");
        let out = garden.kubectl_stdin(&["-n", self.namespace, "apply", "-f", "-"], &manifests);
        if !out.status.success() {
            bail!("kubectl apply (credentials of examples/{}): {}", self.file, String::from_utf8_lossy(&out.stderr));
        }
        let with_pool = |minimum: i64, maximum: i64| -> Result<DynamicObject> {
            let mut s = shoot.clone();
            s["spec"]["provider"]["workers"] = workers_scaled(&shoot, minimum, maximum)?;
            Ok(serde_json::from_value(s)?)
        };
        let pool = match shoots.create(&PostParams::default(), &with_pool(0, 0)?).await {
            Ok(_) => (0, 0),
            Err(e) if component_base::api::is_status(&e, 422) => {
                eprintln!("[{log}] a pool with minimum 0 / maximum 0 is refused: {e}");
                eprintln!("[{log}] creating it with minimum 0 / maximum 1 (0 replicas) instead");
                shoots.create(&PostParams::default(), &with_pool(0, 1)?).await.context("creating the shoot")?;
                (0, 1)
            }
            Err(e) => return Err(e).context("creating the shoot"),
        };
        self.wait_ready(&shoots).await?;
        Ok(pool)
    }

    /// Waits until the shoot's last operation Succeeded (100 %).
    pub async fn wait_ready(&self, shoots: &Api<DynamicObject>) -> Result<()> {
        let deadline = Instant::now() + patient(SHOOT_READY_TIMEOUT);
        loop {
            let op = shoots.get(self.name).await.map(|s| s.data["status"]["lastOperation"].clone()).unwrap_or_default();
            if op["state"] == "Succeeded" && op["progress"].as_i64() == Some(100) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("shoot {} not ready after {:?}: lastOperation {op}", self.name, patient(SHOOT_READY_TIMEOUT));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A JSON merge patch of the shoot's first pool to `minimum`/`maximum` (the list is replaced as a whole).
    pub async fn scale_pool(&self, shoots: &Api<DynamicObject>, minimum: i64, maximum: i64) -> Result<()> {
        let current = serde_json::to_value(shoots.get(self.name).await?)?;
        let patch = json!({"spec": {"provider": {"workers": workers_scaled(&current, minimum, maximum)?}}});
        shoots
            .patch(self.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .context("patching the shoot's pool")?;
        Ok(())
    }
}

/// The shoot's worker pools (as stored, defaulted) with the first pool's minimum and maximum replaced.
fn workers_scaled(shoot: &Value, minimum: i64, maximum: i64) -> Result<Value> {
    let mut workers = shoot.pointer("/spec/provider/workers").cloned().context("the shoot has no worker pools")?;
    let pool = workers.get_mut(0).context("the shoot has no worker pools")?;
    pool["minimum"] = json!(minimum);
    pool["maximum"] = json!(maximum);
    Ok(workers)
}

/// The Machines (machine.sapcloud.io) of a shoot's seed namespace.
pub async fn machines_api(garden: &TestGarden, namespace: &str) -> Result<Api<DynamicObject>> {
    Ok(Api::namespaced_with(
        garden.client().await?,
        namespace,
        &ar("machine.sapcloud.io", "v1alpha1", "Machine", "machines"),
    ))
}

/// Phases (`status.currentStatus.phase`) of the Machines, counted.
pub async fn machine_phases(machines: &Api<DynamicObject>) -> BTreeMap<String, usize> {
    let mut phases = BTreeMap::new();
    for m in machines.list(&ListParams::default()).await.map(|l| l.items).unwrap_or_default() {
        let phase = m.data["status"]["currentStatus"]["phase"].as_str().unwrap_or("None").to_string();
        *phases.entry(phase).or_default() += 1;
    }
    phases
}

/// Whether exactly `n` Machines exist and all are `Running`.
pub fn all_running(phases: &BTreeMap<String, usize>, n: usize) -> bool {
    phases.get("Running") == Some(&n) && phases.values().sum::<usize>() == n
}

/// Polls the Machines every 250 ms until `n` are `Running`: seconds since `start`. `each_poll` runs every round
/// with the seconds so far (to note other milestones); progress goes to stderr every 10 s, prefixed `[log]`; an
/// error after `timeout` (times the harness's patience) names the phases.
pub async fn wait_running(
    machines: &Api<DynamicObject>,
    n: usize,
    start: Instant,
    timeout: Duration,
    log: &str,
    mut each_poll: impl FnMut(f64) -> Result<()>,
) -> Result<f64> {
    let deadline = start + patient(timeout);
    let mut last_report = Instant::now();
    loop {
        let phases = machine_phases(machines).await;
        each_poll(start.elapsed().as_secs_f64())?;
        if all_running(&phases, n) {
            return Ok(start.elapsed().as_secs_f64());
        }
        if Instant::now() > deadline {
            bail!("machines {phases:?} after {:?} ({n} Running wanted)", patient(timeout));
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("[{log}]   {:.0} s: machines {phases:?}", start.elapsed().as_secs_f64());
            last_report = Instant::now();
        }
        tokio::time::sleep(POLL).await;
    }
}

/// After a failed benchmark: keeps the garden directory and prints where it is with machine-controller's last
/// log lines.
pub fn report_failure(garden: &TestGarden, log: &str) {
    std::env::set_var("GARDEN_E2E_KEEP", "1");
    eprintln!(
        "[{log}] FAILED; garden directory kept: {}\n----- last lines of {} -----\n{}",
        garden.dir().display(),
        garden.log_path("machine-controller").display(),
        garden.log_tail("machine-controller", 40)
    );
}
