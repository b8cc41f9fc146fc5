//! What the OpenStack provider adds to the generic Worker actuator: a machine class's `providerSpec` (the Glance
//! image of the pool's image in the Worker's region from the CloudProfile's `providerConfig`, the flavor, the
//! network, subnet, security group and key pair from the Infrastructure's status, the root disk and the cluster
//! metadata), and the Worker's `providerStatus` (the image every pool resolved to).

use std::collections::BTreeMap;

use garden_api::core::v1beta1::CloudProfile;
use garden_api::extensions::v1alpha1::{Worker, WorkerPool};
use garden_api::provider::openstack::v1alpha1::{
    self as os, find_image, CloudProfileConfig, InfrastructureStatus, MachineImage, WorkerConfig, WorkerStatus,
    PROVIDER_TYPE, PURPOSE_NODES,
};
use kube::ResourceExt;
use serde_json::Value;
use worker_actuator::{architecture, infrastructure_status, pool_config, Delegate, Error};

use crate::spec::{ProviderSpec, CLUSTER_KEY_PREFIX, NODE_ROLE_KEY};

/// MachineClass `provider` of OpenStack machines (MCM's name).
pub const CLASS_PROVIDER: &str = "OpenStack";
/// Metadata key naming the worker pool of a server (nova's metadata keys allow no `/`).
const POOL_KEY: &str = "worker.gardener.cloud_pool";

/// The OpenStack provider's [`Delegate`].
pub struct OpenStack;

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

fn cloud_profile_config(profile: &CloudProfile) -> Result<CloudProfileConfig, Error> {
    worker_actuator::cloud_profile_config(profile, "the Glance images of its images")
}

/// The Glance image (by ID, or by name) of `pool`'s image in `region`.
fn image(config: &CloudProfileConfig, pool: &WorkerPool, region: &str) -> Result<MachineImage, Error> {
    let i = &pool.machine_image;
    find_image(config, &i.name, &i.version, region, architecture(pool)).ok_or_else(|| {
        invalid(format!(
            "pool {}: the CloudProfile maps no Glance image for image {} {} in region {region} ({})",
            pool.name,
            i.name,
            i.version,
            architecture(pool)
        ))
    })
}

/// Whether nova takes `key` as a metadata key.
fn valid_metadata_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c))
}

impl Delegate for OpenStack {
    fn worker_type(&self) -> &'static str {
        PROVIDER_TYPE
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
        let image = image(&cloud_profile_config(profile)?, pool, region)?;
        let infra: InfrastructureStatus = infrastructure_status(worker)?;
        let pool_config: WorkerConfig = pool_config(pool)?;
        if pool_config.server_group.is_some() {
            return Err(invalid(format!("pool {}: server groups are not supported by this extension yet", pool.name)));
        }
        let subnet =
            infra.subnet(PURPOSE_NODES).ok_or_else(|| invalid("the infrastructure has no nodes subnet".into()))?;
        let security_group = infra
            .security_group(PURPOSE_NODES)
            .ok_or_else(|| invalid("the infrastructure has no nodes security group".into()))?;
        let cluster = worker.namespace().unwrap_or_default();
        let mut tags = BTreeMap::new();
        // Machine labels first: the keys this extension sets cannot be overridden by them.
        for label in &pool_config.machine_labels {
            if !valid_metadata_key(&label.name) {
                return Err(invalid(format!(
                    "pool {}: machine label {:?}: nova metadata keys are 1 to 255 of a-z A-Z 0-9 - _ : . and space",
                    pool.name, label.name
                )));
            }
            tags.insert(label.name.clone(), label.value.clone());
        }
        tags.insert(format!("{CLUSTER_KEY_PREFIX}{cluster}"), "1".to_string());
        tags.insert(NODE_ROLE_KEY.to_string(), "1".to_string());
        tags.insert(POOL_KEY.to_string(), pool.name.clone());
        let root_disk_size = match &pool.volume {
            Some(volume) => garden_api::quantity::whole_gib(&volume.size)
                .ok_or_else(|| invalid(format!("pool {}: volume size {:?} is not a size", pool.name, volume.size)))?,
            None => 0,
        };
        let spec = ProviderSpec {
            image_id: image.id,
            image_name: image.image,
            region: region.to_string(),
            availability_zone: zone.to_string(),
            flavor_name: pool.machine_type.clone(),
            key_name: infra.node.key_name.clone(),
            security_groups: vec![security_group.name.clone()],
            tags,
            network_id: infra.networks.id.clone(),
            subnet_id: Some(subnet.id.clone()).filter(|s| !s.is_empty()),
            pod_network_cidr: String::new(),
            root_disk_size,
            use_config_drive: None,
            server_group_id: None,
        };
        serde_json::to_value(spec).map_err(|e| invalid(format!("providerSpec of pool {}: {e}", pool.name)))
    }

    fn provider_status(&self, worker: &Worker, profile: &CloudProfile) -> Result<Option<Value>, Error> {
        let config = cloud_profile_config(profile)?;
        let mut status = WorkerStatus::default();
        for pool in &worker.spec.pools {
            let image = image(&config, pool, &worker.spec.region)?;
            if !status.machine_images.contains(&image) {
                status.machine_images.push(image);
            }
        }
        Ok(Some(os::encode(&status)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile() -> CloudProfile {
        serde_json::from_value(json!({"metadata": {"name": "openstack"}, "spec": {"type": "openstack",
            "kubernetes": {"versions": []}, "machineImages": [], "regions": [],
            "machineTypes": [{"name": "m1.small", "cpu": "1", "gpu": "0", "memory": "2Gi"}],
            "providerConfig": {"apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
                "kind": "CloudProfileConfig", "keystoneURL": "http://127.0.0.1:5050/v3",
                "machineImages": [{"name": "debian", "versions": [{"version": "12.0.0", "image": "debian-12",
                    "regions": [{"name": "RegionTwo", "id": "img-2"}]}]}]}}}))
        .unwrap()
    }

    fn worker(region: &str, pool_config: Value) -> Worker {
        serde_json::from_value(json!({
            "metadata": {"name": "os", "namespace": "shoot--dev--os", "uid": "w1"},
            "spec": {"type": "openstack", "region": region,
                "secretRef": {"name": "cloudprovider", "namespace": "shoot--dev--os"},
                "infrastructureProviderStatus": {"apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
                    "kind": "InfrastructureStatus",
                    "networks": {"id": "net-1", "name": "shoot--dev--os", "floatingPool": {"id": "ext", "name": "public"},
                        "router": {"id": "r-1", "ip": "172.24.4.5"},
                        "subnets": [{"purpose": "nodes", "id": "sub-1", "cidr": "10.250.0.0/19"}]},
                    "node": {"keyName": "shoot--dev--os"},
                    "securityGroups": [{"purpose": "nodes", "id": "sg-1", "name": "shoot--dev--os"}]},
                "pools": [{"name": "pool", "machineType": "m1.small", "machineImage": {"name": "debian", "version": "12.0.0"},
                    "minimum": 2, "maximum": 3, "zones": ["nova"], "volume": {"type": "standard", "size": "20Gi"},
                    "providerConfig": pool_config,
                    "userDataSecretRef": {"name": "worker-user-data", "key": "userData"}}]}
        }))
        .unwrap()
    }

    #[test]
    fn a_class_names_the_image_flavor_network_group_key_metadata_and_disk() {
        let labels = json!({"apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1", "kind": "WorkerConfig",
            "machineLabels": [{"name": "team", "value": "a"}, {"name": "kubernetes.io-role-node", "value": "0"}]});
        let w = worker("RegionOne", labels);
        let spec = OpenStack.provider_spec(&w, &w.spec.pools[0], "nova", &profile()).unwrap();
        let parsed = ProviderSpec::parse(&spec).unwrap();
        assert_eq!((parsed.image_name.as_str(), parsed.image_id.as_str()), ("debian-12", ""));
        assert_eq!((parsed.flavor_name.as_str(), parsed.availability_zone.as_str()), ("m1.small", "nova"));
        assert_eq!((parsed.network_id.as_str(), parsed.subnet_id.as_deref()), ("net-1", Some("sub-1")));
        assert_eq!(parsed.security_groups, ["shoot--dev--os"]);
        assert_eq!(parsed.key_name, "shoot--dev--os");
        assert_eq!(parsed.cluster(), Some("shoot--dev--os"));
        assert_eq!(parsed.tags["kubernetes.io-role-node"], "1");
        assert_eq!(parsed.tags["team"], "a");
        assert_eq!(parsed.root_disk_size, 20);
        let status = OpenStack.provider_status(&w, &profile()).unwrap().unwrap();
        assert_eq!(status["machineImages"][0]["image"], "debian-12");
        // A region with an ID mapping gets the ID.
        let w = worker("RegionTwo", Value::Null);
        let spec = OpenStack.provider_spec(&w, &w.spec.pools[0], "nova", &profile()).unwrap();
        assert_eq!(spec["imageID"], "img-2");
    }

    #[test]
    fn machine_labels_nova_refuses_are_named() {
        let labels = json!({"apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1", "kind": "WorkerConfig",
            "machineLabels": [{"name": "team/a", "value": "x"}]});
        let w = worker("RegionOne", labels);
        let e = OpenStack.provider_spec(&w, &w.spec.pools[0], "nova", &profile()).unwrap_err();
        assert!(e.to_string().contains("machine label \"team/a\""), "{e}");
    }

    #[test]
    fn an_unmapped_image_is_named() {
        let mut w = worker("RegionOne", Value::Null);
        w.spec.pools[0].machine_image.version = "11.0.0".into();
        let e = OpenStack.provider_spec(&w, &w.spec.pools[0], "nova", &profile()).unwrap_err();
        assert!(e.to_string().contains("no Glance image for image debian 11.0.0 in region RegionOne"), "{e}");
    }
}
