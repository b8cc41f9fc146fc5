//! get and list.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::Response;
use serde_json::{json, Value};

use super::{Negotiated, ReqCtx};
use crate::error::{ApiError, ApiResult};
use crate::registry::{table, ResourceType};
use crate::request::{bytes_response, json_response, Body};
use crate::selector::{FieldSelector, LabelSelector};
use crate::storage::etcd::prefix_end;
use crate::storage::object::CachedObject;

/// Label + field selectors of a list or watch.
pub struct Filter {
    pub label: LabelSelector,
    pub field: FieldSelector,
}

impl Filter {
    pub fn from_request(rt: &ResourceType, c: &ReqCtx) -> ApiResult<Self> {
        let label = LabelSelector::parse(c.query.get("labelSelector").unwrap_or_default())?;
        let field = FieldSelector::parse(c.query.get("fieldSelector").unwrap_or_default())?;
        for r in field.requirements() {
            let known = matches!(r.field.as_str(), "metadata.name" | "metadata.namespace")
                || rt.strategy.field_selectors().contains(&r.field.as_str());
            if !known {
                return Err(ApiError::bad_request(format!("field label not supported: {}", r.field)));
            }
        }
        Ok(Self { label, field })
    }

    pub fn matches(&self, rt: &ResourceType, obj: &Value) -> bool {
        let labels = obj
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        if !self.label.is_empty() && !self.label.matches(&labels) {
            return false;
        }
        self.field.matches(|f| match f {
            "metadata.name" => obj.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string),
            "metadata.namespace" => obj.pointer("/metadata/namespace").and_then(Value::as_str).map(str::to_string),
            other => rt.strategy.field(obj, other),
        })
    }
}

pub async fn get(c: &ReqCtx, rt: &ResourceType) -> ApiResult<Response<Body>> {
    let obj = if c.query.get("resourceVersion") == Some("0") {
        let key = c.srv.key(rt, &c.info.namespace, &c.info.name);
        c.srv
            .cache(rt)
            .and_then(|cache| cache.get(&key))
            .map(|o| o.parse())
            .ok_or_else(|| ApiError::not_found(rt.group, rt.plural, &c.info.name))?
    } else {
        c.srv.get(rt, &c.info.namespace, &c.info.name).await?
    };
    Ok(match c.negotiated {
        Negotiated::Table => {
            let include = table::IncludeObject::parse(c.query.get("includeObject"));
            let rv = obj.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null);
            json_response(200, &table::table(rt, &[&obj], include, json!({"resourceVersion": rv})), &[])
        }
        Negotiated::PartialObjectMetadata => json_response(200, &partial_metadata(&obj), &[]),
        Negotiated::Protobuf => c.respond_value(200, &obj, &[]),
        Negotiated::Json => json_response(200, &obj, &[]),
    })
}

fn partial_metadata(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({}))})
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: i64,
    start: String,
}

pub async fn list(c: &ReqCtx, rt: &ResourceType) -> ApiResult<Response<Body>> {
    let filter = Filter::from_request(rt, c)?;
    let limit = c.query.int("limit")?.unwrap_or(0).max(0);
    let rv_param = c.query.get("resourceVersion");
    let prefix = c.srv.collection_prefix(rt, &c.info.namespace);
    let cont = c.query.get("continue");
    let (items, rv, next): (Vec<Arc<CachedObject>>, i64, Option<(String, i64)>) =
        if cont.is_some() || (limit > 0 && rv_param != Some("0")) {
            from_etcd(c, rt, &prefix, &filter, limit, cont).await?
        } else {
            from_cache(c, rt, &prefix, &filter, rv_param).await?
        };
    let mut list_meta = json!({"resourceVersion": rv.to_string()});
    if let Some((token, remaining)) = next {
        list_meta["continue"] = json!(token);
        if remaining > 0 {
            list_meta["remainingItemCount"] = json!(remaining);
        }
    }
    Ok(match c.negotiated {
        Negotiated::Table => {
            let include = table::IncludeObject::parse(c.query.get("includeObject"));
            let parsed: Vec<Value> = items.iter().map(|o| o.parse()).collect();
            let refs: Vec<&Value> = parsed.iter().collect();
            json_response(200, &table::table(rt, &refs, include, list_meta), &[])
        }
        Negotiated::PartialObjectMetadata => {
            let items: Vec<Value> = items.iter().map(|o| partial_metadata(&o.parse())).collect();
            json_response(
                200,
                &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "items": items}),
                &[],
            )
        }
        Negotiated::Protobuf => match encode_proto_list(rt, &list_meta, &items) {
            Ok(body) => bytes_response(200, crate::protobuf::CONTENT_TYPE, body, &[]),
            Err(e) => return Err(ApiError::internal(format!("protobuf encoding failed: {e}"))),
        },
        Negotiated::Json => bytes_response(200, "application/json", encode_list(rt, &list_meta, &items), &[]),
    })
}

/// The `<Kind>List` protobuf message from the items' cached protobuf bytes.
fn encode_proto_list(rt: &ResourceType, list_meta: &Value, items: &[Arc<CachedObject>]) -> Result<Bytes, String> {
    let kind = crate::protobuf::lookup(&rt.api_version(), rt.kind)
        .ok_or_else(|| format!("{} has no protobuf form", rt.kind))?;
    let encoded = items.iter().map(|o| o.proto(kind)).collect::<Result<Vec<Bytes>, String>>()?;
    let body = crate::protobuf::encode_list(
        &rt.api_version(),
        &format!("{}List", rt.kind),
        list_meta,
        encoded.iter().map(|b| b.as_ref()),
    )?;
    Ok(Bytes::from(body))
}

/// `{"kind":"ShootList",...,"items":[...]}` written straight from the shared objects (no copies).
fn encode_list(rt: &ResourceType, list_meta: &Value, items: &[Arc<CachedObject>]) -> Bytes {
    let mut buf = Vec::with_capacity(64 + items.len() * 2048);
    buf.extend_from_slice(b"{\"kind\":\"");
    buf.extend_from_slice(rt.kind.as_bytes());
    buf.extend_from_slice(b"List\",\"apiVersion\":\"");
    buf.extend_from_slice(rt.api_version().as_bytes());
    buf.extend_from_slice(b"\",\"metadata\":");
    let _ = serde_json::to_writer(&mut buf, list_meta);
    buf.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        item.write_json(&mut buf);
    }
    buf.extend_from_slice(b"]}");
    Bytes::from(buf)
}

async fn from_cache(
    c: &ReqCtx,
    rt: &ResourceType,
    prefix: &str,
    filter: &Filter,
    rv_param: Option<&str>,
) -> ApiResult<(Vec<Arc<CachedObject>>, i64, Option<(String, i64)>)> {
    let cache = c.srv.cache(rt).ok_or_else(|| ApiError::method_not_allowed("this resource cannot be listed"))?;
    let wanted = match rv_param {
        Some("0") => 0,
        Some(v) => v.parse::<i64>().map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {v:?}")))?,
        // Consistent read: the cache must have caught up with etcd's current revision.
        None => c.srv.store.current_revision().await?,
    };
    if wanted > 0 && !cache.wait_for_rv(wanted, Duration::from_secs(3)).await {
        return Err(ApiError::timeout(format!("Too large resource version: {wanted}, current: {}", cache.rv())));
    }
    let (items, rv) = cache.list(prefix);
    let items = items.into_iter().filter(|o| filter.matches(rt, &o.index)).collect();
    Ok((items, rv, None))
}

async fn from_etcd(
    c: &ReqCtx,
    rt: &ResourceType,
    prefix: &str,
    filter: &Filter,
    limit: i64,
    cont: Option<&str>,
) -> ApiResult<(Vec<Arc<CachedObject>>, i64, Option<(String, i64)>)> {
    let end = prefix_end(prefix);
    let projection = c.srv.cache(rt).map(|cache| cache.want().clone()).unwrap_or_default();
    let (mut start, mut revision) = match cont {
        Some(token) => {
            let t = decode_continue(token)?;
            if !t.start.starts_with(prefix) {
                return Err(ApiError::bad_request("continue key is not valid: it does not belong to this collection"));
            }
            (t.start, t.rv)
        }
        None => (prefix.to_string(), 0),
    };
    let mut items = Vec::new();
    loop {
        let want = if limit > 0 { (limit - items.len() as i64).max(1) } else { 0 };
        let page = c.srv.store.range(&start, &end, revision, want).await.map_err(|e| {
            if e.code == 410 {
                ApiError::gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            } else {
                e
            }
        })?;
        revision = page.revision;
        let last_key = page.kvs.last().map(|kv| kv.key.clone());
        let more = page.more;
        for kv in page.kvs {
            if let Some(obj) = CachedObject::from_raw(Bytes::from(kv.value), kv.mod_revision, &projection) {
                if filter.matches(rt, &obj.index) {
                    items.push(Arc::new(obj));
                }
            }
        }
        let Some(last) = last_key else { break };
        start = format!("{last}\0");
        if !more {
            break;
        }
        if limit > 0 && items.len() as i64 >= limit {
            let token = encode_continue(&ContinueToken { rv: revision, start: start.clone() });
            return Ok((items, revision, Some((token, 0))));
        }
    }
    Ok((items, revision, None))
}

fn encode_continue(t: &ContinueToken) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode_continue(s: &str) -> ApiResult<ContinueToken> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ApiError::bad_request("continue key is not valid: malformed token"))
}
