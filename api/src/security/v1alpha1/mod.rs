//! `security.gardener.cloud/v1alpha1` kinds and validation.

pub mod credentialsbinding;
pub mod validation;

pub use credentialsbinding::*;

/// API group.
pub const GROUP: &str = "security.gardener.cloud";
/// Version name.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of kinds in this version.
pub const API_VERSION: &str = "security.gardener.cloud/v1alpha1";
/// Plural resource name of CredentialsBindings.
pub const CREDENTIALS_BINDINGS: &str = "credentialsbindings";
