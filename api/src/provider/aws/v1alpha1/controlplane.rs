//! `ControlPlaneConfig`: AWS-specific settings of a shoot's control plane components
//! (`Shoot.spec.provider.controlPlaneConfig`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::impl_provider_kind;

/// Settings of the AWS components of a shoot's control plane.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneConfig {
    /// `aws.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ControlPlaneConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The cloud-controller-manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_controller_manager: Option<CloudControllerManagerConfig>,
    /// The optional aws-load-balancer-controller (ALB ingress, NLB services).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_controller: Option<LoadBalancerControllerConfig>,
    /// Storage classes.
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
    /// Whether the custom route controller maintains routes to the pod CIDRs in the zones' route tables
    /// (absent means no).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_custom_route_controller: Option<bool>,
}

/// Settings of the aws-load-balancer-controller.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerControllerConfig {
    /// Whether it is deployed.
    #[serde(default)]
    pub enabled: bool,
    /// Ingress class it serves (`alb` when absent; empty: ingresses without a class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class_name: Option<String>,
}

/// Storage settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Storage {
    /// Whether the `default` StorageClass and VolumeSnapshotClass are marked as the cluster's defaults (absent
    /// means yes); `false` lets users make another class the default without Gardener undoing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_default_class: Option<bool>,
}
