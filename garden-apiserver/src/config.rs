//! Command-line options (kube-apiserver-style flag names).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Which API the server serves.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiProfile {
    /// A garden: Gardener's groups plus the core kube subset a garden needs.
    #[default]
    Garden,
    /// A shoot cluster's API server: the core kube API (nodes, pods, services, apps/v1, ...), no Gardener groups.
    Shoot,
}

impl ApiProfile {
    /// The namespaces bootstrapped at start.
    pub fn system_namespaces(self) -> &'static [&'static str] {
        match self {
            ApiProfile::Garden => &["default", "kube-system", "kube-public", "garden"],
            ApiProfile::Shoot => &["default", "kube-system", "kube-public", "kube-node-lease"],
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ServeOptions {
    /// etcd endpoints, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:2379")]
    pub etcd_servers: Vec<String>,
    /// Key prefix of all objects in etcd.
    #[arg(long, default_value = "/registry")]
    pub etcd_prefix: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_address: String,
    /// HTTPS port.
    #[arg(long, default_value_t = 6443)]
    pub secure_port: u16,
    /// Where generated certificates live (CA, serving cert) when --tls-cert-file is not given.
    #[arg(long, default_value = "certs")]
    pub cert_dir: PathBuf,
    /// Serving certificate (PEM); generated into --cert-dir when absent.
    #[arg(long)]
    pub tls_cert_file: Option<PathBuf>,
    /// Serving key (PEM).
    #[arg(long)]
    pub tls_private_key_file: Option<PathBuf>,
    /// CA bundle that signs client certificates; defaults to the generated CA.
    #[arg(long)]
    pub client_ca_file: Option<PathBuf>,
    /// Static bearer tokens, CSV: token,user,uid,"group1,group2".
    #[arg(long)]
    pub token_auth_file: Option<PathBuf>,
    /// Allow unauthenticated requests as system:anonymous.
    #[arg(long, default_value_t = false)]
    pub anonymous_auth: bool,
    /// Write an admin kubeconfig (CN=garden-admin, O=system:masters) here once serving (needs the generated CA).
    #[arg(long)]
    pub admin_kubeconfig: Option<PathBuf>,
    /// Largest accepted request body.
    #[arg(long, default_value_t = 3 * 1024 * 1024)]
    pub max_request_bytes: usize,
    /// How often etcd history is compacted, in seconds (0 = never).
    #[arg(long, default_value_t = 300)]
    pub etcd_compaction_interval: u64,
    /// Which API to serve: `garden` (Gardener's groups) or `shoot` (a shoot cluster's core kube API).
    #[arg(long, value_enum, default_value_t = ApiProfile::Garden)]
    pub api_profile: ApiProfile,
    /// Log format: text or json.
    #[arg(long, default_value = "text")]
    pub log_format: String,
}

pub fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
