//! garden-dashboard: the tenant portal's backend. Serves the built single-page app and forwards its calls to the
//! garden as the logged-in user (dashboard/API.md); the garden's RBAC decides everything.
#![forbid(unsafe_code)]

mod garden;
mod routes;
mod session;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

/// The tenant portal.
#[derive(Debug, Parser)]
#[command(name = "garden-dashboard", version)]
struct Args {
    /// URL of the garden's API server.
    #[arg(long)]
    garden_server: String,
    /// The garden's name as gardenctl's configuration knows it (the pages show `gardenctl target --garden NAME`).
    #[arg(long, default_value = "local")]
    garden_name: String,
    /// PEM bundle of the CA that signed the garden's serving certificate.
    #[arg(long)]
    garden_ca: Option<PathBuf>,
    /// Address to serve on (plain HTTP: put it behind a TLS-terminating proxy anywhere but loopback).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind_address: String,
    /// The built front end (`npm run build` in dashboard/frontend; the image sets the variable to where it keeps it).
    #[arg(long, env = "GARDEN_DASHBOARD_STATIC_DIR", default_value = "dashboard/frontend/dist")]
    static_dir: PathBuf,
    /// How long a login lasts, in seconds.
    #[arg(long, default_value_t = 8 * 3600)]
    session_ttl_seconds: u64,
    /// A file of 32 bytes sealing the session cookies (default: a random key; sessions end with the process).
    #[arg(long)]
    session_key_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = component_base::LogFormat::Text)]
    log_format: component_base::LogFormat,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    component_base::init_logging(args.log_format);
    if let Err(e) = run(args).await {
        tracing::error!(error = %format!("{e:#}"), "garden-dashboard failed");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let key = match &args.session_key_file {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Some(
                <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| anyhow::anyhow!("{} must hold exactly 32 bytes", path.display()))?,
            )
        }
        None => None,
    };
    if !args.static_dir.join("index.html").is_file() {
        anyhow::bail!(
            "{} has no index.html: build the front end first (cd dashboard/frontend && npm ci && npm run build)",
            args.static_dir.display()
        );
    }
    let state = Arc::new(routes::AppState {
        garden: garden::Garden::new(&args.garden_server, args.garden_ca.as_deref())?,
        sealer: session::Sealer::new(key)?,
        ttl: Duration::from_secs(args.session_ttl_seconds),
        hub: Arc::new(watch::Hub::default()),
        garden_name: args.garden_name.clone(),
    });
    let listener = tokio::net::TcpListener::bind(&args.bind_address)
        .await
        .with_context(|| format!("binding {}", args.bind_address))?;
    tracing::info!(address = %listener.local_addr()?, garden = %args.garden_server, "serving the dashboard");
    axum::serve(listener, routes::router(state, args.static_dir))
        .with_graceful_shutdown(component_base::shutdown_signal())
        .await?;
    Ok(())
}
