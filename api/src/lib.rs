//! Typed Gardener resources. Knows nothing of HTTP, etcd or clouds.
#![forbid(unsafe_code)]

pub mod cidr;
pub mod constants;
pub mod core;
pub mod cron;
pub mod extensions;
pub mod field;
pub mod machine;
mod macros;
pub mod markers;
pub mod names;
pub mod provider;
pub mod quantity;
pub mod rbac;
pub mod security;
pub mod semver;
