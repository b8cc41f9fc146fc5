//! `Worker`: the worker pools of one shoot, handed by the gardenlet to the provider extension / machine
//! controller of the seed, which reports the machine deployments and readiness in the status.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{SecretKeySelector, SecretReference, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::core::v1beta1::{Condition, LastError, LastOperation};
use crate::macros::impl_resource;

/// The worker pools of one shoot in its seed namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Worker {
    /// `extensions.gardener.cloud/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `Worker`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: WorkerSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WorkerStatus>,
}

impl_resource!(
    Worker,
    "extensions.gardener.cloud",
    "v1alpha1",
    "Worker",
    super::WORKERS,
    k8s_openapi::NamespaceResourceScope
);

/// Desired worker pools.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerSpec {
    /// Provider extension type, e.g. `local`, `aws`, `openstack`.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Provider-specific configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Output of the Infrastructure resource the pools are placed into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infrastructure_provider_status: Option<serde_json::Value>,
    /// The region.
    #[serde(default)]
    pub region: String,
    /// Cloud credentials.
    #[serde(default)]
    pub secret_ref: SecretReference,
    /// Public SSH key for the machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_public_key: Option<String>,
    /// The pools.
    #[serde(default)]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub pools: Vec<WorkerPool>,
}

/// One worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerPool {
    /// Pool name.
    #[serde(default)]
    pub name: String,
    /// Machine type.
    #[serde(default)]
    pub machine_type: String,
    /// Machine image.
    #[serde(default)]
    pub machine_image: MachineImage,
    /// Minimum number of machines.
    #[serde(default)]
    pub minimum: i32,
    /// Maximum number of machines.
    #[serde(default)]
    pub maximum: i32,
    /// Surge during rolling updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
    /// Unavailability during rolling updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// Node labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Node annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Node taints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    /// Zones of the pool.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Provider-specific configuration of the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Root volume size, e.g. `20Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<Volume>,
    /// Architecture of the machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Kubernetes version of the pool's kubelets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// The Secret key holding the machines' user data (placeholders `<<BOOTSTRAP_TOKEN>>` and
    /// `<<MACHINE_NAME>>` are filled in per machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data_secret_ref: Option<SecretKeySelector>,
    /// Machine controller settings of the pool (timeouts, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "machineControllerManager")]
    pub machine_controller_manager: Option<MachineControllerManagerSettings>,
}

/// Gardener's per-pool machine controller settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineControllerManagerSettings {
    /// Unknown longer than this: replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_health_timeout: Option<String>,
    /// Pending longer than this: replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_creation_timeout: Option<String>,
    /// How long a node is drained before its machine goes anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_drain_timeout: Option<String>,
    /// How often eviction of a pod is retried while draining.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_evict_retries: Option<i32>,
}

/// A machine image reference.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImage {
    /// Image name.
    #[serde(default)]
    pub name: String,
    /// Image version.
    #[serde(default)]
    pub version: String,
}

/// A machine volume.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Volume type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Size, e.g. `20Gi`.
    #[serde(default)]
    pub size: String,
    /// Whether the volume is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
}

/// Observed state reported by the extension.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The last operation of the extension on this resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// The last error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    /// Generation the status is for.
    #[serde(default)]
    pub observed_generation: i64,
    /// Machine deployments created for the pools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub machine_deployments: Vec<MachineDeployment>,
    /// Provider-specific status (e.g. the machine images used, with their cloud IDs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_status: Option<serde_json::Value>,
}

/// A machine deployment of a pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineDeployment {
    /// Name of the machine deployment.
    #[serde(default)]
    pub name: String,
    /// Minimum machines.
    #[serde(default)]
    pub minimum: i32,
    /// Maximum machines.
    #[serde(default)]
    pub maximum: i32,
}
