//! etcd-backup: the backup sidecar of one etcd (`snapshot`), and the one-shot `full`, `restore` and `validate`.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use component_base::LogFormat;
use etcd_backup::full::{self, FullSnapshotOptions};
use etcd_backup::gc::GcPolicy;
use etcd_backup::layout;
use etcd_backup::restore::{self, RestoreOptions, Verdict};
use etcd_backup::schedule::{parse_duration, FullSchedule};
use etcd_backup::server::{self, ServerState};
use etcd_backup::snapshotter::{Snapshotter, SnapshotterConfig};
use etcd_backup::store::{Provider, StoreConfig};
use tracing::info;

/// Few, large buffers (multipart parts) come and go; mimalloc returns them to the OS promptly, which keeps the
/// sidecar's peak RSS flat (measured with hack/bench-backup.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "etcd-backup", version, about = "Backs up one etcd to object storage and restores it")]
struct Cli {
    /// Log format.
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the backup sidecar: full and delta snapshots, garbage collection, HTTP endpoint.
    Snapshot(SnapshotArgs),
    /// Take one full snapshot, print it as JSON and exit.
    Full(FullArgs),
    /// Make --data-dir fit to start etcd on: validate it and restore from the backups when needed.
    Restore(RestoreArgs),
    /// Print the verdict on --data-dir (exit 0 when Valid, 3 otherwise).
    Validate(RestoreArgs),
}

#[derive(Args)]
struct StoreArgs {
    /// Store configuration file (YAML or JSON, see `StoreConfig`); the --store-* flags override its fields.
    #[arg(long)]
    store_config: Option<PathBuf>,
    /// Provider: Local, S3, GCS or ABS.
    #[arg(long)]
    storage_provider: Option<Provider>,
    /// Bucket or container; for Local the directory.
    #[arg(long)]
    store_container: Option<String>,
    /// Prefix of the objects (they live under <prefix>/v2/).
    #[arg(long)]
    store_prefix: Option<String>,
    /// Endpoint override (S3-compatible stores).
    #[arg(long)]
    store_endpoint: Option<String>,
    /// Region (S3).
    #[arg(long)]
    store_region: Option<String>,
    /// Directory of Gardener-style credential files (accessKeyID, secretAccessKey, ...).
    #[arg(long)]
    store_credentials_dir: Option<PathBuf>,
}

impl StoreArgs {
    fn config(&self) -> anyhow::Result<StoreConfig> {
        let mut cfg = match &self.store_config {
            Some(path) => StoreConfig::from_file(path)?,
            None => {
                let (Some(provider), Some(container)) = (self.storage_provider, &self.store_container) else {
                    bail!("give --store-config, or --storage-provider and --store-container");
                };
                let mut cfg = StoreConfig::local(container, "");
                cfg.provider = provider;
                cfg
            }
        };
        if let Some(p) = self.storage_provider {
            cfg.provider = p;
        }
        if let Some(c) = &self.store_container {
            cfg.container.clone_from(c);
        }
        if let Some(p) = &self.store_prefix {
            cfg.prefix.clone_from(p);
        }
        if let Some(e) = &self.store_endpoint {
            cfg.endpoint = Some(e.clone());
        }
        if let Some(r) = &self.store_region {
            cfg.region = Some(r.clone());
        }
        if let Some(d) = &self.store_credentials_dir {
            cfg.credentials_dir = Some(d.clone());
        }
        Ok(cfg)
    }
}

#[derive(Args)]
struct EtcdArgs {
    /// etcd client URLs, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:2379")]
    endpoints: Vec<String>,
}

impl EtcdArgs {
    async fn client(&self) -> anyhow::Result<etcd_client::Client> {
        let opts = etcd_client::ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_keep_alive(Duration::from_secs(30), Duration::from_secs(10));
        etcd_client::Client::connect(&self.endpoints, Some(opts))
            .await
            .with_context(|| format!("failed to connect to etcd at {}", self.endpoints.join(",")))
    }
}

#[derive(Args)]
struct SnapshotArgs {
    #[command(flatten)]
    etcd: EtcdArgs,
    #[command(flatten)]
    store: StoreArgs,
    /// Take a full snapshot this long after the previous one.
    #[arg(long, value_parser = parse_duration, default_value = "1h", conflicts_with = "full_snapshot_schedule")]
    full_snapshot_period: Duration,
    /// Take full snapshots on a cron schedule (UTC), e.g. "0 */1 * * *".
    #[arg(long)]
    full_snapshot_schedule: Option<String>,
    /// Flush delta snapshots this often.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    delta_snapshot_period: Duration,
    /// Flush a delta snapshot as soon as this many bytes of events are buffered.
    #[arg(long, default_value_t = 8 << 20)]
    delta_snapshot_memory_limit: usize,
    /// Garbage collection policy: Exponential or LimitBased.
    #[arg(long, default_value = "LimitBased")]
    gc_policy: String,
    /// Full snapshots kept by the LimitBased policy.
    #[arg(long, default_value_t = 7)]
    max_backups: usize,
    /// Run garbage collection this often ("0s": never).
    #[arg(long, value_parser = parse_duration, default_value = "1m")]
    gc_period: Duration,
    /// Address of the HTTP endpoint (health, metrics, full snapshot on request).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

#[derive(Args)]
struct FullArgs {
    #[command(flatten)]
    etcd: EtcdArgs,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args)]
struct RestoreArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The etcd data directory.
    #[arg(long)]
    data_dir: PathBuf,
    /// The member name (etcd --name).
    #[arg(long, default_value = "default")]
    name: String,
    /// etcd --initial-advertise-peer-urls of the member.
    #[arg(long, default_value = "http://127.0.0.1:2380")]
    initial_advertise_peer_urls: String,
    /// etcd --initial-cluster (default: <name>=<initial-advertise-peer-urls>).
    #[arg(long)]
    initial_cluster: Option<String>,
    /// The etcd binary (for the temporary etcd).
    #[arg(long, default_value = "etcd")]
    etcd_bin: PathBuf,
    /// The etcdctl binary.
    #[arg(long, default_value = "etcdctl")]
    etcdctl_bin: PathBuf,
    /// Downloads and temporary etcd logs (default: the data directory's parent).
    #[arg(long)]
    temp_dir: Option<PathBuf>,
    /// How long a temporary etcd may take to become healthy.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    etcd_timeout: Duration,
}

impl RestoreArgs {
    fn options(&self) -> RestoreOptions {
        let mut opts = RestoreOptions::new(&self.data_dir, &self.name, &self.initial_advertise_peer_urls);
        if let Some(c) = &self.initial_cluster {
            opts.initial_cluster.clone_from(c);
        }
        opts.etcd_bin.clone_from(&self.etcd_bin);
        opts.etcdctl_bin.clone_from(&self.etcdctl_bin);
        opts.temp_dir.clone_from(&self.temp_dir);
        opts.etcd_timeout = self.etcd_timeout;
        opts
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    component_base::init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Snapshot(args) => snapshot(args).await.map(|()| ExitCode::SUCCESS),
        Command::Full(args) => {
            let cfg = args.store.config()?;
            let store = cfg.open()?;
            let mut client = args.etcd.client().await?;
            let uploaded =
                full::take_full_snapshot(&mut client, store.as_ref(), &cfg.prefix, &FullSnapshotOptions::default())
                    .await?;
            println!(
                "{}",
                serde_json::json!({"name": uploaded.name, "revision": uploaded.snapshot.end_revision, "bytes": uploaded.bytes})
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore(args) => {
            let cfg = args.store.config()?;
            let store = cfg.open()?;
            let outcome = restore::prepare_data_dir(&args.options(), store.as_ref(), &cfg.prefix)
                .await
                .with_context(|| format!("failed to prepare data directory {}", args.data_dir.display()))?;
            println!("{}", serde_json::to_string(&outcome)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate(args) => {
            let cfg = args.store.config()?;
            let store = cfg.open()?;
            let snapshots = layout::list(store.as_ref(), &cfg.prefix).await?;
            let chain = layout::latest_chain(&snapshots);
            let verdict = restore::validate(&args.options(), chain.as_ref()).await?;
            println!("{}", serde_json::to_string(&verdict)?);
            Ok(if matches!(verdict, Verdict::Valid { .. }) { ExitCode::SUCCESS } else { ExitCode::from(3) })
        }
    }
}

async fn snapshot(args: SnapshotArgs) -> anyhow::Result<()> {
    let cfg = args.store.config()?;
    let store = cfg.open()?;
    let full_schedule = match &args.full_snapshot_schedule {
        Some(spec) => FullSchedule::cron(spec)?,
        None => FullSchedule::Period(args.full_snapshot_period),
    };
    let gc_policy = match args.gc_policy.to_ascii_lowercase().as_str() {
        "exponential" => GcPolicy::Exponential,
        "limitbased" => GcPolicy::LimitBased { max_backups: args.max_backups },
        other => bail!("unknown --gc-policy {other:?} (Exponential or LimitBased)"),
    };
    let config = SnapshotterConfig {
        full_schedule,
        delta_period: args.delta_snapshot_period,
        delta_memory_limit: args.delta_snapshot_memory_limit,
        gc_policy,
        gc_period: args.gc_period,
        full: FullSnapshotOptions::default(),
    };
    let client = args.etcd.client().await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("failed to listen on {}", args.listen))?;
    info!(listen = %listener.local_addr()?, store = ?cfg.provider, prefix = %cfg.prefix, "etcd-backup sidecar starting");
    let (snapshotter, handle) = Snapshotter::new(client, store.clone(), cfg.prefix.clone(), config);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let state = ServerState { snapshotter: handle, store, prefix: cfg.prefix.clone() };
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(server::serve(listener, state, async move {
        let _ = server_stop.wait_for(|stop| *stop).await;
    }));
    snapshotter
        .run(async move {
            component_base::shutdown_signal().await;
            let _ = stop_tx.send(true);
        })
        .await;
    let _ = server.await;
    drop(stop_rx);
    Ok(())
}
