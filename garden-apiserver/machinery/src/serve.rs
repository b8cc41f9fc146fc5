//! Assembling and running a server: TLS, etcd, authentication, the profile's registry and admission chain, its
//! bootstrap objects, and the topology it runs in (standalone, aggregated behind a garden kube-apiserver, or the
//! aggregator in front of such servers).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role};

use crate::admission::Chain;
use crate::apiserver::ApiServer;
use crate::authn::{Authenticator, TokenFile};
use crate::config::ServeOptions;
use crate::registry::Registry;
use crate::{aggregator, authn, authz, certs, delegation, server, serviceaccount, storage};

/// What one server serves and how it fits into a cluster.
pub struct Profile {
    /// The name logged at start (`--api-profile`).
    pub name: &'static str,
    pub registry: Registry,
    pub admission: Chain,
    pub topology: Topology,
    /// Objects created at start when absent (and re-created when deleted). Ignored by an aggregated server, whose
    /// namespaces and RBAC live in the garden kube-apiserver.
    pub bootstrap: Bootstrap,
}

/// Where a server sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// On its own: its own CA, client certificates, tokens and RBAC.
    Standalone,
    /// Behind a garden kube-apiserver's aggregator: authentication and authorization delegated to it (request
    /// headers from the front proxy, TokenReview, SubjectAccessReview), namespaces and secrets read from it.
    Aggregated,
    /// A kube-apiserver with an aggregator: it publishes the front proxy's authentication ConfigMap and proxies the
    /// group-versions of APIServices to the servers they name.
    Aggregator,
}

/// The bootstrap objects of a profile.
#[derive(Clone, Default)]
pub struct Bootstrap {
    pub namespaces: Vec<&'static str>,
    /// Reconciled when present (kube's bootstrap policy reconciliation).
    pub cluster_roles: Vec<ClusterRole>,
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
    /// Roles in kube-system.
    pub kube_system_roles: Vec<Role>,
}

/// Run the server until SIGTERM/SIGINT.
pub async fn run(opts: ServeOptions, profile: Profile) -> anyhow::Result<()> {
    let Profile { name, registry, admission, topology, bootstrap } = profile;
    let aggregated = topology == Topology::Aggregated;
    let cert_dir = certs::CertDir(opts.cert_dir.clone());
    // A CA is generated when something must be signed: the serving certificate, or (except for an aggregated server,
    // whose client CA comes from the garden) the client certificates.
    let needs_ca = opts.tls_cert_file.is_none() || (!aggregated && opts.client_ca_file.is_none());
    let ca = if needs_ca { Some(cert_dir.load_or_create_ca()?) } else { None };
    let (cert, key) = match (&opts.tls_cert_file, &opts.tls_private_key_file) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        (None, None) => {
            let ca = ca.as_ref().context("a CA is needed to generate the serving certificate")?;
            cert_dir.ensure_serving(ca, &certs::default_hosts(&opts.bind_address))?
        }
        _ => anyhow::bail!("--tls-cert-file and --tls-private-key-file must be given together"),
    };
    let tls = server::tls_config(&cert, &key)?;

    let store = storage::etcd::EtcdStore::connect(&opts.etcd_servers)
        .await
        .with_context(|| format!("failed to connect to etcd at {:?}", opts.etcd_servers))?;
    let tokens = match &opts.token_auth_file {
        Some(p) => TokenFile::load(p)?,
        None => TokenFile::default(),
    };
    let service_accounts = match aggregated {
        true => None,
        false => Some(serviceaccount::TokenIssuer::load_or_create(&opts.cert_dir.join("sa.key"))?),
    };
    let authn = Authenticator { tokens, service_accounts, anonymous: opts.anonymous_auth, ..Default::default() };
    match (&opts.client_ca_file, aggregated) {
        (Some(path), _) => authn.x509.set_client_ca(Some(authn::x509::CertAuthority::from_file(path)?)),
        (None, false) => authn.x509.set_client_ca(Some(authn::x509::CertAuthority::from_file(&cert_dir.ca_cert())?)),
        (None, true) => {}
    }
    let mut srv = ApiServer::new(
        registry,
        store,
        opts.etcd_prefix.trim_end_matches('/').to_string(),
        authn,
        admission,
        opts.max_request_bytes,
    );
    let published = if aggregated {
        let (delegated, cms) = delegation::start(&opts, &mut srv.authn).await?;
        srv.delegated = Some(delegated);
        Some(cms)
    } else {
        None
    };
    let front_proxy = match topology {
        Topology::Aggregator => Some(delegation::FrontProxy::load_or_create(&opts)?),
        _ => None,
    };
    if let Some(fp) = &front_proxy {
        srv.aggregator = Some(Arc::new(aggregator::Aggregator::new(fp.client_cert()?, fp.client_key()?)));
    }
    let srv = Arc::new(srv);
    wait_synced(&srv).await?;
    if !aggregated {
        let bootstrap = Arc::new(bootstrap);
        ensure_bootstrapped(&srv, &bootstrap, front_proxy.as_ref(), &opts).await?;
        tokio::spawn(keep_bootstrapped(srv.clone(), bootstrap, front_proxy.clone(), opts.clone()));
    }
    if let Some(agg) = &srv.aggregator {
        tokio::spawn(agg.clone().run(srv.clone()));
    }
    if let Some(cms) = published {
        tokio::spawn(delegation::watch_published(srv.clone(), cms, opts.clone()));
    }

    let addr = format!("{}:{}", opts.bind_address, opts.secure_port);
    let listener = tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("failed to listen on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, profile = name, "serving");
    if let (Some(path), Some(ca)) = (&opts.admin_kubeconfig, &ca) {
        let host = if opts.bind_address == "0.0.0.0" { "127.0.0.1".to_string() } else { opts.bind_address.clone() };
        let server_url = format!("https://{host}:{}", local.port());
        let (c, k) = ca.client_cert("garden-admin", &["system:masters".to_string()], time::Duration::days(365))?;
        let kc = certs::kubeconfig("garden", &server_url, &ca.cert_pem, "garden-admin", &c, &k);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        component_base::files::write_private(path, kc)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    tokio::spawn(srv.clone().run_namespace_cleanup());
    if opts.etcd_compaction_interval > 0 {
        tokio::spawn(srv.clone().run_compactor(Duration::from_secs(opts.etcd_compaction_interval)));
    }
    server::serve(srv, listener, tls, shutdown_signal()).await
}

async fn wait_synced(srv: &ApiServer) -> anyhow::Result<()> {
    for _ in 0..300 {
        if srv.caches_synced() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("watch caches did not sync from etcd within 15 s")
}

/// How often the bootstrap objects are checked after the start (kube-apiserver reconciles its bootstrap policy
/// only at start; here a deletion at runtime is undone within this period).
const BOOTSTRAP_RECHECK: Duration = Duration::from_secs(5);

/// Re-creates bootstrap objects deleted while the server runs (an existing object costs one etcd read).
async fn keep_bootstrapped(
    srv: Arc<ApiServer>,
    bootstrap: Arc<Bootstrap>,
    front_proxy: Option<delegation::FrontProxy>,
    opts: ServeOptions,
) {
    let mut tick = tokio::time::interval(BOOTSTRAP_RECHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = ensure_bootstrapped(&srv, &bootstrap, front_proxy.as_ref(), &opts).await {
            tracing::warn!(error = %format!("{e:#}"), "re-checking the bootstrap objects failed");
        }
    }
}

/// Creates the bootstrap objects that are missing and reconciles the bootstrap ClusterRoles (plus, for an
/// aggregator, the published authentication ConfigMap); writes nothing when all is in place.
async fn ensure_bootstrapped(
    srv: &ApiServer,
    bootstrap: &Bootstrap,
    front_proxy: Option<&delegation::FrontProxy>,
    opts: &ServeOptions,
) -> anyhow::Result<()> {
    let find = |g: &str, p: &str| {
        srv.registry.all().iter().find(|rt| rt.group == g && rt.plural == p).cloned().context("type not registered")
    };
    let cr = find("rbac.authorization.k8s.io", "clusterroles")?;
    for role in &bootstrap.cluster_roles {
        let desired = role.clone();
        let reconcile = move |existing: &serde_json::Value| {
            let existing = serde_json::from_value(existing.clone()).ok()?;
            authz::policy::reconcile_cluster_role(&existing, &desired).and_then(|r| serde_json::to_value(r).ok())
        };
        srv.ensure_reconciled(&cr, "", serde_json::to_value(role)?, reconcile).await?;
    }
    let crb = find("rbac.authorization.k8s.io", "clusterrolebindings")?;
    for b in &bootstrap.cluster_role_bindings {
        srv.ensure(&crb, "", serde_json::to_value(b)?).await?;
    }
    let ns = find("", "namespaces")?;
    for name in &bootstrap.namespaces {
        srv.ensure(&ns, "", serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
            .await?;
    }
    let role = find("rbac.authorization.k8s.io", "roles")?;
    for r in &bootstrap.kube_system_roles {
        srv.ensure(&role, authn::x509::configmap::NAMESPACE, serde_json::to_value(r)?).await?;
    }
    if let Some(fp) = front_proxy {
        let cm = find("", "configmaps")?;
        let desired = fp.published_configmap(opts)?;
        let wanted = desired.clone();
        let reconcile = move |existing: &serde_json::Value| {
            (existing.get("data") != wanted.get("data")).then(|| {
                let mut next = existing.clone();
                next["data"] = wanted["data"].clone();
                next
            })
        };
        srv.ensure_reconciled(&cm, authn::x509::configmap::NAMESPACE, desired, reconcile).await?;
    }
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}
