//! `metadata.managedFields`: one entry per manager, operation (`Apply` or `Update`), API version and subresource,
//! each with the set of fields it owns; the field manager name's validation; kube's apply-conflict error.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::fieldpath::{self, decode_fields_v1, display_path, encode_fields_v1, FieldPath, FieldSet, Style};
use super::schema::Node;
use crate::error::{ApiError, FieldError};

/// kube's limit on the length of a field manager name.
pub const FIELD_MANAGER_MAX_LENGTH: usize = 128;

/// `managedFields[].operation`.
pub const APPLY: &str = "Apply";
/// `managedFields[].operation`.
pub const UPDATE: &str = "Update";

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Managed {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl Managed {
    fn from_json(v: &Value) -> Option<Managed> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Managed {
            manager: s("manager").unwrap_or_default(),
            operation: s("operation")?,
            api_version: s("apiVersion").unwrap_or_default(),
            time: s("time"),
            subresource: s("subresource").filter(|s| !s.is_empty()),
            fields: v.get("fieldsV1").map(decode_fields_v1).unwrap_or_default(),
        })
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("manager".into(), json!(self.manager));
        m.insert("operation".into(), json!(self.operation));
        m.insert("apiVersion".into(), json!(self.api_version));
        if let Some(t) = &self.time {
            m.insert("time".into(), json!(t));
        }
        m.insert("fieldsType".into(), json!("FieldsV1"));
        m.insert("fieldsV1".into(), encode_fields_v1(&self.fields));
        if let Some(s) = &self.subresource {
            m.insert("subresource".into(), json!(s));
        }
        Value::Object(m)
    }

    /// The manager as kube names it in conflicts: `"bob"`, or `"bob" using v1` for an Update entry.
    pub fn describe(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            s = format!("{s} with subresource {sub:?}");
        }
        if self.operation == UPDATE {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }

    /// Whether this is `manager`'s apply entry (of the main resource).
    pub fn is_apply_of(&self, manager: &str) -> bool {
        self.manager == manager && self.operation == APPLY && self.subresource.is_none()
    }
}

/// The managedFields entries of `obj`.
pub fn read_managed(obj: Option<&Value>) -> Vec<Managed> {
    obj.and_then(|o| o.pointer("/metadata/managedFields"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Managed::from_json).collect())
        .unwrap_or_default()
}

/// Drop empty entries, sort as kube does (operation, time, manager, apiVersion, subresource) and store them in
/// `metadata.managedFields` (removed when none remain).
pub fn write_managed(obj: &mut Value, mut entries: Vec<Managed>) {
    entries.retain(|e| !e.fields.is_empty());
    entries.sort_by(|a, b| {
        (&a.operation, &a.time, &a.manager, &a.api_version, &a.subresource).cmp(&(
            &b.operation,
            &b.time,
            &b.manager,
            &b.api_version,
            &b.subresource,
        ))
    });
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    let meta = root.entry("metadata").or_insert_with(|| json!({}));
    let Some(meta) = meta.as_object_mut() else {
        return;
    };
    if entries.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(entries.iter().map(Managed::to_json).collect()));
    }
}

/// kube's `ValidatePatchOptions` for the field manager: required for apply (422 on `PatchOptions.meta.k8s.io`), at
/// most 128 characters, printable.
pub fn validate_field_manager(field_manager: &str, required: bool) -> Result<(), ApiError> {
    let mut errs = Vec::new();
    if field_manager.is_empty() && required {
        errs.push(FieldError::required("fieldManager", "is required for apply patch"));
    }
    if field_manager.len() > FIELD_MANAGER_MAX_LENGTH {
        errs.push(FieldError::too_long("fieldManager", FIELD_MANAGER_MAX_LENGTH));
    }
    for (i, c) in field_manager.chars().enumerate() {
        if c.is_control() {
            let detail = format!("invalid character U+{:04X} (at position {i})", c as u32);
            errs.push(FieldError::invalid("fieldManager", &json!(field_manager), &detail));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("meta.k8s.io", "PatchOptions", "", &errs))
    }
}

/// kube's apply-conflict error: 409 Conflict, a `FieldManagerConflict` cause per field. `conflicts` holds the
/// manager (as [`Managed::describe`] names it) and the field.
pub fn conflict_error(conflicts: &[(String, FieldPath)]) -> ApiError {
    let message = if let [(manager, path)] = conflicts {
        format!("Apply failed with 1 conflict: conflict with {manager}: {}", display_path(path))
    } else {
        let managers: BTreeSet<&String> = conflicts.iter().map(|(m, _)| m).collect();
        let mut lines = Vec::new();
        for m in managers {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(conflicts.iter().filter(|(x, _)| x == m).map(|(_, p)| format!("- {}", display_path(p))));
        }
        format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": display_path(p)}))
        .collect();
    let mut e = ApiError::new(409, "Conflict", message);
    e.details = Some(json!({"causes": causes}));
    e
}

/// Record a non-apply write by `field_manager` (an empty one is recorded as `unknown`) as kube does: the fields
/// whose value changed between `old` (`None` = create) and `obj` move to the manager's `operation` entry and out
/// of every other entry (an update takes over fields without conflicts); removed fields leave every entry.
/// Entries come from `obj` when it carries (non-empty) managedFields, else from `old`.
pub fn record_update_manager(
    obj: &mut Value,
    old: Option<&Value>,
    schema: Node,
    field_manager: &str,
    operation: &str,
    api_version: &str,
    now: &str,
) {
    let manager = if field_manager.is_empty() { "unknown" } else { field_manager };
    // A create without prior managers: the one entry owns every field.
    if old.is_none() && obj.pointer("/metadata/managedFields").is_none() {
        let fields = fieldpath::fields_v1(obj, schema, Style::Update);
        if fields.as_object().is_some_and(|m| !m.is_empty()) {
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert(
                    "managedFields".into(),
                    json!([{"manager": manager, "operation": operation, "apiVersion": api_version, "time": now,
                            "fieldsType": "FieldsV1", "fieldsV1": fields}]),
                );
            }
        }
        return;
    }
    let mut entries = read_managed(Some(obj));
    if entries.is_empty() {
        entries = read_managed(old);
    }
    let new_set = fieldpath::field_set(obj, schema, Style::Update);
    let old_set = old.map(|o| fieldpath::field_set(o, schema, Style::Update)).unwrap_or_default();
    let changed: FieldSet =
        new_set.iter().filter(|p| fieldpath::differs(old, Some(obj), p, &new_set)).cloned().collect();
    let removed: Vec<&FieldPath> = old_set.iter().filter(|p| !new_set.contains(*p)).collect();

    for e in entries.iter_mut() {
        e.fields.retain(|p| !changed.contains(p) && !removed.iter().any(|r| p.starts_with(r)));
    }
    let is_self = |e: &Managed| {
        e.manager == manager && e.operation == operation && e.api_version == api_version && e.subresource.is_none()
    };
    match entries.iter_mut().find(|e| is_self(e)) {
        Some(e) => {
            if !changed.is_empty() {
                e.time = Some(now.to_string());
            }
            e.fields.extend(changed);
        }
        None if !changed.is_empty() => entries.push(Managed {
            manager: manager.to_string(),
            operation: operation.to_string(),
            api_version: api_version.to_string(),
            time: Some(now.to_string()),
            subresource: None,
            fields: changed,
        }),
        None => {}
    }
    write_managed(obj, entries);
}
