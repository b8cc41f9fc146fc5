//! `extensions.gardener.cloud/v1alpha1` kinds.

pub mod cluster;
pub mod infrastructure;
pub mod worker;

pub use cluster::*;
pub use infrastructure::*;
pub use worker::*;

/// API group of this version.
pub const GROUP: &str = "extensions.gardener.cloud";
/// Plural resource name of Workers.
pub const WORKERS: &str = "workers";
/// Plural resource name of Clusters.
pub const CLUSTERS: &str = "clusters";
/// Plural resource name of Infrastructures.
pub const INFRASTRUCTURES: &str = "infrastructures";
