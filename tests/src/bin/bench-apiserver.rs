//! Benchmark of garden-apiserver against one etcd (run by `hack/bench-apiserver.sh`): prints one JSON line.
//!
//! - `etcd_put_per_s`: raw etcd puts of the same bytes as a shoot, concurrency 32 (the baseline);
//! - `etcd_txn_per_s`: raw etcd create-if-absent transactions of the same bytes (what every create needs at
//!   least: the compare-and-swap that makes a second create of one name fail), concurrency 32;
//!   `etcd_txn_vs_put` is therefore the best `create_vs_etcd` an API server costing no CPU could reach here;
//! - `create_per_s`: shoot creates through the API (TLS, authn, RBAC, admission, validation), concurrency 32;
//! - `get_p50_ms` / `get_p99_ms`: sequential GETs of one shoot;
//! - `list_5000_p50_ms`: consistent LIST of 5,000 shoots;
//! - `watch_fanout_500_p99_ms`: time from an update until each of 500 watchers received it;
//! - `rss_mib_5000_shoots`: server RSS holding 5,000 shoots;
//! - `list_5000_configmaps_{json,protobuf}_ms` / `_bytes`: consistent LIST of 5,000 ConfigMaps answered as JSON
//!   and as protobuf (client-go's `Accept`), medians of 10 each after a first request that fills the server's
//!   per-object protobuf cache (`list_5000_configmaps_protobuf_cold_ms`), with `list_5000_configmaps_protobuf_vs_json`
//!   the ratios (time and size); the client reads the whole body and decodes nothing;
//! - `create_cpu_us` / `put_cpu_us` / `txn_cpu_us`: CPU microseconds per create / raw put / raw transaction, split into the API server, etcd
//!   and this client (steadier than rates on a shared 2-core machine; they show where a create's cost goes);
//! - `create_per_s_aggregated` / `get_p50_ms_aggregated` / `get_p99_ms_aggregated`: the same creates and GETs in
//!   the production topology, through a garden kube-apiserver stand-in (`--api-profile kube`) that authorizes
//!   each request and proxies it to the aggregated garden-apiserver, which authorizes it again by
//!   SubjectAccessReview (cached); `create_aggregated_vs_direct` compares with `create_per_s` of this run;
//! - `apply_cpu_us`: the same split per server-side apply (`kubectl apply --server-side`'s request) of a ConfigMap
//!   with ten data keys, each apply changing one value, 32 ConfigMaps applied concurrently.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::{stream, StreamExt, TryStreamExt};
use garden_e2e::TestGarden;
use http_body_util::BodyExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use serde_json::{json, Value};

const CONCURRENCY: usize = 32;
const SHOOTS: usize = 5_000;
const CREATE_SAMPLE: usize = 1_500;
/// Baseline and API creates alternate in rounds (medians), so a noisy moment on the VM hits both.
const ROUNDS: usize = 3;
const WATCHERS: usize = 500;
/// Server-side applies measured (spread over `CONCURRENCY` ConfigMaps).
const APPLY_SAMPLE: usize = 3_200;

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

/// What the baseline writes: a plain put, or the create-if-absent transaction every API create needs.
#[derive(Clone, Copy)]
enum Raw {
    Put,
    CreateTxn,
}

/// Raw etcd writes of `bytes` to fresh keys at concurrency 32; returns writes per second.
async fn etcd_baseline(endpoint: &str, bytes: Vec<u8>, what: Raw, round: usize) -> Result<f64> {
    use etcd_client::{Compare, CompareOp, Txn, TxnOp};
    let client = etcd_client::Client::connect([endpoint], None).await?;
    let bytes = Arc::new(bytes);
    let start = Instant::now();
    stream::iter(0..CREATE_SAMPLE)
        .map(|i| {
            let mut kv = client.kv_client();
            let bytes = bytes.as_ref().clone();
            async move {
                match what {
                    Raw::Put => kv.put(format!("/bench-raw/put/{round}/{i:06}"), bytes, None).await.map(drop),
                    Raw::CreateTxn => {
                        let key = format!("/bench-raw/txn/{round}/{i:06}");
                        let txn = Txn::new()
                            .when(vec![Compare::create_revision(key.as_str(), CompareOp::Equal, 0)])
                            .and_then(vec![TxnOp::put(key.as_str(), bytes, None)]);
                        kv.txn(txn).await.map(drop)
                    }
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(CREATE_SAMPLE as f64 / start.elapsed().as_secs_f64())
}

/// Creates shoots `from..to` through the API at concurrency 32. Like the etcd baseline, the bodies are encoded
/// before the clock starts and the load generator does not decode what it gets back (it reads the whole response
/// and checks for 201): the figure is the server's, not kube-rs' JSON handling on the same two cores.
async fn create_range(client: &kube::Client, from: usize, to: usize) -> Result<Duration> {
    let bodies: Vec<(usize, Vec<u8>)> =
        (from..to).map(|i| Ok((i, serde_json::to_vec(&shoot(&format!("s{i:05}")))?))).collect::<Result<_>>()?;
    let start = Instant::now();
    stream::iter(bodies)
        .map(|(i, body)| async move {
            let request = http::Request::post("/apis/core.gardener.cloud/v1beta1/namespaces/garden-bench/shoots")
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(kube::client::Body::from(body))?;
            let response = client.send(request).await.with_context(|| format!("create s{i:05}"))?;
            let status = response.status();
            let text = response.into_body().collect().await.with_context(|| format!("read s{i:05}"))?.to_bytes();
            anyhow::ensure!(status == 201, "create s{i:05}: {status}: {}", String::from_utf8_lossy(&text));
            Ok(())
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(start.elapsed())
}

/// A ConfigMap of ten keys as an apply configuration, `value` in one of them.
fn applied_config_map(name: &str, value: usize) -> Value {
    let mut data: serde_json::Map<String, Value> = (0..9)
        .map(|k| (format!("key-{k}"), json!(format!("a configuration value of some length, number {k}"))))
        .collect();
    data.insert("changing".into(), json!(value.to_string()));
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "garden-bench"}, "data": data})
}

/// `count` server-side applies by field manager `bench`, spread over `CONCURRENCY` ConfigMaps (one apply at a time
/// per ConfigMap, so none retries), each changing a value. Bodies are encoded before the clock starts.
async fn apply_range(client: &kube::Client, round: usize, count: usize) -> Result<Duration> {
    let bodies: Vec<(usize, Vec<Vec<u8>>)> = (0..CONCURRENCY)
        .map(|c| {
            let name = format!("apply-{c:02}");
            let n = count / CONCURRENCY;
            let docs = (0..n).map(|i| serde_json::to_vec(&applied_config_map(&name, round * n + i)));
            Ok((c, docs.collect::<serde_json::Result<Vec<_>>>()?))
        })
        .collect::<Result<_>>()?;
    let start = Instant::now();
    stream::iter(bodies)
        .map(|(c, docs)| async move {
            for body in docs {
                let request = http::Request::patch(format!(
                    "/api/v1/namespaces/garden-bench/configmaps/apply-{c:02}?fieldManager=bench"
                ))
                .header(http::header::CONTENT_TYPE, "application/apply-patch+yaml")
                .body(kube::client::Body::from(body))?;
                let response = client.send(request).await.with_context(|| format!("apply apply-{c:02}"))?;
                let status = response.status();
                let text = response.into_body().collect().await.context("read apply response")?.to_bytes();
                anyhow::ensure!(
                    status == 200 || status == 201,
                    "apply apply-{c:02}: {status}: {}",
                    String::from_utf8_lossy(&text)
                );
            }
            Ok(())
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(start.elapsed())
}

/// CPU seconds (user + system, all threads) `pid` has used so far (`/proc/<pid>/stat`, 100 Hz ticks).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the whole line.
    let rest: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| rest.get(i).and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU used by the API server, etcd and this client between two points, summed over the rounds.
#[derive(Default)]
struct CpuSplit {
    server: f64,
    etcd: f64,
    client: f64,
}

impl CpuSplit {
    fn snapshot(pids: &[u32; 3]) -> [f64; 3] {
        pids.map(cpu_seconds)
    }
    fn add(&mut self, before: [f64; 3], after: [f64; 3]) {
        self.server += after[0] - before[0];
        self.etcd += after[1] - before[1];
        self.client += after[2] - before[2];
    }
    /// Microseconds per operation, by process.
    fn per_op_us(&self, ops: usize) -> Value {
        let us = |s: f64| round(s * 1e6 / ops as f64);
        json!({"server": us(self.server), "etcd": us(self.etcd), "client": us(self.client)})
    }
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

const CONFIGMAPS: usize = 5_000;

/// GET `path` with `accept`, reading the whole body: (milliseconds, body).
async fn timed_get(client: &kube::Client, path: &str, accept: &str) -> Result<(f64, Vec<u8>)> {
    let request = http::Request::get(path).header(http::header::ACCEPT, accept).body(Vec::new())?;
    let t = Instant::now();
    let response = client.send(request.map(Into::into)).await?;
    anyhow::ensure!(response.status() == 200, "GET {path}: {}", response.status());
    let body = response.into_body().collect().await?.to_bytes();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok((ms, body.to_vec()))
}

/// 5,000 ConfigMaps listed as JSON and as protobuf: medians, sizes and ratios.
async fn configmap_lists(garden: &TestGarden, client: &kube::Client) -> Result<Value> {
    use prost::Message;
    let ns = "bench-configmaps";
    garden.kubectl_ok(&["create", "namespace", ns]);
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    stream::iter(0..CONFIGMAPS)
        .map(|i| {
            let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i:05}"), "labels": {"app": "bench", "index": i.to_string()}},
                "data": {"config.yaml": format!("replicas: {i}\nimage: nginx:1.27\nport: 8080\n"), "mode": "fast"}});
            let request = http::Request::post(path.as_str())
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&body).unwrap_or_default());
            async move {
                let response = client.send(request?.map(Into::into)).await?;
                anyhow::ensure!(response.status() == 201, "create cm-{i:05}: {}", response.status());
                Ok(())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    let protobuf = "application/vnd.kubernetes.protobuf,application/json";
    let (cold, body) = timed_get(client, &path, protobuf).await?;
    let list = body.strip_prefix(b"k8s\0").context("protobuf list without the k8s\\0 prefix")?;
    let envelope = k8s_pb::apimachinery::pkg::runtime::Unknown::decode(list)?;
    let items = k8s_pb::api::core::v1::ConfigMapList::decode(envelope.raw.unwrap_or_default().as_slice())?.items;
    anyhow::ensure!(items.len() == CONFIGMAPS, "protobuf list returned {} configmaps", items.len());
    let (mut json_ms, mut proto_ms, mut json_bytes, mut proto_bytes) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..10 {
        let (ms, body) = timed_get(client, &path, "application/json").await?;
        json_ms.push(ms);
        json_bytes = body.len();
        let (ms, body) = timed_get(client, &path, protobuf).await?;
        proto_ms.push(ms);
        proto_bytes = body.len();
    }
    let (json_ms, proto_ms) = (percentile(&sorted(json_ms), 0.5), percentile(&sorted(proto_ms), 0.5));
    Ok(json!({
        "list_5000_configmaps_json_ms": round(json_ms),
        "list_5000_configmaps_protobuf_ms": round(proto_ms),
        "list_5000_configmaps_protobuf_cold_ms": round(cold),
        "list_5000_configmaps_json_bytes": json_bytes,
        "list_5000_configmaps_protobuf_bytes": proto_bytes,
        "list_5000_configmaps_protobuf_vs_json": {
            "ms": round(proto_ms / json_ms),
            "bytes": round(proto_bytes as f64 / json_bytes as f64),
        },
    }))
}

/// The cloud profile, namespace, project and credentials the shoots need.
fn setup(garden: &TestGarden) -> Result<()> {
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
    Ok(())
}

fn shoots_api(client: kube::Client) -> Api<DynamicObject> {
    let ar = shoot_resource();
    Api::<DynamicObject>::namespaced_with(client, "garden-bench", &ar)
}

fn shoot_resource() -> ApiResource {
    ApiResource {
        group: "core.gardener.cloud".into(),
        version: "v1beta1".into(),
        api_version: "core.gardener.cloud/v1beta1".into(),
        kind: "Shoot".into(),
        plural: "shoots".into(),
    }
}

/// p50 and p99 of 1,000 sequential GETs of one shoot, in ms.
async fn get_latencies(api: &Api<DynamicObject>) -> Result<(f64, f64)> {
    let mut gets = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        api.get("s00042").await?;
        gets.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let gets = sorted(gets);
    Ok((percentile(&gets, 0.5), percentile(&gets, 0.99)))
}

/// Creates and GETs in the production topology: kubectl's path through the garden kube-apiserver stand-in and its
/// aggregator to the aggregated garden-apiserver.
async fn aggregated_figures() -> Result<(f64, f64, f64)> {
    let mut garden = TestGarden::start_with(garden_e2e::GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "kube".into()],
        ..Default::default()
    })?;
    garden.register_aggregated_apiserver()?;
    garden.start_aggregated_apiserver()?;
    let jsonpath = r#"jsonpath={.status.conditions[?(@.type=="Available")].status}"#;
    anyhow::ensure!(
        garden_e2e::eventually(Duration::from_secs(30), || {
            garden.kubectl(&["get", "apiservice", "v1beta1.core.gardener.cloud", "-o", jsonpath]).stdout == b"True"
        }),
        "the core.gardener.cloud APIService did not become available"
    );
    setup(&garden)?;
    let client = garden.client().await?;
    let mut rates = Vec::new();
    for round in 0..ROUNDS {
        let took = create_range(&client, round * CREATE_SAMPLE, (round + 1) * CREATE_SAMPLE).await?;
        rates.push(CREATE_SAMPLE as f64 / took.as_secs_f64());
    }
    let (p50, p99) = get_latencies(&shoots_api(client)).await?;
    Ok((percentile(&sorted(rates), 0.5), p50, p99))
}

#[tokio::main]
async fn main() -> Result<()> {
    let garden = TestGarden::start()?;
    setup(&garden)?;

    let ar = shoot_resource();
    let api = shoots_api(garden.client().await?);

    // Baselines and the same bytes through the API, alternating in rounds.
    let client = garden.client().await?;
    let bytes = serde_json::to_vec(&shoot("s00000"))?;
    let (mut put_rates, mut txn_rates, mut create_rates) = (Vec::new(), Vec::new(), Vec::new());
    let pids =
        [garden.apiserver_pid().context("apiserver pid")?, garden.etcd_pid().context("etcd pid")?, std::process::id()];
    let (mut put_cpu, mut txn_cpu, mut create_cpu) = (CpuSplit::default(), CpuSplit::default(), CpuSplit::default());
    for round in 0..ROUNDS {
        let t0 = CpuSplit::snapshot(&pids);
        put_rates.push(etcd_baseline(&garden.etcd_endpoint(), bytes.clone(), Raw::Put, round).await?);
        let t1 = CpuSplit::snapshot(&pids);
        txn_rates.push(etcd_baseline(&garden.etcd_endpoint(), bytes.clone(), Raw::CreateTxn, round).await?);
        let t2 = CpuSplit::snapshot(&pids);
        let took = create_range(&client, round * CREATE_SAMPLE, (round + 1) * CREATE_SAMPLE).await?;
        create_rates.push(CREATE_SAMPLE as f64 / took.as_secs_f64());
        put_cpu.add(t0, t1);
        txn_cpu.add(t1, t2);
        create_cpu.add(t2, CpuSplit::snapshot(&pids));
    }
    let etcd_put_per_s = percentile(&sorted(put_rates), 0.5);
    let etcd_txn_per_s = percentile(&sorted(txn_rates), 0.5);
    let create_per_s = percentile(&sorted(create_rates), 0.5);
    create_range(&client, ROUNDS * CREATE_SAMPLE, SHOOTS).await?;

    // Server-side applies: the first round creates the ConfigMaps and is not counted.
    apply_range(&client, 0, CONCURRENCY).await?;
    let mut apply_cpu = CpuSplit::default();
    for round in 1..=ROUNDS {
        let t0 = CpuSplit::snapshot(&pids);
        apply_range(&client, round, APPLY_SAMPLE / ROUNDS).await?;
        apply_cpu.add(t0, CpuSplit::snapshot(&pids));
    }
    let applies = ROUNDS * (APPLY_SAMPLE / ROUNDS / CONCURRENCY) * CONCURRENCY;

    let (get_p50, get_p99) = get_latencies(&api).await?;

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
    let configmaps = configmap_lists(&garden, &client).await?;

    let mut result = json!({
        "create_per_s": round(create_per_s),
        "etcd_put_per_s": round(etcd_put_per_s),
        "create_vs_etcd": round(create_per_s / etcd_put_per_s),
        "etcd_txn_per_s": round(etcd_txn_per_s),
        "create_vs_etcd_txn": round(create_per_s / etcd_txn_per_s),
        "etcd_txn_vs_put": round(etcd_txn_per_s / etcd_put_per_s),
        "get_p50_ms": round(get_p50),
        "get_p99_ms": round(get_p99),
        "list_5000_p50_ms": round(percentile(&lists, 0.5)),
        "watch_fanout_500_p99_ms": round(percentile(&fanout, 0.99)),
        "rss_mib_5000_shoots": round(rss),
        "create_cpu_us": create_cpu.per_op_us(ROUNDS * CREATE_SAMPLE),
        "put_cpu_us": put_cpu.per_op_us(ROUNDS * CREATE_SAMPLE),
        "txn_cpu_us": txn_cpu.per_op_us(ROUNDS * CREATE_SAMPLE),
        "apply_cpu_us": apply_cpu.per_op_us(applies),
    });
    if let (Some(all), Value::Object(lists)) = (result.as_object_mut(), configmaps) {
        all.extend(lists);
    }
    // The standalone garden stops first: the two never share the machine's cores.
    drop(garden);
    let (create_aggregated, get_p50_aggregated, get_p99_aggregated) = aggregated_figures().await?;
    result["create_per_s_aggregated"] = json!(round(create_aggregated));
    result["create_aggregated_vs_direct"] = json!(round(create_aggregated / create_per_s));
    result["get_p50_ms_aggregated"] = json!(round(get_p50_aggregated));
    result["get_p99_ms_aggregated"] = json!(round(get_p99_aggregated));
    println!("{result}");
    Ok(())
}
