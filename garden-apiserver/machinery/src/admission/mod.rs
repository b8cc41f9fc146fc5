//! Admission: an ordered chain of named plugins that may mutate and/or refuse a write, run after defaulting and
//! schema validation and before storage. Plugins read other objects through `Lookup` (the watch caches).

use std::any::Any;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::authz::UserInfo;
use crate::error::ApiError;
use crate::registry::ResourceType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

/// Everything a plugin may look at; `obj` is mutable for mutating plugins.
pub struct Attributes<'a> {
    pub operation: Operation,
    pub resource: &'a ResourceType,
    /// "" for the main resource, else "status", "binding", ...
    pub subresource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    /// The new object (Create/Update); for Delete, None.
    pub obj: Option<&'a mut Value>,
    /// The stored object (Update/Delete).
    pub old: Option<&'a Value>,
    pub user: &'a UserInfo,
    pub dry_run: bool,
    /// `obj` and `old` decoded as the kind's type, once for all validating plugins.
    pub decoded: Decoded,
}

/// Typed forms of an admission request's objects (see [`Attributes::new_as`]).
#[derive(Default)]
pub struct Decoded {
    new: OnceLock<Box<dyn Any + Send + Sync>>,
    old: OnceLock<Box<dyn Any + Send + Sync>>,
}

/// Decodes an admission object into its typed form (400 when it does not fit).
pub fn decode<T: DeserializeOwned>(v: &Value) -> Result<T, ApiError> {
    crate::registry::from_json(v).map_err(|e| ApiError::bad_request(format!("could not decode object: {e}")))
}

/// `v` decoded as `T`, kept in `cell` for the next caller.
fn decode_once<'c, T: DeserializeOwned + Send + Sync + 'static>(
    cell: &'c OnceLock<Box<dyn Any + Send + Sync>>,
    v: &Value,
) -> Result<&'c T, ApiError> {
    if cell.get().is_none() {
        let typed: T = decode(v)?;
        let _ = cell.set(Box::new(typed));
    }
    cell.get()
        .and_then(|b| b.downcast_ref::<T>())
        .ok_or_else(|| ApiError::internal("admission decoded one object as two different types"))
}

impl Attributes<'_> {
    /// The new object as `T`, decoded on first use and shared by the validating plugins (which cannot change
    /// it; the mutating phase drops the typed forms after every plugin).
    pub fn new_as<T: DeserializeOwned + Send + Sync + 'static>(&self) -> Result<Option<&T>, ApiError> {
        self.obj.as_deref().map(|v| decode_once(&self.decoded.new, v)).transpose()
    }

    /// The stored object as `T` (Update and Delete), decoded once like [`Attributes::new_as`].
    pub fn old_as<T: DeserializeOwned + Send + Sync + 'static>(&self) -> Result<Option<&T>, ApiError> {
        self.old.map(|v| decode_once(&self.decoded.old, v)).transpose()
    }

    /// `group/plural` of the resource, e.g. `core.gardener.cloud/shoots`.
    pub fn is(&self, group: &str, plural: &str) -> bool {
        self.resource.group == group && self.resource.plural == plural
    }
}

/// Read access to stored objects for admission decisions (served from the watch caches, so possibly a few
/// milliseconds stale, like kube's informer-based plugins).
pub trait Lookup: Send + Sync {
    fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Arc<Value>>;
    /// All objects of a kind, in one namespace or ("" ) across all.
    fn list(&self, group: &str, plural: &str, namespace: &str) -> Vec<Arc<Value>>;
}

/// One admission plugin (kube's admission.Interface). Like kube-apiserver, all mutating steps run first (in
/// chain order), then the kind's own validation, then all validating steps.
pub trait Plugin: Send + Sync {
    /// Gardener/kube plugin name, e.g. `ShootValidator`.
    fn name(&self) -> &'static str;
    /// Mutating phase (defaults from other objects, annotations, ...).
    fn mutate(&self, _attrs: &mut Attributes<'_>, _lookup: &dyn Lookup) -> Result<(), ApiError> {
        Ok(())
    }
    /// Validating phase: refuse, never change.
    fn validate(&self, _attrs: &Attributes<'_>, _lookup: &dyn Lookup) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The ordered chain.
pub struct Chain(pub Vec<Box<dyn Plugin>>);

impl Chain {
    pub fn mutate(&self, attrs: &mut Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        for p in &self.0 {
            p.mutate(attrs, lookup)
                .inspect_err(|e| tracing::debug!(plugin = p.name(), error = %e, "admission refused"))?;
            attrs.decoded = Decoded::default();
        }
        Ok(())
    }
    pub fn validate(&self, attrs: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        for p in &self.0 {
            p.validate(attrs, lookup)
                .inspect_err(|e| tracing::debug!(plugin = p.name(), error = %e, "admission refused"))?;
        }
        Ok(())
    }
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|p| p.name()).collect()
    }
}
