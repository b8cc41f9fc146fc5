//! `openstack.provider.extensions.gardener.cloud/v1alpha1` kinds: `InfrastructureConfig` / `InfrastructureStatus`,
//! `ControlPlaneConfig`, `WorkerConfig` / `WorkerStatus` and `CloudProfileConfig`.
//!
//! JSON names, shapes and optionality follow gardener/gardener-extension-provider-openstack's
//! `pkg/apis/openstack/v1alpha1`, so manifests written for Gardener decode here and round-trip unchanged. None of
//! these kinds is an API resource: they travel inside Gardener's kinds, hence `apiVersion`/`kind` are omitted when
//! empty (Go's `TypeMeta` is `omitempty`) and [`decode`] checks them.
//!
//! Not modelled (yet): the machine capabilities of GEP-33 (`capabilityFlavors` of image versions, `capabilities` of
//! worker status images), subnet pools and IPv6 settings of `networks`, and `additionalSecurityGroups` of worker
//! pools. Like every unknown field, they are dropped when decoded here.

pub mod cloudprofile;
pub mod controlplane;
pub mod infrastructure;
pub mod validation;
pub mod worker;

pub use cloudprofile::*;
pub use controlplane::*;
pub use infrastructure::*;
pub use worker::*;

pub(crate) use crate::provider::null_as_default;
pub use crate::provider::{decode, encode, ProviderKind};

/// API group of this version.
pub const GROUP: &str = "openstack.provider.extensions.gardener.cloud";
/// Version name.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of kinds in this version.
pub const API_VERSION: &str = "openstack.provider.extensions.gardener.cloud/v1alpha1";
/// The provider type (`spec.provider.type`) of OpenStack shoots, seeds and cloud profiles.
pub const PROVIDER_TYPE: &str = "openstack";

/// Purpose of the resources the worker nodes use (subnet, security group).
pub const PURPOSE_NODES: &str = "nodes";

/// Load balancer class purpose: the class of services without a class annotation.
pub const LOAD_BALANCER_CLASS_DEFAULT: &str = "default";
/// Load balancer class purpose: the class of internal load balancers.
pub const LOAD_BALANCER_CLASS_PRIVATE: &str = "private";
/// Load balancer class purpose: the class of the shoot's VPN load balancer; only a CloudProfile may define it.
pub const LOAD_BALANCER_CLASS_VPN: &str = "vpn";

/// Server group policy that places all of a pool's machines on one host, hence in one zone.
pub const SERVER_GROUP_POLICY_AFFINITY: &str = "affinity";

/// Implements [`ProviderKind`] for a kind of this version (the provider-wide `impl_provider_kind!` with this
/// version's [`API_VERSION`]).
macro_rules! impl_provider_kind {
    ($ty:ident) => {
        $crate::provider::impl_provider_kind!($crate::provider::openstack::v1alpha1::API_VERSION, $ty);
    };
}
pub(crate) use impl_provider_kind;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod roundtrip_tests;
