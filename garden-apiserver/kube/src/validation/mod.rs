//! kube-apiserver's per-kind validation of the core kinds, one file per API group, on the JSON objects the
//! registry decoded; the kinds' strategies call them (the generic `ObjectMeta` rules run before, in
//! `api_machinery::validation`).

pub mod apps;
pub mod coordination;
pub mod core;
pub mod networking;
pub mod rbac;
