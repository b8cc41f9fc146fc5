//! OpenAPI v3 documents generated from the Rust types (schemars), one per group-version, with the
//! x-kubernetes extensions kubectl and server-side apply read, list kinds, and kube's operations (`paths`).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::registry::{Registry, ResourceType};

pub mod kube_markers;
pub mod paths;
pub mod v2;
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
        self.v2_with(&[])
    }

    /// `/openapi/v2` of this server's group-versions and the v3 group-version documents `others` (an
    /// aggregator's merge of the servers behind it); where two define a schema of the same name, this server's wins.
    pub fn v2_with(&self, others: &[Arc<Value>]) -> Value {
        let docs: Vec<Value> = self.docs.values().filter_map(|d| serde_json::from_slice(d).ok()).collect();
        v2::convert(docs.iter().chain(others.iter().map(|d| d.as_ref())))
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

    /// The document of one group-version, by its index key (`api/v1`, `apis/<group>/<version>`).
    pub fn document(&self, key: &str) -> Option<Value> {
        self.docs.get(key).and_then(|d| serde_json::from_slice(d).ok())
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
