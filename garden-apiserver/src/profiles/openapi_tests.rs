//! The OpenAPI documents of the profiles: every reference resolves, kube's and Gardener's x-kubernetes markers are
//! placed, list kinds, Status and kube's operations are published, subresources appear, and the v2 conversion holds.

use api_machinery::openapi::{definitions, kube_markers, paths, v2, OpenApi};
use api_machinery::registry::{Registry, ResourceType};
use serde_json::{json, Map, Value};

use super::ApiProfile;

fn all_definitions(registry: &Registry) -> Map<String, Value> {
    let types: Vec<&ResourceType> = registry.all().iter().map(|a| a.as_ref()).collect();
    definitions(&types).0
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// The schema a property's `$ref` (plain, or wrapped in `allOf` next to a description) points at.
fn deref<'a>(schemas: &'a Map<String, Value>, v: &'a Value) -> &'a Value {
    let r = v.get("$ref").or_else(|| v.pointer("/allOf/0/$ref")).and_then(Value::as_str);
    match r.and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => schemas.get(name).unwrap_or_else(|| panic!("no schema {name}")),
        None => v,
    }
}

fn find<'a>(schemas: &'a Map<String, Value>, name: &str, path: &[&str]) -> &'a Value {
    let mut v = schemas.get(name).unwrap_or_else(|| panic!("no schema {name}"));
    for p in path {
        v = &v[*p];
    }
    v
}

#[test]
fn definitions_carry_kube_and_gardener_markers() {
    for registry in [ApiProfile::Garden.registry(), ApiProfile::Shoot.registry()] {
        let schemas = all_definitions(&registry);
        let mut all = Vec::new();
        refs(&Value::Object(schemas.clone()), &mut all);
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("foreign ref {r}"));
            assert!(schemas.contains_key(name), "unresolvable ref {r}");
        }
        assert_eq!(kube_markers::unplaced(&schemas), Vec::<String>::new());
        let owners =
            find(&schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", &["properties", "ownerReferences"]);
        assert_eq!(owners["x-kubernetes-list-map-keys"], json!(["uid"]));
        assert_eq!(owners["x-kubernetes-patch-merge-key"], "uid");
        let finalizers =
            find(&schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", &["properties", "finalizers"]);
        assert_eq!(finalizers["x-kubernetes-list-type"], "set");
    }
    let shoot = all_definitions(&ApiProfile::Shoot.registry());
    let containers = find(&shoot, "io.k8s.api.core.v1.PodSpec", &["properties", "containers"]);
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    let subjects = find(&shoot, "io.k8s.api.rbac.v1.RoleBinding", &["properties", "subjects"]);
    assert_eq!(subjects["x-kubernetes-list-type"], "atomic");
    let role_ref = find(&shoot, "io.k8s.api.rbac.v1.RoleRef", &[]);
    assert_eq!(role_ref["x-kubernetes-map-type"], "atomic");

    let garden = all_definitions(&ApiProfile::Garden.registry());
    let shoot_kind =
        garden.iter().find(|(k, _)| *k == "Shoot" || k.ends_with(".Shoot")).map(|(_, v)| v).expect("Shoot schema");
    let spec = deref(&garden, &shoot_kind["properties"]["spec"]);
    let provider = deref(&garden, &spec["properties"]["provider"]);
    let workers = &provider["properties"]["workers"];
    assert_eq!(workers["x-kubernetes-list-type"], "map");
    assert_eq!(workers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(workers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(workers["x-kubernetes-patch-strategy"], "merge");
}

#[test]
fn documents_publish_list_kinds_status_and_kube_operations() {
    let doc = OpenApi::build(&ApiProfile::Shoot.registry()).document("apis/rbac.authorization.k8s.io/v1").unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [paths::STATUS, paths::LIST_META, paths::WATCH_EVENT, paths::DELETE_OPTIONS, paths::PATCH] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
    let list = &schemas["io.k8s.api.rbac.v1.RoleBindingList"];
    assert_eq!(list["properties"]["metadata"]["$ref"], format!("#/components/schemas/{}", paths::LIST_META));
    assert_eq!(list["properties"]["items"]["items"]["$ref"], "#/components/schemas/io.k8s.api.rbac.v1.RoleBinding");
    let coll = &doc["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings"];
    assert_eq!(coll["get"]["operationId"], "listRbacAuthorizationV1NamespacedRoleBinding");
    assert_eq!(
        coll["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.rbac.v1.RoleBindingList"
    );
    assert_eq!(
        coll["get"]["responses"]["200"]["content"]["application/json;stream=watch"]["schema"]["$ref"],
        format!("#/components/schemas/{}", paths::WATCH_EVENT)
    );
    assert_eq!(coll["delete"]["operationId"], "deleteRbacAuthorizationV1CollectionNamespacedRoleBinding");
    assert_eq!(
        coll["delete"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        format!("#/components/schemas/{}", paths::STATUS)
    );
    let item = &doc["paths"]["/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/{name}"];
    assert_eq!(
        item["delete"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        format!("#/components/schemas/{}", paths::DELETE_OPTIONS)
    );
    assert!(doc["paths"]["/apis/rbac.authorization.k8s.io/v1/rolebindings"]["get"]["operationId"]
        .as_str()
        .is_some_and(|id| id == "listRbacAuthorizationV1RoleBindingForAllNamespaces"));
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("foreign ref {r}"));
        assert!(schemas.contains_key(name), "unresolvable ref {r}");
    }
}

#[test]
fn subresources_are_published() {
    let doc = OpenApi::build(&ApiProfile::Garden.registry()).document("apis/core.gardener.cloud/v1beta1").unwrap();
    let shoots = "/apis/core.gardener.cloud/v1beta1/namespaces/{namespace}/shoots";
    assert_eq!(doc["paths"][shoots]["post"]["operationId"], "createCoreGardenerCloudV1beta1NamespacedShoot");
    assert_eq!(
        doc["paths"][format!("{shoots}/{{name}}/status")]["put"]["operationId"],
        "replaceCoreGardenerCloudV1beta1NamespacedShootStatus"
    );
    assert!(doc["paths"][format!("{shoots}/{{name}}/binding")]["post"].is_object());
    assert!(doc["components"]["schemas"]["ShootList"].is_object());
}

#[test]
fn v2_references_resolve_and_bodies_become_parameters() {
    let openapi = OpenApi::build(&ApiProfile::Aggregated.registry());
    let doc = openapi.v2();
    assert_eq!(doc["swagger"], "2.0");
    let definitions = doc["definitions"].as_object().unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.strip_prefix(v2::V2_REFS).unwrap_or_else(|| panic!("a v3 reference left: {r}"));
        assert!(definitions.contains_key(name), "{name} is not defined");
    }
    let create = &doc["paths"]["/apis/core.gardener.cloud/v1beta1/namespaces/{namespace}/shoots"]["post"];
    let body = create["parameters"].as_array().unwrap().iter().find(|p| p["in"] == "body").unwrap();
    let shoot = body["schema"]["$ref"].as_str().unwrap().strip_prefix(v2::V2_REFS).unwrap();
    assert_eq!(create["responses"]["201"]["schema"]["$ref"], body["schema"]["$ref"]);
    assert_eq!(create["consumes"][0], "application/json");
    let gvk = &definitions[shoot]["x-kubernetes-group-version-kind"];
    assert_eq!(gvk[0]["kind"], "Shoot");
    for p in create["parameters"].as_array().unwrap().iter().filter(|p| p["in"] != "body") {
        assert!(p.get("schema").is_none() && p.get("type").is_some(), "{p}");
    }
}
