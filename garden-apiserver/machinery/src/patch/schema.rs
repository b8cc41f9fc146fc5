//! The schema information that drives strategic merge patch and server-side apply, read from the OpenAPI v3
//! schemas of the server's kinds ([`crate::openapi::definitions`]) and the `x-kubernetes-*` extensions kube
//! publishes on them:
//! - `x-kubernetes-list-type`: `atomic` (replaced as a whole), `set` (scalars, merged by value) or `map` (objects,
//!   merged by the fields named in `x-kubernetes-list-map-keys`);
//! - `x-kubernetes-map-type`: `atomic` (replaced as a whole) or `granular` (merged field by field, the default);
//! - `x-kubernetes-patch-strategy` (comma-separated: `merge`, `replace`, `retainKeys`) and
//!   `x-kubernetes-patch-merge-key`: strategic merge patch. A list without a list type but with the `merge`
//!   strategy is, as in kube's conversion of OpenAPI to structured-merge schemas, a map list keyed by the merge
//!   key (a set without one).
//!
//! Lists the schema says nothing about are atomic; objects are granular. Parts of an object the schema does not
//! describe (or a kind without schema) follow the same defaults.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::registry::ResourceType;

/// Where `$ref`s point.
const REF_PREFIX: &str = "#/components/schemas/";
/// Bound on chains of `$ref`/`allOf` followed for one node (the schemas are finite, this guards loops).
const MAX_REF_DEPTH: usize = 16;

/// The schemas of a set of kinds, and which schema is each kind's.
#[derive(Default)]
pub struct Schemas {
    defs: Map<String, Value>,
    /// `group/Kind` -> schema name.
    roots: HashMap<String, String>,
}

impl Schemas {
    /// The schemas of `types`, built once (at server start).
    pub fn build(types: &[&ResourceType]) -> Self {
        let (defs, names) = crate::openapi::definitions(types);
        let roots = types.iter().zip(names).map(|(rt, name)| (format!("{}/{}", rt.group, rt.kind), name)).collect();
        Self { defs, roots }
    }

    /// Schemas from already built definitions; `roots` maps `group/Kind` to a schema name.
    pub fn from_definitions(defs: Map<String, Value>, roots: HashMap<String, String>) -> Self {
        Self { defs, roots }
    }

    /// The schema of kind `kind` of API group `group` (the empty node when unknown).
    pub fn root(&self, group: &str, kind: &str) -> Node<'_> {
        let schema = self.roots.get(&format!("{group}/{kind}")).and_then(|n| self.defs.get(n));
        Node { defs: Some(&self.defs), schema }
    }
}

/// How a list merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListType {
    /// Replaced as a whole.
    Atomic,
    /// Scalars, merged by value.
    Set,
    /// Objects, merged by the values of these fields.
    Map(Vec<String>),
}

/// A position in a schema: a cheap handle, `Node::NONE` where nothing is known.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    defs: Option<&'a Map<String, Value>>,
    schema: Option<&'a Value>,
}

impl<'a> Node<'a> {
    /// No schema information: every default applies.
    pub const NONE: Node<'static> = Node { defs: None, schema: None };

    fn with(self, schema: Option<&'a Value>) -> Node<'a> {
        Node { defs: self.defs, schema }
    }

    /// Visit this schema and the schemas it stands for (`$ref`, `allOf`, `anyOf`, `oneOf`), outermost first, until
    /// `f` finds something.
    fn find<T>(&self, f: &mut impl FnMut(&'a Value) -> Option<T>) -> Option<T> {
        fn walk<'a, T>(
            defs: Option<&'a Map<String, Value>>,
            v: &'a Value,
            depth: usize,
            f: &mut impl FnMut(&'a Value) -> Option<T>,
        ) -> Option<T> {
            if depth > MAX_REF_DEPTH {
                return None;
            }
            if let Some(found) = f(v) {
                return Some(found);
            }
            if let Some(target) = v
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(REF_PREFIX))
                .and_then(|name| defs?.get(name))
            {
                if let Some(found) = walk(defs, target, depth + 1, f) {
                    return Some(found);
                }
            }
            for combinator in ["allOf", "anyOf", "oneOf"] {
                for part in v.get(combinator).and_then(Value::as_array).into_iter().flatten() {
                    if let Some(found) = walk(defs, part, depth + 1, f) {
                        return Some(found);
                    }
                }
            }
            None
        }
        walk(self.defs, self.schema?, 0, f)
    }

    fn extension(&self, name: &str) -> Option<&'a Value> {
        self.find(&mut |v| v.get(name))
    }

    fn extension_str(&self, name: &str) -> Option<&'a str> {
        self.extension(name).and_then(Value::as_str)
    }

    /// The schema of field `name` of this object (a property, else the map's value schema).
    pub fn field(&self, name: &str) -> Node<'a> {
        let property = self.find(&mut |v| v.get("properties")?.get(name));
        let found = property.or_else(|| self.find(&mut |v| v.get("additionalProperties").filter(|a| a.is_object())));
        self.with(found)
    }

    /// The schema of this list's items.
    pub fn items(&self) -> Node<'a> {
        self.with(self.find(&mut |v| v.get("items").filter(|i| i.is_object())))
    }

    /// Whether this object is a map (`additionalProperties`) rather than a struct (`properties`).
    pub fn is_map(&self) -> bool {
        self.find(&mut |v| v.get("properties").map(|_| false).or_else(|| v.get("additionalProperties").map(|_| true)))
            .unwrap_or(false)
    }

    /// `x-kubernetes-map-type: atomic`.
    pub fn is_atomic_map(&self) -> bool {
        self.extension_str("x-kubernetes-map-type") == Some("atomic")
    }

    /// The list's merge behaviour for server-side apply (see the module docs).
    pub fn list_type(&self) -> ListType {
        match self.extension_str("x-kubernetes-list-type") {
            Some("set") => return ListType::Set,
            Some("map") => {
                let keys: Vec<String> = self
                    .extension("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default();
                return if keys.is_empty() { ListType::Atomic } else { ListType::Map(keys) };
            }
            Some(_) => return ListType::Atomic,
            None => {}
        }
        if self.patch_strategies().any(|s| s == "merge") {
            return match self.patch_merge_key() {
                Some(key) => ListType::Map(vec![key.to_string()]),
                None => ListType::Set,
            };
        }
        ListType::Atomic
    }

    /// The `x-kubernetes-patch-strategy` values.
    pub fn patch_strategies(&self) -> impl Iterator<Item = &'a str> {
        self.extension_str("x-kubernetes-patch-strategy").unwrap_or_default().split(',').map(str::trim)
    }

    /// `x-kubernetes-patch-merge-key`.
    pub fn patch_merge_key(&self) -> Option<&'a str> {
        self.extension_str("x-kubernetes-patch-merge-key")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A hand-written schema set in the shape schemars produces (refs, `allOf` wrappers, nullable `anyOf`).
    pub(crate) fn fixture() -> Schemas {
        let defs = json!({
            "Deployment": {"type": "object", "properties": {
                "metadata": {"allOf": [{"$ref": "#/components/schemas/ObjectMeta"}]},
                "spec": {"anyOf": [{"$ref": "#/components/schemas/PodSpec"}, {"enum": [null], "nullable": true}]}
            }},
            "ObjectMeta": {"type": "object", "properties": {
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "finalizers": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set",
                               "x-kubernetes-patch-strategy": "merge"}
            }},
            "PodSpec": {"type": "object", "properties": {
                "containers": {"type": "array", "items": {"$ref": "#/components/schemas/Container"},
                               "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                               "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"},
                "args": {"type": "array", "items": {"type": "string"}},
                "selector": {"type": "object", "additionalProperties": {"type": "string"},
                             "x-kubernetes-map-type": "atomic"},
                "legacy": {"type": "array", "items": {"type": "object"},
                           "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "id"}
            }},
            "Container": {"type": "object", "properties": {
                "name": {"type": "string"},
                "ports": {"type": "array", "items": {"$ref": "#/components/schemas/Port"},
                          "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["containerPort", "protocol"]}
            }},
            "Port": {"type": "object", "properties": {"containerPort": {"type": "integer"}, "protocol": {"type": "string"}}}
        });
        let Value::Object(defs) = defs else { unreachable!() };
        Schemas::from_definitions(defs, HashMap::from([("apps/Deployment".to_string(), "Deployment".to_string())]))
    }

    #[test]
    fn walks_refs_and_reads_extensions() {
        let s = fixture();
        let root = s.root("apps", "Deployment");
        let spec = root.field("spec");
        assert_eq!(spec.field("containers").list_type(), ListType::Map(vec!["name".into()]));
        assert_eq!(spec.field("args").list_type(), ListType::Atomic);
        assert_eq!(spec.field("legacy").list_type(), ListType::Map(vec!["id".into()]));
        assert!(spec.field("selector").is_atomic_map());
        let ports = spec.field("containers").items().field("ports");
        assert_eq!(ports.list_type(), ListType::Map(vec!["containerPort".into(), "protocol".into()]));
        let meta = root.field("metadata");
        assert!(meta.field("labels").is_map());
        assert!(!meta.is_map());
        assert_eq!(meta.field("finalizers").list_type(), ListType::Set);
        assert_eq!(spec.field("containers").patch_merge_key(), Some("name"));
        // Unknown parts and kinds: defaults.
        assert_eq!(spec.field("nope").list_type(), ListType::Atomic);
        assert_eq!(s.root("", "ConfigMap").field("data").list_type(), ListType::Atomic);
        assert_eq!(Node::NONE.field("x").items().list_type(), ListType::Atomic);
    }
}
