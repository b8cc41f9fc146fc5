//! `gardenlet`: the seed agent. Registers its Seed in the garden, keeps a heartbeat Lease and the
//! Seed's `GardenletReady` condition fresh, and (later) runs shoot flows built with [`flow`].
//! Talks only to API servers, through kube-rs.
#![forbid(unsafe_code)]

mod backup;
mod clock;
mod config;
mod error;
mod flow;
mod runtime;
mod seed;
mod seed_objects;
mod shoot;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use component_base::{health, LogFormat};
use kube::Client;
use tracing::{info, warn};

use crate::config::GardenletConfiguration;
use crate::error::Error;

/// Registers the configured Seed in the garden and heartbeats it: renews the Lease
/// `gardener-system-seed-lease/<seed>` and the Seed's `GardenletReady` condition.
#[derive(Debug, Parser)]
#[command(name = "gardenlet", version, about, long_about = None)]
struct Flags {
    /// Path to the kubeconfig of the garden API server. Required unless the KUBECONFIG environment
    /// variable is set (a list of paths separated by ':' is merged, first wins).
    #[arg(long, env = "KUBECONFIG", value_name = "PATH")]
    kubeconfig: String,

    /// Path to the GardenletConfiguration YAML: `seedConfig` (the Seed's metadata and spec),
    /// `leaseDurationSeconds` (default 10) and `renewIntervalSeconds` (default 2).
    #[arg(long, value_name = "PATH")]
    config: PathBuf,

    /// Address of the plain-HTTP health endpoint serving /healthz, /livez and /readyz (ready once
    /// the seed is registered and the last heartbeat succeeded). Port 0 picks a free port; the
    /// bound address is logged.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0")]
    health_bind_address: SocketAddr,

    /// The garden-apiserver binary the process runtime runs as each shoot's API server (`--api-profile shoot`).
    /// Default: `garden-apiserver` next to this binary.
    #[arg(long, value_name = "PATH")]
    apiserver_binary: Option<PathBuf>,

    /// The etcd binary the process runtime runs for each shoot.
    #[arg(long, value_name = "PATH", default_value = "etcd")]
    etcd_binary: PathBuf,

    /// The `etcd-backup` snapshotter the process runtime runs next to each shoot etcd (default: next to this
    /// binary). `etcdctl` is expected next to the etcd binary (restores use `etcdctl snapshot restore`).
    #[arg(long, value_name = "PATH")]
    etcd_backup_binary: Option<PathBuf>,

    /// Log format on stderr. The level is set by RUST_LOG (default `info`).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// Registers the seed (retrying with backoff until it works), then heartbeats until shutdown.
async fn run(
    client: Client,
    config: GardenletConfiguration,
    runtime: Arc<dyn runtime::ControlPlaneRuntime>,
    ready: Arc<AtomicBool>,
) {
    let mut failures = 0u32;
    let bucket = loop {
        let registered = async {
            let seed = seed::register(&client, &config).await?;
            seed::ensure_lease_namespace(&client).await?;
            backup::bucket::ensure(&client, &seed).await.map_err(|e| Error::BackupBucket(format!("{e:#}")))
        };
        match registered.await {
            Ok(bucket) => break bucket,
            Err(err) => {
                failures += 1;
                let wait = std::time::Duration::from_secs(1 << failures.min(5));
                warn!(error = %err, retry_in = ?wait, "seed registration failed");
                tokio::time::sleep(wait).await;
            }
        }
    };
    info!(seed = config.seed_name(), bucket = bucket.as_deref().unwrap_or("<none>"), "etcd backups");
    let backup = shoot::controller::BackupSettings {
        bucket,
        full_snapshot_schedule: config.etcd_backup.full_snapshot_schedule.clone(),
        delta_snapshot_period: std::time::Duration::from_secs(config.etcd_backup.delta_snapshot_period_seconds.into()),
    };
    let grace =
        std::time::Duration::from_secs(u64::from(config.controllers.backup_entry.deletion_grace_period_hours) * 3600);
    // From now on the lease namespace and the BackupBucket are re-created whenever they are deleted.
    tokio::spawn(seed_objects::run(client.clone(), config.seed_name().into()));
    tokio::spawn(backup::entry::run_deletions(client.clone(), config.seed_name().into(), grace));
    let ctx = Arc::new(shoot::controller::Ctx {
        client: client.clone(),
        seed: config.seed_name().to_string(),
        runtime,
        backup,
    });
    tokio::spawn(shoot::controller::run(ctx));
    let mut heartbeat = seed::Heartbeat::new(client, &config);
    let mut tick = tokio::time::interval(config.renew_interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    info!(seed = config.seed_name(), interval = ?config.renew_interval(), "heartbeating");
    loop {
        tick.tick().await;
        match heartbeat.beat().await {
            Ok(()) => {
                if !ready.swap(true, Ordering::SeqCst) {
                    info!(seed = config.seed_name(), "heartbeat succeeded, ready");
                }
            }
            Err(err) => {
                ready.store(false, Ordering::SeqCst);
                warn!(error = %err, "heartbeat failed");
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let flags = Flags::parse();
    component_base::init_logging(flags.log_format);

    let config = GardenletConfiguration::load(&flags.config)?;
    let client = component_base::kube_client(&flags.kubeconfig)
        .await
        .map_err(|source| Error::LoadKubeconfig { path: flags.kubeconfig.clone(), source })?;
    let addr = flags.health_bind_address;
    let listener = health::bind(addr).await.map_err(|source| Error::BindHealth { addr, source })?;
    info!(address = %listener.local_addr()?, "serving /healthz and /readyz");
    let ready = Arc::new(AtomicBool::new(false));
    tokio::spawn(health::serve(listener, ready.clone(), "not ready: seed not registered or heartbeat failing"));

    info!(seed = config.seed_name(), kubeconfig = %flags.kubeconfig, "starting gardenlet");
    let apiserver_bin = match flags.apiserver_binary {
        Some(p) => p,
        None => std::env::current_exe()?.with_file_name("garden-apiserver"),
    };
    let runtime: Arc<dyn runtime::ControlPlaneRuntime> = match config.control_plane_runtime.type_ {
        config::RuntimeType::Process => {
            let state_dir = config.state_dir();
            info!(state_dir = %state_dir.display(), apiserver = %apiserver_bin.display(), "process runtime");
            let backup_bin = match flags.etcd_backup_binary {
                Some(p) => p,
                None => std::env::current_exe()?.with_file_name("etcd-backup"),
            };
            Arc::new(
                runtime::process::ProcessRuntime::new(state_dir, flags.etcd_binary, apiserver_bin)
                    .with_backup_binary(backup_bin),
            )
        }
        config::RuntimeType::Kubernetes => {
            let seed = match &config.control_plane_runtime.seed_kubeconfig {
                Some(path) => component_base::kube_client(&path.display().to_string())
                    .await
                    .map_err(|source| Error::LoadKubeconfig { path: path.display().to_string(), source })?,
                None => client.clone(),
            };
            info!("kubernetes runtime: control planes are applied to the seed cluster");
            let images = runtime::kubernetes::Images::with_overrides(&config.control_plane_runtime.images);
            Arc::new(runtime::kubernetes::KubernetesRuntime::new(seed, images))
        }
    };
    tokio::select! {
        _ = run(client, config, runtime, ready) => {}
        _ = component_base::shutdown_signal() => {}
    }
    // The Lease is simply no longer renewed; the controller-manager's seed lifecycle marks the
    // Seed Unknown once it expires.
    info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_are_documented() {
        Flags::command().debug_assert();
        let help = Flags::command().render_long_help().to_string();
        for flag in ["--kubeconfig", "--config", "--health-bind-address", "--log-format"] {
            assert!(help.contains(flag), "{flag} missing from --help");
        }
    }

    #[test]
    fn defaults() {
        let f = Flags::try_parse_from(["gardenlet", "--kubeconfig", "/k", "--config", "/c"]).unwrap();
        assert_eq!(f.health_bind_address, "127.0.0.1:0".parse().unwrap());
        assert_eq!(f.log_format, LogFormat::Text);
        assert_eq!(f.config, PathBuf::from("/c"));
        assert!(Flags::try_parse_from(["gardenlet", "--kubeconfig", "/k"]).is_err());
        assert!(Flags::try_parse_from(["gardenlet", "--kubeconfig", "/k", "--config", "/c", "--log-format", "xml"])
            .is_err());
    }
}
