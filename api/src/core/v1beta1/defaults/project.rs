//! Project defaults (static defaults plus Gardener's ProjectMutator).

use super::super::common::Toleration;
use super::super::project::*;
use crate::constants::{GARDEN_NAMESPACE, PROJECT_NAMESPACE_PREFIX, SEED_TAINT_PROTECTED};
use k8s_openapi::api::rbac::v1::Subject;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Defaults a Project. `creator` is the requesting user on create (it becomes `createdBy`,
/// overwriting any client value as Gardener does) and `""` on update (createdBy untouched).
/// Owner defaults to the first member with the owner role, else `createdBy`; the owner is added to
/// the members (roles admin+owner) when missing; members default to role `viewer`; the namespace
/// defaults to `garden-<name>`.
pub fn default_project(project: &mut Project, creator: &str) {
    let name = project.metadata.name.clone().unwrap_or_default();
    let spec = &mut project.spec;

    if !creator.is_empty() {
        spec.created_by = Some(Subject {
            api_group: Some(RBAC_GROUP.into()),
            kind: "User".into(),
            name: creator.into(),
            namespace: None,
        });
    }
    for member in &mut spec.members {
        if member.api_group.is_empty() && (member.kind == "User" || member.kind == "Group") {
            member.api_group = RBAC_GROUP.into();
        }
        if member.role.is_empty() && member.roles.is_empty() {
            member.role = ROLE_VIEWER.into();
        }
    }
    if spec.owner.is_none() {
        spec.owner = spec
            .members
            .iter()
            .find(|m| m.all_roles().contains(&ROLE_OWNER))
            .map(ProjectMember::subject)
            .or_else(|| spec.created_by.clone());
    }
    if let Some(owner) = spec.owner.as_mut() {
        if owner.api_group.as_deref().unwrap_or("").is_empty() && (owner.kind == "User" || owner.kind == "Group") {
            owner.api_group = Some(RBAC_GROUP.into());
        }
        let owner = owner.clone();
        if !spec.members.iter().any(|m| same_subject(&m.subject(), &owner)) {
            spec.members.push(ProjectMember {
                api_group: owner.api_group.clone().unwrap_or_default(),
                kind: owner.kind.clone(),
                name: owner.name.clone(),
                namespace: owner.namespace.clone().unwrap_or_default(),
                role: ROLE_ADMIN.into(),
                roles: vec![ROLE_OWNER.into()],
            });
        }
    }
    if spec.namespace.is_none() && !name.is_empty() {
        spec.namespace = Some(format!("{PROJECT_NAMESPACE_PREFIX}{name}"));
    }
    if spec.namespace.as_deref() == Some(GARDEN_NAMESPACE) {
        let tolerations = spec.tolerations.get_or_insert_with(Default::default);
        for list in [&mut tolerations.whitelist, &mut tolerations.defaults] {
            if !list.iter().any(|t| t.key == SEED_TAINT_PROTECTED) {
                list.push(Toleration { key: SEED_TAINT_PROTECTED.into(), value: None });
            }
        }
    }
}

fn same_subject(a: &Subject, b: &Subject) -> bool {
    a.kind == b.kind
        && a.name == b.name
        && a.api_group.as_deref().unwrap_or("") == b.api_group.as_deref().unwrap_or("")
        && a.namespace.as_deref().unwrap_or("") == b.namespace.as_deref().unwrap_or("")
}
