//! Validation of the OpenStack provider's payloads as pure functions returning kube-style field errors, with
//! Gardener's rules and messages (gardener-extension-provider-openstack `pkg/apis/openstack/validation`). Each
//! function takes the path of the payload in its object, e.g. `spec.provider.infrastructureConfig`, and reports full
//! paths such as `spec.provider.infrastructureConfig.networks.workers`.
//!
//! The API server's admission decodes a payload with [`super::decode`] and runs these against the Shoot or
//! CloudProfile that carries it; nothing here looks at OpenStack itself. Where Gardener reports a path that is not
//! the field's (`keyStoneURL`, `networking.nodes`, `router` beside `networks`), the field's own path is reported.

mod cloudprofile;
mod infrastructure;
mod worker;

pub use cloudprofile::{validate_cloud_profile_config, validate_load_balancer_classes, validate_worker_machine_images};
pub use infrastructure::{
    validate_infrastructure_config, validate_infrastructure_config_against_cloud_profile,
    validate_infrastructure_config_update,
};
pub use worker::{
    validate_control_plane_config, validate_control_plane_config_against_cloud_profile, validate_worker_config,
};

use serde_json::Value;

use crate::field::FieldError;
use crate::provider::validation::Format;

/// Names of OpenStack resources (floating pools, subnets, load balancer classes) and machine label keys and values:
/// anything but brackets, braces and line breaks.
pub(super) const RESOURCE_NAME: Format =
    Format { regex: r"^[^{}\[\]\n]+$", matches: |v| !v.contains(['{', '}', '[', ']', '\n']), max_len: 255 };

/// Refuses `value` at `field` unless it is a UUID as Go's `uuid.Parse` reads them (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`,
/// optionally in braces or after `urn:uuid:`, or the 32 hex digits alone), with its error text.
pub(super) fn check_uuid(value: &str, field: &str) -> Vec<FieldError> {
    match parse_uuid(value) {
        Ok(()) => Vec::new(),
        Err(e) => vec![FieldError::invalid(field, &Value::String(value.into()), &format!("must be a valid UUID: {e}"))],
    }
}

fn parse_uuid(value: &str) -> Result<(), String> {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let hyphenated = match value.len() {
        36 => value,
        38 if value.starts_with('{') && value.ends_with('}') => &value[1..37],
        38 => return Err("invalid UUID format".into()),
        45 => match value.get(..9) {
            Some(prefix) if prefix.eq_ignore_ascii_case("urn:uuid:") => &value[9..],
            _ => return Err(format!("invalid urn prefix: {:?}", value.get(..9).unwrap_or(value))),
        },
        32 if hex(value) => return Ok(()),
        32 => return Err("invalid UUID format".into()),
        len => return Err(format!("invalid UUID length: {len}")),
    };
    let groups: Vec<&str> = hyphenated.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lengths == [8, 4, 4, 4, 12] && groups.iter().all(|g| hex(g)) {
        Ok(())
    } else {
        Err("invalid UUID format".into())
    }
}

#[cfg(test)]
mod tests;
