//! The long-running backup loop of one etcd: full snapshots on a schedule or on request, delta snapshots
//! from a watch (flushed on a period or when the buffer is full), and garbage collection on its own period.
//!
//! It resumes from the store: the watch starts right after the latest chain's last revision, so a restart loses
//! nothing as long as etcd has not compacted that revision. A full snapshot is taken instead when there is no
//! chain, the revision is compacted, etcd is behind the chain (it was replaced), or a scheduled full was missed.
//! When etcd or the store fails, the loop records the error and starts over from the store after a backoff.
//! At every delta period it checks that the latest full snapshot is still in the store; when it was deleted
//! behind its back, the status stops naming it and a new full snapshot is taken at once.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::Client;
use object_store::ObjectStore;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info, warn};

use crate::delta::DeltaRecorder;
use crate::error::{Error, Result};
use crate::full::{self, now_unix, FullSnapshotOptions, Uploaded};
use crate::gc::{self, GcPolicy};
use crate::layout::{self, Snapshot};
use crate::metrics::Metrics;
use crate::schedule::FullSchedule;

/// How the snapshotter behaves.
#[derive(Clone, Debug)]
pub struct SnapshotterConfig {
    /// When full snapshots are due.
    pub full_schedule: FullSchedule,
    /// Delta snapshots are flushed this often (when there are events).
    pub delta_period: Duration,
    /// ... or as soon as this many bytes of events are buffered.
    pub delta_memory_limit: usize,
    /// Which old snapshots GC deletes.
    pub gc_policy: GcPolicy,
    /// How often GC runs (zero: never).
    pub gc_period: Duration,
    /// Multipart tuning of full snapshots.
    pub full: FullSnapshotOptions,
}

impl Default for SnapshotterConfig {
    fn default() -> Self {
        SnapshotterConfig {
            full_schedule: FullSchedule::Period(Duration::from_secs(3600)),
            delta_period: Duration::from_secs(10),
            delta_memory_limit: 8 << 20,
            gc_policy: GcPolicy::LimitBased { max_backups: 7 },
            gc_period: Duration::from_secs(60),
            full: FullSnapshotOptions::default(),
        }
    }
}

/// One uploaded snapshot, as the status reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotRecord {
    /// Object name.
    pub name: String,
    /// Its end revision.
    pub revision: i64,
    /// Its creation time (unix seconds).
    pub unix: i64,
    /// Its size (0 when it was found in the store rather than uploaded by this process).
    pub bytes: u64,
}

impl From<&Uploaded> for SnapshotRecord {
    fn from(u: &Uploaded) -> Self {
        SnapshotRecord {
            name: u.name.clone(),
            revision: u.snapshot.end_revision,
            unix: u.snapshot.created_unix,
            bytes: u.bytes,
        }
    }
}

/// What the snapshotter has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The latest full snapshot.
    pub last_full: Option<SnapshotRecord>,
    /// The latest delta snapshot.
    pub last_delta: Option<SnapshotRecord>,
    /// Failed full snapshots.
    pub full_failures: u64,
    /// Failed delta flushes.
    pub delta_failures: u64,
    /// Failed GC runs or deletions.
    pub gc_failures: u64,
    /// Times the loop started over from the store after an error.
    pub restarts: u64,
    /// The most recent error.
    pub last_error: Option<String>,
    /// The error of the latest full snapshot, delta flush or loop restart when nothing was uploaded since:
    /// backups are failing right now. Cleared by the next upload. (GC failures do not count.)
    pub failing: Option<String>,
}

type FullRequest = oneshot::Sender<Result<Uploaded>>;

/// A cheap, cloneable handle to a running [`Snapshotter`].
#[derive(Clone)]
pub struct SnapshotterHandle {
    requests: mpsc::Sender<FullRequest>,
    shared: Arc<Shared>,
}

struct Shared {
    status: Mutex<Status>,
    metrics: Metrics,
}

impl Shared {
    fn record(&self, uploaded: &Uploaded) {
        self.metrics.record_upload(uploaded);
        let mut status = self.status.lock().expect("status lock");
        match uploaded.snapshot.kind {
            layout::Kind::Full => status.last_full = Some(uploaded.into()),
            layout::Kind::Incr => status.last_delta = Some(uploaded.into()),
        }
        status.failing = None;
    }

    fn fail(&self, operation: &'static str, e: &Error) {
        error!(operation, error = %e, "backup operation failed");
        self.metrics.record_failure(operation);
        let mut status = self.status.lock().expect("status lock");
        match operation {
            "full" => status.full_failures += 1,
            "gc" => status.gc_failures += 1,
            "restart" => status.restarts += 1,
            _ => status.delta_failures += 1,
        }
        let message = format!("{operation}: {e}");
        if operation != "gc" {
            status.failing = Some(message.clone());
        }
        status.last_error = Some(message);
    }
}

impl SnapshotterHandle {
    /// Takes a full snapshot now (e.g. the final one before a migration or deletion) and returns it once it
    /// is uploaded. Pending delta events are flushed first.
    pub async fn request_full(&self) -> Result<Uploaded> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(tx).await.map_err(|_| Error::SnapshotterStopped)?;
        rx.await.map_err(|_| Error::SnapshotterStopped)?
    }

    /// A copy of the current status.
    pub fn status(&self) -> Status {
        self.shared.status.lock().expect("status lock").clone()
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }
}

/// The backup loop of one etcd. Build with [`Snapshotter::new`], drive with [`Snapshotter::run`].
pub struct Snapshotter {
    client: Client,
    store: Arc<dyn ObjectStore>,
    prefix: String,
    config: SnapshotterConfig,
    requests: mpsc::Receiver<FullRequest>,
    shared: Arc<Shared>,
}

impl Snapshotter {
    /// A snapshotter of the etcd behind `client`, writing under `<prefix>/v2/` of `store`.
    pub fn new(
        client: Client,
        store: Arc<dyn ObjectStore>,
        prefix: impl Into<String>,
        config: SnapshotterConfig,
    ) -> (Snapshotter, SnapshotterHandle) {
        let (tx, rx) = mpsc::channel(16);
        let shared = Arc::new(Shared { status: Mutex::new(Status::default()), metrics: Metrics::new() });
        let handle = SnapshotterHandle { requests: tx, shared: shared.clone() };
        (Snapshotter { client, store, prefix: prefix.into(), config, requests: rx, shared }, handle)
    }

    /// Runs until `shutdown` completes; buffered delta events are flushed on the way out.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let gc_task = self.spawn_gc();
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.run_once(&mut shutdown).await {
                Ok(()) => break,
                Err(e) => {
                    self.shared.fail("restart", &e);
                    warn!(?backoff, "restarting the backup loop from the store's latest chain");
                }
            }
            // Back off, but keep answering requests for a full snapshot.
            let wake = tokio::time::Instant::now() + backoff;
            loop {
                tokio::select! {
                    _ = &mut shutdown => {
                        if let Some(t) = gc_task { t.abort(); }
                        return;
                    }
                    _ = tokio::time::sleep_until(wake) => break,
                    Some(reply) = self.requests.recv() => {
                        let result = self.take_full().await;
                        let _ = reply.send(result);
                    }
                }
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
        if let Some(t) = gc_task {
            t.abort();
        }
        info!("snapshotter stopped");
    }

    async fn take_full(&mut self) -> Result<Uploaded> {
        match full::take_full_snapshot(&mut self.client, self.store.as_ref(), &self.prefix, &self.config.full).await {
            Ok(uploaded) => {
                self.shared.record(&uploaded);
                Ok(uploaded)
            }
            Err(e) => {
                self.shared.fail("full", &e);
                Err(e)
            }
        }
    }

    /// Starts the watch at `from`, falling back to a full snapshot when `from` is compacted.
    async fn start_recorder(&mut self, from: i64) -> Result<(DeltaRecorder, Option<Uploaded>)> {
        match DeltaRecorder::start(&self.client, from).await {
            Ok(r) => Ok((r, None)),
            Err(Error::Compacted { compact_revision, .. }) => {
                warn!(from, compact_revision, "watch revision is compacted: taking a full snapshot");
                let full = self.take_full().await?;
                let r = DeltaRecorder::start(&self.client, full.snapshot.end_revision + 1).await?;
                Ok((r, Some(full)))
            }
            Err(e) => Err(e),
        }
    }

    /// One life of the loop: returns `Ok` on shutdown, `Err` when it must start over from the store.
    async fn run_once(&mut self, shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>) -> Result<()> {
        let snapshots = layout::list(self.store.as_ref(), &self.prefix).await?;
        let chain = layout::latest_chain(&snapshots);
        let current = full::current_revision(&mut self.client).await?;
        let mut latest_full;
        let from = match &chain {
            Some(chain) if current >= chain.end_revision() => {
                self.note_existing(&chain.full, chain.deltas.last());
                latest_full = chain.full.clone();
                chain.end_revision() + 1
            }
            other => {
                if let Some(chain) = other {
                    warn!(
                        etcd_revision = current,
                        backup_revision = chain.end_revision(),
                        "etcd is behind the backups (replaced or restored): starting a new chain"
                    );
                } else {
                    info!("no full snapshot in the store yet: taking one");
                }
                let full = self.take_full().await?;
                latest_full = full.snapshot.clone();
                full.snapshot.end_revision + 1
            }
        };
        let (mut recorder, full) = self.start_recorder(from).await?;
        if let Some(full) = full {
            latest_full = full.snapshot;
        }
        info!(from = recorder.last_revision() + 1, "watching etcd for delta snapshots");

        let mut next_full = self.config.full_schedule.next_after(latest_full.created_unix);
        let mut delta_tick = tokio::time::interval(self.config.delta_period.max(Duration::from_millis(100)));
        delta_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let due = next_full;
            let full_due = async move {
                match due {
                    Some(at) => {
                        let wait = (at - now_unix()).max(0) as u64;
                        tokio::time::sleep(Duration::from_secs(wait)).await
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.as_mut() => {
                    let _ = self.flush(&mut recorder).await;
                    return Ok(());
                }
                received = recorder.recv() => match received {
                    Ok(()) => {
                        if recorder.buffered_bytes() >= self.config.delta_memory_limit {
                            self.flush(&mut recorder).await?;
                        }
                    }
                    Err(Error::Compacted { wanted, compact_revision }) => {
                        warn!(wanted, compact_revision, "watch revision is compacted: taking a full snapshot");
                        let full = self.take_full().await?;
                        next_full = self.config.full_schedule.next_after(full.snapshot.created_unix);
                        recorder = DeltaRecorder::start(&self.client, full.snapshot.end_revision + 1).await?;
                        latest_full = full.snapshot;
                    }
                    Err(e) => return Err(e),
                },
                _ = delta_tick.tick() => {
                    self.flush(&mut recorder).await?;
                    if !self.still_stored(&latest_full).await {
                        // Deleted behind our back: the chain is broken, so a restore needs a new full snapshot now.
                        let full = self.take_full().await?;
                        next_full = self.config.full_schedule.next_after(full.snapshot.created_unix);
                        latest_full = full.snapshot;
                    }
                }
                _ = full_due => {
                    match self.take_full().await {
                        Ok(full) => {
                            next_full = self.config.full_schedule.next_after(full.snapshot.created_unix);
                            latest_full = full.snapshot;
                        }
                        // Retry soon, not in a tight loop.
                        Err(_) => next_full = Some(now_unix() + 30),
                    }
                }
                Some(reply) = self.requests.recv() => {
                    // Flush first so the deltas before the final full snapshot are in the store too.
                    self.flush(&mut recorder).await?;
                    let result = self.take_full().await;
                    if let Ok(full) = &result {
                        next_full = self.config.full_schedule.next_after(full.snapshot.created_unix);
                        latest_full = full.snapshot.clone();
                    }
                    let _ = reply.send(result);
                }
            }
        }
    }

    /// Flushes buffered events. A failure keeps them for the next try, unless the buffer has outgrown twice
    /// its limit: then the loop restarts from the store (the watch replays the events; memory stays bounded).
    async fn flush(&mut self, recorder: &mut DeltaRecorder) -> Result<()> {
        match recorder.flush(self.store.as_ref(), &self.prefix).await {
            Ok(uploaded) => {
                if let Some(u) = &uploaded {
                    self.shared.record(u);
                }
                Ok(())
            }
            Err(e) => {
                self.shared.fail("delta", &e);
                if recorder.buffered_bytes() > 2 * self.config.delta_memory_limit {
                    return Err(e);
                }
                Ok(())
            }
        }
    }

    /// Whether the latest full snapshot is still in the store (checked, not remembered). When it is gone, the status
    /// forgets it and the snapshots after it, so that nobody is told backups are fine until a new full one exists.
    /// A store that cannot answer counts as "still there": its failure shows in the next upload.
    async fn still_stored(&self, full: &Snapshot) -> bool {
        match self.store.head(&full.path(&self.prefix)).await {
            Err(object_store::Error::NotFound { .. }) => {
                warn!(snapshot = %full.name(), "the latest full snapshot is gone from the store: taking a new one");
                let mut status = self.shared.status.lock().expect("status lock");
                status.last_full = None;
                status.last_delta = None;
                false
            }
            Err(e) => {
                warn!(snapshot = %full.name(), error = %e, "cannot check the latest full snapshot");
                true
            }
            Ok(_) => true,
        }
    }

    /// Reports the store's latest snapshots after a restart (sizes unknown: 0).
    fn note_existing(&self, full: &Snapshot, delta: Option<&Snapshot>) {
        let mut status = self.shared.status.lock().expect("status lock");
        for s in std::iter::once(full).chain(delta) {
            let uploaded = Uploaded { snapshot: s.clone(), name: s.name(), bytes: 0 };
            self.shared.metrics.record_upload(&uploaded);
            let record = Some(SnapshotRecord::from(&uploaded));
            match s.kind {
                layout::Kind::Full if status.last_full.is_none() => status.last_full = record,
                layout::Kind::Incr if status.last_delta.is_none() => status.last_delta = record,
                _ => {}
            }
        }
    }

    fn spawn_gc(&self) -> Option<tokio::task::JoinHandle<()>> {
        if self.config.gc_period.is_zero() {
            return None;
        }
        let store = self.store.clone();
        let prefix = self.prefix.clone();
        let policy = self.config.gc_policy;
        let period = self.config.gc_period;
        let shared = self.shared.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate; GC waits one period
            loop {
                tick.tick().await;
                match gc::collect_garbage(store.as_ref(), &prefix, policy, now_unix()).await {
                    Ok(report) => {
                        shared.metrics.record_gc_deleted(report.deleted.len());
                        if report.failed > 0 {
                            shared.fail("gc", &Error::GcIncomplete { failed: report.failed });
                        }
                    }
                    Err(e) => shared.fail("gc", &e),
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploaded(kind: layout::Kind, end_revision: i64) -> Uploaded {
        let snapshot = layout::Snapshot { kind, start_revision: 0, end_revision, created_unix: 1 };
        Uploaded { name: format!("{kind:?}-{end_revision}"), snapshot, bytes: 10 }
    }

    #[test]
    fn failing_lasts_until_the_next_upload_and_ignores_gc() {
        let shared = Shared { status: Mutex::new(Status::default()), metrics: Metrics::new() };
        let status = || shared.status.lock().unwrap().clone();
        shared.record(&uploaded(layout::Kind::Full, 10));
        shared.fail("gc", &Error::SnapshotterStopped);
        assert_eq!(status().failing, None, "a GC failure does not make backups fail");
        assert!(status().last_error.is_some_and(|e| e.starts_with("gc: ")));
        shared.fail("delta", &Error::SnapshotterStopped);
        assert!(status().failing.is_some_and(|e| e.starts_with("delta: ")));
        shared.record(&uploaded(layout::Kind::Incr, 12));
        let after = status();
        assert_eq!(after.failing, None);
        assert!(after.last_error.is_some(), "the error stays on record");
        assert_eq!((after.full_failures, after.delta_failures, after.gc_failures), (0, 1, 1));
    }
}
