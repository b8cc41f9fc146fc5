//! PATCH: JSON patch and merge patch ([`json`]), strategic merge patch ([`strategic`]) and server-side apply
//! ([`apply`]), the last two driven by the schemas of the server's kinds and their `x-kubernetes-*` extensions
//! ([`schema`]); field sets and their FieldsV1 encoding ([`fieldpath`]) and `metadata.managedFields` bookkeeping
//! ([`managed`]).

pub mod apply;
pub mod fieldpath;
pub mod json;
pub mod managed;
pub mod schema;
pub mod strategic;

use serde_json::Value;

pub use apply::{server_side_apply, ApplyRequest};
pub use json::MAX_JSON_PATCH_OPERATIONS;
pub use managed::{record_update_manager, validate_field_manager, FIELD_MANAGER_MAX_LENGTH};
pub use schema::{Node, Schemas};
pub use strategic::strategic_merge;

use crate::error::ApiError;

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
    /// The patch type of a Content-Type header value (parameters like `; charset=utf-8` ignored), `None` for
    /// anything else (including `application/apply-patch+cbor`).
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

/// Apply a JSON, merge or strategic merge patch document (already parsed) to `current`, whose schema is `schema`.
/// Server-side apply is not a patch of this kind (it needs the field manager): `Apply` is answered with 415, use
/// [`server_side_apply`].
pub fn apply_patch(kind: PatchType, schema: Node, current: &Value, patch: &Value) -> Result<Value, ApiError> {
    match kind {
        PatchType::Json => json::json_patch(current, patch),
        PatchType::Merge => json::merge_patch(current, patch),
        PatchType::StrategicMerge => strategic_merge(schema, current, patch),
        PatchType::Apply => Err(ApiError::unsupported_media("apply patches need a field manager")),
    }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::fieldpath::{decode_fields_v1, display_path, encode_fields_v1, field_set, PathElement, Style};
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

    /// Schemas in the shape schemars writes them, with kube's extensions where kube publishes them.
    fn schemas() -> Schemas {
        let meta = json!({"allOf": [{"$ref": "#/components/schemas/ObjectMeta"}]});
        let defs = json!({
            "ObjectMeta": {"type": "object", "properties": {
                "name": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                "finalizers": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set",
                               "x-kubernetes-patch-strategy": "merge"}
            }},
            "ConfigMap": {"type": "object", "properties": {
                "metadata": meta,
                "data": {"type": "object", "additionalProperties": {"type": "string"}}
            }},
            "Shoot": {"type": "object", "properties": {"metadata": meta, "spec": {"type": "object", "properties": {
                "provider": {"type": "object", "properties": {"workers": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Worker"},
                    "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                    "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"
                }}},
                "strategy": {"type": "object", "x-kubernetes-patch-strategy": "retainKeys"},
                "selector": {"type": "object", "additionalProperties": {"type": "string"},
                             "x-kubernetes-map-type": "atomic"}
            }}, "status": {"type": "object", "properties": {"conditions": {
                "type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"], "x-kubernetes-patch-strategy": "merge",
                "x-kubernetes-patch-merge-key": "type"
            }}}}},
            "Worker": {"type": "object", "properties": {
                "name": {"type": "string"}, "minimum": {"type": "integer"},
                "zones": {"type": "array", "items": {"type": "string"}}
            }},
            "Deployment": {"type": "object", "properties": {"spec": {"type": "object", "properties": {
                "containers": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {"ports": {"type": "array", "items": {"type": "object"},
                        "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["containerPort", "protocol"]}}}}
            }}}},
            "RoleBinding": {"type": "object", "properties": {"metadata": meta,
                "subjects": {"type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "atomic"}}}
        });
        let Value::Object(defs) = defs else { unreachable!() };
        let roots = [
            ("/ConfigMap", "ConfigMap"),
            ("g/Shoot", "Shoot"),
            ("rbac/RoleBinding", "RoleBinding"),
            ("apps/Deployment", "Deployment"),
        ];
        Schemas::from_definitions(
            defs,
            roots.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<HashMap<_, _>>(),
        )
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
        let patch = |cur: &Value, p: &Value| apply_patch(PatchType::Json, Node::NONE, cur, p);
        assert_eq!(ok(patch(&cur, &p)), json!({"spec": {"replicas": 3, "list": ["a", "b"]}}));
        let e = err(patch(&cur, &json!([{"op": "test", "path": "/spec/replicas", "value": 2}])));
        assert_eq!((e.code, e.reason), (422, "Invalid"));
        assert_eq!(e.message, "the server rejected our request due to an error in our request");
        let cause = e.details.as_ref().and_then(|d| d["causes"][0]["message"].as_str().map(str::to_string));
        assert!(cause.is_some_and(|c| c.contains("value did not match")));
        assert_eq!(err(patch(&cur, &json!([{"op": "remove", "path": "/nope"}]))).code, 422);
        let e = err(patch(&cur, &json!({"op": "add"})));
        assert_eq!((e.code, e.reason), (400, "BadRequest"));
        assert_eq!(err(patch(&cur, &json!([{"op": "frobnicate", "path": "/a"}]))).code, 400);
        let many = Value::Array(vec![json!({"op": "test", "path": "", "value": null}); MAX_JSON_PATCH_OPERATIONS + 1]);
        assert_eq!(err(patch(&cur, &many)).code, 413);
    }

    #[test]
    fn merge_patch() {
        let cur = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"list": [1, 2]}});
        let p = json!({"metadata": {"labels": {"a": null, "c": "3"}}, "spec": {"list": [3]}});
        assert_eq!(
            ok(apply_patch(PatchType::Merge, Node::NONE, &cur, &p)),
            json!({"metadata": {"labels": {"b": "2", "c": "3"}}, "spec": {"list": [3]}})
        );
        let e = err(apply_patch(PatchType::Merge, Node::NONE, &cur, &json!([1])));
        assert_eq!((e.code, e.message.as_str()), (400, "Invalid JSON Patch"));
    }

    fn workers() -> Value {
        json!({"spec": {"provider": {"workers": [
            {"name": "a", "minimum": 1, "zones": ["z1", "z2"]},
            {"name": "b", "minimum": 2}
        ]}}})
    }

    fn smp(kind: &str, cur: &Value, p: &Value) -> Result<Value, ApiError> {
        let s = schemas();
        let (group, kind) = kind.split_once('/').unwrap_or_default();
        strategic_merge(s.root(group, kind), cur, p)
    }

    #[test]
    fn strategic_merge_by_schema_merge_key() {
        let p = json!({"spec": {"provider": {"workers": [{"name": "b", "minimum": 5}, {"name": "c", "minimum": 1}]}}});
        let out = ok(smp("g/Shoot", &workers(), &p));
        assert_eq!(
            out["spec"]["provider"]["workers"],
            json!([
                {"name": "a", "minimum": 1, "zones": ["z1", "z2"]},
                {"name": "b", "minimum": 5},
                {"name": "c", "minimum": 1}
            ])
        );
        // without schema information the list is replaced, as a merge patch would
        let plain = ok(strategic_merge(Node::NONE, &workers(), &p));
        assert_eq!(plain["spec"]["provider"]["workers"].as_array().map(Vec::len), Some(2));
        // lists without a merge strategy are replaced
        let p = json!({"spec": {"provider": {"workers": [{"name": "a", "zones": ["z3"]}]}}});
        let out = ok(smp("g/Shoot", &workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"][0], json!({"name": "a", "minimum": 1, "zones": ["z3"]}));
        // merge without key: a set; keyed by `type` where the schema says so
        let cur = json!({"metadata": {"finalizers": ["a"]}, "status": {"conditions": [
            {"type": "Ready", "status": "False"}, {"type": "Healthy", "status": "True"}]}});
        let p = json!({"metadata": {"finalizers": ["b", "a"]}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let out = ok(smp("g/Shoot", &cur, &p));
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b"]));
        assert_eq!(
            out["status"]["conditions"],
            json!([{"type": "Ready", "status": "True"}, {"type": "Healthy", "status": "True"}])
        );
        // subjects: atomic
        let cur = json!({"subjects": [{"kind": "User", "name": "a"}, {"kind": "Group", "name": "g"}]});
        let p = json!({"subjects": [{"kind": "Group", "name": "a"}]});
        assert_eq!(ok(smp("rbac/RoleBinding", &cur, &p)), p);
        // an item without the merge key
        let p = json!({"spec": {"provider": {"workers": [{"minimum": 5}]}}});
        let e = err(smp("g/Shoot", &workers(), &p));
        assert_eq!(
            (e.code, e.message.as_str()),
            (400, "map: {\"minimum\":5} does not contain declared merge key: name")
        );
    }

    #[test]
    fn strategic_merge_directives() {
        let shoot = |cur: &Value, p: &Value| smp("g/Shoot", cur, p);
        let p = json!({"spec": {"provider": {"workers": [{"name": "a", "$patch": "delete"}]}}});
        let out = ok(shoot(&workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"], json!([{"name": "b", "minimum": 2}]));

        let p = json!({"spec": {"provider": {"workers": [{"$patch": "replace"}, {"name": "x", "minimum": 9}]}}});
        let out = ok(shoot(&workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"], json!([{"name": "x", "minimum": 9}]));

        let p = json!({"spec": {"provider": {"$patch": "replace", "type": "local"}}});
        assert_eq!(ok(shoot(&workers(), &p))["spec"]["provider"], json!({"type": "local"}));

        let p = json!({"spec": {"provider": {"$patch": "delete"}}});
        assert_eq!(ok(shoot(&workers(), &p)), json!({"spec": {}}));

        let p = json!({"spec": {"provider": {"workers": [{"name": "a", "$deleteFromPrimitiveList/zones": ["z1"]}]}}});
        assert_eq!(ok(shoot(&workers(), &p))["spec"]["provider"]["workers"][0]["zones"], json!(["z2"]));

        let p = json!({"spec": {"provider": {"$setElementOrder/workers": [{"name": "b"}, {"name": "a"}], "workers": [{"name": "a", "minimum": 3}]}}});
        let out = ok(shoot(&workers(), &p));
        assert_eq!(out["spec"]["provider"]["workers"][0]["name"], "b");
        assert_eq!(out["spec"]["provider"]["workers"][1]["minimum"], 3);

        let cur = json!({"spec": {"strategy": {"type": "A", "rollingUpdate": {"x": 1}}}});
        let p = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "B"}}});
        assert_eq!(ok(shoot(&cur, &p)), json!({"spec": {"strategy": {"type": "B"}}}));

        // directives never leak into new fields
        let p = json!({"spec": {"new": {"$patch": "replace", "a": [{"name": "x", "$patch": "merge"}]}}});
        assert_eq!(ok(shoot(&json!({}), &p)), json!({"spec": {"new": {"a": [{"name": "x"}]}}}));

        assert_eq!(err(shoot(&json!({}), &json!({"$patch": "explode"}))).code, 400);
        let e = err(shoot(&json!({}), &json!([1])));
        assert_eq!(e.message, "json: cannot unmarshal array into Go value of type map[string]interface {}");
    }

    #[test]
    fn fields_v1_by_schema() {
        let s = schemas();
        let obj = json!({
            "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": "s", "namespace": "garden-a", "labels": {"a": "1"}, "finalizers": ["f"]},
            "spec": {"provider": {"workers": [{"name": "w", "minimum": 1, "zones": ["z"]}]}, "empty": {},
                     "selector": {"x": "y"}}
        });
        let root = s.root("g", "Shoot");
        let applied = fieldpath::fields_v1(&obj, root, Style::Apply);
        assert_eq!(
            applied,
            json!({
                "f:metadata": {"f:labels": {"f:a": {}}, "f:finalizers": {"v:\"f\"": {}}},
                "f:spec": {"f:empty": {}, "f:selector": {}, "f:provider": {"f:workers": {"k:{\"name\":\"w\"}": {
                    ".": {}, "f:minimum": {}, "f:name": {}, "f:zones": {}
                }}}}
            })
        );
        let updated = fieldpath::fields_v1(&obj, root, Style::Update);
        assert_eq!(
            updated["f:metadata"],
            json!({"f:labels": {".": {}, "f:a": {}}, "f:finalizers": {".": {}, "v:\"f\"": {}}})
        );
        let set = field_set(&obj, root, Style::Update);
        assert_eq!(encode_fields_v1(&set), updated);
        assert_eq!(decode_fields_v1(&updated), set);
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
                    .map(|e| (e["manager"].as_str().unwrap_or("").into(), e["operation"].as_str().unwrap_or("").into()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn entry(obj: &Value, manager: &str, operation: &str) -> Value {
        obj["metadata"]["managedFields"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["manager"] == manager && e["operation"] == operation))
            .map(|e| e["fieldsV1"].clone())
            .unwrap_or(Value::Null)
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": data})
    }

    const T: &str = "2025-01-01T00:00:00Z";

    /// Apply `applied` as `manager` to `cur` with the fixture schema of `kind` (`group/Kind`).
    fn ssa(kind: &str, cur: Option<&Value>, applied: &Value, manager: &str, force: bool) -> Result<Value, ApiError> {
        let s = schemas();
        let (group, kind) = kind.split_once('/').unwrap_or_default();
        let req =
            ApplyRequest { schema: s.root(group, kind), field_manager: manager, api_version: "v1", now: T, force };
        server_side_apply(&req, cur, applied)
    }

    fn update(cur: &Value, new: &mut Value, manager: &str) {
        let s = schemas();
        record_update_manager(new, Some(cur), s.root("", "ConfigMap"), manager, "Update", "v1", T);
    }

    #[test]
    fn ssa_create_then_conflict_then_force() {
        let obj = ok(ssa("/ConfigMap", None, &cm(json!({"foo": "1", "bar": "x"})), "kubectl", false));
        assert_eq!(obj["data"], json!({"foo": "1", "bar": "x"}));
        let mf = &obj["metadata"]["managedFields"][0];
        assert_eq!(
            (mf["operation"].as_str(), mf["fieldsType"].as_str(), mf["time"].as_str()),
            (Some("Apply"), Some("FieldsV1"), Some(T))
        );
        assert_eq!(mf["fieldsV1"], json!({"f:data": {"f:bar": {}, "f:foo": {}}}));

        // same value from another manager: shared, no conflict
        let shared = ok(ssa("/ConfigMap", Some(&obj), &cm(json!({"foo": "1"})), "other", false));
        assert_eq!(managers(&shared).len(), 2);
        assert_eq!(entry(&shared, "kubectl", "Apply"), json!({"f:data": {"f:bar": {}, "f:foo": {}}}));
        // different value: conflict
        let e = err(ssa("/ConfigMap", Some(&obj), &cm(json!({"foo": "2"})), "other", false));
        assert_eq!((e.code, e.reason), (409, "Conflict"));
        assert_eq!(e.message, "Apply failed with 1 conflict: conflict with \"kubectl\": .data.foo");
        let cause = e.details.as_ref().map(|d| d["causes"][0].clone());
        assert_eq!(
            cause,
            Some(
                json!({"reason": "FieldManagerConflict", "message": "conflict with \"kubectl\"", "field": ".data.foo"})
            )
        );
        let e = err(ssa("/ConfigMap", Some(&obj), &cm(json!({"foo": "2", "bar": "y"})), "other", false));
        assert_eq!(e.message, "Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .data.bar\n- .data.foo");
        // force takes the field over
        let forced = ok(ssa("/ConfigMap", Some(&obj), &cm(json!({"foo": "2"})), "other", true));
        assert_eq!(forced["data"], json!({"foo": "2", "bar": "x"}));
        assert_eq!(entry(&forced, "kubectl", "Apply"), json!({"f:data": {"f:bar": {}}}));
        assert_eq!(entry(&forced, "other", "Apply"), json!({"f:data": {"f:foo": {}}}));
    }

    #[test]
    fn ssa_removes_fields_no_longer_applied() {
        let obj = ok(ssa("/ConfigMap", None, &cm(json!({"a": "1", "b": "2"})), "m", false));
        let obj = ok(ssa("/ConfigMap", Some(&obj), &cm(json!({"a": "1"})), "m", false));
        assert_eq!(obj["data"], json!({"a": "1"}));
        assert_eq!(managers(&obj), vec![("m".to_string(), "Apply".to_string())]);
        // fields also owned by someone else stay
        let mut upd = obj.clone();
        upd["data"]["c"] = json!("3");
        update(&obj, &mut upd, "editor");
        let obj = ok(ssa("/ConfigMap", Some(&upd), &cm(json!({"a": "1", "z": "9"})), "m", false));
        let obj = ok(ssa("/ConfigMap", Some(&obj), &cm(json!({"z": "9"})), "m", false));
        assert_eq!(obj["data"], json!({"c": "3", "z": "9"}));
        // dropping the whole map keeps entries other managers own
        let bare = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}});
        let obj = ok(ssa("/ConfigMap", Some(&obj), &bare, "m", false));
        assert_eq!(obj["data"], json!({"c": "3"}));
        // a field two appliers applied stays when one of them stops applying it
        let two = ok(ssa("/ConfigMap", None, &cm(json!({"s": "1"})), "p", false));
        let two = ok(ssa("/ConfigMap", Some(&two), &cm(json!({"s": "1"})), "q", false));
        let two = ok(ssa("/ConfigMap", Some(&two), &cm(json!({})), "p", false));
        assert_eq!(two["data"], json!({"s": "1"}));
        assert_eq!(entry(&two, "q", "Apply"), json!({"f:data": {"f:s": {}}}));
    }

    fn shoot(workers: Value) -> Value {
        json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot", "metadata": {"name": "s"},
               "spec": {"provider": {"workers": workers}}})
    }

    #[test]
    fn ssa_map_lists_atomic_lists_and_maps() {
        let obj = ok(ssa(
            "g/Shoot",
            None,
            &shoot(json!([{"name": "a", "minimum": 1}, {"name": "b", "minimum": 2}])),
            "m",
            false,
        ));
        let e = err(ssa("g/Shoot", Some(&obj), &shoot(json!([{"name": "a", "minimum": 5}])), "n", false));
        assert_eq!(
            e.message,
            "Apply failed with 1 conflict: conflict with \"m\": .spec.provider.workers[name=\"a\"].minimum"
        );
        // another manager's new item is merged in
        let obj2 = ok(ssa("g/Shoot", Some(&obj), &shoot(json!([{"name": "c", "minimum": 3}])), "n", false));
        assert_eq!(obj2["spec"]["provider"]["workers"].as_array().map(Vec::len), Some(3));
        // m dropping b removes it; c (n's) stays
        let obj3 = ok(ssa("g/Shoot", Some(&obj2), &shoot(json!([{"name": "a", "minimum": 1}])), "m", false));
        let names: Vec<&str> = obj3["spec"]["provider"]["workers"]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, vec!["a", "c"]);
        // atomic list inside an item: owned as one field, replaced as a whole
        let z = ok(ssa(
            "g/Shoot",
            Some(&obj3),
            &shoot(json!([{"name": "a", "minimum": 1, "zones": ["1", "2"]}])),
            "m",
            false,
        ));
        let e = err(ssa("g/Shoot", Some(&z), &shoot(json!([{"name": "a", "zones": ["3"]}])), "n", false));
        assert!(e.message.ends_with(".spec.provider.workers[name=\"a\"].zones"), "{}", e.message);
        // atomic maps are replaced, not merged
        let sel =
            |m: Value| json!({"apiVersion": "v", "kind": "Shoot", "metadata": {"name": "s"}, "spec": {"selector": m}});
        let a = ok(ssa("g/Shoot", None, &sel(json!({"x": "1", "y": "2"})), "m", false));
        let b = ok(ssa("g/Shoot", Some(&a), &sel(json!({"z": "3"})), "m", false));
        assert_eq!(b["spec"]["selector"], json!({"z": "3"}));
        // map-list items need their keys, once each
        let e = err(ssa("g/Shoot", None, &shoot(json!([{"minimum": 1}])), "m", false));
        assert_eq!(e.code, 400);
        assert!(e.message.contains(".spec.provider.workers: element 0: associative list with keys has an element that omits key field \"name\""), "{}", e.message);
        let e = err(ssa("g/Shoot", None, &shoot(json!([{"name": "a"}, {"name": "a"}])), "m", false));
        assert!(e.message.contains("duplicate entries for key [name=\"a\"]"), "{}", e.message);
        // atomic subjects: one field
        let rb = |s: Value| json!({"apiVersion": "rbac/v1", "kind": "RoleBinding", "metadata": {"name": "r"}, "subjects": s});
        let r = ok(ssa("rbac/RoleBinding", None, &rb(json!([{"kind": "User", "name": "a"}])), "m", false));
        assert_eq!(entry(&r, "m", "Apply"), json!({"f:subjects": {}}));
        let e = err(ssa("rbac/RoleBinding", Some(&r), &rb(json!([{"kind": "User", "name": "b"}])), "n", false));
        assert_eq!(e.message, "Apply failed with 1 conflict: conflict with \"m\": .subjects");
    }

    #[test]
    fn ssa_items_keep_their_keys_while_someone_owns_them() {
        let s = schemas();
        let obj = ok(ssa("g/Shoot", None, &shoot(json!([{"name": "a", "minimum": 1}])), "m", false));
        let mut upd = obj.clone();
        upd["spec"]["provider"]["workers"][0]["minimum"] = json!(2);
        record_update_manager(&mut upd, Some(&obj), s.root("g", "Shoot"), "ctl", "Update", "v1", T);
        let out = ok(ssa("g/Shoot", Some(&upd), &shoot(json!([])), "m", false));
        assert_eq!(out["spec"]["provider"]["workers"], json!([{"name": "a", "minimum": 2}]));
    }

    #[test]
    fn ssa_items_match_on_the_key_fields_both_carry() {
        let s = schemas();
        let port = |p: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                   "spec": {"containers": [{"name": "c", "ports": p}]}})
        };
        let req = ApplyRequest {
            schema: s.root("apps", "Deployment"),
            field_manager: "m",
            api_version: "v1",
            now: T,
            force: false,
        };
        // The live port carries its defaulted protocol, the configuration does not.
        let live = port(json!([{"containerPort": 80, "protocol": "TCP"}]));
        let out = ok(server_side_apply(&req, Some(&live), &port(json!([{"containerPort": 80, "name": "http"}]))));
        assert_eq!(
            out["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "protocol": "TCP", "name": "http"}])
        );
    }

    #[test]
    fn ssa_validation() {
        let e = err(ssa("/ConfigMap", None, &cm(json!({})), "", false));
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                422,
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
            )
        );
        assert_eq!(err(ssa("/ConfigMap", None, &cm(json!({})), &"x".repeat(129), false)).code, 422);
        let e = err(ssa("/ConfigMap", None, &json!({"kind": "ConfigMap", "metadata": {"name": "c"}}), "m", false));
        assert!(e.code == 400 && e.message.starts_with("Object 'apiVersion' is missing in '"));
        let e = err(ssa("/ConfigMap", None, &json!({"apiVersion": "v1", "metadata": {"name": "c"}}), "m", false));
        assert!(e.message.starts_with("Object 'Kind' is missing"));
        let e = err(ssa("/ConfigMap", None, &json!({"apiVersion": "v1", "kind": "X", "metadata": {}}), "m", false));
        assert_eq!(e.code, 400);
        let mut with_mf = cm(json!({}));
        with_mf["metadata"]["managedFields"] = json!([]);
        assert_eq!(err(ssa("/ConfigMap", None, &with_mf, "m", false)).message, "metadata.managedFields must be nil");
        assert_eq!(err(ssa("/ConfigMap", None, &json!([]), "m", false)).code, 400);
    }

    #[test]
    fn update_manager_bookkeeping() {
        let t2 = "2025-01-02T00:00:00Z";
        let s = schemas();
        let root = s.root("", "ConfigMap");
        let mut created = cm(json!({"a": "1", "b": "2"}));
        record_update_manager(&mut created, None, root, "kubectl-create", "Update", "v1", T);
        let e = &created["metadata"]["managedFields"][0];
        assert_eq!(
            (e["manager"].as_str(), e["operation"].as_str(), e["time"].as_str()),
            (Some("kubectl-create"), Some("Update"), Some(T))
        );
        assert_eq!(e["fieldsV1"], json!({"f:data": {".": {}, "f:a": {}, "f:b": {}}}));

        let mut edited = created.clone();
        edited["data"]["b"] = json!("3");
        record_update_manager(&mut edited, Some(&created), root, "kubectl-edit", "Update", "v1", t2);
        assert_eq!(entry(&edited, "kubectl-create", "Update"), json!({"f:data": {".": {}, "f:a": {}}}));
        assert_eq!(entry(&edited, "kubectl-edit", "Update"), json!({"f:data": {"f:b": {}}}));

        // an apply now conflicts with the updater, named as kube names Update managers
        let e = err(ssa("/ConfigMap", Some(&edited), &cm(json!({"b": "4"})), "kubectl", false));
        assert_eq!(e.message, "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.b");
        // and an Update of an applied field takes it over without conflict
        let applied = ok(ssa("/ConfigMap", Some(&edited), &cm(json!({"a": "1"})), "kubectl", false));
        let mut taken = applied.clone();
        taken["data"]["a"] = json!("9");
        update(&applied, &mut taken, "controller");
        assert_eq!(entry(&taken, "kubectl", "Apply"), Value::Null);
        assert_eq!(entry(&taken, "controller", "Update"), json!({"f:data": {"f:a": {}}}));

        // a no-op update adds nothing; removing a field drops it from every entry
        let mut same = edited.clone();
        record_update_manager(&mut same, Some(&edited), root, "noop", "Update", "v1", t2);
        assert_eq!(managers(&same), managers(&edited));
        let mut removed = edited.clone();
        if let Some(d) = removed["data"].as_object_mut() {
            d.remove("b");
        }
        record_update_manager(&mut removed, Some(&edited), root, "x", "Update", "v1", t2);
        assert_eq!(managers(&removed), vec![("kubectl-create".to_string(), "Update".to_string())]);
    }

    #[test]
    fn managed_fields_sorted_apply_first() {
        let s = schemas();
        let mut obj = cm(json!({"a": "1"}));
        record_update_manager(&mut obj, None, s.root("", "ConfigMap"), "zz", "Update", "v1", T);
        let obj = ok(ssa("/ConfigMap", Some(&obj), &cm(json!({"b": "2"})), "aa", false));
        assert_eq!(managers(&obj), vec![("aa".into(), "Apply".into()), ("zz".into(), "Update".into())]);
        assert_eq!(obj["data"], json!({"a": "1", "b": "2"}));
    }
}
