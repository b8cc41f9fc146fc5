//! The OpenAPI v3 documents (`/openapi/v3/<group-version>`): list kinds as the list responses, the meta/v1
//! schemas, kube's and Gardener's x-kubernetes markers, and `kubectl explain` on top of them.

use garden_e2e::{GardenOptions, TestGarden};
use serde_json::{json, Value};

fn doc(garden: &TestGarden, gv: &str) -> Value {
    let text = garden.kubectl_ok(&["get", "--raw", &format!("/openapi/v3/{gv}")]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("document {gv}: {e}"))
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "no schema {name} in the document");
    s
}

/// The schema a `$ref` (plain or wrapped in `allOf`) points at, else the schema itself.
fn deref<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    let r = s.get("$ref").or_else(|| s.pointer("/allOf/0/$ref")).and_then(Value::as_str);
    match r.and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => schema(doc, name),
        None => s,
    }
}

/// Validates `v` against `s` for the keywords these documents use (`$ref`, `allOf`, `anyOf`, `type` with
/// `nullable`, `properties`, `required`, `items`, `additionalProperties`, `enum`); returns the violations.
fn violations(doc: &Value, s: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    let s = deref(doc, s);
    if v.is_null() && s["nullable"] == json!(true) {
        return;
    }
    for sub in s["allOf"].as_array().into_iter().flatten() {
        violations(doc, sub, v, path, out);
    }
    if let Some(any) = s["anyOf"].as_array() {
        let ok = any.iter().any(|sub| {
            let mut o = Vec::new();
            violations(doc, sub, v, path, &mut o);
            o.is_empty()
        });
        if !ok {
            out.push(format!("{path}: matches none of anyOf"));
        }
    }
    if let Some(t) = s["type"].as_str() {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            _ => true,
        };
        if !ok {
            out.push(format!("{path}: want {t}, got {v}"));
            return;
        }
    }
    if let Some(e) = s["enum"].as_array() {
        if !e.contains(v) {
            out.push(format!("{path}: {v} not in enum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in s["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                out.push(format!("{path}.{r}: required"));
            }
        }
        for (k, val) in obj {
            match s["properties"].get(k) {
                Some(p) => violations(doc, p, val, &format!("{path}.{k}"), out),
                None => match &s["additionalProperties"] {
                    Value::Bool(false) => out.push(format!("{path}.{k}: not allowed")),
                    ap @ Value::Object(_) => violations(doc, ap, val, &format!("{path}.{k}"), out),
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            violations(doc, items, item, &format!("{path}[{i}]"), out);
        }
    }
}

const ROLE_BINDING: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: default, labels: {team: a}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
- {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}
"#;

#[test]
fn list_responses_are_list_kinds_and_real_lists_validate() {
    let garden = TestGarden::start().expect("start a test garden");
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], ROLE_BINDING);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d = doc(&garden, "apis/rbac.authorization.k8s.io/v1");

    let list_op = &d["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings"]["get"];
    assert_eq!(list_op["operationId"], "listRbacAuthorizationV1NamespacedRoleBinding");
    let ok = &list_op["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(ok["$ref"], "#/components/schemas/io.k8s.api.rbac.v1.RoleBindingList");
    let list_schema = schema(&d, "io.k8s.api.rbac.v1.RoleBindingList");
    assert_eq!(
        list_schema["properties"]["metadata"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
    );

    let list: Value = serde_json::from_str(&garden.kubectl_ok(&[
        "get",
        "--raw",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings?limit=10",
    ]))
    .unwrap();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    let mut errs = Vec::new();
    violations(&d, ok, &list, "", &mut errs);
    assert_eq!(errs, Vec::<String>::new(), "the LIST answer does not validate against RoleBindingList");
    // The check is not vacuous: a list whose items are not RoleBindings fails it.
    let mut broken = list.clone();
    broken["items"][0]["subjects"] = json!("alice");
    let mut errs = Vec::new();
    violations(&d, ok, &broken, "", &mut errs);
    assert!(!errs.is_empty(), "a broken list validated");

    for name in ["Status", "WatchEvent", "ListMeta", "DeleteOptions", "ObjectMeta", "Patch"] {
        schema(&d, &format!("io.k8s.apimachinery.pkg.apis.meta.v1.{name}"));
    }
    let watch = &list_op["responses"]["200"]["content"]["application/json;stream=watch"]["schema"]["$ref"];
    assert_eq!(watch, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent");
    let item = &d["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/{name}"];
    assert_eq!(
        item["delete"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
    );
    let not_found = &item["get"]["responses"]["default"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(not_found, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status");

    // Gardener's markers: a Shoot's workers merge by name.
    let g = doc(&garden, "apis/core.gardener.cloud/v1beta1");
    let shoots = &g["paths"]["/apis/core.gardener.cloud/v1beta1/namespaces/{namespace}/shoots"];
    assert_eq!(shoots["post"]["operationId"], "createCoreGardenerCloudV1beta1NamespacedShoot");
    let shoot_ref = &shoots["post"]["requestBody"]["content"]["application/json"]["schema"];
    let shoot = deref(&g, shoot_ref);
    let spec = deref(&g, &shoot["properties"]["spec"]);
    let provider = deref(&g, &spec["properties"]["provider"]);
    let workers = &provider["properties"]["workers"];
    assert_eq!(workers["x-kubernetes-list-type"], "map", "{workers}");
    assert_eq!(workers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(workers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(workers["x-kubernetes-patch-strategy"], "merge");
    let owners = &schema(&g, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")["properties"]["ownerReferences"];
    assert_eq!(owners["x-kubernetes-list-map-keys"], json!(["uid"]));

    // kubectl explain reads the v3 documents.
    let explain = garden.kubectl(&["explain", "rolebindings.subjects"]);
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(explain.status.success(), "{}", String::from_utf8_lossy(&explain.stderr));
    assert!(text.contains("FIELD: subjects") && text.contains("apiGroup"), "{text}");
}

#[test]
fn shoot_profile_publishes_kubes_list_markers() {
    let garden = TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "shoot".into()],
        ..Default::default()
    })
    .expect("start a test garden with --api-profile shoot");
    let core = doc(&garden, "api/v1");
    let containers = &schema(&core, "io.k8s.api.core.v1.PodSpec")["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    let ports = &schema(&core, "io.k8s.api.core.v1.Container")["properties"]["ports"];
    assert_eq!(ports["x-kubernetes-list-map-keys"], json!(["containerPort", "protocol"]));
    assert_eq!(
        core["paths"]["/api/v1/namespaces/{namespace}/configmaps"]["get"]["operationId"],
        "listCoreV1NamespacedConfigMap"
    );
    assert!(core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/status"]["patch"].is_object());

    let apps = doc(&garden, "apis/apps/v1");
    let deployment = schema(&apps, "io.k8s.api.apps.v1.Deployment");
    assert_eq!(deployment["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
    let containers = &schema(&apps, "io.k8s.api.core.v1.PodSpec")["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(
        apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]["get"]["operationId"],
        "readAppsV1NamespacedDeploymentStatus"
    );
    schema(&apps, "io.k8s.api.apps.v1.DeploymentList");
}
