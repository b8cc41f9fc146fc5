//! `aws.provider.extensions.gardener.cloud/v1alpha1` kinds: `InfrastructureConfig` / `InfrastructureStatus`,
//! `ControlPlaneConfig`, `WorkerConfig` / `WorkerStatus` and `CloudProfileConfig`.
//!
//! JSON names, shapes and optionality follow gardener/gardener-extension-provider-aws's `pkg/apis/aws/v1alpha1`,
//! so manifests written for Gardener decode here and round-trip unchanged. None of these kinds is an API
//! resource: they travel inside Gardener's kinds, hence `apiVersion`/`kind` are omitted when empty (Go's
//! `TypeMeta` is `omitempty`) and [`decode`] checks them.

pub mod cloudprofile;
pub mod controlplane;
pub mod infrastructure;
pub mod validation;
pub mod worker;

pub use cloudprofile::*;
pub use controlplane::*;
pub use infrastructure::*;
pub use worker::*;

/// API group of this version.
pub const GROUP: &str = "aws.provider.extensions.gardener.cloud";
/// Version name.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of kinds in this version.
pub const API_VERSION: &str = "aws.provider.extensions.gardener.cloud/v1alpha1";
/// The provider type (`spec.provider.type`) of AWS shoots, seeds and cloud profiles.
pub const PROVIDER_TYPE: &str = "aws";

/// Purpose of the resources the worker nodes use (subnets, security group, instance profile, role).
pub const PURPOSE_NODES: &str = "nodes";
/// Purpose of the subnets of public load balancers.
pub const PURPOSE_PUBLIC: &str = "public";
/// Purpose of the subnets of internal load balancers.
pub const PURPOSE_INTERNAL: &str = "internal";

/// `httpTokens`: only IMDSv2 (session tokens) may reach the instance metadata.
pub const HTTP_TOKENS_REQUIRED: &str = "required";
/// `httpTokens`: IMDSv1 and IMDSv2 may both reach the instance metadata.
pub const HTTP_TOKENS_OPTIONAL: &str = "optional";

/// EBS volume type `io1` (provisioned IOPS: `iops` is required).
pub const VOLUME_TYPE_IO1: &str = "io1";
/// EBS volume type `gp2`.
pub const VOLUME_TYPE_GP2: &str = "gp2";
/// EBS volume type `gp3`.
pub const VOLUME_TYPE_GP3: &str = "gp3";

pub(crate) use crate::provider::null_as_default;
pub use crate::provider::{decode, encode, ProviderKind};

/// Implements [`ProviderKind`] for a kind of this version (the provider-wide `impl_provider_kind!` with this
/// version's [`API_VERSION`]).
macro_rules! impl_provider_kind {
    ($ty:ident) => {
        $crate::provider::impl_provider_kind!($crate::provider::aws::v1alpha1::API_VERSION, $ty);
    };
}
pub(crate) use impl_provider_kind;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod roundtrip_tests;
