//! Prometheus metrics of one snapshotter, rendered at `/metrics`.

use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

use crate::full::Uploaded;
use crate::layout::Kind;

/// The snapshotter's metrics, in their own registry.
pub struct Metrics {
    registry: Registry,
    last_full_revision: IntGauge,
    last_full_time: IntGauge,
    last_delta_revision: IntGauge,
    last_delta_time: IntGauge,
    uploaded_bytes: IntCounterVec,
    failures: IntCounterVec,
    gc_deleted: IntCounter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("static metric");
        let last_full_revision =
            gauge("etcd_backup_last_full_snapshot_revision", "Revision of the latest full snapshot uploaded.");
        let last_full_time = gauge(
            "etcd_backup_last_full_snapshot_timestamp_seconds",
            "Unix time of the latest full snapshot uploaded.",
        );
        let last_delta_revision =
            gauge("etcd_backup_last_delta_snapshot_revision", "Last revision of the latest delta snapshot uploaded.");
        let last_delta_time = gauge(
            "etcd_backup_last_delta_snapshot_timestamp_seconds",
            "Unix time of the latest delta snapshot uploaded.",
        );
        let uploaded_bytes = IntCounterVec::new(
            Opts::new("etcd_backup_uploaded_bytes_total", "Bytes uploaded, by snapshot kind (Full, Incr)."),
            &["kind"],
        )
        .expect("static metric");
        let failures = IntCounterVec::new(
            Opts::new("etcd_backup_failures_total", "Failed operations, by operation (full, delta, gc, restart)."),
            &["operation"],
        )
        .expect("static metric");
        let gc_deleted = IntCounter::new("etcd_backup_gc_deleted_snapshots_total", "Snapshots deleted by GC.")
            .expect("static metric");
        let registry = Registry::new();
        for c in [
            Box::new(last_full_revision.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(last_full_time.clone()),
            Box::new(last_delta_revision.clone()),
            Box::new(last_delta_time.clone()),
            Box::new(uploaded_bytes.clone()),
            Box::new(failures.clone()),
            Box::new(gc_deleted.clone()),
        ] {
            registry.register(c).expect("unique metric");
        }
        Metrics {
            registry,
            last_full_revision,
            last_full_time,
            last_delta_revision,
            last_delta_time,
            uploaded_bytes,
            failures,
            gc_deleted,
        }
    }

    /// Records an upload (`bytes` 0 for a snapshot found in the store at startup).
    pub fn record_upload(&self, uploaded: &Uploaded) {
        let s = &uploaded.snapshot;
        let (revision, time) = match s.kind {
            Kind::Full => (&self.last_full_revision, &self.last_full_time),
            Kind::Incr => (&self.last_delta_revision, &self.last_delta_time),
        };
        revision.set(s.end_revision);
        time.set(s.created_unix);
        self.uploaded_bytes.with_label_values(&[s.kind.as_str()]).inc_by(uploaded.bytes);
    }

    /// Counts a failed operation.
    pub fn record_failure(&self, operation: &str) {
        self.failures.with_label_values(&[operation]).inc();
    }

    /// Counts snapshots deleted by GC.
    pub fn record_gc_deleted(&self, n: usize) {
        self.gc_deleted.inc_by(n as u64);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_default()
    }
}
