//! The infrastructure flow against a real EC2 and IAM API (moto): everything created once with its tags and
//! found again; runs cut off at every task and then completed leave exactly one of each, and delete leaves nothing
//! with the cluster tag; an existing VPC (and its internet gateway, and a given elastic IP) is used and survives
//! delete; wrong or powerless credentials come back with Gardener's codes and without the secret.

#[path = "../../../etcd-backup/tests/support/peers.rs"]
mod peers;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, NatGatewayState, Tag, VpcAttributeName};
use garden_api::provider::aws::v1alpha1::{
    InfrastructureConfig, InfrastructureStatus, Networks, Vpc, Zone, PURPOSE_INTERNAL, PURPOSE_NODES, PURPOSE_PUBLIC,
};
use provider_aws::ec2::Clients;
use provider_aws::infrastructure::{self, InfraError, InfraRequest};
use provider_aws::spec::AccessKey;

const REGION: &str = "us-east-1";
const ID: &str = "shoot--dev--aws";
const CLUSTER_TAG: &str = "kubernetes.io/cluster/shoot--dev--aws";
const SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP4zumbB38S/4C8BVpRSoOVMvHVoM08lxuuuLSSoe0Wx test-one";
const OTHER_SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE+dI0Qpd7uiVeWKCu0i6i7tYoxaMk4ovQyUkUp3SgXy test-two";

/// (zone, workers, public, internal)
const ZONES: [(&str, &str, &str, &str); 2] = [
    ("us-east-1a", "10.250.0.0/19", "10.250.96.0/22", "10.250.112.0/22"),
    ("us-east-1b", "10.250.32.0/19", "10.250.100.0/22", "10.250.116.0/22"),
];

fn key(id: &str, secret: &str) -> AccessKey {
    AccessKey { id: id.into(), secret: secret.into() }
}

fn clients(endpoint: &str, key: &AccessKey) -> (aws_sdk_ec2::Client, aws_sdk_iam::Client) {
    let clients = Clients::new(Some(endpoint.to_string()));
    (clients.get(key, REGION), clients.iam(key, REGION))
}

fn config(vpc: Vpc) -> InfrastructureConfig {
    InfrastructureConfig {
        api_version: "aws.provider.extensions.gardener.cloud/v1alpha1".into(),
        kind: "InfrastructureConfig".into(),
        networks: Networks {
            vpc,
            zones: ZONES
                .iter()
                .map(|(name, workers, public, internal)| Zone {
                    name: name.to_string(),
                    workers: Some(workers.to_string()),
                    public: Some(public.to_string()),
                    internal: Some(internal.to_string()),
                    elastic_ip_allocation_id: None,
                })
                .collect(),
        },
        ..Default::default()
    }
}

fn new_vpc() -> Vpc {
    Vpc { cidr: Some("10.250.0.0/16".into()), ..Default::default() }
}

fn request<'a>(config: &'a InfrastructureConfig, ssh: Option<&'a str>) -> InfraRequest<'a> {
    InfraRequest { technical_id: ID, region: REGION, config, ssh_public_key: ssh }
}

fn ignore(_: &str) {}

/// A policy document as IAM returns it (URL-encoded), decoded.
fn url_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().unwrap().into_owned()
}

fn tags(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter().map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string())).collect()
}

fn owned(t: &[Tag]) -> bool {
    tags(t).get(CLUSTER_TAG).map(String::as_str) == Some("1")
}

fn name_of(t: &[Tag]) -> String {
    tags(t).get("Name").cloned().unwrap_or_default()
}

/// How many of each kind exist in the region (NAT gateways: not deleted), all and with the cluster tag.
#[derive(Debug, Default, PartialEq, Clone)]
struct Inventory {
    all: BTreeMap<&'static str, usize>,
    owned: BTreeMap<&'static str, Vec<String>>,
}

impl Inventory {
    fn owned_count(&self, kind: &str) -> usize {
        self.owned.get(kind).map_or(0, Vec::len)
    }

    fn nothing_owned(&self) -> bool {
        self.owned.values().all(Vec::is_empty)
    }
}

async fn inventory(ec2: &aws_sdk_ec2::Client, iam: &aws_sdk_iam::Client) -> Inventory {
    let mut inv = Inventory::default();
    let mut add = |kind: &'static str, items: Vec<(String, bool)>| {
        inv.all.insert(kind, items.len());
        inv.owned.insert(kind, items.into_iter().filter(|(_, o)| *o).map(|(id, _)| id).collect());
    };
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    add("vpc", vpcs.vpcs().iter().map(|v| (v.vpc_id().unwrap().to_string(), owned(v.tags()))).collect());
    let subnets = ec2.describe_subnets().send().await.unwrap();
    add("subnet", subnets.subnets().iter().map(|s| (s.subnet_id().unwrap().to_string(), owned(s.tags()))).collect());
    let igws = ec2.describe_internet_gateways().send().await.unwrap();
    add(
        "internet-gateway",
        igws.internet_gateways()
            .iter()
            .map(|g| (g.internet_gateway_id().unwrap().to_string(), owned(g.tags())))
            .collect(),
    );
    let nats = ec2.describe_nat_gateways().send().await.unwrap();
    add(
        "nat-gateway",
        nats.nat_gateways()
            .iter()
            .filter(|n| n.state() != Some(&NatGatewayState::Deleted))
            .map(|n| (n.nat_gateway_id().unwrap().to_string(), owned(n.tags())))
            .collect(),
    );
    let eips = ec2.describe_addresses().send().await.unwrap();
    add(
        "elastic-ip",
        eips.addresses().iter().map(|a| (a.allocation_id().unwrap().to_string(), owned(a.tags()))).collect(),
    );
    let tables = ec2.describe_route_tables().send().await.unwrap();
    add(
        "route-table",
        tables.route_tables().iter().map(|t| (t.route_table_id().unwrap().to_string(), owned(t.tags()))).collect(),
    );
    let groups = ec2.describe_security_groups().send().await.unwrap();
    add(
        "security-group",
        groups.security_groups().iter().map(|g| (g.group_id().unwrap().to_string(), owned(g.tags()))).collect(),
    );
    let dhcp = ec2.describe_dhcp_options().send().await.unwrap();
    add(
        "dhcp-options",
        dhcp.dhcp_options().iter().map(|o| (o.dhcp_options_id().unwrap().to_string(), owned(o.tags()))).collect(),
    );
    let keys = ec2.describe_key_pairs().send().await.unwrap();
    add("key-pair", keys.key_pairs().iter().map(|k| (k.key_name().unwrap().to_string(), owned(k.tags()))).collect());
    let roles = iam.list_roles().send().await.unwrap();
    let nodes = format!("{ID}-nodes");
    add("iam-role", roles.roles().iter().map(|r| (r.role_name().to_string(), r.role_name() == nodes)).collect());
    let profiles = iam.list_instance_profiles().send().await.unwrap();
    add(
        "iam-instance-profile",
        profiles
            .instance_profiles()
            .iter()
            .map(|p| (p.instance_profile_name().to_string(), p.instance_profile_name() == nodes))
            .collect(),
    );
    inv
}

/// Exactly one of each per shoot (per zone for zone resources), with the cluster tag.
fn assert_complete(inv: &Inventory, zones: usize, created_vpc: bool) {
    let vpc_things = usize::from(created_vpc);
    for (kind, n) in [
        ("vpc", vpc_things),
        ("internet-gateway", vpc_things),
        ("dhcp-options", vpc_things),
        ("subnet", 3 * zones),
        ("nat-gateway", zones),
        ("route-table", 1 + zones),
        ("security-group", 1),
        ("key-pair", 1),
        ("iam-role", 1),
        ("iam-instance-profile", 1),
    ] {
        assert_eq!(inv.owned_count(kind), n, "{kind}: {:?}", inv.owned.get(kind));
    }
}

fn expected_subnets(status: &InfrastructureStatus) {
    assert_eq!(status.vpc.subnets.len(), 6, "{:?}", status.vpc.subnets);
    for (zone, ..) in ZONES {
        for purpose in [PURPOSE_NODES, PURPOSE_PUBLIC, PURPOSE_INTERNAL] {
            assert!(status.subnet(purpose, zone).is_some(), "no {purpose} subnet in {zone}");
        }
    }
}

#[tokio::test]
async fn reconcile_creates_everything_once_and_delete_removes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let moto = peers::Moto::start(tmp.path());
    let (ec2, iam) = clients(&moto.endpoint(), &key("test", "test"));
    let cfg = config(new_vpc());
    let before = inventory(&ec2, &iam).await;
    assert!(before.nothing_owned());

    let tasks = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = {
        let tasks = tasks.clone();
        move |t: &str| tasks.lock().unwrap().push(t.to_string())
    };
    let status = infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &record).await.unwrap();
    let tasks = tasks.lock().unwrap().clone();
    for t in [
        "Ensuring VPC",
        "Ensuring NAT gateway in us-east-1a",
        "Ensuring NAT gateway in us-east-1b",
        "Ensuring key pair",
    ] {
        assert!(tasks.iter().any(|x| x == t), "task {t} not announced: {tasks:?}");
    }
    assert_eq!(status.api_version, "aws.provider.extensions.gardener.cloud/v1alpha1");
    assert_eq!(status.kind, "InfrastructureStatus");
    expected_subnets(&status);

    // The VPC: CIDR, tags, DNS, DHCP options.
    let vpcs = ec2.describe_vpcs().vpc_ids(&status.vpc.id).send().await.unwrap();
    let vpc = &vpcs.vpcs()[0];
    assert_eq!(vpc.cidr_block(), Some("10.250.0.0/16"));
    assert!(owned(vpc.tags()));
    assert_eq!(name_of(vpc.tags()), ID);
    for attribute in [VpcAttributeName::EnableDnsSupport, VpcAttributeName::EnableDnsHostnames] {
        let out =
            ec2.describe_vpc_attribute().vpc_id(&status.vpc.id).attribute(attribute.clone()).send().await.unwrap();
        let value = out.enable_dns_support().or(out.enable_dns_hostnames()).and_then(AttributeBooleanValue::value);
        assert_eq!(value, Some(true), "{attribute:?}");
    }
    let dhcp_id = vpc.dhcp_options_id().unwrap();
    let dhcp = ec2.describe_dhcp_options().dhcp_options_ids(dhcp_id).send().await.unwrap();
    let dhcp = &dhcp.dhcp_options()[0];
    assert!(owned(dhcp.tags()));
    let dhcp_config: BTreeMap<&str, Vec<&str>> = dhcp
        .dhcp_configurations()
        .iter()
        .map(|c| (c.key().unwrap(), c.values().iter().filter_map(|v| v.value()).collect()))
        .collect();
    assert_eq!(dhcp_config["domain-name"], vec!["ec2.internal"]);
    assert_eq!(dhcp_config["domain-name-servers"], vec!["AmazonProvidedDNS"]);

    // The internet gateway, attached.
    let igws = ec2
        .describe_internet_gateways()
        .filters(Filter::builder().name("attachment.vpc-id").values(&status.vpc.id).build())
        .send()
        .await
        .unwrap();
    assert_eq!(igws.internet_gateways().len(), 1);
    let igw = &igws.internet_gateways()[0];
    assert!(owned(igw.tags()));
    let igw_id = igw.internet_gateway_id().unwrap();

    // Subnets: CIDRs, zones, tags.
    for (zone, workers, public, internal) in ZONES {
        for (purpose, cidr, role_tag) in [
            (PURPOSE_NODES, workers, None),
            (PURPOSE_PUBLIC, public, Some("kubernetes.io/role/elb")),
            (PURPOSE_INTERNAL, internal, Some("kubernetes.io/role/internal-elb")),
        ] {
            let id = &status.subnet(purpose, zone).unwrap().id;
            let out = ec2.describe_subnets().subnet_ids(id).send().await.unwrap();
            let subnet = &out.subnets()[0];
            assert_eq!(subnet.cidr_block(), Some(cidr), "{purpose} in {zone}");
            assert_eq!(subnet.availability_zone(), Some(zone));
            assert_eq!(subnet.vpc_id(), Some(status.vpc.id.as_str()));
            assert!(owned(subnet.tags()));
            let t = tags(subnet.tags());
            if let Some(role) = role_tag {
                assert_eq!(t.get(role).map(String::as_str), Some("1"), "{purpose} in {zone}: {t:?}");
            }
            assert!(name_of(subnet.tags()).starts_with(&format!("{ID}-")), "{t:?}");
        }
    }

    // NAT gateways: one per zone, available, in the public subnet, with an owned elastic IP.
    let nats = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("vpc-id").values(&status.vpc.id).build())
        .send()
        .await
        .unwrap();
    assert_eq!(nats.nat_gateways().len(), 2);
    let addresses = ec2.describe_addresses().send().await.unwrap();
    let mut nat_of_zone = BTreeMap::new();
    for (zone, ..) in ZONES {
        let public = &status.subnet(PURPOSE_PUBLIC, zone).unwrap().id;
        let nat = nats.nat_gateways().iter().find(|n| n.subnet_id() == Some(public.as_str())).unwrap();
        assert_eq!(nat.state(), Some(&NatGatewayState::Available));
        assert!(owned(nat.tags()));
        let allocation = nat.nat_gateway_addresses()[0].allocation_id().unwrap();
        let eip = addresses.addresses().iter().find(|a| a.allocation_id() == Some(allocation)).unwrap();
        assert!(owned(eip.tags()));
        nat_of_zone.insert(zone, nat.nat_gateway_id().unwrap().to_string());
    }

    // Route tables: public via the internet gateway, private per zone via its NAT gateway; associations.
    let tables = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&status.vpc.id).build())
        .send()
        .await
        .unwrap();
    let table_of = |subnet: &str| {
        tables
            .route_tables()
            .iter()
            .find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(subnet)))
            .unwrap_or_else(|| panic!("subnet {subnet} has no route table"))
    };
    for (zone, ..) in ZONES {
        let public = table_of(&status.subnet(PURPOSE_PUBLIC, zone).unwrap().id);
        assert_eq!(name_of(public.tags()), ID);
        let default = public.routes().iter().find(|r| r.destination_cidr_block() == Some("0.0.0.0/0")).unwrap();
        assert_eq!(default.gateway_id(), Some(igw_id));
        for purpose in [PURPOSE_NODES, PURPOSE_INTERNAL] {
            let private = table_of(&status.subnet(purpose, zone).unwrap().id);
            assert!(owned(private.tags()));
            assert_eq!(name_of(private.tags()), format!("{ID}-private-{zone}"));
            let default = private.routes().iter().find(|r| r.destination_cidr_block() == Some("0.0.0.0/0")).unwrap();
            assert_eq!(default.nat_gateway_id(), Some(nat_of_zone[zone].as_str()));
        }
    }

    // The nodes security group and its rules.
    let sg_id = &status.security_group(PURPOSE_NODES).unwrap().id;
    let groups = ec2.describe_security_groups().group_ids(sg_id).send().await.unwrap();
    let sg = &groups.security_groups()[0];
    assert_eq!(sg.group_name(), Some(format!("{ID}-nodes").as_str()));
    assert!(owned(sg.tags()));
    let ingress = sg.ip_permissions();
    assert!(ingress.iter().any(|p| p.ip_protocol() == Some("-1")
        && p.user_id_group_pairs().iter().any(|g| g.group_id() == Some(sg_id.as_str()))));
    for proto in ["tcp", "udp"] {
        assert!(
            ingress.iter().any(|p| p.ip_protocol() == Some(proto)
                && p.from_port() == Some(30000)
                && p.to_port() == Some(32767)
                && p.ip_ranges().iter().any(|r| r.cidr_ip() == Some("0.0.0.0/0"))),
            "{proto}: {ingress:?}"
        );
    }
    assert!(sg
        .ip_permissions_egress()
        .iter()
        .any(|p| p.ip_protocol() == Some("-1") && p.ip_ranges().iter().any(|r| r.cidr_ip() == Some("0.0.0.0/0"))));

    // IAM: role (EC2 may assume it), instance profile holding it, policy with ECR access.
    let nodes = format!("{ID}-nodes");
    let role = iam.get_role().role_name(&nodes).send().await.unwrap();
    let role = role.role().unwrap();
    assert_eq!(status.role(PURPOSE_NODES).unwrap().arn, role.arn());
    assert!(url_decoded(role.assume_role_policy_document().unwrap()).contains("ec2.amazonaws.com"));
    assert_eq!(status.instance_profile(PURPOSE_NODES).unwrap().name, nodes);
    let profile = iam.get_instance_profile().instance_profile_name(&nodes).send().await.unwrap();
    let roles: Vec<&str> = profile.instance_profile().unwrap().roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(roles, vec![nodes.as_str()]);
    let policy = iam.get_role_policy().role_name(&nodes).policy_name(&nodes).send().await.unwrap();
    let policy = url_decoded(policy.policy_document());
    assert!(policy.contains("ecr:GetAuthorizationToken"), "{policy}");
    assert!(policy.contains("ec2:DescribeInstances"), "{policy}");

    // The key pair.
    assert_eq!(status.ec2.key_name, format!("{ID}-ssh-publickey"));
    let keys = ec2.describe_key_pairs().key_names(&status.ec2.key_name).include_public_key(true).send().await.unwrap();
    assert!(owned(keys.key_pairs()[0].tags()));
    assert!(keys.key_pairs()[0].public_key().unwrap().contains("AAAAIP4zumbB38S"));

    let created = inventory(&ec2, &iam).await;
    assert_complete(&created, 2, true);

    // Again: nothing new, the same status.
    let again = infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
    assert_eq!(again, status);
    assert_eq!(inventory(&ec2, &iam).await, created);

    // A rule removed behind the flow's back comes back (and only it is added).
    let udp = sg.ip_permissions().iter().find(|p| p.ip_protocol() == Some("udp")).unwrap().clone();
    ec2.revoke_security_group_ingress().group_id(sg_id).ip_permissions(udp).send().await.unwrap();
    infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
    let groups = ec2.describe_security_groups().group_ids(sg_id).send().await.unwrap();
    let ingress = groups.security_groups()[0].ip_permissions();
    assert_eq!(ingress.iter().filter(|p| p.ip_protocol() == Some("udp")).count(), 1, "{ingress:?}");
    assert_eq!(ingress.len(), sg.ip_permissions().len(), "{ingress:?}");

    // A new SSH key replaces the key pair; ECR access switched off narrows the policy. Nothing else changes.
    let mut no_ecr = cfg.clone();
    no_ecr.enable_ecr_access = Some(false);
    let changed = infrastructure::reconcile(&ec2, &iam, &request(&no_ecr, Some(OTHER_SSH_KEY)), &ignore).await.unwrap();
    assert_eq!(changed, status);
    let keys = ec2.describe_key_pairs().key_names(&status.ec2.key_name).include_public_key(true).send().await.unwrap();
    assert!(keys.key_pairs()[0].public_key().unwrap().contains("AAAAIE+dI0Qpd7"));
    let policy = iam.get_role_policy().role_name(&nodes).policy_name(&nodes).send().await.unwrap();
    let policy = url_decoded(policy.policy_document());
    assert!(!policy.contains("ecr:") && policy.contains("ec2:DescribeInstances"), "{policy}");
    assert_eq!(inventory(&ec2, &iam).await.all, created.all);

    // Delete: nothing with the cluster tag is left, the rest is as before; deleting again is fine.
    let deleted = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = {
        let deleted = deleted.clone();
        move |t: &str| deleted.lock().unwrap().push(t.to_string())
    };
    infrastructure::delete(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &record).await.unwrap();
    assert!(deleted.lock().unwrap().iter().any(|t| t == "Deleting VPC"));
    let after = inventory(&ec2, &iam).await;
    assert!(after.nothing_owned(), "{:?}", after.owned);
    assert_eq!(after.all, before.all);
    infrastructure::delete(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
}

/// Runs reconcile in a task that is aborted once the `n`-th task was announced (plus `delay`); true when the
/// run completed first.
async fn cut_reconcile(
    ec2: &aws_sdk_ec2::Client,
    iam: &aws_sdk_iam::Client,
    cfg: &InfrastructureConfig,
    n: usize,
    delay: Duration,
) -> bool {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (ec2, iam, cfg) = (ec2.clone(), iam.clone(), cfg.clone());
    let handle = tokio::spawn(async move {
        let progress = move |t: &str| {
            let _ = tx.send(t.to_string());
        };
        infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &progress).await
    });
    let mut seen = 0;
    while seen < n {
        match rx.recv().await {
            Some(_) => seen += 1,
            None => break, // the run ended
        }
    }
    tokio::time::sleep(delay).await;
    handle.abort();
    match handle.await {
        Ok(result) => {
            result.unwrap();
            true
        }
        Err(e) => {
            assert!(e.is_cancelled(), "{e}");
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_cut_off_anywhere_converge_and_delete_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let moto = peers::Moto::start(tmp.path());
    let (ec2, iam) = clients(&moto.endpoint(), &key("test", "test"));
    let cfg = config(new_vpc());

    // Cut off in the middle of the second zone, then deleted: nothing is left.
    let mut n = 1;
    let mut mid = false;
    while !mid {
        // Each run gets one task further, until zone a has its NAT gateway and zone b some subnets.
        let completed = cut_reconcile(&ec2, &iam, &cfg, n, Duration::from_millis(3)).await;
        assert!(!completed, "the run completed before task {n}");
        let inv = inventory(&ec2, &iam).await;
        mid = inv.owned_count("nat-gateway") >= 1 && inv.owned_count("subnet") >= 4;
        n += 1;
    }
    infrastructure::delete(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
    let after = inventory(&ec2, &iam).await;
    assert!(after.nothing_owned(), "{:?}", after.owned);

    // Cut off at every task in turn (at its start and a little into it), each run resuming the former ones.
    let delays = [0, 2, 5, 9].map(Duration::from_millis);
    let mut n = 1;
    let mut runs = 0;
    loop {
        let completed = cut_reconcile(&ec2, &iam, &cfg, n, delays[runs % delays.len()]).await;
        runs += 1;
        if completed {
            break;
        }
        // No duplicates at any point.
        let inv = inventory(&ec2, &iam).await;
        for (kind, max) in [("vpc", 1), ("internet-gateway", 1), ("subnet", 6), ("nat-gateway", 2), ("route-table", 3)]
        {
            assert!(inv.owned_count(kind) <= max, "after a cut at task {n}: {kind}: {:?}", inv.owned.get(kind));
        }
        n += 1;
        assert!(n < 100, "the flow never completed");
    }
    assert!(runs > 10, "only {runs} runs");
    let status = infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
    expected_subnets(&status);
    let inv = inventory(&ec2, &iam).await;
    assert_complete(&inv, 2, true);
    assert_eq!(inv.owned_count("elastic-ip"), 2, "{:?}", inv.owned.get("elastic-ip"));

    infrastructure::delete(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
    let after = inventory(&ec2, &iam).await;
    assert!(after.nothing_owned(), "{:?}", after.owned);
}

#[tokio::test]
async fn an_existing_vpc_is_used_and_survives_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let moto = peers::Moto::start(tmp.path());
    let (ec2, iam) = clients(&moto.endpoint(), &key("test", "test"));

    // The user's VPC with DNS hostnames and an internet gateway, and an elastic IP for zone a.
    let vpc = ec2.create_vpc().cidr_block("10.250.0.0/16").send().await.unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc_id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let igw_id = igw.internet_gateway().unwrap().internet_gateway_id().unwrap().to_string();
    ec2.attach_internet_gateway().internet_gateway_id(&igw_id).vpc_id(&vpc_id).send().await.unwrap();
    let eip = ec2.allocate_address().domain(aws_sdk_ec2::types::DomainType::Vpc).send().await.unwrap();
    let given_eip = eip.allocation_id().unwrap().to_string();

    let mut cfg = config(Vpc { id: Some(vpc_id.clone()), ..Default::default() });
    cfg.networks.zones[0].elastic_ip_allocation_id = Some(given_eip.clone());
    let status = infrastructure::reconcile(&ec2, &iam, &request(&cfg, None), &ignore).await.unwrap();
    assert_eq!(status.vpc.id, vpc_id);
    expected_subnets(&status);
    assert_eq!(status.ec2.key_name, "", "no SSH key, no key pair");
    let inv = inventory(&ec2, &iam).await;
    for (kind, n) in [("vpc", 0), ("internet-gateway", 0), ("dhcp-options", 0), ("subnet", 6), ("route-table", 3)] {
        assert_eq!(inv.owned_count(kind), n, "{kind}: {:?}", inv.owned.get(kind));
    }
    assert_eq!(inv.owned_count("elastic-ip"), 1, "only zone b's is the flow's: {:?}", inv.owned.get("elastic-ip"));
    // The public route table goes through the user's gateway; zone a's NAT gateway has the given address.
    let public = &status.subnet(PURPOSE_PUBLIC, "us-east-1a").unwrap().id;
    let tables = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("association.subnet-id").values(public).build())
        .send()
        .await
        .unwrap();
    let default =
        tables.route_tables()[0].routes().iter().find(|r| r.destination_cidr_block() == Some("0.0.0.0/0")).unwrap();
    assert_eq!(default.gateway_id(), Some(igw_id.as_str()));
    let nats = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("subnet-id").values(public).build())
        .send()
        .await
        .unwrap();
    assert_eq!(nats.nat_gateways()[0].nat_gateway_addresses()[0].allocation_id(), Some(given_eip.as_str()));
    // Idempotent here too.
    assert_eq!(infrastructure::reconcile(&ec2, &iam, &request(&cfg, None), &ignore).await.unwrap(), status);
    assert_eq!(inventory(&ec2, &iam).await, inv);

    // Zone b switches to a given elastic IP: its NAT gateway is replaced by one with that address.
    let eip_b = ec2.allocate_address().domain(aws_sdk_ec2::types::DomainType::Vpc).send().await.unwrap();
    let given_eip_b = eip_b.allocation_id().unwrap().to_string();
    cfg.networks.zones[1].elastic_ip_allocation_id = Some(given_eip_b.clone());
    assert_eq!(infrastructure::reconcile(&ec2, &iam, &request(&cfg, None), &ignore).await.unwrap(), status);
    let public_b = &status.subnet(PURPOSE_PUBLIC, "us-east-1b").unwrap().id;
    let nats = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("subnet-id").values(public_b).build())
        .send()
        .await
        .unwrap();
    let live: Vec<_> = nats.nat_gateways().iter().filter(|n| n.state() != Some(&NatGatewayState::Deleted)).collect();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0].nat_gateway_addresses()[0].allocation_id(), Some(given_eip_b.as_str()));
    let tables = ec2
        .describe_route_tables()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .values(&status.subnet(PURPOSE_NODES, "us-east-1b").unwrap().id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let default =
        tables.route_tables()[0].routes().iter().find(|r| r.destination_cidr_block() == Some("0.0.0.0/0")).unwrap();
    assert_eq!(default.nat_gateway_id(), live[0].nat_gateway_id(), "the private route follows the new NAT gateway");

    infrastructure::delete(&ec2, &iam, &request(&cfg, None), &ignore).await.unwrap();
    let after = inventory(&ec2, &iam).await;
    assert!(after.nothing_owned(), "{:?}", after.owned);
    let vpcs = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    assert!(!owned(vpcs.vpcs()[0].tags()));
    let igws = ec2.describe_internet_gateways().internet_gateway_ids(&igw_id).send().await.unwrap();
    assert_eq!(igws.internet_gateways()[0].attachments()[0].vpc_id(), Some(vpc_id.as_str()));
    let eips = ec2.describe_addresses().allocation_ids(&given_eip).allocation_ids(&given_eip_b).send().await.unwrap();
    assert_eq!(eips.addresses().len(), 2, "the given elastic IPs stay");

    // Refusals: a VPC that does not exist, one without an internet gateway, one without DNS hostnames.
    let missing = config(Vpc { id: Some("vpc-0123456789abcdef0".into()), ..Default::default() });
    let e = infrastructure::reconcile(&ec2, &iam, &request(&missing, None), &ignore).await.unwrap_err();
    assert_eq!(e.gardener_code(), Some("ERR_CONFIGURATION_PROBLEM"), "{e}");
    assert!(e.message.contains("vpc-0123456789abcdef0"), "{e}");
    let bare = ec2.create_vpc().cidr_block("10.251.0.0/16").send().await.unwrap();
    let bare_id = bare.vpc().unwrap().vpc_id().unwrap().to_string();
    let no_dns = config(Vpc { id: Some(bare_id.clone()), ..Default::default() });
    let e = infrastructure::reconcile(&ec2, &iam, &request(&no_dns, None), &ignore).await.unwrap_err();
    assert_eq!(e.gardener_code(), Some("ERR_CONFIGURATION_PROBLEM"), "{e}");
    assert!(e.message.contains("enableDnsHostnames"), "{e}");
    ec2.modify_vpc_attribute()
        .vpc_id(&bare_id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let e = infrastructure::reconcile(&ec2, &iam, &request(&no_dns, None), &ignore).await.unwrap_err();
    assert_eq!(e.gardener_code(), Some("ERR_CONFIGURATION_PROBLEM"), "{e}");
    assert!(e.message.contains("internet gateway"), "{e}");
    assert!(inventory(&ec2, &iam).await.nothing_owned());
}

fn assert_no_secret(e: &InfraError, secret: &str) {
    assert!(!e.to_string().contains(secret) && !format!("{e:?}").contains(secret), "{e:?}");
}

#[tokio::test]
async fn wrong_or_powerless_credentials_get_gardeners_codes() {
    let tmp = tempfile::tempdir().unwrap();
    // Moto checks credentials after the first five requests, which create a user without permissions and one
    // allowed everything.
    let moto = peers::Moto::start_with(tmp.path(), &[("INITIAL_NO_AUTH_ACTION_COUNT", "5")]);
    let (_, admin) = clients(&moto.endpoint(), &key("test", "test"));
    admin.create_user().user_name("powerless").send().await.unwrap();
    let created = admin.create_access_key().user_name("powerless").send().await.unwrap();
    let access = created.access_key().unwrap();
    let powerless = key(access.access_key_id(), access.secret_access_key());
    admin.create_user().user_name("operator").send().await.unwrap();
    let everything = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    admin.put_user_policy().user_name("operator").policy_name("all").policy_document(everything).send().await.unwrap();
    let created = admin.create_access_key().user_name("operator").send().await.unwrap();
    let access = created.access_key().unwrap();
    let operator = key(access.access_key_id(), access.secret_access_key());

    let cfg = config(new_vpc());
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRET";
    let (ec2, iam) = clients(&moto.endpoint(), &key("AKIAIOSFODNN7WRONG00", secret));
    let e = infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap_err();
    assert_eq!(e.gardener_code(), Some("ERR_INFRA_UNAUTHENTICATED"), "{e:?}");
    assert_eq!(e.task, "Ensuring VPC");
    assert_no_secret(&e, secret);
    let e = infrastructure::delete(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap_err();
    assert_eq!(e.gardener_code(), Some("ERR_INFRA_UNAUTHENTICATED"), "{e:?}");
    assert_no_secret(&e, secret);

    let (ec2, iam) = clients(&moto.endpoint(), &powerless);
    let e = infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap_err();
    assert_eq!(e.gardener_code(), Some("ERR_INFRA_UNAUTHORIZED"), "{e:?}");
    assert_no_secret(&e, &powerless.secret);

    // Every request signed (and checked by moto) with the operator's key: the whole flow, both ways.
    let (ec2, iam) = clients(&moto.endpoint(), &operator);
    infrastructure::reconcile(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
    infrastructure::delete(&ec2, &iam, &request(&cfg, Some(SSH_KEY)), &ignore).await.unwrap();
    let inv = inventory(&ec2, &iam).await;
    assert!(inv.nothing_owned(), "left after delete: {inv:?}");
}
