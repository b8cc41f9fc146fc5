//! HTTP entry point: health, authentication, authorization, then discovery / OpenAPI / resources.

mod read;
mod review;
mod scale;
mod watch;
mod write;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{header, Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use rustls::pki_types::CertificateDer;
use sha2::Digest;

use crate::apiserver::ApiServer;
use crate::authz::{Decision, RequestAttributes, UserInfo};
use crate::error::{ApiError, ApiResult};
use crate::metrics::METRICS;
use crate::registry::ResourceType;
use crate::request::{bytes_response, error_response, json_response, parse_resource_path, Body, Query, RequestInfo};

/// Non-watch requests are cut off after this long (kube's --request-timeout default).
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Response representation the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiated {
    Json,
    /// `application/vnd.kubernetes.protobuf`, for a kind that has a protobuf form.
    Protobuf,
    Table,
    PartialObjectMetadata,
}

/// The response representation for `accept`; protobuf only where the kind has a protobuf form (`proto`), as kube
/// answers JSON for kinds without one when the client accepts JSON too.
fn negotiate(accept: &str, proto: bool) -> Negotiated {
    // The first acceptable entry wins, as in kube's negotiation.
    for entry in accept.split(',') {
        let params: Vec<&str> = entry.split(';').map(str::trim).collect();
        let media = params.first().copied().unwrap_or_default();
        let get = |k: &str| params.iter().find_map(|p| p.strip_prefix(k).and_then(|r| r.strip_prefix('=')));
        if crate::protobuf::is_protobuf(media) {
            if proto && get("as").is_none() {
                return Negotiated::Protobuf;
            }
            continue;
        }
        if media != "application/json" && media != "*/*" {
            continue;
        }
        match (get("as"), get("g"), get("v")) {
            (None, _, _) => return Negotiated::Json,
            (Some("Table"), Some("meta.k8s.io"), Some("v1")) => return Negotiated::Table,
            (Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io"), Some("v1")) => {
                return Negotiated::PartialObjectMetadata
            }
            _ => continue,
        }
    }
    Negotiated::Json
}

/// One authenticated resource request.
pub struct ReqCtx {
    pub srv: Arc<ApiServer>,
    pub user: UserInfo,
    pub info: RequestInfo,
    pub query: Query,
    pub content_type: String,
    pub negotiated: Negotiated,
    pub user_agent: String,
}

impl ReqCtx {
    /// A response body given as JSON (an object, a Status, or a list), in the negotiated representation.
    pub fn respond(&self, code: u16, json: Vec<u8>, warnings: &[String]) -> Response<Body> {
        if self.negotiated == Negotiated::Protobuf {
            match crate::protobuf::encode_json(&json) {
                Some(Ok(pb)) => return bytes_response(code, crate::protobuf::CONTENT_TYPE, Bytes::from(pb), warnings),
                Some(Err(e)) => return self.error(&ApiError::internal(format!("protobuf encoding failed: {e}"))),
                // A kind without a protobuf form (a list kind, say): JSON, which every client accepts too.
                None => {}
            }
        }
        bytes_response(code, "application/json", Bytes::from(json), warnings)
    }

    /// The same for a JSON value.
    pub fn respond_value(&self, code: u16, json: &serde_json::Value, warnings: &[String]) -> Response<Body> {
        if self.negotiated == Negotiated::Protobuf {
            match crate::protobuf::encode_value(json) {
                Some(Ok(pb)) => return bytes_response(code, crate::protobuf::CONTENT_TYPE, Bytes::from(pb), warnings),
                Some(Err(e)) => return self.error(&ApiError::internal(format!("protobuf encoding failed: {e}"))),
                None => {}
            }
        }
        json_response(code, json, warnings)
    }

    /// An error Status in the negotiated representation.
    pub fn error(&self, e: &ApiError) -> Response<Body> {
        error_response_as(e, self.negotiated == Negotiated::Protobuf)
    }

    /// `fieldManager`, or kube's default derived from the user agent (`kubectl-client-side-apply` etc.).
    pub fn field_manager(&self) -> String {
        if let Some(m) = self.query.get("fieldManager") {
            return m.to_string();
        }
        let ua = self.user_agent.split('/').next().unwrap_or("unknown");
        if ua.is_empty() {
            "unknown".into()
        } else {
            ua.chars().take(128).collect()
        }
    }
}

pub async fn handle(
    srv: Arc<ApiServer>,
    req: Request<hyper::body::Incoming>,
    certs: Arc<[CertificateDer<'static>]>,
) -> Response<Body> {
    let start = Instant::now();
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let (resp, verb, resource) = route(srv, req, &certs).await;
    let code = resp.status().as_u16().to_string();
    METRICS.requests.with_label_values(&[&verb, &resource, &code]).inc();
    if verb != "watch" {
        METRICS.request_duration.with_label_values(&[&verb, &resource]).observe(start.elapsed().as_secs_f64());
    }
    tracing::debug!(%method, %path, %code, elapsed_ms = start.elapsed().as_millis() as u64, "request");
    resp
}

async fn route(
    srv: Arc<ApiServer>,
    req: Request<hyper::body::Incoming>,
    certs: &[CertificateDer<'static>],
) -> (Response<Body>, String, String) {
    let path = req.uri().path().to_string();
    let query = Query::parse(req.uri().query());
    match path.as_str() {
        "/healthz" | "/livez" => return (text(200, "ok"), "get".into(), "healthz".into()),
        "/readyz" => {
            let ready = srv.caches_synced();
            return (
                text(if ready { 200 } else { 503 }, if ready { "ok" } else { "watch caches not synced" }),
                "get".into(),
                "readyz".into(),
            );
        }
        _ => {}
    }
    let user = match srv.authn.identify(certs, req.headers(), sa_uid(&srv), secret(&srv)).await {
        Ok(u) => u,
        Err(e) => return (error_response(&e), "".into(), "".into()),
    };
    let user = match impersonate(&srv, user, req.headers()).await {
        Ok(u) => u,
        Err(e) => return (error_response(&e), "impersonate".into(), "users".into()),
    };
    if let Some(backend) = srv.aggregator.as_ref().and_then(|a| a.route(&path)) {
        return proxied(&srv, req, &path, &query, &user, &backend).await;
    }
    let Some(info) = parse_resource_path(req.method(), &path, &query) else {
        let verb = req.method().as_str().to_lowercase();
        let attrs = RequestAttributes::non_resource(&user, &verb, &path);
        if let Err(e) = authorize(&srv, &attrs).await {
            return (error_response(&e), verb, "nonresource".into());
        }
        let resp = non_resource(&srv, req.method(), &path, req.headers()).unwrap_or_else(|e| error_response(&e));
        return (resp, verb, "nonresource".into());
    };
    let verb = info.verb.clone();
    let resource = info.resource.clone();
    let attrs = RequestAttributes::resource(
        &user,
        &info.verb,
        &info.group,
        &info.resource,
        &info.subresource,
        &info.namespace,
        &info.name,
    );
    let header_str =
        |h: header::HeaderName| req.headers().get(h).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let proto = proto_kind(&srv, &info);
    if let Err(e) = authorize(&srv, &attrs).await {
        let protobuf = negotiate(&header_str(header::ACCEPT), proto) == Negotiated::Protobuf;
        return (error_response_as(&e, protobuf), verb, resource);
    }
    let ctx = ReqCtx {
        srv: srv.clone(),
        user,
        negotiated: negotiate(&header_str(header::ACCEPT), proto),
        content_type: header_str(header::CONTENT_TYPE),
        user_agent: header_str(header::USER_AGENT),
        info,
        query,
    };
    let method = req.method().clone();
    // Refuse oversized bodies by their declared length before reading them (clients waiting on
    // `Expect: 100-continue` then never send them).
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > srv.max_request_bytes) {
        let e = ApiError::too_large(format!(
            "the request body is larger than the limit of {} bytes",
            srv.max_request_bytes
        ));
        return (ctx.error(&e), verb, resource);
    }
    let body = if matches!(method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
        match read_body(req.into_body(), srv.max_request_bytes).await {
            Ok(b) => b,
            Err(e) => return (ctx.error(&e), verb, resource),
        }
    } else {
        Bytes::new()
    };
    let resp = if verb == "watch" {
        resource_request(&ctx, &body).await
    } else {
        match tokio::time::timeout(REQUEST_TIMEOUT, resource_request(&ctx, &body)).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::timeout("the request did not complete within the allowed duration")),
        }
    };
    (resp.unwrap_or_else(|e| ctx.error(&e)), verb, resource)
}

/// The uid of a service account, from the watch cache (service account tokens name it).
fn sa_uid(srv: &ApiServer) -> impl Fn(&str, &str) -> Option<String> + '_ {
    move |ns, name| {
        crate::admission::Lookup::get(srv, "", "serviceaccounts", ns, name)
            .and_then(|sa| sa.pointer("/metadata/uid").and_then(serde_json::Value::as_str).map(str::to_string))
    }
}

/// Bootstrap token Secrets (`kube-system/bootstrap-token-<id>`), from the watch cache.
fn secret(srv: &ApiServer) -> impl Fn(&str, &str) -> Option<Arc<serde_json::Value>> + '_ {
    move |ns, name| crate::admission::Lookup::get(srv, "", "secrets", ns, name)
}

/// The user of a bearer token this server issued or knows (TokenReview).
fn token_user(srv: &ApiServer, token: &str) -> Option<UserInfo> {
    srv.authn.authenticate(None, Some(&format!("Bearer {token}")), sa_uid(srv), secret(srv)).ok()
}

/// A request for a group-version an APIService puts on another server: authorized here (as kube-apiserver does
/// for every request), then forwarded with the caller's identity.
async fn proxied(
    srv: &Arc<ApiServer>,
    req: Request<hyper::body::Incoming>,
    path: &str,
    query: &Query,
    user: &UserInfo,
    backend: &crate::aggregator::Backend,
) -> (Response<Body>, String, String) {
    let (attrs, verb, resource) = match parse_resource_path(req.method(), path, query) {
        Some(i) => (
            RequestAttributes::resource(user, &i.verb, &i.group, &i.resource, &i.subresource, &i.namespace, &i.name),
            i.verb.clone(),
            i.resource.clone(),
        ),
        None => {
            let verb = req.method().as_str().to_lowercase();
            (RequestAttributes::non_resource(user, &verb, path), verb, "nonresource".into())
        }
    };
    if let Err(e) = authorize(srv, &attrs).await {
        return (error_response(&e), verb, resource);
    }
    let (parts, body) = req.into_parts();
    let body = if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
        match read_body(body, srv.max_request_bytes).await {
            Ok(b) => b,
            Err(e) => return (error_response(&e), verb, resource),
        }
    } else {
        Bytes::new()
    };
    let resp = crate::aggregator::proxy(backend, &parts.method, &parts.uri, &parts.headers, body, user).await;
    (resp.unwrap_or_else(|e| error_response(&e)), verb, resource)
}

/// Whether the kind a request is about has a protobuf form (the scale subresource answers Scale).
fn proto_kind(srv: &ApiServer, info: &RequestInfo) -> bool {
    if info.subresource == "scale" {
        return true;
    }
    srv.registry
        .lookup(&info.group, &info.version, &info.resource)
        .is_some_and(|rt| crate::protobuf::lookup(&rt.api_version(), rt.kind).is_some())
}

/// An error Status as protobuf or JSON.
fn error_response_as(e: &ApiError, protobuf: bool) -> Response<Body> {
    if protobuf {
        let body = crate::protobuf::encode_status(&e.to_status());
        return bytes_response(e.code, crate::protobuf::CONTENT_TYPE, Bytes::from(body), &[]);
    }
    error_response(e)
}

async fn authorize(srv: &ApiServer, attrs: &RequestAttributes) -> ApiResult<()> {
    match srv.authorize_request(attrs).await? {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(crate::authz::forbidden_error(attrs, &reason)),
        Decision::NoOpinion => Err(crate::authz::forbidden_error(attrs, "")),
    }
}

/// kube's impersonation: `Impersonate-User` / `Impersonate-Group` headers, allowed by the `impersonate` verb on
/// `users` / `groups` (and `serviceaccounts` for service account names).
async fn impersonate(srv: &ApiServer, user: UserInfo, headers: &http::HeaderMap) -> ApiResult<UserInfo> {
    let Some(as_user) = headers.get("Impersonate-User").and_then(|v| v.to_str().ok()).map(str::to_string) else {
        if headers.contains_key("Impersonate-Group") {
            return Err(ApiError::bad_request("requested Impersonate-Group without Impersonate-User"));
        }
        return Ok(user);
    };
    let groups: Vec<String> =
        headers.get_all("Impersonate-Group").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    let check = |resource: &'static str, namespace: String, name: String| {
        let attrs = RequestAttributes::resource(&user, "impersonate", "", resource, "", &namespace, &name);
        async move { authorize(srv, &attrs).await }
    };
    match as_user.strip_prefix("system:serviceaccount:").and_then(|r| r.split_once(':')) {
        Some((ns, name)) => check("serviceaccounts", ns.into(), name.into()).await?,
        None => check("users", String::new(), as_user.clone()).await?,
    }
    for g in &groups {
        check("groups", String::new(), g.clone()).await?;
    }
    let mut groups = groups;
    if !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".into());
    }
    Ok(UserInfo { name: as_user, uid: String::new(), groups })
}

async fn read_body(body: hyper::body::Incoming, limit: usize) -> ApiResult<Bytes> {
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            Err(ApiError::too_large(format!("the request body is larger than the limit of {limit} bytes")))
        }
        Err(e) => Err(ApiError::bad_request(format!("failed to read the request body: {e}"))),
    }
}

fn text(code: u16, s: &'static str) -> Response<Body> {
    bytes_response(code, "text/plain; charset=utf-8", Bytes::from_static(s.as_bytes()), &[])
}

fn not_found() -> ApiError {
    ApiError::new(404, "NotFound", "the server could not find the requested resource")
}

fn non_resource(srv: &ApiServer, method: &Method, path: &str, headers: &http::HeaderMap) -> ApiResult<Response<Body>> {
    if method != Method::GET {
        return Err(ApiError::method_not_allowed(format!("{method} is not supported on {path}")));
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let aggregator = srv.aggregator.as_deref();
    if path == "/metrics" {
        return Ok(bytes_response(200, "text/plain; version=0.0.4", Bytes::from(crate::metrics::render()), &[]));
    }
    if path == "/version" {
        return Ok(json_response(200, &crate::discovery::version(), &[]));
    }
    if path == "/openapi/v2" {
        return Ok(match aggregator {
            Some(agg) => bytes_response(200, "application/json", agg.openapi_v2(&srv.openapi), &[]),
            None => srv.openapi.serve_v2(),
        });
    }
    if let Some(rest) = path.strip_prefix("/openapi/v3") {
        let rest = rest.trim_start_matches('/');
        if let (Some(agg), "") = (aggregator, rest) {
            return Ok(json_response(200, &agg.merge_openapi_index(srv.openapi.index()), &[]));
        }
        return srv.openapi.serve(rest).ok_or_else(not_found);
    }
    let is_apis = path.trim_end_matches('/') == "/apis";
    let aggregated = crate::discovery::aggregated_version(accept)
        .and_then(|v| Some((v, crate::discovery::aggregated(&srv.registry, path, v)?)));
    let (content_type, doc) = match aggregated {
        Some((version, doc)) => {
            let doc = match aggregator {
                Some(agg) if is_apis => agg.merge_aggregated(doc),
                _ => doc,
            };
            (crate::discovery::aggregated_content_type(version), doc)
        }
        None => {
            let doc = crate::discovery::serve(&srv.registry, path);
            let group = path.strip_prefix("/apis/").map(|g| g.trim_end_matches('/')).filter(|g| !g.contains('/'));
            let doc = match (doc, aggregator) {
                (Some(d), Some(agg)) if is_apis => agg.merge_group_list(d),
                (None, Some(agg)) => group.and_then(|g| agg.group(g)).ok_or_else(not_found)?,
                (d, _) => d.ok_or_else(not_found)?,
            };
            ("application/json".to_string(), doc)
        }
    };
    let body = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    // Discovery is fetched often and changes rarely: an ETag lets clients revalidate for free.
    let etag = format!("\"{}\"", crate::openapi::hex(&sha2::Sha256::digest(&body)));
    let mut resp = if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        bytes_response(304, &content_type, Bytes::new(), &[])
    } else {
        bytes_response(200, &content_type, body, &[])
    };
    resp.headers_mut().insert(header::ETAG, header::HeaderValue::from_str(&etag).expect("hex is a valid header"));
    // The same path answers differently by Accept: caches must keep both.
    resp.headers_mut().insert(header::VARY, header::HeaderValue::from_static("Accept"));
    Ok(resp)
}

async fn resource_request(c: &ReqCtx, body: &[u8]) -> ApiResult<Response<Body>> {
    let rt: Arc<ResourceType> =
        c.srv.registry.lookup(&c.info.group, &c.info.version, &c.info.resource).cloned().ok_or_else(not_found)?;
    if !rt.namespaced && !c.info.namespace.is_empty() {
        return Err(not_found());
    }
    if !c.info.subresource.is_empty() && !rt.subresources.contains(&c.info.subresource.as_str()) {
        return Err(not_found());
    }
    if rt.create_only {
        return match c.info.verb.as_str() {
            "create" => review::create(c, &rt, body),
            _ => Err(ApiError::method_not_allowed(format!("{} is not supported on {}", c.info.verb, rt.plural))),
        };
    }
    let sub = c.info.subresource.as_str();
    if let (Some(action), "create") = (rt.action(sub), c.info.verb.as_str()) {
        return (action.create)(c, &rt, body).await;
    }
    match (c.info.verb.as_str(), sub) {
        ("get", "" | "status") => read::get(c, &rt).await,
        ("get", "scale") => scale::get(c, &rt).await,
        ("update", "scale") => scale::update(c, &rt, body).await,
        ("patch", "scale") => scale::patch(c, &rt, body).await,
        ("list", "") => read::list(c, &rt).await,
        ("watch", "") => watch::watch(c, &rt).await,
        ("create", "") => write::create(c, &rt, body).await,
        ("create", "binding") => write::bind(c, &rt, body).await,
        ("create", "token") => write::token_request(c, &rt, body).await,
        ("update", "" | "status" | "finalize") => write::update(c, &rt, body).await,
        ("patch", "" | "status") => write::patch(c, &rt, body).await,
        ("delete", "") => write::delete(c, &rt, body).await,
        ("deletecollection", "") => write::delete_collection(c, &rt, body).await,
        (verb, sub) => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({verb} {}{})",
            rt.plural,
            if sub.is_empty() { String::new() } else { format!("/{sub}") }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_like_kubectl() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(kubectl, true), Negotiated::Table);
        assert_eq!(negotiate("application/json", true), Negotiated::Json);
        assert_eq!(
            negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", true),
            Negotiated::Json
        );
        assert_eq!(
            negotiate("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", true),
            Negotiated::PartialObjectMetadata
        );
        assert_eq!(negotiate("", true), Negotiated::Json);
        // client-go's protobuf clients.
        let client_go = "application/vnd.kubernetes.protobuf,application/json";
        assert_eq!(negotiate(client_go, true), Negotiated::Protobuf);
        assert_eq!(negotiate(client_go, false), Negotiated::Json, "kinds without a protobuf form answer JSON");
        assert_eq!(
            negotiate("application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1,application/json", true),
            Negotiated::Json
        );
    }
}
