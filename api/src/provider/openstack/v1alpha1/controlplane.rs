//! `ControlPlaneConfig`: OpenStack-specific settings of a shoot's control plane components
//! (`Shoot.spec.provider.controlPlaneConfig`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{impl_provider_kind, LoadBalancerClass};

/// Settings of the OpenStack components of a shoot's control plane (cloud-controller-manager, CSI drivers).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneConfig {
    /// `openstack.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ControlPlaneConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The cloud-controller-manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_controller_manager: Option<CloudControllerManagerConfig>,
    /// Load balancer classes that services of the shoot may select (annotation
    /// `loadbalancer.openstack.org/class`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_classes: Vec<LoadBalancerClass>,
    /// The Octavia provider of the shoot's load balancers (e.g. `amphora`, `haproxy`, `f5`); one the CloudProfile's
    /// `constraints.loadBalancerProviders` offers in the shoot's region.
    #[serde(default)]
    pub load_balancer_provider: String,
    /// Deprecated and unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Storage settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
}

impl_provider_kind!(ControlPlaneConfig);

/// Settings of the cloud-controller-manager.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudControllerManagerConfig {
    /// Feature gates switched on or off explicitly.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
}

/// Storage settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    /// The CSI Manila driver (NFS volumes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csi_manila: Option<CsiManila>,
}

/// CSI Manila switch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CsiManila {
    /// Whether the driver is deployed; needs the infrastructure's share network.
    #[serde(default)]
    pub enabled: bool,
}
