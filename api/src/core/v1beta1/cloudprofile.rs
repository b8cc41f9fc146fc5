//! `CloudProfile` and `NamespacedCloudProfile`: what a provider offers.

use super::common::*;
use super::shoot::Cri;
use crate::macros::impl_resource;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Classification `preview`.
pub const CLASSIFICATION_PREVIEW: &str = "preview";
/// Classification `supported`.
pub const CLASSIFICATION_SUPPORTED: &str = "supported";
/// Classification `deprecated`.
pub const CLASSIFICATION_DEPRECATED: &str = "deprecated";
/// Classification `expired` (only in lifecycles).
pub const CLASSIFICATION_EXPIRED: &str = "expired";
/// Classification `unavailable` (only in lifecycles).
pub const CLASSIFICATION_UNAVAILABLE: &str = "unavailable";
/// Classifications accepted in `classification` fields.
pub const VALID_CLASSIFICATIONS: &[&str] =
    &[CLASSIFICATION_PREVIEW, CLASSIFICATION_SUPPORTED, CLASSIFICATION_DEPRECATED];

/// A cluster-scoped profile of a provider's offering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudProfile {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `CloudProfile`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The offering.
    #[serde(default)]
    pub spec: CloudProfileSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CloudProfileStatus>,
}

impl_resource!(
    CloudProfile,
    "core.gardener.cloud",
    "v1beta1",
    "CloudProfile",
    super::CLOUD_PROFILES,
    k8s_openapi::ClusterResourceScope
);

/// A provider's offering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudProfileSpec {
    /// CA bundle for provider endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
    /// Offered Kubernetes versions.
    #[serde(default)]
    pub kubernetes: KubernetesSettings,
    /// Offered machine images.
    #[serde(default)]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub machine_images: Vec<MachineImage>,
    /// Offered machine types.
    #[serde(default)]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub machine_types: Vec<MachineType>,
    /// Provider-specific configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Offered regions.
    #[serde(default)]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub regions: Vec<Region>,
    /// Seeds eligible for shoots of this profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_selector: Option<SeedSelector>,
    /// Provider type.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Offered volume types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub volume_types: Vec<VolumeType>,
    /// Bastion settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bastion: Option<Bastion>,
    /// Limits for shoots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Machine capability definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_capabilities: Vec<CapabilityDefinition>,
    /// Control plane settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<CloudProfileControlPlane>,
}

/// Control plane settings of a profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudProfileControlPlane {
    /// Whether shoots may pin their control plane to a zone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_zone_pinning: bool,
}

/// A capability name with its values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityDefinition {
    /// Capability name.
    #[serde(default)]
    pub name: String,
    /// Possible values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// Offered Kubernetes versions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesSettings {
    /// Versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_version)]
    pub versions: Vec<ExpirableVersion>,
}

/// A version with classification and expiration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpirableVersion {
    /// Semantic version.
    #[serde(default)]
    pub version: String,
    /// When the version expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<Time>,
    /// `preview`, `supported` or `deprecated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// Lifecycle stages (alternative to classification/expirationDate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle: Vec<LifecycleStage>,
}

/// A lifecycle stage of a version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleStage {
    /// Classification from `startTime` on.
    #[serde(default)]
    pub classification: String,
    /// Start of the stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
}

/// An offered machine image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImage {
    /// Image name.
    #[serde(default)]
    pub name: String,
    /// Image versions.
    #[serde(default)]
    #[schemars(transform = crate::markers::list_map_by_version)]
    pub versions: Vec<MachineImageVersion>,
    /// `patch`, `minor` or `major`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<String>,
}

/// A machine image version (ExpirableVersion is inlined).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImageVersion {
    /// Semantic version.
    #[serde(default)]
    pub version: String,
    /// When the version expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<Time>,
    /// `preview`, `supported` or `deprecated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// Lifecycle stages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle: Vec<LifecycleStage>,
    /// Supported container runtimes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cri: Vec<Cri>,
    /// Supported architectures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    /// Kubelet versions the image supports (semver constraint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet_version_constraint: Option<String>,
    /// In-place update support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_place_updates: Option<serde_json::Value>,
    /// Capability flavors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_flavors: Vec<serde_json::Value>,
}

impl MachineImageVersion {
    /// The version part as an [`ExpirableVersion`].
    pub fn expirable(&self) -> ExpirableVersion {
        ExpirableVersion {
            version: self.version.clone(),
            expiration_date: self.expiration_date.clone(),
            classification: self.classification.clone(),
            lifecycle: self.lifecycle.clone(),
        }
    }

    /// Architectures of this version; `amd64` when none is listed.
    pub fn effective_architectures(&self) -> Vec<String> {
        if self.architectures.is_empty() {
            vec![super::shoot::ARCH_AMD64.to_string()]
        } else {
            self.architectures.clone()
        }
    }
}

/// An offered machine type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineType {
    /// CPUs.
    #[serde(default)]
    pub cpu: Quantity,
    /// GPUs.
    #[serde(default)]
    pub gpu: Quantity,
    /// Memory.
    #[serde(default)]
    pub memory: Quantity,
    /// Type name.
    #[serde(default)]
    pub name: String,
    /// Storage of the machine type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<MachineTypeStorage>,
    /// Whether shoots may use it (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable: Option<bool>,
    /// CPU architecture (default amd64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Capabilities.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capabilities: BTreeMap<String, Vec<String>>,
    /// Machine controller manager settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_controller_manager: Option<serde_json::Value>,
}

/// Storage of a machine type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineTypeStorage {
    /// Storage class.
    #[serde(default)]
    pub class: String,
    /// Fixed size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Quantity>,
    /// Storage type.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Minimum size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<Quantity>,
}

/// An offered region.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// Region name.
    #[serde(default)]
    pub name: String,
    /// Availability zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub zones: Vec<AvailabilityZone>,
    /// Region labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Supported access restrictions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_restrictions: Vec<AccessRestriction>,
}

/// An availability zone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityZone {
    /// Zone name.
    #[serde(default)]
    pub name: String,
    /// Machine types not available in this zone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable_machine_types: Vec<String>,
    /// Volume types not available in this zone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable_volume_types: Vec<String>,
}

/// An offered volume type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeType {
    /// Storage class.
    #[serde(default)]
    pub class: String,
    /// Type name.
    #[serde(default)]
    pub name: String,
    /// Whether shoots may use it (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable: Option<bool>,
    /// Minimum size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<Quantity>,
}

/// Bastion settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bastion {
    /// Bastion machine image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_image: Option<BastionMachineImage>,
    /// Bastion machine type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_type: Option<BastionMachineType>,
}

/// Bastion machine image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BastionMachineImage {
    /// Image name.
    #[serde(default)]
    pub name: String,
    /// Image version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Bastion machine type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BastionMachineType {
    /// Type name.
    #[serde(default)]
    pub name: String,
}

/// Limits for shoots of a profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Max total nodes of a shoot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nodes_total: Option<i32>,
}

/// Observed state of a CloudProfile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudProfileStatus {
    /// Current Kubernetes version classifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesStatus>,
    /// Current machine image version classifications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_images: Vec<MachineImageStatus>,
}

/// Current Kubernetes version classifications.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesStatus {
    /// Versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<ExpirableVersionStatus>,
}

/// Current machine image version classifications.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImageStatus {
    /// Image name.
    #[serde(default)]
    pub name: String,
    /// Versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<ExpirableVersionStatus>,
}

/// A version with its current classification.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpirableVersionStatus {
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Current classification.
    #[serde(default)]
    pub classification: String,
}

/// A namespaced profile extending a parent CloudProfile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedCloudProfile {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `NamespacedCloudProfile`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Overrides of the parent profile.
    #[serde(default)]
    pub spec: NamespacedCloudProfileSpec,
    /// Merged result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NamespacedCloudProfileStatus>,
}

impl_resource!(
    NamespacedCloudProfile,
    "core.gardener.cloud",
    "v1beta1",
    "NamespacedCloudProfile",
    super::NAMESPACED_CLOUD_PROFILES,
    k8s_openapi::NamespaceResourceScope
);

/// Overrides of a parent CloudProfile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedCloudProfileSpec {
    /// CA bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
    /// Kubernetes version overrides (expiration dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesSettings>,
    /// Additional/overridden machine images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub machine_images: Vec<MachineImage>,
    /// Additional machine types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub machine_types: Vec<MachineType>,
    /// Additional volume types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub volume_types: Vec<VolumeType>,
    /// The parent CloudProfile.
    #[serde(default)]
    pub parent: CloudProfileReference,
    /// Provider config override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Limits override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
}

/// Observed state of a NamespacedCloudProfile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedCloudProfileStatus {
    /// Parent spec merged with the overrides.
    #[serde(default)]
    pub cloud_profile_spec: CloudProfileSpec,
    /// Most recent observed generation.
    #[serde(default, skip_serializing_if = "super::shoot::is_zero_i64")]
    pub observed_generation: i64,
}
