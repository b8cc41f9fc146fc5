//! Strategic merge patch, driven by the schema's `x-kubernetes-patch-strategy` and `x-kubernetes-patch-merge-key`:
//! - objects merge field by field, `null` deletes a field (as in a merge patch);
//! - a list with the `merge` strategy and a merge key merges its objects by the key's value; with `merge` and no key
//!   its scalars merge as a set (union); every other list is replaced;
//! - directives: `$patch: delete|replace|merge` (on objects and list items), a `{"$patch": "replace"}` list item,
//!   `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` (listed items first in the
//!   given order, the others after them in their previous order).

use serde_json::{json, Map, Value};

use super::go_type;
use super::schema::Node;
use crate::error::ApiError;

/// Apply strategic merge patch `patch` to `current`, whose schema is `schema`.
pub fn strategic_merge(schema: Node, current: &Value, patch: &Value) -> Result<Value, ApiError> {
    match patch {
        Value::Null => Ok(current.clone()),
        Value::Object(p) => Ok(merge_map(schema, current.as_object(), p)?.unwrap_or_else(|| json!({}))),
        other => Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            go_type(other)
        ))),
    }
}

fn is_replace_marker(v: &Value) -> bool {
    v.get("$patch").and_then(Value::as_str) == Some("replace") && v.as_object().is_some_and(|m| m.len() == 1)
}

fn is_scalar(v: &Value) -> bool {
    !v.is_object() && !v.is_array()
}

/// Merge `patch` into a field's value (`None` = absent); a `None` result deletes the field.
fn merge_value(schema: Node, cur: Option<&Value>, patch: &Value) -> Result<Option<Value>, ApiError> {
    match patch {
        Value::Null => Ok(None),
        Value::Object(p) => merge_map(schema, cur.and_then(Value::as_object), p),
        Value::Array(p) => {
            let empty = Vec::new();
            let cur = cur.and_then(Value::as_array).unwrap_or(&empty);
            merge_list(schema, cur, p).map(Some)
        }
        scalar => Ok(Some(scalar.clone())),
    }
}

fn merge_map(
    schema: Node,
    cur: Option<&Map<String, Value>>,
    patch: &Map<String, Value>,
) -> Result<Option<Value>, ApiError> {
    let mut base = match patch.get("$patch") {
        Some(Value::String(d)) if d == "delete" => return Ok(None),
        Some(Value::String(d)) if d == "replace" => Map::new(),
        None => cur.cloned().unwrap_or_default(),
        Some(Value::String(d)) if d == "merge" => cur.cloned().unwrap_or_default(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown patch type: {other} in map: {}",
                Value::Object(patch.clone())
            )))
        }
    };
    for (k, v) in patch {
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            delete_from_primitive_list(&mut base, field, v);
        }
    }
    for (k, v) in patch.iter().filter(|(k, _)| !k.starts_with('$')) {
        match merge_value(schema.field(k), base.get(k), v)? {
            Some(nv) => base.insert(k.clone(), nv),
            None => base.remove(k),
        };
    }
    for (k, v) in patch {
        if let (Some(field), Some(order)) = (k.strip_prefix("$setElementOrder/"), v.as_array()) {
            set_element_order(&mut base, field, order);
        }
    }
    if let Some(keep) = patch.get("$retainKeys").and_then(Value::as_array) {
        base.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k.as_str())));
    }
    Ok(Some(Value::Object(base)))
}

fn delete_from_primitive_list(base: &mut Map<String, Value>, field: &str, values: &Value) {
    let (Some(Value::Array(list)), Some(gone)) = (base.get_mut(field), values.as_array()) else {
        return;
    };
    list.retain(|e| !gone.contains(e));
}

fn set_element_order(base: &mut Map<String, Value>, field: &str, order: &[Value]) {
    let Some(Value::Array(list)) = base.get_mut(field) else {
        return;
    };
    let position = |e: &Value| {
        order
            .iter()
            .position(|o| match o.as_object() {
                Some(keys) => keys.iter().all(|(k, v)| e.get(k) == Some(v)),
                None => o == e,
            })
            .unwrap_or(usize::MAX)
    };
    list.sort_by_key(position);
}

fn merge_list(schema: Node, cur: &[Value], patch: &[Value]) -> Result<Value, ApiError> {
    if patch.iter().any(is_replace_marker) {
        let rest: Vec<Value> = patch.iter().filter(|e| !is_replace_marker(e)).cloned().collect();
        return replace_list(schema.items(), &rest);
    }
    if !schema.patch_strategies().any(|s| s == "merge") {
        return replace_list(schema.items(), patch);
    }
    match schema.patch_merge_key() {
        Some(key) => merge_keyed(schema.items(), cur, patch, key),
        None if patch.iter().all(is_scalar) => {
            let mut out = cur.to_vec();
            for e in patch {
                if !out.contains(e) {
                    out.push(e.clone());
                }
            }
            Ok(Value::Array(out))
        }
        None => replace_list(schema.items(), patch),
    }
}

/// The list `patch` stands for when it replaces the current one (its objects without directives).
fn replace_list(items: Node, patch: &[Value]) -> Result<Value, ApiError> {
    let mut out = Vec::with_capacity(patch.len());
    for e in patch {
        match e {
            Value::Object(_) | Value::Array(_) => out.extend(merge_value(items, None, e)?),
            other => out.push(other.clone()),
        }
    }
    Ok(Value::Array(out))
}

fn merge_keyed(items: Node, cur: &[Value], patch: &[Value], key: &str) -> Result<Value, ApiError> {
    let mut out = cur.to_vec();
    for p in patch {
        let Some(pm) = p.as_object() else {
            return Err(ApiError::bad_request(format!(
                "unable to find api field in struct for the merge key {key:?}: the list item {p} is not an object"
            )));
        };
        if pm.get(key).is_none() && pm.get("$patch").is_none() {
            return Err(ApiError::bad_request(format!("map: {p} does not contain declared merge key: {key}")));
        }
        let idx = out.iter().position(|e| e.get(key) == pm.get(key));
        let directive = pm.get("$patch").and_then(Value::as_str);
        match (directive, idx) {
            (Some("delete"), Some(i)) => {
                out.remove(i);
            }
            (Some("delete"), None) => {}
            (Some("replace"), _) => {
                let mut replaced = pm.clone();
                replaced.remove("$patch");
                let replaced = merge_map(items, None, &replaced)?.unwrap_or_else(|| json!({}));
                match idx.and_then(|i| out.get_mut(i)) {
                    Some(slot) => *slot = replaced,
                    None => out.push(replaced),
                }
            }
            (_, Some(i)) => match merge_map(items, out.get(i).and_then(Value::as_object), pm)? {
                Some(v) => {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = v;
                    }
                }
                None => {
                    out.remove(i);
                }
            },
            (_, None) => out.extend(merge_map(items, None, pm)?),
        }
    }
    Ok(Value::Array(out))
}
