//! Core objects an aggregated server reads from the garden kube-apiserver (admission needs namespaces, secrets,
//! configmaps and service accounts; the shoot kubeconfig subresources read the shoots' CA secrets): one reflector per
//! kind, answering [`crate::admission::Lookup`] like the watch caches do for the server's own kinds.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use serde_json::Value;

/// The kinds read, as (plural, kind).
const KINDS: &[(&str, &str)] = &[
    ("namespaces", "Namespace"),
    ("secrets", "Secret"),
    ("configmaps", "ConfigMap"),
    ("serviceaccounts", "ServiceAccount"),
];

pub struct RemoteCore {
    stores: HashMap<&'static str, Store<DynamicObject>>,
}

impl RemoteCore {
    /// Starts the reflectors and waits until each has listed once (or fails after `timeout`).
    pub async fn start(client: kube::Client, timeout: Duration) -> anyhow::Result<Self> {
        let mut stores = HashMap::new();
        for &(plural, kind) in KINDS {
            let ar = core_resource(plural, kind);
            let api: kube::Api<DynamicObject> = kube::Api::all_with(client.clone(), &ar);
            let writer = reflector::store::Writer::new(ar.clone());
            let reader = writer.as_reader();
            let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
                .default_backoff()
                .applied_objects();
            tokio::spawn(async move {
                futures::pin_mut!(stream);
                while let Some(item) = stream.next().await {
                    if let Err(e) = item {
                        tracing::warn!(kind = plural, error = %e, "watching the garden kube-apiserver failed; retrying");
                    }
                }
            });
            stores.insert(plural, reader);
        }
        for (plural, store) in &stores {
            tokio::time::timeout(timeout, store.wait_until_ready()).await.map_err(|_| {
                anyhow::anyhow!("could not list {plural} from the garden kube-apiserver within {timeout:?}")
            })??;
        }
        Ok(Self { stores })
    }

    /// Waits up to `timeout` for a namespace to show up (created a moment ago in the garden, not yet seen here:
    /// a client creating a namespace and then an object in it must not be refused for the watch's delay).
    pub async fn await_namespace(&self, name: &str, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.get("namespaces", "", name).is_none() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn serves(&self, group: &str, plural: &str) -> bool {
        group.is_empty() && self.stores.contains_key(plural)
    }

    pub fn get(&self, plural: &str, namespace: &str, name: &str) -> Option<Arc<Value>> {
        let store = self.stores.get(plural)?;
        let (_, kind) = KINDS.iter().find(|(p, _)| *p == plural)?;
        let mut key = ObjectRef::new_with(name, core_resource(plural, kind));
        if !namespace.is_empty() {
            key = key.within(namespace);
        }
        store.get(&key).and_then(|o| to_value(&o))
    }

    pub fn list(&self, plural: &str, namespace: &str) -> Vec<Arc<Value>> {
        let Some(store) = self.stores.get(plural) else { return Vec::new() };
        store
            .state()
            .iter()
            .filter(|o| namespace.is_empty() || o.metadata.namespace.as_deref() == Some(namespace))
            .filter_map(|o| to_value(o))
            .collect()
    }
}

/// A kind of the core group (`v1`).
fn core_resource(plural: &str, kind: &str) -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

fn to_value(o: &DynamicObject) -> Option<Arc<Value>> {
    serde_json::to_value(o).ok().map(Arc::new)
}
