//! Gardener's admission plugins (gardener-apiserver's), on the framework of `api_machinery::admission`.

use api_machinery::admission::Chain;

pub mod backup_entry_protection;
pub mod deletion_confirmation;
pub mod machine_class_reference;
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
pub fn gardener_chain() -> Chain {
    Chain(vec![
        Box::new(kube_registry::namespace_lifecycle::NamespaceLifecycle),
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

/// Test helpers shared by the plugins' unit tests: an in-memory `Lookup` and a one-plugin runner.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;
    use std::sync::Arc;

    use serde_json::Value;

    use api_machinery::admission::{Attributes, Decoded, Lookup, Operation, Plugin};
    use api_machinery::authz::UserInfo;
    use api_machinery::error::ApiError;
    use api_machinery::registry::ResourceType;

    use crate::profiles::ApiProfile;

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
        let registry = ApiProfile::Garden.registry();
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
            decoded: Decoded::default(),
        };
        plugin.mutate(&mut attrs, lookup)?;
        plugin.validate(&attrs, lookup)?;
        Ok(obj)
    }
}
