//! Integration test of the long-running snapshotter and its HTTP endpoint against a real etcd and a local store:
//! deltas on a period, the final full snapshot on request, resuming after a restart, compaction, restore.

mod support;

use std::sync::Arc;
use std::time::Duration;

use etcd_backup::layout::{self, Kind};
use etcd_backup::restore::{self, Outcome};
use etcd_backup::server::{self, ServerState};
use etcd_backup::snapshotter::{Snapshotter, SnapshotterConfig, SnapshotterHandle};
use etcd_backup::store::StoreConfig;
use object_store::ObjectStore;
use support::{dump, eventually, http_async, put, restore_options, TestEtcd};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const PREFIX: &str = "etcd-main";

struct Running {
    handle: SnapshotterHandle,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }

    async fn wait_for_delta(&self, revision: i64) {
        let h = self.handle.clone();
        eventually("a delta snapshot", Duration::from_secs(20), || {
            let status = h.status();
            async move { status.last_delta.filter(|d| d.revision >= revision).map(|_| ()) }
        })
        .await
    }
}

async fn start(etcd: &TestEtcd, store: &Arc<dyn ObjectStore>) -> Running {
    let config = SnapshotterConfig {
        delta_period: Duration::from_millis(200),
        gc_period: Duration::ZERO,
        ..SnapshotterConfig::default()
    };
    let (snapshotter, handle) = Snapshotter::new(etcd.client().await, store.clone(), PREFIX, config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(snapshotter.run(async move {
        let _ = stopped.await;
    }));
    Running { handle, stop, task }
}

async fn count_fulls(store: &dyn ObjectStore) -> usize {
    layout::list(store, PREFIX).await.unwrap().iter().filter(|s| s.kind == Kind::Full).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn sidecar_takes_deltas_a_final_full_on_request_and_resumes_after_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let store = StoreConfig::local(tmp.path().join("store"), PREFIX).open().unwrap();
    let etcd = TestEtcd::start(&tmp.path().join("etcd"), "main").await;
    let mut c = etcd.client().await;
    put(&mut c, "/early", "0").await;

    // First life: an initial full snapshot (the store is empty), then deltas.
    let running = start(&etcd, &store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = ServerState { snapshotter: running.handle.clone(), store: store.clone(), prefix: PREFIX.into() };
    tokio::spawn(server::serve(listener, state, std::future::pending()));

    let mut last = 0;
    for i in 0..20 {
        last = put(&mut c, &format!("/first/{i}"), &"x".repeat(i * 10)).await;
    }
    running.wait_for_delta(last).await;
    assert_eq!(count_fulls(store.as_ref()).await, 1);

    assert_eq!(http_async(port, "GET", "/healthz").await, (200, "ok".into()));
    let (code, body) = http_async(port, "POST", "/snapshot/full").await;
    assert_eq!(code, 200, "{body}");
    let full: serde_json::Value = serde_json::from_str(&body).unwrap();
    let name = full["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("Full-"), "{body}");
    assert!(full["revision"].as_i64().unwrap() >= last, "{body}");
    assert_eq!(count_fulls(store.as_ref()).await, 2);

    let (code, body) = http_async(port, "GET", "/snapshot/latest").await;
    assert_eq!(code, 200, "{body}");
    let latest: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(latest["full"]["name"], name.as_str());
    let (code, metrics) = http_async(port, "GET", "/metrics").await;
    assert_eq!(code, 200);
    let revision_line = format!("etcd_backup_last_full_snapshot_revision {}", full["revision"]);
    assert!(metrics.contains(&revision_line), "{metrics}");
    assert!(metrics.contains("etcd_backup_uploaded_bytes_total{kind=\"Incr\"}"), "{metrics}");
    assert_eq!(http_async(port, "GET", "/nope").await.0, 404);
    assert_eq!(http_async(port, "GET", "/snapshot/full").await.0, 405);

    for i in 0..5 {
        last = put(&mut c, &format!("/second/{i}"), "y").await;
    }
    running.wait_for_delta(last).await;
    let status = running.handle.status();
    assert_eq!(status.full_failures + status.delta_failures, 0, "{status:?}");
    running.stop().await;

    // Second life: resumes the chain (no new full snapshot), the next delta continues where the last ended.
    let chain_end = layout::latest_chain(&layout::list(store.as_ref(), PREFIX).await.unwrap()).unwrap().end_revision();
    for i in 0..3 {
        last = put(&mut c, &format!("/while-down/{i}"), "z").await;
    }
    let running = start(&etcd, &store).await;
    running.wait_for_delta(last).await;
    assert_eq!(count_fulls(store.as_ref()).await, 2);
    let chain = layout::latest_chain(&layout::list(store.as_ref(), PREFIX).await.unwrap()).unwrap();
    let resumed = chain.deltas.iter().find(|d| d.start_revision > chain_end).expect("a delta after the restart");
    assert_eq!(resumed.start_revision, chain_end + 1, "{chain:?}");
    running.stop().await;

    // Third life: the resume revision was compacted away while it was down: a new full snapshot instead.
    for i in 0..3 {
        last = put(&mut c, &format!("/compacted/{i}"), "w").await;
    }
    c.compact(last, None).await.unwrap();
    let running = start(&etcd, &store).await;
    let h = running.handle.clone();
    eventually("a full snapshot after compaction", Duration::from_secs(20), || {
        let status = h.status();
        async move { status.last_full.filter(|f| f.revision >= last).map(|_| ()) }
    })
    .await;
    assert_eq!(count_fulls(store.as_ref()).await, 3);
    last = put(&mut c, "/after-compaction", "v").await;
    running.wait_for_delta(last).await;
    running.stop().await;

    // Everything comes back.
    let (expected, _) = dump(&mut c).await;
    let data_dir = tmp.path().join("restored");
    let outcome = restore::prepare_data_dir(&restore_options(&data_dir, "main"), store.as_ref(), PREFIX).await.unwrap();
    assert!(matches!(outcome, Outcome::Restored { .. }), "{outcome:?}");
    let restored = TestEtcd::start(&data_dir, "main").await;
    assert_eq!(dump(&mut restored.client().await).await.0, expected);
}

/// The whole backup directory is deleted behind the snapshotter's back (an operator mistake): the status stops
/// naming the vanished full snapshot, a new one is taken at once, and a restore from what is stored brings every
/// key back.
#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_full_snapshot_is_noticed_and_replaced_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let store = StoreConfig::local(tmp.path().join("store"), PREFIX).open().unwrap();
    let etcd = TestEtcd::start(&tmp.path().join("etcd"), "main").await;
    let mut c = etcd.client().await;
    put(&mut c, "/before", "0").await;
    let running = start(&etcd, &store).await;
    let h = running.handle.clone();
    eventually("the first full snapshot", Duration::from_secs(20), || {
        let status = h.status();
        async move { status.last_full.map(|_| ()) }
    })
    .await;
    let first = h.status().last_full.unwrap();
    let last = put(&mut c, "/kept", "1").await;
    running.wait_for_delta(last).await;

    std::fs::remove_dir_all(tmp.path().join("store")).unwrap();
    eventually("a new full snapshot", Duration::from_secs(20), || {
        let status = h.status();
        let first = first.name.clone();
        async move { status.last_full.filter(|f| f.name != first && f.revision >= last).map(|_| ()) }
    })
    .await;
    assert_eq!(count_fulls(store.as_ref()).await, 1, "{:?}", layout::list(store.as_ref(), PREFIX).await);
    running.stop().await;

    let (expected, _) = dump(&mut c).await;
    let data_dir = tmp.path().join("restored");
    let outcome = restore::prepare_data_dir(&restore_options(&data_dir, "main"), store.as_ref(), PREFIX).await.unwrap();
    assert!(matches!(outcome, Outcome::Restored { .. }), "{outcome:?}");
    let restored = TestEtcd::start(&data_dir, "main").await;
    assert_eq!(dump(&mut restored.client().await).await.0, expected);
}
