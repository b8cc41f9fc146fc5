//! `gardener-extension-provider-openstack`: the OpenStack provider extension of a seed. Reconciles
//! `Infrastructure`s of type `openstack` (router, network, subnet, router interface, security group, key pair)
//! and `Worker`s of type `openstack` (MachineClasses and MachineDeployments for the machine controller's nova
//! driver).
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;
use component_base::{health, LogFormat};
use provider_openstack::infrastructure_actuator::OpenStackInfrastructure;
use provider_openstack::worker::OpenStack;
use tracing::{error, info};

/// The OpenStack provider extension: Infrastructure and Worker actuators.
#[derive(Parser, Debug)]
#[command(name = "gardener-extension-provider-openstack", version)]
struct Flags {
    /// Kubeconfig of the seed API.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: String,
    /// Health endpoint (`/healthz`, `/readyz`).
    #[arg(long, default_value = "127.0.0.1:10261")]
    health_bind_address: SocketAddr,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[tokio::main]
async fn main() {
    let flags = Flags::parse();
    component_base::init_logging(flags.log_format);
    if let Err(e) = run(flags).await {
        error!(error = %e, "provider-openstack failed");
        std::process::exit(1);
    }
}

async fn run(flags: Flags) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let client = component_base::kube_client(&flags.kubeconfig).await?;
    let ready = Arc::new(AtomicBool::new(false));
    health::start(flags.health_bind_address, ready.clone(), "not ready: caches not synced").await?;
    info!("provider-openstack started");
    let infra =
        Arc::new(infrastructure_actuator::Ctx::new(client.clone(), Arc::new(OpenStackInfrastructure::default())));
    tokio::join!(infrastructure_actuator::run(infra), worker_actuator::run(client, Arc::new(OpenStack), ready));
    info!("provider-openstack stopped");
    Ok(())
}
