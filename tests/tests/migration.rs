//! Control plane migration between two local seeds: changing `spec.seedName` runs Migrate on the source (final
//! snapshot, state saved, control plane removed) and Restore on the target (from the same backup entry), then
//! Reconcile. The shoot keeps its data and its CA; the source keeps nothing of the shoot. Both gardenlets are
//! killed while the migration runs and it still converges. When the source seed is lost instead, a forced
//! restore brings the shoot back on the other seed from its backups.

use std::path::PathBuf;
use std::time::Duration;

use garden_e2e::shoot::{self, no_process_runs, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, GardenOptions, TestGarden};

const NAME: &str = "mover";
const TECHNICAL_ID: &str = "shoot--dev--mover";
const FAST_DELTAS: &str = "etcdBackup:\n  deltaSnapshotPeriodSeconds: 1";

const SHOOT: &str = r#"
apiVersion: core.gardener.cloud/v1beta1
kind: Shoot
metadata:
  name: mover
  namespace: garden-dev
spec:
  cloudProfile: {kind: CloudProfile, name: local}
  region: local
  seedName: local
  provider: {type: local}
  kubernetes: {version: "1.33"}
"#;

fn op(garden: &TestGarden) -> String {
    shoot::last_operation(garden, "garden-dev", NAME)
}

/// A garden with seeds `local` and `local-2` (fast delta snapshots), both with a backup bucket, and the shoot
/// created on `local`.
struct Seeds {
    garden: TestGarden,
    config_a: String,
    state_a: PathBuf,
    config_b: String,
    plane_a: PathBuf,
    plane_b: PathBuf,
}

fn two_seeds_with_the_shoot() -> Seeds {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let (config_a, state_a) = garden.seed_config("local", FAST_DELTAS);
    let (config_b, state_b) = garden.seed_config("local-2", FAST_DELTAS);
    garden.start_gardenlet("local", &config_a).unwrap();
    garden.start_gardenlet("local-2", &config_b).unwrap();
    garden.apply_dev_project().unwrap();
    assert_eventually!(Duration::from_secs(30), || String::from_utf8_lossy(
        &garden.kubectl(&["get", "backupbuckets", "-o", "name"]).stdout
    )
    .lines()
    .count()
        == 2);
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], SHOOT);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eventually!(Duration::from_secs(90), || op(&garden) == "Create Succeeded 100", "{}", op(&garden));
    let (plane_a, plane_b) = (state_a.join(TECHNICAL_ID), state_b.join(TECHNICAL_ID));
    Seeds { garden, config_a, state_a, config_b, plane_a, plane_b }
}

#[test]
fn migration_between_local_seeds_keeps_the_data_and_survives_gardenlet_crashes() {
    let Seeds { mut garden, config_a, config_b, plane_a, plane_b, .. } = two_seeds_with_the_shoot();
    let _cleanup = (KillPlaneOnDrop(plane_a.clone()), KillPlaneOnDrop(plane_b.clone()));
    let ca_before = garden.kubectl_ok(&["-n", TECHNICAL_ID, "get", "secret", "ca", "-o", "jsonpath={.data.ca\\.crt}"]);
    let admin = shoot::admin_kubeconfig(&garden, "garden-dev", NAME, "mover-admin.kubeconfig");
    garden.kubectl_as_ok(&admin, &["create", "configmap", "keep-me", "--from-literal=a=b"]);

    // Move it; kill the source's gardenlet while it migrates, and the target's while it restores.
    shoot::merge_patch(&garden, "garden-dev", NAME, r#"{"spec":{"seedName":"local-2"}}"#);
    assert_eventually!(Duration::from_secs(30), || op(&garden).starts_with("Migrate"), "{}", op(&garden));
    garden.kill_gardenlet("local");
    garden.start_gardenlet("local", &config_a).unwrap();
    assert_eventually!(
        Duration::from_secs(120),
        || op(&garden).starts_with("Restore") || op(&garden).starts_with("Reconcile"),
        "{}; source log:\n{}",
        op(&garden),
        garden.log_tail("gardenlet-local", 30)
    );
    garden.kill_gardenlet("local-2");
    garden.start_gardenlet("local-2", &config_b).unwrap();
    assert_eventually!(
        Duration::from_secs(120),
        || op(&garden) == "Reconcile Succeeded 100"
            && shoot::field(&garden, "garden-dev", NAME, "{.status.seedName}") == "local-2",
        "{} on {}; target log:\n{}",
        op(&garden),
        shoot::field(&garden, "garden-dev", NAME, "{.status.seedName}"),
        garden.log_tail("gardenlet-local-2", 30)
    );

    // The data moved, and so did the CA: the old admin kubeconfig's CA still verifies the new API server.
    let ca_after = garden.kubectl_ok(&["-n", TECHNICAL_ID, "get", "secret", "ca", "-o", "jsonpath={.data.ca\\.crt}"]);
    assert_eq!(ca_before, ca_after, "the cluster CA changed during the migration");
    let admin = shoot::admin_kubeconfig(&garden, "garden-dev", NAME, "mover-admin-2.kubeconfig");
    assert_eq!(garden.kubectl_as_ok(&admin, &["get", "configmap", "keep-me", "-o", "jsonpath={.data.a}"]), "b");
    // The source holds nothing of the shoot; the ShootState is gone; the entry belongs to the target.
    assert!(no_process_runs(&plane_a), "processes of the shoot still run on the source seed");
    assert!(!plane_a.exists(), "the source seed still has the shoot's directory");
    assert!(!garden.kubectl(&["-n", "garden-dev", "get", "shootstate", NAME]).status.success());
    let entry = format!("{TECHNICAL_ID}--{}", shoot::field(&garden, "garden-dev", NAME, "{.metadata.uid}"));
    assert_eq!(
        garden.kubectl_ok(&["-n", "garden-dev", "get", "backupentry", &entry, "-o", "jsonpath={.spec.seedName}"]),
        "local-2"
    );
}

/// Highest end revision of the delta snapshots (`Incr-<start>-<end>-<unix>`) anywhere under `dir`.
fn latest_delta_revision(dir: &std::path::Path) -> i64 {
    let mut best = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(rest) = e.file_name().to_string_lossy().strip_prefix("Incr-") {
                let end = rest.split('-').nth(1).and_then(|r| r.parse::<i64>().ok()).unwrap_or(0);
                best = best.max(end);
            }
        }
    }
    best
}

/// The "bad case": the shoot's seed is lost (gardenlet and control plane gone, no Migrate possible). Moving the
/// shoot with `shoot.gardener.cloud/force-restore: "true"` restores it on the new seed from the last delta
/// snapshot; when the old seed's gardenlet comes back, it destroys the control plane it left behind.
#[test]
fn force_restore_brings_a_shoot_back_when_its_seed_is_lost() {
    let Seeds { mut garden, config_a, state_a, plane_a, plane_b, .. } = two_seeds_with_the_shoot();
    let _cleanup = (KillPlaneOnDrop(plane_a.clone()), KillPlaneOnDrop(plane_b.clone()));
    let admin = shoot::admin_kubeconfig(&garden, "garden-dev", NAME, "stranded-admin.kubeconfig");
    garden.kubectl_as_ok(&admin, &["create", "configmap", "keep-me", "--from-literal=a=b"]);
    let written: i64 = garden
        .kubectl_as_ok(&admin, &["get", "configmap", "keep-me", "-o", "jsonpath={.metadata.resourceVersion}"])
        .parse()
        .unwrap();
    assert_eventually!(
        Duration::from_secs(30),
        || latest_delta_revision(&state_a.join("backups")) >= written,
        "no delta snapshot holds revision {written} yet"
    );

    // The seed is lost: its gardenlet and the shoot's control plane die; nothing migrates the shoot out.
    garden.kill_gardenlet("local");
    drop(KillPlaneOnDrop(plane_a.clone()));
    assert_eventually!(Duration::from_secs(10), || no_process_runs(&plane_a));
    shoot::merge_patch(
        &garden,
        "garden-dev",
        NAME,
        r#"{"metadata":{"annotations":{"shoot.gardener.cloud/force-restore":"true"}},"spec":{"seedName":"local-2"}}"#,
    );
    assert_eventually!(
        Duration::from_secs(120),
        || op(&garden) == "Reconcile Succeeded 100"
            && shoot::field(&garden, "garden-dev", NAME, "{.status.seedName}") == "local-2",
        "{} on {}; target log:\n{}",
        op(&garden),
        shoot::field(&garden, "garden-dev", NAME, "{.status.seedName}"),
        garden.log_tail("gardenlet-local-2", 30)
    );
    let admin = shoot::admin_kubeconfig(&garden, "garden-dev", NAME, "stranded-admin-2.kubeconfig");
    assert_eq!(garden.kubectl_as_ok(&admin, &["get", "configmap", "keep-me", "-o", "jsonpath={.data.a}"]), "b");
    assert_eq!(
        shoot::field(&garden, "garden-dev", NAME, r#"{.metadata.annotations.shoot\.gardener\.cloud/force-restore}"#),
        "",
        "the annotation is removed once the shoot is restored"
    );

    // The old seed comes back: it destroys what it left behind and leaves the restored shoot alone.
    assert!(plane_a.exists(), "the lost seed's directory is still there before its gardenlet returns");
    garden.start_gardenlet("local", &config_a).unwrap();
    assert_eventually!(
        Duration::from_secs(60),
        || !plane_a.exists() && no_process_runs(&plane_a),
        "source log:\n{}",
        garden.log_tail("gardenlet-local", 30)
    );
    assert_eq!(garden.kubectl_as_ok(&admin, &["get", "configmap", "keep-me", "-o", "jsonpath={.data.a}"]), "b");
    assert!(!no_process_runs(&plane_b), "the restored control plane runs on the new seed");
}
