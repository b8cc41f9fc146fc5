//! `InfrastructureConfig`: a shoot's network layout in OpenStack (`Shoot.spec.provider.infrastructureConfig`, passed
//! on as `Infrastructure.spec.providerConfig`); `InfrastructureStatus`: what the extension created for it
//! (`Infrastructure.status.providerStatus`, passed on to the `Worker`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{impl_provider_kind, null_as_default};

/// The network layout of a shoot in OpenStack: the floating pool its router and load balancers take addresses
/// from, and the workers subnet in a new or an existing network.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureConfig {
    /// `openstack.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `InfrastructureConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The external network (floating pool) of the router and of load balancer addresses; one the CloudProfile's
    /// `constraints.floatingPools` allows. Cannot change later.
    #[serde(default)]
    pub floating_pool_name: String,
    /// Subnet of the floating pool the router is attached to: a name, or a pattern with `*` at its start or end.
    /// Not with an existing router.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floating_pool_subnet_name: Option<String>,
    /// Router, network and workers subnet.
    #[serde(default)]
    pub networks: Networks,
}

impl_provider_kind!(InfrastructureConfig);

/// The router, the network and the workers subnet of a shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Networks {
    /// An existing router to attach the workers subnet to; absent, the extension creates one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<Router>,
    /// Deprecated spelling of [`Networks::workers`], read when `workers` is empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub worker: String,
    /// Address range of the workers subnet the extension creates (the nodes' addresses); must lie inside the
    /// shoot's nodes CIDR.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workers: String,
    /// ID (UUID) of an existing network to create the workers subnet in; absent, the extension creates a network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A Manila share network for NFS volumes (needed by the CSI Manila driver of the `ControlPlaneConfig`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_network: Option<ShareNetwork>,
}

impl Networks {
    /// The workers subnet's CIDR with the field that holds it (`workers`, else the deprecated `worker`), if any.
    pub fn workers_cidr(&self) -> Option<(&'static str, &str)> {
        if !self.workers.is_empty() {
            Some(("workers", &self.workers))
        } else if !self.worker.is_empty() {
            Some(("worker", &self.worker))
        } else {
            None
        }
    }
}

/// An existing router.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Router {
    /// Router ID (UUID).
    #[serde(default)]
    pub id: String,
}

/// Share network switch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShareNetwork {
    /// Whether a share network is created; once on, it stays on.
    #[serde(default)]
    pub enabled: bool,
}

/// What the extension created (or found) for a shoot's infrastructure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureStatus {
    /// `openstack.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `InfrastructureStatus`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The network and what is attached to it.
    #[serde(default)]
    pub networks: NetworkStatus,
    /// Node resources.
    #[serde(default)]
    pub node: NodeStatus,
    /// Security groups, per purpose.
    #[serde(default, deserialize_with = "null_as_default")]
    pub security_groups: Vec<SecurityGroup>,
}

impl_provider_kind!(InfrastructureStatus);

impl InfrastructureStatus {
    /// The subnet of `purpose` (e.g. [`super::PURPOSE_NODES`]).
    pub fn subnet(&self, purpose: &str) -> Option<&Subnet> {
        self.networks.subnets.iter().find(|s| s.purpose == purpose)
    }

    /// The security group of `purpose`.
    pub fn security_group(&self, purpose: &str) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|g| g.purpose == purpose)
    }
}

/// The network of a shoot (created, or the given one) and the resources around it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkStatus {
    /// Network ID.
    #[serde(default)]
    pub id: String,
    /// Network name.
    #[serde(default)]
    pub name: String,
    /// The floating pool (external network) in use.
    #[serde(default)]
    pub floating_pool: FloatingPoolStatus,
    /// The router.
    #[serde(default)]
    pub router: RouterStatus,
    /// Subnets, per purpose.
    #[serde(default, deserialize_with = "null_as_default")]
    pub subnets: Vec<Subnet>,
    /// The share network, when one is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_network: Option<ShareNetworkStatus>,
}

/// The floating pool of a shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FloatingPoolStatus {
    /// External network ID.
    #[serde(default)]
    pub id: String,
    /// External network name.
    #[serde(default)]
    pub name: String,
}

/// The router of a shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouterStatus {
    /// Router ID.
    #[serde(default)]
    pub id: String,
    /// Deprecated: the first of [`RouterStatus::external_fixed_ips`].
    #[serde(default)]
    pub ip: String,
    /// The router's addresses in the external network (IPv4 and IPv6); singular `externalFixedIP` on the wire.
    #[serde(rename = "externalFixedIP", default, deserialize_with = "null_as_default")]
    pub external_fixed_ips: Vec<String>,
}

/// A subnet of the shoot's network.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subnet {
    /// What it is for, e.g. `nodes`.
    #[serde(default)]
    pub purpose: String,
    /// Subnet ID.
    #[serde(default)]
    pub id: String,
    /// Its address range (written by newer extension versions only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cidr: String,
}

/// A share network of the shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShareNetworkStatus {
    /// Share network ID.
    #[serde(default)]
    pub id: String,
    /// Share network name.
    #[serde(default)]
    pub name: String,
}

/// Node resources of a shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    /// Name of the key pair holding the shoot's SSH public key.
    #[serde(default)]
    pub key_name: String,
}

/// A security group of the shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroup {
    /// What it is for, e.g. `nodes`.
    #[serde(default)]
    pub purpose: String,
    /// Security group ID.
    #[serde(default)]
    pub id: String,
    /// Security group name.
    #[serde(default)]
    pub name: String,
}
