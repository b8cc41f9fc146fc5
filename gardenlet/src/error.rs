//! The crate's error type: one variant per failed operation.

use std::path::PathBuf;

/// Errors of the gardenlet.
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
    /// The seed's BackupBucket could not be created or its store is not usable.
    #[error("backup bucket: {0}")]
    BackupBucket(String),
    /// Reading the configuration file failed.
    #[error("failed to read config {path}: {source}")]
    ReadConfig {
        /// The config path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not valid YAML of the expected shape.
    #[error("failed to parse config {path}: {source}")]
    ParseConfig {
        /// The config path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_yaml::Error,
    },
    /// The configuration parsed but has invalid values.
    #[error("invalid config {path}: {reason}")]
    InvalidConfig {
        /// The config path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
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
    /// Creating or updating the Seed object failed.
    #[error("failed to register seed {seed}: {source}")]
    RegisterSeed {
        /// Seed name.
        seed: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Creating the lease namespace failed.
    #[error("failed to ensure namespace {namespace}: {source}")]
    EnsureNamespace {
        /// Namespace name.
        namespace: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Creating or renewing the heartbeat Lease failed.
    #[error("failed to renew lease {namespace}/{name}: {source}")]
    RenewLease {
        /// Lease namespace.
        namespace: String,
        /// Lease name.
        name: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Reading the garden's server version failed.
    #[error("failed to read the server version: {source}")]
    ServerVersion {
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Reading the Seed or patching its status failed.
    #[error("failed to update status of seed {seed}: {source}")]
    UpdateSeedStatus {
        /// Seed name.
        seed: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// Reading or creating a control-plane Secret failed.
    #[error("failed to ensure secret {namespace}/{name}: {source}")]
    EnsureSecret {
        /// Secret namespace.
        namespace: String,
        /// Secret name.
        name: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// An existing control-plane Secret lacks expected data.
    #[error("invalid secret {namespace}/{name}: {reason}")]
    InvalidSecret {
        /// Secret namespace.
        namespace: String,
        /// Secret name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Generating or signing a certificate or key failed.
    #[error("failed to {what}: {source}")]
    Certificate {
        /// The operation.
        what: String,
        /// The cause.
        #[source]
        source: rcgen::Error,
    },
    /// A control-plane runtime operation failed on the file system or starting a process.
    #[error("control plane {technical_id}: failed to {what}: {source}")]
    RuntimeIo {
        /// The shoot's technical id.
        technical_id: String,
        /// The operation.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A control-plane runtime operation failed otherwise.
    #[error("control plane {technical_id}: {reason}")]
    Runtime {
        /// The shoot's technical id.
        technical_id: String,
        /// What is wrong.
        reason: String,
    },
    /// A step of a shoot reconcile or deletion failed.
    #[error("failed to {operation} for shoot {shoot}: {source}")]
    ShootReconcile {
        /// The operation.
        operation: &'static str,
        /// The shoot name.
        shoot: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
