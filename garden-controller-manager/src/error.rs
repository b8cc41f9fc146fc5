//! The crate's error type: one variant per failed operation.

use std::time::Duration;

/// Errors of the garden controller manager.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the kubeconfig or building the API client failed.
    #[error("failed to load kubeconfig {path}: {source}")]
    LoadKubeconfig {
        /// The kubeconfig path.
        path: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Binding the health endpoint failed.
    #[error("failed to bind health endpoint {addr}: {source}")]
    BindHealth {
        /// The requested address.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Adding or removing the `gardener` finalizer on a Project failed.
    #[error("failed to update finalizers of project {project}: {source}")]
    UpdateFinalizer {
        /// Project name.
        project: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Writing `spec.namespace` of a Project failed.
    #[error("failed to set spec.namespace of project {project}: {source}")]
    UpdateProjectNamespace {
        /// Project name.
        project: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Patching the Project status failed.
    #[error("failed to patch status of project {project}: {source}")]
    PatchStatus {
        /// Project name.
        project: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Reading, creating or updating the project namespace failed.
    #[error("failed to reconcile namespace {namespace}: {source}")]
    ReconcileNamespace {
        /// Namespace name.
        namespace: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// The namespace exists but may not be used by this project (Gardener's adoption rule).
    #[error("namespace {namespace} cannot be used by project {project}: {reason}")]
    NamespaceNotAdoptable {
        /// Namespace name.
        namespace: String,
        /// Project name.
        project: String,
        /// Why.
        reason: String,
    },
    /// Applying an RBAC object (ClusterRole, ClusterRoleBinding, RoleBinding) failed.
    #[error("failed to apply {kind} {name}: {source}")]
    ApplyRbac {
        /// Kind of the object.
        kind: &'static str,
        /// Name (namespace/name for RoleBindings).
        name: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Listing RBAC objects of a project (stale detection) failed.
    #[error("failed to list {kind} of project {project}: {source}")]
    ListRbac {
        /// Kind listed.
        kind: &'static str,
        /// Project name.
        project: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Deleting an RBAC object failed.
    #[error("failed to delete {kind} {name}: {source}")]
    DeleteRbac {
        /// Kind of the object.
        kind: &'static str,
        /// Name (namespace/name for RoleBindings).
        name: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Listing the Shoots of the project namespace failed.
    #[error("failed to list shoots in namespace {namespace}: {source}")]
    ListShoots {
        /// Namespace name.
        namespace: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Releasing (deleting or un-labelling) the project namespace failed.
    #[error("failed to release namespace {namespace}: {source}")]
    ReleaseNamespace {
        /// Namespace name.
        namespace: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Reading the CloudProfile (or NamespacedCloudProfile) of a Shoot failed.
    #[error("failed to get {kind} {name}: {source}")]
    GetCloudProfile {
        /// `CloudProfile` or `NamespacedCloudProfile`.
        kind: String,
        /// Profile name.
        name: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Writing the scheduling decision through `shoots/binding` failed.
    #[error("failed to bind shoot {shoot} to seed {seed}: {source}")]
    BindShoot {
        /// `namespace/name` of the Shoot.
        shoot: String,
        /// Seed name.
        seed: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Patching the Shoot status failed.
    #[error("failed to patch status of shoot {shoot}: {source}")]
    PatchShootStatus {
        /// `namespace/name` of the Shoot.
        shoot: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Listing the Seeds (seed lifecycle check) failed.
    #[error("failed to list seeds: {source}")]
    ListSeeds {
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Listing the seed heartbeat Leases failed.
    #[error("failed to list leases in namespace {namespace}: {source}")]
    ListLeases {
        /// Namespace of the Leases.
        namespace: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Listing the Shoots of all namespaces failed.
    #[error("failed to list shoots: {source}")]
    ListAllShoots {
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Patching the Seed status failed.
    #[error("failed to patch status of seed {seed}: {source}")]
    PatchSeedStatus {
        /// Seed name.
        seed: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// No seed fits the Shoot (retried with backoff).
    #[error("shoot {shoot} cannot be scheduled: {reason}")]
    Unschedulable {
        /// `namespace/name` of the Shoot.
        shoot: String,
        /// Why, e.g. `0/2 seeds are available: ...`.
        reason: String,
    },
}

/// Exponential backoff for the `n`th consecutive failure (1-based): 1s, 2s, 4s, ... capped at 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    Duration::from_secs((1u64 << exp).min(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(4), Duration::from_secs(8));
        assert_eq!(backoff(10), Duration::from_secs(300));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(300));
    }
}
