//! The infrastructure flow of an OpenStack shoot, as named tasks, each idempotent and resumable from what the
//! cloud holds alone: every resource this flow creates is named after the shoot's technical ID and carries
//! [`owner_marker`] as its description (set in the create call itself, so no crash can leave an unmarked one),
//! and is found again by both. What the shoot names by ID (an existing router or network) is used, never changed
//! nor deleted.
//!
//! Reconcile: the floating pool (an external network, by name) -> router (or the existing one) -> network (or the
//! existing one) -> subnet of the workers CIDR -> router interface -> security group and its rules -> key pair.
//! Delete, in Gardener's order: key pair and security group, router interface, subnet and network, router; what is
//! already gone is skipped.

use std::borrow::Cow;

use openstack_sdk::api::compute::v2::keypair;
use openstack_sdk::api::network::v2::{network, router, security_group, security_group_rule, subnet};
use openstack_sdk::AsyncOpenStack;
use serde::Deserialize;
use serde_json::Value;
use tracing::info;

use crate::client::{call, run, OsError, ERR_CONFIGURATION_PROBLEM};

/// Hears the name of each task as it starts.
pub type Progress<'a> = dyn Fn(&str) + Send + Sync + 'a;

/// What the flow builds, from the shoot's `InfrastructureConfig` and the CloudProfile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The shoot's technical ID (`shoot--<project>--<name>`): names every resource.
    pub technical_id: String,
    /// `floatingPoolName`: the external network the router's gateway is on.
    pub floating_pool: String,
    /// `networks.router.id`: an existing router to use.
    pub router_id: Option<String>,
    /// `networks.router.enableSNAT`.
    pub enable_snat: Option<bool>,
    /// `networks.id`: an existing network to use.
    pub network_id: Option<String>,
    /// `networks.subnetId`: an existing subnet of that network to use.
    pub subnet_id: Option<String>,
    /// `networks.workers`: the CIDR of the nodes' subnet.
    pub workers_cidr: String,
    /// The CloudProfile's `dnsServers` for the subnet.
    pub dns_servers: Vec<String>,
    /// The shoot's SSH public key (the key pair), if it has one.
    pub ssh_public_key: Option<String>,
}

/// What the flow built: the fields of the `InfrastructureStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Built {
    pub floating_pool_id: String,
    pub floating_pool_name: String,
    pub router_id: String,
    /// The router's address on the floating pool (its first external fixed IP).
    pub router_ip: String,
    pub network_id: String,
    pub network_name: String,
    pub subnet_id: String,
    pub security_group_id: String,
    pub security_group_name: String,
    pub key_name: Option<String>,
}

/// A failed task: its name, Gardener's error code when one applies, and a message a tenant can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("task {task:?} failed: {message}")]
pub struct TaskError {
    pub task: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
}

impl TaskError {
    fn config(task: &'static str, message: String) -> Self {
        TaskError { task, code: Some(ERR_CONFIGURATION_PROBLEM), message }
    }
}

trait InTask<T> {
    fn task(self, task: &'static str) -> Result<T, TaskError>;
}

impl<T> InTask<T> for Result<T, OsError> {
    fn task(self, task: &'static str) -> Result<T, TaskError> {
        self.map_err(|e| TaskError { task, code: e.gardener_code(), message: e.to_string() })
    }
}

/// The description of everything this flow creates for shoot `technical_id`: what proves it is ours.
pub fn owner_marker(technical_id: &str) -> String {
    format!("kubernetes.io-cluster-{technical_id}")
}

#[derive(Debug, Deserialize)]
struct Resource {
    id: String,
    #[serde(default)]
    name: String,
}

fn build<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, OsError> {
    r.map_err(|e| OsError { operation: what.to_string(), status: None, message: format!("building the request: {e}") })
}

/// Runs the flow; every task first looks for what an earlier (perhaps interrupted) run made.
pub async fn reconcile(os: &AsyncOpenStack, plan: &Plan, progress: &Progress<'_>) -> Result<Built, TaskError> {
    let id = plan.technical_id.as_str();
    let marker = owner_marker(id);

    const T_POOL: &str = "look up the floating pool";

    progress(T_POOL);
    let pools: Vec<Resource> = call(
        os,
        "list external networks",
        &build(
            "list external networks",
            network::list::Request::builder().name(plan.floating_pool.as_str()).router_external(true).build(),
        )
        .task(T_POOL)?,
    )
    .await
    .task(T_POOL)?;
    let pool = match pools.as_slice() {
        [one] => one,
        [] => return Err(TaskError::config(T_POOL, format!("no external network named {:?}", plan.floating_pool))),
        _ => {
            return Err(TaskError::config(
                T_POOL,
                format!("{} external networks are named {:?}", pools.len(), plan.floating_pool),
            ))
        }
    };

    const T_ROUTER: &str = "ensure the router";

    progress(T_ROUTER);
    let router: Value = match &plan.router_id {
        Some(rid) => call(
            os,
            "get router",
            &build("get router", router::get::Request::builder().id(rid.as_str()).build()).task(T_ROUTER)?,
        )
        .await
        .map_err(|e| {
            if e.not_found() {
                TaskError::config(T_ROUTER, format!("router {rid} (networks.router.id) does not exist"))
            } else {
                TaskError { task: T_ROUTER, code: e.gardener_code(), message: e.to_string() }
            }
        })?,
        None => {
            let owned: Vec<Value> = call(
                os,
                "list routers",
                &build("list routers", router::list::Request::builder().name(id).description(marker.as_str()).build())
                    .task(T_ROUTER)?,
            )
            .await
            .task(T_ROUTER)?;
            match owned.into_iter().next() {
                Some(r) => r,
                None => {
                    let mut gw = router::create::ExternalGatewayInfoBuilder::default();
                    gw.network_id(pool.id.as_str());
                    if let Some(snat) = plan.enable_snat {
                        gw.enable_snat(snat);
                    }
                    let gw = build("create router", gw.build()).task(T_ROUTER)?;
                    let body = build(
                        "create router",
                        router::create::RouterBuilder::default()
                            .name(id)
                            .description(marker.as_str())
                            .external_gateway_info(Some(gw))
                            .build(),
                    )
                    .task(T_ROUTER)?;
                    let created: Value = call(
                        os,
                        "create router",
                        &build("create router", router::create::Request::builder().router(body).build())
                            .task(T_ROUTER)?,
                    )
                    .await
                    .task(T_ROUTER)?;
                    info!(shoot = id, router = %created["id"], "created router");
                    created
                }
            }
        }
    };
    let router_id = router["id"].as_str().unwrap_or_default().to_string();
    let router_ip = router
        .pointer("/external_gateway_info/external_fixed_ips/0/ip_address")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();

    const T_NETWORK: &str = "ensure the network";

    progress(T_NETWORK);
    let net: Resource = match &plan.network_id {
        Some(nid) => call(
            os,
            "get network",
            &build("get network", network::get::Request::builder().id(nid.as_str()).build()).task(T_NETWORK)?,
        )
        .await
        .map_err(|e| {
            if e.not_found() {
                TaskError::config(T_NETWORK, format!("network {nid} (networks.id) does not exist"))
            } else {
                TaskError { task: T_NETWORK, code: e.gardener_code(), message: e.to_string() }
            }
        })?,
        None => {
            let owned: Vec<Resource> = call(
                os,
                "list networks",
                &build(
                    "list networks",
                    network::list::Request::builder().name(id).description(marker.as_str()).build(),
                )
                .task(T_NETWORK)?,
            )
            .await
            .task(T_NETWORK)?;
            match owned.into_iter().next() {
                Some(n) => n,
                None => {
                    let body = build(
                        "create network",
                        network::create::NetworkBuilder::default().name(id).description(marker.as_str()).build(),
                    )
                    .task(T_NETWORK)?;
                    let created: Resource = call(
                        os,
                        "create network",
                        &build("create network", network::create::Request::builder().network(body).build())
                            .task(T_NETWORK)?,
                    )
                    .await
                    .task(T_NETWORK)?;
                    info!(shoot = id, network = %created.id, "created network");
                    created
                }
            }
        }
    };

    const T_SUBNET: &str = "ensure the subnet";

    progress(T_SUBNET);
    let subnet_id = match &plan.subnet_id {
        Some(sid) => sid.clone(),
        None => {
            let owned: Vec<Resource> = call(
                os,
                "list subnets",
                &build(
                    "list subnets",
                    subnet::list::Request::builder()
                        .name(id)
                        .description(marker.as_str())
                        .network_id(net.id.as_str())
                        .build(),
                )
                .task(T_SUBNET)?,
            )
            .await
            .task(T_SUBNET)?;
            match owned.into_iter().next() {
                Some(s) => s.id,
                None => {
                    let body = build(
                        "create subnet",
                        subnet::create::SubnetBuilder::default()
                            .name(id)
                            .description(marker.as_str())
                            .network_id(net.id.as_str())
                            .ip_version(4)
                            .cidr(Some(Cow::from(plan.workers_cidr.as_str())))
                            .dns_nameservers(plan.dns_servers.iter().map(|s| Cow::from(s.as_str())).collect::<Vec<_>>())
                            .build(),
                    )
                    .task(T_SUBNET)?;
                    let created: Resource = call(
                        os,
                        "create subnet",
                        &build("create subnet", subnet::create::Request::builder().subnet(body).build())
                            .task(T_SUBNET)?,
                    )
                    .await
                    .task(T_SUBNET)?;
                    info!(shoot = id, subnet = %created.id, cidr = %plan.workers_cidr, "created subnet");
                    created.id
                }
            }
        }
    };

    const T_INTERFACE: &str = "ensure the router interface";

    progress(T_INTERFACE);
    let add = build(
        "add router interface",
        router::add_router_interface::Request::builder().id(router_id.as_str()).subnet_id(subnet_id.as_str()).build(),
    )
    .task(T_INTERFACE)?;
    match run(os, "add router interface", &add).await {
        Ok(()) => info!(shoot = id, router = %router_id, subnet = %subnet_id, "attached subnet to router"),
        // Neutron answers 400 when the router has a port on the subnet already: what this task wants.
        Err(e) if e.status == Some(400) && e.message.contains("already has a port") => {}
        Err(e) => return Err(e).task(T_INTERFACE),
    }

    const T_SG: &str = "ensure the security group";

    progress(T_SG);
    let owned: Vec<Resource> = call(
        os,
        "list security groups",
        &build(
            "list security groups",
            security_group::list::Request::builder().name(id).description(marker.as_str()).build(),
        )
        .task(T_SG)?,
    )
    .await
    .task(T_SG)?;
    let sg = match owned.into_iter().next() {
        Some(sg) => sg,
        None => {
            let body = build(
                "create security group",
                security_group::create::SecurityGroupBuilder::default().name(id).description(marker.as_str()).build(),
            )
            .task(T_SG)?;
            let created: Resource = call(
                os,
                "create security group",
                &build(
                    "create security group",
                    security_group::create::Request::builder().security_group(body).build(),
                )
                .task(T_SG)?,
            )
            .await
            .task(T_SG)?;
            info!(shoot = id, security_group = %created.id, "created security group");
            created
        }
    };
    ensure_rules(os, &sg.id).await.task("ensure the security group rules")?;

    const T_KEY: &str = "ensure the key pair";

    progress(T_KEY);
    let key_name = match &plan.ssh_public_key {
        Some(key) => {
            ensure_key_pair(os, id, key).await.task(T_KEY)?;
            Some(id.to_string())
        }
        None => None,
    };

    Ok(Built {
        floating_pool_id: pool.id.clone(),
        floating_pool_name: pool.name.clone(),
        router_id,
        router_ip,
        network_id: net.id,
        network_name: net.name,
        subnet_id,
        security_group_id: sg.id,
        security_group_name: sg.name,
        key_name,
    })
}

/// The nodes' rules: everything between the nodes (the group itself), TCP and UDP node ports from anywhere.
/// Neutron creates the egress rules with the group.
async fn ensure_rules(os: &AsyncOpenStack, sg: &str) -> Result<(), OsError> {
    #[derive(Deserialize)]
    struct Rule {
        direction: String,
        #[serde(default)]
        protocol: Option<String>,
        #[serde(default)]
        port_range_min: Option<i32>,
        #[serde(default)]
        remote_group_id: Option<String>,
        #[serde(default)]
        ethertype: String,
    }
    let have: Vec<Rule> = call(
        os,
        "list security group rules",
        &build(
            "list security group rules",
            security_group_rule::list::Request::builder().security_group_id(sg).build(),
        )?,
    )
    .await?;
    let wanted: [(Option<&str>, Option<i32>, bool); 3] =
        [(None, None, true), (Some("tcp"), Some(30000), false), (Some("udp"), Some(30000), false)];
    for (protocol, port_min, from_self) in wanted {
        let present = have.iter().any(|r| {
            r.direction == "ingress"
                && r.ethertype == "IPv4"
                && r.protocol.as_deref() == protocol
                && r.port_range_min == port_min
                && r.remote_group_id.is_some() == from_self
        });
        if present {
            continue;
        }
        let mut rule = security_group_rule::create::SecurityGroupRuleBuilder::default();
        rule.security_group_id(sg)
            .direction(security_group_rule::create::Direction::Ingress)
            .ethertype(security_group_rule::create::Ethertype::Ipv4);
        if from_self {
            rule.remote_group_id(sg);
        } else {
            rule.remote_ip_prefix("0.0.0.0/0").port_range_min(Some(30000)).port_range_max(Some(32767));
        }
        if let Some(p) = protocol {
            rule.protocol(p);
        }
        let rule = build("create security group rule", rule.build())?;
        let req = build(
            "create security group rule",
            security_group_rule::create::Request::builder().security_group_rule(rule).build(),
        )?;
        match call::<_, Value>(os, "create security group rule", &req).await {
            Ok(_) => {}
            // Created meanwhile (a concurrent or interrupted run): what this step wants.
            Err(e) if e.status == Some(409) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Key pair `name` with `public_key`: created when missing, replaced when it holds another key.
async fn ensure_key_pair(os: &AsyncOpenStack, name: &str, public_key: &str) -> Result<(), OsError> {
    let get = build("get key pair", keypair::get_20::Request::builder().id(name).build())?;
    match call::<_, Value>(os, "get key pair", &get).await {
        Ok(kp) if kp["public_key"].as_str().map(str::trim) == Some(public_key.trim()) => return Ok(()),
        Ok(_) => {
            run(
                os,
                "delete key pair",
                &build("delete key pair", keypair::delete_20::Request::builder().id(name).build())?,
            )
            .await?
        }
        Err(e) if e.not_found() => {}
        Err(e) => return Err(e),
    }
    let body = build(
        "create key pair",
        keypair::create_292::KeypairBuilder::default().name(name).public_key(public_key).build(),
    )?;
    let req = build("create key pair", keypair::create_292::Request::builder().keypair(body).build())?;
    match call::<_, Value>(os, "create key pair", &req).await {
        Ok(_) => Ok(()),
        Err(e) if e.status == Some(409) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Deletes what [`reconcile`] made for `plan.technical_id`, in Gardener's order; what is gone already (or was
/// never made, or was the shoot's own) is left alone. Safe to repeat after any interruption.
pub async fn delete(os: &AsyncOpenStack, plan: &Plan, progress: &Progress<'_>) -> Result<(), TaskError> {
    let id = plan.technical_id.as_str();
    let marker = owner_marker(id);

    const T_KEY: &str = "delete the key pair";

    progress(T_KEY);
    let del = build("delete key pair", keypair::delete_20::Request::builder().id(id).build()).task(T_KEY)?;
    ignore_gone(run(os, "delete key pair", &del).await).task(T_KEY)?;

    const T_SG: &str = "delete the security group";

    progress(T_SG);
    let groups: Vec<Resource> = call(
        os,
        "list security groups",
        &build(
            "list security groups",
            security_group::list::Request::builder().name(id).description(marker.as_str()).build(),
        )
        .task(T_SG)?,
    )
    .await
    .task(T_SG)?;
    for sg in groups {
        let del = build("delete security group", security_group::delete::Request::builder().id(sg.id.as_str()).build())
            .task(T_SG)?;
        ignore_gone(run(os, "delete security group", &del).await).task(T_SG)?;
        info!(shoot = id, security_group = %sg.id, "deleted security group");
    }

    // The router: ours, or the shoot's own (whose interface to our subnet still goes).
    const T_INTERFACE: &str = "delete the router interface";
    progress(T_INTERFACE);
    let routers: Vec<Resource> = match &plan.router_id {
        Some(rid) => vec![Resource { id: rid.clone(), name: String::new() }],
        None => call(
            os,
            "list routers",
            &build("list routers", router::list::Request::builder().name(id).description(marker.as_str()).build())
                .task(T_INTERFACE)?,
        )
        .await
        .task(T_INTERFACE)?,
    };
    let networks: Vec<Resource> = match &plan.network_id {
        Some(nid) => vec![Resource { id: nid.clone(), name: String::new() }],
        None => call(
            os,
            "list networks",
            &build("list networks", network::list::Request::builder().name(id).description(marker.as_str()).build())
                .task(T_INTERFACE)?,
        )
        .await
        .task(T_INTERFACE)?,
    };
    let mut subnets: Vec<Resource> = Vec::new();
    for net in &networks {
        let owned: Vec<Resource> = call(
            os,
            "list subnets",
            &build(
                "list subnets",
                subnet::list::Request::builder()
                    .name(id)
                    .description(marker.as_str())
                    .network_id(net.id.as_str())
                    .build(),
            )
            .task(T_INTERFACE)?,
        )
        .await
        .task(T_INTERFACE)?;
        subnets.extend(owned);
    }
    for r in &routers {
        for s in &subnets {
            let req = build(
                "remove router interface",
                router::remove_router_interface::Request::builder().id(r.id.as_str()).subnet_id(s.id.as_str()).build(),
            )
            .task(T_INTERFACE)?;
            match run(os, "remove router interface", &req).await {
                Ok(()) => info!(shoot = id, router = %r.id, subnet = %s.id, "detached subnet from router"),
                // 404: the router, the subnet or the interface is gone already.
                Err(e) if e.not_found() => {}
                Err(e) => return Err(e).task(T_INTERFACE),
            }
        }
    }

    const T_SUBNET: &str = "delete the subnet and the network";

    progress(T_SUBNET);
    for s in &subnets {
        let del =
            build("delete subnet", subnet::delete::Request::builder().id(s.id.as_str()).build()).task(T_SUBNET)?;
        ignore_gone(run(os, "delete subnet", &del).await).task(T_SUBNET)?;
        info!(shoot = id, subnet = %s.id, "deleted subnet");
    }
    if plan.network_id.is_none() {
        for n in &networks {
            let del = build("delete network", network::delete::Request::builder().id(n.id.as_str()).build())
                .task(T_SUBNET)?;
            ignore_gone(run(os, "delete network", &del).await).task(T_SUBNET)?;
            info!(shoot = id, network = %n.id, "deleted network");
        }
    }

    const T_ROUTER: &str = "delete the router";

    progress(T_ROUTER);
    if plan.router_id.is_none() {
        for r in &routers {
            let del =
                build("delete router", router::delete::Request::builder().id(r.id.as_str()).build()).task(T_ROUTER)?;
            ignore_gone(run(os, "delete router", &del).await).task(T_ROUTER)?;
            info!(shoot = id, router = %r.id, "deleted router");
        }
    }
    Ok(())
}

fn ignore_gone(r: Result<(), OsError>) -> Result<(), OsError> {
    match r {
        Err(e) if e.not_found() => Ok(()),
        other => other,
    }
}
