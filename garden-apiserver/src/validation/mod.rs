//! kube-apiserver's validation, on the JSON objects the registry decoded: the generic `ObjectMeta` rules every kind
//! gets ([`meta`]) and the per-kind rules of the core kube kinds, one file per API group. [`validate`] is the one
//! path every write goes through (after the kind's own strategy rules, which the Gardener kinds keep).

pub mod apps;
pub mod coordination;
pub mod core;
pub mod meta;
pub mod networking;
pub mod rbac;

use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::registry::ResourceType;

/// All problems of `obj` of kind `rt`, and of its change from `old` on an update: metadata, then the kind's rules
/// (this module's for the core kinds, the strategy's for the others), then the update rules. An error reported by
/// two rules is reported once.
pub fn validate(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = meta::validate(rt, obj);
    if let Some(old) = old {
        errs.extend(meta::validate_update(obj, old));
    }
    errs.extend(validate_kind(rt, obj, old));
    errs.extend(rt.strategy.validate(obj));
    if let Some(old) = old {
        errs.extend(rt.strategy.validate_update(obj, old));
    }
    dedup(errs)
}

/// The per-kind rules of the kube kinds this server serves (the Gardener kinds validate in their strategies).
fn validate_kind(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    match (rt.group, rt.kind) {
        ("", "ConfigMap") => core::config_map(obj, old),
        ("", "Secret") => core::secret(obj, old),
        ("", "Namespace") => core::namespace(obj),
        ("", "Event") => core::event(obj),
        ("", "Pod") => core::pod(obj, old),
        ("", "Service") => networking::service(obj, old),
        ("networking.k8s.io", "NetworkPolicy") => networking::network_policy(obj),
        ("coordination.k8s.io", "Lease") => coordination::lease(obj),
        ("rbac.authorization.k8s.io", "Role") => rbac::role(obj, true),
        ("rbac.authorization.k8s.io", "ClusterRole") => rbac::role(obj, false),
        ("rbac.authorization.k8s.io", "RoleBinding") => rbac::binding(obj, old, true),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => rbac::binding(obj, old, false),
        ("apps", "Deployment") => apps::workload(apps::Workload::Deployment, obj, old),
        ("apps", "StatefulSet") => apps::workload(apps::Workload::StatefulSet, obj, old),
        ("apps", "DaemonSet") => apps::workload(apps::Workload::DaemonSet, obj, old),
        ("apps", "ReplicaSet") => apps::workload(apps::Workload::ReplicaSet, obj, old),
        _ => Vec::new(),
    }
}

fn dedup(errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::with_capacity(errs.len());
    for e in errs {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// The string at `key` of `obj` ("" when absent or not a string).
fn s<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The array at `key` of `obj` (empty when absent).
fn arr<'a>(obj: &'a Value, key: &str) -> &'a [Value] {
    obj.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The object at `key` of `obj`, if any.
fn map<'a>(obj: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    obj.get(key).and_then(Value::as_object)
}

/// String entries of a JSON map (a label or annotation map; the codec already refused other values).
fn string_entries(m: Option<&Map<String, Value>>) -> impl Iterator<Item = (&String, &str)> {
    m.into_iter().flatten().filter_map(|(k, v)| v.as_str().map(|v| (k, v)))
}

/// kube's `ValidateImmutableField`.
fn immutable(field: &str, new: Option<&Value>, old: Option<&Value>) -> Option<FieldError> {
    (new != old).then(|| FieldError::invalid(field, new.unwrap_or(&Value::Null), "field is immutable"))
}
