//! The production topology on one machine: garden-apiserver `--api-profile kube` stands in for the garden's
//! kube-apiserver (core API, APIServices, the aggregator), and garden-apiserver `--api-profile aggregated` serves
//! Gardener's groups behind it, authenticating through the front proxy / TokenReview and authorizing through
//! SubjectAccessReview. Real kubectl talks to the aggregator only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use garden_e2e::{assert_eventually, GardenOptions, TestGarden};

const PROJECT: &str = r#"
apiVersion: core.gardener.cloud/v1beta1
kind: Project
metadata:
  name: dev
spec:
  namespace: garden-dev
  owner: {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
  members:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice, role: admin}
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: victor, role: viewer}
"#;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The `Available` condition of an APIService as "status/reason".
fn available(garden: &TestGarden, name: &str) -> String {
    let out = garden.kubectl(&[
        "get",
        "apiservice",
        name,
        "-o",
        r#"jsonpath={.status.conditions[?(@.type=="Available")].status}/{.status.conditions[?(@.type=="Available")].reason}"#,
    ]);
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// PEM files of the client certificate and key in a kubeconfig written by `garden-apiserver kubeconfig`.
fn client_pem(kubeconfig: &Path) -> (PathBuf, PathBuf) {
    let kc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(kubeconfig).unwrap()).unwrap();
    let user = &kc["users"][0]["user"];
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = kubeconfig.with_extension("crt");
    let key = kubeconfig.with_extension("key");
    std::fs::write(&cert, b64.decode(user["client-certificate-data"].as_str().unwrap()).unwrap()).unwrap();
    std::fs::write(&key, b64.decode(user["client-key-data"].as_str().unwrap()).unwrap()).unwrap();
    (cert, key)
}

/// A client certificate for `user` signed by the CA in `ca_dir` (ca.crt + ca.key).
fn cert_from(garden: &TestGarden, ca_dir: &Path, user: &str) -> (PathBuf, PathBuf) {
    let out = Command::new(garden.bin_dir().join("garden-apiserver"))
        .args(["kubeconfig", "--server", "https://127.0.0.1", "--user", user, "--cert-dir"])
        .arg(ca_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let safe: String = user.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let path = garden.dir().join(format!("direct-{}-{safe}.kubeconfig", ca_dir.file_name().unwrap().to_string_lossy()));
    std::fs::write(&path, &out.stdout).unwrap();
    client_pem(&path)
}

/// GET `path` on the aggregated server directly (not through the aggregator) with an optional client certificate
/// and extra headers; returns the HTTP status code and the body.
fn direct(garden: &TestGarden, cert: Option<&(PathBuf, PathBuf)>, headers: &[&str], path: &str) -> (String, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sk", "--max-time", "10", "-w", "\n%{http_code}"]);
    if let Some((c, k)) = cert {
        cmd.arg("--cert").arg(c).arg("--key").arg(k);
    }
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(format!("{}{path}", garden.aggregated_url())).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.to_string(), body.to_string())
}

#[test]
fn gardener_api_through_the_aggregator() {
    let mut garden = TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "kube".into()],
        token_auth_csv: Some("bob-token,bob,uid-bob\n".into()),
        ..Default::default()
    })
    .unwrap();
    let core = "v1beta1.core.gardener.cloud";

    // Registered while nothing answers on its endpoint: not available, and requests for the group are a 503.
    garden.register_aggregated_apiserver().unwrap();
    assert_eventually!(Duration::from_secs(20), || available(&garden, core) == "False/FailedDiscoveryCheck");
    let out = garden.kubectl(&["get", "--raw", "/apis/core.gardener.cloud/v1beta1/shoots"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("ServiceUnavailable") || stderr(&out).contains("unable to handle"),
        "{}",
        stderr(&out)
    );
    // Discovery lists the group all the same, as kube-aggregator does.
    assert!(garden.kubectl_ok(&["get", "--raw", "/apis"]).contains("\"core.gardener.cloud\""));
    let table = garden.kubectl_ok(&["get", "apiservices"]);
    assert!(table.contains("False (FailedDiscoveryCheck)"), "{table}");

    // The server starts: the APIServices turn Available, discovery and explain work through the aggregator.
    garden.start_aggregated_apiserver().unwrap();
    for name in
        [core, "v1alpha1.security.gardener.cloud", "v1alpha1.extensions.gardener.cloud", "v1alpha1.machine.sapcloud.io"]
    {
        assert_eventually!(
            Duration::from_secs(20),
            || available(&garden, name) == "True/Passed",
            "{name} not available"
        );
    }
    let resources = garden.kubectl_ok(&["api-resources", "--api-group", "core.gardener.cloud"]);
    for kind in ["Shoot", "Project", "CloudProfile", "SecretBinding"] {
        assert!(resources.contains(kind), "{resources}");
    }
    let explain = garden.kubectl_ok(&["explain", "shoot.spec.hibernation"]);
    assert!(explain.contains("GROUP:      core.gardener.cloud") && explain.contains("hibernation"), "{explain}");
    // Clients of the Swagger 2.0 document see the aggregated groups too: /openapi/v2 is merged.
    let v2: serde_json::Value = serde_json::from_str(&garden.kubectl_ok(&["get", "--raw", "/openapi/v2"])).unwrap();
    assert!(v2["paths"]["/apis/core.gardener.cloud/v1beta1/namespaces/{namespace}/shoots"]["post"].is_object());
    assert!(v2["paths"]["/api/v1/namespaces"]["get"].is_object(), "and the stand-in's own API");
    let shoot = v2["definitions"]
        .as_object()
        .unwrap()
        .values()
        .find(|d| d["x-kubernetes-group-version-kind"][0]["kind"] == "Shoot")
        .expect("the Shoot definition");
    assert!(shoot["properties"]["spec"].is_object(), "{shoot}");
    let groups = garden.kubectl_ok(&["get", "--raw", "/apis"]);
    assert!(groups.contains("\"core.gardener.cloud\"") && groups.contains("\"rbac.authorization.k8s.io\""), "{groups}");
    let group = garden.kubectl_ok(&["get", "--raw", "/apis/core.gardener.cloud"]);
    assert!(group.contains("\"preferredVersion\":{\"groupVersion\":\"core.gardener.cloud/v1beta1\""), "{group}");

    // Tenants work through the aggregator: the project controller (its kubeconfig names the aggregator) creates
    // the namespace and RoleBindings in the garden kube-apiserver; RBAC there decides, as the caller.
    garden.start_controller_manager().unwrap();
    garden.kubectl_stdin_ok(&["apply", "-f", "-"], PROJECT);
    garden.kubectl_stdin_ok(
        &["apply", "-f", "-"],
        &std::fs::read_to_string(garden_e2e::repo_path("examples/cloudprofile-local.yaml")).unwrap(),
    );
    let alice = garden.user_kubeconfig("alice", &[]);
    let victor = garden.user_kubeconfig("victor", &[]);
    let mallory = garden.user_kubeconfig("mallory", &[]);
    let shoot = std::fs::read_to_string(garden_e2e::repo_path("examples/shoot-local-workerless.yaml")).unwrap();
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl_stdin_as(&alice, &["-n", "garden-dev", "apply", "-f", "-"], &shoot)
        .status
        .success());
    let created_by = garden.kubectl_as_ok(
        &alice,
        &[
            "-n",
            "garden-dev",
            "get",
            "shoot",
            "local-workerless",
            "-o",
            r#"jsonpath={.metadata.annotations.gardener\.cloud/created-by}"#,
        ],
    );
    assert_eq!(created_by, "alice", "the aggregated server saw the caller, not the proxy");
    assert!(garden.kubectl_as_ok(&victor, &["-n", "garden-dev", "get", "shoots"]).contains("local-workerless"));
    let denied = garden.kubectl_as(&victor, &["-n", "garden-dev", "delete", "shoot", "local-workerless"]);
    assert!(!denied.status.success() && stderr(&denied).contains("forbidden"), "{}", stderr(&denied));
    let denied = garden.kubectl_as(&mallory, &["-n", "garden-dev", "get", "shoots"]);
    assert!(!denied.status.success() && stderr(&denied).contains("forbidden"), "{}", stderr(&denied));
    // A bearer token of the garden kube-apiserver, through the aggregator and straight to the aggregated server
    // (TokenReview): the same user, forbidden alike.
    let bob = garden.token_kubeconfig("bob", "bob-token");
    let denied = garden.kubectl_as(&bob, &["-n", "garden-dev", "get", "shoots"]);
    assert!(stderr(&denied).contains("User \"bob\" cannot list"), "{}", stderr(&denied));
    let (code, body) = direct(
        &garden,
        None,
        &["Authorization: Bearer bob-token"],
        "/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots",
    );
    assert_eq!(code, "403", "{body}");
    assert!(body.contains("User \\\"bob\\\" cannot list"), "{body}");
    let (code, _) = direct(&garden, None, &["Authorization: Bearer wrong"], "/apis/core.gardener.cloud/v1beta1/shoots");
    assert_eq!(code, "401");

    // Straight to the aggregated server: X-Remote-* headers count only with the front proxy's certificate.
    let path = "/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots";
    let forged = ["X-Remote-User: alice", "X-Remote-Group: system:masters"];
    let proxy_ca = garden.cert_dir().join("front-proxy");
    let front_proxy = cert_from(&garden, &proxy_ca, "front-proxy-client");
    assert_eq!(direct(&garden, None, &forged, path).0, "401", "no certificate");
    let other_ca = cert_from(&garden, &garden.aggregated_cert_dir(), "front-proxy-client");
    assert_eq!(direct(&garden, Some(&other_ca), &forged, path).0, "401", "a certificate of another CA");
    let wrong_cn = cert_from(&garden, &proxy_ca, "not-the-proxy");
    assert_eq!(direct(&garden, Some(&wrong_cn), &forged, path).0, "401", "a CN that is not allowed");
    let (code, body) = direct(&garden, Some(&front_proxy), &forged, path);
    assert_eq!(code, "200", "{body}");
    assert!(body.contains("local-workerless"));
    // The proxy vouches for a user RBAC does not allow: the SubjectAccessReview says no.
    let (code, body) = direct(&garden, Some(&front_proxy), &["X-Remote-User: mallory"], path);
    assert_eq!(code, "403", "{body}");
    assert!(body.contains("User \\\"mallory\\\" cannot list"), "{body}");
    // A client certificate of the garden's client CA is a user of its own.
    let (code, _) = direct(&garden, Some(&client_pem(&alice)), &[], path);
    assert_eq!(code, "200");

    // Aggregated discovery with an ETag, revalidated for free.
    let accept = "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    let out = Command::new("curl")
        .args(["-sk", "-D", "-", "-o", "/dev/null", "-H", accept])
        .arg("--cert")
        .arg(&front_proxy.0)
        .arg("--key")
        .arg(&front_proxy.1)
        .args(["-H", "X-Remote-User: alice"])
        .arg(format!("{}/apis", garden.aggregated_url()))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_string();
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: ").or_else(|| l.strip_prefix("ETag: ")))
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(!etag.is_empty(), "{head}");
    let (code, _) = direct(
        &garden,
        Some(&front_proxy),
        &[accept, "X-Remote-User: alice", &format!("If-None-Match: {etag}")],
        "/apis",
    );
    assert_eq!(code, "304");

    // Deleting a namespace deletes what the aggregated server keeps in it, as kube's namespace controller does.
    garden.kubectl_ok(&["create", "namespace", "scratch"]);
    garden.kubectl_stdin_ok(
        &["-n", "scratch", "apply", "-f", "-"],
        "apiVersion: core.gardener.cloud/v1beta1\nkind: Quota\nmetadata: {name: q}\nspec: {scope: {apiVersion: v1, kind: Secret}, metrics: {cpu: '10'}}\n",
    );
    garden.kubectl_ok(&["delete", "namespace", "scratch", "--wait=false"]);
    assert_eventually!(Duration::from_secs(30), || !garden.kubectl(&["get", "namespace", "scratch"]).status.success());
    let (code, body) =
        direct(&garden, Some(&front_proxy), &forged, "/apis/core.gardener.cloud/v1beta1/namespaces/scratch/quotas");
    assert!(code == "200" && !body.contains("\"name\":\"q\""), "{code} {body}");

    // The aggregated server dies: the APIService turns unavailable and requests get a 503; it comes back, and so
    // does everything it stored.
    garden.kill_aggregated_apiserver();
    assert_eventually!(Duration::from_secs(20), || available(&garden, core) == "False/FailedDiscoveryCheck");
    let out = garden.kubectl_as(&alice, &["-n", "garden-dev", "get", "shoots"]);
    assert!(!out.status.success(), "no answer while the server is down");
    garden.start_aggregated_apiserver().unwrap();
    assert_eventually!(Duration::from_secs(20), || available(&garden, core) == "True/Passed");
    assert!(garden.kubectl_as_ok(&alice, &["-n", "garden-dev", "get", "shoots"]).contains("local-workerless"));
}
