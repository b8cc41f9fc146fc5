//! Resource registry: one table entry per served kind. Adding a kind = a `ResourceType` + a `Strategy`; the kinds
//! themselves are defined by the crates on top (`kube-registry`, `garden-apiserver`).

pub mod codec;
pub mod table;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

pub use self::codec::{from_json, Codec, TypedCodec};
pub use self::table::Column;
use crate::error::FieldError;

/// Per-kind behaviour beyond the generic REST semantics (kube's "strategy").
pub trait Strategy: Send + Sync {
    /// Static defaulting, run on every write before validation.
    fn default(&self, _obj: &mut Value) {}
    /// Rules for `metadata.name` (kube: DNS-1123 subdomain for most kinds).
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        garden_api::names::validate_object_name(name, "metadata.name", false)
    }
    /// The kind's rules for `obj`; on an update `old` is the stored object (immutable fields etc.).
    fn validate(&self, _obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        Vec::new()
    }
    /// Table columns after NAME (the first, implicit) and before AGE (the last, implicit).
    fn columns(&self) -> Vec<Column> {
        Vec::new()
    }
    /// Cells for `columns()`.
    fn cells(&self, _obj: &Value) -> Vec<Value> {
        Vec::new()
    }
    /// Value of a resource-specific field selector (`metadata.name`/`metadata.namespace` are generic).
    fn field(&self, _obj: &Value, _field: &str) -> Option<String> {
        None
    }
    /// Field selectors this kind supports beyond the metadata ones.
    fn field_selectors(&self) -> &'static [&'static str] {
        &[]
    }
}

/// The plain strategy for kinds with no special rules.
pub struct Plain;
impl Strategy for Plain {}

/// One served kind.
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Subresources served: "status", "binding", "adminkubeconfig", ...
    pub subresources: &'static [&'static str],
    /// Subresources that take a `create` the kind's registry answers itself (their names are in `subresources`).
    pub actions: &'static [Action],
    /// Only `create` (reviews): nothing is stored.
    pub create_only: bool,
    /// Where the `scale` subresource (listed in `subresources`) finds its values, like a CRD's
    /// `subresources.scale`.
    pub scale: Option<ScalePaths>,
    pub codec: Box<dyn Codec>,
    pub strategy: Box<dyn Strategy>,
}

/// A `create` on a subresource that the registry of a kind implements itself, like Gardener's
/// `shoots/adminkubeconfig`: it takes and returns `kind` of `group/version` (discovery lists them).
pub struct Action {
    pub subresource: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub create: ActionFn,
}

/// The handler of an [`Action`]: the request (authorized already), the kind, and the request body.
pub type ActionFn =
    for<'a> fn(
        &'a crate::handler::ReqCtx,
        &'a ResourceType,
        &'a [u8],
    ) -> futures::future::BoxFuture<'a, crate::error::ApiResult<http::Response<crate::request::Body>>>;

/// The `scale` subresource of a kind (kube's `CustomResourceSubresourceScale`, with JSON pointers): an
/// `autoscaling/v1` `Scale` whose `spec.replicas` is read from and written to `spec_replicas`, whose
/// `status.replicas` is read from `status_replicas` (0 when absent) and whose `status.selector` is the value at
/// `label_selector`: a selector string as a CRD's `labelSelectorPath` names, or a `LabelSelector` object (as
/// Deployments' `spec.selector`), formatted as a string the way kube does for the built-in workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: &'static str,
    pub status_replicas: &'static str,
    pub label_selector: Option<&'static str>,
}

impl ScalePaths {
    /// `spec.replicas`, `status.replicas` and `spec.selector`: the shape of Deployments, ReplicaSets,
    /// StatefulSets and MCM's MachineDeployments and MachineSets.
    pub const REPLICAS: ScalePaths = ScalePaths {
        spec_replicas: "/spec/replicas",
        status_replicas: "/status/replicas",
        label_selector: Some("/spec/selector"),
    };
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// etcd key prefix for all objects of this kind: `/registry/<group>/<plural>/`.
    pub fn key_root(&self, prefix: &str) -> String {
        let group = if self.group.is_empty() { "core" } else { self.group };
        format!("{prefix}/{group}/{}/", self.plural)
    }
    /// The [`Action`] behind subresource `sub`, if the kind has one.
    pub fn action(&self, sub: &str) -> Option<&'static Action> {
        self.actions.iter().find(|a| a.subresource == sub)
    }
    pub fn has_status(&self) -> bool {
        self.subresources.contains(&"status")
    }
    pub fn verbs(&self) -> Vec<&'static str> {
        if self.create_only {
            vec!["create"]
        } else {
            vec!["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        }
    }
}

/// All served kinds, indexed by (group, version, plural) and (group, kind).
pub struct Registry {
    types: Vec<Arc<ResourceType>>,
    by_resource: HashMap<(String, String, String), Arc<ResourceType>>,
    by_kind: HashMap<(String, String), Arc<ResourceType>>,
}

impl Registry {
    pub fn new(types: Vec<ResourceType>) -> Self {
        let types: Vec<Arc<ResourceType>> = types.into_iter().map(Arc::new).collect();
        let mut by_resource = HashMap::new();
        let mut by_kind = HashMap::new();
        for t in &types {
            by_resource.insert((t.group.to_string(), t.version.to_string(), t.plural.to_string()), t.clone());
            by_kind.insert((t.group.to_string(), t.kind.to_string()), t.clone());
        }
        Self { types, by_resource, by_kind }
    }

    pub fn all(&self) -> &[Arc<ResourceType>] {
        &self.types
    }
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<ResourceType>> {
        self.by_resource.get(&(group.to_string(), version.to_string(), plural.to_string()))
    }
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<&Arc<ResourceType>> {
        self.by_kind.get(&(group.to_string(), kind.to_string()))
    }
    /// Group -> versions served, in registration order.
    pub fn groups(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
        for t in &self.types {
            match out.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, vs)) if !vs.contains(&t.version) => vs.push(t.version),
                Some(_) => {}
                None => out.push((t.group, vec![t.version])),
            }
        }
        out
    }
}

/// Read a string at a JSON pointer.
pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    obj.pointer(pointer).and_then(Value::as_str)
}

/// kube's path-segment name rule (RBAC objects, Events): anything but `.`, `..`, and names with `/` or `%`.
pub fn validate_path_segment_name(name: &str) -> Vec<FieldError> {
    if name.is_empty() {
        return vec![FieldError::required("metadata.name", "name or generateName is required")];
    }
    garden_api::names::is_path_segment_name(name, false)
        .iter()
        .map(|m| FieldError::invalid("metadata.name", &Value::String(name.into()), m))
        .collect()
}
