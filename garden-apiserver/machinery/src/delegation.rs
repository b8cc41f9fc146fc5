//! The two sides of API aggregation outside the request path. An aggregated server (`Topology::Aggregated`)
//! connects to the garden kube-apiserver: it reads `kube-system/extension-apiserver-authentication` at start and
//! again whenever it changes, and delegates tokens (TokenReview) and decisions (SubjectAccessReview). A garden
//! kube-apiserver (`Topology::Aggregator`) holds the front proxy's CA and client certificate and publishes that
//! ConfigMap.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::{watcher, WatchStreamExt};
use serde_json::{json, Value};

use crate::apiserver::Delegated;
use crate::authn::webhook::TokenReviewer;
use crate::authn::x509::{configmap, CertAuthority, Published};
use crate::authn::Authenticator;
use crate::authz::webhook::SubjectAccessReviewer;
use crate::certs::{Ca, CertDir};
use crate::config::ServeOptions;

/// How long an aggregated server waits for the garden kube-apiserver at start.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

async fn client(path: Option<&PathBuf>, fallback: Option<&PathBuf>) -> anyhow::Result<kube::Client> {
    match path.or(fallback) {
        Some(p) => component_base::kube_client(&p.to_string_lossy())
            .await
            .map_err(|e| anyhow::anyhow!("failed to load the kubeconfig {}: {e}", p.display())),
        None => {
            let config = kube::Config::infer().await.context("no --kubeconfig and no in-cluster configuration")?;
            Ok(component_base::client_from_config(config)?)
        }
    }
}

/// Connects an aggregated server to the garden kube-apiserver: reads the authentication ConfigMap (waiting up to a
/// minute for it), sets up TokenReview on `authn`, starts reading the core objects. The returned API is for
/// [`watch_published`].
pub async fn start(
    opts: &ServeOptions,
    authn: &mut Authenticator,
) -> anyhow::Result<(Delegated, kube::Api<ConfigMap>)> {
    let d = &opts.delegation;
    let core = client(d.kubeconfig.as_ref(), None).await?;
    let authn_client = client(d.authentication_kubeconfig.as_ref(), d.kubeconfig.as_ref()).await?;
    let authz_client = client(d.authorization_kubeconfig.as_ref(), d.kubeconfig.as_ref()).await?;

    let cms: kube::Api<ConfigMap> = kube::Api::namespaced(authn_client.clone(), configmap::NAMESPACE);
    let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
    let first = loop {
        match cms.get(configmap::NAME).await {
            Ok(cm) => break cm,
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::info!(error = %e, "waiting for {}/{}", configmap::NAMESPACE, configmap::NAME);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}/{}", configmap::NAMESPACE, configmap::NAME))
            }
        }
    };
    apply(authn, &first, opts)?;

    let secs = Duration::from_secs;
    authn.token_review = Some(TokenReviewer::new(authn_client, secs(d.authentication_token_webhook_cache_ttl)));
    let delegated = Delegated {
        authorizer: SubjectAccessReviewer::new(
            authz_client,
            secs(d.authorization_webhook_cache_authorized_ttl),
            secs(d.authorization_webhook_cache_unauthorized_ttl),
        ),
        core: crate::remote::RemoteCore::start(core, STARTUP_TIMEOUT).await?,
    };
    Ok((delegated, cms))
}

/// Applies the ConfigMap again whenever it changes (a rotated front-proxy or client CA); a change that does not
/// parse keeps the settings in force and is logged.
pub async fn watch_published(
    srv: std::sync::Arc<crate::apiserver::ApiServer>,
    cms: kube::Api<ConfigMap>,
    opts: ServeOptions,
) {
    let config = watcher::Config::default().fields(&format!("metadata.name={}", configmap::NAME));
    let stream = watcher(cms, config).default_backoff().applied_objects();
    futures::pin_mut!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(cm) => match apply(&srv.authn, &cm, &opts) {
                Ok(()) => tracing::info!("{}/{} applied", configmap::NAMESPACE, configmap::NAME),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "{} unusable; keeping the settings in force", configmap::NAME)
                }
            },
            Err(e) => tracing::warn!(error = %e, "watching {} failed; retrying", configmap::NAME),
        }
    }
}

fn apply(authn: &Authenticator, cm: &ConfigMap, opts: &ServeOptions) -> anyhow::Result<()> {
    let data: BTreeMap<String, String> = cm.data.clone().unwrap_or_default();
    let published = Published::parse(&data, &opts.delegation)
        .with_context(|| format!("{}/{}", configmap::NAMESPACE, configmap::NAME))?;
    // --client-ca-file, when given, wins over the ConfigMap's client CA.
    if opts.client_ca_file.is_none() {
        if published.client_ca.is_none() {
            tracing::warn!(
                "{} has no client-ca-file: client certificates only work through the front proxy",
                configmap::NAME
            );
        }
        authn.x509.set_client_ca(published.client_ca);
    }
    if published.request_header.is_none() {
        tracing::warn!(
            "{} has no requestheader-client-ca-file: requests through the aggregator are refused",
            configmap::NAME
        );
    }
    authn.x509.set_request_header(published.request_header);
    Ok(())
}

/// The front proxy of a garden kube-apiserver: its CA (published for aggregated servers to trust) and the client
/// certificate it presents to them. From the flags, or generated into --cert-dir (CN front-proxy-client).
#[derive(Clone)]
pub struct FrontProxy {
    ca_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
    client_ca_pem: String,
}

/// The CN of the generated front-proxy client certificate, and the allowed name published by default.
pub const FRONT_PROXY_CLIENT: &str = "front-proxy-client";

impl FrontProxy {
    pub fn load_or_create(opts: &ServeOptions) -> anyhow::Result<Self> {
        let read = |p: &PathBuf| std::fs::read_to_string(p).with_context(|| format!("failed to read {}", p.display()));
        let client_ca_pem =
            read(&opts.client_ca_file.clone().unwrap_or_else(|| CertDir(opts.cert_dir.clone()).ca_cert()))?;
        let a = &opts.aggregator;
        let given =
            (&opts.delegation.requestheader_client_ca_file, &a.proxy_client_cert_file, &a.proxy_client_key_file);
        if let (Some(ca), Some(cert), Some(key)) = given {
            return Ok(Self {
                ca_pem: read(ca)?,
                client_cert_pem: read(cert)?,
                client_key_pem: read(key)?,
                client_ca_pem,
            });
        }
        anyhow::ensure!(
            given.0.is_none() && given.1.is_none() && given.2.is_none(),
            "--requestheader-client-ca-file, --proxy-client-cert-file and --proxy-client-key-file go together"
        );
        let dir = CertDir(opts.cert_dir.join("front-proxy"));
        let ca: Ca = dir.load_or_create_ca()?;
        let (cert_path, key_path) = (dir.0.join("client.crt"), dir.0.join("client.key"));
        if !(cert_path.exists() && key_path.exists()) {
            let (cert, key) = ca.client_cert(FRONT_PROXY_CLIENT, &[], time::Duration::days(3650))?;
            crate::certs::write_private_bytes(&key_path, key.as_bytes())?;
            std::fs::write(&cert_path, cert)?;
        }
        Ok(Self {
            ca_pem: ca.cert_pem.clone(),
            client_cert_pem: read(&cert_path)?,
            client_key_pem: read(&key_path)?,
            client_ca_pem,
        })
    }

    pub fn client_cert(&self) -> anyhow::Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
        Ok(rustls_pemfile::certs(&mut self.client_cert_pem.as_bytes()).collect::<Result<_, _>>()?)
    }

    pub fn client_key(&self) -> anyhow::Result<rustls::pki_types::PrivateKeyDer<'static>> {
        rustls_pemfile::private_key(&mut self.client_key_pem.as_bytes())?.context("no private key for the front proxy")
    }

    /// kube-system/extension-apiserver-authentication as kube-apiserver writes it.
    pub fn published_configmap(&self, opts: &ServeOptions) -> anyhow::Result<Value> {
        CertAuthority::from_pem(self.ca_pem.as_bytes()).context("the front-proxy CA")?;
        let d = &opts.delegation;
        let or = |flag: &[String], default: &str| -> String {
            let v: Vec<String> = if flag.is_empty() { vec![default.to_string()] } else { flag.to_vec() };
            serde_json::to_string(&v).unwrap_or_default()
        };
        Ok(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": configmap::NAME, "namespace": configmap::NAMESPACE},
            "data": {
                configmap::CLIENT_CA: self.client_ca_pem,
                configmap::REQUESTHEADER_CA: self.ca_pem,
                configmap::ALLOWED_NAMES: or(&d.requestheader_allowed_names, FRONT_PROXY_CLIENT),
                configmap::USERNAME_HEADERS: or(&d.requestheader_username_headers, "X-Remote-User"),
                configmap::GROUP_HEADERS: or(&d.requestheader_group_headers, "X-Remote-Group"),
                configmap::EXTRA_HEADERS_PREFIX: or(&d.requestheader_extra_headers_prefix, "X-Remote-Extra-"),
            },
        }))
    }
}
