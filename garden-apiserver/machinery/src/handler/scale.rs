//! The `scale` subresource: `GET/PUT/PATCH .../<name>/scale` with an `autoscaling/v1` `Scale`, for every kind
//! whose `ResourceType` declares [`ScalePaths`] (kube's CRD `subresources.scale`). Writes change only the
//! replicas at `spec_replicas`; they go through the object's ordinary update (CAS, the kind's validation,
//! admission with subresource `scale`, a generation bump). A Scale carrying `metadata.resourceVersion` is a
//! precondition (409 when stale); without one the write is retried on conflicts.

use http::Response;
use serde_json::{json, Value};

use super::{Negotiated, ReqCtx};
use crate::apiserver::WriteCtx;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::patch::{self, PatchType};
use crate::registry::{ResourceType, ScalePaths};
use crate::request::{json_response, parse_body, Body};

const GROUP: &str = "autoscaling";
const KIND: &str = "Scale";

fn paths(rt: &ResourceType) -> ApiResult<ScalePaths> {
    rt.scale.ok_or_else(|| ApiError::new(404, "NotFound", "the server could not find the requested resource"))
}

/// The `Scale` of `obj`.
pub fn scale_of(paths: &ScalePaths, obj: &Value) -> Value {
    let meta = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let mut metadata = serde_json::Map::new();
    for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
        if let Some(v) = meta.get(k).filter(|v| !v.is_null()) {
            metadata.insert(k.into(), v.clone());
        }
    }
    let int = |p: &str| obj.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let mut status = json!({"replicas": int(paths.status_replicas)});
    if let Some(selector) = paths.label_selector.and_then(|p| obj.pointer(p)).and_then(selector_string) {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": KIND, "apiVersion": "autoscaling/v1", "metadata": metadata,
        "spec": {"replicas": int(paths.spec_replicas)},
        "status": status,
    })
}

/// A selector as a string: a string as it is (a CRD's `labelSelectorPath`), a `LabelSelector` object as kube's
/// `LabelSelectorAsSelector(..).String()` (requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`,
/// `k`, `!k`).
pub fn selector_string(v: &Value) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_string());
    }
    let sel = v.as_object()?;
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or_default())));
        }
    }
    for e in sel.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let mut values: Vec<&str> =
            e.get("values").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        values.sort_unstable();
        values.dedup();
        let r = match e.get("operator").and_then(Value::as_str).unwrap_or_default() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        };
        reqs.push((key.to_string(), r));
    }
    reqs.sort();
    Some(reqs.into_iter().map(|(_, r)| r).collect::<Vec<_>>().join(","))
}

/// kube's printer for `autoscaling/v1` Scale: NAME, DESIRED, AVAILABLE.
fn table(scale: &Value) -> Value {
    json!({
        "kind": "Table", "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": scale.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null)},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0},
            {"name": "Desired", "type": "integer", "format": "", "description": "Number of desired replicas", "priority": 0},
            {"name": "Available", "type": "integer", "format": "", "description": "Number of actual replicas", "priority": 0},
        ],
        "rows": [{
            "cells": [scale.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
                      scale.pointer("/spec/replicas").cloned().unwrap_or(Value::Null),
                      scale.pointer("/status/replicas").cloned().unwrap_or(Value::Null)],
            "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                       "metadata": scale.get("metadata").cloned().unwrap_or_else(|| json!({}))},
        }],
    })
}

fn respond(c: &ReqCtx, scale: &Value) -> Response<Body> {
    match c.negotiated {
        Negotiated::Table => json_response(200, &table(scale), &[]),
        _ => c.respond_value(200, scale, &[]),
    }
}

pub async fn get(c: &ReqCtx, rt: &ResourceType) -> ApiResult<Response<Body>> {
    let paths = paths(rt)?;
    let obj = c.srv.get(rt, &c.info.namespace, &c.info.name).await?;
    Ok(respond(c, &scale_of(&paths, &obj)))
}

/// Checks a Scale sent by a client and returns its `spec.replicas` and `metadata.resourceVersion`.
fn desired(c: &ReqCtx, scale: &Value) -> ApiResult<(i64, Option<String>)> {
    let o = scale.as_object().ok_or_else(|| ApiError::bad_request("the request body must be a JSON object"))?;
    if let Some(av) = o.get("apiVersion").and_then(Value::as_str).filter(|av| *av != "autoscaling/v1") {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version (autoscaling/v1)"
        )));
    }
    if let Some(k) = o.get("kind").and_then(Value::as_str).filter(|k| *k != KIND) {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({k}) does not match the expected kind ({KIND})"
        )));
    }
    if let Some(name) = scale.pointer("/metadata/name").and_then(Value::as_str).filter(|n| *n != c.info.name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            c.info.name
        )));
    }
    let replicas = scale.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
    let n = match replicas.as_i64() {
        Some(n) if n >= 0 && n <= i64::from(i32::MAX) => n,
        Some(n) if n >= 0 => {
            return Err(invalid(c, FieldError::invalid("spec.replicas", &replicas, "must be a 32-bit integer")))
        }
        Some(_) => {
            return Err(invalid(
                c,
                FieldError::invalid("spec.replicas", &replicas, "must be greater than or equal to 0"),
            ))
        }
        None => return Err(invalid(c, FieldError::invalid("spec.replicas", &replicas, "must be an integer"))),
    };
    let rv = scale.pointer("/metadata/resourceVersion").and_then(Value::as_str).filter(|s| !s.is_empty());
    Ok((n, rv.map(str::to_string)))
}

fn invalid(c: &ReqCtx, e: FieldError) -> ApiError {
    ApiError::invalid(GROUP, KIND, &c.info.name, &[e])
}

/// Writes `replicas` (from the Scale `make_scale` builds out of the current object) into the object.
async fn write(
    c: &ReqCtx,
    rt: &ResourceType,
    paths: ScalePaths,
    make_scale: impl Fn(&Value) -> ApiResult<Value>,
) -> ApiResult<Response<Body>> {
    let ctx = WriteCtx {
        user: &c.user,
        dry_run: c.query.dry_run()?,
        admission: true,
        field_manager: c.field_manager(),
        apply: false,
    };
    let written = c
        .srv
        .update(&ctx, rt, &c.info.namespace, &c.info.name, "scale", |cur| {
            let scale = make_scale(cur)?;
            let (replicas, rv) = desired(c, &scale)?;
            let mut next = cur.clone();
            set_at(&mut next, paths.spec_replicas, json!(replicas))?;
            if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                match &rv {
                    Some(rv) => meta.insert("resourceVersion".into(), json!(rv)),
                    None => meta.remove("resourceVersion"),
                };
            }
            Ok(next)
        })
        .await?;
    Ok(respond(c, &scale_of(&paths, &written.obj)))
}

pub async fn update(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let paths = paths(rt)?;
    let scale = parse_body(&c.content_type, body)?;
    write(c, rt, paths, |_| Ok(scale.clone())).await
}

pub async fn patch(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let paths = paths(rt)?;
    let kind = PatchType::from_content_type(&c.content_type).ok_or_else(|| {
        ApiError::unsupported_media(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {:?})",
            c.content_type
        ))
    })?;
    // An applied Scale has no other fields than the replicas worth owning: it merges like a merge patch.
    let (kind, doc) = match kind {
        PatchType::Apply => (PatchType::Merge, parse_body("application/yaml", body)?),
        other => (other, parse_body("application/json", body)?),
    };
    write(c, rt, paths, |cur| {
        let mut current = scale_of(&paths, cur);
        // Without a resourceVersion in the patch, the patched Scale is no precondition.
        if let Some(meta) = current.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
        }
        patch::apply_patch(kind, patch::Node::NONE, &current, &doc)
    })
    .await
}

/// Sets the value at a JSON pointer, creating the objects on the way.
fn set_at(obj: &mut Value, pointer: &str, value: Value) -> ApiResult<()> {
    let mut cur = obj;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let o = cur.as_object_mut().ok_or_else(|| ApiError::internal(format!("{pointer} is not in an object")))?;
        if i == parts.len() - 1 {
            o.insert(part.to_string(), value);
            return Ok(());
        }
        cur = o.entry(part.to_string()).or_insert_with(|| json!({}));
        if cur.is_null() {
            *cur = json!({});
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_reads_the_declared_paths() {
        let obj = json!({
            "metadata": {"name": "md", "namespace": "ns", "uid": "u", "resourceVersion": "7", "labels": {"x": "y"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"b": "2", "a": "1"},
                "matchExpressions": [{"key": "c", "operator": "In", "values": ["z", "y"]}, {"key": "d", "operator": "DoesNotExist"}]}},
            "status": {"replicas": 2},
        });
        let s = scale_of(&ScalePaths::REPLICAS, &obj);
        assert_eq!(
            s,
            json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {"name": "md", "namespace": "ns", "uid": "u", "resourceVersion": "7"},
                "spec": {"replicas": 3}, "status": {"replicas": 2, "selector": "a=1,b=2,c in (y,z),!d"}})
        );
        let fresh = json!({"metadata": {"name": "x"}, "spec": {}});
        assert_eq!(scale_of(&ScalePaths::REPLICAS, &fresh)["spec"]["replicas"], json!(0));
        assert_eq!(scale_of(&ScalePaths::REPLICAS, &fresh)["status"], json!({"replicas": 0}));
        let crd = ScalePaths { label_selector: Some("/status/selector"), ..ScalePaths::REPLICAS };
        let obj = json!({"metadata": {"name": "x"}, "status": {"selector": "app=x"}});
        assert_eq!(scale_of(&crd, &obj)["status"]["selector"], json!("app=x"));
    }

    #[test]
    fn set_at_creates_the_path() {
        let mut v = json!({"spec": null});
        set_at(&mut v, "/spec/replicas", json!(4)).unwrap();
        assert_eq!(v, json!({"spec": {"replicas": 4}}));
    }
}
