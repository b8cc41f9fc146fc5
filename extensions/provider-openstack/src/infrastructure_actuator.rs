//! The OpenStack part of the shared Infrastructure controller ([`infrastructure_actuator`]): Keystone credentials
//! from the Secret (the CloudProfile's Keystone URL of the region when the Secret names none), the
//! `InfrastructureConfig`, and the [`crate::infrastructure`] flow with its errors as Gardener reports them.

use garden_api::provider::openstack::v1alpha1::{
    self as os, CloudProfileConfig, FloatingPoolStatus, InfrastructureConfig, InfrastructureStatus, NetworkStatus,
    NodeStatus, RouterStatus, SecurityGroup, Subnet, PROVIDER_TYPE, PURPOSE_NODES,
};
use infrastructure_actuator::{Actuator, Failure, Request};
use openstack_sdk::AsyncOpenStack;
use serde_json::Value;

use crate::client::{Credentials, Sessions};
use crate::infrastructure::{self, Built, Plan, TaskError};

/// The OpenStack infrastructure actuator.
#[derive(Default)]
pub struct OpenStackInfrastructure {
    pub sessions: Sessions,
}

impl From<TaskError> for Failure {
    fn from(e: TaskError) -> Self {
        Failure { task: e.task.to_string(), description: e.message, codes: e.code.into_iter().collect() }
    }
}

const T_CREDENTIALS: &str = "Reading credentials";
const T_CONFIG: &str = "Reading providerConfig";

fn profile_config(req: &Request<'_>) -> Result<Option<CloudProfileConfig>, Failure> {
    let Some(raw) = req.cloud_profile.and_then(|p| p.spec.provider_config.as_ref()) else { return Ok(None) };
    os::decode(raw, "spec.providerConfig")
        .map(Some)
        .map_err(|e| Failure::configuration(T_CONFIG, format!("CloudProfile: {}: {}", e.field, e.message)))
}

fn plan(req: &Request<'_>, profile: Option<&CloudProfileConfig>) -> Result<Plan, Failure> {
    let raw = req.infra.spec.provider_config.as_ref().ok_or_else(|| {
        Failure::configuration(T_CONFIG, "spec.providerConfig is required (floatingPoolName, networks)".into())
    })?;
    let config: InfrastructureConfig = os::decode(raw, "spec.providerConfig")
        .map_err(|e| Failure::configuration(T_CONFIG, format!("{}: {}", e.field, e.message)))?;
    let (_, cidr) = config.networks.workers_cidr().ok_or_else(|| {
        Failure::configuration(T_CONFIG, "spec.providerConfig.networks.workers: the nodes' CIDR is required".into())
    })?;
    Ok(Plan {
        technical_id: req.technical_id.to_string(),
        floating_pool: config.floating_pool_name.clone(),
        router_id: config.networks.router.as_ref().map(|r| r.id.clone()).filter(|id| !id.is_empty()),
        enable_snat: profile.and_then(|p| p.use_snat),
        network_id: config.networks.id.clone().filter(|id| !id.is_empty()),
        subnet_id: None,
        workers_cidr: cidr.to_string(),
        dns_servers: profile.map(|p| p.dns_servers.clone()).unwrap_or_default(),
        ssh_public_key: req.ssh_public_key.map(str::to_string),
    })
}

fn status(plan: &Plan, built: Built) -> InfrastructureStatus {
    InfrastructureStatus {
        networks: NetworkStatus {
            id: built.network_id,
            name: built.network_name,
            floating_pool: FloatingPoolStatus { id: built.floating_pool_id, name: built.floating_pool_name },
            router: RouterStatus {
                id: built.router_id,
                external_fixed_ips: vec![built.router_ip.clone()].into_iter().filter(|ip| !ip.is_empty()).collect(),
                ip: built.router_ip,
            },
            subnets: vec![Subnet {
                purpose: PURPOSE_NODES.into(),
                id: built.subnet_id,
                cidr: plan.workers_cidr.clone(),
            }],
            ..Default::default()
        },
        node: NodeStatus { key_name: built.key_name.unwrap_or_default() },
        security_groups: vec![SecurityGroup {
            purpose: PURPOSE_NODES.into(),
            id: built.security_group_id,
            name: built.security_group_name,
        }],
        ..Default::default()
    }
}

impl OpenStackInfrastructure {
    /// A session for the request's credentials in its region, and the plan.
    async fn prepare(&self, req: &Request<'_>) -> Result<(AsyncOpenStack, Plan), Failure> {
        let region = req.infra.spec.region.as_str();
        let profile = profile_config(req)?;
        let plan = plan(req, profile.as_ref())?;
        let keystone = profile.as_ref().and_then(|p| p.keystone_url_for(region));
        let creds = Credentials::from_secret(req.credentials, keystone).map_err(|e| {
            let r = &req.infra.spec.secret_ref;
            let name =
                format!("{}/{}", r.namespace.as_deref().unwrap_or(req.technical_id), r.name.as_deref().unwrap_or(""));
            Failure::configuration(T_CREDENTIALS, format!("Secret {name}: {e}"))
        })?;
        match self.sessions.get(&creds, region).await {
            Ok(session) => Ok((session, plan)),
            Err(e) => {
                // The password may change in the Secret or in Keystone: log in afresh next time.
                self.sessions.forget(&creds, region).await;
                Err(Failure {
                    task: "Connecting to OpenStack".into(),
                    codes: e.gardener_code().into_iter().collect(),
                    description: e.to_string(),
                })
            }
        }
    }
}

#[async_trait::async_trait]
impl Actuator for OpenStackInfrastructure {
    fn infrastructure_type(&self) -> &'static str {
        PROVIDER_TYPE
    }

    async fn reconcile(&self, req: &Request<'_>) -> Result<Value, Failure> {
        let (session, plan) = self.prepare(req).await?;
        let built = infrastructure::reconcile(&session, &plan, req.progress).await?;
        Ok(os::encode(&status(&plan, built)))
    }

    async fn delete(&self, req: &Request<'_>) -> Result<(), Failure> {
        let (session, plan) = self.prepare(req).await?;
        Ok(infrastructure::delete(&session, &plan, req.progress).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_names_what_was_built_in_gardeners_shape() {
        let plan = Plan { workers_cidr: "10.250.0.0/19".into(), ..Default::default() };
        let built = Built {
            floating_pool_id: "ext-1".into(),
            floating_pool_name: "public".into(),
            router_id: "r-1".into(),
            router_ip: "172.24.4.10".into(),
            network_id: "n-1".into(),
            network_name: "shoot--dev--os".into(),
            subnet_id: "s-1".into(),
            security_group_id: "sg-1".into(),
            security_group_name: "shoot--dev--os".into(),
            key_name: Some("shoot--dev--os".into()),
        };
        let value = os::encode(&status(&plan, built));
        assert_eq!(value["kind"], "InfrastructureStatus");
        assert_eq!(value["networks"]["router"]["ip"], "172.24.4.10");
        assert_eq!(value["networks"]["router"]["externalFixedIP"][0], "172.24.4.10");
        assert_eq!(value["networks"]["floatingPool"]["name"], "public");
        assert_eq!(value["networks"]["subnets"][0]["purpose"], "nodes");
        assert_eq!(value["networks"]["subnets"][0]["cidr"], "10.250.0.0/19");
        assert_eq!(value["node"]["keyName"], "shoot--dev--os");
        assert_eq!(value["securityGroups"][0]["name"], "shoot--dev--os");
    }
}
