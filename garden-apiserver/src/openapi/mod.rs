//! OpenAPI v3 documents generated from the Rust types (schemars), one per group-version, with the
//! `x-kubernetes-group-version-kind` extensions and `fieldValidation` parameter kubectl looks for.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::Response;
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::registry::{Registry, ResourceType};

mod kube_markers;
use crate::request::{bytes_response, Body};

/// Pre-rendered documents.
pub struct OpenApi {
    index: Bytes,
    /// "apis/core.gardener.cloud/v1beta1" or "api/v1" -> document.
    docs: BTreeMap<String, Bytes>,
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
        Self { index, docs }
    }

    /// `rest` is the path after `/openapi/v3/`.
    pub fn serve(&self, rest: &str) -> Option<Response<Body>> {
        if rest.is_empty() {
            return Some(bytes_response(200, "application/json", self.index.clone(), &[]));
        }
        self.docs.get(rest).map(|d| bytes_response(200, "application/json", d.clone(), &[]))
    }
}

fn hex(b: &[u8]) -> String {
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

fn group_version_doc(types: &[&ResourceType]) -> Value {
    let (schemas, names) = definitions(types);
    let refs: Vec<(&&ResourceType, &String)> = types.iter().zip(&names).collect();
    let mut paths = Map::new();
    for (rt, name) in &refs {
        add_paths(&mut paths, rt, name);
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "garden-apiserver", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn param(name: &str, location: &str, description: &str) -> Value {
    let mut p = json!({"name": name, "in": location, "description": description, "schema": {"type": "string", "uniqueItems": true}});
    if location == "path" {
        p["required"] = json!(true);
    }
    p
}

fn add_paths(paths: &mut Map<String, Value>, rt: &ResourceType, schema: &str) {
    let base =
        if rt.group.is_empty() { format!("/api/{}", rt.version) } else { format!("/apis/{}/{}", rt.group, rt.version) };
    let collection = if rt.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}", rt.plural)
    } else {
        format!("{base}/{}", rt.plural)
    };
    let item = format!("{collection}/{{name}}");
    let obj_ref = json!({"$ref": format!("#/components/schemas/{schema}")});
    let ok =
        |code: &str| json!({code: {"description": "OK", "content": {"application/json": {"schema": obj_ref.clone()}}}});
    let op = |action: &str, id: String, extra: Vec<Value>, code: &str| {
        let mut params = vec![
            param("dryRun", "query", "When present, indicates that modifications should not be persisted."),
            param("fieldManager", "query", "Name of the actor making the change."),
            param(
                "fieldValidation",
                "query",
                "How to treat unknown or duplicate fields: Ignore, Warn (default) or Strict.",
            ),
        ];
        if action == "get" || action == "list" || action == "delete" {
            params.clear();
        }
        params.extend(extra);
        json!({
            "operationId": id,
            "parameters": params,
            "responses": ok(code),
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk(rt),
        })
    };
    let mut coll_params = vec![];
    if rt.namespaced {
        coll_params.push(param("namespace", "path", "object name and auth scope, such as for teams and projects"));
    }
    let mut item_params = coll_params.clone();
    item_params.push(param("name", "path", format!("name of the {}", rt.kind).as_str()));
    let mut coll = Map::new();
    coll.insert("parameters".into(), Value::Array(coll_params));
    coll.insert("post".into(), op("post", format!("create{}", rt.kind), vec![], "201"));
    if !rt.create_only {
        coll.insert("get".into(), op("list", format!("list{}", rt.kind), vec![], "200"));
        let mut i = Map::new();
        i.insert("parameters".into(), Value::Array(item_params));
        i.insert("get".into(), op("get", format!("read{}", rt.kind), vec![], "200"));
        i.insert("put".into(), op("put", format!("replace{}", rt.kind), vec![], "200"));
        i.insert(
            "patch".into(),
            op(
                "patch",
                format!("patch{}", rt.kind),
                vec![param("force", "query", "Force is going to \"force\" Apply requests.")],
                "200",
            ),
        );
        i.insert("delete".into(), op("delete", format!("delete{}", rt.kind), vec![], "200"));
        paths.insert(item, Value::Object(i));
    }
    paths.insert(collection, Value::Object(coll));
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
}
