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

/// `v` decoded as `T`, kept in `cell` for the next caller.
fn decode_once<'c, T: DeserializeOwned + Send + Sync + 'static>(
    cell: &'c OnceLock<Box<dyn Any + Send + Sync>>,
    v: &Value,
) -> Result<&'c T, ApiError> {
    if cell.get().is_none() {
        let typed: T = resource_reference_manager::decode(v)?;
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

pub mod backup_entry_protection;
pub mod deletion_confirmation;
pub mod machine_class_reference;
pub mod namespace_lifecycle;
pub mod project_mutator;
pub mod provider_aws_validator;
pub mod provider_openstack_validator;
mod provider_validation;
pub mod resource_reference_manager;
pub mod seed_validator;
pub mod shoot_mutator;
pub mod shoot_quota_validator;
pub mod shoot_validator;

/// The server's plugins in Gardener's order (`AllPluginNames` of gardener-apiserver, restricted to the plugins
/// served here). Mutating phases of all plugins run before any validating phase.
pub fn standard_chain() -> Chain {
    Chain(vec![
        Box::new(namespace_lifecycle::NamespaceLifecycle),
        Box::new(resource_reference_manager::ResourceReferenceManager),
        Box::new(shoot_quota_validator::ShootQuotaValidator),
        Box::new(shoot_mutator::ShootMutator),
        Box::new(shoot_validator::ShootValidator),
        Box::new(provider_aws_validator::ProviderAwsValidator),
        Box::new(provider_openstack_validator::ProviderOpenstackValidator),
        Box::new(seed_validator::SeedValidator),
        Box::new(project_mutator::ProjectMutator),
        Box::new(deletion_confirmation::DeletionConfirmation),
        Box::new(backup_entry_protection::BackupEntryProtection),
        Box::new(machine_class_reference::MachineClassReference),
    ])
}

/// The chain of a shoot cluster's API server (`--api-profile shoot`): no Gardener plugins.
pub fn shoot_chain() -> Chain {
    Chain(vec![Box::new(namespace_lifecycle::NamespaceLifecycle)])
}

/// Test helpers shared by the plugins' unit tests: an in-memory `Lookup` and a one-plugin runner.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;
    use std::sync::Arc;

    use serde_json::Value;

    use super::{Attributes, Lookup, Operation, Plugin};
    use crate::authz::UserInfo;
    use crate::error::ApiError;
    use crate::registry::{Registry, ResourceType};

    /// (group, plural, namespace, name).
    pub(crate) type Key = (String, String, String, String);

    /// Objects keyed by (group, plural, namespace, name).
    #[derive(Default)]
    pub(crate) struct FakeLookup(pub HashMap<Key, Arc<Value>>);

    impl FakeLookup {
        /// Stores `obj` under its own `metadata.namespace`/`metadata.name`.
        pub(crate) fn with(mut self, group: &str, plural: &str, obj: Value) -> Self {
            let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_string();
            let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
            self.0.insert((group.into(), plural.into(), ns, name), Arc::new(obj));
            self
        }
    }

    impl Lookup for FakeLookup {
        fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Arc<Value>> {
            self.0.get(&(group.into(), plural.into(), namespace.into(), name.into())).cloned()
        }
        fn list(&self, group: &str, plural: &str, namespace: &str) -> Vec<Arc<Value>> {
            let mut out: Vec<(&Key, &Arc<Value>)> = self
                .0
                .iter()
                .filter(|(k, _)| k.0 == group && k.1 == plural && (namespace.is_empty() || k.2 == namespace))
                .collect();
            out.sort_by(|a, b| a.0.cmp(b.0));
            out.into_iter().map(|(_, v)| v.clone()).collect()
        }
    }

    /// The served `ResourceType` of `group/plural`.
    pub(crate) fn resource(group: &str, plural: &str) -> Arc<ResourceType> {
        let registry = Registry::standard();
        registry
            .all()
            .iter()
            .find(|t| t.group == group && t.plural == plural)
            .cloned()
            .unwrap_or_else(|| panic!("{group}/{plural} not served"))
    }

    /// One admission request through `plugin` (mutate, then validate); returns the admitted object.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn admit(
        plugin: &dyn Plugin,
        lookup: &dyn Lookup,
        operation: Operation,
        group: &str,
        plural: &str,
        subresource: &str,
        obj: Option<Value>,
        old: Option<Value>,
    ) -> Result<Option<Value>, ApiError> {
        let rt = resource(group, plural);
        let source = obj.as_ref().or(old.as_ref()).cloned().unwrap_or(Value::Null);
        let namespace = source.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_string();
        let name = source.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
        let user = UserInfo { name: "alice".into(), ..Default::default() };
        let mut obj = obj;
        let mut attrs = Attributes {
            operation,
            resource: &rt,
            subresource,
            namespace: &namespace,
            name: &name,
            obj: obj.as_mut(),
            old: old.as_ref(),
            user: &user,
            dry_run: false,
            decoded: super::Decoded::default(),
        };
        plugin.mutate(&mut attrs, lookup)?;
        plugin.validate(&attrs, lookup)?;
        Ok(obj)
    }
}
