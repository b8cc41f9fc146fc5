//! PATCH semantics: JSON patch (RFC 6902), merge patch (RFC 7386), a simplified strategic merge
//! patch, a simplified server-side apply, and `metadata.managedFields` bookkeeping.
//!
//! # Strategic merge (simplified)
//! kube derives merge strategies from Go struct tags; this server has no such schema, so:
//! - maps merge recursively, `null` deletes a key (as merge patch);
//! - lists of objects merge by a merge key chosen by field name ([`list_strategy`]):
//!   `conditions` → `type`, `ports` → `containerPort` (else `port`), `volumeMounts` →
//!   `mountPath`, `tolerations` → `key`, `extensions` → `type`, `ownerReferences` → `uid`, any
//!   other field → `name`; a key is used only when every element of both lists is an object
//!   carrying it, otherwise the list is replaced. `subjects` is always replaced (atomic);
//! - `finalizers` is a set of strings (union), every other primitive list is replaced;
//! - directives: `$patch: delete|replace|merge` (on maps and list elements), a
//!   `{"$patch": "replace"}` list element, `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
//!   `$setElementOrder/<field>` (listed elements first in the given order, the others after them
//!   in their previous order).
//!
//! # Server-side apply (simplified)
//! Without schemas, field sets are computed from the JSON shape with the same list strategies:
//! leaves are owned individually, keyed list items as `k:{"name":"x"}` (with `.`), `finalizers`
//! values as `v:"x"`, other lists atomically; `labels`, `annotations`, `data`, `stringData`,
//! `binaryData` and `nodeSelector` maps also own their `.`. The applied object is merged into the
//! live one like a strategic merge; a field owned by any other manager whose value would change is
//! a conflict (409) unless `force`, which takes the field over. Fields the applier owned before
//! and no longer applies are removed unless another manager owns them. Not supported: reset of
//! status/spec per subresource, `subresource` in entries, the 10-entry cap of Update managers,
//! type-aware (schema) merging and defaulting before comparison.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::error::{ApiError, FieldError};

/// kube's limit on JSON patch operations.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;
/// kube's limit on the length of a field manager name.
pub const FIELD_MANAGER_MAX_LENGTH: usize = 128;

/// The PATCH flavours, by request Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    StrategicMerge,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchType {
    /// The patch type of a Content-Type header value (parameters like `; charset=utf-8` ignored),
    /// `None` for anything else (including `application/apply-patch+cbor`).
    pub fn from_content_type(ct: &str) -> Option<PatchType> {
        let media = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match media.as_str() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }

    /// The Content-Type of this patch type.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Apply a patch document (already parsed JSON; for Apply the YAML was converted to JSON by the
/// caller) to `current`.
///
/// Errors as kube: a malformed JSON patch document is 400, more than 10000 operations 413, a
/// failing operation (e.g. `test`) 422 `the server rejected our request due to an error in our
/// request` (the failure is named in `details.causes`); a merge or strategic merge patch that is
/// not a JSON object is 400. `Apply` only merges (like a strategic merge) without ownership
/// tracking: use [`server_side_apply`] to handle apply requests.
pub fn apply_patch(kind: PatchType, current: &Value, patch: &Value) -> Result<Value, ApiError> {
    match kind {
        PatchType::Json => json_patch(current, patch),
        PatchType::Merge => {
            if !patch.is_object() {
                return Err(ApiError::bad_request("Invalid JSON Patch"));
            }
            let mut doc = current.clone();
            json_patch::merge(&mut doc, patch);
            Ok(doc)
        }
        PatchType::StrategicMerge | PatchType::Apply => strategic_merge(current, patch),
    }
}

fn json_patch(current: &Value, patch: &Value) -> Result<Value, ApiError> {
    let ops: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    if ops.0.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(ApiError::too_large(format!(
            "Request entity too large: The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
            ops.0.len()
        )));
    }
    let mut doc = current.clone();
    json_patch::patch(&mut doc, &ops).map_err(|e| {
        let mut err = ApiError::new(422, "Invalid", "the server rejected our request due to an error in our request");
        err.details = Some(json!({"causes": [{"message": e.to_string()}]}));
        err
    })?;
    Ok(doc)
}

/// Go's name of a JSON value's type, for kube-like decode errors.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null | Value::Object(_) => "object",
    }
}

/// The simplified strategic merge patch described in the module docs.
pub fn strategic_merge(current: &Value, patch: &Value) -> Result<Value, ApiError> {
    match patch {
        Value::Null => Ok(current.clone()),
        Value::Object(p) => Ok(merge_map(current.as_object(), p)?.unwrap_or_else(|| json!({}))),
        other => Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            go_type(other)
        ))),
    }
}

/// How a list field merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListStrategy {
    /// Objects merged by the value of this key.
    Keyed(&'static str),
    /// Primitive values, merged as a set (union).
    Set,
    /// Replaced as a whole.
    Atomic,
}

/// Merge key candidates by field name; fields not listed try `name`.
const MERGE_KEYS: &[(&str, &[&str])] = &[
    ("conditions", &["type"]),
    ("ports", &["containerPort", "port"]),
    ("volumeMounts", &["mountPath"]),
    ("tolerations", &["key"]),
    ("extensions", &["type"]),
    ("ownerReferences", &["uid"]),
];
/// Lists always replaced.
const ATOMIC_LISTS: &[&str] = &["subjects"];
/// Primitive lists merged as sets.
const SET_LISTS: &[&str] = &["finalizers"];
/// Maps whose own node is owned (`.`) besides their entries.
const OWNED_MAPS: &[&str] = &["labels", "annotations", "data", "stringData", "binaryData", "nodeSelector"];

fn is_replace_marker(v: &Value) -> bool {
    v.get("$patch").and_then(Value::as_str) == Some("replace") && v.as_object().is_some_and(|m| m.len() == 1)
}

fn is_scalar(v: &Value) -> bool {
    !v.is_object() && !v.is_array()
}

/// The strategy for list field `field`, given all lists that take part (live, patch).
pub fn list_strategy(field: &str, lists: &[&[Value]]) -> ListStrategy {
    if ATOMIC_LISTS.contains(&field) {
        return ListStrategy::Atomic;
    }
    let mut elems = lists.iter().flat_map(|l| l.iter()).filter(|e| !is_replace_marker(e)).peekable();
    if elems.peek().is_none() {
        return ListStrategy::Atomic;
    }
    let elems: Vec<&Value> = elems.collect();
    if SET_LISTS.contains(&field) {
        return if elems.iter().all(|e| is_scalar(e)) { ListStrategy::Set } else { ListStrategy::Atomic };
    }
    let candidates: &[&'static str] =
        MERGE_KEYS.iter().find(|(f, _)| *f == field).map(|(_, k)| *k).unwrap_or(&["name"]);
    candidates
        .iter()
        .find(|key| elems.iter().all(|e| e.get(**key).is_some_and(|k| is_scalar(k) && !k.is_null())))
        .map_or(ListStrategy::Atomic, |k| ListStrategy::Keyed(k))
}

/// Merge `patch` into the value of field `field` (`None` = absent); `None` result = delete.
fn merge_value(field: &str, cur: Option<&Value>, patch: &Value) -> Result<Option<Value>, ApiError> {
    match patch {
        Value::Null => Ok(None),
        Value::Object(p) => merge_map(cur.and_then(Value::as_object), p),
        Value::Array(p) => {
            let empty = Vec::new();
            let cur = cur.and_then(Value::as_array).unwrap_or(&empty);
            merge_list(field, cur, p).map(Some)
        }
        scalar => Ok(Some(scalar.clone())),
    }
}

fn merge_map(cur: Option<&Map<String, Value>>, patch: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
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
        match merge_value(k, base.get(k), v)? {
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

fn merge_list(field: &str, cur: &[Value], patch: &[Value]) -> Result<Value, ApiError> {
    if patch.iter().any(is_replace_marker) {
        let rest: Vec<Value> = patch.iter().filter(|e| !is_replace_marker(e)).cloned().collect();
        return merge_list(field, &[], &rest);
    }
    match list_strategy(field, &[cur, patch]) {
        ListStrategy::Atomic => {
            let mut out = Vec::with_capacity(patch.len());
            for e in patch {
                match e {
                    Value::Object(_) | Value::Array(_) => out.extend(merge_value(field, None, e)?),
                    other => out.push(other.clone()),
                }
            }
            Ok(Value::Array(out))
        }
        ListStrategy::Set => {
            let mut out = cur.to_vec();
            for e in patch {
                if !out.contains(e) {
                    out.push(e.clone());
                }
            }
            Ok(Value::Array(out))
        }
        ListStrategy::Keyed(key) => merge_keyed(cur, patch, key),
    }
}

fn merge_keyed(cur: &[Value], patch: &[Value], key: &str) -> Result<Value, ApiError> {
    let mut out = cur.to_vec();
    for p in patch {
        let Some(pm) = p.as_object() else { continue };
        let idx = out.iter().position(|e| e.get(key) == pm.get(key));
        let directive = pm.get("$patch").and_then(Value::as_str);
        match (directive, idx) {
            (Some("delete"), Some(i)) => {
                out.remove(i);
            }
            (Some("delete"), None) => {}
            (Some("replace"), _) => {
                let replaced = merge_map(None, &without_directive(pm))?.unwrap_or_else(|| json!({}));
                match idx.and_then(|i| out.get_mut(i)) {
                    Some(slot) => *slot = replaced,
                    None => out.push(replaced),
                }
            }
            (_, Some(i)) => {
                let merged = merge_map(out.get(i).and_then(Value::as_object), pm)?;
                match merged {
                    Some(v) => {
                        if let Some(slot) = out.get_mut(i) {
                            *slot = v;
                        }
                    }
                    None => {
                        out.remove(i);
                    }
                }
            }
            (_, None) => out.extend(merge_map(None, pm)?),
        }
    }
    Ok(Value::Array(out))
}

fn without_directive(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter().filter(|(k, _)| k.as_str() != "$patch").map(|(k, v)| (k.clone(), v.clone())).collect()
}

// ---------------------------------------------------------------------------------------------
// Field sets (FieldsV1)
// ---------------------------------------------------------------------------------------------

/// One step of a field path, as in structured-merge-diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElement {
    /// A map field: `f:name`.
    Field(String),
    /// A keyed list item: `k:{"name":"x"}` (the JSON text of the key object).
    Key(String),
    /// A set list value: `v:"x"` (the JSON text of the value).
    Value(String),
    /// A list index: `i:0` (read from other writers only).
    Index(i64),
}

/// A path into an object.
pub type FieldPath = Vec<PathElement>;
/// A set of owned paths.
pub type FieldSet = BTreeSet<FieldPath>;

impl PathElement {
    fn encode(&self) -> String {
        match self {
            PathElement::Field(f) => format!("f:{f}"),
            PathElement::Key(k) => format!("k:{k}"),
            PathElement::Value(v) => format!("v:{v}"),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    fn decode(s: &str) -> Option<PathElement> {
        let (prefix, rest) = s.split_once(':')?;
        Some(match prefix {
            "f" => PathElement::Field(rest.to_string()),
            "k" => PathElement::Key(rest.to_string()),
            "v" => PathElement::Value(rest.to_string()),
            "i" => PathElement::Index(rest.parse().ok()?),
            _ => return None,
        })
    }

    /// structured-merge-diff's display: `.name`, `[name="x"]`, `[="x"]`, `[0]`.
    fn display(&self) -> String {
        match self {
            PathElement::Field(f) => format!(".{f}"),
            PathElement::Key(k) => {
                let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                    .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                    .unwrap_or_else(|_| vec![k.clone()]);
                format!("[{}]", parts.join(","))
            }
            PathElement::Value(v) => format!("[={v}]"),
            PathElement::Index(i) => format!("[{i}]"),
        }
    }
}

/// `.spec.workers[name="a"].minimum`.
pub fn display_path(p: &[PathElement]) -> String {
    p.iter().map(PathElement::display).collect()
}

fn key_element(key: &str, v: &Value) -> PathElement {
    let mut m = Map::new();
    m.insert(key.to_string(), v.clone());
    PathElement::Key(Value::Object(m).to_string())
}

/// Paths kube never tracks in managed fields.
fn is_stripped(p: &[PathElement]) -> bool {
    let field = |e: &PathElement, n: &str| matches!(e, PathElement::Field(f) if f == n);
    match p {
        [a] => field(a, "apiVersion") || field(a, "kind") || field(a, "metadata"),
        [m, f, ..] if field(m, "metadata") => [
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        ]
        .iter()
        .any(|n| field(f, n)),
        _ => false,
    }
}

/// The field set of an object: see the module docs. Tracking-exempt metadata is left out.
pub fn field_set(obj: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    collect_fields(obj, &mut Vec::new(), &mut out);
    out.retain(|p| !is_stripped(p));
    out
}

fn collect_fields(v: &Value, path: &mut FieldPath, out: &mut FieldSet) {
    let field = match path.last() {
        Some(PathElement::Field(f)) => f.clone(),
        _ => String::new(),
    };
    match v {
        Value::Null => {}
        Value::Object(m) if m.is_empty() => {
            out.insert(path.clone());
        }
        Value::Object(m) => {
            if OWNED_MAPS.contains(&field.as_str()) {
                out.insert(path.clone());
            }
            for (k, child) in m.iter().filter(|(k, _)| !k.starts_with('$')) {
                path.push(PathElement::Field(k.clone()));
                collect_fields(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => collect_list(&field, items, path, out),
        _ => {
            out.insert(path.clone());
        }
    }
}

fn collect_list(field: &str, items: &[Value], path: &mut FieldPath, out: &mut FieldSet) {
    match list_strategy(field, &[items]) {
        ListStrategy::Keyed(key) => {
            for item in items {
                let Some(k) = item.get(key) else { continue };
                path.push(key_element(key, k));
                out.insert(path.clone());
                collect_fields(item, path, out);
                path.pop();
            }
        }
        ListStrategy::Set => {
            out.insert(path.clone());
            for item in items {
                path.push(PathElement::Value(item.to_string()));
                out.insert(path.clone());
                path.pop();
            }
        }
        ListStrategy::Atomic => {
            out.insert(path.clone());
        }
    }
}

#[derive(Default)]
struct Node {
    member: bool,
    children: std::collections::BTreeMap<String, Node>,
}

/// Encode a field set as FieldsV1 JSON.
pub fn encode_fields_v1(set: &FieldSet) -> Value {
    let mut root = Node::default();
    for path in set {
        let mut node = &mut root;
        for e in path {
            node = node.children.entry(e.encode()).or_default();
        }
        node.member = true;
    }
    node_to_json(&root)
}

/// `encode_fields_v1(&field_set(obj))` in one pass, without materializing every path: the hot path of
/// recording a manager on create.
pub fn fields_v1_of(obj: &Value) -> Value {
    let Some(m) = obj.as_object() else { return json!({}) };
    let mut root = Map::new();
    for (k, child) in m.iter().filter(|(k, _)| !k.starts_with('$')) {
        let built = match k.as_str() {
            "apiVersion" | "kind" => None,
            "metadata" => child.as_object().and_then(|meta| {
                let mut fields = Map::new();
                for (mk, mv) in
                    meta.iter().filter(|(mk, _)| !mk.starts_with('$') && !STRIPPED_METADATA.contains(&mk.as_str()))
                {
                    if let Some(n) = fields_node(mv, mk) {
                        fields.insert(prefixed("f:", mk), n);
                    }
                }
                (!fields.is_empty()).then_some(Value::Object(fields))
            }),
            _ => fields_node(child, k),
        };
        if let Some(n) = built {
            root.insert(prefixed("f:", k), n);
        }
    }
    Value::Object(root)
}

/// `prefix` + `text` in one allocation.
fn prefixed(prefix: &str, text: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + text.len());
    s.push_str(prefix);
    s.push_str(text);
    s
}

/// Metadata fields kube never tracks (see `is_stripped`).
const STRIPPED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
];

/// A FieldsV1 node: `children`, plus the `"."` entry when the node is itself a member and has children.
fn fields_json(member: bool, mut children: Map<String, Value>) -> Option<Value> {
    if member && !children.is_empty() {
        children.insert(".".to_string(), json!({}));
    }
    (member || !children.is_empty()).then_some(Value::Object(children))
}

/// The FieldsV1 JSON of value `v` reached through map field `field` ("" under a list item); None when the value
/// contributes no field (null, or a keyed list without keyed items).
fn fields_node(v: &Value, field: &str) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) if m.is_empty() => Some(json!({})),
        Value::Object(m) => {
            let mut children = Map::new();
            for (k, child) in m.iter().filter(|(k, _)| !k.starts_with('$')) {
                if let Some(n) = fields_node(child, k) {
                    children.insert(prefixed("f:", k), n);
                }
            }
            fields_json(OWNED_MAPS.contains(&field), children)
        }
        Value::Array(items) => match list_strategy(field, &[items]) {
            ListStrategy::Keyed(key) => {
                let mut children = Map::new();
                for item in items {
                    let Some(k) = item.get(key) else { continue };
                    let child = match fields_node(item, "") {
                        Some(Value::Object(m)) => m,
                        _ => Map::new(),
                    };
                    if let PathElement::Key(text) = key_element(key, k) {
                        children.insert(prefixed("k:", &text), fields_json(true, child).unwrap_or_default());
                    }
                }
                fields_json(false, children)
            }
            ListStrategy::Set => {
                let children = items.iter().map(|item| (format!("v:{item}"), json!({}))).collect();
                fields_json(true, children)
            }
            ListStrategy::Atomic => Some(json!({})),
        },
        _ => Some(json!({})),
    }
}

fn node_to_json(node: &Node) -> Value {
    let children = node.children.iter().map(|(k, child)| (k.clone(), node_to_json(child))).collect();
    fields_json(node.member, children).unwrap_or_else(|| json!({}))
}

/// Decode FieldsV1 JSON into a field set (unknown keys are skipped).
pub fn decode_fields_v1(v: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    decode_node(v, &mut Vec::new(), &mut out);
    out
}

fn decode_node(v: &Value, path: &mut FieldPath, out: &mut FieldSet) {
    let Some(m) = v.as_object() else { return };
    if m.is_empty() && !path.is_empty() {
        out.insert(path.clone());
        return;
    }
    for (k, child) in m {
        if k == "." {
            if !path.is_empty() {
                out.insert(path.clone());
            }
            continue;
        }
        let Some(e) = PathElement::decode(k) else {
            continue;
        };
        path.push(e);
        decode_node(child, path, out);
        path.pop();
    }
}

fn key_matches(item: &Value, key: &str) -> bool {
    serde_json::from_str::<Map<String, Value>>(key)
        .is_ok_and(|k| k.iter().all(|(name, want)| item.get(name) == Some(want)))
}

fn value_matches(item: &Value, text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| &v == item)
}

fn step<'a>(v: &'a Value, e: &PathElement) -> Option<&'a Value> {
    match e {
        PathElement::Field(f) => v.as_object()?.get(f),
        PathElement::Key(k) => v.as_array()?.iter().find(|i| key_matches(i, k)),
        PathElement::Value(t) => v.as_array()?.iter().find(|i| value_matches(i, t)),
        PathElement::Index(i) => v.as_array()?.get(usize::try_from(*i).ok()?),
    }
}

/// The value at a path, if present.
pub fn value_at<'a>(v: &'a Value, p: &[PathElement]) -> Option<&'a Value> {
    p.iter().try_fold(v, step)
}

fn step_mut<'a>(v: &'a mut Value, e: &PathElement) -> Option<&'a mut Value> {
    match e {
        PathElement::Field(f) => v.as_object_mut()?.get_mut(f),
        PathElement::Key(k) => v.as_array_mut()?.iter_mut().find(|i| key_matches(i, k)),
        PathElement::Value(t) => v.as_array_mut()?.iter_mut().find(|i| value_matches(i, t)),
        PathElement::Index(i) => v.as_array_mut()?.get_mut(usize::try_from(*i).ok()?),
    }
}

/// Remove the value at a path (no-op when absent).
fn remove_at(v: &mut Value, p: &[PathElement]) {
    let Some((last, parent_path)) = p.split_last() else {
        return;
    };
    let Some(parent) = parent_path.iter().try_fold(v, |v, e| step_mut(v, e)) else {
        return;
    };
    match (last, parent) {
        (PathElement::Field(f), Value::Object(m)) => {
            m.remove(f);
        }
        (PathElement::Key(k), Value::Array(a)) => a.retain(|i| !key_matches(i, k)),
        (PathElement::Value(t), Value::Array(a)) => a.retain(|i| !value_matches(i, t)),
        (PathElement::Index(i), Value::Array(a)) => {
            if let Ok(i) = usize::try_from(*i) {
                if i < a.len() {
                    a.remove(i);
                }
            }
        }
        _ => {}
    }
}

/// Whether `p` has descendants in `set` (then it is an inner node: only its existence counts).
fn has_descendant(set: &FieldSet, p: &[PathElement]) -> bool {
    // Descendants sort right after `p` itself.
    set.range(p.to_vec()..).find(|q| q.as_slice() != p).is_some_and(|q| q.starts_with(p))
}

/// Whether the field at `p` differs between `a` and `b`; inner nodes compare by existence.
fn differs(a: Option<&Value>, b: Option<&Value>, p: &[PathElement], set: &FieldSet) -> bool {
    let (x, y) = (a.and_then(|a| value_at(a, p)), b.and_then(|b| value_at(b, p)));
    if has_descendant(set, p) {
        x.is_some() != y.is_some()
    } else {
        x != y
    }
}

// ---------------------------------------------------------------------------------------------
// managedFields
// ---------------------------------------------------------------------------------------------

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Managed {
    manager: String,
    operation: String,
    api_version: String,
    time: Option<String>,
    subresource: Option<String>,
    fields: FieldSet,
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

    /// kube's `printManager`.
    fn describe(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            s = format!("{s} with subresource {sub:?}");
        }
        if self.operation == "Update" {
            s = match &self.time {
                Some(t) => format!("{s} using {} at {t}", self.api_version),
                None => format!("{s} using {}", self.api_version),
            };
        }
        s
    }
}

fn read_managed(obj: Option<&Value>) -> Vec<Managed> {
    obj.and_then(|o| value_at(o, &[PathElement::Field("metadata".into()), PathElement::Field("managedFields".into())]))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Managed::from_json).collect())
        .unwrap_or_default()
}

/// Drop empty entries, sort like kube (operation, time, manager, apiVersion, subresource) and
/// store them in `metadata.managedFields` (removed when none remain).
fn write_managed(obj: &mut Value, mut entries: Vec<Managed>) {
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

/// kube's `ValidatePatchOptions` for the field manager: required for apply (422 on
/// `PatchOptions.meta.k8s.io`), at most 128 characters, printable.
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

/// kube's apply-conflict error (409 Conflict with `FieldManagerConflict` causes).
fn conflict_error(conflicts: &[(String, FieldPath)]) -> ApiError {
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
        .map(|(m, p)| json!({"type": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": display_path(p)}))
        .collect();
    let mut e = ApiError::new(409, "Conflict", message);
    e.details = Some(json!({"causes": causes}));
    e
}

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

/// Server-side apply, simplified (see the module docs): merge `applied` into `current` (`None`
/// = create) and record `field_manager`'s `Apply` entry in `metadata.managedFields`.
///
/// Errors: 422 for a missing/invalid field manager, 400 when `applied` lacks apiVersion, kind or
/// metadata.name or carries managedFields, 409 on conflicts with other managers unless `force`.
pub fn server_side_apply(
    current: Option<&Value>,
    applied: &Value,
    field_manager: &str,
    api_version: &str,
    now: &str,
    force: bool,
) -> Result<Value, ApiError> {
    validate_field_manager(field_manager, true)?;
    check_applied(applied)?;
    let new_set = field_set(applied);
    let mut managers = read_managed(current);
    let is_self = |m: &Managed| m.manager == field_manager && m.operation == "Apply" && m.subresource.is_none();

    let mut conflicts = Vec::new();
    for m in managers.iter_mut().filter(|m| !is_self(m)) {
        let clashing: Vec<FieldPath> =
            m.fields.intersection(&new_set).filter(|p| differs(current, Some(applied), p, &new_set)).cloned().collect();
        if force {
            for p in &clashing {
                m.fields.remove(p);
            }
        } else {
            conflicts.extend(clashing.into_iter().map(|p| (m.describe(), p)));
        }
    }
    if !conflicts.is_empty() {
        return Err(conflict_error(&conflicts));
    }

    let base = current.cloned().unwrap_or_else(|| json!({}));
    let mut merged = strategic_merge(&base, applied)?;
    let previous = managers.iter().find(|m| is_self(m)).map(|m| m.fields.clone()).unwrap_or_default();
    let others: FieldSet = managers.iter().filter(|m| !is_self(m)).flat_map(|m| m.fields.iter().cloned()).collect();
    for p in previous.iter().rev().filter(|p| !new_set.contains(*p)) {
        let still_wanted = |set: &FieldSet| set.contains(p) || has_descendant(set, p);
        if !still_wanted(&new_set) && !still_wanted(&others) {
            remove_at(&mut merged, p);
        }
    }

    managers.retain(|m| !is_self(m));
    managers.push(Managed {
        manager: field_manager.to_string(),
        operation: "Apply".into(),
        api_version: api_version.to_string(),
        time: Some(now.to_string()),
        subresource: None,
        fields: new_set,
    });
    write_managed(&mut merged, managers);
    Ok(merged)
}

/// Record a non-apply write (`operation` is `"Update"`) by `field_manager` in
/// `obj.metadata.managedFields`: the fields that changed between `old` (`None` = create) and
/// `obj` move to the manager's entry (keyed by manager, operation and apiVersion) and out of every
/// other entry; removed fields leave every entry. Entries come from `obj` when it carries
/// (non-empty) managedFields, else from `old`. Empty entries are dropped and the list is sorted
/// as kube does. An empty `field_manager` is recorded as `unknown`.
pub fn record_update_manager(
    obj: &mut Value,
    old: Option<&Value>,
    field_manager: &str,
    operation: &str,
    api_version: &str,
    now: &str,
) {
    let manager = if field_manager.is_empty() { "unknown" } else { field_manager };
    // Create without prior managers: the one entry owns every field.
    if old.is_none() && obj.pointer("/metadata/managedFields").is_none() {
        let fields = fields_v1_of(obj);
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
    let new_set = field_set(obj);
    let old_set = old.map(field_set).unwrap_or_default();
    let changed: FieldSet = new_set.iter().filter(|p| differs(old, Some(obj), p, &new_set)).cloned().collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T>(r: Result<T, ApiError>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error {}: {}", e.code, e.message),
        }
    }

    fn err<T: std::fmt::Debug>(r: Result<T, ApiError>) -> ApiError {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(PatchType::from_content_type("application/json-patch+json"), Some(PatchType::Json));
        assert_eq!(PatchType::from_content_type("application/merge-patch+json; charset=utf-8"), Some(PatchType::Merge));
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json"),
            Some(PatchType::StrategicMerge)
        );
        assert_eq!(PatchType::from_content_type("application/apply-patch+yaml"), Some(PatchType::Apply));
        assert_eq!(PatchType::from_content_type("application/apply-patch+cbor"), None);
        assert_eq!(PatchType::from_content_type("application/json"), None);
        assert_eq!(PatchType::Merge.content_type(), "application/merge-patch+json");
    }

    #[test]
    fn json_patch_ops_and_errors() {
        let cur = json!({"spec": {"replicas": 1, "list": ["a"]}});
        let p = json!([
            {"op": "test", "path": "/spec/replicas", "value": 1},
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/spec/list/-", "value": "b"}
        ]);
        assert_eq!(ok(apply_patch(PatchType::Json, &cur, &p)), json!({"spec": {"replicas": 3, "list": ["a", "b"]}}));
        let failing = json!([{"op": "test", "path": "/spec/replicas", "value": 2}]);
        let e = err(apply_patch(PatchType::Json, &cur, &failing));
        assert_eq!((e.code, e.reason), (422, "Invalid"));
        assert_eq!(e.message, "the server rejected our request due to an error in our request");
        let cause = e.details.as_ref().and_then(|d| d["causes"][0]["message"].as_str().map(str::to_string));
        assert!(cause.is_some_and(|c| c.contains("value did not match")));
        let e = err(apply_patch(PatchType::Json, &cur, &json!([{"op": "remove", "path": "/nope"}])));
        assert_eq!(e.code, 422);
        let e = err(apply_patch(PatchType::Json, &cur, &json!({"op": "add"})));
        assert_eq!((e.code, e.reason), (400, "BadRequest"));
        let e = err(apply_patch(PatchType::Json, &cur, &json!([{"op": "frobnicate", "path": "/a"}])));
        assert_eq!(e.code, 400);
        let many = Value::Array(vec![json!({"op": "test", "path": "", "value": null}); MAX_JSON_PATCH_OPERATIONS + 1]);
        assert_eq!(err(apply_patch(PatchType::Json, &cur, &many)).code, 413);
    }

    #[test]
    fn merge_patch() {
        let cur = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"list": [1, 2]}});
        let p = json!({"metadata": {"labels": {"a": null, "c": "3"}}, "spec": {"list": [3]}});
        assert_eq!(
            ok(apply_patch(PatchType::Merge, &cur, &p)),
            json!({"metadata": {"labels": {"b": "2", "c": "3"}}, "spec": {"list": [3]}})
        );
        let e = err(apply_patch(PatchType::Merge, &cur, &json!([1])));
        assert_eq!((e.code, e.message.as_str()), (400, "Invalid JSON Patch"));
    }

    fn workers() -> Value {
        json!({"spec": {"provider": {"workers": [
            {"name": "a", "minimum": 1, "zones": ["z1", "z2"]},
            {"name": "b", "minimum": 2}
        ]}}})
    }

    #[test]
    fn strategic_merge_by_name() {
        let p = json!({"spec": {"provider": {"workers": [{"name": "b", "minimum": 5}, {"name": "c", "minimum": 1}]}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &workers(), &p));
        assert_eq!(
            out["spec"]["provider"]["workers"],
            json!([
                {"name": "a", "minimum": 1, "zones": ["z1", "z2"]},
                {"name": "b", "minimum": 5},
                {"name": "c", "minimum": 1}
            ])
        );
        // merge patch would have replaced the list
        let merged = ok(apply_patch(PatchType::Merge, &workers(), &p));
        assert_eq!(merged["spec"]["provider"]["workers"].as_array().map(Vec::len), Some(2));
        // primitive lists are replaced
        let p = json!({"spec": {"provider": {"workers": [{"name": "a", "zones": ["z3"]}]}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"][0], json!({"name": "a", "minimum": 1, "zones": ["z3"]}));
    }

    #[test]
    fn strategic_merge_directives() {
        let p = json!({"spec": {"provider": {"workers": [{"name": "a", "$patch": "delete"}]}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"], json!([{"name": "b", "minimum": 2}]));

        let p = json!({"spec": {"provider": {"workers": [{"$patch": "replace"}, {"name": "x", "minimum": 9}]}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"], json!([{"name": "x", "minimum": 9}]));

        let p = json!({"spec": {"provider": {"$patch": "replace", "type": "local"}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &workers(), &p));
        assert_eq!(out["spec"]["provider"], json!({"type": "local"}));

        let p = json!({"spec": {"provider": {"$patch": "delete"}}});
        assert_eq!(ok(apply_patch(PatchType::StrategicMerge, &workers(), &p)), json!({"spec": {}}));

        let p = json!({"spec": {"provider": {"workers": [{"name": "a", "$deleteFromPrimitiveList/zones": ["z1"]}]}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"][0]["zones"], json!(["z2"]));

        let p = json!({"spec": {"provider": {"$setElementOrder/workers": [{"name": "b"}, {"name": "a"}], "workers": [{"name": "a", "minimum": 3}]}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"][0]["name"], "b");
        assert_eq!(out["spec"]["provider"]["workers"][1]["minimum"], 3);

        let cur = json!({"spec": {"strategy": {"type": "A", "rollingUpdate": {"x": 1}}}});
        let p = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "B"}}});
        assert_eq!(ok(apply_patch(PatchType::StrategicMerge, &cur, &p)), json!({"spec": {"strategy": {"type": "B"}}}));

        // directives never leak into new fields
        let p = json!({"spec": {"new": {"$patch": "replace", "a": [{"name": "x", "$patch": "merge"}]}}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &json!({}), &p));
        assert_eq!(out, json!({"spec": {"new": {"a": [{"name": "x"}]}}}));

        let e = err(apply_patch(PatchType::StrategicMerge, &json!({}), &json!({"$patch": "explode"})));
        assert_eq!(e.code, 400);
        let e = err(apply_patch(PatchType::StrategicMerge, &json!({}), &json!([1])));
        assert_eq!(e.message, "json: cannot unmarshal array into Go value of type map[string]interface {}");
    }

    #[test]
    fn strategic_merge_key_table() {
        let cur = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False"}, {"type": "Healthy", "status": "True"}
        ]}, "metadata": {"finalizers": ["a"]}});
        let p = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}, "metadata": {"finalizers": ["b", "a"]}});
        let out = ok(apply_patch(PatchType::StrategicMerge, &cur, &p));
        assert_eq!(
            out["status"]["conditions"],
            json!([{"type": "Ready", "status": "True"}, {"type": "Healthy", "status": "True"}])
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b"]));
        // subjects are atomic even though they carry names
        let cur = json!({"subjects": [{"kind": "User", "name": "a"}, {"kind": "Group", "name": "g"}]});
        let p = json!({"subjects": [{"kind": "Group", "name": "a"}]});
        assert_eq!(ok(apply_patch(PatchType::StrategicMerge, &cur, &p)), p);
        // elements without the key: replaced
        let cur = json!({"items": [{"name": "a"}, {"x": 1}]});
        let p = json!({"items": [{"name": "b"}]});
        assert_eq!(ok(apply_patch(PatchType::StrategicMerge, &cur, &p)), p);
    }

    #[test]
    fn fields_v1_round_trip() {
        let obj = json!({
            "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": "s", "namespace": "garden-a", "labels": {"a": "1"}, "finalizers": ["f"]},
            "spec": {"provider": {"workers": [{"name": "w", "minimum": 1, "zones": ["z"]}]}, "empty": {}}
        });
        let set = field_set(&obj);
        let v1 = encode_fields_v1(&set);
        assert_eq!(
            v1,
            json!({
                "f:metadata": {"f:labels": {".": {}, "f:a": {}}, "f:finalizers": {".": {}, "v:\"f\"": {}}},
                "f:spec": {"f:empty": {}, "f:provider": {"f:workers": {"k:{\"name\":\"w\"}": {
                    ".": {}, "f:minimum": {}, "f:name": {}, "f:zones": {}
                }}}}
            })
        );
        assert_eq!(decode_fields_v1(&v1), set);
        let p = vec![
            PathElement::Field("spec".into()),
            PathElement::Field("workers".into()),
            PathElement::Key("{\"name\":\"w\"}".into()),
            PathElement::Field("minimum".into()),
        ];
        assert_eq!(display_path(&p), ".spec.workers[name=\"w\"].minimum");
    }

    fn managers(obj: &Value) -> Vec<(String, String)> {
        obj["metadata"]["managedFields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["manager"].as_str().unwrap_or("").to_string(),
                            e["operation"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": data})
    }

    #[test]
    fn ssa_create_then_conflict_then_force() {
        let t0 = "2025-01-01T00:00:00Z";
        let obj = ok(server_side_apply(None, &cm(json!({"foo": "1", "bar": "x"})), "kubectl", "v1", t0, false));
        assert_eq!(obj["data"], json!({"foo": "1", "bar": "x"}));
        let mf = &obj["metadata"]["managedFields"][0];
        assert_eq!(mf["operation"], "Apply");
        assert_eq!(mf["fieldsType"], "FieldsV1");
        assert_eq!(mf["time"], t0);
        assert_eq!(mf["fieldsV1"], json!({"f:data": {".": {}, "f:bar": {}, "f:foo": {}}}));

        // same value from another manager: shared, no conflict
        let shared = ok(server_side_apply(Some(&obj), &cm(json!({"foo": "1"})), "other", "v1", t0, false));
        assert_eq!(managers(&shared).len(), 2);
        // different value: conflict
        let e = err(server_side_apply(Some(&obj), &cm(json!({"foo": "2"})), "other", "v1", t0, false));
        assert_eq!((e.code, e.reason), (409, "Conflict"));
        assert_eq!(e.message, "Apply failed with 1 conflict: conflict with \"kubectl\": .data.foo");
        assert_eq!(e.details.as_ref().map(|d| d["causes"][0]["field"].clone()), Some(json!(".data.foo")));
        let e = err(server_side_apply(Some(&obj), &cm(json!({"foo": "2", "bar": "y"})), "other", "v1", t0, false));
        assert_eq!(e.message, "Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .data.bar\n- .data.foo");
        // force takes the field over
        let forced = ok(server_side_apply(Some(&obj), &cm(json!({"foo": "2"})), "other", "v1", t0, true));
        assert_eq!(forced["data"], json!({"foo": "2", "bar": "x"}));
        let entries = forced["metadata"]["managedFields"].as_array().cloned().unwrap_or_default();
        let kubectl = entries.iter().find(|e| e["manager"] == "kubectl").map(|e| e["fieldsV1"].clone());
        assert_eq!(kubectl, Some(json!({"f:data": {".": {}, "f:bar": {}}})));
    }

    #[test]
    fn ssa_removes_fields_no_longer_applied() {
        let t = "2025-01-01T00:00:00Z";
        let obj = ok(server_side_apply(None, &cm(json!({"a": "1", "b": "2"})), "m", "v1", t, false));
        let obj = ok(server_side_apply(Some(&obj), &cm(json!({"a": "1"})), "m", "v1", t, false));
        assert_eq!(obj["data"], json!({"a": "1"}));
        // fields also owned by someone else stay
        let mut upd = obj.clone();
        upd["data"]["c"] = json!("3");
        record_update_manager(&mut upd, Some(&obj), "editor", "Update", "v1", t);
        let obj = ok(server_side_apply(Some(&upd), &cm(json!({"a": "1", "z": "9"})), "m", "v1", t, false));
        let obj = ok(server_side_apply(Some(&obj), &cm(json!({"z": "9"})), "m", "v1", t, false));
        assert_eq!(obj["data"], json!({"c": "3", "z": "9"}));
        // dropping the whole map keeps entries other managers own
        let bare = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}});
        let obj = ok(server_side_apply(Some(&obj), &bare, "m", "v1", t, false));
        assert_eq!(obj["data"], json!({"c": "3"}));
    }

    #[test]
    fn ssa_keyed_lists() {
        let t = "2025-01-01T00:00:00Z";
        let shoot = |workers: Value| json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot", "metadata": {"name": "s"}, "spec": {"workers": workers}});
        let obj = ok(server_side_apply(
            None,
            &shoot(json!([{"name": "a", "max": 1}, {"name": "b", "max": 2}])),
            "m",
            "v1",
            t,
            false,
        ));
        let e = err(server_side_apply(Some(&obj), &shoot(json!([{"name": "a", "max": 5}])), "n", "v1", t, false));
        assert_eq!(e.message, "Apply failed with 1 conflict: conflict with \"m\": .spec.workers[name=\"a\"].max");
        // adding a new item from another manager is fine, and it is merged
        let obj2 = ok(server_side_apply(Some(&obj), &shoot(json!([{"name": "c", "max": 3}])), "n", "v1", t, false));
        assert_eq!(obj2["spec"]["workers"].as_array().map(Vec::len), Some(3));
        // m dropping b removes it, c (owned by n) stays
        let obj3 = ok(server_side_apply(Some(&obj2), &shoot(json!([{"name": "a", "max": 1}])), "m", "v1", t, false));
        let names: Vec<&str> = obj3["spec"]["workers"]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, vec!["a", "c"]);
    }

    #[test]
    fn ssa_validation() {
        let t = "t";
        let e = err(server_side_apply(None, &cm(json!({})), "", "v1", t, false));
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                422,
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
            )
        );
        assert_eq!(err(server_side_apply(None, &cm(json!({})), &"x".repeat(129), "v1", t, false)).code, 422);
        let e =
            err(server_side_apply(None, &json!({"kind": "ConfigMap", "metadata": {"name": "c"}}), "m", "v1", t, false));
        assert!(e.code == 400 && e.message.starts_with("Object 'apiVersion' is missing in '"));
        let e =
            err(server_side_apply(None, &json!({"apiVersion": "v1", "metadata": {"name": "c"}}), "m", "v1", t, false));
        assert!(e.message.starts_with("Object 'Kind' is missing"));
        assert_eq!(
            err(server_side_apply(
                None,
                &json!({"apiVersion": "v1", "kind": "X", "metadata": {}}),
                "m",
                "v1",
                t,
                false
            ))
            .code,
            400
        );
        let mut with_mf = cm(json!({}));
        with_mf["metadata"]["managedFields"] = json!([]);
        assert_eq!(
            err(server_side_apply(None, &with_mf, "m", "v1", t, false)).message,
            "metadata.managedFields must be nil"
        );
        assert_eq!(err(server_side_apply(None, &json!([]), "m", "v1", t, false)).code, 400);
    }

    #[test]
    fn update_manager_bookkeeping() {
        let t1 = "2025-01-01T00:00:00Z";
        let t2 = "2025-01-02T00:00:00Z";
        let mut created = cm(json!({"a": "1", "b": "2"}));
        record_update_manager(&mut created, None, "kubectl-create", "Update", "v1", t1);
        let e = &created["metadata"]["managedFields"][0];
        assert_eq!(
            (e["manager"].as_str(), e["operation"].as_str(), e["time"].as_str()),
            (Some("kubectl-create"), Some("Update"), Some(t1))
        );
        assert_eq!(e["fieldsV1"], json!({"f:data": {".": {}, "f:a": {}, "f:b": {}}}));

        let mut edited = created.clone();
        edited["data"]["b"] = json!("3");
        record_update_manager(&mut edited, Some(&created), "kubectl-edit", "Update", "v1", t2);
        let entries = edited["metadata"]["managedFields"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["fieldsV1"], json!({"f:data": {".": {}, "f:a": {}}}));
        assert_eq!(entries[1]["manager"], "kubectl-edit");
        assert_eq!(entries[1]["fieldsV1"], json!({"f:data": {"f:b": {}}}));

        // an Apply now conflicts with the updater, described as kube does
        let e = err(server_side_apply(Some(&edited), &cm(json!({"b": "4"})), "kubectl", "v1", t2, false));
        assert_eq!(
            e.message,
            format!("Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1 at {t2}: .data.b")
        );

        // a no-op update adds nothing; removing a field drops it from every entry
        let mut same = edited.clone();
        record_update_manager(&mut same, Some(&edited), "noop", "Update", "v1", t2);
        assert_eq!(managers(&same), managers(&edited));
        let mut removed = edited.clone();
        if let Some(d) = removed["data"].as_object_mut() {
            d.remove("b");
        }
        record_update_manager(&mut removed, Some(&edited), "x", "Update", "v1", t2);
        assert_eq!(managers(&removed), vec![("kubectl-create".to_string(), "Update".to_string())]);
    }

    #[test]
    fn managed_fields_sorted_apply_first() {
        let t = "2025-01-01T00:00:00Z";
        let mut obj = cm(json!({"a": "1"}));
        record_update_manager(&mut obj, None, "zz", "Update", "v1", t);
        let obj = ok(server_side_apply(Some(&obj), &cm(json!({"b": "2"})), "aa", "v1", t, false));
        assert_eq!(managers(&obj), vec![("aa".into(), "Apply".into()), ("zz".into(), "Update".into())]);
        assert_eq!(obj["data"], json!({"a": "1", "b": "2"}));
    }
    #[test]
    fn fields_v1_fast_path_matches_the_field_set() {
        let objs = [
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n", "uid": "u",
                "labels": {"x": "1"}, "annotations": {}, "finalizers": ["a", "b"]}, "data": {"k": "v", "n": null}}),
            json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot", "metadata": {"name": "s"},
                "spec": {"provider": {"type": "local", "workers": [{"name": "w1", "minimum": 1, "zones": ["0", "1"],
                "machine": {"type": "m", "image": {"name": "i"}}}, {"name": "w2", "maximum": 2}]},
                "tolerations": [{"key": "t"}], "empty": [], "networking": {"nodes": "10.0.0.0/16"},
                "extensions": [{"type": "x", "providerConfig": {"a": [1, 2]}}], "conditions": []},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
            json!({"metadata": {}}),
        ];
        for o in objs {
            assert_eq!(fields_v1_of(&o), encode_fields_v1(&field_set(&o)), "for {o}");
        }
    }
}
