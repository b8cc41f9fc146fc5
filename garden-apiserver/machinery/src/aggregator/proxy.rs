//! Forwarding one request to an aggregated server, as kube-aggregator does: over TLS checked against the
//! APIService's CA bundle, with the front-proxy client certificate, the caller's identity in X-Remote-User /
//! X-Remote-Group, and none of the caller's own credentials. The answer (a watch too) streams back as it comes.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method, Response, Uri};
use http_body_util::{BodyExt, Full};

use super::Backend;
use crate::authz::UserInfo;
use crate::error::ApiError;
use crate::request::Body;

/// Request headers never forwarded: the caller's credentials, identity claims only the proxy may make, and
/// hop-by-hop headers.
const DROPPED: &[&str] = &[
    "authorization",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

fn dropped(name: &HeaderName) -> bool {
    let n = name.as_str();
    DROPPED.contains(&n) || n.starts_with("impersonate-") || n.starts_with("x-remote-")
}

pub async fn proxy(
    backend: &Backend,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    user: &UserInfo,
) -> Result<Response<Body>, ApiError> {
    let target = match (&backend.target, backend.available) {
        (Some(t), true) => t,
        _ => {
            return Err(ApiError::unavailable(format!(
                "the server is currently unable to handle the request ({}/{} is not available: {})",
                backend.group, backend.version, backend.message
            )))
        }
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut req = http::Request::builder().method(method.clone()).uri(format!("https://{}{path}", target.authority));
    for (name, value) in headers.iter().filter(|(n, _)| !dropped(n)) {
        req = req.header(name, value);
    }
    req = req.header("X-Remote-User", user.name.as_str());
    for g in &user.groups {
        req = req.header("X-Remote-Group", g.as_str());
    }
    let req =
        req.body(Full::new(body)).map_err(|e| ApiError::bad_request(format!("cannot forward the request: {e}")))?;
    let resp = target.client.request(req).await.map_err(|e| {
        tracing::warn!(group = %backend.group, version = %backend.version, error = %e, "proxying failed");
        ApiError::unavailable(format!("error trying to reach service: {e}"))
    })?;
    let (mut parts, body) = resp.into_parts();
    for h in ["connection", "keep-alive", "transfer-encoding", "upgrade"] {
        parts.headers.remove(h);
    }
    Ok(Response::from_parts(parts, body.map_err(std::io::Error::other).boxed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callers_credentials_and_identity_claims_are_not_forwarded() {
        for h in [
            "Authorization",
            "Impersonate-User",
            "Impersonate-Group",
            "X-Remote-User",
            "X-Remote-Group",
            "x-remote-extra-scopes",
            "Connection",
            "Host",
        ] {
            assert!(dropped(&HeaderName::from_bytes(h.as_bytes()).unwrap()), "{h}");
        }
        for h in ["Accept", "Content-Type", "User-Agent", "If-None-Match"] {
            assert!(!dropped(&HeaderName::from_bytes(h.as_bytes()).unwrap()), "{h}");
        }
    }
}
