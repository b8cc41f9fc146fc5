//! `core.gardener.cloud` API group.

pub mod v1beta1;
