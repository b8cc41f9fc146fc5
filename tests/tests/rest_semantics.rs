//! kube-apiserver REST semantics through real kubectl and raw requests: optimistic concurrency, pagination,
//! selectors, generateName, dryRun, the four patch types, finalizers, status subresource, Table output.

use garden_e2e::TestGarden;
use serde_json::Value;

fn json(garden: &TestGarden, args: &[&str]) -> Value {
    serde_json::from_str(&garden.kubectl_ok(args)).expect("kubectl printed JSON")
}

fn apply(garden: &TestGarden, yaml: &str) {
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], yaml);
    assert!(out.status.success(), "kubectl apply failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn stale_resource_version_update_conflicts() {
    let garden = TestGarden::start().unwrap();
    garden.kubectl_ok(&["-n", "default", "create", "configmap", "cm", "--from-literal=a=1"]);
    let old = json(&garden, &["-n", "default", "get", "configmap", "cm", "-o", "json"]);
    garden.kubectl_ok(&["-n", "default", "patch", "configmap", "cm", "--type=merge", "-p", r#"{"data":{"a":"2"}}"#]);
    // Replacing with the old resourceVersion must fail with 409 Conflict.
    let mut stale = old.clone();
    stale["data"]["a"] = Value::from("3");
    let out = garden.kubectl_stdin(&["replace", "-f", "-"], &stale.to_string());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the object has been modified; please apply your changes to the latest version and try again"),
        "unexpected error: {err}"
    );
    let now = json(&garden, &["-n", "default", "get", "configmap", "cm", "-o", "json"]);
    assert_eq!(now["data"]["a"], "2", "the stale write must not land");
    // A fresh resourceVersion succeeds and bumps it.
    let mut fresh = now.clone();
    fresh["data"]["a"] = Value::from("4");
    let out = garden.kubectl_stdin(&["replace", "-f", "-"], &fresh.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let after = json(&garden, &["-n", "default", "get", "configmap", "cm", "-o", "json"]);
    assert_eq!(after["data"]["a"], "4");
    assert_ne!(after["metadata"]["resourceVersion"], now["metadata"]["resourceVersion"]);
    assert_eq!(after["metadata"]["uid"], old["metadata"]["uid"]);
}

#[test]
fn list_pagination_and_selectors() {
    let garden = TestGarden::start().unwrap();
    let mut docs = String::new();
    for i in 0..25 {
        let tier = if i % 2 == 0 { "even" } else { "odd" };
        docs.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:02}\n  namespace: default\n  labels:\n    tier: {tier}\ndata:\n  i: \"{i}\"\n"
        ));
    }
    apply(&garden, &docs);
    // kubectl pages with --chunk-size (limit + continue) and must still see all 25.
    let names = garden.kubectl_ok(&["-n", "default", "get", "configmaps", "--chunk-size=7", "-o", "name"]);
    assert_eq!(names.lines().filter(|l| l.starts_with("configmap/cm-")).count(), 25, "{names}");
    // One raw page: limit=10 gives 10 items and a continue token.
    let page = json(&garden, &["get", "--raw", "/api/v1/namespaces/default/configmaps?limit=10"]);
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    let token = page["metadata"]["continue"].as_str().expect("continue token").to_string();
    let next =
        json(&garden, &["get", "--raw", &format!("/api/v1/namespaces/default/configmaps?limit=10&continue={token}")]);
    assert_eq!(next["items"][0]["metadata"]["name"], "cm-10");
    assert_eq!(
        next["metadata"]["resourceVersion"], page["metadata"]["resourceVersion"],
        "pages are read at one revision"
    );
    let bad = garden.kubectl(&["get", "--raw", "/api/v1/namespaces/default/configmaps?limit=10&continue=garbage"]);
    assert!(!bad.status.success());
    // Label selectors.
    let even = garden.kubectl_ok(&["-n", "default", "get", "configmaps", "-l", "tier=even", "-o", "name"]);
    assert_eq!(even.lines().count(), 13, "{even}");
    let notin = garden.kubectl_ok(&["-n", "default", "get", "configmaps", "-l", "tier notin (even)", "-o", "name"]);
    assert_eq!(notin.lines().filter(|l| l.starts_with("configmap/cm-")).count(), 12);
    // Field selectors.
    let one = garden.kubectl_ok(&[
        "-n",
        "default",
        "get",
        "configmaps",
        "--field-selector",
        "metadata.name=cm-07",
        "-o",
        "name",
    ]);
    assert_eq!(one.trim(), "configmap/cm-07");
    let unsupported = garden.kubectl(&["-n", "default", "get", "configmaps", "--field-selector", "data.i=1"]);
    assert!(String::from_utf8_lossy(&unsupported.stderr).contains("field label not supported"));
    // deletecollection with a selector.
    garden.kubectl_ok(&["-n", "default", "delete", "configmaps", "-l", "tier=odd"]);
    let left = garden.kubectl_ok(&["-n", "default", "get", "configmaps", "-o", "name"]);
    assert_eq!(left.lines().filter(|l| l.starts_with("configmap/cm-")).count(), 13);
}

#[test]
fn generate_name_dry_run_and_patch_types() {
    let garden = TestGarden::start().unwrap();
    let out = garden.kubectl_stdin(
        &["create", "-f", "-", "-o", "json"],
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-","namespace":"default"},"data":{"k":"v"}}"#,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let name = created["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("gen-") && name.len() == 9, "generated name {name}");
    assert_eq!(created["metadata"]["generation"], 1);
    assert!(created["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(created["metadata"]["creationTimestamp"].as_str().is_some());

    // dryRun=All validates but stores nothing.
    garden.kubectl_ok(&["-n", "default", "create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server"]);
    assert!(!garden.kubectl(&["-n", "default", "get", "configmap", "dry"]).status.success());

    let get = |g: &TestGarden| json(g, &["-n", "default", "get", "configmap", &name, "-o", "json"]);
    garden.kubectl_ok(&[
        "-n",
        "default",
        "patch",
        "configmap",
        &name,
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/data/j","value":"1"}]"#,
    ]);
    assert_eq!(get(&garden)["data"]["j"], "1");
    garden.kubectl_ok(&["-n", "default", "patch", "configmap", &name, "--type=merge", "-p", r#"{"data":{"k":null}}"#]);
    assert!(get(&garden)["data"].get("k").is_none());
    garden.kubectl_ok(&[
        "-n",
        "default",
        "patch",
        "configmap",
        &name,
        "--type=strategic",
        "-p",
        r#"{"data":{"s":"x"}}"#,
    ]);
    assert_eq!(get(&garden)["data"]["s"], "x");
    // A failing json-patch test op changes nothing.
    let bad = garden.kubectl(&[
        "-n",
        "default",
        "patch",
        "configmap",
        &name,
        "--type=json",
        "-p",
        r#"[{"op":"test","path":"/data/j","value":"nope"},{"op":"add","path":"/data/z","value":"1"}]"#,
    ]);
    assert!(!bad.status.success());
    assert!(get(&garden)["data"].get("z").is_none());
    // Server-side apply records the field manager.
    let applied = garden.kubectl_stdin(
        &["apply", "--server-side", "--field-manager=tester", "-f", "-", "-o", "json"],
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa","namespace":"default"},"data":{"owned":"yes"}}"#,
    );
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
    let ssa = json(&garden, &["-n", "default", "get", "configmap", "ssa", "-o", "json", "--show-managed-fields"]);
    assert_eq!(ssa["data"]["owned"], "yes");
    let managers: Vec<&str> =
        ssa["metadata"]["managedFields"].as_array().unwrap().iter().filter_map(|m| m["manager"].as_str()).collect();
    assert!(managers.contains(&"tester"), "managedFields: {}", ssa["metadata"]["managedFields"]);
}

#[test]
fn finalizers_hold_deletion_until_removed() {
    let garden = TestGarden::start().unwrap();
    apply(
        &garden,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: default\n  finalizers: [example.com/hold]\n",
    );
    garden.kubectl_ok(&["-n", "default", "delete", "configmap", "held", "--wait=false"]);
    let held = json(&garden, &["-n", "default", "get", "configmap", "held", "-o", "json"]);
    assert!(held["metadata"]["deletionTimestamp"].as_str().is_some(), "deletionTimestamp set: {held}");
    // New finalizers cannot be added while deleting.
    let add = garden.kubectl(&[
        "-n",
        "default",
        "patch",
        "configmap",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}"#,
    ]);
    assert!(!add.status.success());
    garden.kubectl_ok(&[
        "-n",
        "default",
        "patch",
        "configmap",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert!(
        !garden.kubectl(&["-n", "default", "get", "configmap", "held"]).status.success(),
        "gone once finalizers are removed"
    );
}

#[test]
fn namespace_deletion_removes_content_and_refuses_new_content() {
    let garden = TestGarden::start().unwrap();
    apply(&garden, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: doomed\n");
    garden.kubectl_ok(&["-n", "doomed", "create", "configmap", "a", "--from-literal=x=y"]);
    garden.kubectl_ok(&["delete", "namespace", "doomed", "--wait=true", "--timeout=30s"]);
    assert!(!garden.kubectl(&["get", "namespace", "doomed"]).status.success());
    let out = garden.kubectl(&["-n", "doomed", "create", "configmap", "b", "--from-literal=x=y"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"), "{}", String::from_utf8_lossy(&out.stderr));
    // System namespaces stay.
    assert!(!garden.kubectl(&["delete", "namespace", "default", "--wait=false"]).status.success());
}

/// Patches without a resourceVersion are retried against the newest object, never answered with 409: 20
/// parallel `kubectl label` and 20 parallel `kubectl patch --type merge` on one ConfigMap all succeed and all
/// their keys are there afterwards.
#[test]
fn concurrent_patches_without_resource_version_all_succeed() {
    let garden = TestGarden::start().unwrap();
    garden.kubectl_ok(&["create", "configmap", "race", "-n", "default"]);
    std::thread::scope(|s| {
        let labels: Vec<_> = (0..20)
            .map(|i| {
                let garden = &garden;
                s.spawn(move || {
                    garden.kubectl(&["label", "--overwrite", "configmap", "race", "-n", "default", &format!("k{i}=v")])
                })
            })
            .collect();
        let patches: Vec<_> = (0..20)
            .map(|i| {
                let garden = &garden;
                let body = format!(r#"{{"data":{{"d{i}":"v"}}}}"#);
                s.spawn(move || {
                    garden.kubectl(&["patch", "configmap", "race", "-n", "default", "--type", "merge", "-p", &body])
                })
            })
            .collect();
        for (i, h) in labels.into_iter().chain(patches).enumerate() {
            let out = h.join().unwrap();
            assert!(out.status.success(), "write {i} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    });
    let cm = json(&garden, &["get", "configmap", "race", "-n", "default", "-o", "json"]);
    for i in 0..20 {
        assert_eq!(cm["metadata"]["labels"][format!("k{i}")], "v", "label k{i} lost: {cm}");
        assert_eq!(cm["data"][format!("d{i}")], "v", "data key d{i} lost: {cm}");
    }
}
