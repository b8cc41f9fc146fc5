//! `aws-node-simulator`: for tests against moto only (its instances never boot). Registers and heartbeats a
//! Node for every live EC2 instance of every AWS shoot on the seed, and deletes the Node when the instance is
//! gone. See `provider_local::node_simulator`. Never part of a production seed.
#![forbid(unsafe_code)]

use clap::Parser;
use provider_aws::ec2::Clients;
use provider_aws::node_simulator::Ec2Instances;
use provider_local::node_simulator::{self, Flags};

/// Stands in for the kubelets of moto's EC2 instances (tests only).
#[derive(Parser, Debug)]
#[command(name = "aws-node-simulator", version)]
struct Args {
    /// The EC2 endpoint (moto). Required: this tool never talks to AWS.
    #[arg(long)]
    aws_endpoint: String,
    #[command(flatten)]
    flags: Flags,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let instances = Ec2Instances { clients: Clients::new(Some(args.aws_endpoint)) };
    node_simulator::main("aws-node-simulator", args.flags, Box::new(instances)).await;
}
