//! Live shoot updates: one garden watch per namespace, shared by every session whose user may watch shoots there.
//! The watch runs with the token of one of those sessions (the backend has none of its own); when that session
//! leaves or its token stops working, the next subscriber's token takes over. Each subscriber first gets the
//! namespace's current shoots, then every change, as server-sent events.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::Client;
use serde_json::{json, Value};
use tokio::sync::broadcast;

/// One namespace's shared watch.
struct Shared {
    /// The current shoots by name, as JSON.
    state: Mutex<BTreeMap<String, Value>>,
    synced: Mutex<bool>,
    /// Change events (`{"type", "object"}` JSON), and `SYNCED` once the first listing is complete.
    events: broadcast::Sender<Arc<str>>,
    /// The subscribers' clients, by subscription id: the watch runs with the first that works.
    clients: Mutex<Vec<(u64, Client)>>,
    /// The subscription whose client the watch runs with now.
    runner: Mutex<Option<u64>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[derive(Default)]
pub struct Hub {
    namespaces: Mutex<HashMap<String, Arc<Shared>>>,
    next_id: Mutex<u64>,
}

/// A subscription; dropping it leaves the namespace's watch (which stops with its last subscriber).
pub struct Subscription {
    hub: Arc<Hub>,
    namespace: String,
    id: u64,
    /// The current shoots, then `SYNCED` if the watch had listed them already.
    pub initial: Vec<Arc<str>>,
    pub events: broadcast::Receiver<Arc<str>>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.leave(&self.namespace, self.id);
    }
}

fn shoots() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("core.gardener.cloud", "v1beta1", "Shoot"), "shoots")
}

fn line(kind: &str, object: &Value) -> Arc<str> {
    Arc::from(json!({"type": kind, "object": object}).to_string())
}

impl Hub {
    /// Joins the watch of `namespace` with `client` (whose user was checked to may watch shoots there).
    pub fn subscribe(self: &Arc<Self>, namespace: &str, client: Client) -> Subscription {
        let id = {
            let mut n = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            *n
        };
        let mut namespaces = self.namespaces.lock().unwrap_or_else(|e| e.into_inner());
        let shared = namespaces
            .entry(namespace.to_string())
            .or_insert_with(|| {
                Arc::new(Shared {
                    state: Mutex::new(BTreeMap::new()),
                    synced: Mutex::new(false),
                    events: broadcast::channel(4096).0,
                    clients: Mutex::new(Vec::new()),
                    runner: Mutex::new(None),
                    task: Mutex::new(None),
                })
            })
            .clone();
        drop(namespaces);
        shared.clients.lock().unwrap_or_else(|e| e.into_inner()).push((id, client));
        // Subscribe before reading the state: a change in between arrives twice, never not at all.
        let events = shared.events.subscribe();
        let mut initial: Vec<Arc<str>> = {
            let state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            state.values().map(|o| line("ADDED", o)).collect()
        };
        if *shared.synced.lock().unwrap_or_else(|e| e.into_inner()) {
            initial.push(Arc::from(r#"{"type":"SYNCED"}"#));
        }
        let mut task = shared.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.as_ref().is_none_or(|t| t.is_finished()) {
            *task = Some(tokio::spawn(run(shared.clone(), namespace.to_string())));
        }
        drop(task);
        Subscription { hub: self.clone(), namespace: namespace.to_string(), id, initial, events }
    }

    fn leave(&self, namespace: &str, id: u64) {
        let mut namespaces = self.namespaces.lock().unwrap_or_else(|e| e.into_inner());
        let Some(shared) = namespaces.get(namespace).cloned() else { return };
        let mut clients = shared.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.retain(|(i, _)| *i != id);
        let mut task = shared.task.lock().unwrap_or_else(|e| e.into_inner());
        if clients.is_empty() {
            if let Some(task) = task.take() {
                task.abort();
            }
            namespaces.remove(namespace);
        } else if *shared.runner.lock().unwrap_or_else(|e| e.into_inner()) == Some(id) {
            // The watch ran with the departed session's token: the next subscriber's takes over.
            if let Some(task) = task.take() {
                task.abort();
            }
            tracing::info!(namespace, "the shoot watch is handed to the next subscriber");
            *task = Some(tokio::spawn(run(shared.clone(), namespace.to_string())));
        }
    }

    /// Namespaces watched now (one garden watch each).
    pub fn watches(&self) -> usize {
        self.namespaces.lock().map(|n| n.len()).unwrap_or(0)
    }
}

/// Runs the namespace's watch with the first subscriber client that works.
async fn run(shared: Arc<Shared>, namespace: String) {
    loop {
        let Some((id, client)) = shared.clients.lock().unwrap_or_else(|e| e.into_inner()).first().cloned() else {
            return;
        };
        *shared.runner.lock().unwrap_or_else(|e| e.into_inner()) = Some(id);
        let api: Api<DynamicObject> = Api::namespaced_with(client, &namespace, &shoots());
        let mut stream = watcher::watcher(api, watcher::Config::default()).boxed();
        let mut listing: Option<BTreeMap<String, Value>> = None;
        while let Some(event) = stream.next().await {
            match event {
                Ok(Event::Init) => listing = Some(BTreeMap::new()),
                Ok(Event::InitApply(o)) => {
                    if let (Some(l), Some(name)) = (listing.as_mut(), o.metadata.name.clone()) {
                        l.insert(name, serde_json::to_value(&o).unwrap_or_default());
                    }
                }
                Ok(Event::InitDone) => {
                    let listed = listing.take().unwrap_or_default();
                    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                    for (name, old) in state.iter() {
                        if !listed.contains_key(name) {
                            let _ = shared.events.send(line("DELETED", old));
                        }
                    }
                    for (name, new) in &listed {
                        match state.get(name) {
                            None => drop(shared.events.send(line("ADDED", new))),
                            Some(old) if old != new => drop(shared.events.send(line("MODIFIED", new))),
                            Some(_) => {}
                        }
                    }
                    *state = listed;
                    let mut synced = shared.synced.lock().unwrap_or_else(|e| e.into_inner());
                    if !*synced {
                        *synced = true;
                        let _ = shared.events.send(Arc::from(r#"{"type":"SYNCED"}"#));
                    }
                }
                Ok(Event::Apply(o)) => {
                    let Some(name) = o.metadata.name.clone() else { continue };
                    let value = serde_json::to_value(&o).unwrap_or_default();
                    let previous = shared.state.lock().unwrap_or_else(|e| e.into_inner()).insert(name, value.clone());
                    let _ = shared.events.send(line(if previous.is_some() { "MODIFIED" } else { "ADDED" }, &value));
                }
                Ok(Event::Delete(o)) => {
                    let Some(name) = o.metadata.name.clone() else { continue };
                    shared.state.lock().unwrap_or_else(|e| e.into_inner()).remove(&name);
                    let _ = shared.events.send(line("DELETED", &serde_json::to_value(&o).unwrap_or_default()));
                }
                Err(e) => {
                    let refused = matches!(&e, watcher::Error::InitialListFailed(kube::Error::Api(s))
                        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
                        | watcher::Error::WatchFailed(kube::Error::Api(s)) if s.code == 401 || s.code == 403);
                    if refused {
                        // This subscriber's token no longer works: the next one carries the watch.
                        tracing::info!(namespace, "a subscriber's token was refused; the watch moves to another");
                        shared.clients.lock().unwrap_or_else(|e| e.into_inner()).retain(|(i, _)| *i != id);
                        break;
                    }
                    tracing::warn!(namespace, error = %e, "shoot watch interrupted; it resumes");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}
