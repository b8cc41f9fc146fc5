//! The local provider extension.
#![forbid(unsafe_code)]
pub mod driver;
pub mod node_agent;
pub mod node_simulator;
pub mod worker;
