//! Defaulting as pure functions: static defaults (`default_*`) and the
//! admission-time mutators that need other objects (`default_shoot_from_*`, `default_project`).

mod others;
mod project;
mod shoot;
mod shoot_mutator;

pub use others::{default_cloudprofile, default_namespaced_cloudprofile, default_seed};
pub use project::default_project;
pub use shoot::{default_shoot, sync_cloud_profile_fields};
pub use shoot_mutator::{default_shoot_from_cloudprofile, default_shoot_networks_from_seed};

#[cfg(test)]
mod tests;
