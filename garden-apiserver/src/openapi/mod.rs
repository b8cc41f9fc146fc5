//! OpenAPI v3 documents generated from the Rust types (schemars), one per group-version, with the
//! x-kubernetes extensions kubectl and server-side apply read, list kinds, and kube's operations (`paths`).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::Response;
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::registry::{Registry, ResourceType};

mod kube_markers;
mod paths;
mod v2;
use crate::request::{bytes_response, Body};

/// Pre-rendered documents.
pub struct OpenApi {
    index: Bytes,
    /// "apis/core.gardener.cloud/v1beta1" or "api/v1" -> document.
    docs: BTreeMap<String, Bytes>,
    /// `/openapi/v2`, converted on first use.
    v2: std::sync::OnceLock<Bytes>,
}

impl OpenApi {
    pub fn build(registry: &Registry) -> Self {
        let mut docs = BTreeMap::new();
        let mut paths = Map::new();
        for (group, versions) in registry.groups() {
            for version in versions {
                let key = if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") };
                let types: Vec<&ResourceType> = registry
                    .all()
                    .iter()
                    .filter(|rt| rt.group == group && rt.version == version)
                    .map(|a| a.as_ref())
                    .collect();
                let doc = serde_json::to_vec(&group_version_doc(&types)).unwrap_or_default();
                let hash = hex(&Sha256::digest(&doc));
                paths.insert(key.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}")}));
                docs.insert(key, Bytes::from(doc));
            }
        }
        let index = Bytes::from(serde_json::to_vec(&json!({"paths": paths})).unwrap_or_default());
        Self { index, docs, v2: std::sync::OnceLock::new() }
    }

    /// `/openapi/v2`: every group-version in one Swagger 2.0 document.
    pub fn v2(&self) -> Value {
        let docs: Vec<Value> = self.docs.values().filter_map(|d| serde_json::from_slice(d).ok()).collect();
        v2::convert(&docs)
    }

    /// The `/openapi/v3` index as JSON.
    pub fn index(&self) -> serde_json::Value {
        serde_json::from_slice(&self.index).unwrap_or_default()
    }

    /// The `/openapi/v2` response.
    pub fn serve_v2(&self) -> Response<Body> {
        let doc = self.v2.get_or_init(|| Bytes::from(serde_json::to_vec(&self.v2()).unwrap_or_default()));
        bytes_response(200, "application/json", doc.clone(), &[])
    }

    /// `rest` is the path after `/openapi/v3/`.
    pub fn serve(&self, rest: &str) -> Option<Response<Body>> {
        if rest.is_empty() {
            return Some(bytes_response(200, "application/json", self.index.clone(), &[]));
        }
        self.docs.get(rest).map(|d| bytes_response(200, "application/json", d.clone(), &[]))
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn gvk(rt: &ResourceType) -> Value {
    json!({"group": rt.group, "version": rt.version, "kind": rt.kind})
}

/// The OpenAPI v3 schemas (`components.schemas`, refs as `#/components/schemas/<name>`) of `types` and of
/// everything they reference, carrying the `x-kubernetes-*` extensions (kube's list, map and patch markers on the
/// built-in types, Gardener's on the Gardener types, and each kind's group-version-kind); and the schema name of each type, in the
/// order of `types`. The documents are built from these, and so is the schema information of server-side apply and
/// strategic merge patch.
pub fn definitions(types: &[&ResourceType]) -> (Map<String, Value>, Vec<String>) {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut names = Vec::new();
    for rt in types {
        rt.codec.schema(&mut generator);
        names.push(rt.codec.schema_name());
    }
    let mut schemas = generator.take_definitions(true);
    kube_markers::apply(&mut schemas);
    for (rt, name) in types.iter().zip(&names) {
        if let Some(Value::Object(s)) = schemas.get_mut(name) {
            s.insert("x-kubernetes-group-version-kind".into(), json!([gvk(rt)]));
        }
    }
    (schemas, names)
}

/// The list kind of a kind (`io.k8s.api.rbac.v1.RoleBindingList`), as kube publishes it.
fn list_schema(rt: &ResourceType, item: &str) -> Value {
    json!({
        "description": format!("{}List is a list of {}.", rt.kind, rt.kind),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": "The versioned schema of this representation of an object.", "type": "string"},
            "kind": {"description": "The REST resource this object represents.", "type": "string"},
            "metadata": {"$ref": format!("#/components/schemas/{}", paths::LIST_META)},
            "items": {"description": format!("List of {}.", rt.plural), "type": "array",
                "items": {"$ref": format!("#/components/schemas/{item}")}},
        },
        "x-kubernetes-group-version-kind": [{"group": rt.group, "version": rt.version, "kind": format!("{}List", rt.kind)}],
    })
}

/// The meta/v1 (and subresource) schemas every document refers to.
fn common_schemas() -> Map<String, Value> {
    use k8s_openapi::api::{authentication::v1::TokenRequest, autoscaling::v1::Scale};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
    let mut generator = SchemaSettings::openapi3().into_generator();
    generator.subschema_for::<meta::Status>();
    generator.subschema_for::<meta::ListMeta>();
    generator.subschema_for::<meta::ObjectMeta>();
    generator.subschema_for::<meta::WatchEvent<Value>>();
    generator.subschema_for::<meta::DeleteOptions>();
    generator.subschema_for::<meta::Patch>();
    generator.subschema_for::<Scale>();
    generator.subschema_for::<TokenRequest>();
    let mut schemas = generator.take_definitions(true);
    kube_markers::apply(&mut schemas);
    schemas
}

fn group_version_doc(types: &[&ResourceType]) -> Value {
    let (mut schemas, names) = definitions(types);
    for (name, schema) in common_schemas() {
        schemas.entry(name).or_insert(schema);
    }
    let mut paths = Map::new();
    for (rt, name) in types.iter().zip(&names) {
        if rt.create_only {
            paths::add(&mut paths, rt, name, "");
            continue;
        }
        let list = format!("{name}List");
        schemas.insert(list.clone(), list_schema(rt, name));
        paths::add(&mut paths, rt, name, &list);
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "garden-apiserver", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

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
        for registry in [Registry::standard(), Registry::shoot()] {
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
        let shoot = all_definitions(&Registry::shoot());
        let containers = find(&shoot, "io.k8s.api.core.v1.PodSpec", &["properties", "containers"]);
        assert_eq!(containers["x-kubernetes-list-type"], "map");
        assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        let subjects = find(&shoot, "io.k8s.api.rbac.v1.RoleBinding", &["properties", "subjects"]);
        assert_eq!(subjects["x-kubernetes-list-type"], "atomic");
        let role_ref = find(&shoot, "io.k8s.api.rbac.v1.RoleRef", &[]);
        assert_eq!(role_ref["x-kubernetes-map-type"], "atomic");

        let garden = all_definitions(&Registry::standard());
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
        let registry = Registry::shoot();
        let types: Vec<&ResourceType> =
            registry.all().iter().filter(|rt| rt.group == "rbac.authorization.k8s.io").map(|a| a.as_ref()).collect();
        let doc = group_version_doc(&types);
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
        let registry = Registry::standard();
        let types: Vec<&ResourceType> =
            registry.all().iter().filter(|rt| rt.group == "core.gardener.cloud").map(|a| a.as_ref()).collect();
        let doc = group_version_doc(&types);
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
        let openapi = OpenApi::build(&Registry::aggregated());
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
}
