//! What a MachineClass of an AWS machine says (`providerSpec`, the shape of MCM's AWS provider) and which keys of
//! its secret hold the credentials.

use std::collections::BTreeMap;

use machine_driver::DriverError;
use serde::{Deserialize, Serialize};

/// Tag key prefix naming the cluster (shoot technical ID) an instance belongs to.
pub const CLUSTER_TAG_PREFIX: &str = "kubernetes.io/cluster/";
/// Tag marking worker nodes.
pub const NODE_ROLE_TAG: &str = "kubernetes.io/role/node";
/// The tag carrying the machine's name.
pub const NAME_TAG: &str = "Name";

/// Secret keys of the access key (MCM's names first, Gardener's credentials secret names second).
const ACCESS_KEY_ID: [&str; 2] = ["providerAccessKeyId", "accessKeyID"];
const SECRET_ACCESS_KEY: [&str; 2] = ["providerSecretAccessKey", "secretAccessKey"];

/// `MachineClass.providerSpec` of an AWS machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSpec {
    /// The AMI ID.
    pub ami: String,
    pub region: String,
    /// The instance type (e.g. `m5.large`).
    pub machine_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// The instance profile of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<Iam>,
    /// The subnet (of the machine's zone) and security groups; exactly one interface.
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterface>,
    /// Tags of the instance, its volumes and network interfaces (must carry the cluster tag).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub block_devices: Vec<BlockDevice>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Iam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterface {
    #[serde(rename = "subnetID")]
    pub subnet_id: String,
    #[serde(default, rename = "securityGroupIDs")]
    pub security_group_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDevice {
    /// `/root` (the AMI's root device) or a device name like `/dev/sdf`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    pub ebs: Ebs,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ebs {
    /// GiB.
    #[serde(default)]
    pub volume_size: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_on_termination: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
}

impl ProviderSpec {
    /// Parses and checks a class's `providerSpec`: AMI, region, type, one network interface with a subnet, a
    /// cluster tag. Errors are `InvalidArgument` naming the field.
    pub fn parse(value: &serde_json::Value) -> Result<Self, DriverError> {
        let spec: ProviderSpec = serde_json::from_value(value.clone())
            .map_err(|e| DriverError::invalid(format!("providerSpec is not an AWS machine spec: {e}")))?;
        let missing = |field: &str| DriverError::invalid(format!("providerSpec.{field} is required"));
        if spec.ami.is_empty() {
            return Err(missing("ami"));
        }
        if spec.region.is_empty() {
            return Err(missing("region"));
        }
        if spec.machine_type.is_empty() {
            return Err(missing("machineType"));
        }
        match spec.network_interfaces.as_slice() {
            [one] if !one.subnet_id.is_empty() => {}
            [_] => return Err(missing("networkInterfaces[0].subnetID")),
            _ => return Err(DriverError::invalid("providerSpec.networkInterfaces must hold exactly one interface")),
        }
        if spec.cluster().is_none() {
            return Err(DriverError::invalid(format!(
                "providerSpec.tags must carry a {CLUSTER_TAG_PREFIX}<cluster> tag (how the instances are found again)"
            )));
        }
        Ok(spec)
    }

    /// The cluster named by the `kubernetes.io/cluster/<name>` tag.
    pub fn cluster(&self) -> Option<&str> {
        self.tags.keys().find_map(|k| k.strip_prefix(CLUSTER_TAG_PREFIX)).filter(|c| !c.is_empty())
    }
}

/// The access key pair of a class secret.
#[derive(Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

impl AccessKey {
    /// The credentials in a class secret (`providerAccessKeyId` / `providerSecretAccessKey`, or Gardener's
    /// `accessKeyID` / `secretAccessKey`).
    pub fn from_secret(secret: &BTreeMap<String, Vec<u8>>) -> Result<Self, DriverError> {
        let get = |keys: [&str; 2]| {
            keys.iter()
                .find_map(|k| secret.get(*k))
                .and_then(|v| String::from_utf8(v.clone()).ok())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| DriverError::invalid(format!("the class secret has no {} (or {})", keys[0], keys[1])))
        };
        Ok(AccessKey { id: get(ACCESS_KEY_ID)?, secret: get(SECRET_ACCESS_KEY)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> serde_json::Value {
        json!({
            "ami": "ami-0123", "region": "eu-west-1", "machineType": "m5.large", "keyName": "shoot--dev--a-ssh",
            "iam": {"name": "shoot--dev--a-nodes"},
            "networkInterfaces": [{"subnetID": "subnet-1", "securityGroupIDs": ["sg-1"]}],
            "tags": {"kubernetes.io/cluster/shoot--dev--a": "1", "kubernetes.io/role/node": "1"},
            "blockDevices": [{"deviceName": "/root", "ebs": {"volumeSize": 50, "volumeType": "gp3"}}]
        })
    }

    #[test]
    fn a_complete_spec_parses_and_names_its_cluster() {
        let s = ProviderSpec::parse(&spec()).unwrap();
        assert_eq!(s.cluster(), Some("shoot--dev--a"));
        assert_eq!(s.network_interfaces[0].security_group_ids, ["sg-1"]);
        assert_eq!(serde_json::to_value(&s).unwrap(), spec());
    }

    #[test]
    fn incomplete_specs_name_the_field() {
        for (field, edit) in [
            ("ami", json!({"ami": ""})),
            ("machineType", json!({"machineType": ""})),
            ("networkInterfaces", json!({"networkInterfaces": []})),
            ("subnetID", json!({"networkInterfaces": [{"subnetID": ""}]})),
            ("kubernetes.io/cluster/", json!({"tags": {"Name": "x"}})),
        ] {
            let mut s = spec();
            for (k, v) in edit.as_object().unwrap() {
                s[k] = v.clone();
            }
            let e = ProviderSpec::parse(&s).unwrap_err();
            assert_eq!(e.code, machine_driver::Code::InvalidArgument);
            assert!(e.message.contains(field), "{field}: {e}");
        }
    }

    #[test]
    fn credentials_come_from_either_key_set_and_never_print() {
        let mut secret = BTreeMap::new();
        secret.insert("accessKeyID".to_string(), b"AKIA1".to_vec());
        secret.insert("secretAccessKey".to_string(), b"s3cr3t\n".to_vec());
        let key = AccessKey::from_secret(&secret).unwrap();
        assert_eq!((key.id.as_str(), key.secret.as_str()), ("AKIA1", "s3cr3t"));
        assert!(!format!("{key:?}").contains("s3cr3t"));
        secret.remove("secretAccessKey");
        let e = AccessKey::from_secret(&secret).unwrap_err();
        assert!(e.message.contains("providerSecretAccessKey"), "{e}");
    }
}
