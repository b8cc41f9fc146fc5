//! `aws-node-simulator`: for tests against moto only (its instances never boot). Registers and heartbeats a
//! Node for every live EC2 instance of every AWS shoot on the seed, and deletes the Node when the instance is
//! gone. See `provider_aws::node_simulator`. Never part of a production seed.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use component_base::LogFormat;
use provider_aws::node_simulator::Simulator;
use tracing::{error, info, warn};

/// Stands in for the kubelets of moto's EC2 instances (tests only).
#[derive(Parser, Debug)]
#[command(name = "aws-node-simulator", version)]
struct Flags {
    /// Kubeconfig of the seed API.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: String,
    /// The EC2 endpoint (moto). Required: this tool never talks to AWS.
    #[arg(long)]
    aws_endpoint: String,
    /// Where the shoots' kubeconfigs for the simulated kubelets are written.
    #[arg(long, default_value = ".garden/aws-node-simulator")]
    state_dir: PathBuf,
    /// How often instances are listed.
    #[arg(long, default_value = "1", value_parser = secs)]
    sync_period: Duration,
    /// How often each simulated kubelet renews its Lease.
    #[arg(long, default_value = "5", value_parser = secs)]
    heartbeat_interval: Duration,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

fn secs(s: &str) -> Result<Duration, String> {
    s.parse::<f64>().map(Duration::from_secs_f64).map_err(|e| format!("seconds expected: {e}"))
}

#[tokio::main]
async fn main() {
    let flags = Flags::parse();
    component_base::init_logging(flags.log_format);
    let client = match component_base::kube_client(&flags.kubeconfig).await {
        Ok(c) => c,
        Err(e) => {
            error!(error = %e, "aws-node-simulator failed");
            std::process::exit(1);
        }
    };
    let mut simulator = Simulator::new(client, flags.aws_endpoint, flags.state_dir, flags.heartbeat_interval);
    info!("aws-node-simulator started (tests only)");
    let run = async {
        loop {
            if let Err(e) = simulator.sync().await {
                warn!(error = %e, "sync failed");
            }
            tokio::time::sleep(flags.sync_period).await;
        }
    };
    tokio::select! {
        () = component_base::shutdown_signal() => info!("aws-node-simulator stopped"),
        () = run => {}
    }
}
