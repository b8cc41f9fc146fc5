//! Integration tests: a real etcd, a local-directory store, real restores through etcdctl and a temporary etcd.

mod support;

use std::sync::Arc;
use std::time::Duration;

use etcd_backup::delta::DeltaRecorder;
use etcd_backup::full::{take_full_snapshot, FullSnapshotOptions, Uploaded};
use etcd_backup::gc::{self, GcPolicy};
use etcd_backup::layout::{self, Snapshot};
use etcd_backup::restore::{self, Outcome, Verdict};
use etcd_backup::store::StoreConfig;
use etcd_backup::Error;
use etcd_client::{Txn, TxnOp};
use object_store::ObjectStore;
use support::{delete, dump, put, restore_options, TestEtcd};

const PREFIX: &str = "shoot--dev--test/etcd-main";

fn local_store(root: &std::path::Path) -> Arc<dyn ObjectStore> {
    StoreConfig::local(root, PREFIX).open().unwrap()
}

/// Waits until the recorder has seen `revision`, then flushes one delta object.
async fn flush_through(recorder: &mut DeltaRecorder, store: &dyn ObjectStore, revision: i64) -> Uploaded {
    tokio::time::timeout(Duration::from_secs(20), async {
        while recorder.last_revision() < revision {
            recorder.recv().await.unwrap();
        }
    })
    .await
    .expect("watch delivers the events");
    recorder.flush(store, PREFIX).await.unwrap().expect("a delta was written")
}

#[tokio::test(flavor = "multi_thread")]
async fn full_plus_deltas_restore_every_key_into_a_fresh_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let store = local_store(&tmp.path().join("store"));
    let source = TestEtcd::start(&tmp.path().join("source"), "source").await;
    let mut c = source.client().await;

    put(&mut c, "/before", "v0").await;
    put(&mut c, "/overwritten", "old").await;
    put(&mut c, "/deleted-later", "x").await;
    let full = take_full_snapshot(&mut c, store.as_ref(), PREFIX, &FullSnapshotOptions::default()).await.unwrap();
    assert!(full.name.starts_with("Full-00000000-"), "{}", full.name);

    let mut recorder = DeltaRecorder::start(&c, full.snapshot.end_revision + 1).await.unwrap();
    // Delta 1: new keys and an overwrite.
    for i in 0..10 {
        put(&mut c, &format!("/k{i}"), &format!("v{i}")).await;
    }
    let rev = put(&mut c, "/overwritten", "new1").await;
    let d1 = flush_through(&mut recorder, store.as_ref(), rev).await;
    // Delta 2: a delete, an overwrite, and one revision writing two keys.
    delete(&mut c, "/deleted-later").await;
    put(&mut c, "/k5", "v5b").await;
    let txn = Txn::new().and_then([TxnOp::put("/multi/a", "1", None), TxnOp::put("/multi/b", "2", None)]);
    let rev = c.txn(txn).await.unwrap().header().unwrap().revision();
    let d2 = flush_through(&mut recorder, store.as_ref(), rev).await;
    // Delta 3: one revision deleting two keys (a range), then a put.
    c.delete("/k1", Some(etcd_client::DeleteOptions::new().with_prefix())).await.unwrap(); // /k1 only
    c.delete("/multi/", Some(etcd_client::DeleteOptions::new().with_prefix())).await.unwrap();
    let rev = put(&mut c, "/after", "last").await;
    let d3 = flush_through(&mut recorder, store.as_ref(), rev).await;
    assert_eq!(d2.snapshot.start_revision, d1.snapshot.end_revision + 1);
    assert_eq!(d3.snapshot.start_revision, d2.snapshot.end_revision + 1);

    let (expected, source_revision) = dump(&mut c).await;
    assert_eq!(expected.get("/overwritten").map(String::as_str), Some("new1"));
    assert!(!expected.contains_key("/deleted-later") && !expected.contains_key("/multi/a"));

    let list = layout::list(store.as_ref(), PREFIX).await.unwrap();
    let chain = layout::latest_chain(&list).unwrap();
    assert_eq!(chain.full, full.snapshot);
    assert_eq!(chain.deltas, vec![d1.snapshot, d2.snapshot, d3.snapshot.clone()]);

    let data_dir = tmp.path().join("restored");
    let outcome =
        restore::prepare_data_dir(&restore_options(&data_dir, "restored"), store.as_ref(), PREFIX).await.unwrap();
    let Outcome::Restored { verdict: Verdict::Missing, report } = outcome else { panic!("{outcome:?}") };
    assert_eq!(report.deltas, 3);
    assert!(report.revision >= d3.snapshot.end_revision, "{report:?}");
    assert!(!tmp.path().join("restored.restoring").exists(), "staging directory left behind");

    let restored = TestEtcd::start(&data_dir, "restored").await;
    let (actual, restored_revision) = dump(&mut restored.client().await).await;
    assert_eq!(actual, expected);
    assert!(restored_revision >= d3.snapshot.end_revision);
    assert_eq!(restored_revision, source_revision, "every revision replayed exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_full_snapshot_is_detected_and_the_restore_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = local_store(&root);
    let source = TestEtcd::start(&tmp.path().join("source"), "source").await;
    let mut c = source.client().await;
    put(&mut c, "/a", "1").await;
    let full = take_full_snapshot(&mut c, store.as_ref(), PREFIX, &FullSnapshotOptions::default()).await.unwrap();

    let file = root.join(PREFIX).join("v2").join(&full.name);
    let mut bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len() as u64, full.bytes);
    bytes[4096] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();

    let data_dir = tmp.path().join("restored");
    let err =
        restore::prepare_data_dir(&restore_options(&data_dir, "restored"), store.as_ref(), PREFIX).await.unwrap_err();
    assert_eq!(err.to_string(), format!("snapshot {} is corrupt: sha256 mismatch", full.name));
    assert!(matches!(err, Error::CorruptSnapshot { .. }));
    assert!(!data_dir.exists() && !tmp.path().join("restored.restoring").exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".db"))
        .collect();
    assert!(leftovers.is_empty(), "downloaded snapshot left behind: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_data_dir_is_detected_and_replaced_by_a_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let store = local_store(&tmp.path().join("store"));
    let data_dir = tmp.path().join("member-data");
    let mut etcd = TestEtcd::start(&data_dir, "main").await;
    let mut c = etcd.client().await;
    put(&mut c, "/old", "1").await;
    etcd.stop();
    let stale_copy = tmp.path().join("stale");
    let copied = std::process::Command::new("cp").arg("-a").arg(&data_dir).arg(&stale_copy).status().unwrap();
    assert!(copied.success());

    // The backups move on.
    let etcd = TestEtcd::start(&data_dir, "main").await;
    let mut c = etcd.client().await;
    put(&mut c, "/new", "2").await;
    let full = take_full_snapshot(&mut c, store.as_ref(), PREFIX, &FullSnapshotOptions::default()).await.unwrap();
    let mut recorder = DeltaRecorder::start(&c, full.snapshot.end_revision + 1).await.unwrap();
    let rev = put(&mut c, "/newer", "3").await;
    let delta = flush_through(&mut recorder, store.as_ref(), rev).await;
    let (expected, _) = dump(&mut c).await;
    drop(etcd);

    let opts = restore_options(&stale_copy, "main");
    let chain = layout::latest_chain(&layout::list(store.as_ref(), PREFIX).await.unwrap()).unwrap();
    let verdict = restore::validate(&opts, Some(&chain)).await.unwrap();
    let Verdict::Stale { data_revision, backup_revision } = verdict else { panic!("{verdict:?}") };
    assert_eq!(backup_revision, delta.snapshot.end_revision);
    assert!(data_revision < backup_revision);

    let outcome = restore::prepare_data_dir(&opts, store.as_ref(), PREFIX).await.unwrap();
    let Outcome::Restored { verdict: Verdict::Stale { .. }, report } = outcome else { panic!("{outcome:?}") };
    let aside = report.moved_aside.expect("the stale directory was moved aside");
    assert!(aside.file_name().unwrap().to_string_lossy().starts_with("stale.invalid-"), "{}", aside.display());
    assert!(aside.join("member/snap/db").is_file());

    let restored = TestEtcd::start(&stale_copy, "main").await;
    let (actual, revision) = dump(&mut restored.client().await).await;
    assert_eq!(actual, expected);
    assert!(revision >= backup_revision);
    // Now it is valid.
    drop(restored);
    assert!(matches!(restore::validate(&opts, Some(&chain)).await.unwrap(), Verdict::Valid { .. }));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_data_dir_without_backups_is_a_fresh_start() {
    let tmp = tempfile::tempdir().unwrap();
    let store = local_store(&tmp.path().join("store"));
    let data_dir = tmp.path().join("data");
    let outcome = restore::prepare_data_dir(&restore_options(&data_dir, "m"), store.as_ref(), PREFIX).await.unwrap();
    assert_eq!(outcome, Outcome::FreshStart);
    assert!(!data_dir.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_data_dir_without_backups_refuses_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let store = local_store(&tmp.path().join("store"));
    let data_dir = tmp.path().join("data");
    let mut etcd = TestEtcd::start(&data_dir, "m").await;
    put(&mut etcd.client().await, "/a", "1").await;
    etcd.stop();
    std::fs::write(data_dir.join("member/snap/db"), vec![0x5a; 64 * 1024]).unwrap();

    let opts = restore_options(&data_dir, "m");
    let verdict = restore::validate(&opts, None).await.unwrap();
    assert!(matches!(verdict, Verdict::Corrupt { .. }), "{verdict:?}");
    let err = restore::prepare_data_dir(&opts, store.as_ref(), PREFIX).await.unwrap_err();
    assert!(matches!(err, Error::CorruptWithoutBackup { .. }), "{err}");
    assert!(err.to_string().starts_with("refusing to start"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn gc_deletes_exactly_what_the_plan_says() {
    let tmp = tempfile::tempdir().unwrap();
    let store = local_store(&tmp.path().join("store"));
    let now = 1_710_513_000; // 2024-03-15T14:30:00Z
    let policies = [("limit", GcPolicy::LimitBased { max_backups: 3 }, 3), ("exponential", GcPolicy::Exponential, 9)];
    for (name, policy, fulls_left) in policies {
        // A full snapshot a day for 10 days, each followed by a delta.
        let prefix = format!("{PREFIX}/{name}");
        for day in (0..10).rev() {
            let created = now - day * 86_400 - 600;
            let rev = 1000 - day * 10;
            for s in [Snapshot::full(rev, created), Snapshot::delta(rev + 1, rev + 5, created + 60)] {
                store.put(&s.path(&prefix), vec![0u8; 40].into()).await.unwrap();
            }
        }
        let foreign = object_store::path::Path::from(format!("{prefix}/v2/notes.txt"));
        store.put(&foreign, b"keep me".to_vec().into()).await.unwrap();

        let before = layout::list(store.as_ref(), &prefix).await.unwrap();
        assert_eq!(before.len(), 20);
        let planned = gc::plan(policy, &before, now);
        let report = gc::collect_garbage(store.as_ref(), &prefix, policy, now).await.unwrap();
        assert_eq!(report.failed, 0);
        assert_eq!(report.deleted, planned.iter().map(Snapshot::name).collect::<Vec<_>>());
        let after = layout::list(store.as_ref(), &prefix).await.unwrap();
        let expected: Vec<_> = before.iter().filter(|s| !planned.contains(s)).cloned().collect();
        assert_eq!(after, expected, "{policy:?}");
        let fulls = after.iter().filter(|s| s.kind == layout::Kind::Full).count();
        assert_eq!(fulls, fulls_left, "{policy:?}: {after:?}");
        // The latest chain survives whole; older deltas are gone.
        let chain = layout::latest_chain(&after).unwrap();
        assert_eq!(chain.full, Snapshot::full(1000, now - 600));
        assert_eq!(chain.deltas.len(), 1);
        assert_eq!(after.len(), fulls + 1, "{policy:?}: {after:?}");
        assert!(store.head(&foreign).await.is_ok(), "foreign objects are never deleted");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gap_or_a_corrupt_delta_in_the_chain_fails_the_restore_naming_the_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = local_store(&root);
    let source = TestEtcd::start(&tmp.path().join("source"), "source").await;
    let mut c = source.client().await;
    put(&mut c, "/a", "1").await;
    let full = take_full_snapshot(&mut c, store.as_ref(), PREFIX, &FullSnapshotOptions::default()).await.unwrap();
    let mut recorder = DeltaRecorder::start(&c, full.snapshot.end_revision + 1).await.unwrap();
    let rev = put(&mut c, "/b", "2").await;
    let good = flush_through(&mut recorder, store.as_ref(), rev).await;

    // A delta whose first revision is not the next one: revisions are missing in between.
    let r = good.snapshot.end_revision;
    let orphan = etcd_backup::delta::DeltaEvent {
        event_type: etcd_backup::delta::EventType::Put,
        key: b"/c".to_vec(),
        value: b"3".to_vec(),
        mod_revision: r + 5,
        create_revision: r + 5,
        version: 1,
        lease: 0,
    };
    let gap = etcd_backup::delta::upload_delta(store.as_ref(), PREFIX, &[orphan]).await.unwrap();
    let opts = restore_options(&tmp.path().join("restored"), "restored");
    let err = restore::prepare_data_dir(&opts, store.as_ref(), PREFIX).await.unwrap_err().to_string();
    assert!(err.contains(&gap.name), "{err}");
    assert!(err.contains(&format!("revisions {}..{} are missing", r + 1, r + 4)), "{err}");
    store.delete(&gap.snapshot.path(PREFIX)).await.unwrap();

    // A flipped byte in a delta.
    let file = root.join(PREFIX).join("v2").join(&good.name);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[2] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    let err = restore::prepare_data_dir(&opts, store.as_ref(), PREFIX).await.unwrap_err().to_string();
    assert_eq!(err, format!("snapshot {} is corrupt: sha256 mismatch", good.name));
    assert!(!opts.data_dir.exists() && !tmp.path().join("restored.restoring").exists());
}
