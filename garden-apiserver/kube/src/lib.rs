//! The core Kubernetes kinds on `api-machinery`, as kube-apiserver's registries define them: their types,
//! strategies (defaulting, validation, printer columns, field selectors), kube's bootstrap RBAC policy and the
//! NamespaceLifecycle admission plugin. [`core::types`] is the subset a standalone garden serves,
//! [`core::shoot_types`] a shoot cluster's API, and [`stand_in::types`] what a garden kube-apiserver adds on top
//! (APIServices, TokenReview, SubjectAccessReview).
#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod core;
pub mod namespace_lifecycle;
pub mod stand_in;
pub mod validation;
