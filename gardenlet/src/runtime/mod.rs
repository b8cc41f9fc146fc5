//! The `ControlPlaneRuntime` boundary: where a shoot's control plane (etcd + API server) runs.
//!
//! Everything above this boundary (the shoot flows) is the same in production and locally. Two
//! implementations are planned: `kubernetes` (renders and applies workloads into the seed cluster
//! through kube-rs) and [`process`] (runs the same components as supervised local processes on
//! loopback; the local default).

pub mod backup_sidecar;
pub mod kubernetes;
pub mod process;

use futures::future::BoxFuture;

use crate::error::Error;
use crate::shoot::secrets::{ControlPlaneSecrets, Roots};

/// What one shoot control plane needs, independent of where it runs.
#[derive(Clone, Debug)]
pub struct ControlPlaneSpec {
    /// The shoot's technical id (`shoot--<project>--<name>`): names its seed namespace and, for the
    /// process runtime, its state directory.
    pub technical_id: String,
    /// Certificates and keys of the control plane (from [`crate::shoot::secrets::ensure_secrets`]).
    pub secrets: ControlPlaneSecrets,
    /// Kubernetes version of the shoot (the process runtime serves its own API machinery and only
    /// records it).
    pub kubernetes_version: String,
    /// Where etcd is backed up to (None: the seed has no backups configured).
    pub backup: Option<EtcdBackupSpec>,
}

/// Continuous backup of a shoot's etcd (the `etcd-backup` snapshotter next to etcd, and restore before etcd
/// starts on an empty, invalid or stale data directory).
#[derive(Clone, Debug, PartialEq)]
pub struct EtcdBackupSpec {
    /// The store and prefix of the shoot's BackupEntry, credentials inline (never logged: they are redacted
    /// from `Debug`).
    pub store: etcd_backup::store::StoreConfig,
    /// Cron schedule of full snapshots (5 fields, UTC).
    pub full_snapshot_schedule: String,
    /// Period of delta snapshots.
    pub delta_snapshot_period: std::time::Duration,
}

/// What the snapshotter of a control plane reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupStatus {
    /// The latest full snapshot (object name) and the revision it ends at.
    pub last_full: Option<(String, i64)>,
    /// The latest delta snapshot and the revision it ends at.
    pub last_delta: Option<(String, i64)>,
    /// The most recent failure of the snapshotter (it may have succeeded since).
    pub last_error: Option<String>,
    /// Set while backups fail: the latest snapshot attempt failed and nothing was uploaded since (or the
    /// snapshotter does not answer).
    pub failing: Option<String>,
}

/// Observed state of a control plane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControlPlaneStatus {
    /// URL of the shoot API server (`https://...`); empty when unknown.
    pub api_server_url: String,
    /// URL etcd serves clients on; empty when unknown.
    pub etcd_url: String,
    /// All processes/workloads exist.
    pub running: bool,
    /// The API server answers `/readyz` with `ok`.
    pub ready: bool,
    /// Why it is not ready, when the runtime knows (for example: the certificate it serves does not verify
    /// against the cluster CA).
    pub not_ready: Option<String>,
}

impl ControlPlaneStatus {
    /// Records the outcome of a readiness probe.
    pub fn set_readiness(&mut self, probe: Result<(), String>) {
        self.ready = probe.is_ok();
        self.not_ready = probe.err();
    }
}

/// Where shoot control planes run. All methods are idempotent.
pub trait ControlPlaneRuntime: Send + Sync {
    /// Starts (or adopts already running processes of) the control plane. Returns once the
    /// processes run, not necessarily ready.
    fn ensure(&self, spec: &ControlPlaneSpec) -> BoxFuture<'_, Result<ControlPlaneStatus, Error>>;
    /// Probes readiness (API server `/readyz` over HTTPS) without starting anything.
    fn probe(&self, technical_id: &str) -> BoxFuture<'_, Result<ControlPlaneStatus, Error>>;
    /// Stops the processes and keeps the data (hibernation).
    fn stop(&self, technical_id: &str) -> BoxFuture<'_, Result<(), Error>>;
    /// Stops and deletes everything of this control plane (data, ports, files).
    fn destroy(&self, technical_id: &str) -> BoxFuture<'_, Result<(), Error>>;
    /// Takes a full etcd snapshot now (before a migration) and returns its object name. The control plane must
    /// run with backups.
    fn final_snapshot(&self, technical_id: &str) -> BoxFuture<'_, Result<String, Error>>;
    /// What the snapshotter reports; None when the control plane runs without backups or is not running.
    fn backup_status(&self, technical_id: &str) -> BoxFuture<'_, Result<Option<BackupStatus>, Error>>;
    /// The runtime's copy of the control plane's CAs and service-account key (as last ensured), so Secrets
    /// deleted in the seed namespace come back with the same material; None when it keeps none (nothing
    /// ensured yet, or destroyed).
    fn kept_roots(&self, technical_id: &str) -> BoxFuture<'_, Result<Option<Roots>, Error>>;
}
