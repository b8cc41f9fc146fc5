//! CredentialsBinding validation.

use super::credentialsbinding::CredentialsBinding;
use crate::field::FieldError;
use crate::names::{validate_dns1123_label, validate_dns1123_subdomain, validate_object_name};
use serde_json::Value;

const ALLOWED_REFS: &[(&str, &str)] = &[("v1", "Secret"), ("security.gardener.cloud/v1alpha1", "WorkloadIdentity")];

/// Validates a CredentialsBinding: provider type, credentialsRef (Secret or WorkloadIdentity), quotas.
pub fn validate_credentialsbinding(binding: &CredentialsBinding) -> Vec<FieldError> {
    let mut errs = validate_object_name(binding.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    if binding.provider.type_.is_empty() {
        errs.push(FieldError::required("provider.type", "must specify a provider type"));
    }
    let r = &binding.credentials_ref;
    let api_version = r.api_version.as_deref().unwrap_or("");
    let kind = r.kind.as_deref().unwrap_or("");
    if api_version.is_empty() {
        errs.push(FieldError::required("credentialsRef.apiVersion", "must provide an apiVersion"));
    }
    if kind.is_empty() {
        errs.push(FieldError::required("credentialsRef.kind", "must provide a kind"));
    }
    if !api_version.is_empty() && !kind.is_empty() && !ALLOWED_REFS.contains(&(api_version, kind)) {
        let supported: Vec<String> = ALLOWED_REFS.iter().map(|(a, k)| format!("{a}, Kind={k}")).collect();
        errs.push(FieldError::not_supported(
            "credentialsRef",
            &Value::from(format!("{api_version}, Kind={kind}")),
            &supported,
        ));
    }
    let name = r.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required("credentialsRef.name", "must provide a name"));
    } else {
        errs.extend(validate_dns1123_subdomain(name, "credentialsRef.name"));
    }
    let ns = r.namespace.as_deref().unwrap_or("");
    if ns.is_empty() {
        errs.push(FieldError::required("credentialsRef.namespace", "must provide a namespace"));
    } else {
        errs.extend(validate_dns1123_label(ns, "credentialsRef.namespace"));
    }
    errs.extend(crate::core::v1beta1::validation::validate_quota_refs(&binding.quotas, "quotas"));
    errs
}

/// Validates a CredentialsBinding update: provider and credentialsRef immutable, quotas too.
pub fn validate_credentialsbinding_update(new: &CredentialsBinding, old: &CredentialsBinding) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(crate::core::v1beta1::validation::validate_immutable(&new.provider, &old.provider, "provider"));
    errs.extend(crate::core::v1beta1::validation::validate_immutable(
        &new.credentials_ref,
        &old.credentials_ref,
        "credentialsRef",
    ));
    errs.extend(crate::core::v1beta1::validation::validate_immutable(&new.quotas, &old.quotas, "quotas"));
    errs.extend(validate_credentialsbinding(new));
    errs
}
