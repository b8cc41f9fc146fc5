//! The infrastructure flow against the real OpenStack services `hack/openstack.sh up` runs (keystone, neutron,
//! nova): everything created once, named after the shoot and marked as its own, and found again by a second run;
//! delete removes all of it and a second delete finds nothing to do; an existing network given by ID is used and
//! survives; a wrong password comes back as ERR_INFRA_UNAUTHENTICATED without the password; an unknown floating
//! pool as ERR_CONFIGURATION_PROBLEM.

mod support;

use std::collections::BTreeMap;

use openstack_sdk::api::network::v2::{network, router, security_group, subnet};
use openstack_sdk::AsyncOpenStack;
use provider_openstack::client::{self, call, ERR_CONFIGURATION_PROBLEM, ERR_INFRA_UNAUTHENTICATED};
use provider_openstack::infrastructure::{self, owner_marker, Plan};
use serde_json::Value;
use support::{credentials, env};

const SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP4zumbB38S/4C8BVpRSoOVMvHVoM08lxuuuLSSoe0Wx test-one";
const OTHER_SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE+dI0Qpd7uiVeWKCu0i6i7tYoxaMk4ovQyUkUp3SgXy test-two";

fn plan(id: &str) -> Plan {
    Plan {
        technical_id: id.into(),
        floating_pool: "public".into(),
        workers_cidr: "10.250.0.0/19".into(),
        dns_servers: vec!["10.0.0.53".into()],
        ssh_public_key: Some(SSH_KEY.into()),
        ..Default::default()
    }
}

/// The IDs of what carries the shoot's name and marker, by kind.
async fn owned(os: &AsyncOpenStack, id: &str) -> BTreeMap<&'static str, Vec<String>> {
    let marker = owner_marker(id);
    let ids = |v: Vec<Value>| v.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let mut out = BTreeMap::new();
    let routers: Vec<Value> =
        call(os, "list", &router::list::Request::builder().name(id).description(marker.as_str()).build().unwrap())
            .await
            .unwrap();
    out.insert("routers", ids(routers));
    let networks: Vec<Value> =
        call(os, "list", &network::list::Request::builder().name(id).description(marker.as_str()).build().unwrap())
            .await
            .unwrap();
    out.insert("networks", ids(networks));
    let subnets: Vec<Value> =
        call(os, "list", &subnet::list::Request::builder().name(id).description(marker.as_str()).build().unwrap())
            .await
            .unwrap();
    out.insert("subnets", ids(subnets));
    let groups: Vec<Value> = call(
        os,
        "list",
        &security_group::list::Request::builder().name(id).description(marker.as_str()).build().unwrap(),
    )
    .await
    .unwrap();
    out.insert("security groups", ids(groups));
    out
}

async fn key_pair(os: &AsyncOpenStack, name: &str) -> Option<String> {
    let get = openstack_sdk::api::compute::v2::keypair::get_20::Request::builder().id(name).build().unwrap();
    match call::<_, Value>(os, "get key pair", &get).await {
        Ok(kp) => kp["public_key"].as_str().map(str::to_string),
        Err(e) if e.not_found() => None,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn the_flow_builds_once_finds_again_and_deletes_everything_it_built() {
    let env = env();
    let os = client::connect(&credentials(&env, &env["OS_PASSWORD"]), "RegionOne").await.unwrap();
    let id = format!("shoot--it--{}", std::process::id());
    let p = plan(&id);

    let first = infrastructure::reconcile(&os, &p, &|_| {}).await.unwrap();
    assert_eq!(first.floating_pool_id, env["OS_EXTERNAL_NETWORK_ID"]);
    assert_eq!(first.floating_pool_name, "public");
    assert_eq!(first.network_name, id);
    assert_eq!(first.security_group_name, id);
    assert_eq!(first.key_name.as_deref(), Some(id.as_str()));
    assert!(first.router_ip.starts_with("172.24.4."), "the router's gateway is on the pool: {first:?}");
    let subnet: Value =
        call(&os, "get", &subnet::get::Request::builder().id(first.subnet_id.as_str()).build().unwrap()).await.unwrap();
    assert_eq!(subnet["cidr"], "10.250.0.0/19");
    assert_eq!(subnet["network_id"], first.network_id.as_str());
    assert_eq!(subnet["dns_nameservers"][0], "10.0.0.53");
    assert_eq!(key_pair(&os, &id).await.as_deref(), Some(SSH_KEY));

    // A second run (as after a crash at any point of the first) finds everything and creates nothing.
    let again = infrastructure::reconcile(&os, &p, &|_| {}).await.unwrap();
    assert_eq!(again, first);
    let have = owned(&os, &id).await;
    for (kind, ids) in &have {
        assert_eq!(ids.len(), 1, "exactly one of the {kind}: {have:?}");
    }
    // A changed SSH key replaces the key pair.
    let rotated = Plan { ssh_public_key: Some(OTHER_SSH_KEY.into()), ..p.clone() };
    infrastructure::reconcile(&os, &rotated, &|_| {}).await.unwrap();
    assert_eq!(key_pair(&os, &id).await.as_deref(), Some(OTHER_SSH_KEY));

    infrastructure::delete(&os, &p, &|_| {}).await.unwrap();
    let left = owned(&os, &id).await;
    assert!(left.values().all(Vec::is_empty), "left behind: {left:?}");
    assert_eq!(key_pair(&os, &id).await, None);
    infrastructure::delete(&os, &p, &|_| {}).await.unwrap();
}

#[tokio::test]
async fn an_existing_network_is_used_and_survives_delete() {
    let env = env();
    let os = client::connect(&credentials(&env, &env["OS_PASSWORD"]), "RegionOne").await.unwrap();
    let id = format!("shoot--own--{}", std::process::id());
    let body = network::create::NetworkBuilder::default().name(format!("{id}-tenant")).build().unwrap();
    let existing: Value =
        call(&os, "create", &network::create::Request::builder().network(body).build().unwrap()).await.unwrap();
    let existing_id = existing["id"].as_str().unwrap().to_string();
    let p = Plan { network_id: Some(existing_id.clone()), ssh_public_key: None, ..plan(&id) };

    let built = infrastructure::reconcile(&os, &p, &|_| {}).await.unwrap();
    assert_eq!(built.network_id, existing_id);
    assert_eq!(built.key_name, None);
    infrastructure::delete(&os, &p, &|_| {}).await.unwrap();
    let still: Value =
        call(&os, "get", &network::get::Request::builder().id(existing_id.as_str()).build().unwrap()).await.unwrap();
    assert_eq!(still["id"], existing_id.as_str(), "the tenant's network stays");
    let subnets: Vec<Value> =
        call(&os, "list", &subnet::list::Request::builder().network_id(existing_id.as_str()).build().unwrap())
            .await
            .unwrap();
    assert!(subnets.is_empty(), "the subnet the flow made in it is gone: {subnets:?}");
    let left = owned(&os, &id).await;
    assert!(left.values().all(Vec::is_empty), "left behind: {left:?}");
    client::run(&os, "delete", &network::delete::Request::builder().id(existing_id.as_str()).build().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_passwords_and_unknown_pools_are_reported_with_gardeners_codes() {
    let env = env();
    let wrong = client::connect(&credentials(&env, "not-the-password"), "RegionOne").await.unwrap_err();
    assert_eq!(wrong.gardener_code(), Some(ERR_INFRA_UNAUTHENTICATED), "{wrong}");
    assert!(!wrong.to_string().contains("not-the-password"), "{wrong}");

    let os = client::connect(&credentials(&env, &env["OS_PASSWORD"]), "RegionOne").await.unwrap();
    let p = Plan { floating_pool: "no-such-pool".into(), ..plan("shoot--it--nopool") };
    let err = infrastructure::reconcile(&os, &p, &|_| {}).await.unwrap_err();
    assert_eq!(err.code, Some(ERR_CONFIGURATION_PROBLEM), "{err}");
    assert!(err.message.contains("no external network named \"no-such-pool\""), "{err}");
}
