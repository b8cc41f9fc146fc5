//! SelfSubjectAccessReview, SelfSubjectRulesReview, and (for aggregated servers asking a garden kube-apiserver)
//! TokenReview and SubjectAccessReview: computed, never stored.

use http::Response;
use serde_json::{json, Value};

use super::write::decode_body;
use super::ReqCtx;
use crate::authz::{Decision, RequestAttributes, UserInfo};
use crate::error::{ApiError, ApiResult};
use crate::registry::ResourceType;
use crate::request::{parse_body, Body, FieldValidation};

pub fn create(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let mut warnings = Vec::new();
    let mut obj =
        decode_body(rt, parse_body(&c.content_type, body)?, FieldValidation::from_query(&c.query)?, &mut warnings)?;
    // managedFields mean nothing on an object that is never stored; kube ignores them here.
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    match rt.kind {
        "SelfSubjectAccessReview" => {
            let meta = obj.get("metadata").and_then(Value::as_object);
            if !meta.is_none_or(|m| m.values().all(is_zero)) {
                return Err(ApiError::invalid(
                    rt.group,
                    rt.kind,
                    "",
                    &[crate::error::FieldError::invalid(
                        "metadata",
                        &Value::Object(meta.cloned().unwrap_or_default()),
                        "must be empty",
                    )],
                ));
            }
            let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
            let attrs = attributes(rt, &c.user, &spec)?;
            obj["status"] = access_status(c.srv.authorize(&attrs));
        }
        "SubjectAccessReview" => {
            let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
            let list = |k: &str| -> Vec<String> {
                spec.get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            };
            let user = UserInfo {
                name: spec.get("user").and_then(Value::as_str).unwrap_or_default().to_string(),
                uid: spec.get("uid").and_then(Value::as_str).unwrap_or_default().to_string(),
                groups: list("groups"),
            };
            if user.name.is_empty() && user.groups.is_empty() {
                return Err(ApiError::invalid(
                    rt.group,
                    rt.kind,
                    "",
                    &[crate::error::FieldError::invalid(
                        "spec.user",
                        &json!(""),
                        "at least one of user or group must be specified",
                    )],
                ));
            }
            let attrs = attributes(rt, &user, &spec)?;
            obj["status"] = access_status(c.srv.authorize(&attrs));
        }
        "TokenReview" => {
            let token = obj.pointer("/spec/token").and_then(Value::as_str).unwrap_or_default().to_string();
            if token.is_empty() {
                return Err(ApiError::invalid(
                    rt.group,
                    rt.kind,
                    "",
                    &[crate::error::FieldError::required("spec.token", "")],
                ));
            }
            obj["status"] = match super::token_user(&c.srv, &token) {
                Some(u) => {
                    json!({"authenticated": true, "user": {"username": u.name, "uid": u.uid, "groups": u.groups}})
                }
                None => json!({"authenticated": false, "error": "invalid bearer token"}),
            };
            // The token is the caller's secret: it is not echoed back.
            obj["spec"]["token"] = json!("");
        }
        _ => {
            // As kube: the answer is a new object, not the request echoed back.
            let ns = obj.pointer("/spec/namespace").and_then(Value::as_str).unwrap_or_default().to_string();
            obj = json!({
                "apiVersion": obj.get("apiVersion").cloned().unwrap_or(Value::Null),
                "kind": rt.kind,
                "metadata": {},
                "spec": {"namespace": ns},
                "status": c.srv.rules_review(&c.user, &ns),
            });
        }
    }
    Ok(c.respond_value(201, &obj, &warnings))
}

/// The status of an access review with this decision.
fn access_status(decision: Decision) -> Value {
    match decision {
        Decision::Allow => json!({"allowed": true, "reason": "allowed by RBAC"}),
        Decision::Deny(r) => json!({"allowed": false, "denied": true, "reason": r}),
        Decision::NoOpinion => json!({"allowed": false}),
    }
}

/// The attributes an access review asks about, for `user`.
fn attributes(rt: &ResourceType, user: &UserInfo, spec: &Value) -> ApiResult<RequestAttributes> {
    let s = |p: &str| spec.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    if spec.get("resourceAttributes").is_some() {
        return Ok(RequestAttributes::resource(
            user,
            &s("/resourceAttributes/verb"),
            &s("/resourceAttributes/group"),
            &s("/resourceAttributes/resource"),
            &s("/resourceAttributes/subresource"),
            &s("/resourceAttributes/namespace"),
            &s("/resourceAttributes/name"),
        ));
    }
    if spec.get("nonResourceAttributes").is_some() {
        return Ok(RequestAttributes::non_resource(
            user,
            &s("/nonResourceAttributes/verb"),
            &s("/nonResourceAttributes/path"),
        ));
    }
    Err(ApiError::invalid(
        rt.group,
        rt.kind,
        "",
        &[crate::error::FieldError::required(
            "spec.resourceAttributes",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )],
    ))
}

/// Go's zero value of a field as JSON: what `ObjectMeta{}` compares equal to.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}
