//! `core.gardener.cloud/v1beta1` kinds, defaulting and validation.

pub mod backup;
pub mod cloudprofile;
pub mod common;
pub mod defaults;
pub mod helper;
pub mod project;
pub mod quota;
pub mod secretbinding;
pub mod seed;
pub mod shoot;
pub mod validation;

pub use backup::*;
pub use cloudprofile::*;
pub use common::*;
pub use project::*;
pub use quota::*;
pub use secretbinding::*;
pub use seed::*;
pub use shoot::*;

/// API group of this version.
pub const GROUP: &str = "core.gardener.cloud";
/// Version name.
pub const VERSION: &str = "v1beta1";
/// `apiVersion` of kinds in this version.
pub const API_VERSION: &str = "core.gardener.cloud/v1beta1";

/// Plural resource name of Shoots.
pub const SHOOTS: &str = "shoots";
/// Plural resource name of CloudProfiles.
pub const CLOUD_PROFILES: &str = "cloudprofiles";
/// Plural resource name of NamespacedCloudProfiles.
pub const NAMESPACED_CLOUD_PROFILES: &str = "namespacedcloudprofiles";
/// Plural resource name of Seeds.
pub const SEEDS: &str = "seeds";
/// Plural resource name of Projects.
pub const PROJECTS: &str = "projects";
/// Plural resource name of SecretBindings.
pub const SECRET_BINDINGS: &str = "secretbindings";
/// Plural resource name of Quotas.
pub const QUOTAS: &str = "quotas";
/// Plural resource name of BackupBuckets.
pub const BACKUP_BUCKETS: &str = "backupbuckets";
/// Plural resource name of BackupEntries.
pub const BACKUP_ENTRIES: &str = "backupentries";
/// Plural resource name of ShootStates.
pub const SHOOT_STATES: &str = "shootstates";

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod roundtrip_tests;
