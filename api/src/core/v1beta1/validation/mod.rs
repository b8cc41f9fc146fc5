//! Validation as pure functions returning kube-style field errors.

mod backup;
mod bindings;
mod cloudprofile;
mod project;
mod seed;
mod shoot;
mod shoot_cloudprofile;

pub use backup::{
    validate_backup_provider, validate_backupbucket, validate_backupbucket_update, validate_backupentry,
    validate_backupentry_update, BACKUP_PROVIDERS,
};
pub use bindings::{validate_quota, validate_quota_refs, validate_secretbinding, validate_secretbinding_update};
pub use cloudprofile::{validate_cloudprofile, validate_namespaced_cloudprofile};
pub use project::{validate_project, validate_project_update};
pub use seed::{validate_seed, validate_seed_update};
pub use shoot::{
    validate_shoot, validate_shoot_generate_name_length, validate_shoot_name_length, validate_shoot_update,
    MAX_WORKER_NAME_LENGTH, SHOOT_NAME_PROJECT_LENGTH_LIMIT,
};
pub use shoot_cloudprofile::validate_shoot_against_cloudprofile;

pub use super::helper::shoot_technical_id;

use crate::field::FieldError;
use serde::Serialize;
use serde_json::Value;

/// JSON value of anything serializable (for error messages).
pub(crate) fn val<T: Serialize + ?Sized>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// kube's `ValidateImmutableField`: `Invalid value: <new>: field is immutable` when `new != old`.
pub fn validate_immutable<T: PartialEq + Serialize>(new: &T, old: &T, field: &str) -> Vec<FieldError> {
    if new == old {
        vec![]
    } else {
        vec![FieldError::invalid(field, &val(new), "field is immutable")]
    }
}

/// Validates seed/project tolerations: key required and qualified, value a label value, no duplicates.
pub(crate) fn validate_tolerations(tolerations: &[super::Toleration], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if t.key.is_empty() {
            errs.push(FieldError::required(format!("{p}.key"), "cannot be empty"));
        } else {
            for m in crate::names::is_qualified_name(&t.key) {
                errs.push(FieldError::invalid(format!("{p}.key"), &val(&t.key), &m));
            }
        }
        if let Some(v) = &t.value {
            for m in crate::names::is_valid_label_value(v) {
                errs.push(FieldError::invalid(format!("{p}.value"), &val(v), &m));
            }
        }
        let id = match &t.value {
            Some(v) => format!("{}={v}", t.key),
            None => t.key.clone(),
        };
        if !seen.insert(id) {
            errs.push(FieldError::duplicate(&p, &val(t)));
        }
    }
    errs
}

/// Parses a CIDR, pushing an `Invalid` error at `field` when it does not parse.
pub(crate) fn parse_cidr(cidr: &str, field: &str, errs: &mut Vec<FieldError>) -> Option<crate::cidr::Cidr> {
    match crate::cidr::Cidr::parse(cidr) {
        Ok(c) => Some(c),
        Err(e) => {
            errs.push(FieldError::invalid(field, &val(cidr), &e));
            None
        }
    }
}

#[cfg(test)]
mod tests;
