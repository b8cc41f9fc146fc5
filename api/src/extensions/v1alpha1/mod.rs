//! `extensions.gardener.cloud/v1alpha1` kinds.

pub mod worker;

pub use worker::*;

/// API group of this version.
pub const GROUP: &str = "extensions.gardener.cloud";
/// Plural resource name of Workers.
pub const WORKERS: &str = "workers";
