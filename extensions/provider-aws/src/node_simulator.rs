//! The AWS node simulator, for tests against moto only: moto's EC2 instances never boot, so no kubelet would
//! ever register them. For every live instance of every AWS shoot on the seed (found by the cluster tag, with
//! the shoot's own credentials and region) it runs the local provider's node agent in-process, which registers
//! a Node named after the instance's private DNS name with the instance's provider ID and keeps it Ready; when
//! the instance is gone it stops the agent and deletes the Node (as a cloud controller manager would). A
//! production seed never runs it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_ec2::types::Filter;
use garden_api::extensions::v1alpha1::Infrastructure;
use k8s_openapi::api::core::v1::{Node, Secret};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use provider_local::node_agent;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::ec2::Clients;
use crate::spec::{AccessKey, CLUSTER_TAG_PREFIX};
use crate::worker::WORKER_TYPE;

/// The Secret in a shoot's seed namespace with a kubeconfig for the shoot API (the machine controller's).
const SHOOT_ACCESS_SECRET: &str = "shoot-access-machine-controller";

/// One simulated kubelet: its agent task and the shoot it registered in.
struct Simulated {
    shoot: String,
    node: String,
    agent: JoinHandle<()>,
}

/// The simulator's state: agents by provider ID.
pub struct Simulator {
    seed: Client,
    clients: Clients,
    state_dir: PathBuf,
    heartbeat_interval: Duration,
    agents: HashMap<String, Simulated>,
}

impl Simulator {
    pub fn new(seed: Client, endpoint: String, state_dir: PathBuf, heartbeat_interval: Duration) -> Self {
        Simulator { seed, clients: Clients::new(Some(endpoint)), state_dir, heartbeat_interval, agents: HashMap::new() }
    }

    /// One pass over every AWS shoot of the seed.
    pub async fn sync(&mut self) -> anyhow::Result<()> {
        let infras = Api::<Infrastructure>::all(self.seed.clone()).list(&ListParams::default()).await?.items;
        let mut live: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut reachable = Vec::new();
        for infra in infras.iter().filter(|i| i.spec.type_ == WORKER_TYPE) {
            let ns = infra.namespace().unwrap_or_default();
            match self.instances(infra).await {
                Ok(instances) => {
                    reachable.push(ns.clone());
                    for (provider_id, node) in instances {
                        live.insert(provider_id, (ns.clone(), node));
                    }
                }
                Err(e) => warn!(shoot = %ns, error = %e, "cannot list the shoot's instances"),
            }
        }
        // Instances gone (of shoots that could be asked): stop the kubelet, delete the Node.
        let gone: Vec<String> = self
            .agents
            .iter()
            .filter(|(id, a)| !live.contains_key(*id) && reachable.contains(&a.shoot))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            if let Some(a) = self.agents.remove(&id) {
                a.agent.abort();
                info!(shoot = %a.shoot, node = %a.node, provider_id = %id, "instance gone: deleting its Node");
                if let Ok(client) = self.shoot_client(&a.shoot).await {
                    let _ = component_base::api::delete_if_exists(&Api::<Node>::all(client), &a.node).await;
                }
            }
        }
        for (provider_id, (shoot, node)) in live {
            if self.agents.get(&provider_id).is_some_and(|a| !a.agent.is_finished()) {
                continue;
            }
            let kubeconfig = match self.write_kubeconfig(&shoot).await {
                Ok(k) => k,
                Err(e) => {
                    warn!(shoot = %shoot, error = %e, "no shoot access yet");
                    continue;
                }
            };
            let args = node_agent::Args {
                kubeconfig,
                node_name: node.clone(),
                provider_id: provider_id.clone(),
                labels: Vec::new(),
                taints: Vec::new(),
                capacity: Vec::new(),
                heartbeat_interval: self.heartbeat_interval,
                kubelet_version: "v1.33.2".into(),
                tags: Vec::new(),
                log_format: component_base::LogFormat::Text,
            };
            info!(shoot = %shoot, node = %node, provider_id = %provider_id, "simulating the instance's kubelet");
            let agent = tokio::spawn(async move {
                if let Err(e) = node_agent::run(args).await {
                    warn!(error = %e, "node agent stopped");
                }
            });
            self.agents.insert(provider_id, Simulated { shoot, node, agent });
        }
        Ok(())
    }

    /// Live instances of the Infrastructure's shoot: (provider ID, node name).
    async fn instances(&self, infra: &Infrastructure) -> anyhow::Result<Vec<(String, String)>> {
        let ns = infra.namespace().unwrap_or_default();
        let secret_name = infra.spec.secret_ref.name.clone().unwrap_or_default();
        let secret = Api::<Secret>::namespaced(self.seed.clone(), &ns)
            .get_opt(&secret_name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the credentials Secret {ns}/{secret_name} does not exist"))?;
        let data: BTreeMap<String, Vec<u8>> =
            secret.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect();
        let key = AccessKey::from_secret(&data)?;
        let ec2 = self.clients.get(&key, &infra.spec.region);
        let mut out = Vec::new();
        let mut pages = ec2
            .describe_instances()
            .filters(Filter::builder().name("tag-key").values(format!("{CLUSTER_TAG_PREFIX}{ns}")).build())
            .filters(Filter::builder().name("instance-state-name").values("pending").values("running").build())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| crate::ec2::error("DescribeInstances", e))?;
            for i in page.reservations().iter().flat_map(|r| r.instances()) {
                let identity = crate::driver::identity(i);
                out.push((identity.provider_id, identity.node_name));
            }
        }
        Ok(out)
    }

    async fn shoot_kubeconfig(&self, shoot: &str) -> anyhow::Result<Vec<u8>> {
        let secret = Api::<Secret>::namespaced(self.seed.clone(), shoot)
            .get_opt(SHOOT_ACCESS_SECRET)
            .await?
            .ok_or_else(|| anyhow::anyhow!("secret {shoot}/{SHOOT_ACCESS_SECRET} does not exist yet"))?;
        Ok(secret.data.unwrap_or_default().remove("kubeconfig").map(|b| b.0).unwrap_or_default())
    }

    async fn write_kubeconfig(&self, shoot: &str) -> anyhow::Result<PathBuf> {
        let kubeconfig = self.shoot_kubeconfig(shoot).await?;
        let path = self.state_dir.join(format!("{shoot}.kubeconfig"));
        std::fs::create_dir_all(&self.state_dir)?;
        std::fs::write(&path, kubeconfig)?;
        Ok(path)
    }

    async fn shoot_client(&self, shoot: &str) -> anyhow::Result<Client> {
        let yaml = String::from_utf8(self.shoot_kubeconfig(shoot).await?)?;
        let kc = kube::config::Kubeconfig::from_yaml(&yaml)?;
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
        Ok(component_base::client_from_config(config)?)
    }
}
