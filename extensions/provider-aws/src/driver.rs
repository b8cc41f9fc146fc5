//! The EC2 machine driver. An instance carries, from its launch on, the class's tags (with
//! `kubernetes.io/cluster/<technicalID>` and `kubernetes.io/role/node`) and `Name=<machine>` on itself, its volumes
//! and its network interface; every lookup goes by those tags, so a driver that crashed between RunInstances and
//! recording the provider ID finds the instance again instead of launching a second one (RunInstances'
//! ClientToken is not relied upon: not every EC2 implementation honours it). Lookups go through
//! [`ClusterListings`]: concurrent lookups of one cluster's machines share one listing. The machine controller asks
//! for a machine's status before creating it; a create right after this process's own status read found nothing
//! does not look a second time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_ec2::primitives::DateTime;
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, IamInstanceProfileSpecification, Instance, InstanceType, ResourceType, Tag,
    TagSpecification, VolumeType,
};
use base64::Engine;
use garden_api::machine::v1alpha1::MachineClass;
use kube::ResourceExt;
use machine_driver::{Driver, DriverError, MachineIdentity, MachineList, MachineRequest, USER_DATA_KEY};
use tracing::{info, warn};

use crate::cluster_listing::ClusterListings;
use crate::ec2::{self, Clients};
use crate::spec::{AccessKey, ProviderSpec, NAME_TAG};

/// A `blockDevices[].deviceName` meaning the AMI's root device.
const ROOT_DEVICE: &str = "/root";

pub struct AwsDriver {
    clients: Clients,
    listings: ClusterListings,
    /// Root device name per (region, AMI): asked once per AMI, not per machine (concurrent first asks wait for
    /// the one in flight).
    root_devices: tokio::sync::Mutex<HashMap<(String, String), String>>,
    /// Machines (cluster, name) this process found without an instance moments ago (GetMachineStatus answered
    /// NotFound), so the CreateMachine that follows need not look again. Memory only: after a restart every
    /// create looks first, which is what finds the instance of a create cut short by a crash.
    recently_absent: Mutex<HashMap<(String, String), Instant>>,
}

/// How long a NotFound from GetMachineStatus spares CreateMachine its lookup.
const ABSENT_FRESH: Duration = Duration::from_secs(5);

impl AwsDriver {
    /// `endpoint`: an EC2 endpoint other than AWS's (the operator's flag; moto in tests).
    pub fn new(endpoint: Option<String>) -> Self {
        AwsDriver {
            clients: Clients::new(endpoint),
            listings: ClusterListings::default(),
            root_devices: tokio::sync::Mutex::new(HashMap::new()),
            recently_absent: Mutex::new(HashMap::new()),
        }
    }

    fn absent(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Instant>> {
        self.recently_absent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `name` was found without an instance within [`ABSENT_FRESH`] (forgotten once asked: a retried
    /// create looks again).
    fn take_recently_absent(&self, cluster: &str, name: &str) -> bool {
        let mut absent = self.absent();
        absent.retain(|_, at| at.elapsed() < ABSENT_FRESH);
        absent.remove(&(cluster.to_string(), name.to_string())).is_some()
    }

    fn connect(&self, class: &MachineClass, secret: &BTreeMap<String, Vec<u8>>) -> Result<Connection, DriverError> {
        let spec = ProviderSpec::parse(&class.provider_spec)?;
        let key = AccessKey::from_secret(secret)?;
        let client = self.clients.get(&key, &spec.region);
        let cluster = spec.cluster().unwrap_or_default().to_string();
        Ok(Connection { spec, client, key, cluster })
    }

    /// Every live instance of the connection's cluster, listed no earlier than this call.
    async fn cluster_instances(&self, c: &Connection) -> Result<Arc<Vec<Instance>>, DriverError> {
        self.listings.instances(&c.client, &c.key.id, &c.spec.region, &c.cluster).await
    }

    /// The live instances of machine `name`, oldest first.
    async fn machine_instances(&self, c: &Connection, name: &str) -> Result<Vec<Instance>, DriverError> {
        let mut found: Vec<Instance> =
            self.cluster_instances(c).await?.iter().filter(|i| machine_name(i) == Some(name)).cloned().collect();
        found.sort_by_key(|i| i.launch_time().map(DateTime::secs).unwrap_or_default());
        Ok(found)
    }

    async fn root_device(&self, client: &aws_sdk_ec2::Client, spec: &ProviderSpec) -> Result<String, DriverError> {
        let key = (spec.region.clone(), spec.ami.clone());
        let mut root_devices = self.root_devices.lock().await;
        if let Some(name) = root_devices.get(&key) {
            return Ok(name.clone());
        }
        let images =
            client.describe_images().image_ids(&spec.ami).send().await.map_err(|e| ec2::error("DescribeImages", e))?;
        let name = images
            .images()
            .first()
            .ok_or_else(|| DriverError::invalid(format!("AMI {} does not exist in {}", spec.ami, spec.region)))?
            .root_device_name()
            .unwrap_or("/dev/xvda")
            .to_string();
        root_devices.insert(key, name.clone());
        Ok(name)
    }

    async fn block_devices(
        &self,
        client: &aws_sdk_ec2::Client,
        spec: &ProviderSpec,
    ) -> Result<Vec<BlockDeviceMapping>, DriverError> {
        let mut out = Vec::new();
        for (i, d) in spec.block_devices.iter().enumerate() {
            let device = match d.device_name.as_deref() {
                None | Some(ROOT_DEVICE) => self.root_device(client, spec).await?,
                Some(name) => name.to_string(),
            };
            if d.ebs.volume_size <= 0 {
                return Err(DriverError::invalid(format!("providerSpec.blockDevices[{i}].ebs.volumeSize must be > 0")));
            }
            let ebs = EbsBlockDevice::builder()
                .volume_size(d.ebs.volume_size)
                .set_volume_type(d.ebs.volume_type.as_deref().map(VolumeType::from))
                .set_iops(d.ebs.iops)
                .set_throughput(d.ebs.throughput)
                .delete_on_termination(d.ebs.delete_on_termination.unwrap_or(true))
                .set_encrypted(d.ebs.encrypted)
                .build();
            out.push(BlockDeviceMapping::builder().device_name(device).ebs(ebs).build());
        }
        Ok(out)
    }

    async fn terminate(&self, client: &aws_sdk_ec2::Client, ids: Vec<String>) -> Result<(), DriverError> {
        if ids.is_empty() {
            return Ok(());
        }
        match client.terminate_instances().set_instance_ids(Some(ids)).send().await {
            Ok(_) => Ok(()),
            Err(e) => match ec2::error("TerminateInstances", e) {
                gone if gone.code == machine_driver::Code::NotFound => Ok(()),
                e => Err(e),
            },
        }
    }
}

/// What [`AwsDriver::connect`] makes of a class and its secret.
struct Connection {
    spec: ProviderSpec,
    client: aws_sdk_ec2::Client,
    key: AccessKey,
    cluster: String,
}

/// The machine an instance was launched for (its `Name` tag).
fn machine_name(instance: &Instance) -> Option<&str> {
    instance.tags().iter().find(|t| t.key() == Some(NAME_TAG))?.value()
}

/// `aws:///<zone>/<instance-id>` and the name the node registers with (the private DNS name, as kubelet's AWS
/// cloud provider does).
pub fn identity(instance: &Instance) -> MachineIdentity {
    let id = instance.instance_id().unwrap_or_default();
    let zone = instance.placement().and_then(|p| p.availability_zone()).unwrap_or_default();
    let node_name = instance.private_dns_name().filter(|n| !n.is_empty()).unwrap_or(id).to_string();
    MachineIdentity { provider_id: format!("aws:///{zone}/{id}"), node_name }
}

/// The instance ID of a provider ID `aws:///<zone>/<id>`.
pub fn instance_id(provider_id: &str) -> Option<&str> {
    provider_id.strip_prefix("aws://")?.rsplit('/').next().filter(|id| id.starts_with("i-"))
}

fn tag_specifications(spec: &ProviderSpec, machine: &str) -> Vec<TagSpecification> {
    let mut tags: Vec<Tag> = spec.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    tags.push(Tag::builder().key(NAME_TAG).value(machine).build());
    [ResourceType::Instance, ResourceType::Volume, ResourceType::NetworkInterface]
        .into_iter()
        .map(|rt| TagSpecification::builder().resource_type(rt).set_tags(Some(tags.clone())).build())
        .collect()
}

#[async_trait::async_trait]
impl Driver for AwsDriver {
    async fn create_machine(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let c = self.connect(req.class, req.secret)?;
        let (spec, client) = (&c.spec, &c.client);
        let name = req.machine.name_any();
        let mut existing = if self.take_recently_absent(&c.cluster, &name) {
            Vec::new()
        } else {
            self.machine_instances(&c, &name).await?
        };
        if !existing.is_empty() {
            // More than one can only come from outside this driver: the oldest is the machine's.
            let extra: Vec<String> = existing.drain(1..).filter_map(|i| i.instance_id().map(str::to_string)).collect();
            if !extra.is_empty() {
                warn!(machine = %name, instances = ?extra, "more than one instance carries the machine's tags; terminating the newer ones");
                self.terminate(client, extra).await?;
            }
            return Ok(identity(&existing[0]));
        }
        let user_data = req
            .secret
            .get(USER_DATA_KEY)
            .ok_or_else(|| DriverError::invalid(format!("the class secret has no {USER_DATA_KEY}")))?;
        let nic = &spec.network_interfaces[0];
        let iam = spec.iam.as_ref().map(|i| {
            IamInstanceProfileSpecification::builder().set_name(i.name.clone()).set_arn(i.arn.clone()).build()
        });
        let launched = client
            .run_instances()
            .image_id(&spec.ami)
            .instance_type(InstanceType::from(spec.machine_type.as_str()))
            .min_count(1)
            .max_count(1)
            .subnet_id(&nic.subnet_id)
            .set_security_group_ids(Some(nic.security_group_ids.clone()))
            .set_key_name(spec.key_name.clone())
            .set_iam_instance_profile(iam)
            .set_block_device_mappings(Some(self.block_devices(client, spec).await?))
            .user_data(base64::engine::general_purpose::STANDARD.encode(user_data))
            .set_tag_specifications(Some(tag_specifications(spec, &name)))
            .send()
            .await
            .map_err(|e| ec2::error("RunInstances", e))?;
        let instance = launched
            .instances()
            .first()
            .ok_or_else(|| DriverError::internal("RunInstances answered without an instance"))?;
        let id = identity(instance);
        info!(machine = %name, provider_id = %id.provider_id, "launched instance");
        Ok(id)
    }

    async fn delete_machine(&self, req: &MachineRequest<'_>) -> Result<(), DriverError> {
        let c = self.connect(req.class, req.secret)?;
        let name = req.machine.name_any();
        let mut ids: Vec<String> = self
            .machine_instances(&c, &name)
            .await?
            .iter()
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect();
        // An instance recorded in the Machine whose tags were changed behind our back still goes.
        let recorded = req.machine.spec.provider_id.as_deref().and_then(instance_id).map(str::to_string);
        if let Some(id) = recorded.filter(|id| !ids.contains(id)) {
            ids.push(id);
        }
        if !ids.is_empty() {
            info!(machine = %name, instances = ?ids, "terminating");
        }
        self.terminate(&c.client, ids).await
    }

    async fn get_machine_status(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let c = self.connect(req.class, req.secret)?;
        let name = req.machine.name_any();
        let found = self.machine_instances(&c, &name).await?;
        match found.first() {
            Some(i) => Ok(identity(i)),
            None => {
                self.absent().insert((c.cluster.clone(), name.clone()), Instant::now());
                Err(DriverError::not_found(format!("no instance of machine {name} in cluster {}", c.cluster)))
            }
        }
    }

    async fn list_machines(
        &self,
        class: &MachineClass,
        secret: &BTreeMap<String, Vec<u8>>,
    ) -> Result<MachineList, DriverError> {
        let c = self.connect(class, secret)?;
        let instances = self.cluster_instances(&c).await?;
        Ok(instances.iter().filter_map(|i| Some((identity(i).provider_id, machine_name(i)?.to_string()))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_name_zone_and_instance() {
        assert_eq!(instance_id("aws:///eu-west-1a/i-0abc"), Some("i-0abc"));
        assert_eq!(instance_id("local:///x"), None);
        let i = Instance::builder()
            .instance_id("i-1")
            .placement(aws_sdk_ec2::types::Placement::builder().availability_zone("eu-west-1b").build())
            .private_dns_name("ip-10-0-0-5.eu-west-1.compute.internal")
            .build();
        assert_eq!(
            identity(&i),
            MachineIdentity {
                provider_id: "aws:///eu-west-1b/i-1".into(),
                node_name: "ip-10-0-0-5.eu-west-1.compute.internal".into()
            }
        );
    }
}
