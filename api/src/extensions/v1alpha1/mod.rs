//! `extensions.gardener.cloud/v1alpha1` kinds.

pub mod cluster;
pub mod worker;

pub use cluster::*;
pub use worker::*;

/// API group of this version.
pub const GROUP: &str = "extensions.gardener.cloud";
/// Plural resource name of Workers.
pub const WORKERS: &str = "workers";
/// Plural resource name of Clusters.
pub const CLUSTERS: &str = "clusters";
