//! The nova driver against the real OpenStack `hack/openstack.sh up` runs (servers without networks: the local
//! neutron cannot bind ports): a machine's server is created ACTIVE with its flavor, image, metadata, tags and
//! user data, found again by name and cluster (a second create returns it), listed for orphan collection, and
//! deleted until nova no longer knows it; unknown flavors are InvalidArgument before anything is created.

mod support;

use garden_api::machine::v1alpha1::{Machine, MachineClass};
use machine_driver::{Code, Driver, MachineRequest};
use openstack_sdk::api::compute::v2::server;
use provider_openstack::client::{self, call};
use provider_openstack::driver::{server_id, OpenStackDriver, ServerNetworks};
use serde_json::{json, Value};

fn class(cluster: &str, flavor: &str) -> MachineClass {
    serde_json::from_value(json!({
        "metadata": {"name": "pool-a", "namespace": cluster},
        "providerSpec": {
            "imageName": "debian-12", "region": "RegionOne", "availabilityZone": "nova", "flavorName": flavor,
            "tags": {format!("kubernetes.io-cluster-{cluster}"): "1", "kubernetes.io-role-node": "1"}
        }
    }))
    .unwrap()
}

fn machine(cluster: &str, name: &str) -> Machine {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": cluster},
        "spec": {"class": {"kind": "MachineClass", "name": "pool-a"}}
    }))
    .unwrap()
}

#[tokio::test]
async fn servers_are_created_found_again_listed_and_deleted() {
    let env = support::env();
    let secret = support::secret(&env, &env["OS_PASSWORD"], &[("userData", "#cloud-config\nruncmd: [echo abc.def]\n")]);
    let os = client::connect(&support::credentials(&env, &env["OS_PASSWORD"]), "RegionOne").await.unwrap();
    let cluster = format!("shoot--drv--{}", std::process::id());
    let driver = OpenStackDriver::new(ServerNetworks::None);
    let class = class(&cluster, "m1.small");
    let m = machine(&cluster, &format!("{cluster}-pool-a-1"));
    let req = MachineRequest { machine: &m, class: &class, secret: &secret };

    assert_eq!(driver.get_machine_status(&req).await.unwrap_err().code, Code::NotFound);
    let id = driver.create_machine(&req).await.unwrap();
    assert!(id.provider_id.starts_with("openstack:///RegionOne/"), "{id:?}");
    assert_eq!(id.node_name, m.metadata.name.clone().unwrap());
    let sid = server_id(&id.provider_id).unwrap().to_string();
    let s: Value =
        call(&os, "get", &server::get_20::Request::builder().id(sid.as_str()).build().unwrap()).await.unwrap();
    assert_eq!(s["status"], "ACTIVE");
    assert_eq!(s["flavor"]["id"], "m1.small");
    assert_eq!(s["image"]["id"], env["OS_IMAGE_ID"].as_str());
    assert_eq!(s["metadata"][format!("kubernetes.io-cluster-{cluster}")], "1");

    // A create again (as after a crash before the provider ID was recorded) returns the same server.
    assert_eq!(driver.create_machine(&req).await.unwrap(), id);
    assert_eq!(driver.get_machine_status(&req).await.unwrap(), id);
    let listed = driver.list_machines(&class, &secret).await.unwrap();
    assert_eq!(listed.get(&id.provider_id), Some(&id.node_name), "{listed:?}");
    assert_eq!(listed.len(), 1, "{listed:?}");

    driver.delete_machine(&req).await.unwrap();
    let gone =
        call::<_, Value>(&os, "get", &server::get_20::Request::builder().id(sid.as_str()).build().unwrap()).await;
    // Nova answers 404, or for a short while after the delete the row in vm_state `deleted` (status DELETED).
    let deleted = match &gone {
        Err(e) => e.not_found(),
        Ok(s) => s["status"] == "DELETED",
    };
    assert!(deleted, "{gone:?}");
    assert!(driver.list_machines(&class, &secret).await.unwrap().is_empty());
    driver.delete_machine(&req).await.unwrap();

    let wrong = self::class(&cluster, "m1.huge");
    let req = MachineRequest { machine: &m, class: &wrong, secret: &secret };
    let err = driver.create_machine(&req).await.unwrap_err();
    assert_eq!(err.code, Code::InvalidArgument, "{err:?}");
    assert!(err.message.contains("flavor \"m1.huge\" does not exist"), "{err:?}");
}
