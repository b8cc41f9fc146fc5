//! The Gardener API on `api-machinery`: Gardener's kinds and admission plugins, its bootstrap RBAC policy, the
//! shoot kubeconfig subresources, and the profiles the `garden-apiserver` binary serves (a standalone garden with
//! the core kube subset from `kube-registry`, an aggregated server, a shoot's API server, a garden kube-apiserver
//! stand-in).
#![forbid(unsafe_code)]

pub mod admission;
pub mod fuzzing;
pub mod kubeconfig;
pub mod profiles;
pub mod rbac;
pub mod registry;
