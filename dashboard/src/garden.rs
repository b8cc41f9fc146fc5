//! The garden as each user sees it: one kube-rs client per user token (cached while used), built on the garden's
//! URL and CA. The backend has no credential of its own.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::BodyExt;
use kube::Client;
use serde_json::{json, Value};

/// How long an unused client stays cached.
const IDLE: Duration = Duration::from_secs(600);

pub struct Garden {
    base: kube::Config,
    clients: Mutex<HashMap<Vec<u8>, (Client, Instant)>>,
    /// Shoot admin kubeconfigs (base64, as issued) by user token hash, namespace and name, with when to stop using
    /// them.
    shoot_kubeconfigs: Mutex<HashMap<ShootKey, (String, Instant)>>,
}

/// A user (token hash) and a shoot (namespace, name).
type ShootKey = (Vec<u8>, String, String);

/// Lifetime of the shoot kubeconfigs the backend requests (to list a shoot's nodes).
pub const SHOOT_KUBECONFIG_SECONDS: u64 = 600;
/// They are used until this long before they expire.
const SHOOT_KUBECONFIG_MARGIN: Duration = Duration::from_secs(120);

fn token_key(token: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref().to_vec()
}

/// A garden response read whole.
pub struct Reply {
    pub status: http::StatusCode,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Garden {
    /// The garden at `server`, its serving certificate checked against the PEM bundle `ca`.
    pub fn new(server: &str, ca: Option<&Path>) -> Result<Garden> {
        let url: http::Uri = server.parse().with_context(|| format!("--garden-server {server}"))?;
        let mut base = kube::Config::new(url);
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).with_context(|| format!("reading --garden-ca {}", ca.display()))?;
            let certs: Vec<Vec<u8>> = rustls_pemfile_certs(&pem)?;
            anyhow::ensure!(!certs.is_empty(), "--garden-ca {} holds no certificate", ca.display());
            base.root_cert = Some(certs);
        }
        Ok(Garden { base, clients: Mutex::new(HashMap::new()), shoot_kubeconfigs: Mutex::new(HashMap::new()) })
    }

    /// The client that authenticates with `token`.
    pub fn client(&self, token: &str) -> Result<Client> {
        let key = token_key(token);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        clients.retain(|_, (_, used)| now.duration_since(*used) < IDLE);
        if let Some((client, used)) = clients.get_mut(&key) {
            *used = now;
            return Ok(client.clone());
        }
        let mut config = self.base.clone();
        config.auth_info.token = Some(token.to_string().into());
        let client = component_base::client_from_config(config).context("building a garden client")?;
        clients.insert(key, (client.clone(), now));
        Ok(client)
    }

    /// A shoot kubeconfig this user was issued and that is still good.
    pub fn cached_shoot_kubeconfig(&self, token: &str, namespace: &str, name: &str) -> Option<String> {
        let mut cache = self.shoot_kubeconfigs.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        cache.retain(|_, (_, until)| *until > now);
        cache.get(&(token_key(token), namespace.to_string(), name.to_string())).map(|(k, _)| k.clone())
    }

    pub fn cache_shoot_kubeconfig(&self, token: &str, namespace: &str, name: &str, kubeconfig: &str) {
        let until = Instant::now() + Duration::from_secs(SHOOT_KUBECONFIG_SECONDS) - SHOOT_KUBECONFIG_MARGIN;
        let mut cache = self.shoot_kubeconfigs.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert((token_key(token), namespace.to_string(), name.to_string()), (kubeconfig.to_string(), until));
    }

    /// How many user clients are cached.
    pub fn cached_clients(&self) -> usize {
        self.clients.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// Sends a request and returns the response with its body still streaming.
pub async fn send(
    client: &Client,
    method: http::Method,
    path_and_query: &str,
    content_type: Option<&http::HeaderValue>,
    body: Bytes,
) -> Result<http::Response<kube::client::Body>> {
    let mut request =
        http::Request::builder().method(method).uri(path_and_query).header(http::header::ACCEPT, "application/json");
    if let Some(ct) = content_type {
        request = request.header(http::header::CONTENT_TYPE, ct);
    }
    let request = request.body(kube::client::Body::from(body)).context("building the garden request")?;
    Ok(client.send(request).await?)
}

/// Sends a request and reads the whole response.
pub async fn call(client: &Client, method: http::Method, path_and_query: &str, body: Option<Value>) -> Result<Reply> {
    let ct = http::HeaderValue::from_static("application/json");
    let bytes = body.map(|b| Bytes::from(serde_json::to_vec(&b).unwrap_or_default())).unwrap_or_default();
    let response = send(client, method, path_and_query, Some(&ct), bytes).await?;
    let status = response.status();
    let body = response.into_body().collect().await.context("reading the garden's answer")?.to_bytes();
    Ok(Reply { status, body })
}

/// Whether the token's user may `verb` `resource` of `group` in `namespace` (a SelfSubjectAccessReview).
pub async fn may(client: &Client, verb: &str, group: &str, resource: &str, namespace: &str) -> Result<bool> {
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource, "namespace": namespace}},
    });
    let reply =
        call(client, http::Method::POST, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Some(review))
            .await?;
    anyhow::ensure!(reply.status.is_success(), "SelfSubjectAccessReview answered {}", reply.status);
    Ok(reply.json()["status"]["allowed"] == true)
}

/// The Nodes of a shoot, listed with the base64 kubeconfig the garden issued: name, readiness, kubelet version,
/// internal IP, provider ID and creation time of each.
pub async fn shoot_nodes(kubeconfig_b64: &str) -> Result<Vec<Value>> {
    use base64::Engine as _;
    let text =
        base64::engine::general_purpose::STANDARD.decode(kubeconfig_b64).context("the kubeconfig is not base64")?;
    let kubeconfig =
        kube::config::Kubeconfig::from_yaml(std::str::from_utf8(&text)?).context("the kubeconfig is invalid")?;
    // The garden issues client certificates; a kubeconfig that would run a program is refused.
    let runs_programs = kubeconfig
        .auth_infos
        .iter()
        .any(|a| a.auth_info.as_ref().is_some_and(|i| i.exec.is_some() || i.auth_provider.is_some()));
    anyhow::ensure!(!runs_programs, "the shoot kubeconfig asks to run a credential plugin");
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default()).await?;
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(10));
    let client = component_base::client_from_config(config)?;
    let reply = call(&client, http::Method::GET, "/api/v1/nodes", None).await?;
    anyhow::ensure!(reply.status.is_success(), "listing nodes answered {}", reply.status);
    let list = reply.json();
    let nodes = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            let ready = n["status"]["conditions"].as_array().into_iter().flatten().find(|c| c["type"] == "Ready");
            let ip = n["status"]["addresses"].as_array().into_iter().flatten().find(|a| a["type"] == "InternalIP");
            json!({
                "name": n["metadata"]["name"],
                "ready": ready.map(|c| c["status"] == "True").unwrap_or(false),
                "kubeletVersion": n["status"]["nodeInfo"]["kubeletVersion"],
                "internalIP": ip.map(|a| a["address"].clone()).unwrap_or(Value::Null),
                "providerID": n["spec"]["providerID"],
                "createdAt": n["metadata"]["creationTimestamp"],
            })
        })
        .collect();
    Ok(nodes)
}

/// The user a service-account token names (its `sub` claim, read without checking: for display only).
pub fn user_of(token: &str) -> String {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_)) = (parts.next(), parts.next(), parts.next()) else { return String::new() };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["sub"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// DER certificates of a PEM bundle.
fn rustls_pemfile_certs(pem: &[u8]) -> Result<Vec<Vec<u8>>> {
    rustls_pemfile::certs(&mut &pem[..])
        .map(|c| c.map(|c| c.to_vec()).context("the CA bundle is not valid PEM"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_users_are_read_from_the_token() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"system:serviceaccount:garden-dev:robot"}"#);
        assert_eq!(user_of(&format!("e30.{payload}.sig")), "system:serviceaccount:garden-dev:robot");
        assert_eq!(user_of("static-token"), "");
    }
}
