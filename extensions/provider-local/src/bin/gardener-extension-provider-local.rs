//! `gardener-extension-provider-local`: the local provider extension of a seed. Reconciles `Worker`s of type
//! `local` into MachineClasses and MachineDeployments for the machine controller.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use component_base::{health, LogFormat};
use futures::StreamExt;
use garden_api::extensions::v1alpha1::Worker;
use garden_api::machine::v1alpha1::MachineDeployment;
use kube::api::Api;
use kube::runtime::{watcher, Controller};
use provider_local::worker::{error_policy, reconcile, Ctx};
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
    let listener = health::bind(flags.health_bind_address).await?;
    info!(address = %listener.local_addr()?, "serving /healthz and /readyz");
    tokio::spawn(health::serve(listener, ready.clone(), "not ready: caches not synced"));
    let controller = Controller::new(Api::<Worker>::all(client.clone()), watcher::Config::default())
        .owns(Api::<MachineDeployment>::all(client.clone()), watcher::Config::default());
    let store = controller.store();
    tokio::spawn(async move {
        if store.wait_until_ready().await.is_ok() {
            ready.store(true, Ordering::SeqCst);
        }
    });
    info!("provider-local started");
    let run = controller
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Ctx { client }))
        .for_each(|_| futures::future::ready(()));
    // Bounded: in-flight reconciles against an unreachable API must not hold up a stop.
    component_base::run_until_signalled(run).await;
    info!("provider-local stopped");
    Ok(())
}
