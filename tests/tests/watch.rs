//! Watch: kubectl get -w sees create/update/delete; resume from an old resourceVersion replays what was missed,
//! or gets 410 Expired once etcd compacted it; kube-rs discovery and watcher work.

use std::io::BufReader;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use futures::StreamExt;
use garden_e2e::TestGarden;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use kube::runtime::watcher;
use serde_json::Value;

#[test]
fn kubectl_watch_sees_create_update_delete() {
    let garden = TestGarden::start().unwrap();
    let mut child = garden
        .kubectl_cmd(&["-n", "default", "get", "configmaps", "-w", "--output-watch-events", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for v in serde_json::Deserializer::from_reader(BufReader::new(stdout)).into_iter::<Value>().flatten() {
            if tx.send(v).is_err() {
                return;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    garden.kubectl_ok(&["-n", "default", "create", "configmap", "w1", "--from-literal=a=1"]);
    garden.kubectl_ok(&["-n", "default", "patch", "configmap", "w1", "--type=merge", "-p", r#"{"data":{"a":"2"}}"#]);
    garden.kubectl_ok(&["-n", "default", "delete", "configmap", "w1"]);
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline && seen.len() < 3 {
        if let Ok(ev) = rx.recv_timeout(Duration::from_millis(200)) {
            if ev["object"]["metadata"]["name"] == "w1" {
                seen.push((ev["type"].as_str().unwrap_or_default().to_string(), ev["object"]["data"]["a"].clone()));
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let kinds: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["ADDED", "MODIFIED", "DELETED"], "events: {seen:?}");
    assert_eq!(seen[1].1, "2");
}

#[test]
fn resume_replays_missed_events_and_expires_after_compaction() {
    let garden = TestGarden::start().unwrap();
    garden.kubectl_ok(&["-n", "default", "create", "configmap", "r0", "--from-literal=a=0"]);
    let rv: String =
        garden.kubectl_ok(&["-n", "default", "get", "configmap", "r0", "-o", "jsonpath={.metadata.resourceVersion}"]);
    for i in 1..=3 {
        garden.kubectl_ok(&["-n", "default", "create", "configmap", &format!("r{i}"), "--from-literal=a=1"]);
    }
    let replay = garden.kubectl_ok(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=2"),
    ]);
    let names: Vec<String> = replay
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "ADDED")
        .filter_map(|e| e["object"]["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names, ["r1", "r2", "r3"], "replayed: {replay}");

    // Compact etcd past rv: resuming from it now yields an ERROR event with a 410 Status.
    let head: String =
        garden.kubectl_ok(&["-n", "default", "get", "configmap", "r3", "-o", "jsonpath={.metadata.resourceVersion}"]);
    let out = std::process::Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["--endpoints", &garden.etcd_endpoint(), "compact", &head])
        .output()
        .unwrap();
    assert!(out.status.success(), "etcdctl compact: {}", String::from_utf8_lossy(&out.stderr));
    let expired = garden.kubectl_ok(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=2"),
    ]);
    let ev: Value = serde_json::from_str(expired.lines().next().unwrap_or_default()).unwrap_or(Value::Null);
    assert_eq!(ev["type"], "ERROR", "{expired}");
    assert_eq!(ev["object"]["code"], 410);
    assert_eq!(ev["object"]["reason"], "Expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn kube_rs_discovery_and_watcher_work() {
    let garden = TestGarden::start().unwrap();
    let client = garden.client().await.unwrap();
    let discovery = kube::Discovery::new(client.clone()).run().await.expect("discovery");
    let gardener =
        discovery.groups().find(|g| g.name() == "core.gardener.cloud").expect("core.gardener.cloud discovered");
    let (shoots, caps) = gardener.recommended_kind("Shoot").expect("Shoot kind");
    assert_eq!(shoots.plural, "shoots");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
    assert!(discovery.groups().any(|g| g.name() == "rbac.authorization.k8s.io"));
    // kube-rs' aggregated discovery (apidiscovery.k8s.io/v2) finds the same.
    let aggregated = kube::Discovery::new(client.clone()).run_aggregated().await.expect("aggregated discovery");
    let (ar, caps) = aggregated
        .groups()
        .find(|g| g.name() == "core.gardener.cloud")
        .and_then(|g| g.recommended_kind("Shoot"))
        .expect("Shoot through aggregated discovery");
    assert_eq!((ar.plural.as_str(), caps.scope.clone()), ("shoots", kube::discovery::Scope::Namespaced));
    assert!(caps.subresources.iter().any(|(sub, _)| sub.plural == "status"), "{:?}", caps.subresources);
    let core = aggregated.groups().find(|g| g.name().is_empty()).expect("core group");
    assert!(core.recommended_kind("ConfigMap").is_some());

    // A dynamic API works too.
    let dynamic: Api<kube::api::DynamicObject> = Api::namespaced_with(client.clone(), "default", &shoots);
    assert!(dynamic.list(&Default::default()).await.unwrap().items.is_empty());

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher(cms.clone(), watcher::Config::default()).boxed();
    let creator = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let cm: ConfigMap =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "kw"}, "data": {"x": "1"}})).unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    };
    let watching = async {
        while let Some(ev) = stream.next().await {
            if let Ok(watcher::Event::Apply(cm)) = ev {
                if cm.metadata.name.as_deref() == Some("kw") {
                    return true;
                }
            }
        }
        false
    };
    let (_, seen) = tokio::join!(creator, tokio::time::timeout(Duration::from_secs(20), watching));
    assert_eq!(seen, Ok(true), "the watcher saw the created ConfigMap");
}
