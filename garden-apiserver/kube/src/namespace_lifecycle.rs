//! NamespaceLifecycle: no new objects in namespaces that do not exist or are terminating; the system
//! namespaces cannot be deleted.

use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::ApiError;

const IMMORTAL: &[&str] = &["default", "kube-system", "kube-public", "garden"];

pub struct NamespaceLifecycle;

impl Plugin for NamespaceLifecycle {
    fn name(&self) -> &'static str {
        "NamespaceLifecycle"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if a.is("", "namespaces") {
            if a.operation == Operation::Delete && IMMORTAL.contains(&a.name) {
                return Err(ApiError::forbidden("", "namespaces", a.name, "this namespace may not be deleted"));
            }
            return Ok(());
        }
        if a.operation != Operation::Create || !a.resource.namespaced {
            return Ok(());
        }
        let Some(ns) = lookup.get("", "namespaces", "", a.namespace) else {
            return Err(ApiError::new(404, "NotFound", format!("namespaces \"{}\" not found", a.namespace)));
        };
        if ns.pointer("/metadata/deletionTimestamp").is_some() {
            return Err(ApiError::forbidden(
                a.resource.group,
                a.resource.plural,
                a.name,
                &format!("unable to create new content in namespace {} because it is being terminated", a.namespace),
            ));
        }
        Ok(())
    }
}
