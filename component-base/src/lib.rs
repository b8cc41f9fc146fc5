//! What every garden component process shares (kube's component-base): the health endpoint, logging setup,
//! the kube client from a kubeconfig path list, the shutdown signal, small kube-rs call helpers (`api`), Events
//! (`events`), Prometheus text exposition on the health port (`health`), private atomic file writes (`files`) and
//! finding processes by command line (`procfs`).
#![forbid(unsafe_code)]

pub mod api;
pub mod events;
pub mod files;
pub mod health;
pub mod procfs;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

/// Log output format (`--log-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Structured logs on stderr; the level comes from `RUST_LOG` (default `info`).
pub fn init_logging(format: LogFormat) {
    // The OpenStack SDK logs every request at info: only its warnings by default (RUST_LOG overrides).
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,openstack_sdk=warn"));
    // Colours only on a terminal: components log into files.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// A kube client from a kubeconfig path or a `:`-separated list of paths (merged, first wins), like kubectl.
pub async fn kube_client(kubeconfig: &str) -> Result<Client, Box<dyn std::error::Error + Send + Sync>> {
    let mut merged: Option<Kubeconfig> = None;
    for path in kubeconfig.split(':').filter(|p| !p.is_empty()) {
        let kc = Kubeconfig::read_from(PathBuf::from(path))?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m.merge(kc)?,
        });
    }
    let kc = merged.ok_or("empty kubeconfig path")?;
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    Ok(client_from_config(config)?)
}

/// A kube client from a loaded config. Every kube client of the workspace is built here: rustls cannot choose a
/// crypto provider by itself once one build enables two (aws-sdk-ec2 brings aws-lc-rs, the rest of the
/// workspace uses ring), so this selects ring for the process first.
pub fn client_from_config(config: Config) -> Result<Client, kube::Error> {
    install_tls_provider();
    Client::try_from(config)
}

/// Makes ring the process's rustls crypto provider (no-op when one is already installed).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(err) => {
            warn!(error = %err, "cannot listen for SIGTERM");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => info!("received SIGTERM, shutting down"),
        _ = tokio::signal::ctrl_c() => info!("received SIGINT, shutting down"),
    }
}

/// How long a component keeps winding down after SIGTERM or SIGINT before it exits regardless of what it waits for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Runs `work` to completion unless SIGTERM or SIGINT arrives first. Then `work` (whose parts watch
/// [`shutdown_signal`] themselves and wind down) gets [`SHUTDOWN_GRACE`] to finish; past that the process exits
/// with status 0, so that a stop never waits on a peer (a request retried against an API that answers 503, an
/// in-flight reconcile, a blocking task the runtime would wait for on drop).
pub async fn run_until_signalled<F: Future>(work: F) -> F::Output {
    tokio::pin!(work);
    tokio::select! {
        out = &mut work => return out,
        () = shutdown_signal() => {}
    }
    match tokio::time::timeout(SHUTDOWN_GRACE, work).await {
        Ok(out) => out,
        Err(_) => {
            warn!(grace = ?SHUTDOWN_GRACE, "still winding down after the shutdown grace period, exiting now");
            std::process::exit(0)
        }
    }
}
