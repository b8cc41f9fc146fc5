//! Benchmark driver for hack/bench-backup.sh: fills an etcd with ~256 MiB, then times our full snapshot (local
//! directory and moto S3) against `etcdctl snapshot save`, records the `etcd-backup full` process's peak RSS,
//! and times a restore of a full snapshot plus 100 deltas. Prints one JSON line.
//!
//! Needs `etcd`, `etcdctl` (PATH or ETCD_BIN / ETCDCTL_BIN), `moto_server` ($MOTO_VENV/bin,
//! ~/.cache/garden-tools/moto-venv/bin or PATH) and the `etcd-backup` binary next to this one.
#![forbid(unsafe_code)]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../tests/support/peers.rs"]
mod peers;

use anyhow::{bail, Context, Result};
use etcd_backup::delta::DeltaRecorder;
use etcd_backup::layout;
use etcd_backup::store::StoreConfig;
use etcd_client::Client;

const VALUES: usize = 2600;
const VALUE_SIZE: usize = 100 * 1024;
const DELTAS: usize = 100;
const RUNS: usize = 3;

struct Guard(Vec<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn tool(env: &str, name: &str) -> PathBuf {
    std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(name))
}

fn log_file(dir: &Path, name: &str) -> Result<(Stdio, Stdio)> {
    let f = std::fs::File::create(dir.join(format!("{name}.log")))?;
    Ok((Stdio::from(f.try_clone()?), Stdio::from(f)))
}

async fn start_etcd(dir: &Path, guard: &mut Guard) -> Result<String> {
    let (cp, pp) = (free_port()?, free_port()?);
    let client = format!("http://127.0.0.1:{cp}");
    let peer = format!("http://127.0.0.1:{pp}");
    let (out, err) = log_file(dir, "etcd")?;
    let child = Command::new(tool("ETCD_BIN", "etcd"))
        .args(["--name", "bench", "--data-dir"])
        .arg(dir.join("etcd"))
        .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
        .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
        .args(["--initial-cluster", &format!("bench={peer}"), "--quota-backend-bytes", &(4u64 << 30).to_string()])
        .args(["--heartbeat-interval", "50", "--election-timeout", "250", "--log-level", "warn"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .context("failed to start etcd")?;
    guard.0.push(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut c) = Client::connect([client.as_str()], None).await {
            if c.status().await.is_ok() {
                return Ok(client);
            }
        }
        if Instant::now() > deadline {
            bail!("etcd not ready");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a command to completion; returns (seconds, peak RSS in MiB from VmHWM, stdout).
fn measure(mut cmd: Command) -> Result<(f64, f64, String)> {
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed().as_secs_f64();
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        bail!("{cmd:?} failed with {status}: {out}{err}");
    }
    Ok((elapsed, peak_kib as f64 / 1024.0, out))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

#[tokio::main]
async fn main() -> Result<()> {
    let backup_bin = std::env::current_exe()?.with_file_name("etcd-backup");
    anyhow::ensure!(backup_bin.is_file(), "{} missing: build the etcd-backup binary", backup_bin.display());
    let moto_bin =
        peers::find_moto().context("moto_server not found: run hack/bench-backup.sh (garden::ensure_moto)")?;
    let dir = std::env::temp_dir().join(format!("bench-backup-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&dir, &backup_bin, &moto_bin).await;
    let _ = std::fs::remove_dir_all(&dir);
    let line = result?;
    println!("{line}");
    Ok(())
}

async fn run(dir: &Path, backup_bin: &Path, moto_bin: &Path) -> Result<String> {
    let mut guard = Guard(Vec::new());
    let url = start_etcd(dir, &mut guard).await?;
    let local_root = dir.join("store");
    let full_local = |prefix: &str| {
        let mut cmd = Command::new(backup_bin);
        cmd.args(["full", "--endpoints", &url, "--storage-provider", "Local", "--store-prefix", prefix])
            .arg("--store-container")
            .arg(&local_root)
            .env("RUST_LOG", "warn");
        cmd
    };

    // Peak RSS on an almost empty database, for comparison.
    let (_, rss_small, _) = measure(full_local("small"))?;

    eprintln!("filling etcd with {VALUES} values of {} KiB", VALUE_SIZE / 1024);
    let t = Instant::now();
    let client = Client::connect([url.as_str()], None).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8usize {
        let mut c = client.clone();
        tasks.spawn(async move {
            for i in (worker..VALUES).step_by(8) {
                let value: Vec<u8> = (0..VALUE_SIZE).map(|j| (i.wrapping_mul(31) ^ j.wrapping_mul(7)) as u8).collect();
                c.put(format!("/registry/bench/{i:05}"), value, None).await?;
            }
            Ok::<_, etcd_client::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let mut c = client.clone();
    let db_size = c.status().await?.db_size();
    eprintln!("filled in {:.1}s, db size {} MiB", t.elapsed().as_secs_f64(), db_size >> 20);

    // Moto.
    let moto_port = free_port()?;
    let (out, err) = log_file(dir, "moto")?;
    guard.0.push(
        Command::new(moto_bin)
            .args(["-H", "127.0.0.1", "-p", &moto_port.to_string()])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()?,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while peers::http(moto_port, "GET", "/moto-api/").map(|(code, _)| code) != Some(200) {
        anyhow::ensure!(Instant::now() < deadline, "moto not ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    anyhow::ensure!(
        peers::http(moto_port, "PUT", "/bench").map(|(code, _)| code) == Some(200),
        "failed to create the bucket"
    );
    let s3_config = dir.join("s3.yaml");
    std::fs::write(
        &s3_config,
        format!(
            "provider: S3\ncontainer: bench\nprefix: bench\nendpoint: http://127.0.0.1:{moto_port}\n\
             region: eu-central-1\ncredentials:\n  accessKeyID: testing\n  secretAccessKey: testing\n"
        ),
    )?;

    let etcdctl = tool("ETCDCTL_BIN", "etcdctl");
    let (mut local, mut s3, mut ctl, mut rss) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let file = dir.join(format!("etcdctl-{run}.db"));
        let mut cmd = Command::new(&etcdctl);
        cmd.env("ETCDCTL_API", "3").args(["--endpoints", &url, "snapshot", "save"]).arg(&file);
        ctl.push(measure(cmd)?.0);
        let _ = std::fs::remove_file(&file);

        let (secs, peak, _) = measure(full_local("bench"))?;
        local.push(secs);
        rss.push(peak);

        let mut cmd = Command::new(backup_bin);
        cmd.args(["full", "--endpoints", &url, "--store-config"]).arg(&s3_config).env("RUST_LOG", "warn");
        s3.push(measure(cmd)?.0);
        eprintln!(
            "run {run}: etcdctl {:.2}s, local {:.2}s, s3 {:.2}s, rss {:.1} MiB",
            ctl[run], local[run], s3[run], rss[run]
        );
    }

    // 100 deltas after the latest local full snapshot, then a restore of the chain into a fresh data directory.
    let store = StoreConfig::local(&local_root, "bench").open()?;
    let chain = layout::latest_chain(&layout::list(store.as_ref(), "bench").await?).context("no full snapshot")?;
    let mut recorder = DeltaRecorder::start(&client, chain.full.end_revision + 1).await?;
    for d in 0..DELTAS {
        let mut last = 0;
        for k in 0..10 {
            let resp = c.put(format!("/registry/delta/{d:03}/{k}"), vec![b'd'; 1024], None).await?;
            last = resp.header().map_or(0, |h| h.revision());
        }
        while recorder.last_revision() < last {
            recorder.recv().await?;
        }
        recorder.flush(store.as_ref(), "bench").await?.context("empty delta")?;
    }
    let data_dir = dir.join("restored");
    let mut cmd = Command::new(backup_bin);
    cmd.args(["restore", "--storage-provider", "Local", "--store-prefix", "bench", "--name", "restored"])
        .arg("--store-container")
        .arg(&local_root)
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["--initial-advertise-peer-urls", &format!("http://127.0.0.1:{}", free_port()?)])
        .env("RUST_LOG", "warn");
    let (restore_s, _, outcome) = measure(cmd)?;
    anyhow::ensure!(outcome.contains("\"restored\""), "unexpected restore outcome: {outcome}");
    drop(guard);

    let local_s = median(local);
    let ctl_s = median(ctl);
    let line = serde_json::json!({
        "db_size_mib": round(db_size as f64 / 1048576.0, 1),
        "full_snapshot_local_s": round(local_s, 3),
        "full_snapshot_s3_s": round(median(s3), 3),
        "etcdctl_snapshot_s": round(ctl_s, 3),
        "local_vs_etcdctl": round(ctl_s / local_s, 2),
        "snapshotter_peak_rss_mib": round(rss.iter().cloned().fold(0.0, f64::max), 1),
        "snapshotter_peak_rss_small_db_mib": round(rss_small, 1),
        "restore_full_plus_100_deltas_s": round(restore_s, 3),
    });
    Ok(line.to_string())
}
