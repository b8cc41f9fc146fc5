//! `garden-controller-manager`: the garden's controllers (project controller, shoot scheduler, seed
//! lifecycle controller). Talks only to the garden API server, through kube-rs.
#![forbid(unsafe_code)]

mod clusterroleaggregation;
mod error;
mod hibernation;
mod project;
mod scheduler;
mod seedlifecycle;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use component_base::{health, LogFormat};
use tracing::{info, warn};

use crate::error::Error;

/// Runs the garden controllers (project controller: per Project a namespace, member RBAC and a
/// finalizer; shoot scheduler: a Seed for every Shoot without one; seed lifecycle: Seeds and Shoots
/// whose gardenlet stopped heartbeating become `Unknown`; hibernation schedules; ClusterRole
/// aggregation) against the garden API server.
#[derive(Debug, Parser)]
#[command(name = "garden-controller-manager", version, about, long_about = None)]
struct Flags {
    /// Path to the kubeconfig of the garden API server. Required unless the KUBECONFIG environment
    /// variable is set (a list of paths separated by ':' is merged, first wins).
    #[arg(long, env = "KUBECONFIG", value_name = "PATH")]
    kubeconfig: String,

    /// Address of the plain-HTTP health endpoint serving /healthz, /livez and /readyz (answers `ok`).
    /// Port 0 picks a free port; the bound address is logged.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0")]
    health_bind_address: SocketAddr,

    /// Log format on stderr. The level is set by RUST_LOG (default `info`).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Text)]
    log_format: LogFormat,

    /// Number of Projects reconciled concurrently.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    concurrent_project_syncs: u16,

    /// How the shoot scheduler picks a seed: `same-region` (only seeds in the shoot's region) or
    /// `minimal-distance` (the shoot's region if possible, else the closest region by name).
    #[arg(long, value_enum, value_name = "STRATEGY", default_value_t = scheduler::Strategy::SameRegion)]
    scheduler_strategy: scheduler::Strategy,

    /// How often the seed lifecycle controller checks the gardenlet heartbeats of all Seeds
    /// (e.g. `2s`, `500ms`, `1m`; a bare number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = seedlifecycle::parse_duration)]
    seed_monitor_period: Duration,

    /// How long after its last Lease renewal a Seed's `GardenletReady` condition is set to
    /// `Unknown`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = seedlifecycle::parse_duration)]
    seed_grace_period: Duration,

    /// How long `GardenletReady` must have been `Unknown` before the health conditions of the
    /// seed's Shoots are set to `Unknown`.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = seedlifecycle::parse_duration)]
    shoot_monitor_grace_period: Duration,

    /// How often hibernation schedules (`spec.hibernation.schedules`) are evaluated.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = seedlifecycle::parse_duration)]
    hibernation_sync_period: Duration,
}

/// Number of Shoots the scheduler handles concurrently.
const CONCURRENT_SCHEDULES: u16 = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let flags = Flags::parse();
    component_base::init_logging(flags.log_format);

    let client = component_base::kube_client(&flags.kubeconfig)
        .await
        .map_err(|source| Error::LoadKubeconfig { path: flags.kubeconfig.clone(), source })?;
    let addr = flags.health_bind_address;
    let listener = health::bind(addr).await.map_err(|source| Error::BindHealth { addr, source })?;
    info!(address = %listener.local_addr()?, "serving /healthz and /readyz");
    let ready = Arc::new(AtomicBool::new(false));
    tokio::spawn(health::serve(listener, ready.clone(), "not ready: caches not synced"));

    // Every controller watches the signal and winds down; the whole gets a bounded grace period, so that a
    // garden API answering 503 (requests retried, reconciles in flight) never holds up a stop.
    component_base::run_until_signalled(async move {
        let scheduler = tokio::spawn(scheduler::run(
            client.clone(),
            flags.scheduler_strategy,
            CONCURRENT_SCHEDULES,
            component_base::shutdown_signal(),
        ));
        let lifecycle_config = seedlifecycle::Config {
            monitor_period: flags.seed_monitor_period,
            seed_grace_period: flags.seed_grace_period,
            shoot_grace_period: flags.shoot_monitor_grace_period,
        };
        let lifecycle =
            tokio::spawn(seedlifecycle::run(client.clone(), lifecycle_config, component_base::shutdown_signal()));
        let hibernation = tokio::spawn(hibernation::run(
            client.clone(),
            flags.hibernation_sync_period,
            component_base::shutdown_signal(),
        ));
        let aggregation = tokio::spawn(clusterroleaggregation::run(client.clone(), component_base::shutdown_signal()));
        info!(kubeconfig = %flags.kubeconfig, "starting project controller");
        project::run(client, flags.concurrent_project_syncs, ready, component_base::shutdown_signal()).await;
        if let Err(err) = scheduler.await {
            warn!(error = %err, "scheduler task failed");
        }
        if let Err(err) = lifecycle.await {
            warn!(error = %err, "seed lifecycle task failed");
        }
        if let Err(err) = hibernation.await {
            warn!(error = %err, "hibernation schedule task failed");
        }
        if let Err(err) = aggregation.await {
            warn!(error = %err, "clusterrole aggregation task failed");
        }
    })
    .await;
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
        for flag in [
            "--kubeconfig",
            "--health-bind-address",
            "--log-format",
            "--concurrent-project-syncs",
            "--scheduler-strategy",
            "--seed-monitor-period",
            "--seed-grace-period",
            "--shoot-monitor-grace-period",
        ] {
            assert!(help.contains(flag), "{flag} missing from --help");
        }
    }

    #[test]
    fn defaults() {
        let f = Flags::try_parse_from(["gcm", "--kubeconfig", "/k"]).unwrap();
        assert_eq!(f.health_bind_address, "127.0.0.1:0".parse().unwrap());
        assert_eq!(f.log_format, LogFormat::Text);
        assert_eq!(f.scheduler_strategy, scheduler::Strategy::SameRegion);
        let f =
            Flags::try_parse_from(["gcm", "--kubeconfig", "/k", "--scheduler-strategy", "minimal-distance"]).unwrap();
        assert_eq!(f.scheduler_strategy, scheduler::Strategy::MinimalDistance);
        assert!(Flags::try_parse_from(["gcm", "--kubeconfig", "/k", "--log-format", "xml"]).is_err());
        assert_eq!(f.seed_monitor_period, Duration::from_secs(2));
        assert_eq!(f.seed_grace_period, Duration::from_secs(10));
        assert_eq!(f.shoot_monitor_grace_period, Duration::from_secs(20));
        let f = Flags::try_parse_from(["gcm", "--kubeconfig", "/k", "--seed-monitor-period", "500ms"]).unwrap();
        assert_eq!(f.seed_monitor_period, Duration::from_millis(500));
        assert!(Flags::try_parse_from(["gcm", "--kubeconfig", "/k", "--seed-grace-period", "ten"]).is_err());
    }
}
