//! `gardener-extension-provider-local`: the local provider extension of a seed. Reconciles `Worker`s of type
//! `local` into MachineClasses and MachineDeployments for the machine controller.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;
use component_base::{health, LogFormat};
use provider_local::worker::Local;
use tracing::{error, info};

/// The local provider extension: Worker actuator (pools -> MachineClasses + MachineDeployments).
#[derive(Parser, Debug)]
#[command(name = "gardener-extension-provider-local", version)]
struct Flags {
    /// Kubeconfig of the seed API.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: String,
    /// Health endpoint (`/healthz`, `/readyz`).
    #[arg(long, default_value = "127.0.0.1:10259")]
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
        error!(error = %e, "provider-local failed");
        std::process::exit(1);
    }
}

async fn run(flags: Flags) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let client = component_base::kube_client(&flags.kubeconfig).await?;
    let ready = Arc::new(AtomicBool::new(false));
    health::start(flags.health_bind_address, ready.clone(), "not ready: caches not synced").await?;
    info!("provider-local started");
    worker_actuator::run(client, Arc::new(Local), ready).await;
    info!("provider-local stopped");
    Ok(())
}
