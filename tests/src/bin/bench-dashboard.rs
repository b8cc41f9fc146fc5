//! Benchmark of the tenant portal in a real browser (run by `hack/bench-dashboard.sh`): prints one JSON line.
//!
//! A garden (etcd, garden-apiserver; the controller-manager only until project `dev` has its namespace) with N
//! workerless shoots that no seed hosts (their status changes only when the benchmark writes it), and
//! `garden-dashboard` in front of it. `dashboard/e2e/bench.mjs` (playwright-core, Debian's chromium) measures the
//! list's first render against a static table of the same rows and the time from a status change in the garden
//! to the screen against the garden's own watch delivering it, then keeps 20 sessions open; this program reads
//! the backend's RSS then (`backend_rss_mib_20_sessions`) and before any session (`backend_rss_mib_idle`).
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures::{stream, StreamExt, TryStreamExt};
use garden_e2e::bench::{proc_mib, round};
use garden_e2e::{free_port, repo_path, GardenOptions, TestGarden};
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::{json, Value};

const TOKEN: &str = "bench-token-0123456789";

#[tokio::main]
async fn main() -> Result<()> {
    let n: usize = std::env::var("BENCH_SHOOTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let csv = format!("{TOKEN},bench,uid-bench,\"system:masters\"\n");
    let options = GardenOptions { controller_manager: true, token_auth_csv: Some(csv), ..Default::default() };
    let mut garden = tokio::task::block_in_place(|| TestGarden::start_with(options))?;
    tokio::task::block_in_place(|| garden.apply_dev_project())?;
    garden.stop_controller_manager();
    let client = garden.client().await?;
    let ar = garden_e2e::bench::ar("core.gardener.cloud", "v1beta1", "Shoot", "shoots");
    let shoots: Api<DynamicObject> = Api::namespaced_with(client, "garden-dev", &ar);
    stream::iter(0..n)
        .map(|i| {
            let shoots = shoots.clone();
            async move {
                let obj: DynamicObject =
                    serde_json::from_value(garden_e2e::bench::workerless_shoot(&format!("bench-{i:04}")))?;
                shoots.create(&PostParams::default(), &obj).await.context("creating a shoot")?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    eprintln!("[bench-dashboard] {n} shoots created");

    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(garden.dir().join("dashboard.log"))?;
    let mut dashboard = Command::new(garden.bin_dir().join("garden-dashboard"))
        .args(["--garden-server", &garden.server_url()])
        .arg("--garden-ca")
        .arg(garden.cert_dir().join("ca.crt"))
        .args(["--bind-address", &format!("127.0.0.1:{port}")])
        .arg("--static-dir")
        .arg(repo_path("dashboard/frontend/dist"))
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting garden-dashboard")?;
    let healthy =
        || Command::new("curl").args(["-sf", &format!("{url}/healthz")]).output().is_ok_and(|o| o.status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !healthy() {
        if std::time::Instant::now() > deadline {
            bail!("garden-dashboard did not come up");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let idle = proc_mib(dashboard.id(), "status", "VmRSS").unwrap_or(0.0);

    let mut bench = Command::new("node")
        .arg(repo_path("dashboard/e2e/bench.mjs"))
        .env("DASHBOARD_URL", &url)
        .env("TOKEN", TOKEN)
        .env("GARDEN_TOKEN", TOKEN)
        .env("GARDEN_SERVER", garden.server_url())
        .env("GARDEN_CA", garden.cert_dir().join("ca.crt"))
        .env("N", n.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running node dashboard/e2e/bench.mjs (garden::ensure_dashboard installs node)")?;
    let mut line = String::new();
    BufReader::new(bench.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let rss = proc_mib(dashboard.id(), "status", "VmRSS").unwrap_or(0.0);
    drop(bench.stdin.take());
    let status = bench.wait()?;
    let _ = dashboard.kill();
    let _ = dashboard.wait();
    let mut result: Value =
        serde_json::from_str(line.trim()).with_context(|| format!("bench.mjs printed no result ({status}): {line}"))?;
    result["backend_rss_mib_20_sessions"] = json!(round(rss));
    result["backend_rss_mib_idle"] = json!(round(idle));
    result["shoots"] = json!(n);
    println!("{result}");
    Ok(())
}
