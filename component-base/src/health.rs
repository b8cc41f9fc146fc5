//! A tiny plain-HTTP health endpoint: `GET /healthz` and `/livez` answer `ok` while the process
//! runs, `/readyz` answers `ok` once the component says it is ready (503 with its reason otherwise), and
//! `/metrics` the component's Prometheus text exposition when it has one ([`serve_with_metrics`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::debug;

/// Binds the health endpoint; returns the listener (its local address is the bound port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Binds the health endpoint on `addr`, serves it in the background (`not_ready` as in [`serve`]) and logs
/// where; returns the bound address.
pub async fn start(addr: SocketAddr, ready: Arc<AtomicBool>, not_ready: &'static str) -> std::io::Result<SocketAddr> {
    let listener = bind(addr).await?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "serving /healthz and /readyz");
    tokio::spawn(serve(listener, ready, not_ready));
    Ok(local)
}

/// Renders the Prometheus text exposition of a component's metrics.
pub type MetricsRenderer = Arc<dyn Fn() -> String + Send + Sync>;

/// Serves health requests on `listener` forever; `not_ready` is the `/readyz` body while `ready` is false.
pub async fn serve(listener: TcpListener, ready: Arc<AtomicBool>, not_ready: &'static str) {
    serve_with_metrics(listener, ready, not_ready, None).await
}

/// [`serve`], plus `GET /metrics` answered by `metrics`.
pub async fn serve_with_metrics(
    listener: TcpListener,
    ready: Arc<AtomicBool>,
    not_ready: &'static str,
    metrics: Option<MetricsRenderer>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let (ready, metrics) = (ready.clone(), metrics.clone());
                tokio::spawn(async move {
                    let served = handle(stream, ready, not_ready, metrics);
                    let _ = tokio::time::timeout(Duration::from_secs(10), served).await;
                });
            }
            Err(err) => {
                debug!(error = %err, "health accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// The status line and body for a request line's path.
pub fn respond(method: &str, path: &str, ready: bool, not_ready: &'static str) -> (&'static str, &'static str) {
    let path = path.split('?').next().unwrap_or_default();
    if method != "GET" && method != "HEAD" {
        return ("405 Method Not Allowed", "method not allowed\n");
    }
    match path {
        "/healthz" | "/livez" => ("200 OK", "ok"),
        "/readyz" if ready => ("200 OK", "ok"),
        "/readyz" => ("503 Service Unavailable", not_ready),
        _ => ("404 Not Found", "404 page not found\n"),
    }
}

async fn handle(
    mut stream: TcpStream,
    ready: Arc<AtomicBool>,
    not_ready: &'static str,
    metrics: Option<MetricsRenderer>,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // Read the request head (bodies are not expected).
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let rendered;
    let (status, body) = match (&metrics, path.split('?').next()) {
        (Some(render), Some("/metrics")) if method == "GET" || method == "HEAD" => {
            rendered = render();
            ("200 OK", rendered.as_str())
        }
        _ => respond(method, path, ready.load(Ordering::SeqCst), not_ready),
    };
    let body = if method == "HEAD" { "" } else { body };
    let content_type =
        if path.starts_with("/metrics") { "text/plain; version=0.0.4" } else { "text/plain; charset=utf-8" };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nX-Content-Type-Options: nosniff\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = |m, p, ready| respond(m, p, ready, "not ready: caches");
        assert_eq!(r("GET", "/healthz", false), ("200 OK", "ok"));
        assert_eq!(r("GET", "/livez", false).0, "200 OK");
        assert_eq!(r("GET", "/readyz", true), ("200 OK", "ok"));
        assert_eq!(r("GET", "/readyz?verbose", false), ("503 Service Unavailable", "not ready: caches"));
        assert_eq!(r("GET", "/nope", true).0, "404 Not Found");
        assert_eq!(r("POST", "/healthz", true).0, "405 Method Not Allowed");
    }

    #[tokio::test]
    async fn serves_over_tcp() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ready = Arc::new(AtomicBool::new(false));
        let metrics: MetricsRenderer = Arc::new(|| "up 1\n".to_string());
        tokio::spawn(serve_with_metrics(listener, ready.clone(), "not ready", Some(metrics)));
        let get = |path: &'static str| async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        let r = get("/healthz").await;
        assert!(r.starts_with("HTTP/1.1 200 OK") && r.ends_with("\r\n\r\nok"), "{r}");
        assert!(get("/readyz").await.starts_with("HTTP/1.1 503"));
        ready.store(true, Ordering::SeqCst);
        assert!(get("/readyz").await.ends_with("ok"));
        assert!(get("/metrics").await.ends_with("\r\n\r\nup 1\n"));
    }
}
