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

#[test]
fn health_metrics_discovery_and_openapi() {
    let garden = TestGarden::start().expect("start a test garden");
    for path in ["/healthz", "/livez", "/readyz"] {
        let out = std::process::Command::new("curl")
            .args(["-sk"])
            .arg(format!("{}{path}", garden.server_url()))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ok", "{path} without credentials");
    }
    let anon = std::process::Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/metrics", garden.server_url()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&anon.stdout), "401", "metrics need authentication");

    garden.kubectl_ok(&["get", "namespaces"]);
    let metrics = garden.kubectl_ok(&["get", "--raw", "/metrics"]);
    for name in [
        "apiserver_request_total",
        "apiserver_request_duration_seconds",
        "etcd_request_duration_seconds",
        "apiserver_registered_watchers",
    ] {
        assert!(metrics.contains(name), "metric {name} missing");
    }
    assert!(metrics.contains(r#"code="200",resource="namespaces",verb="list""#), "per verb/resource/code counts");

    let group: serde_json::Value =
        serde_json::from_str(&garden.kubectl_ok(&["get", "--raw", "/apis/core.gardener.cloud/v1beta1"])).unwrap();
    let names: Vec<&str> = group["resources"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    for r in
        ["shoots", "shoots/status", "shoots/binding", "cloudprofiles", "seeds", "projects", "secretbindings", "quotas"]
    {
        assert!(names.contains(&r), "discovery lacks {r}: {names:?}");
    }
    let resources = garden.kubectl_ok(&["api-resources", "--api-group=core.gardener.cloud", "-o", "name"]);
    assert!(resources.lines().any(|l| l == "shoots.core.gardener.cloud"), "{resources}");

    let index: serde_json::Value = serde_json::from_str(&garden.kubectl_ok(&["get", "--raw", "/openapi/v3"])).unwrap();
    let url = index["paths"]["apis/core.gardener.cloud/v1beta1"]["serverRelativeURL"]
        .as_str()
        .expect("group document listed");
    let doc: serde_json::Value = serde_json::from_str(&garden.kubectl_ok(&["get", "--raw", url])).unwrap();
    let patch = &doc["paths"]["/apis/core.gardener.cloud/v1beta1/namespaces/{namespace}/shoots/{name}"]["patch"];
    assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "Shoot");
    assert!(patch["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "fieldValidation"));
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.values().any(|s| s["x-kubernetes-group-version-kind"][0]["kind"] == "Shoot"));
}

/// kubectl asks /api and /apis for aggregated discovery (`apidiscovery.k8s.io/v2`) and, given it, learns every
/// resource from those two requests instead of one per group-version; what it learns is complete.
#[test]
fn kubectl_discovers_every_resource_through_aggregated_discovery() {
    let garden = TestGarden::start().expect("start a test garden");
    let cache = garden.dir().join("kubectl-cache").display().to_string();
    let out = garden.kubectl(&["--cache-dir", &cache, "-v=6", "api-resources", "-o", "wide"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    // client-go logs `"Response" verb="GET" url="https://<host>/<path>?timeout=32s" status=...` at -v=6.
    let gets: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(r#"verb="GET""#))
        .filter_map(|l| l.split_once(r#"url="https://"#)?.1.split_once('/').map(|(_, rest)| rest))
        .map(|rest| rest.split(['?', '"']).next().unwrap_or_default())
        .collect();
    assert_eq!(gets, ["api", "apis"], "requests: {gets:?}\n{stderr}");
    let shoots = stdout.lines().find(|l| l.starts_with("shoots ")).unwrap_or_else(|| panic!("no shoots in\n{stdout}"));
    for column in ["core.gardener.cloud/v1beta1", "true", "Shoot", "create,delete,deletecollection,get,list"] {
        assert!(shoots.contains(column), "{column} missing from {shoots:?}");
    }
    assert!(stdout.lines().any(|l| l.starts_with("namespaces ") && l.contains("false")), "{stdout}");
    // Without the aggregated media type the same path still answers the plain document.
    let plain: serde_json::Value = serde_json::from_str(&garden.kubectl_ok(&["get", "--raw", "/apis"])).unwrap();
    assert_eq!(plain["kind"], "APIGroupList");
}
