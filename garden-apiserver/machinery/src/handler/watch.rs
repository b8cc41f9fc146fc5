//! watch: a chunked stream of events from the watch cache, filtered per watcher.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Response};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use super::read::Filter;
use super::{Negotiated, ReqCtx};
use crate::error::{ApiError, ApiResult};
use crate::metrics::METRICS;
use crate::registry::{table, ResourceType};
use crate::request::Body;
use crate::storage::cache::{object_watch_line, watch_line, CacheEvent, EventKind, WatchCache};
use crate::storage::object::CachedObject;

const BOOKMARK_EVERY: Duration = Duration::from_secs(5);

pub async fn watch(c: &ReqCtx, rt: &Arc<ResourceType>) -> ApiResult<Response<Body>> {
    let filter = Filter::from_request(rt, c)?;
    let cache = c.srv.cache(rt).ok_or_else(|| ApiError::method_not_allowed("this resource cannot be watched"))?.clone();
    let from = match c.query.get("resourceVersion") {
        None | Some("0") => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {v:?}")))?),
    };
    let mut key_prefix = c.srv.collection_prefix(rt, &c.info.namespace);
    if !c.info.name.is_empty() {
        // `watch` on a single object (kubectl get NAME -w): a field selector on the name, like kube.
        key_prefix = c.srv.key(rt, &c.info.namespace, &c.info.name);
    }
    let start = match from {
        Some(rv) => {
            // Resuming: the revision must still exist in etcd (410 once compacted), and in our event window.
            if !c.srv.store.revision_available(rv).await? {
                return Ok(expired(c.negotiated, &ApiError::gone(format!("too old resource version: {rv}"))));
            }
            if rv > cache.rv() && !cache.wait_for_rv(rv, Duration::from_secs(3)).await {
                return Err(ApiError::timeout(format!("Too large resource version: {rv}, current: {}", cache.rv())));
            }
            match cache.watch(Some(rv), &key_prefix) {
                Ok(start) => start,
                Err(e) if e.code == 410 => return Ok(expired(c.negotiated, &e)),
                Err(e) => return Err(e),
            }
        }
        None => cache.watch(None, &key_prefix)?,
    };
    let timeout = c.query.int("timeoutSeconds")?.filter(|t| *t > 0).map(|t| Duration::from_secs(t as u64));
    let watcher = Watcher {
        rt: rt.clone(),
        filter,
        negotiated: c.negotiated,
        bookmarks: c.query.flag("allowWatchBookmarks"),
        initial_events_end: c.query.flag("sendInitialEvents") && from.is_none(),
        key_prefix,
        single: !c.info.name.is_empty(),
    };
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(256);
    let resource = rt.plural;
    tokio::spawn(async move {
        METRICS.watchers.with_label_values(&[resource]).inc();
        let run = watcher.run(cache, start, tx);
        match timeout {
            Some(t) => {
                let _ = tokio::time::timeout(t, run).await;
            }
            None => run.await,
        }
        METRICS.watchers.with_label_values(&[resource]).dec();
    });
    let content_type = content_type(c.negotiated);
    let body = StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx)).boxed();
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, content_type)
        .header("Cache-Control", "no-cache, private")
        .body(body)
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn content_type(negotiated: Negotiated) -> &'static str {
    match negotiated {
        Negotiated::Protobuf => crate::protobuf::WATCH_CONTENT_TYPE,
        _ => "application/json",
    }
}

/// A watch that cannot start from the requested revision: 200 with one ERROR event carrying a 410 Status,
/// as kube-apiserver answers (clients then relist).
fn expired(negotiated: Negotiated, e: &ApiError) -> Response<Body> {
    crate::request::bytes_response(200, content_type(negotiated), error_event(negotiated, e), &[])
}

/// An ERROR event carrying the error's Status.
fn error_event(negotiated: Negotiated, e: &ApiError) -> Bytes {
    match negotiated {
        Negotiated::Protobuf => crate::protobuf::watch_frame("ERROR", crate::protobuf::encode_status(&e.to_status())),
        _ => watch_line("ERROR", &e.to_status()),
    }
}

struct Watcher {
    rt: Arc<ResourceType>,
    filter: Filter,
    negotiated: Negotiated,
    bookmarks: bool,
    initial_events_end: bool,
    key_prefix: String,
    single: bool,
}

type Tx = mpsc::Sender<Result<Frame<Bytes>, std::io::Error>>;

impl Watcher {
    async fn run(self, cache: Arc<WatchCache>, start: crate::storage::cache::WatchStart, tx: Tx) {
        let mut sent_rv = start.rv;
        for ev in &start.backlog {
            if !self.send_event(ev, &tx).await {
                return;
            }
        }
        if self.initial_events_end && !self.send_bookmark(sent_rv, true, &tx).await {
            return;
        }
        let mut rx = start.rx;
        let mut tick = tokio::time::interval(BOOKMARK_EVERY);
        tick.tick().await;
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    // Subscription and snapshot were taken under one lock: nothing here is in the backlog.
                    Ok(ev) => {
                        sent_rv = sent_rv.max(ev.rv);
                        if !self.send_event(&ev, &tx).await {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let e = ApiError::gone("the watcher fell too far behind; please re-list");
                        let _ = tx.send(Ok(Frame::data(error_event(self.negotiated, &e)))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => {
                    if tx.is_closed() {
                        return;
                    }
                    if self.bookmarks {
                        let rv = if rx.is_empty() { cache.rv().max(sent_rv) } else { sent_rv };
                        if !self.send_bookmark(rv, false, &tx).await {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Send one event if it concerns this watcher; false when the client is gone.
    async fn send_event(&self, ev: &CacheEvent, tx: &Tx) -> bool {
        if !ev.key.starts_with(&self.key_prefix) || (self.single && ev.key != self.key_prefix) {
            return true;
        }
        let now_match = self.filter.matches(&self.rt, &ev.obj.index);
        let was_match = ev.prev.as_ref().is_some_and(|p| self.filter.matches(&self.rt, &p.index));
        let kind = match (ev.kind, was_match, now_match) {
            (EventKind::Deleted, true, _) => EventKind::Deleted,
            (EventKind::Deleted, false, _) => return true,
            (_, true, true) => EventKind::Modified,
            (_, false, true) => EventKind::Added,
            (_, true, false) => EventKind::Deleted,
            (_, false, false) => return true,
        };
        let line = match self.negotiated {
            Negotiated::Json if kind == ev.kind => ev.json_line(),
            Negotiated::Json => object_watch_line(kind.as_str(), &ev.obj),
            Negotiated::Protobuf => match self.proto_object(&ev.obj) {
                Ok(object) => crate::protobuf::watch_frame(kind.as_str(), object),
                Err(e) => {
                    // Tell the client and end the stream rather than skip an event silently.
                    let e = ApiError::internal(format!("protobuf encoding failed: {e}"));
                    let _ = tx.send(Ok(Frame::data(error_event(self.negotiated, &e)))).await;
                    return false;
                }
            },
            Negotiated::PartialObjectMetadata => {
                let obj = ev.obj.parse();
                let meta = obj.get("metadata").cloned().unwrap_or(Value::Null);
                watch_line(
                    kind.as_str(),
                    &json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}),
                )
            }
            Negotiated::Table => {
                let obj = ev.obj.parse();
                let rv = json!({"resourceVersion": ev.obj.rv.to_string()});
                watch_line(kind.as_str(), &table::table(&self.rt, &[&obj], table::IncludeObject::Metadata, rv))
            }
        };
        tx.send(Ok(Frame::data(line))).await.is_ok()
    }

    async fn send_bookmark(&self, rv: i64, initial_end: bool, tx: &Tx) -> bool {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": meta});
        let frame = match self.negotiated {
            Negotiated::Protobuf => match crate::protobuf::encode_value(&obj) {
                Some(Ok(object)) => crate::protobuf::watch_frame("BOOKMARK", object),
                _ => return false,
            },
            _ => watch_line("BOOKMARK", &obj),
        };
        tx.send(Ok(Frame::data(frame))).await.is_ok()
    }

    /// The enveloped protobuf object of an event (its message bytes cached on the object).
    fn proto_object(&self, obj: &CachedObject) -> Result<Vec<u8>, String> {
        let api_version = self.rt.api_version();
        let kind = crate::protobuf::lookup(&api_version, self.rt.kind)
            .ok_or_else(|| format!("{} has no protobuf form", self.rt.kind))?;
        Ok(crate::protobuf::envelope(&api_version, self.rt.kind, obj.proto(kind)?.to_vec()))
    }
}
