//! The node simulator, for tests against emulated clouds only (moto's EC2 instances and the fake compute driver's
//! nova servers never boot, so no kubelet would ever register them). For every live instance of every shoot of
//! one provider type on the seed (listed by the provider's [`Instances`], with the shoot's own credentials) it
//! runs the [`node_agent`] in-process, which registers a Node with the instance's node name and provider ID and
//! keeps it Ready; when the instance is gone it stops the agent and deletes the Node (as a cloud controller
//! manager would). A production seed never runs it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use garden_api::extensions::v1alpha1::Infrastructure;
use k8s_openapi::api::core::v1::{Node, Secret};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::node_agent;

/// The Secret in a shoot's seed namespace with a kubeconfig for the shoot API (the machine controller's).
const SHOOT_ACCESS_SECRET: &str = "shoot-access-machine-controller";

/// What a provider tells the simulator: the live instances of a shoot.
#[async_trait::async_trait]
pub trait Instances: Send + Sync {
    /// The `Infrastructure.spec.type` of the shoots it lists.
    fn infrastructure_type(&self) -> &'static str;
    /// The live instances of `infra`'s shoot, as (provider ID, node name), with the data of its credentials
    /// Secret.
    async fn list(
        &self,
        infra: &Infrastructure,
        credentials: &BTreeMap<String, Vec<u8>>,
    ) -> anyhow::Result<Vec<(String, String)>>;
}

/// The flags every simulator binary takes.
#[derive(clap::Args, Debug)]
pub struct Flags {
    /// Kubeconfig of the seed API.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: String,
    /// Where the shoots' kubeconfigs for the simulated kubelets are written.
    #[arg(long, default_value = ".garden/node-simulator")]
    pub state_dir: PathBuf,
    /// How often instances are listed (seconds).
    #[arg(long, default_value = "1", value_parser = secs)]
    pub sync_period: Duration,
    /// How often each simulated kubelet renews its Lease (seconds).
    #[arg(long, default_value = "5", value_parser = secs)]
    pub heartbeat_interval: Duration,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: component_base::LogFormat,
}

fn secs(s: &str) -> Result<Duration, String> {
    s.parse::<f64>().map(Duration::from_secs_f64).map_err(|e| format!("seconds expected: {e}"))
}

/// A simulator binary's main: syncs every `sync_period` until SIGTERM/SIGINT.
pub async fn main(name: &str, flags: Flags, instances: Box<dyn Instances>) {
    component_base::init_logging(flags.log_format);
    let client = match component_base::kube_client(&flags.kubeconfig).await {
        Ok(c) => c,
        Err(e) => {
            error!(error = %e, "{name} failed");
            std::process::exit(1);
        }
    };
    let mut simulator = Simulator::new(client, instances, flags.state_dir, flags.heartbeat_interval);
    info!("{name} started (tests only)");
    let run = async {
        loop {
            if let Err(e) = simulator.sync().await {
                warn!(error = %e, "sync failed");
            }
            tokio::time::sleep(flags.sync_period).await;
        }
    };
    tokio::select! {
        () = component_base::shutdown_signal() => info!("{name} stopped"),
        () = run => {}
    }
}

/// One simulated kubelet: its agent task and the shoot it registered in.
struct Simulated {
    shoot: String,
    node: String,
    agent: JoinHandle<()>,
}

/// The simulator's state: agents by provider ID.
pub struct Simulator {
    seed: Client,
    instances: Box<dyn Instances>,
    state_dir: PathBuf,
    heartbeat_interval: Duration,
    agents: HashMap<String, Simulated>,
}

impl Simulator {
    pub fn new(seed: Client, instances: Box<dyn Instances>, state_dir: PathBuf, heartbeat_interval: Duration) -> Self {
        Simulator { seed, instances, state_dir, heartbeat_interval, agents: HashMap::new() }
    }

    /// One pass over every shoot of the provider's type on the seed.
    pub async fn sync(&mut self) -> anyhow::Result<()> {
        let infras = Api::<Infrastructure>::all(self.seed.clone()).list(&ListParams::default()).await?.items;
        let mut live: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut reachable = Vec::new();
        for infra in infras.iter().filter(|i| i.spec.type_ == self.instances.infrastructure_type()) {
            let ns = infra.namespace().unwrap_or_default();
            match self.shoot_instances(infra).await {
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

    /// Live instances of the Infrastructure's shoot, listed with its credentials Secret.
    async fn shoot_instances(&self, infra: &Infrastructure) -> anyhow::Result<Vec<(String, String)>> {
        let ns = infra.namespace().unwrap_or_default();
        let secret_name = infra.spec.secret_ref.name.clone().unwrap_or_default();
        let secret = Api::<Secret>::namespaced(self.seed.clone(), &ns)
            .get_opt(&secret_name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the credentials Secret {ns}/{secret_name} does not exist"))?;
        let data: BTreeMap<String, Vec<u8>> =
            secret.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect();
        self.instances.list(infra, &data).await
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
