//! The EC2 machine driver against a real EC2 API (moto, started here with AMI, instance type and key pair
//! validation on): launch with tags, subnet, AMI, type and user data; idempotent create (also from a fresh driver,
//! as after a crash); status and list by tags; terminate; refusals mapped to the driver's codes.

#[path = "../../../etcd-backup/tests/support/peers.rs"]
mod peers;

use std::collections::BTreeMap;

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::Filter;
use garden_api::machine::v1alpha1::{Machine, MachineClass};
use machine_driver::{Code, Driver, MachineRequest};
use provider_aws::driver::AwsDriver;
use serde_json::json;

const REGION: &str = "us-east-1";
const CLUSTER: &str = "shoot--dev--aws";

fn ec2(endpoint: &str) -> aws_sdk_ec2::Client {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

struct Network {
    ami: String,
    subnet: String,
    zone: String,
    security_group: String,
}

async fn network(client: &aws_sdk_ec2::Client) -> Network {
    let images = client.describe_images().send().await.unwrap();
    let ami = images.images()[0].image_id().unwrap().to_string();
    let vpc = client.create_vpc().cidr_block("10.250.0.0/16").send().await.unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let subnet = client
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.250.0.0/19")
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .unwrap();
    let sg = client
        .create_security_group()
        .group_name(format!("{CLUSTER}-nodes"))
        .description("nodes")
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    Network {
        ami,
        subnet: subnet.subnet().unwrap().subnet_id().unwrap().to_string(),
        zone: format!("{REGION}a"),
        security_group: sg.group_id().unwrap().to_string(),
    }
}

fn class(net: &Network, ami: &str, machine_type: &str) -> MachineClass {
    serde_json::from_value(json!({
        "metadata": {"name": "pool-a", "namespace": CLUSTER},
        "providerSpec": {
            "ami": ami, "region": REGION, "machineType": machine_type,
            "networkInterfaces": [{"subnetID": net.subnet, "securityGroupIDs": [net.security_group]}],
            "tags": {format!("kubernetes.io/cluster/{CLUSTER}"): "1", "kubernetes.io/role/node": "1"},
            "blockDevices": [{"deviceName": "/root", "ebs": {"volumeSize": 20, "volumeType": "gp3"}}]
        },
        "provider": "AWS"
    }))
    .unwrap()
}

fn machine(name: &str) -> Machine {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": CLUSTER},
        "spec": {"class": {"kind": "MachineClass", "name": "pool-a"}}
    }))
    .unwrap()
}

fn secret() -> BTreeMap<String, Vec<u8>> {
    [("accessKeyID", "test"), ("secretAccessKey", "test"), ("userData", "#!/bin/bash\necho join with token abc.def\n")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect()
}

/// The live instances carrying `Name=<name>`.
async fn instances_named(client: &aws_sdk_ec2::Client, name: &str) -> Vec<aws_sdk_ec2::types::Instance> {
    let out = client
        .describe_instances()
        .filters(Filter::builder().name("tag:Name").values(name).build())
        .filters(Filter::builder().name("instance-state-name").values("pending").values("running").build())
        .send()
        .await
        .unwrap();
    out.reservations().iter().flat_map(|r| r.instances().iter().cloned()).collect()
}

#[tokio::test]
async fn machines_are_launched_found_by_their_tags_and_terminated() {
    let tmp = tempfile::tempdir().unwrap();
    let moto = peers::Moto::start_with(
        tmp.path(),
        &[
            ("MOTO_ENABLE_AMI_VALIDATION", "true"),
            ("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true"),
            ("MOTO_ENABLE_KEYPAIR_VALIDATION", "true"),
        ],
    );
    let client = ec2(&moto.endpoint());
    let net = network(&client).await;
    let driver = AwsDriver::new(Some(moto.endpoint()));
    let (class, secret) = (class(&net, &net.ami, "m5.large"), secret());
    let m = machine("shoot--dev--aws-pool-a-z1-abc12");
    let req = MachineRequest { machine: &m, class: &class, secret: &secret };

    // Launch: one instance, in the subnet, with the AMI, type, tags and user data.
    let id = driver.create_machine(&req).await.unwrap();
    let found = instances_named(&client, "shoot--dev--aws-pool-a-z1-abc12").await;
    assert_eq!(found.len(), 1);
    let i = &found[0];
    let instance_id = i.instance_id().unwrap();
    assert_eq!(id.provider_id, format!("aws:///{}/{instance_id}", net.zone));
    assert_eq!(i.subnet_id(), Some(net.subnet.as_str()));
    assert_eq!(i.image_id(), Some(net.ami.as_str()));
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("m5.large"));
    let tags: BTreeMap<&str, &str> = i.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
    assert_eq!(tags.get(format!("kubernetes.io/cluster/{CLUSTER}").as_str()), Some(&"1"));
    assert_eq!(tags.get("kubernetes.io/role/node"), Some(&"1"));
    assert_eq!(tags.get("Name"), Some(&"shoot--dev--aws-pool-a-z1-abc12"));
    assert!(i.security_groups().iter().any(|g| g.group_id() == Some(net.security_group.as_str())));
    let user_data = client
        .describe_instance_attribute()
        .instance_id(instance_id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
        .send()
        .await
        .unwrap();
    let encoded = user_data.user_data().and_then(|u| u.value()).unwrap();
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
    assert_eq!(decoded, b"#!/bin/bash\necho join with token abc.def\n");

    // Create again, and from a fresh driver (a restarted controller): the same instance, no second one.
    assert_eq!(driver.create_machine(&req).await.unwrap(), id);
    assert_eq!(AwsDriver::new(Some(moto.endpoint())).create_machine(&req).await.unwrap(), id);
    assert_eq!(instances_named(&client, "shoot--dev--aws-pool-a-z1-abc12").await.len(), 1);

    // Status and list by tags.
    assert_eq!(driver.get_machine_status(&req).await.unwrap(), id);
    let other = machine("shoot--dev--aws-pool-a-z1-def34");
    let other_req = MachineRequest { machine: &other, class: &class, secret: &secret };
    let other_id = driver.create_machine(&other_req).await.unwrap();
    let listed = driver.list_machines(&class, &secret).await.unwrap();
    assert_eq!(
        listed,
        BTreeMap::from([
            (id.provider_id.clone(), m.metadata.name.clone().unwrap()),
            (other_id.provider_id.clone(), other.metadata.name.clone().unwrap())
        ])
    );

    // Delete: terminated, then NotFound; deleting again succeeds.
    driver.delete_machine(&req).await.unwrap();
    assert!(instances_named(&client, "shoot--dev--aws-pool-a-z1-abc12").await.is_empty());
    assert_eq!(driver.get_machine_status(&req).await.unwrap_err().code, Code::NotFound);
    driver.delete_machine(&req).await.unwrap();
    assert_eq!(driver.list_machines(&class, &secret).await.unwrap().len(), 1);

    // An unknown AMI and an unknown instance type are InvalidArgument, naming what is wrong.
    let bad_ami = class_with(&net, "ami-00000000deadbeef", "m5.large");
    let e = driver.create_machine(&MachineRequest { machine: &m, class: &bad_ami, secret: &secret }).await.unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument, "{e}");
    assert!(e.message.contains("ami-00000000deadbeef"), "{e}");
    let bad_type = class_with(&net, &net.ami, "m5.gigantic");
    let e =
        driver.create_machine(&MachineRequest { machine: &m, class: &bad_type, secret: &secret }).await.unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument, "{e}");
    assert!(instances_named(&client, "shoot--dev--aws-pool-a-z1-abc12").await.is_empty());

    // A class without credentials is refused before any call.
    let mut no_creds = secret.clone();
    no_creds.remove("secretAccessKey");
    let e = driver.create_machine(&MachineRequest { machine: &m, class: &class, secret: &no_creds }).await.unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument);
}

fn class_with(net: &Network, ami: &str, machine_type: &str) -> MachineClass {
    let mut c = class(net, ami, machine_type);
    // No block device: an unknown AMI must be refused by RunInstances itself, not by the root device lookup.
    c.provider_spec["blockDevices"] = json!([]);
    c
}
