//! `security.gardener.cloud` API group.

pub mod v1alpha1;
