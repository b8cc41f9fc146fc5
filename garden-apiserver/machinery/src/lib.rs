//! Kubernetes API server machinery on etcd (what k8s.io/apiserver and kube-aggregator are to kube-apiserver):
//! storage and watch cache, the REST handlers with patch, server-side apply and protobuf, discovery, OpenAPI,
//! authentication, RBAC and delegated authorization, the admission framework, the aggregator, and [`serve::run`]
//! that assembles a server from a [`serve::Profile`]. It serves no kinds of its own: `kube-registry` adds the core
//! kube kinds, `garden-apiserver` Gardener's.
#![forbid(unsafe_code)]

pub mod admission;
pub mod aggregator;
pub mod apiserver;
pub mod authn;
pub mod authz;
pub mod certs;
pub mod config;
pub mod delegation;
pub mod discovery;
pub mod error;
pub mod expiring;
pub mod handler;
pub mod metrics;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod registry;
pub mod remote;
pub mod request;
pub mod selector;
pub mod serve;
pub mod server;
pub mod serviceaccount;
pub mod storage;
pub mod validation;
