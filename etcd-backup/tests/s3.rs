//! Integration test against a real S3 API (moto, started here): a multipart full snapshot, deltas, a restore.
//! Fails (does not skip) when moto is missing: hack/test.sh installs it.

mod support;

use std::time::Duration;

use etcd_backup::delta::DeltaRecorder;
use etcd_backup::full::{take_full_snapshot, FullSnapshotOptions};
use etcd_backup::layout;
use etcd_backup::restore::{self, Outcome};
use etcd_backup::store::{Provider, StoreConfig};
use support::{delete, dump, put, restore_options, Moto, TestEtcd};

const PREFIX: &str = "shoot--dev--s3/etcd-main";

#[tokio::test(flavor = "multi_thread")]
async fn s3_full_and_delta_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let moto = Moto::start(tmp.path());
    moto.create_bucket("etcd-backups");

    // Credentials the Gardener way: a directory of secret files.
    let secrets = tmp.path().join("secret");
    std::fs::create_dir(&secrets).unwrap();
    std::fs::write(secrets.join("accessKeyID"), "testing").unwrap();
    std::fs::write(secrets.join("secretAccessKey"), "testing").unwrap();
    std::fs::write(secrets.join("region"), "eu-central-1").unwrap();
    let yaml = format!(
        "provider: S3\ncontainer: etcd-backups\nprefix: {PREFIX}\nendpoint: {}\ncredentialsDir: {}\n",
        moto.endpoint(),
        secrets.display()
    );
    std::fs::write(tmp.path().join("store.yaml"), yaml).unwrap();
    let config = StoreConfig::from_file(&tmp.path().join("store.yaml")).unwrap();
    assert_eq!(config.provider, Provider::S3);
    let store = config.open().unwrap();

    let etcd = TestEtcd::start(&tmp.path().join("etcd"), "main").await;
    let mut c = etcd.client().await;
    // ~12 MiB: the full snapshot needs more than one 8 MiB part (moto enforces S3's 5 MiB minimum part size).
    let value = "v".repeat(100 * 1024);
    for i in 0..120 {
        put(&mut c, &format!("/big/{i:04}"), &value).await;
    }
    let full = take_full_snapshot(&mut c, store.as_ref(), PREFIX, &FullSnapshotOptions::default()).await.unwrap();
    assert!(full.bytes > 12 << 20, "{full:?}");

    let mut recorder = DeltaRecorder::start(&c, full.snapshot.end_revision + 1).await.unwrap();
    let mut deltas = 0;
    for round in 0..3 {
        let mut last = 0;
        for i in 0..10 {
            last = put(&mut c, &format!("/delta/{round}/{i}"), &format!("{round}-{i}")).await;
        }
        last = last.max(delete(&mut c, &format!("/big/{round:04}")).await);
        tokio::time::timeout(Duration::from_secs(20), async {
            while recorder.last_revision() < last {
                recorder.recv().await.unwrap();
            }
        })
        .await
        .unwrap();
        recorder.flush(store.as_ref(), PREFIX).await.unwrap().unwrap();
        deltas += 1;
    }
    let (expected, source_revision) = dump(&mut c).await;
    let chain = layout::latest_chain(&layout::list(store.as_ref(), PREFIX).await.unwrap()).unwrap();
    assert_eq!(chain.full, full.snapshot);
    assert_eq!(chain.deltas.len(), deltas);

    let data_dir = tmp.path().join("restored");
    let outcome = restore::prepare_data_dir(&restore_options(&data_dir, "main"), store.as_ref(), PREFIX).await.unwrap();
    let Outcome::Restored { report, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!(report.revision, source_revision);
    let restored = TestEtcd::start(&data_dir, "main").await;
    let (actual, revision) = dump(&mut restored.client().await).await;
    assert_eq!(actual.len(), expected.len());
    assert!(actual == expected, "restored keys differ");
    assert_eq!(revision, source_revision);
}

/// A seed's backup bucket that does not exist yet is created (in its region) by `ensure_container`; calling it
/// again is a no-op, and the new bucket takes objects.
#[tokio::test(flavor = "multi_thread")]
async fn missing_s3_bucket_is_created_once() {
    let tmp = tempfile::tempdir().unwrap();
    let moto = Moto::start(tmp.path());
    let yaml = |bucket: &str, region: &str| {
        format!(
            "provider: S3\ncontainer: {bucket}\nregion: {region}\nendpoint: {}\ncredentials:\n  accessKeyID: testing\n  secretAccessKey: testing\n",
            moto.endpoint()
        )
    };
    for (bucket, region) in [("made-in-frankfurt", "eu-central-1"), ("made-in-virginia", "us-east-1")] {
        let config: StoreConfig = serde_yaml::from_str(&yaml(bucket, region)).unwrap();
        assert!(config.open().unwrap().list_with_delimiter(None).await.is_err(), "{bucket} must not exist yet");
        config.ensure_container().await.unwrap();
        config.ensure_container().await.unwrap();
        let store = config.open().unwrap();
        store.put(&object_store::path::Path::from("hello"), "world".into()).await.unwrap();
        let listed = store.list_with_delimiter(None).await.unwrap();
        assert_eq!(listed.objects.len(), 1, "{bucket}: {listed:?}");
    }
}
