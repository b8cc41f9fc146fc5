//! Server-side apply as kube does it (structured merge), through real `kubectl apply --server-side` and raw
//! requests: Apply entries in managedFields, removal of fields an applier stopped applying, shared ownership,
//! conflicts naming manager and field, `--force-conflicts`, Update managers, lists merged by the keys the schema
//! publishes (Deployment containers, Shoot workers), atomic lists (RoleBinding subjects), and strategic merge
//! patch from the same schema.

use std::time::Duration;

use garden_e2e::{assert_eventually, repo_path, GardenOptions, TestGarden};
use serde_json::{json, Value};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// `kubectl apply --server-side --field-manager=<manager> [extra]` of `doc`.
fn apply_as(garden: &TestGarden, manager: &str, doc: &Value, extra: &[&str]) -> std::process::Output {
    let flag = format!("--field-manager={manager}");
    let mut args = vec!["apply", "--server-side", flag.as_str(), "-f", "-"];
    args.extend_from_slice(extra);
    garden.kubectl_stdin(&args, &doc.to_string())
}

fn apply_ok(garden: &TestGarden, manager: &str, doc: &Value) {
    let out = apply_as(garden, manager, doc, &[]);
    assert!(out.status.success(), "apply by {manager} failed: {}", stderr(&out));
}

fn get(garden: &TestGarden, ns: &str, kind: &str, name: &str) -> Value {
    let out = garden.kubectl_ok(&["-n", ns, "get", kind, name, "-o", "json", "--show-managed-fields"]);
    serde_json::from_str(&out).expect("kubectl printed JSON")
}

/// The fieldsV1 of `manager`'s entry with `operation` (null when there is none).
fn owned(obj: &Value, manager: &str, operation: &str) -> Value {
    obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["manager"] == manager && e["operation"] == operation))
        .map(|e| e["fieldsV1"].clone())
        .unwrap_or(Value::Null)
}

fn entries(obj: &Value) -> Vec<(String, String)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| (e["manager"].as_str().unwrap_or("").into(), e["operation"].as_str().unwrap_or("").into()))
                .collect()
        })
        .unwrap_or_default()
}

fn config_map(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}, "data": data})
}

#[test]
fn an_applier_that_stops_applying_a_field_removes_it_and_is_recorded_as_apply() {
    let garden = TestGarden::start().unwrap();
    apply_ok(&garden, "alice", &config_map("cm", json!({"a": "1", "b": "2"})));
    let cm = get(&garden, "default", "configmap", "cm");
    assert_eq!(entries(&cm), vec![("alice".to_string(), "Apply".to_string())], "{}", cm["metadata"]);
    assert_eq!(owned(&cm, "alice", "Apply"), json!({"f:data": {"f:a": {}, "f:b": {}}}));

    apply_ok(&garden, "alice", &config_map("cm", json!({"a": "1"})));
    let cm = get(&garden, "default", "configmap", "cm");
    assert_eq!(cm["data"], json!({"a": "1"}), "b was only alice's and she no longer applies it");
    assert_eq!(entries(&cm), vec![("alice".to_string(), "Apply".to_string())]);
    assert_eq!(owned(&cm, "alice", "Apply"), json!({"f:data": {"f:a": {}}}));

    // Applying the same configuration again changes nothing, not even the resourceVersion.
    let rv = cm["metadata"]["resourceVersion"].clone();
    apply_ok(&garden, "alice", &config_map("cm", json!({"a": "1"})));
    assert_eq!(get(&garden, "default", "configmap", "cm")["metadata"]["resourceVersion"], rv);
}

#[test]
fn two_appliers_share_a_field_and_it_stays_when_one_lets_go() {
    let garden = TestGarden::start().unwrap();
    apply_ok(&garden, "alice", &config_map("shared", json!({"a": "1", "b": "2"})));
    // The same value from bob: no conflict, both own it.
    apply_ok(&garden, "bob", &config_map("shared", json!({"a": "1"})));
    let cm = get(&garden, "default", "configmap", "shared");
    assert_eq!(owned(&cm, "alice", "Apply"), json!({"f:data": {"f:a": {}, "f:b": {}}}));
    assert_eq!(owned(&cm, "bob", "Apply"), json!({"f:data": {"f:a": {}}}));
    // alice stops applying a: bob still owns it, so it stays; b stays too (alice still applies it).
    apply_ok(&garden, "alice", &config_map("shared", json!({"b": "2"})));
    let cm = get(&garden, "default", "configmap", "shared");
    assert_eq!(cm["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(owned(&cm, "alice", "Apply"), json!({"f:data": {"f:b": {}}}));
    assert_eq!(owned(&cm, "bob", "Apply"), json!({"f:data": {"f:a": {}}}));
    // bob lets go too: now nobody owns a and it is removed.
    apply_ok(
        &garden,
        "bob",
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared", "namespace": "default"}}),
    );
    assert_eq!(get(&garden, "default", "configmap", "shared")["data"], json!({"b": "2"}));
}

#[test]
fn a_conflict_names_manager_and_field_and_force_transfers_ownership() {
    let garden = TestGarden::start().unwrap();
    apply_ok(&garden, "alice", &config_map("owned", json!({"x": "1", "y": "1"})));
    let out = apply_as(&garden, "bob", &config_map("owned", json!({"x": "2"})), &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Apply failed with 1 conflict: conflict with \"alice\": .data.x"),
        "{}",
        stderr(&out)
    );
    assert_eq!(get(&garden, "default", "configmap", "owned")["data"]["x"], "1");

    // The raw answer: 409 with a FieldManagerConflict cause per field.
    let body = config_map("owned", json!({"x": "2", "y": "2"})).to_string();
    let (code, status) = garden.request_as_admin(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/owned?fieldManager=bob",
        "application/apply-patch+yaml",
        body.as_bytes(),
    );
    assert_eq!(code, 409, "{status}");
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(status["message"], "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .data.x\n- .data.y");
    assert_eq!(
        status["details"]["causes"],
        json!([
            {"reason": "FieldManagerConflict", "message": "conflict with \"alice\"", "field": ".data.x"},
            {"reason": "FieldManagerConflict", "message": "conflict with \"alice\"", "field": ".data.y"}
        ])
    );

    // --force-conflicts: bob takes x over; alice keeps y.
    let out = apply_as(&garden, "bob", &config_map("owned", json!({"x": "2"})), &["--force-conflicts"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let cm = get(&garden, "default", "configmap", "owned");
    assert_eq!(cm["data"], json!({"x": "2", "y": "1"}));
    assert_eq!(owned(&cm, "bob", "Apply"), json!({"f:data": {"f:x": {}}}));
    assert_eq!(owned(&cm, "alice", "Apply"), json!({"f:data": {"f:y": {}}}));
    // Now alice is the one who conflicts.
    let out = apply_as(&garden, "alice", &config_map("owned", json!({"x": "1", "y": "1"})), &[]);
    assert!(stderr(&out).contains("conflict with \"bob\": .data.x"), "{}", stderr(&out));
}

#[test]
fn a_controllers_update_takes_fields_and_a_later_apply_conflicts_with_it() {
    let garden = TestGarden::start().unwrap();
    apply_ok(&garden, "alice", &config_map("ctl", json!({"x": "1", "y": "1"})));
    // A controller updates x (kubectl patch with its own field manager): it takes x over, without conflict.
    garden.kubectl_ok(&[
        "-n",
        "default",
        "patch",
        "configmap",
        "ctl",
        "--type=merge",
        "--field-manager=controller",
        "-p",
        r#"{"data":{"x":"2","z":"3"}}"#,
    ]);
    let cm = get(&garden, "default", "configmap", "ctl");
    assert_eq!(owned(&cm, "controller", "Update"), json!({"f:data": {"f:x": {}, "f:z": {}}}));
    assert_eq!(owned(&cm, "alice", "Apply"), json!({"f:data": {"f:y": {}}}));
    // alice applying her old value of x conflicts with the controller's Update.
    let out = apply_as(&garden, "alice", &config_map("ctl", json!({"x": "1", "y": "1"})), &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Apply failed with 1 conflict: conflict with \"controller\" using v1: .data.x"),
        "{}",
        stderr(&out)
    );
    // Applying without x (and y changed) does not conflict and leaves the controller's fields alone.
    apply_ok(&garden, "alice", &config_map("ctl", json!({"y": "5"})));
    let cm = get(&garden, "default", "configmap", "ctl");
    assert_eq!(cm["data"], json!({"x": "2", "y": "5", "z": "3"}));
    // Applying the controller's value shares x.
    apply_ok(&garden, "alice", &config_map("ctl", json!({"x": "2", "y": "5"})));
    let cm = get(&garden, "default", "configmap", "ctl");
    assert_eq!(owned(&cm, "alice", "Apply"), json!({"f:data": {"f:x": {}, "f:y": {}}}));
    assert_eq!(owned(&cm, "controller", "Update"), json!({"f:data": {"f:x": {}, "f:z": {}}}));
}

#[test]
fn rolebinding_subjects_are_one_atomic_field() {
    let garden = TestGarden::start().unwrap();
    let binding = |user: &str| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "rb", "namespace": "default"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]})
    };
    apply_ok(&garden, "alice", &binding("ann"));
    let rb = get(&garden, "default", "rolebinding", "rb");
    assert_eq!(owned(&rb, "alice", "Apply")["f:subjects"], json!({}), "{}", rb["metadata"]);
    let out = apply_as(&garden, "bob", &binding("ben"), &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("conflict with \"alice\": .subjects"), "{}", stderr(&out));
    // Forced, bob's list replaces alice's as a whole.
    let out = apply_as(&garden, "bob", &binding("ben"), &["--force-conflicts"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rb = get(&garden, "default", "rolebinding", "rb");
    assert_eq!(rb["subjects"].as_array().map(Vec::len), Some(1));
    assert_eq!(rb["subjects"][0]["name"], "ben");
}

fn deployment(containers: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}}})
}

fn container_names(d: &Value) -> Vec<String> {
    d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[test]
fn deployment_containers_merge_by_name_for_two_appliers_and_strategic_merge() {
    let garden = TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "shoot".into()],
        ..Default::default()
    })
    .unwrap();
    apply_ok(&garden, "alice", &deployment(json!([{"name": "nginx", "image": "nginx:1.27"}])));
    // bob applies only his sidecar: a second item of the list, not a replacement of it.
    let sidecar = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox"}]}}}});
    apply_ok(&garden, "bob", &sidecar);
    let d = get(&garden, "default", "deployment", "web");
    assert_eq!(container_names(&d), vec!["nginx", "sidecar"]);
    let containers = |m: &str| owned(&d, m, "Apply")["f:spec"]["f:template"]["f:spec"]["f:containers"].clone();
    assert_eq!(containers("alice"), json!({"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}));
    assert_eq!(containers("bob"), json!({"k:{\"name\":\"sidecar\"}": {".": {}, "f:image": {}, "f:name": {}}}));

    // bob changing alice's container's image conflicts on that field only.
    let intrude = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.28"}]}}}});
    let out = apply_as(&garden, "bob", &intrude, &[]);
    assert!(
        stderr(&out).contains("conflict with \"alice\": .spec.template.spec.containers[name=\"nginx\"].image"),
        "{}",
        stderr(&out)
    );

    // bob stops applying his container: it goes; alice's stays.
    let bare =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}});
    apply_ok(&garden, "bob", &bare);
    assert_eq!(container_names(&get(&garden, "default", "deployment", "web")), vec!["nginx"]);

    // A strategic merge patch of one container by name (the schema's merge key) keeps the other.
    apply_ok(&garden, "bob", &sidecar);
    garden.kubectl_ok(&[
        "-n",
        "default",
        "patch",
        "deployment",
        "web",
        "--type=strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}"#,
    ]);
    let d = get(&garden, "default", "deployment", "web");
    assert_eq!(container_names(&d), vec!["nginx", "sidecar"]);
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
    assert_eq!(d["spec"]["template"]["spec"]["containers"][1]["image"], "busybox:1.36");
}

#[test]
fn shoot_workers_merge_by_name() {
    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let example = |f: &str| repo_path(&format!("examples/{f}")).display().to_string();
    garden.kubectl_ok(&["apply", "-f", &example("cloudprofile-local.yaml"), "-f", &example("project-dev.yaml")]);
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "namespace", "garden-dev"])
        .status
        .success());
    let manifest = std::fs::read_to_string(repo_path("examples/shoot-local.yaml")).unwrap();
    let docs: Vec<Value> =
        manifest.split("\n---\n").map(|d| serde_yaml::from_str(d).expect("example documents are YAML")).collect();
    for d in &docs[..2] {
        apply_ok(&garden, "setup", d);
    }
    let shoot = docs[2].clone();
    let mut worker = shoot["spec"]["provider"]["workers"][0].clone();
    apply_ok(&garden, "alice", &shoot);
    worker["name"] = json!("extra");
    let extra = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
        "metadata": {"name": "local", "namespace": "garden-dev"},
        "spec": {"provider": {"workers": [worker]}}});
    apply_ok(&garden, "bob", &extra);
    let s = get(&garden, "garden-dev", "shoot", "local");
    let names: Vec<&str> = s["spec"]["provider"]["workers"]
        .as_array()
        .map(|a| a.iter().filter_map(|w| w["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["local", "extra"]);
    let workers = |m: &str| owned(&s, m, "Apply")["f:spec"]["f:provider"]["f:workers"].clone();
    assert!(workers("alice").get("k:{\"name\":\"local\"}").is_some(), "{}", s["metadata"]["managedFields"]);
    assert!(workers("bob").get("k:{\"name\":\"extra\"}").is_some(), "{}", s["metadata"]["managedFields"]);
    assert!(workers("alice").get("k:{\"name\":\"extra\"}").is_none());

    // bob changing alice's pool conflicts on exactly that field.
    let mut intrude = extra.clone();
    intrude["spec"]["provider"]["workers"] = json!([{"name": "local", "maximum": 5}]);
    let out = apply_as(&garden, "bob", &intrude, &[]);
    assert!(
        stderr(&out).contains("conflict with \"alice\": .spec.provider.workers[name=\"local\"].maximum"),
        "{}",
        stderr(&out)
    );
    // bob stops applying his pool: it is removed.
    let bare = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
        "metadata": {"name": "local", "namespace": "garden-dev"}});
    apply_ok(&garden, "bob", &bare);
    let s = get(&garden, "garden-dev", "shoot", "local");
    assert_eq!(s["spec"]["provider"]["workers"].as_array().map(Vec::len), Some(1));
}
