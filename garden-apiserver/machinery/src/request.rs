//! Request parsing (kube's RequestInfo) and response helpers.

use std::collections::HashMap;

use bytes::Bytes;
use http::{header, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::error::ApiError;

pub type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

/// What a resource request addresses, parsed from the path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub group: String,
    pub version: String,
    pub namespace: String,
    pub resource: String,
    pub name: String,
    pub subresource: String,
    /// kube verb: get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: String,
}

/// Parse `/api/v1/...` or `/apis/<g>/<v>/...`; None for non-resource paths.
pub fn parse_resource_path(method: &http::Method, path: &str, query: &Query) -> Option<RequestInfo> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", v, rest @ ..] if !rest.is_empty() => (String::new(), v.to_string(), rest),
        ["apis", g, v, rest @ ..] if !rest.is_empty() => (g.to_string(), v.to_string(), rest),
        _ => return None,
    };
    let mut info = RequestInfo { group, version, ..Default::default() };
    let mut rest: Vec<&str> = rest.to_vec();
    if rest[0] == "namespaces" && rest.len() > 1 {
        info.namespace = rest[1].to_string();
        if rest.len() > 2 && rest[2] != "status" && rest[2] != "finalize" {
            rest.drain(..2);
        } else {
            // The namespace object itself (or its subresource).
            info.namespace.clear();
            info.resource = "namespaces".into();
            info.name = rest[1].to_string();
            info.subresource = rest.get(2).map(|s| s.to_string()).unwrap_or_default();
            info.verb = verb_for(method, true, query);
            return Some(info);
        }
    }
    info.resource = rest[0].to_string();
    info.name = rest.get(1).map(|s| s.to_string()).unwrap_or_default();
    info.subresource = rest.get(2).map(|s| s.to_string()).unwrap_or_default();
    if rest.len() > 3 {
        return None;
    }
    info.verb = verb_for(method, !info.name.is_empty(), query);
    Some(info)
}

fn verb_for(method: &http::Method, named: bool, query: &Query) -> String {
    let v = match (method.as_str(), named) {
        ("GET", _) if query.flag("watch") => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        (m, _) => return m.to_lowercase(),
    };
    v.to_string()
}

/// Query parameters (last value wins).
#[derive(Debug, Default, Clone)]
pub struct Query(pub HashMap<String, String>);

impl Query {
    pub fn parse(q: Option<&str>) -> Self {
        Self(form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect())
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str).filter(|s| !s.is_empty())
    }
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.0.get(k).map(String::as_str), Some("1" | "true" | "True"))
    }
    pub fn int(&self, k: &str) -> Result<Option<i64>, ApiError> {
        self.get(k)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("invalid value for {k}: {v:?}: must be an integer")))
            })
            .transpose()
    }
    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None => Ok(false),
            Some("All") => Ok(true),
            Some(other) => {
                Err(ApiError::bad_request(format!("Invalid dryRun value {other:?}: supported values: \"All\"")))
            }
        }
    }
}

/// How unknown fields in a body are treated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    pub fn from_query(q: &Query) -> Result<Self, ApiError> {
        match q.get("fieldValidation") {
            None | Some("Warn") => Ok(Self::Warn),
            Some("Ignore") => Ok(Self::Ignore),
            Some("Strict") => Ok(Self::Strict),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other:?}: supported values: \"Ignore\", \"Warn\", \"Strict\""
            ))),
        }
    }
}

/// A JSON response with extra headers (Warning).
pub fn json_response(code: u16, body: &Value, warnings: &[String]) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    bytes_response(code, "application/json", Bytes::from(bytes), warnings)
}

pub fn bytes_response(code: u16, content_type: &str, body: Bytes, warnings: &[String]) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, content_type)
        .header("Cache-Control", "no-cache, private");
    for w in bounded_warnings(warnings) {
        b = b.header("Warning", warning_header(&w));
    }
    b.body(full(body)).unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

/// At most this many Warning headers, and this many characters in all: a body with thousands of unknown fields must
/// not turn into a response that clients refuse (Python's http.client stops at 100 headers; kube caps at 4 Ki runes).
const MAX_WARNINGS: usize = 50;
const MAX_WARNING_CHARS: usize = 4096;
const MAX_WARNING_ITEM_CHARS: usize = 256;

/// The warnings to send: duplicates dropped, each cut at 256 characters, and once the count or total size limit is
/// reached, one last warning saying how many were left out.
fn bounded_warnings(warnings: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut total = 0;
    let mut left_out = 0;
    for w in warnings {
        if out.contains(w) {
            continue;
        }
        let item: String = if w.chars().count() > MAX_WARNING_ITEM_CHARS {
            w.chars().take(MAX_WARNING_ITEM_CHARS).chain("...".chars()).collect()
        } else {
            w.clone()
        };
        let len = item.chars().count();
        if left_out > 0 || out.len() >= MAX_WARNINGS || total + len > MAX_WARNING_CHARS {
            left_out += 1;
            continue;
        }
        total += len;
        out.push(item);
    }
    if left_out > 0 {
        out.push(format!("{left_out} more warnings not shown"));
    }
    out
}

/// A `Warning: 299 - "text"` header value. The text is quoted (backslash and double quote escaped) and every
/// character an HTTP header cannot carry (controls, non-ASCII: a warning may quote a client's unknown field name)
/// written as `\u{...}`, so that the value is always valid and the response keeps its status and body.
pub fn warning_header(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("299 - \"");
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' '..='~' => out.push(ch),
            _ => out.push_str(&format!("\\u{{{:x}}}", ch as u32)),
        }
    }
    out.push('"');
    out
}

pub fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status(), &[])
}

/// Parse a request body as JSON, YAML, or kube protobuf, as the content type says.
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    let ct = content_type.split(';').next().unwrap_or_default().trim();
    if crate::protobuf::is_protobuf(ct) {
        return crate::protobuf::decode_to_json(body).map_err(ApiError::bad_request);
    }
    if ct.contains("yaml") {
        let text =
            std::str::from_utf8(body).map_err(|_| ApiError::bad_request("the request body is not valid UTF-8"))?;
        return serde_yaml::from_str::<Value>(text)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid YAML: {e}")));
    }
    serde_json::from_slice::<Value>(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_warning_with_any_characters_keeps_the_response() {
        // schemathesis: an unknown field named with controls and non-ASCII made the Warning header invalid, and the
        // response an empty 200 without a Content-Type.
        let w = "unknown field \"\u{dc}\u{12}\\x\"".to_string();
        let r = json_response(201, &serde_json::json!({"kind": "SelfSubjectAccessReview"}), &[w]);
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()[http::header::CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()["Warning"], r#"299 - "unknown field \"\u{dc}\u{12}\\x\"""#);
    }

    #[test]
    fn thousands_of_warnings_become_a_bounded_set_of_headers() {
        // schemathesis: a body with hundreds of unknown fields gave a response with more than 100 headers.
        let many: Vec<String> = (0..500).map(|i| format!("unknown field \"f{i}\"")).collect();
        let r = json_response(201, &serde_json::json!({}), &many);
        let sent: Vec<_> = r.headers().get_all("Warning").iter().collect();
        assert_eq!(sent.len(), MAX_WARNINGS + 1);
        assert_eq!(sent[MAX_WARNINGS], r#"299 - "450 more warnings not shown""#);
        let dup = vec!["x".to_string(), "x".to_string(), "y".repeat(1000)];
        let b = bounded_warnings(&dup);
        assert_eq!(b.len(), 2);
        assert_eq!(b[1].chars().count(), MAX_WARNING_ITEM_CHARS + 3);
    }

    use super::*;

    fn info(method: &str, path: &str, q: &str) -> Option<RequestInfo> {
        parse_resource_path(&method.parse().unwrap(), path, &Query::parse(Some(q)))
    }

    #[test]
    fn parses_kube_paths() {
        let i = info("GET", "/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots/local/status", "").unwrap();
        assert_eq!(
            (i.group.as_str(), i.namespace.as_str(), i.resource.as_str()),
            ("core.gardener.cloud", "garden-dev", "shoots")
        );
        assert_eq!((i.name.as_str(), i.subresource.as_str(), i.verb.as_str()), ("local", "status", "get"));
        let i = info("GET", "/api/v1/namespaces/foo", "").unwrap();
        assert_eq!((i.resource.as_str(), i.name.as_str(), i.namespace.as_str()), ("namespaces", "foo", ""));
        let i = info("PUT", "/api/v1/namespaces/foo/finalize", "").unwrap();
        assert_eq!(
            (i.resource.as_str(), i.subresource.as_str(), i.verb.as_str()),
            ("namespaces", "finalize", "update")
        );
        let i = info("GET", "/api/v1/namespaces", "watch=1").unwrap();
        assert_eq!(i.verb, "watch");
        let i = info("DELETE", "/api/v1/namespaces/a/secrets", "").unwrap();
        assert_eq!((i.verb.as_str(), i.namespace.as_str()), ("deletecollection", "a"));
        assert!(info("GET", "/apis/core.gardener.cloud/v1beta1", "").is_none());
        assert!(info("GET", "/healthz", "").is_none());
    }
}
