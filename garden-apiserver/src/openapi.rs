//! OpenAPI v3 documents generated from the Rust types (schemars), one per group-version, with the
//! `x-kubernetes-group-version-kind` extensions and `fieldValidation` parameter kubectl looks for.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::Response;
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::registry::{Registry, ResourceType};
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
/// everything they reference, carrying the `x-kubernetes-*` extensions; and the schema name of each type, in the
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
