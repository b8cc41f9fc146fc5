//! Server-side apply with structured-merge semantics.
//!
//! The applied configuration is merged into the live object as its schema says: objects field by field (atomic
//! maps replaced), map lists item by item by their key fields, set lists by value, atomic lists replaced, scalars
//! replaced. The applier's field set ([`Style::Apply`]) becomes its `Apply` entry in managedFields, separate from
//! any `Update` entry of the same manager. A field another manager owns whose value the apply would change is a
//! conflict (409 naming manager and field) unless `force`, which takes it over; applying the value a field already
//! has shares its ownership. Fields the applier applied before and no longer applies are removed from the object
//! unless another manager owns them (or something below them).
//!
//! Not done as kube does: resetting status (or spec, for status) per subresource, the cap on the number of
//! Update entries, and comparing against defaulted values.

use serde_json::{json, Map, Value};

use super::fieldpath::{self, display_path, item_key, FieldPath, FieldSet, PathElement, Style};
use super::go_type;
use super::managed::{self, Managed};
use super::schema::{ListType, Node};
use crate::error::ApiError;

/// What an apply is about.
pub struct ApplyRequest<'a> {
    /// The kind's schema.
    pub schema: Node<'a>,
    pub field_manager: &'a str,
    pub api_version: &'a str,
    /// The time recorded in the manager's entry.
    pub now: &'a str,
    pub force: bool,
}

/// Apply `applied` to `current` (`None` = the object does not exist yet) and record the manager's `Apply` entry.
///
/// Errors: 422 for a missing or invalid field manager; 400 when `applied` is not an object, lacks apiVersion, kind
/// or metadata.name, carries managedFields, or has a map-list item without key fields or twice the same key;
/// 409 on conflicts with other managers unless `force`.
pub fn server_side_apply(req: &ApplyRequest, current: Option<&Value>, applied: &Value) -> Result<Value, ApiError> {
    managed::validate_field_manager(req.field_manager, true)?;
    check_applied(applied)?;
    check_lists(req.schema, applied, &mut Vec::new())?;
    let new_set = fieldpath::field_set(applied, req.schema, Style::Apply);
    let base = current.cloned().unwrap_or_else(|| json!({}));
    let mut merged = merge(req.schema, Some(&base), applied);

    let mut managers = managed::read_managed(current);
    let mut conflicts = Vec::new();
    for m in managers.iter_mut().filter(|m| !m.is_apply_of(req.field_manager)) {
        let clashing: Vec<FieldPath> = m
            .fields
            .iter()
            .filter(|p| new_set.contains(*p) && fieldpath::differs(current, Some(&merged), p, &new_set))
            .cloned()
            .collect();
        if req.force {
            for p in &clashing {
                m.fields.remove(p);
            }
        } else {
            conflicts.extend(clashing.into_iter().map(|p| (m.describe(), p)));
        }
    }
    if !conflicts.is_empty() {
        return Err(managed::conflict_error(&conflicts));
    }

    let (previous, previous_time) = managers
        .iter()
        .find(|m| m.is_apply_of(req.field_manager))
        .map(|m| (m.fields.clone(), m.time.clone()))
        .unwrap_or_default();
    let others: FieldSet =
        managers.iter().filter(|m| !m.is_apply_of(req.field_manager)).flat_map(|m| m.fields.iter().cloned()).collect();
    let wanted = |set: &FieldSet, p: &FieldPath| set.contains(p) || fieldpath::has_descendant(set, p);
    // Parents sort before their children: a removed item or field takes everything below it along.
    let mut removed: Vec<&FieldPath> = Vec::new();
    for p in &previous {
        if removed.iter().any(|r| p.starts_with(r)) {
            continue;
        }
        if !wanted(&new_set, p) && !wanted(&others, p) && !is_key_of_kept_item(p, &new_set, &others) {
            fieldpath::remove_at(&mut merged, p);
            removed.push(p);
        }
    }

    managers.retain(|m| !m.is_apply_of(req.field_manager));
    managers.push(Managed {
        manager: req.field_manager.to_string(),
        operation: managed::APPLY.into(),
        api_version: req.api_version.to_string(),
        // An apply of the same fields keeps the entry as it was, so that applying again changes nothing.
        time: if previous == new_set && previous_time.is_some() { previous_time } else { Some(req.now.to_string()) },
        subresource: None,
        fields: new_set,
    });
    managed::write_managed(&mut merged, managers);
    Ok(merged)
}

/// Whether `p` is a key field of a map-list item that stays (someone still owns something in it): an item keeps
/// its keys.
fn is_key_of_kept_item(p: &[PathElement], new_set: &FieldSet, others: &FieldSet) -> bool {
    let [item @ .., PathElement::Key(key), PathElement::Field(field)] = p else {
        return false;
    };
    let item_path: FieldPath = item.iter().cloned().chain([PathElement::Key(key.clone())]).collect();
    let kept = |set: &FieldSet| set.contains(&item_path) || fieldpath::has_descendant(set, &item_path);
    serde_json::from_str::<Map<String, Value>>(key).is_ok_and(|k| k.contains_key(field))
        && (kept(new_set) || kept(others))
}

/// The structured merge of `applied` into `live` (nulls in `applied` are no values).
fn merge(schema: Node, live: Option<&Value>, applied: &Value) -> Value {
    match applied {
        Value::Object(a) if !schema.is_atomic_map() => {
            let mut out = live.and_then(Value::as_object).cloned().unwrap_or_default();
            for (k, v) in a.iter().filter(|(_, v)| !v.is_null()) {
                let merged = merge(schema.field(k), out.get(k), v);
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let live = live.and_then(Value::as_array);
            match schema.list_type() {
                ListType::Atomic => applied.clone(),
                ListType::Set => {
                    let mut out = live.cloned().unwrap_or_default();
                    for item in items {
                        if !out.contains(item) {
                            out.push(item.clone());
                        }
                    }
                    Value::Array(out)
                }
                ListType::Map(keys) => {
                    let item_schema = schema.items();
                    let mut out = live.cloned().unwrap_or_default();
                    for item in items {
                        match out.iter().position(|l| same_item(l, item, &keys)) {
                            Some(i) => {
                                let merged = merge(item_schema, out.get(i), item);
                                out[i] = merged;
                            }
                            None => out.push(merge(item_schema, None, item)),
                        }
                    }
                    Value::Array(out)
                }
            }
        }
        other => other.clone(),
    }
}

/// Whether live map-list item `live` is applied item `applied`: every key field both carry is equal (a key field
/// the configuration leaves out, like a port's defaulted `protocol`, does not tell them apart).
fn same_item(live: &Value, applied: &Value, keys: &[String]) -> bool {
    let mut compared = false;
    for k in keys {
        if let (Some(a), Some(b)) = (live.get(k), applied.get(k)) {
            if a != b {
                return false;
            }
            compared = true;
        }
    }
    compared
}

/// kube's checks of the applied configuration's identity.
fn check_applied(applied: &Value) -> Result<(), ApiError> {
    if !applied.is_object() {
        return Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            go_type(applied)
        )));
    }
    let missing = |k: &str| applied.get(k).and_then(Value::as_str).is_none_or(str::is_empty);
    if missing("apiVersion") {
        return Err(ApiError::bad_request(format!("Object 'apiVersion' is missing in '{applied}'")));
    }
    if missing("kind") {
        return Err(ApiError::bad_request(format!("Object 'Kind' is missing in '{applied}'")));
    }
    let meta = applied.get("metadata");
    if meta.and_then(|m| m.get("name")).and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(ApiError::bad_request("metadata.name: Required value: name is required for apply"));
    }
    if meta.and_then(|m| m.get("managedFields")).is_some_and(|f| !f.is_null()) {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    Ok(())
}

/// Every map-list item of the applied configuration has key fields, and no key twice (structured-merge-diff's
/// messages, with the field path).
fn check_lists(schema: Node, v: &Value, path: &mut FieldPath) -> Result<(), ApiError> {
    let typed_error = |detail: String| {
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
        ApiError::bad_request(format!("failed to create typed patch object ({kind}): {detail}"))
    };
    match v {
        Value::Object(m) if !schema.is_atomic_map() => {
            for (k, child) in m {
                path.push(PathElement::Field(k.clone()));
                let r = check_lists(schema.field(k), child, path);
                path.pop();
                r.map_err(|e| if path.is_empty() { typed_error(e.message) } else { e })?;
            }
        }
        Value::Array(items) => {
            if let ListType::Map(keys) = schema.list_type() {
                let mut seen = Map::new();
                for (i, item) in items.iter().enumerate() {
                    let Some(key) = item_key(item, &keys) else {
                        return Err(ApiError::bad_request(format!(
                            "{}: element {i}: associative list with keys has an element that omits key field {:?} (and doesn't have default value)",
                            display_path(path),
                            keys.first().map(String::as_str).unwrap_or_default()
                        )));
                    };
                    if seen.insert(key.clone(), Value::Null).is_some() {
                        path.push(PathElement::Key(key));
                        return Err(ApiError::bad_request(format!(
                            "{}: duplicate entries for key {}",
                            display_path(&path[..path.len() - 1]),
                            display_path(&path[path.len() - 1..])
                        )));
                    }
                    path.push(PathElement::Key(key));
                    let r = check_lists(schema.items(), item, path);
                    path.pop();
                    r?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}
