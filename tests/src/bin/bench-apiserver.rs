//! Benchmark of garden-apiserver against one etcd (run by `hack/bench-apiserver.sh`): prints one JSON line.
//!
//! - `etcd_put_per_s`: raw etcd puts of the same bytes as a shoot, concurrency 32 (the baseline);
//! - `create_per_s`: shoot creates through the API (TLS, authn, RBAC, admission, validation), concurrency 32;
//! - `get_p50_ms` / `get_p99_ms`: sequential GETs of one shoot;
//! - `list_5000_p50_ms`: consistent LIST of 5,000 shoots;
//! - `watch_fanout_500_p99_ms`: time from an update until each of 500 watchers received it;
//! - `rss_mib_5000_shoots`: server RSS holding 5,000 shoots.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::{stream, StreamExt, TryStreamExt};
use garden_e2e::TestGarden;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use serde_json::{json, Value};

const CONCURRENCY: usize = 32;
const SHOOTS: usize = 5_000;
const CREATE_SAMPLE: usize = 1_500;
/// Baseline and API creates alternate in rounds (medians), so a noisy moment on the VM hits both.
const ROUNDS: usize = 3;
const WATCHERS: usize = 500;

fn shoot(name: &str) -> Value {
    json!({
        "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
        "metadata": {"name": name, "namespace": "garden-bench", "labels": {"bench": "true"}},
        "spec": {
            "cloudProfile": {"kind": "CloudProfile", "name": "local"},
            "credentialsBindingName": "local",
            "region": "local",
            "purpose": "evaluation",
            "provider": {"type": "local", "workers": [{"name": "pool", "minimum": 1, "maximum": 2,
                "machine": {"type": "local", "image": {"name": "local", "version": "1.1.0"}}, "zones": ["0"]}]},
            "kubernetes": {"version": "1.33.2"},
            "networking": {"type": "calico", "nodes": "10.10.0.0/16"}
        }
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn etcd_baseline(endpoint: &str, bytes: Vec<u8>, round: usize) -> Result<f64> {
    let client = etcd_client::Client::connect([endpoint], None).await?;
    let bytes = Arc::new(bytes);
    let start = Instant::now();
    stream::iter(0..CREATE_SAMPLE)
        .map(|i| {
            let mut kv = client.kv_client();
            let bytes = bytes.clone();
            async move { kv.put(format!("/bench-raw/{round}/{i:06}"), bytes.as_ref().clone(), None).await }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(CREATE_SAMPLE as f64 / start.elapsed().as_secs_f64())
}

async fn create_range(api: &Api<DynamicObject>, from: usize, to: usize) -> Result<Duration> {
    let start = Instant::now();
    stream::iter(from..to)
        .map(|i| {
            let api = api.clone();
            async move {
                let obj: DynamicObject = serde_json::from_value(shoot(&format!("s{i:05}")))?;
                api.create(&PostParams::default(), &obj).await.with_context(|| format!("create s{i:05}"))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(start.elapsed())
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn watch_fanout(garden: &TestGarden, api_resource: &ApiResource) -> Result<Vec<f64>> {
    // Several connections: HTTP/1.1 clients need one per watch anyway.
    let mut watchers = Vec::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let current = Api::<DynamicObject>::namespaced_with(garden.client().await?, "garden-bench", api_resource)
        .get("s00000")
        .await?;
    let rv = current.metadata.resource_version.clone().unwrap_or_default();
    for _ in 0..WATCHERS {
        let client = garden.client().await?;
        let api = Api::<DynamicObject>::namespaced_with(client, "garden-bench", api_resource);
        let tx = tx.clone();
        let rv = rv.clone();
        watchers.push(tokio::spawn(async move {
            let params = WatchParams::default().fields("metadata.name=s00000").timeout(290);
            let mut s = api.watch(&params, &rv).await?.boxed();
            while let Some(ev) = s.next().await {
                if let Ok(WatchEvent::Modified(o)) = ev {
                    let mark = o.metadata.labels.and_then(|l| l.get("mark").cloned()).unwrap_or_default();
                    let _ = tx.send((mark, Instant::now()));
                }
            }
            anyhow::Ok(())
        }));
    }
    let api = Api::<DynamicObject>::namespaced_with(garden.client().await?, "garden-bench", api_resource);
    let mut latencies = Vec::new();
    // Round 0 is a warm-up (every watch established and delivering); it is not counted.
    for round in 0..11 {
        let mark = format!("m{round}");
        let sent = Instant::now();
        api.patch("s00000", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"mark": mark}}})))
            .await?;
        let mut got = 0;
        let deadline = sent + Duration::from_secs(60);
        while got < WATCHERS {
            let Ok(Some((m, at))) =
                tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), rx.recv()).await
            else {
                anyhow::bail!("only {got} of {WATCHERS} watchers saw update {round}");
            };
            if m == mark {
                got += 1;
                if round > 0 {
                    latencies.push(at.duration_since(sent).as_secs_f64() * 1000.0);
                }
            }
        }
    }
    for w in watchers {
        w.abort();
    }
    Ok(latencies)
}

#[tokio::main]
async fn main() -> Result<()> {
    let garden = TestGarden::start()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    garden.kubectl_ok(&["apply", "-f", &root.join("examples/cloudprofile-local.yaml").display().to_string()]);
    let setup = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"garden-bench"}}"#;
    garden.kubectl_stdin(&["apply", "-f", "-"], setup);
    let project = r#"{"apiVersion":"core.gardener.cloud/v1beta1","kind":"Project","metadata":{"name":"bench"},"spec":{"namespace":"garden-bench"}}"#;
    garden.kubectl_stdin(&["apply", "-f", "-"], project);
    let creds = std::fs::read_to_string(root.join("examples/shoot-local.yaml"))?;
    let creds =
        creds.split("\n---\n").take(2).collect::<Vec<_>>().join("\n---\n").replace("garden-dev", "garden-bench");
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], &creds);
    anyhow::ensure!(out.status.success(), "setup failed: {}", String::from_utf8_lossy(&out.stderr));

    let ar = ApiResource {
        group: "core.gardener.cloud".into(),
        version: "v1beta1".into(),
        api_version: "core.gardener.cloud/v1beta1".into(),
        kind: "Shoot".into(),
        plural: "shoots".into(),
    };
    let api = Api::<DynamicObject>::namespaced_with(garden.client().await?, "garden-bench", &ar);

    // Baseline and the same bytes through the API.
    let bytes = serde_json::to_vec(&shoot("s00000"))?;
    let (mut etcd_rates, mut create_rates) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        etcd_rates.push(etcd_baseline(&garden.etcd_endpoint(), bytes.clone(), round).await?);
        let took = create_range(&api, round * CREATE_SAMPLE, (round + 1) * CREATE_SAMPLE).await?;
        create_rates.push(CREATE_SAMPLE as f64 / took.as_secs_f64());
    }
    let etcd_put_per_s = percentile(&sorted(etcd_rates), 0.5);
    let create_per_s = percentile(&sorted(create_rates), 0.5);
    create_range(&api, ROUNDS * CREATE_SAMPLE, SHOOTS).await?;

    let mut gets = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        api.get("s00042").await?;
        gets.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let gets = sorted(gets);

    let mut lists = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let l = api.list(&ListParams::default()).await?;
        anyhow::ensure!(l.items.len() == SHOOTS, "list returned {} shoots", l.items.len());
        lists.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let lists = sorted(lists);
    let rss = rss_mib(garden.apiserver_pid().context("apiserver pid")?);
    let fanout = sorted(watch_fanout(&garden, &ar).await?);

    let result = json!({
        "create_per_s": round(create_per_s),
        "etcd_put_per_s": round(etcd_put_per_s),
        "create_vs_etcd": round(create_per_s / etcd_put_per_s),
        "get_p50_ms": round(percentile(&gets, 0.5)),
        "get_p99_ms": round(percentile(&gets, 0.99)),
        "list_5000_p50_ms": round(percentile(&lists, 0.5)),
        "watch_fanout_500_p99_ms": round(percentile(&fanout, 0.99)),
        "rss_mib_5000_shoots": round(rss),
    });
    println!("{result}");
    Ok(())
}
