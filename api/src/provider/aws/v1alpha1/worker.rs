//! `WorkerConfig`: AWS-specific settings of one worker pool (`Shoot.spec.provider.workers[].providerConfig`);
//! `WorkerStatus`: the AMIs the extension used for a shoot's pools (`Worker.status.providerStatus`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{impl_provider_kind, null_as_default};
use crate::core::v1beta1::ARCH_AMD64;
pub use crate::provider::NodeTemplate;

/// AWS-specific settings of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerConfig {
    /// `aws.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `WorkerConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Node resources for the cluster autoscaler when it scales the pool up from zero, where they differ from what
    /// the machine type says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<NodeTemplate>,
    /// Performance of the root volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<Volume>,
    /// Performance and source snapshot of data volumes, matched by name to the pool's `dataVolumes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_volumes: Vec<DataVolume>,
    /// The instance profile of the pool's VMs instead of the one the infrastructure created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_instance_profile: Option<IamInstanceProfile>,
    /// Access of the VMs to the instance metadata service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_metadata_options: Option<InstanceMetadataOptions>,
}

impl_provider_kind!(WorkerConfig);

impl WorkerConfig {
    /// The settings of the data volume `name`.
    pub fn data_volume(&self, name: &str) -> Option<&DataVolume> {
        self.data_volumes.iter().find(|v| v.name == name)
    }
}

/// Performance settings of an EBS volume.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Provisioned I/O operations per second (`io1`, `gp3`) or the burst baseline (`gp2`); required for `io1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    /// Throughput in MiB/s (`gp3` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i32>,
}

/// Settings of one data volume. On the wire the volume's fields sit beside `name` (Go's inlined `Volume`); they
/// are plain fields here so that unknown fields stay visible to the API server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataVolume {
    /// Name of the pool's data volume this applies to.
    #[serde(default)]
    pub name: String,
    /// See [`Volume::iops`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    /// See [`Volume::throughput`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i32>,
    /// EBS snapshot (`snap-...`) the volume is restored from.
    #[serde(rename = "snapshotID", default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
}

impl DataVolume {
    /// The performance settings.
    pub fn volume(&self) -> Volume {
        Volume { iops: self.iops, throughput: self.throughput }
    }
}

/// An IAM instance profile by name or by ARN (exactly one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IamInstanceProfile {
    /// Name of the instance profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ARN of the instance profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// Access to the instance metadata service (IMDS).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMetadataOptions {
    /// `required` (IMDSv2 only) or `optional` (IMDSv1 too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_tokens: Option<String>,
    /// Network hops a metadata response may travel, 1 to 64; 2 or more lets pods outside the host network reach
    /// IMDSv2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_put_response_hop_limit: Option<i32>,
}

/// The machine images a shoot's pools use, kept so that pools keep reconciling after their version left the
/// cloud profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
    /// `aws.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `WorkerStatus`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The images in use.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub machine_images: Vec<MachineImage>,
}

impl_provider_kind!(WorkerStatus);

impl WorkerStatus {
    /// The image `name` at `version` for `architecture` (an entry without architecture is `amd64`).
    pub fn machine_image(&self, name: &str, version: &str, architecture: &str) -> Option<&MachineImage> {
        self.machine_images.iter().find(|i| {
            i.name == name && i.version == version && i.architecture.as_deref().unwrap_or(ARCH_AMD64) == architecture
        })
    }
}

/// A machine image with the AMI it resolved to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImage {
    /// Logical image name, e.g. `gardenlinux`.
    #[serde(default)]
    pub name: String,
    /// Logical image version.
    #[serde(default)]
    pub version: String,
    /// The AMI.
    #[serde(default)]
    pub ami: String,
    /// CPU architecture (`amd64` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}
