//! Typed Gardener resources. Knows nothing of HTTP, etcd or clouds.
#![forbid(unsafe_code)]

pub mod field;
