//! Field paths and field sets as structured-merge-diff knows them, and their `FieldsV1` encoding in
//! `metadata.managedFields`: `f:<field>` for a field of an object, `k:{"name":"x"}` for the item of a map list
//! (its key fields, sorted, as a JSON object), `v:"x"` for a value of a set list, `i:0` for an index (only read),
//! and `.` for a node that is itself a member of the set besides having members below it.
//!
//! Which paths an object has comes from its schema ([`Node`]): leaves are scalars, atomic lists and atomic maps;
//! granular objects contribute their fields; map-list items contribute themselves and their fields; set lists
//! contribute their values. [`Style::Apply`] is the field set of an applied configuration; [`Style::Update`]
//! also holds granular maps and set lists themselves, so that an update which creates one owns it (kube's `.`
//! under `f:labels` or `f:finalizers`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::schema::{ListType, Node};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElement {
    /// A field of an object: `f:name`.
    Field(String),
    /// A map-list item: `k:{"name":"x"}` (the JSON text of its key fields).
    Key(String),
    /// A set-list value: `v:"x"` (its JSON text).
    Value(String),
    /// A list index: `i:0`.
    Index(i64),
}

/// A path into an object.
pub type FieldPath = Vec<PathElement>;
/// A set of paths.
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

/// The key of a map-list item: its key fields (sorted by name, as a JSON object); `None` when it has none of them.
pub fn item_key(item: &Value, keys: &[String]) -> Option<String> {
    let fields: BTreeMap<&str, &Value> =
        keys.iter().filter_map(|k| item.get(k).filter(|v| !v.is_null()).map(|v| (k.as_str(), v))).collect();
    (!fields.is_empty()).then(|| serde_json::to_string(&fields).unwrap_or_default())
}

/// Metadata fields never tracked in managed fields.
const UNTRACKED_METADATA: &[&str] = &[
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

/// Which field set of an object (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Apply,
    Update,
}

/// The FieldsV1 JSON of the fields of object `obj` with schema `schema` (identity and system metadata left out).
pub fn fields_v1(obj: &Value, schema: Node, style: Style) -> Value {
    let Some(m) = obj.as_object() else { return json!({}) };
    let mut root = Map::new();
    for (k, child) in m {
        let built = match k.as_str() {
            "apiVersion" | "kind" => None,
            "metadata" => child.as_object().and_then(|meta| {
                let meta_schema = schema.field("metadata");
                let mut fields = Map::new();
                for (mk, mv) in meta.iter().filter(|(mk, _)| !UNTRACKED_METADATA.contains(&mk.as_str())) {
                    if let Some(n) = node_fields(mv, child_schema(meta_schema, mk, mv), style) {
                        fields.insert(prefixed("f:", mk), n);
                    }
                }
                (!fields.is_empty()).then_some(Value::Object(fields))
            }),
            _ => node_fields(child, child_schema(schema, k, child), style),
        };
        if let Some(n) = built {
            root.insert(prefixed("f:", k), n);
        }
    }
    Value::Object(root)
}

/// The field set of `obj` (see [`fields_v1`]).
pub fn field_set(obj: &Value, schema: Node, style: Style) -> FieldSet {
    decode_fields_v1(&fields_v1(obj, schema, style))
}

fn prefixed(prefix: &str, text: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + text.len());
    s.push_str(prefix);
    s.push_str(text);
    s
}

/// A FieldsV1 node: `children`, plus `.` when the node is itself a member and has children.
fn node_json(member: bool, mut children: Map<String, Value>) -> Option<Value> {
    if member && !children.is_empty() {
        children.insert(".".to_string(), json!({}));
    }
    (member || !children.is_empty()).then_some(Value::Object(children))
}

/// The schema of field `k` holding `v`: looked up only where it matters (a scalar is a leaf whatever it says).
fn child_schema<'a>(schema: Node<'a>, k: &str, v: &Value) -> Node<'a> {
    if v.is_object() || v.is_array() {
        schema.field(k)
    } else {
        Node::NONE
    }
}

/// The FieldsV1 node of value `v` with schema `schema`; `None` when it contributes nothing (null).
fn node_fields(v: &Value, schema: Node, style: Style) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) if m.is_empty() || schema.is_atomic_map() => Some(json!({})),
        Value::Object(m) => {
            let mut children = Map::new();
            for (k, child) in m {
                if let Some(n) = node_fields(child, child_schema(schema, k, child), style) {
                    children.insert(prefixed("f:", k), n);
                }
            }
            node_json(style == Style::Update && schema.is_map(), children)
        }
        Value::Array(items) if items.is_empty() => Some(json!({})),
        Value::Array(items) => match schema.list_type() {
            ListType::Atomic => Some(json!({})),
            ListType::Set => {
                let children = items.iter().map(|item| (prefixed("v:", &item.to_string()), json!({}))).collect();
                node_json(style == Style::Update, children)
            }
            ListType::Map(keys) => {
                let item_schema = schema.items();
                let mut children = Map::new();
                for (i, item) in items.iter().enumerate() {
                    let element = match item_key(item, &keys) {
                        Some(k) => prefixed("k:", &k),
                        None => format!("i:{i}"),
                    };
                    let fields = match node_fields(item, item_schema, style) {
                        Some(Value::Object(m)) => m,
                        _ => Map::new(),
                    };
                    children.insert(element, node_json(true, fields).unwrap_or_default());
                }
                node_json(false, children)
            }
        },
        _ => Some(json!({})),
    }
}

#[derive(Default)]
struct Tree {
    member: bool,
    children: BTreeMap<String, Tree>,
}

/// Encode a field set as FieldsV1 JSON.
pub fn encode_fields_v1(set: &FieldSet) -> Value {
    let mut root = Tree::default();
    for path in set {
        let mut node = &mut root;
        for e in path {
            node = node.children.entry(e.encode()).or_default();
        }
        node.member = true;
    }
    tree_json(&root)
}

fn tree_json(node: &Tree) -> Value {
    let children = node.children.iter().map(|(k, child)| (k.clone(), tree_json(child))).collect();
    node_json(node.member, children).unwrap_or_else(|| json!({}))
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

/// Remove the value at a path (nothing when absent).
pub fn remove_at(v: &mut Value, p: &[PathElement]) {
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

/// Whether `set` holds paths below `p`.
pub fn has_descendant(set: &FieldSet, p: &[PathElement]) -> bool {
    // Descendants sort right after `p` itself.
    set.range(p.to_vec()..).find(|q| q.as_slice() != p).is_some_and(|q| q.starts_with(p))
}

/// Whether the field at `p` differs between `a` and `b`: by value for a leaf of `set`, by presence for a node
/// with members below it in `set`.
pub fn differs(a: Option<&Value>, b: Option<&Value>, p: &[PathElement], set: &FieldSet) -> bool {
    let (x, y) = (a.and_then(|a| value_at(a, p)), b.and_then(|b| value_at(b, p)));
    if has_descendant(set, p) {
        x.is_some() != y.is_some()
    } else {
        x != y
    }
}
