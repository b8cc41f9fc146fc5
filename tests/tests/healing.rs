//! Objects the system owns come back when someone (here: the garden admin) deletes them behind its back:
//! the seed's BackupBucket (gardenlet), a shoot's control-plane Secrets and seed namespace (gardenlet's shoot
//! controller, with the same CAs, so existing kubeconfigs keep working), a project's namespace and RoleBindings
//! (garden-controller-manager) and the API server's bootstrap RBAC (garden-apiserver; its system namespaces
//! cannot be deleted at all).

use std::time::Duration;

use garden_e2e::shoot::{self, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, GardenOptions, TestGarden};

const SHOOT: &str = "first";
const TECHNICAL_ID: &str = "shoot--dev--first";

fn exists(garden: &TestGarden, args: &[&str]) -> bool {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    garden.kubectl(&all).status.success()
}

fn secret_data(garden: &TestGarden, ns: &str, name: &str, key: &str) -> String {
    let out = garden.kubectl(&[
        "-n",
        ns,
        "get",
        "secret",
        name,
        "-o",
        &format!("jsonpath={{.data.{}}}", key.replace('.', "\\.")),
    ]);
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The shoot's API answers `kubeconfig`'s credentials.
fn shoot_api_answers(garden: &TestGarden, kubeconfig: &std::path::Path) -> bool {
    garden.kubectl_as(kubeconfig, &["get", "namespace", "default", "-o", "name"]).status.success()
}

#[test]
fn gardenlet_recreates_the_seeds_backup_bucket_and_lease_namespace() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    let _first = KillPlaneOnDrop(state_dir.join(TECHNICAL_ID));
    let _second = KillPlaneOnDrop(state_dir.join("shoot--dev--second"));
    shoot::create_workerless(&garden, SHOOT);

    // The seed's BackupBucket (named after the seed's uid) is deleted: it comes back, and a shoot created
    // afterwards gets its backup entry in it and becomes ready.
    let bucket = garden.kubectl_ok(&["get", "seed", "local", "-o", "jsonpath={.metadata.uid}"]);
    assert!(exists(&garden, &["backupbucket", &bucket]), "the local seed has a BackupBucket {bucket}");
    let old_uid = garden.kubectl_ok(&["get", "backupbucket", &bucket, "-o", "jsonpath={.metadata.uid}"]);
    garden.kubectl_ok(&["delete", "backupbucket", &bucket, "--wait=true"]);
    assert_eventually!(
        Duration::from_secs(30),
        || {
            let out = garden.kubectl(&["get", "backupbucket", &bucket, "-o", "jsonpath={.metadata.uid}"]);
            let uid = String::from_utf8_lossy(&out.stdout).to_string();
            out.status.success() && !uid.is_empty() && uid != old_uid
        },
        "the BackupBucket {bucket} was not created again"
    );
    assert_eventually!(Duration::from_secs(30), || garden.kubectl_ok(&[
        "get",
        "backupbucket",
        &bucket,
        "-o",
        "jsonpath={.status.lastOperation.state}"
    ]) == "Succeeded");
    shoot::create_workerless(&garden, "second");

    // The namespace of the gardenlet's heartbeat Lease comes back too, and the Lease is renewed in it again.
    garden.kubectl_ok(&["delete", "namespace", "gardener-system-seed-lease", "--wait=true"]);
    assert_eventually!(
        Duration::from_secs(30),
        || exists(&garden, &["-n", "gardener-system-seed-lease", "lease", "local"]),
        "the lease namespace or the Lease was not created again"
    );
}

#[test]
fn gardenlet_recreates_a_shoots_secrets_and_seed_namespace_with_the_same_cas() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    let _first = KillPlaneOnDrop(state_dir.join(TECHNICAL_ID));
    shoot::create_workerless(&garden, SHOOT);

    // Control-plane Secrets deleted: created again with the same CAs and service-account key (the runtime's
    // copy), so an admin kubeconfig issued before still works and a new one works too.
    let before = shoot::admin_kubeconfig(&garden, "garden-dev", SHOOT, "first-before.kubeconfig");
    assert!(shoot_api_answers(&garden, &before));
    let ca = secret_data(&garden, TECHNICAL_ID, "ca", "ca.crt");
    let client_ca = secret_data(&garden, TECHNICAL_ID, "ca-client", "ca.key");
    let sa_key = secret_data(&garden, TECHNICAL_ID, "service-account-key", "id_rsa");
    assert!(!ca.is_empty() && !client_ca.is_empty() && !sa_key.is_empty());
    let healthy_since = || {
        let path = "{.status.conditions[?(@.type==\"ControlPlaneHealthy\")].lastTransitionTime}";
        shoot::field(&garden, "garden-dev", SHOOT, path)
    };
    let since = healthy_since();
    assert!(!since.is_empty());
    // Condition times have second precision: a transition after this point is visible.
    std::thread::sleep(Duration::from_millis(1100));
    let deleted = ["ca", "ca-client", "kube-apiserver", "service-account-key"];
    let mut args = vec!["-n", TECHNICAL_ID, "delete", "secret"];
    args.extend(deleted);
    garden.kubectl_ok(&args);
    assert_eventually!(
        Duration::from_secs(60),
        || deleted.iter().all(|s| exists(&garden, &["-n", TECHNICAL_ID, "secret", s])),
        "secrets not created again: {}",
        garden.kubectl_ok(&["-n", TECHNICAL_ID, "get", "secrets", "-o", "name"])
    );
    assert_eq!(secret_data(&garden, TECHNICAL_ID, "ca", "ca.crt"), ca, "the cluster CA was kept");
    assert_eq!(secret_data(&garden, TECHNICAL_ID, "ca-client", "ca.key"), client_ca, "the client CA was kept");
    assert_eq!(secret_data(&garden, TECHNICAL_ID, "service-account-key", "id_rsa"), sa_key);
    assert!(shoot_api_answers(&garden, &before));
    // ControlPlaneHealthy went False (ObjectsMissing) and back to True meanwhile.
    assert_eventually!(Duration::from_secs(30), || {
        let now = healthy_since();
        !now.is_empty() && now > since
    });

    // The whole seed namespace deleted: it comes back with every Secret, the same CA, and the shoot is healthy.
    garden.kubectl_ok(&["delete", "namespace", TECHNICAL_ID]);
    assert_eventually!(
        Duration::from_secs(90),
        || garden
            .kubectl(&["get", "namespace", TECHNICAL_ID, "-o", "jsonpath={.metadata.deletionTimestamp}"])
            .stdout
            .is_empty()
            && exists(&garden, &["namespace", TECHNICAL_ID])
            && exists(&garden, &["-n", TECHNICAL_ID, "secret", "ca"])
            && exists(&garden, &["-n", TECHNICAL_ID, "secret", "service-account-key"]),
        "seed namespace not created again: {}",
        shoot::last_operation(&garden, "garden-dev", SHOOT)
    );
    assert_eq!(secret_data(&garden, TECHNICAL_ID, "ca", "ca.crt"), ca, "the cluster CA was kept");
    assert_eventually!(
        Duration::from_secs(60),
        || shoot::field(
            &garden,
            "garden-dev",
            SHOOT,
            "{.status.conditions[?(@.type==\"ControlPlaneHealthy\")].status}"
        ) == "True"
            && shoot::last_operation(&garden, "garden-dev", SHOOT).ends_with("Succeeded 100"),
        "shoot: {}",
        shoot::last_operation(&garden, "garden-dev", SHOOT)
    );
    assert!(shoot_api_answers(&garden, &before), "a kubeconfig issued before still works");
    let after = shoot::admin_kubeconfig(&garden, "garden-dev", SHOOT, "first-after.kubeconfig");
    assert!(shoot_api_answers(&garden, &after), "a kubeconfig issued after works");
}

/// The cluster CA lost for good (its Secret and the runtime's copy): a new one is generated, the running API
/// server is restarted with the certificates signed by it (new kubeconfigs work), and the unasked-for rotation is
/// reported in an Event and in `status.credentials.rotation` (issue 11, finding 2).
#[test]
fn a_lost_ca_is_regenerated_the_api_server_restarted_and_the_rotation_reported() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let (config, state_dir) = garden.local_seed_config();
    garden.start_gardenlet("local", &config).unwrap();
    garden.apply_dev_project().unwrap();
    let plane = state_dir.join(TECHNICAL_ID);
    let _first = KillPlaneOnDrop(plane.clone());
    shoot::create_workerless(&garden, SHOOT);
    let before = shoot::admin_kubeconfig(&garden, "garden-dev", SHOOT, "first-before.kubeconfig");
    assert!(shoot_api_answers(&garden, &before));
    let ca = secret_data(&garden, TECHNICAL_ID, "ca", "ca.crt");
    let pid = || std::fs::read_to_string(plane.join("apiserver.pid")).unwrap_or_default();
    let old_pid = pid();

    // With the gardenlet away, both copies of the CA go; the API server keeps running with the old certificates.
    garden.stop_gardenlet("local");
    std::fs::remove_dir_all(plane.join("pki")).unwrap();
    garden.kubectl_ok(&["-n", TECHNICAL_ID, "delete", "secret", "ca"]);
    garden.start_gardenlet("local", &config).unwrap();

    assert_eventually!(
        Duration::from_secs(60),
        || {
            let now = secret_data(&garden, TECHNICAL_ID, "ca", "ca.crt");
            !now.is_empty() && now != ca
        },
        "no new CA"
    );
    assert_eventually!(Duration::from_secs(60), || !pid().is_empty() && pid() != old_pid, "API server not restarted");
    let after = shoot::admin_kubeconfig(&garden, "garden-dev", SHOOT, "first-after.kubeconfig");
    assert_eventually!(
        Duration::from_secs(60),
        || shoot_api_answers(&garden, &after),
        "a kubeconfig issued after the new CA does not work: {}",
        String::from_utf8_lossy(&garden.kubectl_as(&after, &["get", "namespace", "default"]).stderr)
    );
    assert!(!shoot_api_answers(&garden, &before), "a kubeconfig of the lost CA still verifies");
    let rotation = "{.status.credentials.rotation.certificateAuthorities.phase}";
    assert_eventually!(Duration::from_secs(30), || shoot::field(&garden, "garden-dev", SHOOT, rotation) == "Completed");
    let events = garden.kubectl_ok(&["-n", "garden-dev", "get", "events", "-o", "jsonpath={.items[*].reason}"]);
    assert!(events.contains("CertificateAuthorityRegenerated"), "{events}");
    assert_eventually!(
        Duration::from_secs(60),
        || shoot::field(&garden, "garden-dev", SHOOT, "{.status.conditions[?(@.type==\"APIServerAvailable\")].status}")
            == "True",
        "shoot: {}",
        shoot::last_operation(&garden, "garden-dev", SHOOT)
    );
}

#[test]
fn controller_manager_recreates_a_projects_namespace_and_role_bindings() {
    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    garden.apply_dev_project().unwrap();
    let member = "gardener.cloud:system:project-member";
    assert_eventually!(Duration::from_secs(30), || exists(&garden, &["-n", "garden-dev", "rolebinding", member]));

    garden.kubectl_ok(&["-n", "garden-dev", "delete", "rolebinding", member]);
    assert_eventually!(
        Duration::from_secs(30),
        || exists(&garden, &["-n", "garden-dev", "rolebinding", member]),
        "RoleBinding {member} not created again"
    );

    garden.kubectl_ok(&["delete", "namespace", "garden-dev", "--wait=true"]);
    assert_eventually!(
        Duration::from_secs(60),
        || garden
            .kubectl(&["get", "namespace", "garden-dev", "-o", "jsonpath={.metadata.deletionTimestamp}"])
            .stdout
            .is_empty()
            && exists(&garden, &["namespace", "garden-dev"])
            && exists(&garden, &["-n", "garden-dev", "rolebinding", member]),
        "namespace garden-dev and its RoleBindings not created again"
    );
    assert_eventually!(Duration::from_secs(30), || garden.kubectl_ok(&[
        "get",
        "project",
        "dev",
        "-o",
        "jsonpath={.status.phase}"
    ]) == "Ready");
}

#[test]
fn apiserver_recreates_its_bootstrap_policy_and_system_namespaces() {
    let garden = TestGarden::start().unwrap();
    garden.kubectl_ok(&["delete", "clusterrole", "gardener.cloud:viewer"]);
    garden.kubectl_ok(&["delete", "clusterrolebinding", "system:discovery"]);
    // The system namespaces cannot be deleted at all (NamespaceLifecycle, as in kube).
    let refused = garden.kubectl(&["delete", "namespace", "kube-public"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("may not be deleted"), "{refused:?}");
    assert_eventually!(
        Duration::from_secs(30),
        || exists(&garden, &["clusterrole", "gardener.cloud:viewer"])
            && exists(&garden, &["clusterrolebinding", "system:discovery"]),
        "bootstrap objects not created again"
    );
    // The re-created role is the bootstrap one (its rules, its label).
    let rules = garden.kubectl_ok(&["get", "clusterrole", "gardener.cloud:viewer", "-o", "jsonpath={.rules}"]);
    assert!(rules.contains("core.gardener.cloud"), "{rules}");
}

/// A shoot deleted while its seed's BackupBucket object is gone: the entry keeps its finalizer until the bucket
/// is back and its snapshots are deleted, so nothing is left in the store (issue 11, finding 5).
#[test]
fn a_shoot_deleted_while_its_bucket_is_gone_leaves_no_snapshots() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let (config, state_dir) = garden.seed_config("local", "etcdBackup:\n  deltaSnapshotPeriodSeconds: 1");
    garden.start_gardenlet("local", &config).unwrap();
    garden.apply_dev_project().unwrap();
    let _first = KillPlaneOnDrop(state_dir.join(TECHNICAL_ID));
    let bucket = garden.kubectl_ok(&["get", "seed", "local", "-o", "jsonpath={.metadata.uid}"]);
    assert_eventually!(Duration::from_secs(30), || exists(&garden, &["backupbucket", &bucket]));
    shoot::create_workerless(&garden, SHOOT);
    let uid = shoot::field(&garden, "garden-dev", SHOOT, "{.metadata.uid}");
    let entry = format!("{TECHNICAL_ID}--{uid}");
    let store = state_dir.join("backups").join(&bucket).join(&entry);
    let files = |dir: &std::path::Path| walk(dir).len();
    assert_eventually!(Duration::from_secs(30), || files(&store) > 0, "no snapshot in {}", store.display());

    garden.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", SHOOT, "confirmation.gardener.cloud/deletion=true"]);
    garden.kubectl_ok(&["delete", "backupbucket", &bucket, "--wait=true"]);
    garden.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", SHOOT, "--wait=false"]);
    assert_eventually!(
        Duration::from_secs(90),
        || !exists(&garden, &["-n", "garden-dev", "backupentry", &entry]),
        "the entry is still there: {}",
        garden.kubectl_ok(&["-n", "garden-dev", "get", "backupentry", &entry, "-o", "jsonpath={.status}"])
    );
    assert_eq!(walk(&store), Vec::<std::path::PathBuf>::new(), "snapshots left behind");
    assert!(exists(&garden, &["backupbucket", &bucket]), "the bucket is back");
}

/// Every file below `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
