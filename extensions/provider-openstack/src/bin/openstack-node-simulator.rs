//! `openstack-node-simulator`: for tests against the local OpenStack only (the fake compute driver boots
//! nothing). Registers and heartbeats a Node for every live nova server of every OpenStack shoot on the seed, and
//! deletes the Node when the server is gone. See `provider_local::node_simulator`. Never part of a production
//! seed.
#![forbid(unsafe_code)]

use clap::Parser;
use provider_local::node_simulator::{self, Flags};
use provider_openstack::node_simulator::NovaServers;

/// Stands in for the kubelets of the local OpenStack's servers (tests only).
#[derive(Parser, Debug)]
#[command(name = "openstack-node-simulator", version)]
struct Args {
    #[command(flatten)]
    flags: Flags,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    node_simulator::main("openstack-node-simulator", args.flags, Box::<NovaServers>::default()).await;
}
