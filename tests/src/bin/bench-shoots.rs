//! Benchmark of workerless shoots on the local seed (run by `hack/bench-shoots.sh`): prints one JSON line.
//!
//! A garden with controller-manager and the gardenlet of seed `local` (process runtime: one real etcd and
//! one shoot API server per shoot).
//!
//! - `etcd_start_s`: the baseline: a bare `etcd` with the runtime's flags, from spawn until
//!   `etcdctl endpoint health` succeeds (median of 3);
//! - `create_to_ready_p50_s`: 10 shoots created one after another, from the API create until
//!   `lastOperation` is `Create Succeeded 100` (polled every 50 ms), median;
//! - `shoots_50_all_ready_s`: 50 shoots created at once, until all are `Create Succeeded 100`;
//! - `control_plane_rss_mib`: VmRSS(etcd) + VmRSS(shoot API server) + VmRSS(etcd-backup snapshotter) of one control
//!   plane, median over the 50; `etcd_rss_mib`, `apiserver_rss_mib`, `snapshotter_rss_mib`: each part's median
//!   (the kubernetes runtime sizes its etcd and backup-sidecar memory requests from these).
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures::{stream, StreamExt, TryStreamExt};
use garden_e2e::{free_port, GardenOptions, TestGarden};
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

const SEQUENTIAL: usize = 10;
const PARALLEL: usize = 50;
const POLL: Duration = Duration::from_millis(50);
const READY_TIMEOUT: Duration = Duration::from_secs(300);

fn ready(obj: &DynamicObject) -> bool {
    let op = &obj.data["status"]["lastOperation"];
    op["type"] == "Create" && op["state"] == "Succeeded" && op["progress"].as_i64() == Some(100)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Every process whose command line contains `marker` (a control plane's state directory).
fn processes_with(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.windows(marker.len()).any(|w| w == marker.as_bytes()))
        })
        .collect()
}

/// The baseline: a bare etcd with the process runtime's flags until `etcdctl endpoint health` succeeds.
fn etcd_start_once(dir: &Path) -> Result<f64> {
    let data = dir.join("etcd");
    let _ = std::fs::remove_dir_all(&data);
    let (client_port, peer_port) = (free_port(), free_port());
    let client = format!("http://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    let log = std::fs::File::create(dir.join("etcd.log"))?;
    let etcd_bin = std::env::var("ETCD_BIN").unwrap_or_else(|_| "etcd".into());
    let start = Instant::now();
    let mut child = Command::new(etcd_bin)
        .args(["--name", "etcd-main", "--data-dir"])
        .arg(&data)
        .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
        .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
        .args(["--initial-cluster", &format!("etcd-main={peer}")])
        .args(["--heartbeat-interval", "100", "--election-timeout", "500"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .context("failed to start etcd")?;
    let result = loop {
        let ok = Command::new("etcdctl")
            .args(["--endpoints", &client, "--dial-timeout", "1s", "--command-timeout", "1s", "endpoint", "health"])
            .env("ETCDCTL_API", "3")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            break Ok(start.elapsed().as_secs_f64());
        }
        if start.elapsed() > Duration::from_secs(30) {
            break Err(anyhow::anyhow!("etcd not healthy after 30 s"));
        }
        if let Some(status) = child.try_wait()? {
            break Err(anyhow::anyhow!("etcd exited with {status}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn etcd_baseline(dir: &Path) -> Result<f64> {
    std::fs::create_dir_all(dir)?;
    let runs = (0..3).map(|_| etcd_start_once(dir)).collect::<Result<Vec<_>>>()?;
    eprintln!("[bench-shoots] bare etcd start: {runs:?}");
    let _ = std::fs::remove_dir_all(dir);
    Ok(median(runs))
}

async fn wait_ready(api: &Api<DynamicObject>, name: &str) -> Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(obj) = api.get(name).await {
            if ready(&obj) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("shoot {name} not ready after {READY_TIMEOUT:?}: {}", obj.data["status"]["lastOperation"]);
            }
        }
        if Instant::now() > deadline {
            bail!("shoot {name} not ready after {READY_TIMEOUT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Deletes the shoots (confirmation annotation first) and waits until they are gone.
async fn delete_all(api: &Api<DynamicObject>, names: &[String], timeout: Duration) -> Result<()> {
    let confirm = json!({"metadata": {"annotations": {"confirmation.gardener.cloud/deletion": "true"}}});
    stream::iter(names)
        .map(|name| {
            let confirm = &confirm;
            async move {
                api.patch(name, &PatchParams::default(), &Patch::Merge(confirm)).await?;
                api.delete(name, &DeleteParams::default()).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    let deadline = Instant::now() + timeout;
    loop {
        let left = api.list(&ListParams::default()).await?.items.len();
        if left == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{left} shoots still there {timeout:?} after deletion");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct Figures {
    create_to_ready: Vec<f64>,
    all_ready_s: f64,
    rss: Vec<f64>,
    /// Per control plane: etcd, shoot API server, snapshotter.
    parts: Vec<[f64; 3]>,
}

async fn measure(garden: &TestGarden, state_dir: &Path) -> Result<Figures> {
    let ar = ApiResource {
        group: "core.gardener.cloud".into(),
        version: "v1beta1".into(),
        api_version: "core.gardener.cloud/v1beta1".into(),
        kind: "Shoot".into(),
        plural: "shoots".into(),
    };
    let api = Api::<DynamicObject>::namespaced_with(garden.client().await?, "garden-dev", &ar);

    // (a) one after another.
    let mut create_to_ready = Vec::new();
    let mut sequential = Vec::new();
    for i in 0..SEQUENTIAL {
        let name = format!("seq-{i:02}");
        let obj: DynamicObject = serde_json::from_value(garden_e2e::bench::workerless_shoot(&name))?;
        let start = Instant::now();
        api.create(&PostParams::default(), &obj).await.with_context(|| format!("create {name}"))?;
        wait_ready(&api, &name).await?;
        let took = start.elapsed().as_secs_f64();
        eprintln!("[bench-shoots] {name} ready after {took:.2} s");
        create_to_ready.push(took);
        sequential.push(name);
    }
    // A clean seed for (b): the 50 should not share the machine with the 10.
    delete_all(&api, &sequential, Duration::from_secs(300)).await?;

    // (b) all at once.
    let names: Vec<String> = (0..PARALLEL).map(|i| format!("par-{i:02}")).collect();
    let start = Instant::now();
    stream::iter(&names)
        .map(|name| {
            let api = api.clone();
            async move {
                let obj: DynamicObject = serde_json::from_value(garden_e2e::bench::workerless_shoot(name))?;
                api.create(&PostParams::default(), &obj).await.with_context(|| format!("create {name}"))
            }
        })
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<_>>()
        .await?;
    let deadline = start + READY_TIMEOUT;
    let all_ready_s = loop {
        let list = api.list(&ListParams::default()).await?;
        let n = list.items.iter().filter(|o| ready(o)).count();
        if n == PARALLEL {
            break start.elapsed().as_secs_f64();
        }
        if Instant::now() > deadline {
            bail!("only {n} of {PARALLEL} shoots ready after {READY_TIMEOUT:?}");
        }
        tokio::time::sleep(POLL).await;
    };
    eprintln!("[bench-shoots] {PARALLEL} shoots ready after {all_ready_s:.2} s");

    // (c) RSS of each control plane.
    let list = api.list(&ListParams::default()).await?;
    let mut rss = Vec::new();
    let mut parts = Vec::new();
    for obj in &list.items {
        let id = obj.data["status"]["technicalID"].as_str().context("no technicalID")?;
        let dir = state_dir.join(id);
        let etcd = read_pid(&dir.join("etcd.pid")).and_then(rss_mib);
        let apiserver = read_pid(&dir.join("apiserver.pid")).and_then(rss_mib);
        let snapshotter = read_pid(&dir.join("backup.pid")).and_then(rss_mib);
        match (etcd, apiserver, snapshotter) {
            (Some(e), Some(a), Some(b)) => {
                rss.push(e + a + b);
                parts.push([e, a, b]);
            }
            _ => bail!(
                "control plane {id}: no live etcd ({etcd:?} MiB), API server ({apiserver:?} MiB) or snapshotter \
                 ({snapshotter:?} MiB)"
            ),
        }
    }
    delete_all(&api, &names, Duration::from_secs(600)).await?;
    Ok(Figures { create_to_ready, all_ready_s, rss, parts })
}

#[tokio::main]
async fn main() -> Result<()> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() })?;
    let etcd_start_s = etcd_baseline(&garden.dir().join("baseline"))?;

    let state_dir = garden.dir().join("seed-local");
    let config = std::fs::read_to_string(root.join("hack/config/gardenlet-local.yaml"))?;
    garden.start_gardenlet("local", &format!("{config}\nstateDir: {}\n", state_dir.display()))?;
    garden.kubectl_ok(&[
        "apply",
        "-f",
        &root.join("examples/cloudprofile-local.yaml").display().to_string(),
        "-f",
        &root.join("examples/project-dev.yaml").display().to_string(),
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !garden.kubectl(&["get", "namespace", "garden-dev"]).status.success() {
        if Instant::now() > deadline {
            bail!("namespace garden-dev not created");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let figures = measure(&garden, &state_dir).await;
    // Control planes run detached from the gardenlet: whatever deletion left behind must not outlive the bench.
    let leftovers = processes_with(&format!("{}/", state_dir.display()));
    if !leftovers.is_empty() {
        eprintln!("[bench-shoots] killing {} leftover control-plane processes: {leftovers:?}", leftovers.len());
        for pid in &leftovers {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
    let figures = figures?;

    let result = json!({
        "create_to_ready_p50_s": round(median(figures.create_to_ready)),
        "shoots_50_all_ready_s": round(figures.all_ready_s),
        "control_plane_rss_mib": round(median(figures.rss)),
        "etcd_rss_mib": round(median(figures.parts.iter().map(|p| p[0]).collect())),
        "apiserver_rss_mib": round(median(figures.parts.iter().map(|p| p[1]).collect())),
        "snapshotter_rss_mib": round(median(figures.parts.iter().map(|p| p[2]).collect())),
        "etcd_start_s": round3(etcd_start_s),
    });
    println!("{result}");
    Ok(())
}
