//! `CloudProfileConfig`: the AMI of each machine image version per region and architecture
//! (`CloudProfile.spec.providerConfig` of an `aws` profile).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{impl_provider_kind, null_as_default};
use crate::core::v1beta1::ARCH_AMD64;

/// Maps the logical machine images of a CloudProfile to AMIs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudProfileConfig {
    /// `aws.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `CloudProfileConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// One entry per image name of the profile.
    #[serde(default, deserialize_with = "null_as_default")]
    pub machine_images: Vec<MachineImages>,
}

impl_provider_kind!(CloudProfileConfig);

/// The versions of one logical machine image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImages {
    /// Logical image name, e.g. `gardenlinux`.
    #[serde(default)]
    pub name: String,
    /// Its versions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<MachineImageVersion>,
}

/// One version of a machine image and its AMIs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImageVersion {
    /// Logical version, as in the CloudProfile.
    #[serde(default)]
    pub version: String,
    /// The AMI per region and architecture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionAmiMapping>,
}

/// The AMI of an image version in one region, for one architecture.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionAmiMapping {
    /// Region, e.g. `eu-west-1`.
    #[serde(default)]
    pub name: String,
    /// The AMI (`ami-...`).
    #[serde(default)]
    pub ami: String,
    /// CPU architecture, `amd64` (the default) or `arm64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

impl RegionAmiMapping {
    /// The architecture, `amd64` when absent.
    pub fn architecture(&self) -> &str {
        self.architecture.as_deref().unwrap_or(ARCH_AMD64)
    }
}

/// The AMI of `image` at `version` in `region` for `architecture` (`amd64`, `arm64`), if the profile has one.
pub fn find_ami<'a>(
    cfg: &'a CloudProfileConfig,
    image: &str,
    version: &str,
    region: &str,
    architecture: &str,
) -> Option<&'a str> {
    cfg.machine_images
        .iter()
        .filter(|i| i.name == image)
        .flat_map(|i| &i.versions)
        .filter(|v| v.version == version)
        .flat_map(|v| &v.regions)
        .find(|r| r.name == region && r.architecture() == architecture)
        .map(|r| r.ami.as_str())
}
