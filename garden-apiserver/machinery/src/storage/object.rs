//! Cached objects in their compact form: the stored JSON bytes (shared, never re-serialized) plus a small
//! projection of the fields that selectors and housekeeping read. The resourceVersion is not in the stored
//! bytes (it is the etcd revision); it is spliced into `metadata` when the object is written out.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Which fields to keep in the projection: a tree of field names; a leaf keeps the whole subtree.
#[derive(Debug, Default, Clone)]
pub struct Want {
    children: BTreeMap<String, Want>,
    all: bool,
}

impl Want {
    /// From dotted paths such as `metadata.labels` or `spec.seedName`.
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut root = Want::default();
        for p in paths {
            let mut node = &mut root;
            for part in p.split('.') {
                node = node.children.entry(part.to_string()).or_default();
            }
            node.all = true;
        }
        root
    }
}

struct Project<'a>(&'a Want);

impl<'de> DeserializeSeed<'de> for Project<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.0.all {
            return Value::deserialize(d);
        }
        d.deserialize_any(ProjectVisitor(self.0))
    }
}

struct ProjectVisitor<'a>(&'a Want);

impl<'de> Visitor<'de> for ProjectVisitor<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match self.0.children.get(&key) {
                Some(want) => {
                    let v = map.next_value_seed(Project(want))?;
                    if !v.is_null() {
                        out.insert(key, v);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// One object as the watch cache holds it.
#[derive(Debug, Clone)]
pub struct CachedObject {
    raw: Bytes,
    /// Offset in `raw` just after the top-level `"metadata":{`, and whether that object is empty.
    meta_at: Option<(usize, bool)>,
    pub rv: i64,
    /// The projection (see `Want`).
    pub index: Value,
    /// The parsed object, kept once something asked for it through `value()` (admission and authorization read
    /// the same few objects on every request).
    full: OnceLock<Arc<Value>>,
    /// The object's protobuf message (no envelope), kept once a protobuf client asked for it: like the JSON bytes,
    /// it is encoded once per resourceVersion however many lists and watches send it.
    proto: OnceLock<Bytes>,
}

impl CachedObject {
    /// From stored bytes (JSON without resourceVersion) at revision `rv`. None if the bytes are not a JSON object.
    pub fn from_raw(raw: Bytes, rv: i64, want: &Want) -> Option<Self> {
        let mut de = serde_json::Deserializer::from_slice(&raw);
        let index = Project(want).deserialize(&mut de).ok()?;
        if !index.is_object() {
            return None;
        }
        let raw = if index.pointer("/metadata/resourceVersion").is_some() {
            // Written by something other than this server: normalize once.
            let mut v: Value = serde_json::from_slice(&raw).ok()?;
            if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("resourceVersion");
            }
            Bytes::from(serde_json::to_vec(&v).ok()?)
        } else {
            raw
        };
        let meta_at = find_metadata(&raw);
        Some(Self { raw, meta_at, rv, index, full: OnceLock::new(), proto: OnceLock::new() })
    }

    /// The same object at another revision (a deletion's last state).
    pub fn at_rv(&self, rv: i64) -> Self {
        Self {
            rv,
            raw: self.raw.clone(),
            meta_at: self.meta_at,
            index: self.index.clone(),
            full: OnceLock::new(),
            proto: OnceLock::new(),
        }
    }

    /// The full object, parsed once and shared.
    pub fn value(&self) -> Arc<Value> {
        self.full.get_or_init(|| Arc::new(self.parse())).clone()
    }

    pub fn name(&self) -> &str {
        self.index.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.index.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default()
    }

    /// Append the object's JSON, with its resourceVersion, to `buf`.
    pub fn write_json(&self, buf: &mut Vec<u8>) {
        splice_rv(&self.raw, self.meta_at, self.rv, buf);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut buf = Vec::with_capacity(self.raw.len() + 32);
        self.write_json(&mut buf);
        Bytes::from(buf)
    }

    /// The object's protobuf message as `kind` encodes it (computed once, then shared).
    pub fn proto(&self, kind: &dyn crate::protobuf::ProtoKind) -> Result<Bytes, String> {
        if let Some(b) = self.proto.get() {
            return Ok(b.clone());
        }
        let encoded = Bytes::from(kind.encode(&self.to_bytes())?);
        Ok(self.proto.get_or_init(|| encoded).clone())
    }

    /// The full object (parsed on demand; not kept).
    pub fn parse(&self) -> Value {
        let mut v: Value = serde_json::from_slice(&self.raw).unwrap_or(Value::Null);
        super::cache::set_rv(&mut v, self.rv);
        v
    }
}

/// Stored bytes (compact JSON without resourceVersion) with `rv` spliced into `metadata`: what a write returns,
/// without encoding the object a second time.
pub fn with_resource_version(raw: &[u8], rv: i64) -> Vec<u8> {
    let mut buf = Vec::with_capacity(raw.len() + 32);
    splice_rv(raw, find_metadata(raw), rv, &mut buf);
    buf
}

fn splice_rv(raw: &[u8], meta_at: Option<(usize, bool)>, rv: i64, buf: &mut Vec<u8>) {
    match meta_at {
        Some((at, empty)) => {
            buf.extend_from_slice(&raw[..at]);
            buf.extend_from_slice(b"\"resourceVersion\":\"");
            buf.extend_from_slice(rv.to_string().as_bytes());
            buf.extend_from_slice(if empty { b"\"" } else { b"\"," });
            buf.extend_from_slice(&raw[at..]);
        }
        None => buf.extend_from_slice(raw),
    }
}

/// Position just after the top-level `"metadata":{` of a compact JSON object, and whether it is `{}`.
fn find_metadata(raw: &[u8]) -> Option<(usize, bool)> {
    let mut i = skip_ws(raw, 0);
    if raw.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(raw, i);
        if raw.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(raw, i)?;
        let key = &raw[i + 1..key_end - 1];
        i = skip_ws(raw, key_end);
        if raw.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(raw, i + 1);
        if key == b"metadata" && raw.get(i) == Some(&b'{') {
            let after = i + 1;
            return Some((after, raw.get(skip_ws(raw, after)) == Some(&b'}')));
        }
        i = skip_value(raw, i)?;
        i = skip_ws(raw, i);
        match raw.get(i) {
            Some(b',') => i += 1,
            _ => return None,
        }
    }
}

fn skip_ws(raw: &[u8], mut i: usize) -> usize {
    while raw.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// `raw[i]` is `"`; returns the index after the closing quote.
fn skip_string(raw: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match raw.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

fn skip_value(raw: &[u8], mut i: usize) -> Option<usize> {
    match raw.get(i)? {
        b'"' => skip_string(raw, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            loop {
                match raw.get(i)? {
                    b'"' => {
                        i = skip_string(raw, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            while raw.get(i).is_some_and(|c| !matches!(c, b',' | b'}' | b']')) {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn want() -> Want {
        Want::from_paths([
            "metadata.name",
            "metadata.namespace",
            "metadata.labels",
            "metadata.resourceVersion",
            "spec.seedName",
        ])
    }

    #[test]
    fn projects_and_splices_the_resource_version() {
        let obj = json!({"apiVersion": "v1", "data": {"metadata": "x\"{", "k": [1, {"a": "}"}]}, "kind": "ConfigMap",
            "metadata": {"labels": {"a": "b"}, "name": "n", "namespace": "ns", "uid": "u"},
            "spec": {"seedName": "s", "other": {"deep": [1, 2]}}});
        let raw = Bytes::from(serde_json::to_vec(&obj).unwrap());
        let c = CachedObject::from_raw(raw, 42, &want()).unwrap();
        assert_eq!(
            c.index,
            json!({"metadata": {"labels": {"a": "b"}, "name": "n", "namespace": "ns"}, "spec": {"seedName": "s"}})
        );
        assert_eq!((c.name(), c.namespace()), ("n", "ns"));
        let out: Value = serde_json::from_slice(&c.to_bytes()).unwrap();
        let mut expected = obj.clone();
        expected["metadata"]["resourceVersion"] = json!("42");
        assert_eq!(out, expected);
        assert_eq!(c.parse(), expected);
        let gone: Value = serde_json::from_slice(&c.at_rv(50).to_bytes()).unwrap();
        assert_eq!(gone["metadata"]["resourceVersion"], "50");
    }

    #[test]
    fn empty_metadata_and_foreign_resource_versions() {
        let c = CachedObject::from_raw(Bytes::from_static(br#"{"kind":"X","metadata":{}}"#), 7, &want()).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&c.to_bytes()).unwrap(),
            json!({"kind": "X", "metadata": {"resourceVersion": "7"}})
        );
        let c = CachedObject::from_raw(
            Bytes::from_static(br#"{"metadata":{"name":"a","resourceVersion":"3"}}"#),
            9,
            &want(),
        )
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&c.to_bytes()).unwrap(),
            json!({"metadata": {"name": "a", "resourceVersion": "9"}})
        );
        assert!(CachedObject::from_raw(Bytes::from_static(b"[1,2]"), 1, &want()).is_none());
        assert!(CachedObject::from_raw(Bytes::from_static(b"{nope"), 1, &want()).is_none());
    }
}
