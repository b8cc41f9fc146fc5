//! create, update, patch, delete, deletecollection.

use std::sync::Arc;

use http::Response;
use serde_json::{json, Value};

use super::read::Filter;
use super::ReqCtx;
use crate::apiserver::{DeleteOpts, WriteCtx, Written};
use crate::error::{ApiError, ApiResult};
use crate::patch::{self, PatchType};
use crate::registry::ResourceType;
use crate::request::{parse_body, Body, FieldValidation};

/// Check apiVersion/kind against the URL (filling them in when absent), decode with the kind's type and apply
/// the fieldValidation mode to unknown fields.
pub fn decode_body(
    rt: &ResourceType,
    mut v: Value,
    mode: FieldValidation,
    warnings: &mut Vec<String>,
) -> ApiResult<Value> {
    let o = v.as_object_mut().ok_or_else(|| ApiError::bad_request("the request body must be a JSON object"))?;
    let want_av = rt.api_version();
    match o.get("apiVersion").and_then(Value::as_str) {
        Some(av) if av != want_av => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({want_av})"
            )))
        }
        _ => {
            o.insert("apiVersion".into(), json!(want_av));
        }
    }
    match o.get("kind").and_then(Value::as_str) {
        Some(k) if k != rt.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )))
        }
        _ => {
            o.insert("kind".into(), json!(rt.kind));
        }
    }
    let (obj, unknown) = rt.codec.decode(v).map_err(|e| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            rt.kind, rt.version, rt.kind
        ))
    })?;
    apply_field_validation(mode, &unknown, warnings)?;
    Ok(obj)
}

fn apply_field_validation(mode: FieldValidation, unknown: &[String], warnings: &mut Vec<String>) -> ApiResult<()> {
    if unknown.is_empty() {
        return Ok(());
    }
    let msgs: Vec<String> = unknown.iter().map(|f| format!("unknown field \"{f}\"")).collect();
    match mode {
        FieldValidation::Ignore => Ok(()),
        FieldValidation::Warn => {
            warnings.extend(msgs);
            Ok(())
        }
        FieldValidation::Strict => Err(ApiError::bad_request(format!("strict decoding error: {}", msgs.join(", ")))),
    }
}

/// A body naming another namespace than the URL is refused (kube's wording).
fn check_namespace(c: &ReqCtx, rt: &ResourceType, obj: &Value) -> ApiResult<()> {
    let sent = obj.pointer("/metadata/namespace").and_then(Value::as_str).filter(|s| !s.is_empty());
    if rt.namespaced && sent.is_some_and(|ns| ns != c.info.namespace) {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

fn written_response(c: &ReqCtx, code: u16, written: &Written, warnings: &[String]) -> Response<Body> {
    c.respond(code, written.to_json(), warnings)
}

fn write_ctx<'a>(c: &'a ReqCtx) -> ApiResult<WriteCtx<'a>> {
    Ok(WriteCtx {
        user: &c.user,
        dry_run: c.query.dry_run()?,
        admission: true,
        field_manager: c.field_manager(),
        apply: false,
    })
}

pub async fn create(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let mode = FieldValidation::from_query(&c.query)?;
    let mut warnings = Vec::new();
    let obj = decode_body(rt, parse_body(&c.content_type, body)?, mode, &mut warnings)?;
    check_namespace(c, rt, &obj)?;
    if let (Some(d), false) = (&c.srv.delegated, c.info.namespace.is_empty()) {
        d.core.await_namespace(&c.info.namespace, std::time::Duration::from_secs(2)).await;
    }
    let created = c.srv.create(&write_ctx(c)?, rt, &c.info.namespace, obj).await?;
    Ok(written_response(c, 201, &created, &warnings))
}

pub async fn update(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let mode = FieldValidation::from_query(&c.query)?;
    let mut warnings = Vec::new();
    let obj = decode_body(rt, parse_body(&c.content_type, body)?, mode, &mut warnings)?;
    check_namespace(c, rt, &obj)?;
    let updated = c
        .srv
        .update(&write_ctx(c)?, rt, &c.info.namespace, &c.info.name, &c.info.subresource, |cur| {
            uid_precondition(rt, &c.info.name, &obj, cur)?;
            Ok(obj.clone())
        })
        .await?;
    Ok(written_response(c, 200, &updated, &warnings))
}

/// kube takes the uid of a replacing object as a precondition: another uid is a 409 Conflict (a patch that changes
/// the uid is refused by validation instead).
fn uid_precondition(rt: &ResourceType, name: &str, sent: &Value, cur: &Value) -> ApiResult<()> {
    let uid = |o: &Value| o.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default().to_string();
    let (want, have) = (uid(sent), uid(cur));
    if want.is_empty() || want == have {
        return Ok(());
    }
    Err(ApiError::conflict(
        rt.group,
        rt.plural,
        name,
        &format!("Precondition failed: UID in precondition: {want}, UID in object meta: {have}"),
    ))
}

pub async fn patch(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let kind = PatchType::from_content_type(&c.content_type).ok_or_else(|| {
        ApiError::unsupported_media(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {:?})",
            c.content_type
        ))
    })?;
    let doc = if matches!(kind, PatchType::Apply) {
        parse_body("application/yaml", body)?
    } else {
        parse_body("application/json", body)?
    };
    let mode = FieldValidation::from_query(&c.query)?;
    let mut ctx = write_ctx(c)?;
    ctx.apply = matches!(kind, PatchType::Apply);
    let api_version = rt.api_version();
    let now = crate::apiserver::now_rfc3339();
    let schema = c.srv.schema(rt);
    let apply = patch::ApplyRequest {
        schema,
        field_manager: &ctx.field_manager,
        api_version: &api_version,
        now: &now,
        force: c.query.flag("force"),
    };
    if matches!(kind, PatchType::Apply) && c.query.get("fieldManager").is_none() {
        return Err(ApiError::bad_request("PATCH /apply requires fieldManager to be set"));
    }
    let mut warnings = Vec::new();
    // Only a patch that names a resourceVersion is a precondition (kube's rule); otherwise the patch is applied
    // again to the newer object when another write came first, instead of answering 409.
    let pins_rv = match &doc {
        Value::Array(ops) => {
            ops.iter().any(|op| op.get("path").and_then(Value::as_str) == Some("/metadata/resourceVersion"))
        }
        other => other.pointer("/metadata/resourceVersion").is_some_and(|v| !v.is_null()),
    };
    let result = c
        .srv
        .update(&ctx, rt, &c.info.namespace, &c.info.name, &c.info.subresource, |cur| {
            let mut patched = match kind {
                PatchType::Apply => patch::server_side_apply(&apply, Some(cur), &doc)?,
                other => patch::apply_patch(other, schema, cur, &doc)?,
            };
            if !pins_rv {
                if let Some(meta) = patched.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("resourceVersion");
                }
            }
            let mut w = Vec::new();
            let out = decode_body(rt, patched, mode, &mut w)?;
            warnings = w;
            Ok(out)
        })
        .await;
    match result {
        Ok(written) => Ok(written_response(c, 200, &written, &warnings)),
        // Server-side apply creates what does not exist yet.
        Err(e) if e.code == 404 && matches!(kind, PatchType::Apply) && c.info.subresource.is_empty() => {
            let applied = patch::server_side_apply(&apply, None, &doc)?;
            let mut warnings = Vec::new();
            let obj = decode_body(rt, applied, mode, &mut warnings)?;
            let created = c.srv.create(&ctx, rt, &c.info.namespace, obj).await?;
            Ok(written_response(c, 201, &created, &warnings))
        }
        Err(e) => Err(e),
    }
}

fn delete_opts(c: &ReqCtx, body: &[u8]) -> ApiResult<DeleteOpts> {
    let mut opts = DeleteOpts::default();
    if body.is_empty() {
        return Ok(opts);
    }
    let v = parse_body(&c.content_type, body)?;
    if let Some(p) = v.get("preconditions") {
        opts.uid = p.get("uid").and_then(Value::as_str).map(str::to_string);
        opts.resource_version = p.get("resourceVersion").and_then(Value::as_str).map(str::to_string);
    }
    Ok(opts)
}

fn dry_run_in_body(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("dryRun").cloned())
        .and_then(|d| d.as_array().cloned())
        .is_some_and(|a| a.iter().any(|x| x == "All"))
}

fn success_status(rt: &ResourceType, obj: &Value) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": {
            "name": obj.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
            "group": rt.group, "kind": rt.plural,
            "uid": obj.pointer("/metadata/uid").cloned().unwrap_or(Value::Null),
        }
    })
}

pub async fn delete(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let opts = delete_opts(c, body)?;
    let mut ctx = write_ctx(c)?;
    ctx.dry_run |= dry_run_in_body(body);
    let (obj, gone) = c.srv.delete(&ctx, rt, &c.info.namespace, &c.info.name, &opts).await?;
    Ok(if gone { c.respond_value(200, &success_status(rt, &obj), &[]) } else { c.respond_value(200, &obj, &[]) })
}

pub async fn delete_collection(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let filter = Filter::from_request(rt, c)?;
    let opts = delete_opts(c, body)?;
    let mut ctx = write_ctx(c)?;
    ctx.dry_run |= dry_run_in_body(body);
    let cache = c.srv.cache(rt).ok_or_else(|| ApiError::method_not_allowed("this resource cannot be deleted"))?;
    let (objs, _) = cache.list(&c.srv.collection_prefix(rt, &c.info.namespace));
    let mut deleted: Vec<Arc<Value>> = Vec::new();
    for o in objs.into_iter().filter(|o| filter.matches(rt, &o.index)) {
        match c.srv.delete(&ctx, rt, o.namespace(), o.name(), &opts).await {
            Ok((obj, _)) => deleted.push(Arc::new(obj)),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let items: Vec<&Value> = deleted.iter().map(|a| a.as_ref()).collect();
    Ok(c.respond_value(
        200,
        &json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": {}, "items": items}),
        &[],
    ))
}

/// `POST shoots/{name}/binding`: the scheduler's write path for `spec.seedName`.
pub async fn bind(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let v = parse_body(&c.content_type, body)?;
    let seed = v
        .pointer("/target/name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                rt.group,
                "Binding",
                &c.info.name,
                &[crate::error::FieldError::required("target.name", "")],
            )
        })?
        .to_string();
    let ctx = write_ctx(c)?;
    let written = c
        .srv
        .update(&ctx, rt, &c.info.namespace, &c.info.name, "binding", |cur| {
            let mut next = cur.clone();
            next["spec"]["seedName"] = json!(seed);
            Ok(next)
        })
        .await?;
    Ok(written_response(c, 201, &written, &[]))
}

/// `POST serviceaccounts/{name}/token` (TokenRequest): a bound token for an existing service account.
pub async fn token_request(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    let issuer = c
        .srv
        .authn
        .service_accounts
        .as_ref()
        .ok_or_else(|| ApiError::unavailable("service account tokens are not configured"))?;
    let sa = c.srv.get(rt, &c.info.namespace, &c.info.name).await?;
    let req = parse_body(&c.content_type, body)?;
    let expiration = req.pointer("/spec/expirationSeconds").and_then(Value::as_i64).unwrap_or(3600);
    if !(600..=48 * 3600).contains(&expiration) {
        return Err(ApiError::invalid(
            "authentication.k8s.io",
            "TokenRequest",
            &c.info.name,
            &[crate::error::FieldError::invalid(
                "spec.expirationSeconds",
                &json!(expiration),
                "may not specify a duration less than 10 minutes or longer than 48 hours",
            )],
        ));
    }
    let audiences: Vec<String> = req
        .pointer("/spec/audiences")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let uid = sa.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default();
    let now = jiff::Timestamp::now();
    let token = issuer.issue(&c.info.namespace, &c.info.name, uid, &audiences, now.as_second(), expiration);
    let exp = jiff::Timestamp::from_second(now.as_second() + expiration).map(|t| t.to_string()).unwrap_or_default();
    let mut out = json!({
        "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": c.info.name, "namespace": c.info.namespace, "creationTimestamp": crate::apiserver::now_rfc3339()},
        "spec": {"audiences": audiences, "expirationSeconds": expiration},
        "status": {"token": token, "expirationTimestamp": exp},
    });
    if let Some(b) = req.pointer("/spec/boundObjectRef") {
        out["spec"]["boundObjectRef"] = b.clone();
    }
    Ok(c.respond_value(201, &out, &[]))
}
