//! What a MachineClass of an OpenStack machine says (`providerSpec`, the shape of MCM's OpenStack provider).

use std::collections::BTreeMap;

use machine_driver::DriverError;
use serde::{Deserialize, Serialize};

/// Metadata key (and server tag) prefix naming the cluster (shoot technical ID) a server belongs to.
pub const CLUSTER_KEY_PREFIX: &str = "kubernetes.io-cluster-";
/// Metadata key (and server tag) marking worker nodes.
pub const NODE_ROLE_KEY: &str = "kubernetes.io-role-node";

/// `MachineClass.providerSpec` of an OpenStack machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSpec {
    /// The image by ID, or by name ([`ProviderSpec::image_name`]) when empty.
    #[serde(default, rename = "imageID", skip_serializing_if = "String::is_empty")]
    pub image_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image_name: String,
    pub region: String,
    pub availability_zone: String,
    pub flavor_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_name: String,
    /// Security group names.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// Server metadata (must carry `kubernetes.io-cluster-<technicalID>`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default, rename = "networkID")]
    pub network_id: String,
    #[serde(default, rename = "subnetID", skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod_network_cidr: String,
    /// Root disk size in GiB (0: the flavor's).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub root_disk_size: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_config_drive: Option<bool>,
    #[serde(default, rename = "serverGroupID", skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

impl ProviderSpec {
    /// Decodes and checks a class's `providerSpec`: what is missing is named.
    pub fn parse(value: &serde_json::Value) -> Result<Self, DriverError> {
        let spec: ProviderSpec = serde_json::from_value(value.clone())
            .map_err(|e| DriverError::invalid(format!("providerSpec is not an OpenStack provider spec: {e}")))?;
        let mut missing = Vec::new();
        if spec.image_id.is_empty() && spec.image_name.is_empty() {
            missing.push("imageID or imageName");
        }
        for (name, value) in [("region", &spec.region), ("flavorName", &spec.flavor_name)] {
            if value.is_empty() {
                missing.push(name);
            }
        }
        if spec.cluster().is_none() {
            missing.push("tags[kubernetes.io-cluster-<technicalID>]");
        }
        if !missing.is_empty() {
            return Err(DriverError::invalid(format!("providerSpec lacks {}", missing.join(", "))));
        }
        Ok(spec)
    }

    /// The technical ID of the shoot the class's servers belong to (from its cluster key).
    pub fn cluster(&self) -> Option<&str> {
        self.tags.keys().find_map(|k| k.strip_prefix(CLUSTER_KEY_PREFIX)).filter(|c| !c.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcm_shaped_specs_decode_and_what_is_missing_is_named() {
        let spec = ProviderSpec::parse(&serde_json::json!({
            "imageName": "debian-12", "region": "RegionOne", "availabilityZone": "nova", "flavorName": "m1.small",
            "keyName": "shoot--dev--os", "securityGroups": ["shoot--dev--os"], "networkID": "n-1",
            "tags": {"kubernetes.io-cluster-shoot--dev--os": "1", "kubernetes.io-role-node": "1"}
        }))
        .unwrap();
        assert_eq!(spec.cluster(), Some("shoot--dev--os"));
        let err = ProviderSpec::parse(&serde_json::json!({"region": "", "availabilityZone": "", "flavorName": ""}))
            .unwrap_err();
        assert!(
            err.message.contains("imageID or imageName, region, flavorName, tags[kubernetes.io-cluster-<technicalID>]"),
            "{err:?}"
        );
    }
}
