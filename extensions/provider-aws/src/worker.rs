//! What the AWS provider adds to the generic Worker actuator: a machine class's `providerSpec` (the AMI of the
//! pool's image in the Worker's region from the CloudProfile's `providerConfig`, the zone's nodes subnet, the
//! nodes security group, instance profile and SSH key from the Infrastructure's status, the root volume and
//! the cluster tags), and the Worker's `providerStatus` (the AMI of every pool's image).

use std::collections::BTreeMap;

use garden_api::core::v1beta1::CloudProfile;
use garden_api::extensions::v1alpha1::{Worker, WorkerPool};
use garden_api::provider::aws::v1alpha1::{
    self as aws, find_ami, CloudProfileConfig, InfrastructureStatus, WorkerConfig, WorkerStatus, PURPOSE_NODES,
};
use kube::ResourceExt;
use serde_json::Value;
use worker_actuator::{architecture, infrastructure_status, pool_config, Delegate, Error};

use crate::spec::{BlockDevice, Ebs, Iam, NetworkInterface, ProviderSpec, CLUSTER_TAG_PREFIX, NODE_ROLE_TAG};

/// `Worker.spec.type` of AWS workers.
pub const WORKER_TYPE: &str = "aws";
/// MachineClass `provider` of AWS machines (MCM's name).
pub const CLASS_PROVIDER: &str = "AWS";
/// A `blockDevices[].deviceName` meaning the AMI's root device.
const ROOT_DEVICE: &str = "/root";

/// The AWS provider's [`Delegate`].
pub struct Aws;

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

fn cloud_profile_config(profile: &CloudProfile) -> Result<CloudProfileConfig, Error> {
    worker_actuator::cloud_profile_config(profile, "the AMIs of its images")
}

/// The AMI of `pool`'s image in `region`.
fn ami(config: &CloudProfileConfig, pool: &WorkerPool, region: &str) -> Result<String, Error> {
    let image = &pool.machine_image;
    find_ami(config, &image.name, &image.version, region, architecture(pool)).map(str::to_string).ok_or_else(|| {
        invalid(format!(
            "pool {}: the CloudProfile maps no AMI for image {} {} in region {region} ({})",
            pool.name,
            image.name,
            image.version,
            architecture(pool)
        ))
    })
}

impl Delegate for Aws {
    fn worker_type(&self) -> &'static str {
        WORKER_TYPE
    }

    fn class_provider(&self) -> &'static str {
        CLASS_PROVIDER
    }

    fn provider_spec(
        &self,
        worker: &Worker,
        pool: &WorkerPool,
        zone: &str,
        profile: &CloudProfile,
    ) -> Result<Value, Error> {
        let region = worker.spec.region.as_str();
        let ami = ami(&cloud_profile_config(profile)?, pool, region)?;
        let infra: InfrastructureStatus = infrastructure_status(worker)?;
        let pool_config: WorkerConfig = pool_config(pool)?;
        let subnet = infra.subnet(PURPOSE_NODES, zone).ok_or_else(|| {
            invalid(format!("pool {}: the infrastructure has no nodes subnet in zone {zone:?}", pool.name))
        })?;
        let security_group = infra
            .security_group(PURPOSE_NODES)
            .ok_or_else(|| invalid("the infrastructure has no nodes security group".into()))?;
        let iam = match pool_config.iam_instance_profile.as_ref() {
            Some(p) => Iam { name: p.name.clone(), arn: p.arn.clone() },
            None => {
                let profile = infra
                    .instance_profile(PURPOSE_NODES)
                    .ok_or_else(|| invalid("the infrastructure has no nodes instance profile".into()))?;
                Iam { name: Some(profile.name.clone()), arn: None }
            }
        };
        let cluster = worker.namespace().unwrap_or_default();
        let mut tags = BTreeMap::new();
        tags.insert(format!("{CLUSTER_TAG_PREFIX}{cluster}"), "1".to_string());
        tags.insert(NODE_ROLE_TAG.to_string(), "1".to_string());
        tags.insert("worker.gardener.cloud/pool".to_string(), pool.name.clone());
        let mut block_devices = Vec::new();
        if let Some(volume) = &pool.volume {
            let size = garden_api::quantity::whole_gib(&volume.size)
                .ok_or_else(|| invalid(format!("pool {}: volume size {:?} is not a size", pool.name, volume.size)))?;
            let tuning = pool_config.volume.clone().unwrap_or_default();
            block_devices.push(BlockDevice {
                device_name: Some(ROOT_DEVICE.into()),
                ebs: Ebs {
                    volume_size: size,
                    volume_type: volume.type_.clone(),
                    iops: tuning.iops,
                    throughput: tuning.throughput,
                    delete_on_termination: Some(true),
                    encrypted: volume.encrypted,
                },
            });
        }
        let spec = ProviderSpec {
            ami,
            region: region.to_string(),
            machine_type: pool.machine_type.clone(),
            key_name: Some(infra.ec2.key_name.clone()).filter(|k| !k.is_empty()),
            iam: Some(iam),
            network_interfaces: vec![NetworkInterface {
                subnet_id: subnet.id.clone(),
                security_group_ids: vec![security_group.id.clone()],
            }],
            tags,
            block_devices,
        };
        serde_json::to_value(spec).map_err(|e| invalid(format!("providerSpec of pool {}: {e}", pool.name)))
    }

    fn provider_status(&self, worker: &Worker, profile: &CloudProfile) -> Result<Option<Value>, Error> {
        let config = cloud_profile_config(profile)?;
        let mut status = WorkerStatus::default();
        for pool in &worker.spec.pools {
            let image = aws::MachineImage {
                name: pool.machine_image.name.clone(),
                version: pool.machine_image.version.clone(),
                ami: ami(&config, pool, &worker.spec.region)?,
                architecture: Some(architecture(pool).to_string()),
            };
            if !status.machine_images.contains(&image) {
                status.machine_images.push(image);
            }
        }
        Ok(Some(aws::encode(&status)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile() -> CloudProfile {
        serde_json::from_value(json!({"metadata": {"name": "aws"}, "spec": {"type": "aws", "kubernetes": {"versions": []},
            "machineImages": [], "regions": [], "machineTypes": [{"name": "m5.large", "cpu": "2", "gpu": "0", "memory": "8Gi"}],
            "providerConfig": {"apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1", "kind": "CloudProfileConfig",
                "machineImages": [{"name": "gardenlinux", "versions": [{"version": "1592.1.0",
                    "regions": [{"name": "eu-west-1", "ami": "ami-0123", "architecture": "amd64"}]}]}]}}}))
        .unwrap()
    }

    fn worker(region: &str) -> Worker {
        serde_json::from_value(json!({
            "metadata": {"name": "a", "namespace": "shoot--dev--a", "uid": "w1"},
            "spec": {"type": "aws", "region": region, "secretRef": {"name": "cloudprovider", "namespace": "shoot--dev--a"},
                "infrastructureProviderStatus": {"apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
                    "kind": "InfrastructureStatus", "ec2": {"keyName": "shoot--dev--a-ssh-publickey"},
                    "iam": {"instanceProfiles": [{"purpose": "nodes", "name": "shoot--dev--a-nodes"}], "roles": []},
                    "vpc": {"id": "vpc-1", "subnets": [{"purpose": "nodes", "id": "subnet-a", "zone": "eu-west-1a"}],
                        "securityGroups": [{"purpose": "nodes", "id": "sg-1"}]}},
                "pools": [{"name": "pool", "machineType": "m5.large", "machineImage": {"name": "gardenlinux", "version": "1592.1.0"},
                    "minimum": 1, "maximum": 2, "zones": ["eu-west-1a"], "volume": {"type": "gp3", "size": "50Gi"},
                    "userDataSecretRef": {"name": "worker-user-data", "key": "userData"}}]}
        }))
        .unwrap()
    }

    #[test]
    fn a_class_names_the_ami_subnet_group_profile_key_tags_and_volume() {
        let w = worker("eu-west-1");
        let spec = Aws.provider_spec(&w, &w.spec.pools[0], "eu-west-1a", &profile()).unwrap();
        let parsed = ProviderSpec::parse(&spec).unwrap();
        assert_eq!(parsed.ami, "ami-0123");
        assert_eq!(parsed.network_interfaces[0].subnet_id, "subnet-a");
        assert_eq!(parsed.network_interfaces[0].security_group_ids, ["sg-1"]);
        assert_eq!(parsed.iam.as_ref().unwrap().name.as_deref(), Some("shoot--dev--a-nodes"));
        assert_eq!(parsed.key_name.as_deref(), Some("shoot--dev--a-ssh-publickey"));
        assert_eq!(parsed.cluster(), Some("shoot--dev--a"));
        assert_eq!(parsed.block_devices[0].ebs.volume_size, 50);
        let status = Aws.provider_status(&w, &profile()).unwrap().unwrap();
        assert_eq!(status["machineImages"][0]["ami"], "ami-0123");
    }

    #[test]
    fn a_region_without_an_ami_or_a_zone_without_a_subnet_is_named() {
        let w = worker("us-east-1");
        let e = Aws.provider_spec(&w, &w.spec.pools[0], "eu-west-1a", &profile()).unwrap_err();
        assert!(e.to_string().contains("no AMI for image gardenlinux 1592.1.0 in region us-east-1"), "{e}");
        let w = worker("eu-west-1");
        let e = Aws.provider_spec(&w, &w.spec.pools[0], "eu-west-1b", &profile()).unwrap_err();
        assert!(e.to_string().contains("no nodes subnet in zone \"eu-west-1b\""), "{e}");
    }
}
