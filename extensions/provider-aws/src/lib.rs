//! The AWS provider. This crate is the only one that imports the AWS SDK (`aws-sdk-ec2`, `aws-sdk-iam`).
//!
//! - [`spec`]: the MachineClass `providerSpec` of AWS machines (MCM's AWS provider spec) and the class secret's keys;
//! - [`ec2`]: an EC2 client from the class's credentials (the endpoint overridable by the operator, for moto), and
//!   the mapping of AWS error codes to the driver's codes;
//! - [`cluster_listing`]: one shared `DescribeInstances` per cluster for concurrent machine lookups;
//! - [`driver`]: the machine driver: instances tagged with their cluster and machine, found again by those tags;
//! - [`infrastructure`]: the infrastructure flow (VPC, subnets, NAT gateways, route tables, security group, IAM
//!   role and instance profile, key pair), resumable from the resources' tags alone, and its deletion;
//! - [`infrastructure_actuator`]: that flow as the shared Infrastructure controller's actuator (credentials,
//!   providerConfig, error codes);
//! - [`node_simulator`]: for tests against moto only, the live instances the node simulator registers Nodes for
//!   (moto's never boot);
//! - [`worker`]: the Worker actuator's AWS part (machine classes from the CloudProfile's AMIs and the
//!   Infrastructure's status).
#![forbid(unsafe_code)]

pub mod cluster_listing;
pub mod driver;
pub mod ec2;
pub mod infrastructure;
pub mod infrastructure_actuator;
pub mod node_simulator;
pub mod spec;
pub mod worker;
