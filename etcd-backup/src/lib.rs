//! Continuous backup of one etcd to object storage, and restore from it — the job of Gardener's
//! etcd-backup-restore sidecar, with its object layout (`<prefix>/v2/Full-…`, `<prefix>/v2/Incr-…`).
//!
//! - [`store`]: the store configuration (S3, GCS, Azure Blob, local directory) and opening it.
//! - [`layout`]: snapshot names, listing, the latest chain (a full snapshot plus the deltas after it).
//! - [`integrity`]: every object is `payload || sha256(payload)`, checked while streaming.
//! - [`full`]: a full snapshot, streamed from etcd into a multipart upload.
//! - [`delta`]: delta snapshots, recorded from a watch on all keys.
//! - [`gc`]: which old snapshots to delete (Gardener's `Exponential` and `LimitBased` policies).
//! - [`schedule`]: when full snapshots are due (period or cron).
//! - [`snapshotter`]: the long-running loop tying these together, with status and [`metrics`].
//! - [`restore`]: validating a data directory and rebuilding it from the latest chain.
//! - [`etcd_process`]: the temporary etcd a validation or restore runs.
//! - [`server`]: the sidecar's HTTP endpoint (health, metrics, "take a full snapshot now").
//!
//! **Boundary**: this crate talks to one etcd (as a client, and to temporary etcd processes it starts) and to an
//! object store. It knows nothing of the garden API; the gardenlet runs the `etcd-backup` binary next to each
//! shoot etcd and calls `etcd-backup restore` before starting that etcd.
#![forbid(unsafe_code)]

pub mod delta;
pub mod error;
pub mod etcd_process;
pub mod full;
pub mod gc;
pub mod integrity;
pub mod layout;
pub mod metrics;
pub mod restore;
pub mod schedule;
pub mod server;
pub mod snapshotter;
pub mod store;

pub use error::{Error, Result};
