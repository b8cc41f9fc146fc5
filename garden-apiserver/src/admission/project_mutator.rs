//! ProjectMutator: defaults a Project from the request (Gardener's ProjectMutator) and keeps project namespaces
//! unique (the namespace check of Gardener's ResourceReferenceManager).
//!
//! - mutate, create: `spec.createdBy` = the requesting user, `spec.owner` = the first member with the owner role
//!   or the creator, the owner added as member (admin+owner), `spec.namespace` = `garden-<name>`;
//!   update: the owner is (re-)added to the members;
//! - validate: a `spec.namespace` already used by another Project is refused (403) on create and whenever an
//!   update sets or changes it.

use garden_api::core::v1beta1::defaults::default_project;
use garden_api::core::v1beta1::Project;

use super::resource_reference_manager::CORE;
use api_machinery::admission::decode;
use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::ApiError;

pub struct ProjectMutator;

impl Plugin for ProjectMutator {
    fn name(&self) -> &'static str {
        "ProjectMutator"
    }

    fn mutate(&self, a: &mut Attributes<'_>, _lookup: &dyn Lookup) -> Result<(), ApiError> {
        if !a.is(CORE, "projects") || !a.subresource.is_empty() {
            return Ok(());
        }
        let creator = match a.operation {
            Operation::Create => a.user.name.clone(),
            Operation::Update => String::new(),
            Operation::Delete => return Ok(()),
        };
        let Some(obj) = a.obj.as_deref_mut() else { return Ok(()) };
        let original: Project = decode(obj)?;
        if a.operation == Operation::Update && original.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let mut project = original.clone();
        default_project(&mut project, &creator);
        if project != original {
            *obj = serde_json::to_value(&project).map_err(|e| ApiError::internal(e.to_string()))?;
        }
        Ok(())
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if !a.is(CORE, "projects") || !a.subresource.is_empty() {
            return Ok(());
        }
        if !matches!(a.operation, Operation::Create | Operation::Update) {
            return Ok(());
        }
        let Some(obj) = a.obj.as_deref() else { return Ok(()) };
        let project: Project = decode(obj)?;
        let Some(namespace) = project.spec.namespace.as_deref().filter(|n| !n.is_empty()) else { return Ok(()) };
        if a.operation == Operation::Update {
            let old: Project = a.old.map(decode).transpose()?.unwrap_or_default();
            if old.spec.namespace.as_deref() == Some(namespace) {
                return Ok(());
            }
        }
        let taken = lookup.list(CORE, "projects", "").iter().any(|p| {
            p.pointer("/spec/namespace").and_then(|n| n.as_str()) == Some(namespace)
                && p.pointer("/metadata/name").and_then(|n| n.as_str()) != Some(a.name)
        });
        if taken {
            return Err(ApiError::forbidden(
                CORE,
                "projects",
                a.name,
                &format!("namespace {namespace:?} is already used by another project"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::{json, Value};

    fn project(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Project", "metadata": {"name": name}, "spec": spec})
    }

    #[test]
    fn create_defaults_creator_owner_and_namespace() {
        let out = admit(
            &ProjectMutator,
            &FakeLookup::default(),
            Operation::Create,
            CORE,
            "projects",
            "",
            Some(project("dev", json!({}))),
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(out["spec"]["createdBy"]["name"], "alice");
        assert_eq!(out["spec"]["owner"]["name"], "alice");
        assert_eq!(out["spec"]["namespace"], "garden-dev");
        let members = out["spec"]["members"].as_array().unwrap();
        assert_eq!(members.len(), 1);
        assert_eq!(members[0]["name"], "alice");
        assert!(members[0]["roles"].as_array().unwrap().contains(&json!("owner")), "{out}");
    }

    #[test]
    fn namespace_collision_refused() {
        let l = FakeLookup::default().with(CORE, "projects", project("dev", json!({"namespace": "garden-dev"})));
        let e = admit(
            &ProjectMutator,
            &l,
            Operation::Create,
            CORE,
            "projects",
            "",
            Some(project("other", json!({"namespace": "garden-dev"}))),
            None,
        )
        .unwrap_err();
        assert_eq!(e.code, 403);
        assert!(e.message.contains(r#"namespace "garden-dev" is already used by another project"#), "{e}");
        // The project itself, and another free namespace, are fine.
        admit(&ProjectMutator, &l, Operation::Create, CORE, "projects", "", Some(project("other", json!({}))), None)
            .unwrap();
        let p = project("dev", json!({"namespace": "garden-dev"}));
        admit(&ProjectMutator, &l, Operation::Update, CORE, "projects", "", Some(p.clone()), Some(p)).unwrap();
    }
}
