//! The sidecar's HTTP endpoint (plain HTTP; bind it to loopback):
//!
//! - `GET /healthz` — `ok` while the process runs.
//! - `GET /metrics` — Prometheus text format.
//! - `GET /status` — the snapshotter's [`Status`](crate::snapshotter::Status) as JSON.
//! - `POST /snapshot/full` — takes a full snapshot now; `{"name", "revision", "bytes"}` once it is uploaded.
//! - `GET /snapshot/latest` — the latest chain: `{"full": {...}, "deltas": [...]}` (404 when there is none).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use object_store::ObjectStore;
use tokio::net::TcpListener;
use tracing::debug;

use crate::layout;
use crate::snapshotter::SnapshotterHandle;

/// What the handlers need.
#[derive(Clone)]
pub struct ServerState {
    /// The running snapshotter.
    pub snapshotter: SnapshotterHandle,
    /// The store it writes to.
    pub store: Arc<dyn ObjectStore>,
    /// Its prefix.
    pub prefix: String,
}

/// Serves `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, state: ServerState, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    debug!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(&state, req).await) }
            });
            if let Err(e) =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await
            {
                debug!(error = %e, "connection error");
            }
        });
    }
}

async fn handle(state: &ServerState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok".into()),
        (&Method::GET, "/metrics") => text(StatusCode::OK, state.snapshotter.metrics().render()),
        (&Method::GET, "/status") => json(StatusCode::OK, &state.snapshotter.status()),
        (&Method::POST, "/snapshot/full") => match state.snapshotter.request_full().await {
            Ok(u) => json(
                StatusCode::OK,
                &serde_json::json!({"name": u.name, "revision": u.snapshot.end_revision, "bytes": u.bytes}),
            ),
            Err(e) => json(StatusCode::INTERNAL_SERVER_ERROR, &serde_json::json!({"error": e.to_string()})),
        },
        (&Method::GET, "/snapshot/latest") => match layout::list(state.store.as_ref(), &state.prefix).await {
            Ok(list) => match layout::latest_chain(&list) {
                Some(chain) => json(StatusCode::OK, &chain_json(&chain)),
                None => json(StatusCode::NOT_FOUND, &serde_json::json!({"error": "no full snapshot yet"})),
            },
            Err(e) => json(StatusCode::INTERNAL_SERVER_ERROR, &serde_json::json!({"error": e.to_string()})),
        },
        (_, "/healthz" | "/metrics" | "/status" | "/snapshot/full" | "/snapshot/latest") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n".into())
        }
        _ => text(StatusCode::NOT_FOUND, "404 page not found\n".into()),
    }
}

fn chain_json(chain: &layout::Chain) -> serde_json::Value {
    let entry = |s: &layout::Snapshot| {
        serde_json::json!({
            "name": s.name(),
            "kind": s.kind,
            "startRevision": s.start_revision,
            "endRevision": s.end_revision,
            "createdUnix": s.created_unix,
        })
    };
    serde_json::json!({
        "full": entry(&chain.full),
        "deltas": chain.deltas.iter().map(entry).collect::<Vec<_>>(),
        "endRevision": chain.end_revision(),
    })
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    resp
}
