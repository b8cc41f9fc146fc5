//! SecretBinding and Quota validation.

use super::super::quota::Quota;
use super::super::secretbinding::SecretBinding;
use super::{val, validate_immutable};
use crate::field::FieldError;
use crate::names::{validate_dns1123_label, validate_dns1123_subdomain, validate_object_name};
use k8s_openapi::api::core::v1::ObjectReference;

/// Validates quota references (name required, namespace a DNS label when set) at `path[i]`.
pub fn validate_quota_refs(quotas: &[ObjectReference], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, q) in quotas.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let name = q.name.as_deref().unwrap_or("");
        if name.is_empty() {
            errs.push(FieldError::required(format!("{p}.name"), "must provide a name"));
        } else {
            errs.extend(validate_dns1123_subdomain(name, &format!("{p}.name")));
        }
        if let Some(ns) = q.namespace.as_deref().filter(|n| !n.is_empty()) {
            errs.extend(validate_dns1123_label(ns, &format!("{p}.namespace")));
        }
        let id = format!("{}/{}", q.namespace.as_deref().unwrap_or(""), name);
        if !seen.insert(id) {
            errs.push(FieldError::duplicate(&p, &val(q)));
        }
    }
    errs
}

/// Validates a SecretBinding: secretRef name/namespace, quotas, provider type.
pub fn validate_secretbinding(binding: &SecretBinding) -> Vec<FieldError> {
    let mut errs = validate_object_name(binding.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    let name = binding.secret_ref.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required("secretRef.name", "must provide a name"));
    } else {
        errs.extend(validate_dns1123_subdomain(name, "secretRef.name"));
    }
    if let Some(ns) = binding.secret_ref.namespace.as_deref().filter(|n| !n.is_empty()) {
        errs.extend(validate_dns1123_label(ns, "secretRef.namespace"));
    }
    errs.extend(validate_quota_refs(&binding.quotas, "quotas"));
    match &binding.provider {
        None => errs.push(FieldError::required("provider", "must specify a provider")),
        Some(p) if p.type_.is_empty() => {
            errs.push(FieldError::required("provider.type", "must specify a provider type"))
        }
        Some(_) => {}
    }
    errs
}

/// Validates a SecretBinding update: secretRef, quotas and provider are immutable (provider may be set once).
pub fn validate_secretbinding_update(new: &SecretBinding, old: &SecretBinding) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(validate_immutable(&new.secret_ref, &old.secret_ref, "secretRef"));
    errs.extend(validate_immutable(&new.quotas, &old.quotas, "quotas"));
    if old.provider.is_some() {
        errs.extend(validate_immutable(&new.provider, &old.provider, "provider"));
    }
    errs.extend(validate_secretbinding(new));
    errs
}

/// Validates a Quota: scope is a Project or Secret, metrics are non-negative, lifetime positive.
pub fn validate_quota(quota: &Quota) -> Vec<FieldError> {
    let mut errs = validate_object_name(quota.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    let scope = &quota.spec.scope;
    let scope_id = (scope.api_version.as_deref().unwrap_or(""), scope.kind.as_deref().unwrap_or(""));
    let allowed = [("core.gardener.cloud/v1beta1", "Project"), ("v1", "Secret")];
    if !allowed.contains(&scope_id) {
        errs.push(FieldError::not_supported(
            "spec.scope",
            &val(&format!("{}, Kind={}", scope_id.0, scope_id.1)),
            &["core.gardener.cloud/v1beta1, Kind=Project".to_string(), "/v1, Kind=Secret".to_string()],
        ));
    }
    if let Some(d) = quota.spec.cluster_lifetime_days {
        if d < 0 {
            errs.push(FieldError::invalid("spec.clusterLifetimeDays", &val(&d), "must be greater than or equal to 0"));
        }
    }
    for (k, q) in &quota.spec.metrics {
        let p = format!("spec.metrics[{k}]");
        if q.0.trim().starts_with('-') {
            errs.push(FieldError::invalid(&p, &val(&q.0), "must be greater than or equal to 0"));
        } else if !q.0.trim().starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            errs.push(FieldError::invalid(
                &p,
                &val(&q.0),
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ));
        }
    }
    errs
}
