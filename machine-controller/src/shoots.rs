//! Connections to the shoots of the seed: one per seed namespace that has machines, built from the kubeconfig
//! Secret the gardenlet writes there (`shoot-access-machine-controller`, key `kubeconfig`). Each holds watch
//! caches of the shoot's Nodes and node Leases (node events wake the machine controller) and knows whether the
//! shoot API answers: while it does not, the controller freezes health transitions for that shoot instead of
//! replacing machines it cannot see.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Secret};
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Config, ResourceExt};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// The Secret in a seed namespace holding the machine controller's kubeconfig for that shoot.
pub const ACCESS_SECRET: &str = "shoot-access-machine-controller";
/// Key of the kubeconfig in [`ACCESS_SECRET`].
pub const KUBECONFIG_KEY: &str = "kubeconfig";
/// Namespace of node Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// How often a cached connection re-reads its Secret (a woken-up shoot may have a new address).
const SECRET_RECHECK: Duration = Duration::from_secs(5);

/// A node of a shoot changed: (seed namespace, node name).
pub type NodeEvent = (String, String);

#[derive(Default)]
struct Reach {
    synced: bool,
    last_ok: Option<Instant>,
    last_err: Option<(Instant, String)>,
}

/// One shoot's API, seen from the machine controller.
pub struct ShootConnection {
    pub namespace: String,
    pub client: Client,
    nodes: Store<Node>,
    leases: Store<Lease>,
    reach: Arc<Mutex<Reach>>,
    secret_version: String,
    checked: Mutex<Instant>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Drop for ShootConnection {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl ShootConnection {
    /// The node named `name`, from the watch cache.
    pub fn node(&self, name: &str) -> Option<Arc<Node>> {
        self.nodes.get(&reflector::ObjectRef::new(name))
    }
    /// The node's Lease, from the watch cache.
    pub fn lease(&self, name: &str) -> Option<Arc<Lease>> {
        self.leases.get(&reflector::ObjectRef::new(name).within(NODE_LEASE_NAMESPACE))
    }
    /// Every node in the watch cache.
    pub fn nodes(&self) -> Vec<Arc<Node>> {
        self.nodes.state()
    }
    /// Whether the watches are synced and did not fail since their last success.
    pub fn watching(&self) -> bool {
        let r = self.reach.lock().unwrap_or_else(|e| e.into_inner());
        r.synced && r.last_err.as_ref().is_none_or(|(at, _)| r.last_ok.is_some_and(|ok| ok > *at))
    }
    /// Why the shoot is not watched (for status and logs).
    pub fn unreachable_reason(&self) -> String {
        let r = self.reach.lock().unwrap_or_else(|e| e.into_inner());
        match (&r.last_err, r.synced) {
            (Some((_, e)), _) => e.clone(),
            (None, false) => "the shoot's nodes are not listed yet".into(),
            (None, true) => String::new(),
        }
    }
    /// A live check before a destructive decision: the watches are healthy and the API answers now.
    pub async fn reachable(&self) -> bool {
        if !self.watching() {
            return false;
        }
        let api: Api<Node> = Api::all(self.client.clone());
        let params = kube::api::ListParams::default().limit(1);
        matches!(tokio::time::timeout(Duration::from_secs(5), api.list_metadata(&params)).await, Ok(Ok(_)))
    }
}

/// The connections of all shoots, built lazily.
pub struct ShootConnections {
    seed: Client,
    conns: Mutex<HashMap<String, Arc<ShootConnection>>>,
    events: mpsc::UnboundedSender<NodeEvent>,
}

impl ShootConnections {
    pub fn new(seed: Client, events: mpsc::UnboundedSender<NodeEvent>) -> Self {
        ShootConnections { seed, conns: Mutex::new(HashMap::new()), events }
    }

    /// Namespaces with an open connection.
    pub fn namespaces(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ShootConnection>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops the connection of `namespace` (its shoot went away).
    pub fn forget(&self, namespace: &str) {
        self.lock().remove(namespace);
    }

    /// The connection to the shoot of `namespace`; None while its access Secret does not exist.
    pub async fn get(&self, namespace: &str) -> Result<Option<Arc<ShootConnection>>, kube::Error> {
        let cached = self.lock().get(namespace).cloned();
        if let Some(c) = &cached {
            let mut checked = c.checked.lock().unwrap_or_else(|e| e.into_inner());
            let fresh = checked.elapsed() < SECRET_RECHECK;
            if !fresh {
                *checked = Instant::now();
            }
            drop(checked);
            if fresh {
                return Ok(cached);
            }
        }
        let secrets: Api<Secret> = Api::namespaced(self.seed.clone(), namespace);
        let Some(secret) = secrets.get_opt(ACCESS_SECRET).await? else {
            self.forget(namespace);
            return Ok(None);
        };
        let version = secret.resource_version().unwrap_or_default();
        if let Some(c) = cached.filter(|c| c.secret_version == version) {
            return Ok(Some(c));
        }
        let kubeconfig = secret
            .data
            .as_ref()
            .and_then(|d| d.get(KUBECONFIG_KEY))
            .and_then(|v| String::from_utf8(v.0.clone()).ok())
            .unwrap_or_default();
        let conn = match self.connect(namespace, &kubeconfig, version).await {
            Ok(c) => Arc::new(c),
            Err(e) => {
                warn!(namespace, error = %e, "cannot build a client for the shoot");
                self.forget(namespace);
                return Ok(None);
            }
        };
        info!(namespace, "connected to shoot API");
        self.lock().insert(namespace.to_string(), conn.clone());
        Ok(Some(conn))
    }

    async fn connect(&self, namespace: &str, kubeconfig: &str, version: String) -> anyhow::Result<ShootConnection> {
        let kc = Kubeconfig::from_yaml(kubeconfig)?;
        let mut config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
        config.connect_timeout = Some(Duration::from_secs(5));
        let client = component_base::client_from_config(config)?;
        let reach = Arc::new(Mutex::new(Reach::default()));
        let (nodes, node_writer) = reflector::store();
        let (leases, lease_writer) = reflector::store();
        let mut tasks = Vec::new();
        {
            let (reach, events, ns) = (reach.clone(), self.events.clone(), namespace.to_string());
            let stream =
                reflector::reflector(node_writer, watcher(Api::<Node>::all(client.clone()), Default::default()))
                    .default_backoff();
            tasks.push(
                tokio::spawn(follow(stream, reach, move |ev| {
                    if let watcher::Event::Apply(n) | watcher::Event::Delete(n) = ev {
                        let _ = events.send((ns.clone(), n.name_any()));
                    }
                }))
                .abort_handle(),
            );
        }
        {
            let (reach, events, ns) = (reach.clone(), self.events.clone(), namespace.to_string());
            let api = Api::<Lease>::namespaced(client.clone(), NODE_LEASE_NAMESPACE);
            let stream = reflector::reflector(lease_writer, watcher(api, Default::default())).default_backoff();
            tasks.push(
                tokio::spawn(follow(stream, reach, move |ev| {
                    // A lease that stops moving is noticed by the periodic check; a new one wakes its machine.
                    if let watcher::Event::Delete(l) = ev {
                        let _ = events.send((ns.clone(), l.name_any()));
                    }
                }))
                .abort_handle(),
            );
        }
        Ok(ShootConnection {
            namespace: namespace.to_string(),
            client,
            nodes,
            leases,
            reach,
            secret_version: version,
            checked: Mutex::new(Instant::now()),
            tasks,
        })
    }
}

/// Drives one reflector stream, recording whether it works.
async fn follow<K, S>(stream: S, reach: Arc<Mutex<Reach>>, on_event: impl Fn(&watcher::Event<K>))
where
    S: futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>>,
{
    futures::pin_mut!(stream);
    while let Some(ev) = stream.next().await {
        let mut r = reach.lock().unwrap_or_else(|e| e.into_inner());
        match ev {
            Ok(ev) => {
                if matches!(ev, watcher::Event::InitDone) {
                    r.synced = true;
                }
                r.last_ok = Some(Instant::now());
                drop(r);
                on_event(&ev);
            }
            Err(e) => {
                debug!(error = %e, "shoot watch failed");
                r.last_err = Some((Instant::now(), format!("the shoot API cannot be watched: {e}")));
            }
        }
    }
}
