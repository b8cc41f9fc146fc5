//! kube-apiserver's validation, on the JSON objects the registry decoded: the generic `ObjectMeta` rules every kind
//! gets ([`meta`]), then the kind's own rules (its strategy). [`validate`] is the one path every write goes through.

pub mod meta;

use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::registry::ResourceType;

/// All problems of `obj` of kind `rt`, and of its change from `old` on an update: metadata, then the kind's rules.
/// An error reported by two rules is reported once.
pub fn validate(rt: &ResourceType, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = meta::validate(rt, obj);
    if let Some(old) = old {
        errs.extend(meta::validate_update(obj, old));
    }
    errs.extend(rt.strategy.validate(obj, old));
    dedup(errs)
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
pub fn s<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The array at `key` of `obj` (empty when absent).
pub fn arr<'a>(obj: &'a Value, key: &str) -> &'a [Value] {
    obj.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The object at `key` of `obj`, if any.
pub fn map<'a>(obj: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    obj.get(key).and_then(Value::as_object)
}

/// String entries of a JSON map (a label or annotation map; the codec already refused other values).
pub fn string_entries(m: Option<&Map<String, Value>>) -> impl Iterator<Item = (&String, &str)> {
    m.into_iter().flatten().filter_map(|(k, v)| v.as_str().map(|v| (k, v)))
}

/// kube's `ValidateImmutableField`.
pub fn immutable(field: &str, new: Option<&Value>, old: Option<&Value>) -> Option<FieldError> {
    (new != old).then(|| FieldError::invalid(field, new.unwrap_or(&Value::Null), "field is immutable"))
}
