//! Project validation.

use super::super::project::*;
use super::{val, validate_immutable, validate_tolerations};
use crate::constants::{GARDEN_NAMESPACE, PROJECT_NAMESPACE_PREFIX};
use crate::field::FieldError;
use crate::names::{validate_dns1123_label, validate_object_name};
use k8s_openapi::api::rbac::v1::Subject;

/// Max length of a project name.
pub const MAX_PROJECT_NAME_LENGTH: usize = 10;
const EXTENSION_ROLE_MAX_LENGTH: usize = 20;
const RESERVED_NAMESPACES: &[&str] =
    &["gardener-system-seed-lease", "gardener-system-shoot-issuer", "gardener-system-public"];

/// Validates a Project: name (DNS label, <= 10 chars, no `--`), namespace, members, roles, subjects.
pub fn validate_project(project: &Project) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = project.metadata.name.as_deref().unwrap_or("");
    errs.extend(validate_object_name(name, "metadata.name", true));
    if name.len() > MAX_PROJECT_NAME_LENGTH {
        errs.push(FieldError::too_long("metadata.name", MAX_PROJECT_NAME_LENGTH));
    }
    if name.contains("--") {
        errs.push(FieldError::invalid("metadata.name", &val(name), "name may not contain two consecutive hyphens"));
    }
    let spec = &project.spec;
    if let Some(ns) = &spec.namespace {
        if RESERVED_NAMESPACES.contains(&ns.as_str()) {
            errs.push(FieldError::invalid(
                "spec.namespace",
                &val(ns),
                &format!("Project namespaces [{}] are reserved by Gardener", RESERVED_NAMESPACES.join(", ")),
            ));
            return errs;
        }
        if ns != GARDEN_NAMESPACE && !ns.starts_with(PROJECT_NAMESPACE_PREFIX) {
            errs.push(FieldError::invalid(
                "spec.namespace",
                &val(ns),
                &format!("must start with {PROJECT_NAMESPACE_PREFIX}"),
            ));
        }
        errs.extend(validate_dns1123_label(ns, "spec.namespace"));
    }

    let mut ids = std::collections::BTreeSet::new();
    let mut owner_found = false;
    for (i, m) in spec.members.iter().enumerate() {
        let p = format!("spec.members[{i}]");
        let id = format!("{}/{}/{}/{}", m.api_group, m.kind, m.namespace, m.name);
        if !ids.insert(id) {
            errs.push(FieldError::duplicate(&p, &val(m)));
        }
        errs.extend(validate_subject(&m.subject(), &p));
        let mut seen = std::collections::BTreeSet::new();
        let roles = std::iter::once((format!("{p}.role"), &m.role))
            .filter(|(_, r)| !r.is_empty())
            .chain(m.roles.iter().enumerate().map(|(j, r)| (format!("{p}.roles[{j}]"), r)));
        let mut any = false;
        for (rp, role) in roles {
            any = true;
            if !seen.insert(role.clone()) {
                errs.push(FieldError::duplicate(&rp, &val(role)));
            }
            if role == ROLE_OWNER {
                if owner_found {
                    errs.push(FieldError::forbidden(&rp, "cannot have more than one member having the owner role"));
                }
                owner_found = true;
            }
            if let Some(ext) = role.strip_prefix(ROLE_EXTENSION_PREFIX) {
                if ext.len() > EXTENSION_ROLE_MAX_LENGTH {
                    errs.push(FieldError::too_long(&rp, EXTENSION_ROLE_MAX_LENGTH));
                }
                if ext.is_empty() || ext == "." || ext == ".." || ext.contains('/') || ext.contains('%') {
                    errs.push(FieldError::invalid(&rp, &val(role), "may not be '.', '..' or contain '/' or '%'"));
                }
            } else if !SUPPORTED_ROLES.contains(&role.as_str()) {
                let mut supported: Vec<String> = SUPPORTED_ROLES.iter().map(|s| s.to_string()).collect();
                supported.push(format!("{ROLE_EXTENSION_PREFIX}*"));
                errs.push(FieldError::not_supported(&rp, &val(role), &supported));
            }
        }
        if !any {
            errs.push(FieldError::required(format!("{p}.role"), "must specify a role"));
        }
    }
    if let Some(s) = &spec.created_by {
        errs.extend(validate_subject(s, "spec.createdBy"));
    }
    if let Some(s) = &spec.owner {
        errs.extend(validate_subject(s, "spec.owner"));
    }
    if let Some(d) = &spec.description {
        if d.trim().is_empty() {
            errs.push(FieldError::required("spec.description", "must not be empty"));
        }
    }
    if let Some(p) = &spec.purpose {
        if p.trim().is_empty() {
            errs.push(FieldError::required("spec.purpose", "must not be empty"));
        }
    }
    if let Some(t) = &spec.tolerations {
        errs.extend(validate_tolerations(&t.defaults, "spec.tolerations.defaults"));
        errs.extend(validate_tolerations(&t.whitelist, "spec.tolerations.whitelist"));
        for (i, d) in t.defaults.iter().enumerate() {
            if !t.whitelist.contains(d) {
                errs.push(FieldError::forbidden(
                    format!("spec.tolerations.defaults[{i}]"),
                    "only whitelisted tolerations may be used as defaults",
                ));
            }
        }
    }
    errs
}

fn validate_subject(s: &Subject, p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if s.name.is_empty() {
        errs.push(FieldError::required(format!("{p}.name"), ""));
    }
    let group = s.api_group.as_deref().unwrap_or("");
    match s.kind.as_str() {
        "ServiceAccount" => {
            if !s.name.is_empty() {
                errs.extend(validate_dns1123_subdomain_name(&s.name, &format!("{p}.name")));
            }
            if !group.is_empty() {
                errs.push(FieldError::not_supported(format!("{p}.apiGroup"), &val(group), &[String::new()]));
            }
            if s.namespace.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(format!("{p}.namespace"), ""));
            }
        }
        "User" | "Group" => {
            if group != "rbac.authorization.k8s.io" {
                errs.push(FieldError::not_supported(
                    format!("{p}.apiGroup"),
                    &val(group),
                    &["rbac.authorization.k8s.io".to_string()],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            format!("{p}.kind"),
            &val(other),
            &["ServiceAccount".to_string(), "User".to_string(), "Group".to_string()],
        )),
    }
    errs
}

fn validate_dns1123_subdomain_name(name: &str, field: &str) -> Vec<FieldError> {
    crate::names::validate_dns1123_subdomain(name, field)
}

/// Validates a Project update: createdBy and namespace immutable once set, owner cannot be reset.
pub fn validate_project_update(new: &Project, old: &Project) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if old.spec.created_by.is_some() {
        errs.extend(validate_immutable(&new.spec.created_by, &old.spec.created_by, "spec.createdBy"));
    }
    if old.spec.namespace.is_some() {
        errs.extend(validate_immutable(&new.spec.namespace, &old.spec.namespace, "spec.namespace"));
    }
    if old.spec.owner.is_some() && new.spec.owner.is_none() {
        errs.push(FieldError::invalid("spec.owner", &serde_json::Value::Null, "owner cannot be reset"));
    }
    errs.extend(validate_project(new));
    errs
}
