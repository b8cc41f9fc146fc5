//! garden-apiserver: the Gardener API (and the core kube subset of a standalone garden) on etcd; with
//! `--api-profile`, also an aggregated server, a shoot's API server or a garden kube-apiserver stand-in.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use garden_apiserver::profiles::ApiProfile;

/// The server allocates many small JSON nodes per request; mimalloc handles that far better than glibc malloc
/// (measured with hack/bench-apiserver.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "garden-apiserver",
    version,
    about = "The Gardener API server on etcd (standalone garden or aggregated); with --api-profile also a shoot's API server or a garden kube-apiserver stand-in"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Which API to serve.
    #[arg(long, value_enum, default_value_t = ApiProfile::Garden)]
    api_profile: ApiProfile,
    #[command(flatten)]
    serve: api_machinery::config::ServeOptions,
}

#[derive(Subcommand)]
enum Command {
    /// Print a kubeconfig with a client certificate for USER, signed by the CA in --cert-dir.
    Kubeconfig(KubeconfigArgs),
    /// Create the CA and the serving certificate in --cert-dir when absent (what the server does on its first
    /// start), the serving certificate for loopback plus each --host: e.g. the `<service>.<namespace>.svc` an
    /// aggregator reaches an aggregated server as.
    Certs(CertsArgs),
    /// Print Gardener's ClusterRoles and ClusterRoleBindings (what a standalone garden bootstraps itself) as YAML,
    /// for a garden kube-apiserver that holds the RBAC of an aggregated garden-apiserver.
    GardenerRbac,
}

#[derive(Args)]
struct CertsArgs {
    /// Directory for ca.crt, ca.key, apiserver.crt, apiserver.key.
    #[arg(long)]
    cert_dir: PathBuf,
    /// Extra DNS name or IP address of the serving certificate; repeatable.
    #[arg(long = "host")]
    hosts: Vec<String>,
}

#[derive(Args)]
struct KubeconfigArgs {
    /// Directory holding ca.crt and ca.key.
    #[arg(long)]
    cert_dir: PathBuf,
    /// API server URL, e.g. https://127.0.0.1:6443.
    #[arg(long)]
    server: String,
    /// User name (certificate CN).
    #[arg(long)]
    user: String,
    /// Group (certificate O); repeatable.
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Validity of the client certificate.
    #[arg(long, default_value_t = 86_400)]
    expiration_seconds: i64,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Kubeconfig(a)) => {
            let ca = api_machinery::certs::CertDir(a.cert_dir).load_ca()?;
            let (cert, key) = ca.client_cert(&a.user, &a.groups, time::Duration::seconds(a.expiration_seconds))?;
            print!("{}", api_machinery::certs::kubeconfig("garden", &a.server, &ca.cert_pem, &a.user, &cert, &key));
            Ok(())
        }
        Some(Command::GardenerRbac) => {
            print!("{}", garden_apiserver::rbac::gardener_rbac_yaml());
            Ok(())
        }
        Some(Command::Certs(a)) => {
            let dir = api_machinery::certs::CertDir(a.cert_dir);
            let ca = dir.load_or_create_ca()?;
            let mut hosts = api_machinery::certs::default_hosts("127.0.0.1");
            hosts.extend(a.hosts);
            dir.ensure_serving(&ca, &hosts)?;
            Ok(())
        }
        None => {
            api_machinery::config::init_tracing(&cli.serve.log_format);
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            rt.block_on(api_machinery::serve::run(cli.serve, cli.api_profile.profile()))
        }
    }
}
