//! The OpenStack provider. This crate is the only one that imports the OpenStack SDK (`openstack_sdk`).
#![forbid(unsafe_code)]

pub mod client;
pub mod driver;
pub mod infrastructure;
pub mod spec;
