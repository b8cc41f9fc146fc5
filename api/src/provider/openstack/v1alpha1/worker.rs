//! `WorkerConfig`: OpenStack-specific settings of one worker pool (`Shoot.spec.provider.workers[].providerConfig`);
//! `WorkerStatus`: the images and server groups the extension used for a shoot's pools
//! (`Worker.status.providerStatus`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{impl_provider_kind, null_as_default};
use crate::core::v1beta1::ARCH_AMD64;
pub use crate::provider::NodeTemplate;

/// OpenStack-specific settings of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerConfig {
    /// `openstack.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `WorkerConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Node resources for the cluster autoscaler when it scales the pool up from zero, where they differ from what
    /// the flavor says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<NodeTemplate>,
    /// A Nova server group the extension creates for the pool's machines; changing it rolls the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group: Option<ServerGroup>,
    /// Labels (Nova metadata) on the pool's machines, not on its nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_labels: Vec<MachineLabel>,
}

impl_provider_kind!(WorkerConfig);

/// A server group of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerGroup {
    /// Placement policy of its members (`affinity`, `anti-affinity`, `soft-affinity`, `soft-anti-affinity`); one of
    /// the CloudProfile's `serverGroupPolicies`.
    #[serde(default)]
    pub policy: String,
}

/// A label of a pool's machines.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineLabel {
    /// Label key; not one of the pool's own labels.
    #[serde(default)]
    pub name: String,
    /// Label value.
    #[serde(default)]
    pub value: String,
    /// Whether changing the value rolls the pool's machines.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trigger_rolling_on_update: bool,
}

/// The machine images and server groups a shoot's pools use, kept so that pools keep reconciling after their
/// image version left the cloud profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
    /// `openstack.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `WorkerStatus`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The images in use.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub machine_images: Vec<MachineImage>,
    /// The server groups the extension created, per pool.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub server_group_dependencies: Vec<ServerGroupDependency>,
}

impl_provider_kind!(WorkerStatus);

impl WorkerStatus {
    /// The image `name` at `version` for `architecture` (an entry without architecture is `amd64`).
    pub fn machine_image(&self, name: &str, version: &str, architecture: &str) -> Option<&MachineImage> {
        self.machine_images.iter().find(|i| i.name == name && i.version == version && i.architecture() == architecture)
    }

    /// The server group the extension created for the pool `pool_name`.
    pub fn server_group_dependency(&self, pool_name: &str) -> Option<&ServerGroupDependency> {
        self.server_group_dependencies.iter().find(|d| d.pool_name == pool_name)
    }
}

/// A machine image with the Glance image it resolved to: an ID, or (the profile's fallback) an image name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImage {
    /// Logical image name, e.g. `gardenlinux`.
    #[serde(default)]
    pub name: String,
    /// Logical image version.
    #[serde(default)]
    pub version: String,
    /// Glance image name, when the image is found by name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// Glance image ID, when the region maps the version to one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// CPU architecture (`amd64` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

impl MachineImage {
    /// The architecture, `amd64` when absent.
    pub fn architecture(&self) -> &str {
        self.architecture.as_deref().unwrap_or(ARCH_AMD64)
    }
}

/// A server group the extension created for a pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerGroupDependency {
    /// The worker pool.
    #[serde(default)]
    pub pool_name: String,
    /// Server group ID.
    #[serde(default)]
    pub id: String,
    /// Server group name.
    #[serde(default)]
    pub name: String,
}
