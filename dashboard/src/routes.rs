//! The HTTP surface (dashboard/API.md): login/logout/session, the garden proxy, the projects a user can see, the
//! live shoot stream, and the built front end with its security headers.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_stream::wrappers::ReceiverStream;
use tower_http::services::{ServeDir, ServeFile};

use crate::garden::{self, Garden};
use crate::session::{self, Sealer, Session};
use crate::watch::Hub;

/// Request bodies larger than this are refused.
pub const BODY_LIMIT: usize = 1 << 20;
/// How often a live stream checks again that its user may still watch the namespace.
const RECHECK: Duration = Duration::from_secs(30);

pub struct AppState {
    pub garden: Garden,
    pub sealer: Sealer,
    pub ttl: Duration,
    pub hub: Arc<Hub>,
    /// The garden's name for gardenctl.
    pub garden_name: String,
}

type Shared = Arc<AppState>;

/// An error answer: `{"message": ...}`.
pub struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"message": self.1}))).into_response()
    }
}

fn fail(code: StatusCode, message: impl Into<String>) -> Failure {
    Failure(code, message.into())
}

fn bad_gateway(e: anyhow::Error) -> Failure {
    tracing::warn!(error = %format!("{e:#}"), "garden request failed");
    fail(StatusCode::BAD_GATEWAY, "the garden cannot be reached")
}

pub fn router(state: Shared, static_dir: PathBuf) -> Router {
    let index = static_dir.join("index.html");
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/statz", get(statz))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/session", get(current_session))
        .route("/api/projects", get(projects))
        .route("/api/watch/shoots", get(watch_shoots))
        .route("/api/shoots/{namespace}/{name}/nodes", get(shoot_nodes))
        .route("/api/garden/{*path}", any(proxy))
        .fallback_service(ServeDir::new(static_dir).fallback(ServeFile::new(index)))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers on every answer: the front end may only load and talk to this origin, never be framed.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Counters without names or secrets: shared garden watches and cached user clients (tests and benchmarks read
/// them to see that sessions share one watch per namespace).
async fn statz(State(state): State<Shared>) -> Json<Value> {
    Json(json!({"watches": state.hub.watches(), "clients": state.garden.cached_clients()}))
}

/// The request's session (401 without one).
fn session_of(state: &AppState, headers: &HeaderMap) -> Result<Session, Failure> {
    session::cookie_value(headers)
        .and_then(|v| state.sealer.open(&v))
        .ok_or_else(|| fail(StatusCode::UNAUTHORIZED, "not logged in, or the session expired: log in again"))
}

/// Writes must carry the session's CSRF token.
fn check_csrf(method: &Method, headers: &HeaderMap, session: &Session) -> Result<(), Failure> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if session::same(sent, &session.csrf) {
        Ok(())
    } else {
        Err(fail(StatusCode::FORBIDDEN, "missing or wrong CSRF token"))
    }
}

fn session_body(state: &AppState, s: &Session) -> Value {
    let expires = jiff::Timestamp::from_second(s.expires as i64).map(|t| t.to_string()).unwrap_or_default();
    json!({"user": s.user, "csrfToken": s.csrf, "expiresAt": expires, "garden": state.garden_name})
}

#[derive(Deserialize)]
struct LoginRequest {
    #[serde(default)]
    token: String,
}

async fn login(State(state): State<Shared>, body: Body) -> Result<Response, Failure> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| fail(StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than 1 MiB"))?;
    let request: LoginRequest = serde_json::from_slice(&bytes)
        .map_err(|_| fail(StatusCode::BAD_REQUEST, "expected a JSON body {\"token\": \"...\"}"))?;
    let token = request.token.trim().to_string();
    if token.is_empty() || token.len() > 16 * 1024 || token.chars().any(|c| c.is_control() || c == ' ') {
        return Err(fail(StatusCode::BAD_REQUEST, "the token is empty or not a bearer token"));
    }
    let client = state.garden.client(&token).map_err(bad_gateway)?;
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": "default"},
    });
    let reply =
        garden::call(&client, Method::POST, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", Some(review))
            .await
            .map_err(bad_gateway)?;
    match reply.status.as_u16() {
        200 | 201 => {}
        401 => return Err(fail(StatusCode::UNAUTHORIZED, "the garden does not accept this token")),
        code => return Err(fail(StatusCode::BAD_GATEWAY, format!("the garden answered {code} to the login check"))),
    }
    let session = state.sealer.start(token.clone(), garden::user_of(&token), state.ttl);
    let cookie = session::set_cookie(&state.sealer.seal(&session), state.ttl);
    tracing::info!(user = %session.user, "login");
    Ok(([(header::SET_COOKIE, cookie)], Json(session_body(&state, &session))).into_response())
}

async fn logout(State(state): State<Shared>, method: Method, headers: HeaderMap) -> Result<Response, Failure> {
    let session = session_of(&state, &headers)?;
    check_csrf(&method, &headers, &session)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session::clear_cookie())]).into_response())
}

async fn current_session(State(state): State<Shared>, headers: HeaderMap) -> Result<Json<Value>, Failure> {
    Ok(Json(session_body(&state, &session_of(&state, &headers)?)))
}

/// `/api/garden/<path>`: the garden's `/<path>` as the user.
async fn proxy(State(state): State<Shared>, request: Request) -> Result<Response, Failure> {
    let (parts, body) = request.into_parts();
    let session = session_of(&state, &parts.headers)?;
    check_csrf(&parts.method, &parts.headers, &session)?;
    let path = parts.uri.path().strip_prefix("/api/garden").unwrap_or_default();
    if !(path.starts_with("/api/")
        || path.starts_with("/apis/")
        || path == "/api"
        || path == "/apis"
        || path == "/version")
    {
        return Err(fail(StatusCode::NOT_FOUND, "only the garden's API paths (/api/..., /apis/...) are served"));
    }
    let target = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| fail(StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than 1 MiB"))?;
    let client = state.garden.client(&session.token).map_err(bad_gateway)?;
    let content_type = parts.headers.get(header::CONTENT_TYPE);
    let response =
        garden::send(&client, parts.method.clone(), &target, content_type, body).await.map_err(bad_gateway)?;
    let status = response.status();
    let mut out = Response::builder().status(status);
    if let Some(ct) = response.headers().get(header::CONTENT_TYPE) {
        out = out.header(header::CONTENT_TYPE, ct);
    }
    out.body(Body::new(response.into_body())).map_err(|e| bad_gateway(e.into()))
}

/// The projects the user can see: all when they may list them, else those a rules review lets them get by name.
async fn projects(State(state): State<Shared>, headers: HeaderMap) -> Result<Json<Value>, Failure> {
    let session = session_of(&state, &headers)?;
    let client = state.garden.client(&session.token).map_err(bad_gateway)?;
    let list = garden::call(&client, Method::GET, "/apis/core.gardener.cloud/v1beta1/projects", None)
        .await
        .map_err(bad_gateway)?;
    if list.status.is_success() {
        return Ok(Json(json!({"items": list.json()["items"]})));
    }
    if list.status.as_u16() == 401 {
        return Err(fail(StatusCode::UNAUTHORIZED, "the garden no longer accepts this session's token: log in again"));
    }
    let review =
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": ""}});
    let rules =
        garden::call(&client, Method::POST, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", Some(review))
            .await
            .map_err(bad_gateway)?
            .json();
    let mut names = std::collections::BTreeSet::new();
    for rule in rules["status"]["resourceRules"].as_array().into_iter().flatten() {
        let has = |key: &str, want: &str| rule[key].as_array().is_some_and(|a| a.iter().any(|v| v == want || v == "*"));
        if has("resources", "projects") && has("verbs", "get") && has("apiGroups", "core.gardener.cloud") {
            for n in rule["resourceNames"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                names.insert(n.to_string());
            }
        }
    }
    let mut items = Vec::new();
    for name in names {
        let path = format!("/apis/core.gardener.cloud/v1beta1/projects/{name}");
        let reply = garden::call(&client, Method::GET, &path, None).await.map_err(bad_gateway)?;
        if reply.status.is_success() {
            items.push(reply.json());
        }
    }
    Ok(Json(json!({"items": items})))
}

/// The Nodes of a shoot, read from the shoot's own API server with a short-lived admin kubeconfig the user
/// requests from the garden (RBAC decides whether the user may have one; viewer kubeconfigs cannot list nodes). The
/// kubeconfig is kept for the session's next calls until shortly before it expires, so a page refresh does not
/// issue a new certificate.
async fn shoot_nodes(
    State(state): State<Shared>,
    headers: HeaderMap,
    axum::extract::Path((namespace, name)): axum::extract::Path<(String, String)>,
) -> Result<Json<Value>, Failure> {
    let session = session_of(&state, &headers)?;
    if !is_dns_label(&namespace) || !is_dns_label(&name) {
        return Err(fail(StatusCode::BAD_REQUEST, "namespace and shoot name must be DNS labels"));
    }
    let client = state.garden.client(&session.token).map_err(bad_gateway)?;
    let shoot_path = format!("/apis/core.gardener.cloud/v1beta1/namespaces/{namespace}/shoots/{name}");
    let shoot = garden::call(&client, Method::GET, &shoot_path, None).await.map_err(bad_gateway)?;
    passthrough_error(&shoot)?;
    if shoot.json()["status"]["hibernated"] == true {
        return Err(fail(StatusCode::CONFLICT, "the shoot is hibernated: it has no nodes until it is woken up"));
    }
    let kubeconfig = match state.garden.cached_shoot_kubeconfig(&session.token, &namespace, &name) {
        Some(k) => k,
        None => {
            let request = json!({
                "apiVersion": "authentication.gardener.cloud/v1alpha1",
                "kind": "AdminKubeconfigRequest",
                "spec": {"expirationSeconds": garden::SHOOT_KUBECONFIG_SECONDS},
            });
            let reply = garden::call(&client, Method::POST, &format!("{shoot_path}/adminkubeconfig"), Some(request))
                .await
                .map_err(bad_gateway)?;
            if reply.status.as_u16() == 403 {
                return Err(fail(
                    StatusCode::FORBIDDEN,
                    "only users who may have an admin kubeconfig of the shoot see its nodes",
                ));
            }
            passthrough_error(&reply)?;
            let encoded = reply.json()["status"]["kubeconfig"].as_str().unwrap_or_default().to_string();
            state.garden.cache_shoot_kubeconfig(&session.token, &namespace, &name, &encoded);
            encoded
        }
    };
    let items = garden::shoot_nodes(&kubeconfig).await.map_err(|e| {
        fail(StatusCode::BAD_GATEWAY, format!("the shoot's API server does not answer: {}", e.root_cause()))
    })?;
    Ok(Json(json!({"items": items, "access": "admin"})))
}

/// A DNS label (RFC 1123), as namespace and shoot names are: path segments are checked before they reach a URL.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A garden error as the same status with its message (401 as "log in again").
fn passthrough_error(reply: &garden::Reply) -> Result<(), Failure> {
    if reply.status.is_success() {
        return Ok(());
    }
    if reply.status.as_u16() == 401 {
        return Err(fail(StatusCode::UNAUTHORIZED, "the garden no longer accepts this session's token: log in again"));
    }
    let message = reply.json()["message"].as_str().unwrap_or("the garden refused the request").to_string();
    Err(fail(reply.status, message))
}

#[derive(Deserialize)]
struct WatchQuery {
    namespace: String,
}

/// Server-sent shoot events of a namespace (see [`crate::watch`]).
async fn watch_shoots(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<WatchQuery>,
) -> Result<Response, Failure> {
    let session = session_of(&state, &headers)?;
    let ns = query.namespace;
    if !is_dns_label(&ns) {
        return Err(fail(StatusCode::BAD_REQUEST, "namespace must be a DNS label"));
    }
    let client = state.garden.client(&session.token).map_err(bad_gateway)?;
    let allowed = |client: kube::Client, ns: String| async move {
        garden::may(&client, "watch", "core.gardener.cloud", "shoots", &ns).await
    };
    if !allowed(client.clone(), ns.clone()).await.map_err(bad_gateway)? {
        return Err(fail(StatusCode::FORBIDDEN, format!("you may not watch the shoots of namespace {ns}")));
    }
    let mut subscription = state.hub.subscribe(&ns, client.clone());
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<SseEvent, Infallible>>(256);
    tokio::spawn(async move {
        for line in std::mem::take(&mut subscription.initial) {
            if tx.send(Ok(SseEvent::default().data(&*line))).await.is_err() {
                return;
            }
        }
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.tick().await;
        loop {
            tokio::select! {
                event = subscription.events.recv() => match event {
                    Ok(line) => {
                        if tx.send(Ok(SseEvent::default().data(&*line))).await.is_err() {
                            return;
                        }
                    }
                    // Too slow a reader, or the watch ended: the browser reconnects and starts from the state.
                    Err(_) => return,
                },
                _ = recheck.tick() => {
                    if !matches!(allowed(client.clone(), ns.clone()).await, Ok(true)) {
                        return;
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::default()).into_response())
}
