//! A workerless shoot on the local seed: the gardenlet brings up a real etcd and a shoot API server, reports
//! `Create Succeeded (100%)`, the garden hands out short-lived admin/viewer kubeconfigs signed by the shoot's
//! client CA, the shoot API works with kubectl, and deletion removes everything.

use std::path::{Path, PathBuf};
use std::time::Duration;

use garden_e2e::shoot::{self, request_kubeconfig};
use garden_e2e::{assert_eventually, GardenOptions, TestGarden};
use serde_json::Value;

/// A kubeconfig for the shoot whose client certificate (signed by the shoot's `ca-client`, read from the seed
/// namespace) expires after `seconds`; cluster address and CA are taken from a working admin kubeconfig.
fn expiring_kubeconfig(garden: &TestGarden, seed_namespace: &str, admin: &Path, seconds: i64) -> PathBuf {
    let dir = garden.dir().join("expiring-ca");
    std::fs::create_dir_all(&dir).unwrap();
    for (key, file) in [("ca\\.crt", "ca.crt"), ("ca\\.key", "ca.key")] {
        let b64 = garden.kubectl_ok(&[
            "-n",
            seed_namespace,
            "get",
            "secret",
            "ca-client",
            "-o",
            &format!("jsonpath={{.data.{key}}}"),
        ]);
        let out =
            std::process::Command::new("sh").arg("-c").arg(format!("printf %s '{b64}' | base64 -d")).output().unwrap();
        std::fs::write(dir.join(file), out.stdout).unwrap();
    }
    let admin_kc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(admin).unwrap()).unwrap();
    let server = admin_kc["clusters"][0]["cluster"]["server"].as_str().unwrap().to_string();
    let out = std::process::Command::new(garden.bin_dir().join("garden-apiserver"))
        .args(["kubeconfig", "--cert-dir"])
        .arg(&dir)
        .args([
            "--server",
            &server,
            "--user",
            "short-lived",
            "--group",
            "system:masters",
            "--expiration-seconds",
            &seconds.to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut kc: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
    kc["clusters"][0]["cluster"]["certificate-authority-data"] =
        admin_kc["clusters"][0]["cluster"]["certificate-authority-data"].clone();
    let path = garden.dir().join("expiring.kubeconfig");
    std::fs::write(&path, serde_yaml::to_string(&kc).unwrap()).unwrap();
    path
}

#[test]
fn workerless_shoot_gets_a_working_control_plane_and_is_deleted_cleanly() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    let viewer_project = r#"{"apiVersion":"core.gardener.cloud/v1beta1","kind":"Project","metadata":{"name":"dev"},"spec":{"namespace":"garden-dev","owner":{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"garden-admin"},"members":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"garden-admin","role":"admin","roles":["owner"]},{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"vic","role":"viewer"}]}}"#;
    assert!(garden.kubectl_stdin(&["apply", "-f", "-"], viewer_project).status.success());
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "namespace", "garden-dev"])
        .status
        .success());

    let name = "local-workerless";
    shoot::create_workerless(&garden, name);
    let shoot: Value =
        serde_json::from_str(&garden.kubectl_ok(&["-n", "garden-dev", "get", "shoot", name, "-o", "json"])).unwrap();
    assert_eq!(shoot["status"]["technicalID"], "shoot--dev--local-workerless");
    assert_eq!(shoot["metadata"]["labels"]["shoot.gardener.cloud/status"], "healthy");
    let table = garden.kubectl_ok(&["-n", "garden-dev", "get", "shoot", name]);
    assert!(table.contains("Create Succeeded (100%)"), "{table}");

    // The admin kubeconfig reaches the shoot's own API server (backed by the shoot's own etcd).
    let admin_path = shoot::admin_kubeconfig(&garden, "garden-dev", name, "shoot-admin.kubeconfig");
    let nss = garden.kubectl_as_ok(&admin_path, &["get", "namespaces", "-o", "name"]);
    assert!(nss.contains("namespace/kube-node-lease"), "{nss}");
    assert!(!nss.contains("garden-dev"), "the shoot API is not the garden: {nss}");
    garden.kubectl_as_ok(&admin_path, &["create", "configmap", "hello", "--from-literal=a=b"]);
    assert_eq!(garden.kubectl_as_ok(&admin_path, &["get", "configmap", "hello", "-o", "jsonpath={.data.a}"]), "b");

    // The viewer gets a viewer kubeconfig (read-only in the shoot) but not an admin one.
    let vic = garden.user_kubeconfig("vic", &[]);
    let err = request_kubeconfig(&garden, &vic, ("garden-dev", name), "adminkubeconfig", 600).unwrap_err();
    assert!(err.contains("forbidden") || err.contains("Forbidden"), "{err}");
    let viewer =
        request_kubeconfig(&garden, &vic, ("garden-dev", name), "viewerkubeconfig", 600).expect("viewer kubeconfig");
    let viewer_path = garden.dir().join("shoot-viewer.kubeconfig");
    std::fs::write(&viewer_path, viewer).unwrap();
    garden.kubectl_as_ok(&viewer_path, &["get", "configmaps"]);
    assert!(!garden.kubectl_as(&viewer_path, &["create", "configmap", "nope", "--from-literal=a=b"]).status.success());
    // Client certificates expire: one signed by the shoot's client CA for 3 seconds works, then is refused.
    let expiring = expiring_kubeconfig(&garden, "shoot--dev--local-workerless", &admin_path, 3);
    garden.kubectl_as_ok(&expiring, &["get", "namespaces"]);
    std::thread::sleep(Duration::from_secs(4));
    let refused = garden.kubectl_as(&expiring, &["get", "namespaces"]);
    assert!(!refused.status.success(), "an expired client certificate must be refused");
    // Out-of-range expirations are refused.
    assert!(request_kubeconfig(&garden, &garden.kubeconfig(), ("garden-dev", name), "adminkubeconfig", 5).is_err());

    // Deletion: confirmation, then nothing is left.
    garden.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", name, "confirmation.gardener.cloud/deletion=true"]);
    garden.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", name, "--wait=false"]);
    assert_eventually!(Duration::from_secs(60), || !garden
        .kubectl(&["-n", "garden-dev", "get", "shoot", name])
        .status
        .success());
    assert!(!garden.kubectl(&["get", "namespace", "shoot--dev--local-workerless"]).status.success());
    assert!(!state_dir.join("shoot--dev--local-workerless").exists(), "control plane directory removed");
    assert!(!garden.kubectl_as(&admin_path, &["get", "namespaces"]).status.success(), "the shoot API server is gone");
}
