//! Shoot control planes on this seed: secrets, flows and the shoot controller.

pub mod controller;
pub mod hibernation;
pub mod infrastructure;
pub mod secrets;
pub mod state;
pub mod user_data;
pub mod worker;
