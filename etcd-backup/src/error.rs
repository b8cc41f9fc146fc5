//! The one error type of this crate: each variant names the operation that failed.

use std::path::PathBuf;

/// Everything that can go wrong while backing up or restoring.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store configuration is incomplete or contradictory.
    #[error("invalid store configuration: {0}")]
    InvalidStoreConfig(String),
    /// A snapshotter or restore option is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// An object-store operation failed.
    #[error("failed to {op} {path}: {source}")]
    Store {
        /// What we tried (`list`, `upload`, `download`, `delete`, `open store`).
        op: &'static str,
        /// Object path or store description.
        path: String,
        /// What the store said.
        #[source]
        source: object_store::Error,
    },
    /// An etcd request failed.
    #[error("failed to {op}: {source}")]
    Etcd {
        /// What we asked etcd for.
        op: &'static str,
        /// What the client said.
        #[source]
        source: etcd_client::Error,
    },
    /// A local file operation failed.
    #[error("failed to {op} {}: {source}", path.display())]
    Io {
        /// What we tried.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A snapshot's content does not match the sha256 stored after it (or it is too short to hold one).
    #[error("snapshot {name} is corrupt: {reason}")]
    CorruptSnapshot {
        /// Snapshot (object) name.
        name: String,
        /// `sha256 mismatch` or what else is wrong with it.
        reason: String,
    },
    /// The snapshots of the latest chain cannot be applied in order.
    #[error("snapshot chain is broken at {name}: {reason}")]
    BrokenChain {
        /// The first snapshot that does not fit.
        name: String,
        /// Why.
        reason: String,
    },
    /// etcd's snapshot stream ended early or was not a snapshot.
    #[error("etcd snapshot stream is incomplete: {0}")]
    IncompleteSnapshotStream(String),
    /// The watch cannot start at the wanted revision because etcd compacted it away.
    #[error("revision {wanted} is compacted (compact revision {compact_revision})")]
    Compacted {
        /// The revision we wanted to watch from.
        wanted: i64,
        /// etcd's compact revision.
        compact_revision: i64,
    },
    /// etcd cancelled the watch for another reason.
    #[error("etcd cancelled the watch: {0}")]
    WatchCancelled(String),
    /// A helper process (etcd, etcdctl) failed.
    #[error("failed to {what}: {reason}")]
    Process {
        /// What the process was for.
        what: String,
        /// Exit status, log tail, or why it could not start.
        reason: String,
    },
    /// The data directory is corrupt and there is no backup to restore it from.
    #[error("refusing to start: data directory {} is corrupt ({reason}) and there is no backup to restore", data_dir.display())]
    CorruptWithoutBackup {
        /// The data directory.
        data_dir: PathBuf,
        /// Why it is considered corrupt.
        reason: String,
    },
    /// Some deletions of a garbage collection run failed (they are retried on the next run).
    #[error("failed to delete {failed} snapshot(s) during garbage collection")]
    GcIncomplete {
        /// How many.
        failed: usize,
    },
    /// The snapshotter has stopped and can no longer take snapshots.
    #[error("failed to create bucket {bucket}: {reason}")]
    CreateBucket { bucket: String, reason: String },

    #[error("the snapshotter is not running")]
    SnapshotterStopped,
}

impl Error {
    pub(crate) fn store(op: &'static str, path: impl ToString, source: object_store::Error) -> Self {
        Error::Store { op, path: path.to_string(), source }
    }

    pub(crate) fn etcd(op: &'static str, source: etcd_client::Error) -> Self {
        Error::Etcd { op, source }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { op, path: path.into(), source }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
