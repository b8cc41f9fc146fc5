//! The `Seed` kind: a cluster hosting shoot control planes.

use super::common::*;
use crate::macros::impl_resource;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A cluster registered to host shoot control planes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `Seed`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: SeedSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SeedStatus>,
}

impl_resource!(Seed, "core.gardener.cloud", "v1beta1", "Seed", super::SEEDS, k8s_openapi::ClusterResourceScope);

/// Desired state of a Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedSpec {
    /// Backup settings for etcd of hosted shoots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<Backup>,
    /// DNS settings.
    #[serde(default)]
    pub dns: SeedDns,
    /// Networks of the seed.
    #[serde(default)]
    pub networks: SeedNetworks,
    /// Provider of the seed.
    #[serde(default)]
    pub provider: SeedProvider,
    /// Taints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<SeedTaint>,
    /// Volume settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<SeedVolume>,
    /// Seed settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SeedSettings>,
    /// Ingress settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
    /// Supported access restrictions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_restrictions: Vec<AccessRestriction>,
    /// Extensions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// Referenced resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<NamedResourceReference>,
}

/// DNS settings of a Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedDns {
    /// DNS provider for the ingress domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<SeedDnsProvider>,
    /// Internal domain provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<SeedDnsProviderConfig>,
    /// Default domain providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<SeedDnsProviderConfig>,
}

/// DNS provider of a Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedDnsProvider {
    /// Provider type.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_ref: Option<ObjectReference>,
}

/// A DNS domain with its provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedDnsProviderConfig {
    /// Provider type.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Domain.
    #[serde(default)]
    pub domain: String,
    /// Hosted zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Credentials.
    #[serde(default)]
    pub credentials_ref: ObjectReference,
}

/// Ingress settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ingress {
    /// Ingress domain.
    #[serde(default)]
    pub domain: String,
    /// Ingress controller.
    #[serde(default)]
    pub controller: IngressController,
}

/// Ingress controller.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressController {
    /// Controller kind (`nginx`).
    #[serde(default)]
    pub kind: String,
    /// Controller configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
}

/// Networks of a Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedNetworks {
    /// Node CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<String>,
    /// Pod CIDR.
    #[serde(default)]
    pub pods: String,
    /// Service CIDR.
    #[serde(default)]
    pub services: String,
    /// Default shoot networks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shoot_defaults: Option<ShootNetworks>,
    /// CIDRs blocked for shoots.
    #[serde(rename = "blockCIDRs", default, skip_serializing_if = "Vec::is_empty")]
    pub block_cidrs: Vec<String>,
    /// IP families.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_families: Vec<String>,
}

/// Default shoot networks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShootNetworks {
    /// Default pod CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<String>,
    /// Default service CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<String>,
}

/// Provider of a Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedProvider {
    /// Provider type.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Provider configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Region.
    #[serde(default)]
    pub region: String,
    /// Zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

/// Seed settings (rarely used parts kept as raw JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedSettings {
    /// Excess capacity reservation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_capacity_reservation: Option<serde_json::Value>,
    /// Scheduling visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling: Option<SeedSettingScheduling>,
    /// Load balancer services settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_services: Option<serde_json::Value>,
    /// VPA settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_pod_autoscaler: Option<serde_json::Value>,
    /// Dependency watchdog settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency_watchdog: Option<serde_json::Value>,
    /// Topology-aware routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_aware_routing: Option<serde_json::Value>,
    /// Zone selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_selection: Option<serde_json::Value>,
    /// PVC autoscaler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_autoscaler: Option<serde_json::Value>,
}

/// Whether the scheduler considers the seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedSettingScheduling {
    /// Visible to the scheduler.
    #[serde(default)]
    pub visible: bool,
}

/// A seed taint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedTaint {
    /// Key.
    #[serde(default)]
    pub key: String,
    /// Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Volume settings of a Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedVolume {
    /// Minimum volume size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_size: Option<Quantity>,
    /// Volume providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub providers: Vec<SeedVolumeProvider>,
}

/// A volume provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedVolumeProvider {
    /// Purpose (e.g. `etcd-main`).
    #[serde(default)]
    pub purpose: String,
    /// Storage class name.
    #[serde(default)]
    pub name: String,
}

/// Observed state of a Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedStatus {
    /// Gardenlet information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gardener: Option<Gardener>,
    /// Kubernetes version of the seed cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_type)]
    pub conditions: Vec<Condition>,
    /// Most recent observed generation.
    #[serde(default, skip_serializing_if = "super::shoot::is_zero_i64")]
    pub observed_generation: i64,
    /// Cluster identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_identity: Option<String>,
    /// Capacity (e.g. `shoots`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity: BTreeMap<String, Quantity>,
    /// Allocatable capacity.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocatable: BTreeMap<String, Quantity>,
    /// Expiration of the gardenlet client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_expiration_timestamp: Option<Time>,
    /// Last operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
}
