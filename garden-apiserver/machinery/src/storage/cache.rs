//! The watch cache: one etcd watch per resource keeps every object in memory, serves `resourceVersion=0`
//! and consistent lists, and fans events out to any number of API watchers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use bytes::Bytes;
use etcd_client::EventType;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, watch};

use super::etcd::{prefix_end, EtcdStore};
use super::object::{CachedObject, Want};
use crate::error::ApiError;

/// How many past events each resource keeps for watch resumption.
const EVENT_WINDOW: usize = 10_000;
/// Fan-out channel depth; a watcher further behind than this is closed and must re-watch.
const FANOUT_DEPTH: usize = 8_192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Added,
    Modified,
    Deleted,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Added => "ADDED",
            EventKind::Modified => "MODIFIED",
            EventKind::Deleted => "DELETED",
        }
    }
}

/// One change of one object, shared by every watcher.
pub struct CacheEvent {
    pub kind: EventKind,
    pub rv: i64,
    pub key: String,
    /// The object after the change (for deletions: the last state, with the deletion revision).
    pub obj: Arc<CachedObject>,
    /// The object before the change, if it existed.
    pub prev: Option<Arc<CachedObject>>,
    /// `{"type":..,"object":..}\n`, serialized once for all plain JSON watchers.
    json_line: OnceLock<Bytes>,
}

impl CacheEvent {
    pub fn new(kind: EventKind, rv: i64, key: String, obj: Arc<CachedObject>, prev: Option<Arc<CachedObject>>) -> Self {
        Self { kind, rv, key, obj, prev, json_line: OnceLock::new() }
    }
    /// The watch wire line for this event, computed once.
    pub fn json_line(&self) -> Bytes {
        self.json_line.get_or_init(|| object_watch_line(self.kind.as_str(), &self.obj)).clone()
    }
}

/// `{"type":"ADDED","object":{...}}\n` straight from the cached bytes.
pub fn object_watch_line(kind: &str, obj: &CachedObject) -> Bytes {
    let mut buf = Vec::with_capacity(64);
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(kind.as_bytes());
    buf.extend_from_slice(b"\",\"object\":");
    obj.write_json(&mut buf);
    buf.extend_from_slice(b"}\n");
    Bytes::from(buf)
}

/// `{"type":"ADDED","object":{...}}\n`
pub fn watch_line(kind: &str, obj: &Value) -> Bytes {
    let mut buf = Vec::with_capacity(512);
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(kind.as_bytes());
    buf.extend_from_slice(b"\",\"object\":");
    // Serializing a Value cannot fail.
    let _ = serde_json::to_writer(&mut buf, obj);
    buf.extend_from_slice(b"}\n");
    Bytes::from(buf)
}

struct State {
    objects: BTreeMap<String, Arc<CachedObject>>,
    /// Revision the cache reflects.
    rv: i64,
    /// Events with rv > `window_start`, oldest first.
    events: VecDeque<Arc<CacheEvent>>,
    window_start: i64,
    synced: bool,
}

/// What a new watcher starts from.
pub struct WatchStart {
    /// Events to send first (initial state as ADDED, or replayed history).
    pub backlog: Vec<Arc<CacheEvent>>,
    pub rx: broadcast::Receiver<Arc<CacheEvent>>,
    /// The revision the backlog brings the watcher to.
    pub rv: i64,
}

/// The in-memory mirror of one resource's prefix.
pub struct WatchCache {
    prefix: String,
    state: RwLock<State>,
    tx: broadcast::Sender<Arc<CacheEvent>>,
    rv_tx: watch::Sender<i64>,
    progress_tx: mpsc::UnboundedSender<()>,
    store: EtcdStore,
    want: Want,
}

impl WatchCache {
    /// Start mirroring `prefix`; returns at once, `wait_synced` tells when the first list is in.
    pub fn start(store: EtcdStore, prefix: String, want: Want) -> Arc<Self> {
        let (tx, _) = broadcast::channel(FANOUT_DEPTH);
        let (rv_tx, _) = watch::channel(0);
        let (progress_tx, progress_rx) = mpsc::unbounded_channel();
        let cache = Arc::new(Self {
            prefix,
            state: RwLock::new(State {
                objects: BTreeMap::new(),
                rv: 0,
                events: VecDeque::new(),
                window_start: 0,
                synced: false,
            }),
            tx,
            rv_tx,
            progress_tx,
            store,
            want,
        });
        tokio::spawn(cache.clone().run(progress_rx));
        cache
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The projection kept per object (for decoding objects read from etcd the same way).
    pub fn want(&self) -> &Want {
        &self.want
    }

    pub fn synced(&self) -> bool {
        self.state.read().map(|s| s.synced).unwrap_or(false)
    }

    pub fn rv(&self) -> i64 {
        self.state.read().map(|s| s.rv).unwrap_or(0)
    }

    /// Wait until the cache has seen at least revision `rv`; asks etcd for a progress notification.
    pub async fn wait_for_rv(&self, rv: i64, patience: Duration) -> bool {
        let mut rx = self.rv_tx.subscribe();
        if *rx.borrow() >= rv {
            return true;
        }
        let _ = self.progress_tx.send(());
        tokio::time::timeout(patience, rx.wait_for(|v| *v >= rv)).await.is_ok_and(|r| r.is_ok())
    }

    /// Objects under `prefix` (a sub-prefix of the cache's), in key order, with the cache revision.
    pub fn list(&self, prefix: &str) -> (Vec<Arc<CachedObject>>, i64) {
        let Ok(s) = self.state.read() else {
            return (Vec::new(), 0);
        };
        let end = prefix_end(prefix);
        let items = s.objects.range(prefix.to_string()..end).map(|(_, v)| v.clone()).collect();
        (items, s.rv)
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedObject>> {
        self.state.read().ok()?.objects.get(key).cloned()
    }

    /// Register a watcher. `from`: None = send current state first (as ADDED); Some(rv) = replay events after rv.
    pub fn watch(&self, from: Option<i64>, key_prefix: &str) -> Result<WatchStart, ApiError> {
        let s = self.state.read().map_err(|_| ApiError::internal("watch cache poisoned"))?;
        let rx = self.tx.subscribe();
        match from {
            None => {
                let end = prefix_end(key_prefix);
                let backlog = s
                    .objects
                    .range(key_prefix.to_string()..end)
                    .map(|(k, v)| Arc::new(CacheEvent::new(EventKind::Added, s.rv, k.clone(), v.clone(), None)))
                    .collect();
                Ok(WatchStart { backlog, rx, rv: s.rv })
            }
            Some(rv) => {
                if rv < s.window_start {
                    return Err(ApiError::gone(format!("too old resource version: {rv} ({})", s.window_start + 1)));
                }
                let backlog = s.events.iter().filter(|e| e.rv > rv && e.key.starts_with(key_prefix)).cloned().collect();
                Ok(WatchStart { backlog, rx, rv: s.rv.max(rv) })
            }
        }
    }

    async fn run(self: Arc<Self>, mut progress_rx: mpsc::UnboundedReceiver<()>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.sync_once(&mut progress_rx).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(prefix = %self.prefix, error = %e, "watch cache lost its etcd watch; relisting");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// List everything, then follow the etcd watch until it fails.
    async fn sync_once(&self, progress_rx: &mut mpsc::UnboundedReceiver<()>) -> Result<(), String> {
        let list_rv = self.relist().await.map_err(|e| e.message)?;
        let mut stream = self.store.watch_prefix(&self.prefix, list_rv + 1).await.map_err(|e| e.to_string())?;
        loop {
            tokio::select! {
                msg = stream.message() => {
                    let Some(resp) = msg.map_err(|e| e.to_string())? else { return Err("watch stream ended".into()) };
                    if resp.canceled() {
                        return Err(format!("watch canceled: {}", resp.cancel_reason()));
                    }
                    let header_rev = resp.header().map(|h| h.revision()).unwrap_or_default();
                    if resp.events().is_empty() {
                        // Progress notification: everything up to header_rev has been delivered.
                        self.advance(header_rev);
                        continue;
                    }
                    for ev in resp.events() {
                        self.apply_etcd_event(ev);
                    }
                }
                Some(()) = progress_rx.recv() => {
                    while progress_rx.try_recv().is_ok() {}
                    stream.request_progress().await.map_err(|e| e.to_string())?;
                }
            }
        }
    }

    fn advance(&self, rv: i64) {
        if let Ok(mut s) = self.state.write() {
            if rv > s.rv {
                s.rv = rv;
                drop(s);
                self.rv_tx.send_replace(rv);
            }
        }
    }

    /// Full list at one revision; differences to the previous state become events.
    async fn relist(&self) -> Result<i64, ApiError> {
        let end = prefix_end(&self.prefix);
        let mut start = self.prefix.clone();
        let mut revision = 0;
        let mut fresh = BTreeMap::new();
        loop {
            let page = self.store.range(&start, &end, revision, 1000).await?;
            revision = page.revision;
            let more = page.more;
            let last_key = page.kvs.last().map(|kv| kv.key.clone());
            for kv in page.kvs {
                let rv = kv.mod_revision;
                if let Some(obj) = CachedObject::from_raw(Bytes::from(kv.value), rv, &self.want) {
                    fresh.insert(kv.key.clone(), Arc::new(obj));
                }
            }
            match (more, last_key) {
                (true, Some(last)) => start = format!("{last}\0"),
                _ => break,
            }
        }
        let mut s = self.state.write().map_err(|_| ApiError::internal("watch cache poisoned"))?;
        let first = !s.synced;
        let mut events = Vec::new();
        if !first {
            for (key, old) in &s.objects {
                if !fresh.contains_key(key) {
                    events.push(CacheEvent::new(
                        EventKind::Deleted,
                        revision,
                        key.clone(),
                        old.clone(),
                        Some(old.clone()),
                    ));
                }
            }
            for (key, obj) in &fresh {
                match s.objects.get(key) {
                    Some(old) if old.rv == obj.rv => {}
                    Some(old) => events.push(CacheEvent::new(
                        EventKind::Modified,
                        revision,
                        key.clone(),
                        obj.clone(),
                        Some(old.clone()),
                    )),
                    None => events.push(CacheEvent::new(EventKind::Added, revision, key.clone(), obj.clone(), None)),
                }
            }
        }
        s.objects = fresh;
        s.rv = s.rv.max(revision);
        if first {
            s.window_start = revision;
            s.synced = true;
        }
        for ev in events {
            push_event(&mut s, &self.tx, Arc::new(ev));
        }
        let rv = s.rv;
        drop(s);
        self.rv_tx.send_replace(rv);
        Ok(revision)
    }

    fn apply_etcd_event(&self, ev: &etcd_client::Event) {
        let Some(kv) = ev.kv() else { return };
        let key = String::from_utf8_lossy(kv.key()).into_owned();
        let rv = kv.mod_revision();
        // Decode before taking the lock.
        let decoded = match ev.event_type() {
            EventType::Put => match CachedObject::from_raw(Bytes::copy_from_slice(kv.value()), rv, &self.want) {
                Some(o) => Some(Arc::new(o)),
                None => {
                    tracing::warn!(%key, "skipping undecodable object in etcd");
                    return;
                }
            },
            EventType::Delete => None,
        };
        let Ok(mut s) = self.state.write() else { return };
        let prev = s.objects.get(&key).cloned();
        let event = match decoded {
            Some(obj) => {
                s.objects.insert(key.clone(), obj.clone());
                let kind = if prev.is_some() { EventKind::Modified } else { EventKind::Added };
                CacheEvent::new(kind, rv, key, obj, prev)
            }
            None => {
                s.objects.remove(&key);
                let Some(last) = prev.clone() else { return };
                CacheEvent::new(EventKind::Deleted, rv, key, Arc::new(last.at_rv(rv)), prev)
            }
        };
        s.rv = s.rv.max(event.rv);
        let rv = s.rv;
        push_event(&mut s, &self.tx, Arc::new(event));
        drop(s);
        self.rv_tx.send_replace(rv);
    }
}

fn push_event(s: &mut State, tx: &broadcast::Sender<Arc<CacheEvent>>, ev: Arc<CacheEvent>) {
    if s.events.len() >= EVENT_WINDOW {
        if let Some(old) = s.events.pop_front() {
            s.window_start = old.rv;
        }
    }
    s.events.push_back(ev.clone());
    // No receivers is fine.
    let _ = tx.send(ev);
}

/// `metadata.resourceVersion` as a number.
pub fn rv_of(obj: &Value) -> i64 {
    obj.pointer("/metadata/resourceVersion").and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or(0)
}

pub fn set_rv(obj: &mut Value, rv: i64) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}
