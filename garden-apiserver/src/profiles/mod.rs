//! The servers the `garden-apiserver` binary runs (`--api-profile`): for each, the kinds it serves, its admission
//! plugins, its bootstrap objects and where it sits (standalone, aggregated behind a garden kube-apiserver, or that
//! kube-apiserver's stand-in with the aggregator).

use api_machinery::admission::Chain;
use api_machinery::registry::{Registry, ResourceType};
use api_machinery::serve::{Bootstrap, Profile, Topology};
use clap::ValueEnum;

use crate::{admission, rbac, registry};

/// Which API the server serves.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiProfile {
    /// A garden: Gardener's groups plus the core kube subset a garden needs.
    #[default]
    Garden,
    /// A shoot cluster's API server: the core kube API (nodes, pods, services, apps/v1, ...), no Gardener groups.
    Shoot,
    /// Gardener's groups only, as an aggregated API server behind a garden kube-apiserver: authentication and
    /// authorization delegated to it (request headers from the front proxy, TokenReview, SubjectAccessReview),
    /// namespaces and secrets read from it.
    Aggregated,
    /// A stand-in for a garden's kube-apiserver: the core kube API, `apiregistration.k8s.io/v1` APIServices and the
    /// aggregator that proxies their groups to the servers they name (front-proxy client certificate, X-Remote-*
    /// headers), with merged discovery.
    Kube,
}

impl ApiProfile {
    /// Everything `api_machinery::serve::run` needs to know about this server.
    pub fn profile(self) -> Profile {
        Profile {
            name: match self {
                ApiProfile::Garden => "garden",
                ApiProfile::Shoot => "shoot",
                ApiProfile::Aggregated => "aggregated",
                ApiProfile::Kube => "kube",
            },
            registry: self.registry(),
            admission: self.admission(),
            topology: match self {
                ApiProfile::Garden | ApiProfile::Shoot => Topology::Standalone,
                ApiProfile::Aggregated => Topology::Aggregated,
                ApiProfile::Kube => Topology::Aggregator,
            },
            bootstrap: self.bootstrap(),
        }
    }

    /// The kinds served.
    pub fn registry(self) -> Registry {
        match self {
            // The core kube subset a garden needs, then Gardener's.
            ApiProfile::Garden => {
                let mut types = kube_registry::core::types();
                types.extend(gardener_types());
                Registry::new(types)
            }
            // The core kube API a cluster needs (nodes, pods, services, apps/v1, ...), stored objects only.
            ApiProfile::Shoot => Registry::new(kube_registry::core::shoot_types()),
            // A shoot's core API plus APIServices, TokenReview and SubjectAccessReview.
            ApiProfile::Kube => {
                let mut types = kube_registry::core::shoot_types();
                types.extend(kube_registry::stand_in::types());
                Registry::new(types)
            }
            ApiProfile::Aggregated => Registry::new(gardener_types()),
        }
    }

    /// The admission plugins, in order.
    pub fn admission(self) -> Chain {
        match self {
            ApiProfile::Garden | ApiProfile::Aggregated => admission::gardener_chain(),
            ApiProfile::Shoot | ApiProfile::Kube => {
                Chain(vec![Box::new(kube_registry::namespace_lifecycle::NamespaceLifecycle)])
            }
        }
    }

    /// The objects created at start: kube's and Gardener's bootstrap RBAC policy everywhere, a shoot's node
    /// bootstrapper role where nodes are served, the viewer kubeconfigs' binding in shoots, the system namespaces.
    /// An aggregated server has none: its namespaces and RBAC live in the garden kube-apiserver.
    pub fn bootstrap(self) -> Bootstrap {
        if self == ApiProfile::Aggregated {
            return Bootstrap::default();
        }
        let mut cluster_roles = kube_registry::bootstrap::cluster_roles();
        cluster_roles.extend(rbac::cluster_roles());
        let mut cluster_role_bindings = kube_registry::bootstrap::cluster_role_bindings();
        cluster_role_bindings.extend(rbac::cluster_role_bindings());
        if matches!(self, ApiProfile::Shoot | ApiProfile::Kube) {
            cluster_roles.extend(rbac::shoot_cluster_roles());
            cluster_role_bindings.extend(rbac::shoot_cluster_role_bindings());
        }
        if self == ApiProfile::Shoot {
            cluster_role_bindings.push(rbac::shoot_viewers_binding());
        }
        let namespaces = match self {
            ApiProfile::Garden => vec!["default", "kube-system", "kube-public", "garden"],
            ApiProfile::Shoot => vec!["default", "kube-system", "kube-public", "kube-node-lease"],
            ApiProfile::Kube => vec!["default", "kube-system", "kube-public", "kube-node-lease", "garden"],
            ApiProfile::Aggregated => Vec::new(),
        };
        Bootstrap {
            namespaces,
            cluster_roles,
            cluster_role_bindings,
            kube_system_roles: kube_registry::bootstrap::kube_system_roles(),
        }
    }
}

/// Gardener's groups and MCM's `machine.sapcloud.io`.
fn gardener_types() -> Vec<ResourceType> {
    let mut types = registry::gardener::types();
    types.extend(registry::machine::types());
    types
}

#[cfg(test)]
mod openapi_tests;
