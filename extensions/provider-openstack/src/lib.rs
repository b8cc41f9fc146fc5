//! The OpenStack provider. This crate is the only one that imports the OpenStack SDK (`openstack_sdk`).
//!
//! - [`client`]: sessions from a shoot's Keystone credentials, calls with retries on 429/503, and OpenStack errors
//!   mapped to the driver's codes and Gardener's error codes;
//! - [`spec`]: the MachineClass `providerSpec` of OpenStack machines (MCM's OpenStack provider spec);
//! - [`driver`]: the nova machine driver: servers named after their machine with the cluster's metadata, found
//!   again by both;
//! - [`infrastructure`]: the infrastructure flow (router, network, subnet, router interface, security group and
//!   rules, key pair), resumable from names and owner markers alone, and its deletion;
//! - [`infrastructure_actuator`]: that flow as the shared Infrastructure controller's actuator (credentials,
//!   providerConfig, CloudProfile, status);
//! - [`node_simulator`]: for tests against the local OpenStack only, the servers the node simulator registers
//!   Nodes for (the fake compute driver boots nothing);
//! - [`worker`]: the Worker actuator's OpenStack part (machine classes from the CloudProfile's images and the
//!   Infrastructure's status).
#![forbid(unsafe_code)]

pub mod client;
pub mod driver;
pub mod infrastructure;
pub mod infrastructure_actuator;
pub mod node_simulator;
pub mod spec;
pub mod worker;
