//! Smoke test: a garden starts, real kubectl talks to it.

use garden_e2e::TestGarden;

#[test]
fn kubectl_lists_default_namespace_and_reports_server_version() {
    let garden = TestGarden::start().expect("start a test garden");

    let namespaces = garden.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    assert!(
        namespaces.lines().any(|l| l.trim() == "namespace/default"),
        "`kubectl get namespaces` does not list default:\n{namespaces}"
    );

    let version = garden.kubectl_ok(&["version", "-o", "json"]);
    let version: serde_json::Value = serde_json::from_str(&version).expect("kubectl version -o json");
    let server = &version["serverVersion"];
    assert!(
        server["gitVersion"].as_str().is_some_and(|v| v.starts_with('v')),
        "kubectl version reports no server version: {version}"
    );
}
