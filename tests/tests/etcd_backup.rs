//! etcd backups of a shoot on the local seed: the seed backs up into its embedded default store (a local
//! directory), the shoot gets a BackupEntry, deltas follow writes, and a control plane whose etcd lost its data
//! directory comes back from the backups with every key. The entry of a living shoot cannot be deleted; deleting
//! the shoot deletes its entry and snapshots.

use std::path::{Path, PathBuf};
use std::time::Duration;

use garden_e2e::shoot::{self, alive, pid_of, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, GardenOptions, TestGarden};

const NAME: &str = "local-workerless";
const TECHNICAL_ID: &str = "shoot--dev--local-workerless";

/// `(kind, end revision)` of the snapshots in a local store directory `<...>/v2`.
fn snapshots(dir: &Path) -> Vec<(String, i64)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| {
            let mut parts = n.split('-');
            let kind = parts.next()?.to_string();
            let _start = parts.next()?;
            let end: i64 = parts.next()?.parse().ok()?;
            Some((kind, end))
        })
        .collect()
}

fn read(garden: &TestGarden, admin: &Path, name: &str) -> Option<String> {
    let out = garden.kubectl_as(admin, &["get", "configmap", name, "-o", "jsonpath={.data.a}"]);
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn lost_etcd_data_is_restored_from_full_and_delta_snapshots() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let (config, state_dir) = garden.seed_config("local", "etcdBackup:\n  deltaSnapshotPeriodSeconds: 1");
    garden.start_gardenlet("local", &config).unwrap();
    garden.apply_dev_project().unwrap();
    // The embedded default: a local directory store in the seed's state directory.
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "seed", "local", "-o", "jsonpath={.spec.backup.provider}"])
        .stdout
        == b"local");
    let bucket = garden.kubectl_ok(&["get", "seed", "local", "-o", "jsonpath={.metadata.uid}"]);
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "backupbucket", &bucket, "-o", "jsonpath={.status.lastOperation.state}"])
        .stdout
        == b"Succeeded");

    shoot::create_workerless(&garden, NAME);
    let plane = state_dir.join(TECHNICAL_ID);
    let _cleanup = KillPlaneOnDrop(plane.clone());
    let uid = shoot::field(&garden, "garden-dev", NAME, "{.metadata.uid}");
    let entry = format!("{TECHNICAL_ID}--{uid}");
    assert_eq!(
        garden.kubectl_ok(&["-n", "garden-dev", "get", "backupentry", &entry, "-o", "jsonpath={.spec.bucketName}"]),
        bucket
    );
    let store: PathBuf = state_dir.join("backups").join(&bucket).join(&entry).join("etcd-main/v2");
    assert_eventually!(Duration::from_secs(30), || snapshots(&store).iter().any(|(k, _)| k == "Full"));

    // One key in the first full snapshot's range is not guaranteed; write after it so deltas carry the keys.
    let admin = shoot::admin_kubeconfig(&garden, "garden-dev", NAME, "shoot-admin.kubeconfig");
    garden.kubectl_as_ok(&admin, &["create", "configmap", "keep-me", "--from-literal=a=b"]);
    garden.kubectl_as_ok(&admin, &["create", "configmap", "changed", "--from-literal=a=old"]);
    garden.kubectl_as_ok(&admin, &["create", "configmap", "gone", "--from-literal=a=x"]);
    garden.kubectl_as_ok(&admin, &["patch", "configmap", "changed", "-p", r#"{"data":{"a":"new"}}"#]);
    garden.kubectl_as_ok(&admin, &["delete", "configmap", "gone"]);
    // The list's resourceVersion is etcd's revision now, which covers the delete (the last write).
    let list: serde_json::Value =
        serde_json::from_str(&garden.kubectl_as_ok(&admin, &["get", "--raw", "/api/v1/namespaces/default/configmaps"]))
            .unwrap();
    let rv: i64 = list["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();
    assert_eventually!(
        Duration::from_secs(30),
        || snapshots(&store).iter().any(|(k, end)| k == "Incr" && *end >= rv),
        "no delta snapshot reaches revision {rv}: {:?}",
        snapshots(&store)
    );

    // The entry of a living shoot is the shoot's: deleting it is refused and its snapshots stay.
    let before = snapshots(&store);
    let out = garden.kubectl(&["-n", "garden-dev", "delete", "backupentry", &entry, "--wait=false"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("Forbidden"), "delete of a living shoot's entry: {stderr}");
    assert!(stderr.contains("holds the etcd backups of shoot garden-dev/local-workerless"), "{stderr}");
    let deleting = garden.kubectl_ok(&[
        "-n",
        "garden-dev",
        "get",
        "backupentry",
        &entry,
        "-o",
        "jsonpath={.metadata.deletionTimestamp}",
    ]);
    assert!(deleting.is_empty(), "the entry got a deletionTimestamp: {deleting}");
    assert!(
        before.iter().all(|s| snapshots(&store).contains(s)),
        "snapshots went: {before:?} -> {:?}",
        snapshots(&store)
    );

    // Lose etcd's data: kill it and delete its data directory. The supervisor restores before restarting it.
    let etcd_pid = pid_of(&plane, "etcd").expect("etcd.pid");
    let _ = std::process::Command::new("kill").args(["-9", &etcd_pid.to_string()]).status();
    assert_eventually!(Duration::from_secs(10), || !alive(etcd_pid));
    std::fs::remove_dir_all(plane.join("etcd")).unwrap();
    assert_eventually!(
        Duration::from_secs(90),
        || read(&garden, &admin, "keep-me").as_deref() == Some("b"),
        "keep-me is not back; gardenlet log:\n{}",
        garden.log_tail("gardenlet-local", 30)
    );
    assert_ne!(pid_of(&plane, "etcd"), Some(etcd_pid));
    assert!(plane.join("etcd/member/snap/db").exists(), "etcd data directory restored");
    assert_eq!(read(&garden, &admin, "changed").as_deref(), Some("new"));
    assert_eq!(read(&garden, &admin, "gone"), None, "a deleted key stays deleted");
    // The restored revision is not behind the backups: a new write gets a newer resourceVersion.
    garden.kubectl_as_ok(&admin, &["create", "configmap", "after", "--from-literal=a=1"]);
    let after: i64 = garden
        .kubectl_as_ok(&admin, &["get", "configmap", "after", "-o", "jsonpath={.metadata.resourceVersion}"])
        .parse()
        .unwrap();
    assert!(after > rv, "revision went backwards: {after} <= {rv}");

    // The backup state reaches the shoot's conditions and the entry's status.
    assert_eventually!(
        Duration::from_secs(90),
        || shoot::field(&garden, "garden-dev", NAME, "{.status.conditions[?(@.type==\"BackupReady\")].status}")
            == "True",
        "conditions: {}",
        shoot::field(&garden, "garden-dev", NAME, "{.status.conditions}")
    );
    assert_eventually!(Duration::from_secs(60), || garden
        .kubectl(&["-n", "garden-dev", "get", "backupentry", &entry, "-o", "jsonpath={.status.lastOperation.state}"])
        .stdout
        == b"Succeeded");

    // Deleting the shoot deletes its entry and, with no grace period, its snapshots.
    garden.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", NAME, "confirmation.gardener.cloud/deletion=true"]);
    garden.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", NAME, "--wait=false"]);
    assert_eventually!(Duration::from_secs(90), || !garden
        .kubectl(&["-n", "garden-dev", "get", "backupentry", &entry])
        .status
        .success());
    assert!(snapshots(&store).is_empty(), "snapshots left: {:?}", snapshots(&store));
    assert!(!plane.exists(), "control plane directory removed");
}
