//! `gardener-extension-provider-aws`: the AWS provider extension of a seed. Reconciles `Infrastructure`s of type
//! `aws` (VPC, subnets, gateways, security group, IAM, key pair) and `Worker`s of type `aws` (MachineClasses and
//! MachineDeployments for the machine controller's AWS driver).
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;
use component_base::{health, LogFormat};
use provider_aws::ec2::Clients;
use provider_aws::infrastructure_actuator::AwsInfrastructure;
use provider_aws::worker::Aws;
use tracing::{error, info};

/// The AWS provider extension: Infrastructure and Worker actuators.
#[derive(Parser, Debug)]
#[command(name = "gardener-extension-provider-aws", version)]
struct Flags {
    /// Kubeconfig of the seed API.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: String,
    /// An EC2/IAM endpoint other than AWS's (an operator setting of the seed, e.g. moto in tests; tenants cannot
    /// set it).
    #[arg(long)]
    aws_endpoint: Option<String>,
    /// Health endpoint (`/healthz`, `/readyz`).
    #[arg(long, default_value = "127.0.0.1:10260")]
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
        error!(error = %e, "provider-aws failed");
        std::process::exit(1);
    }
}

async fn run(flags: Flags) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let client = component_base::kube_client(&flags.kubeconfig).await?;
    let ready = Arc::new(AtomicBool::new(false));
    health::start(flags.health_bind_address, ready.clone(), "not ready: caches not synced").await?;
    info!(endpoint = flags.aws_endpoint.as_deref().unwrap_or("AWS"), "provider-aws started");
    let actuator = Arc::new(AwsInfrastructure { clients: Clients::new(flags.aws_endpoint) });
    let infra = Arc::new(infrastructure_actuator::Ctx::new(client.clone(), actuator));
    tokio::join!(infrastructure_actuator::run(infra), worker_actuator::run(client, Arc::new(Aws), ready));
    info!("provider-aws stopped");
    Ok(())
}
