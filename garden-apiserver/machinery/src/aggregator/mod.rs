//! The aggregator of a server with `Topology::Aggregator` (kube-aggregator's job in a real kube-apiserver):
//! APIServices (`apiregistration.k8s.io/v1`) name a Service whose endpoints serve a group-version; requests for it
//! are proxied there with the front-proxy client certificate and the caller's identity in X-Remote-* headers
//! ([`proxy`]); an availability check per APIService keeps its `Available` condition true only while the server
//! answers its discovery path; discovery (`/apis`, legacy and aggregated v2), the OpenAPI v3 index and
//! `/openapi/v2` merge the aggregated group-versions in.

mod proxy;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};

use crate::admission::Lookup;
use crate::apiserver::{ApiServer, WriteCtx};
use crate::authz::UserInfo;
use crate::openapi::OpenApi;

pub use proxy::proxy;

type HttpClient = hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How often every APIService is checked.
const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// How long a discovery check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a backend's discovery and OpenAPI index entries are kept before they are asked for again (the
/// availability check itself runs every [`CHECK_INTERVAL`]).
const DISCOVERY_REFRESH: Duration = Duration::from_secs(30);
/// The user the availability checks are made as.
const AGGREGATOR_USER: &str = "system:kube-aggregator";

pub struct Aggregator {
    client_cert: Vec<CertificateDer<'static>>,
    client_key: PrivateKeyDer<'static>,
    backends: RwLock<BTreeMap<String, Arc<Backend>>>,
    /// The last merged `/openapi/v2` and the v3 documents (their index URLs) it was built from.
    openapi_v2: RwLock<Option<(Vec<String>, Bytes)>>,
}

/// Where the server of one APIService is and what it answered last.
pub struct Backend {
    pub group: String,
    pub version: String,
    group_priority: i64,
    version_priority: i64,
    local: bool,
    pub available: bool,
    reason: String,
    message: String,
    target: Option<Target>,
    /// The group-version's entry in the server's aggregated discovery (`apidiscovery.k8s.io/v2`).
    discovery: Option<Value>,
    /// The group-version's entry in the server's `/openapi/v3` index.
    openapi: Option<Value>,
    /// The group-version's OpenAPI v3 document (the one `openapi` points at), for the merged `/openapi/v2`.
    openapi_doc: Option<Arc<Value>>,
    /// When `discovery` and `openapi` were fetched.
    fetched: Option<std::time::Instant>,
}

#[derive(Clone)]
struct Target {
    /// `ip:port` of an endpoint.
    authority: String,
    /// `<service>.<namespace>.svc`, the name the serving certificate is checked against.
    server_name: String,
    ca_bundle: String,
    client: HttpClient,
}

impl Aggregator {
    pub fn new(client_cert: Vec<CertificateDer<'static>>, client_key: PrivateKeyDer<'static>) -> Self {
        Self { client_cert, client_key, backends: RwLock::new(BTreeMap::new()), openapi_v2: RwLock::new(None) }
    }

    fn backends(&self) -> Vec<Arc<Backend>> {
        self.backends.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    /// The aggregated (not local) backend serving `group`/`version` (on every request: no copy of the table).
    pub fn backend(&self, group: &str, version: &str) -> Option<Arc<Backend>> {
        let backends = self.backends.read().unwrap_or_else(|e| e.into_inner());
        backends.values().find(|b| !b.local && b.group == group && b.version == version).cloned()
    }

    /// The backend a request path is for: `/apis/<group>/<version>[/...]` or `/openapi/v3/apis/<group>/<version>`.
    pub fn route(&self, path: &str) -> Option<Arc<Backend>> {
        let rest = path.strip_prefix("/openapi/v3").unwrap_or(path);
        let mut parts = rest.strip_prefix("/apis/")?.split('/');
        let (group, version) = (parts.next()?, parts.next()?);
        self.backend(group, version)
    }

    /// Aggregated group-versions that answer.
    fn available(&self) -> Vec<Arc<Backend>> {
        self.registered().into_iter().filter(|b| b.available).collect()
    }

    /// Aggregated group-versions, available or not, best first (group priority, then version priority).
    fn registered(&self) -> Vec<Arc<Backend>> {
        let mut out: Vec<Arc<Backend>> = self.backends().into_iter().filter(|b| !b.local).collect();
        out.sort_by(|a, b| {
            (b.group_priority, &a.group, b.version_priority).cmp(&(a.group_priority, &b.group, a.version_priority))
        });
        out
    }

    /// Groups served by aggregated servers, each with its versions (best first). Like kube-aggregator, an
    /// APIService that does not answer is still listed (its requests get a 503).
    fn groups(&self) -> Vec<(String, Vec<Arc<Backend>>)> {
        let mut out: Vec<(String, Vec<Arc<Backend>>)> = Vec::new();
        for b in self.registered() {
            match out.iter_mut().find(|(g, _)| *g == b.group) {
                Some((_, vs)) => vs.push(b),
                None => out.push((b.group.clone(), vec![b])),
            }
        }
        out
    }

    /// `/apis` (APIGroupList) with the aggregated groups added after this server's own.
    pub fn merge_group_list(&self, mut doc: Value) -> Value {
        if let Some(groups) = doc.get_mut("groups").and_then(Value::as_array_mut) {
            groups.extend(self.groups().into_iter().map(|(g, vs)| group_doc(&g, &vs)));
        }
        doc
    }

    /// `/apis/<group>` (APIGroup) of an aggregated group.
    pub fn group(&self, group: &str) -> Option<Value> {
        let (g, vs) = self.groups().into_iter().find(|(g, _)| g == group)?;
        let mut doc = group_doc(&g, &vs);
        doc["kind"] = json!("APIGroup");
        doc["apiVersion"] = json!("v1");
        Some(doc)
    }

    /// `/apis` as aggregated discovery, with the aggregated groups' entries as their servers published them (the
    /// last one seen, marked `Stale`, while a server does not answer).
    pub fn merge_aggregated(&self, mut doc: Value) -> Value {
        if let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut) {
            for (g, vs) in self.groups() {
                let versions: Vec<Value> = vs.iter().filter_map(|b| b.discovery.clone()).collect();
                if !versions.is_empty() {
                    items.push(json!({"metadata": {"name": g}, "versions": versions}));
                }
            }
        }
        doc
    }

    /// The `/openapi/v3` index with the aggregated group-versions' documents (fetched through the proxy).
    pub fn merge_openapi_index(&self, mut doc: Value) -> Value {
        if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
            for b in self.available() {
                if let Some(entry) = &b.openapi {
                    paths.insert(format!("apis/{}/{}", b.group, b.version), entry.clone());
                }
            }
        }
        doc
    }

    /// `/openapi/v2`: this server's document merged with the v3 documents of the available aggregated
    /// group-versions (as kube-aggregator merges the specs of the servers behind it). Built again only when one of
    /// those documents changed.
    pub fn openapi_v2(&self, local: &OpenApi) -> Bytes {
        let docs: Vec<(String, Arc<Value>)> = self
            .available()
            .into_iter()
            .filter_map(|b| {
                let url = b.openapi.as_ref()?.get("serverRelativeURL")?.as_str()?.to_string();
                Some((url, b.openapi_doc.clone()?))
            })
            .collect();
        let key: Vec<String> = docs.iter().map(|(url, _)| url.clone()).collect();
        if let Some((k, bytes)) = self.openapi_v2.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if *k == key {
                return bytes.clone();
            }
        }
        let others: Vec<Arc<Value>> = docs.into_iter().map(|(_, d)| d).collect();
        let bytes = Bytes::from(serde_json::to_vec(&local.v2_with(&others)).unwrap_or_default());
        *self.openapi_v2.write().unwrap_or_else(|e| e.into_inner()) = Some((key, bytes.clone()));
        bytes
    }

    /// Deletes what the available aggregated servers keep in namespace `ns` (a deletecollection per namespaced
    /// resource that supports it, as the namespace's finalizer); returns how many objects were still there.
    pub async fn clean_namespace(&self, ns: &str) -> anyhow::Result<usize> {
        let mut remaining = 0;
        for b in self.available() {
            let (Some(target), Some(discovery)) = (&b.target, &b.discovery) else { continue };
            let resources = discovery.get("resources").and_then(Value::as_array).cloned().unwrap_or_default();
            for r in resources.iter().filter(|r| r.get("scope").and_then(Value::as_str) == Some("Namespaced")) {
                let verbs = r.get("verbs").and_then(Value::as_array).cloned().unwrap_or_default();
                let Some(plural) = r.get("resource").and_then(Value::as_str) else { continue };
                if !verbs.contains(&json!("deletecollection")) {
                    continue;
                }
                let path = format!("/apis/{}/{}/namespaces/{ns}/{plural}", b.group, b.version);
                let list = send(target, http::Method::GET, &path).await?;
                let n = list.get("items").and_then(Value::as_array).map_or(0, Vec::len);
                if n > 0 {
                    remaining += n;
                    send(target, http::Method::DELETE, &path).await?;
                }
            }
        }
        Ok(remaining)
    }

    /// Checks every APIService every [`CHECK_INTERVAL`], for ever.
    pub async fn run(self: Arc<Self>, srv: Arc<ApiServer>) {
        loop {
            self.check_all(&srv).await;
            tokio::time::sleep(CHECK_INTERVAL).await;
        }
    }

    async fn check_all(&self, srv: &Arc<ApiServer>) {
        let apiservices = Lookup::list(srv.as_ref(), "apiregistration.k8s.io", "apiservices", "");
        let mut next = BTreeMap::new();
        for svc in apiservices {
            let Some(name) = svc.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            let previous = self.backends.read().unwrap_or_else(|e| e.into_inner()).get(&name).cloned();
            let backend = self.check(srv, &svc, previous.as_deref()).await;
            if let Err(e) = write_condition(srv, &name, &svc, &backend).await {
                tracing::warn!(apiservice = %name, error = %e, "updating the APIService status failed");
            }
            next.insert(name, Arc::new(backend));
        }
        *self.backends.write().unwrap_or_else(|e| e.into_inner()) = next;
    }

    /// One APIService: resolve its Service to an endpoint, ask the server for the group-version's discovery. A
    /// group-version this server serves itself stays local whatever the APIService names.
    async fn check(&self, srv: &ApiServer, apiservice: &Value, previous: Option<&Backend>) -> Backend {
        let s = |p: &str| apiservice.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        let int = |p: &str| apiservice.pointer(p).and_then(Value::as_i64).unwrap_or(0);
        let mut b = Backend {
            group: s("/spec/group"),
            version: s("/spec/version"),
            group_priority: int("/spec/groupPriorityMinimum"),
            version_priority: int("/spec/versionPriority"),
            local: apiservice.pointer("/spec/service").is_none_or(Value::is_null),
            available: false,
            reason: String::new(),
            message: String::new(),
            target: None,
            discovery: None,
            openapi: None,
            openapi_doc: None,
            fetched: None,
        };
        let served_here = srv.registry.groups().iter().any(|(g, vs)| *g == b.group && vs.contains(&b.version.as_str()));
        if b.local || served_here {
            b.local = true;
            b.available = true;
            b.reason = "Local".into();
            b.message = if served_here && apiservice.pointer("/spec/service").is_some_and(|v| !v.is_null()) {
                "served by this server, not proxied".into()
            } else {
                "Local APIServices are always available".into()
            };
            return b;
        }
        let target = match self.resolve(srv, apiservice, previous.and_then(|p| p.target.as_ref())) {
            Ok(t) => t,
            Err((reason, message)) => {
                b.reason = reason.into();
                b.message = message;
                return b;
            }
        };
        let url = format!("/apis/{}/{}", b.group, b.version);
        match get(&target, &url, "application/json").await {
            Ok(_) => {
                b.available = true;
                b.reason = "Passed".into();
                b.message = "all checks passed".into();
                let fresh = previous.filter(|p| {
                    p.available
                        && p.target.as_ref().is_some_and(|t| t.authority == target.authority)
                        && p.fetched.is_some_and(|at| at.elapsed() < DISCOVERY_REFRESH)
                });
                match fresh {
                    Some(p) => {
                        (b.discovery, b.openapi, b.openapi_doc, b.fetched) =
                            (p.discovery.clone(), p.openapi.clone(), p.openapi_doc.clone(), p.fetched)
                    }
                    None => {
                        b.discovery = self.discovery_entry(&target, &b.group, &b.version).await;
                        b.openapi = get(&target, "/openapi/v3", "application/json")
                            .await
                            .ok()
                            .and_then(|v| v.pointer(&format!("/paths/apis~1{}~1{}", b.group, b.version)).cloned());
                        b.openapi_doc = openapi_document(&target, b.openapi.as_ref(), previous).await;
                        b.fetched = Some(std::time::Instant::now());
                    }
                }
            }
            Err(e) => {
                b.reason = "FailedDiscoveryCheck".into();
                b.message = format!("failing or missing response from https://{}{url}: {e}", target.authority);
                b.discovery = previous.and_then(|p| p.discovery.clone()).map(|mut d| {
                    d["freshness"] = json!("Stale");
                    d
                });
            }
        }
        b.target = Some(target);
        b
    }

    async fn discovery_entry(&self, target: &Target, group: &str, version: &str) -> Option<Value> {
        let accept = crate::discovery::aggregated_content_type("v2");
        let doc = get(target, "/apis", &accept).await.ok()?;
        let item = doc.get("items")?.as_array()?.iter().find(|i| i.pointer("/metadata/name") == Some(&json!(group)))?;
        item.get("versions")?.as_array()?.iter().find(|v| v.get("version") == Some(&json!(version))).cloned()
    }

    /// The endpoint and client for an APIService's Service (the client reused while nothing changed), or why not.
    fn resolve(
        &self,
        srv: &ApiServer,
        apiservice: &Value,
        previous: Option<&Target>,
    ) -> Result<Target, (&'static str, String)> {
        let s = |p: &str| apiservice.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        let (ns, name) = (s("/spec/service/namespace"), s("/spec/service/name"));
        let port = apiservice.pointer("/spec/service/port").and_then(Value::as_i64).unwrap_or(443);
        let service = Lookup::get(srv, "", "services", &ns, &name)
            .ok_or(("ServiceNotFound", format!("service/{name} in {ns:?} is not present")))?;
        let svc_port = service
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .and_then(|ps| ps.iter().find(|p| p.get("port").and_then(Value::as_i64) == Some(port)))
            .ok_or(("ServicePortError", format!("service/{name} in {ns:?} is not listening on port {port}")))?;
        let port_name = svc_port.get("name").and_then(Value::as_str).unwrap_or_default();
        let endpoints = Lookup::get(srv, "", "endpoints", &ns, &name);
        let authority = endpoints
            .as_deref()
            .and_then(|e| e.get("subsets")?.as_array()?.iter().find_map(|subset| endpoint(subset, port_name)))
            .ok_or((
                "MissingEndpoints",
                format!("endpoints for service/{name} in {ns:?} have no addresses with port name {port_name:?}"),
            ))?;
        let server_name = format!("{name}.{ns}.svc");
        let ca_bundle = s("/spec/caBundle");
        if let Some(p) =
            previous.filter(|p| p.authority == authority && p.server_name == server_name && p.ca_bundle == ca_bundle)
        {
            return Ok(p.clone());
        }
        let client = self
            .client(&ca_bundle, &server_name)
            .map_err(|e| ("FailedDiscoveryCheck", format!("cannot talk to service/{name} in {ns:?}: {e:#}")))?;
        Ok(Target { authority, server_name, ca_bundle, client })
    }

    /// An HTTPS client trusting only the APIService's CA bundle, presenting the front-proxy client certificate.
    fn client(&self, ca_bundle_b64: &str, server_name: &str) -> anyhow::Result<HttpClient> {
        let pem = base64::engine::general_purpose::STANDARD.decode(ca_bundle_b64.trim())?;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(c?)?;
        }
        anyhow::ensure!(!roots.is_empty(), "spec.caBundle holds no certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(self.client_cert.clone(), self.client_key.clone_key())?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(
                rustls::pki_types::ServerName::try_from(server_name.to_string())?,
            ))
            .enable_all_versions()
            .build();
        Ok(hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector))
    }
}

/// `ip:port` of the first ready address of an Endpoints subset with the named port (or its only port).
fn endpoint(subset: &Value, port_name: &str) -> Option<String> {
    let ports = subset.get("ports")?.as_array()?;
    let port = ports
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str).unwrap_or_default() == port_name)
        .or_else(|| (ports.len() == 1).then(|| &ports[0]))?
        .get("port")?
        .as_i64()?;
    let ip = subset.get("addresses")?.as_array()?.first()?.get("ip")?.as_str()?;
    Some(if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") })
}

/// The v3 document an index entry points at: the one fetched before while the entry (its URL carries the document's
/// hash) is unchanged, else fetched now.
async fn openapi_document(target: &Target, entry: Option<&Value>, previous: Option<&Backend>) -> Option<Arc<Value>> {
    let url = entry?.get("serverRelativeURL")?.as_str()?;
    if let Some(doc) = previous.filter(|p| p.openapi.as_ref() == entry).and_then(|p| p.openapi_doc.clone()) {
        return Some(doc);
    }
    match get(target, url, "application/json").await {
        Ok(doc) => Some(Arc::new(doc)),
        Err(e) => {
            tracing::warn!(url, error = %e, "fetching an aggregated OpenAPI document failed");
            None
        }
    }
}

fn group_doc(group: &str, versions: &[Arc<Backend>]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|b| json!({"groupVersion": format!("{group}/{}", b.version), "version": b.version}))
        .collect();
    json!({"name": group, "versions": vs, "preferredVersion": vs.first().cloned().unwrap_or(Value::Null)})
}

/// A GET to the backend as the aggregator itself; the JSON body of a 2xx answer.
async fn get(target: &Target, path: &str, accept: &str) -> anyhow::Result<Value> {
    request(target, http::Method::GET, path, accept, crate::authz::SYSTEM_AUTHENTICATED).await
}

/// A request as the garden's own namespace finalizer (system:masters).
async fn send(target: &Target, method: http::Method, path: &str) -> anyhow::Result<Value> {
    request(target, method, path, "application/json", crate::authz::SYSTEM_MASTERS).await
}

async fn request(
    target: &Target,
    method: http::Method,
    path: &str,
    accept: &str,
    group: &str,
) -> anyhow::Result<Value> {
    let req = http::Request::builder()
        .method(method)
        .uri(format!("https://{}{path}", target.authority))
        .header(http::header::ACCEPT, accept)
        .header("X-Remote-User", AGGREGATOR_USER)
        .header("X-Remote-Group", group)
        .body(Full::new(Bytes::new()))?;
    let resp = tokio::time::timeout(CHECK_TIMEOUT, target.client.request(req))
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {CHECK_TIMEOUT:?}"))??;
    let status = resp.status();
    let body = tokio::time::timeout(CHECK_TIMEOUT, resp.into_body().collect())
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {CHECK_TIMEOUT:?}"))??
        .to_bytes();
    anyhow::ensure!(status.is_success(), "bad status {status}");
    Ok(serde_json::from_slice(&body)?)
}

/// Sets the APIService's `Available` condition when it changed (status, reason or message).
async fn write_condition(srv: &ApiServer, name: &str, current: &Value, b: &Backend) -> anyhow::Result<()> {
    let status = if b.available { "True" } else { "False" };
    let existing = current
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c.get("type").and_then(Value::as_str) == Some("Available")));
    let same = |k: &str, v: &str| existing.and_then(|c| c.get(k)).and_then(Value::as_str) == Some(v);
    if same("status", status) && same("reason", &b.reason) && same("message", &b.message) {
        return Ok(());
    }
    let rt = srv
        .registry
        .lookup("apiregistration.k8s.io", "v1", "apiservices")
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("apiservices not served"))?;
    let since = match existing.and_then(|c| c.get("status")).and_then(Value::as_str) {
        Some(s) if s == status => existing.and_then(|c| c.get("lastTransitionTime")).cloned(),
        _ => None,
    }
    .unwrap_or_else(|| json!(crate::apiserver::now_rfc3339()));
    let condition = json!({"type": "Available", "status": status, "reason": b.reason, "message": b.message,
        "lastTransitionTime": since});
    let system = UserInfo { name: AGGREGATOR_USER.into(), uid: String::new(), groups: vec!["system:masters".into()] };
    srv.update(&WriteCtx::internal(&system), &rt, "", name, "status", move |cur| {
        let mut next = cur.clone();
        next["status"] = json!({"conditions": [condition.clone()]});
        Ok(next)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_matched_by_the_service_port_name() {
        let subset = json!({"addresses": [{"ip": "10.0.0.7"}], "ports": [{"name": "metrics", "port": 9090}, {"name": "https", "port": 8443}]});
        assert_eq!(endpoint(&subset, "https").as_deref(), Some("10.0.0.7:8443"));
        assert_eq!(endpoint(&subset, "grpc"), None, "no such port, and more than one");
        let single = json!({"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 443}]});
        assert_eq!(endpoint(&single, "https").as_deref(), Some("[fd00::1]:443"), "the only port, whatever its name");
        assert_eq!(endpoint(&json!({"ports": [{"port": 443}]}), ""), None, "no ready address");
    }

    fn backend(group: &str, version: &str, gp: i64, vp: i64, local: bool, available: bool) -> Arc<Backend> {
        Arc::new(Backend {
            group: group.into(),
            version: version.into(),
            group_priority: gp,
            version_priority: vp,
            local,
            available,
            reason: String::new(),
            message: String::new(),
            target: None,
            discovery: Some(json!({"version": version, "resources": []})),
            openapi: Some(json!({"serverRelativeURL": format!("/openapi/v3/apis/{group}/{version}?hash=X")})),
            openapi_doc: Some(Arc::new(json!({
                "openapi": "3.0.0",
                "paths": {format!("/apis/{group}/{version}/widgets"): {"get": {"responses": {"200": {"description": "OK",
                    "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/Widget{version}")}}}}}}}},
                "components": {"schemas": {format!("Widget{version}"): {"type": "object", "nullable": true}}},
            }))),
            fetched: None,
        })
    }

    fn aggregator(backends: Vec<Arc<Backend>>) -> Aggregator {
        let key = rcgen::KeyPair::generate().unwrap();
        let agg = Aggregator::new(Vec::new(), rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap());
        *agg.backends.write().unwrap() =
            backends.into_iter().map(|b| (format!("{}.{}", b.version, b.group), b)).collect();
        agg
    }

    #[test]
    fn routes_discovery_and_openapi_follow_the_apiservices() {
        let agg = aggregator(vec![
            backend("core.gardener.cloud", "v1beta1", 10000, 20, false, true),
            backend("core.gardener.cloud", "v1alpha1", 10000, 10, false, false),
            backend("apps", "v1", 17800, 15, true, true),
        ]);
        assert!(agg.route("/apis/core.gardener.cloud/v1beta1/namespaces/a/shoots").is_some());
        assert!(agg.route("/openapi/v3/apis/core.gardener.cloud/v1beta1").is_some());
        assert!(agg.route("/apis/apps/v1/deployments").is_none(), "local APIServices are served here");
        assert!(agg.route("/apis/core.gardener.cloud").is_none(), "group discovery is answered here");

        let list = agg.merge_group_list(json!({"groups": []}));
        let group = &list["groups"][0];
        assert_eq!(group["name"], "core.gardener.cloud");
        assert_eq!(group["preferredVersion"]["version"], "v1beta1", "highest version priority first");
        assert_eq!(group["versions"].as_array().unwrap().len(), 2, "an unavailable version is listed too");
        let merged = agg.merge_aggregated(json!({"items": []}));
        assert_eq!(merged["items"][0]["versions"].as_array().unwrap().len(), 2);
        let index = agg.merge_openapi_index(json!({"paths": {}}));
        let paths = index["paths"].as_object().unwrap();
        assert!(paths.contains_key("apis/core.gardener.cloud/v1beta1"));
        assert!(!paths.contains_key("apis/core.gardener.cloud/v1alpha1"), "only what answers");

        let local = OpenApi::build(&crate::registry::Registry::new(Vec::new()));
        let v2 = agg.openapi_v2(&local);
        let doc: Value = serde_json::from_slice(&v2).unwrap();
        assert_eq!(doc["swagger"], "2.0");
        let get = &doc["paths"]["/apis/core.gardener.cloud/v1beta1/widgets"]["get"];
        assert_eq!(get["responses"]["200"]["schema"]["$ref"], "#/definitions/Widgetv1beta1", "converted to v2");
        assert_eq!(doc["definitions"]["Widgetv1beta1"], json!({"type": "object"}));
        assert!(doc["paths"].get("/apis/core.gardener.cloud/v1alpha1/widgets").is_none(), "only what answers");
        assert!(doc["paths"].get("/apis/apps/v1/widgets").is_none(), "local APIServices are this server's own");
        assert_eq!(agg.openapi_v2(&local).as_ptr(), v2.as_ptr(), "unchanged documents: the merge is kept");
    }
}
