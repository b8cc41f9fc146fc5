//! Command-line options of a server (kube-apiserver-style flag names); which API it serves is up to the binary.

use std::path::PathBuf;

use clap::Args;

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
    /// Log format: text or json.
    #[arg(long, default_value = "text")]
    pub log_format: String,
    #[command(flatten)]
    pub delegation: DelegationOptions,
    #[command(flatten)]
    pub aggregator: AggregatorOptions,
}

/// How an aggregated server (`Topology::Aggregated`) reaches the garden kube-apiserver: kube's flag names.
#[derive(Args, Debug, Clone, Default)]
pub struct DelegationOptions {
    /// kubeconfig of the garden kube-apiserver, where namespaces, secrets and configmaps live (admission reads
    /// them); the in-cluster service account when absent.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig for TokenReviews and the extension-apiserver-authentication ConfigMap; defaults to --kubeconfig.
    #[arg(long)]
    pub authentication_kubeconfig: Option<PathBuf>,
    /// kubeconfig for SubjectAccessReviews; defaults to --kubeconfig.
    #[arg(long)]
    pub authorization_kubeconfig: Option<PathBuf>,
    /// CA bundle of the front proxy's client certificates. Aggregated: overrides the ConfigMap's
    /// requestheader-client-ca-file. Kube: the CA published in that ConfigMap (generated into --cert-dir when
    /// absent).
    #[arg(long)]
    pub requestheader_client_ca_file: Option<PathBuf>,
    /// Common names allowed for the front proxy's client certificate (empty: any certificate of the CA).
    #[arg(long, value_delimiter = ',')]
    pub requestheader_allowed_names: Vec<String>,
    /// Headers carrying the user name (default: the ConfigMap's, else X-Remote-User).
    #[arg(long, value_delimiter = ',')]
    pub requestheader_username_headers: Vec<String>,
    /// Headers carrying the groups (default: the ConfigMap's, else X-Remote-Group).
    #[arg(long, value_delimiter = ',')]
    pub requestheader_group_headers: Vec<String>,
    /// Header prefixes carrying extra user attributes (default: the ConfigMap's, else X-Remote-Extra-).
    #[arg(long, value_delimiter = ',')]
    pub requestheader_extra_headers_prefix: Vec<String>,
    /// How long a TokenReview answer is kept, in seconds.
    #[arg(long, default_value_t = 10)]
    pub authentication_token_webhook_cache_ttl: u64,
    /// How long an allowing SubjectAccessReview answer is kept, in seconds.
    #[arg(long, default_value_t = 10)]
    pub authorization_webhook_cache_authorized_ttl: u64,
    /// How long a denying SubjectAccessReview answer is kept, in seconds.
    #[arg(long, default_value_t = 10)]
    pub authorization_webhook_cache_unauthorized_ttl: u64,
}

/// The aggregator (`Topology::Aggregator`): its client certificate towards aggregated servers.
#[derive(Args, Debug, Clone, Default)]
pub struct AggregatorOptions {
    /// Client certificate the aggregator presents to aggregated servers (signed by --requestheader-client-ca-file;
    /// generated with CN front-proxy-client into --cert-dir when absent).
    #[arg(long)]
    pub proxy_client_cert_file: Option<PathBuf>,
    /// Key of --proxy-client-cert-file.
    #[arg(long)]
    pub proxy_client_key_file: Option<PathBuf>,
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
