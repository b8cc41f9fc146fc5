//! Shoot control planes on this seed: secrets, flows and the shoot controller.

pub mod controller;
pub mod hibernation;
pub mod secrets;
pub mod state;
pub mod worker;
