//! `machine-controller`: one process per seed, reconciling the machine objects of every shoot on it.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use component_base::{health, LogFormat};
use futures::StreamExt;
use garden_api::machine::v1alpha1::validation::parse_duration;
use garden_api::machine::v1alpha1::{Machine, MachineDeployment, MachineSet};
use kube::api::Api;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{watcher, Controller};
use machine_controller::config::{Periods, Timeouts};
use machine_controller::metrics::{InstrumentedDriver, Metrics};
use machine_controller::shoots::ShootConnections;
use machine_controller::{deployment, machine, machineset, safety, Ctx};
use machine_driver::Driver;
use provider_openstack::driver::{OpenStackDriver, ServerNetworks};
use tracing::{error, info};

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s)
}

/// Reconciles MachineDeployments, MachineSets and Machines of every shoot on a seed (MCM's semantics) and
/// provisions VMs through the seed's provider driver.
/// `--openstack-server-networks`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum OpenStackNetworks {
    Class,
    None,
}

#[derive(Parser, Debug)]
#[command(name = "machine-controller", version)]
struct Flags {
    /// Kubeconfig of the seed API (where the machine objects and shoot access Secrets live).
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: String,
    /// The machine driver: `local` (node-agent processes on this host), `aws` (EC2 instances) or `openstack`
    /// (nova servers).
    #[arg(long, default_value = "local")]
    provider: String,
    /// aws: an EC2 endpoint other than AWS's (an operator setting of the seed, e.g. moto in tests).
    #[arg(long)]
    aws_endpoint: Option<String>,
    /// openstack: which networks servers get: `class` (the class's networkID, production) or `none` (for clouds
    /// that cannot bind ports, as the local test OpenStack without network agents).
    #[arg(long, value_enum, default_value = "class")]
    openstack_server_networks: OpenStackNetworks,
    /// local: the node agent binary (default: `local-node` next to this binary).
    #[arg(long)]
    local_node_binary: Option<PathBuf>,
    /// local: how often node agents renew their lease (keep it well below --node-monitor-grace-period).
    #[arg(long, default_value = "10s", value_parser = duration)]
    local_node_heartbeat_interval: Duration,
    /// local: where machine files live; also names this controller as the owner of its agents.
    #[arg(long, default_value = ".garden/machines")]
    local_state_dir: PathBuf,
    /// A machine still Pending after this is Failed (MCM's --machine-creation-timeout).
    #[arg(long, default_value = "20m", value_parser = duration)]
    machine_creation_timeout: Duration,
    /// A machine Unknown for this long is Failed and replaced (MCM's --machine-health-timeout).
    #[arg(long, default_value = "10m", value_parser = duration)]
    machine_health_timeout: Duration,
    /// Pods still on a deleted machine's node after this are not waited for (MCM's --machine-drain-timeout).
    #[arg(long, default_value = "2h", value_parser = duration)]
    machine_drain_timeout: Duration,
    /// A node whose lease is older than this is not ready (kube's --node-monitor-grace-period).
    #[arg(long, default_value = "40s", value_parser = duration)]
    node_monitor_grace_period: Duration,
    /// How often a healthy machine's node is checked without a node event.
    #[arg(long, default_value = "10s", value_parser = duration)]
    machine_resync_period: Duration,
    /// How often orphan VMs are collected (MCM's --machine-safety-orphan-vms-period).
    #[arg(long, default_value = "1m", value_parser = duration)]
    machine_safety_orphan_vms_period: Duration,
    /// Retry pause after transient driver errors (ResourceExhausted waits 60 times as long).
    #[arg(long, default_value = "5s", value_parser = duration)]
    retry_period: Duration,
    /// Machines reconciled at once.
    #[arg(long, default_value_t = 50)]
    concurrent_syncs: u16,
    /// Health and metrics endpoint (`/healthz`, `/readyz`, `/metrics`).
    #[arg(long, default_value = "127.0.0.1:10258")]
    health_bind_address: SocketAddr,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

fn driver(flags: &Flags) -> Result<Arc<dyn Driver>, String> {
    match flags.provider.as_str() {
        "local" => {
            let binary = match &flags.local_node_binary {
                Some(b) => b.clone(),
                None => std::env::current_exe()
                    .map_err(|e| format!("cannot find this binary: {e}"))?
                    .with_file_name("local-node"),
            };
            let state =
                std::path::absolute(&flags.local_state_dir).map_err(|e| format!("bad --local-state-dir: {e}"))?;
            Ok(Arc::new(provider_local::driver::LocalDriver::new(binary, state, flags.local_node_heartbeat_interval)))
        }
        "aws" => Ok(Arc::new(provider_aws::driver::AwsDriver::new(flags.aws_endpoint.clone()))),
        "openstack" => Ok(Arc::new(OpenStackDriver::new(match flags.openstack_server_networks {
            OpenStackNetworks::Class => ServerNetworks::Class,
            OpenStackNetworks::None => ServerNetworks::None,
        }))),
        other => Err(format!("unknown --provider {other:?} (known: local, aws, openstack)")),
    }
}

/// The MachineClass `provider` of the classes the driver serves.
fn class_provider(driver: &str) -> &'static str {
    match driver {
        "aws" => provider_aws::worker::CLASS_PROVIDER,
        "openstack" => provider_openstack::worker::CLASS_PROVIDER,
        _ => provider_local::driver::PROVIDER,
    }
}

#[tokio::main]
async fn main() {
    let flags = Flags::parse();
    component_base::init_logging(flags.log_format);
    if let Err(e) = run(flags).await {
        error!(error = %e, "machine-controller failed");
        std::process::exit(1);
    }
}

async fn run(flags: Flags) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let seed = component_base::kube_client(&flags.kubeconfig).await?;
    let metrics = Arc::new(Metrics::new());
    let driver: Arc<dyn Driver> = Arc::new(InstrumentedDriver::new(driver(&flags)?, metrics.clone()));
    let timeouts = Timeouts {
        creation: flags.machine_creation_timeout,
        health: flags.machine_health_timeout,
        drain: flags.machine_drain_timeout,
        node_monitor_grace: flags.node_monitor_grace_period,
    };
    let periods = Periods {
        machine_resync: flags.machine_resync_period,
        safety_orphans: flags.machine_safety_orphan_vms_period,
        retry_short: flags.retry_period,
        retry_medium: flags.retry_period * 6,
        retry_long: flags.retry_period * 60,
    };
    let (node_tx, node_rx) = tokio::sync::mpsc::unbounded_channel();
    let shoots = ShootConnections::new(seed.clone(), node_tx);
    let mut ctx = Ctx::new(seed.clone(), driver.clone(), timeouts, periods, shoots, metrics.clone());
    ctx.class_provider = Some(class_provider(&flags.provider).to_string());
    let ctx = Arc::new(ctx);

    let machines: Api<Machine> = Api::all(seed.clone());
    let sets: Api<MachineSet> = Api::all(seed.clone());
    let deployments: Api<MachineDeployment> = Api::all(seed.clone());
    let config = kube::runtime::controller::Config::default().concurrency(flags.concurrent_syncs);

    let machine_controller = Controller::new(machines.clone(), watcher::Config::default()).with_config(config.clone());
    let store = machine_controller.store();
    // A node event wakes the machine of that node (machines and nodes share names, or the `node` label says).
    let node_store = store.clone();
    let node_events = tokio_stream::wrappers::UnboundedReceiverStream::new(node_rx).filter_map(move |(ns, node)| {
        let found = node_store
            .state()
            .into_iter()
            .find(|m| {
                m.metadata.namespace.as_deref() == Some(ns.as_str())
                    && (m.metadata.name.as_deref() == Some(node.as_str())
                        || m.metadata.labels.as_ref().and_then(|l| l.get("node")) == Some(&node))
            })
            .map(|m| ObjectRef::from_obj(&*m));
        futures::future::ready(found)
    });
    let ready = Arc::new(AtomicBool::new(false));
    let listener = health::bind(flags.health_bind_address).await?;
    info!(address = %listener.local_addr()?, "serving /healthz, /readyz and /metrics");
    let render_store = store.clone();
    let render_metrics = metrics.clone();
    let render_driver = driver.clone();
    let renderer: health::MetricsRenderer =
        Arc::new(move || render_metrics.render(Some(&render_store), Some(render_driver.as_ref())));
    tokio::spawn(health::serve_with_metrics(listener, ready.clone(), "not ready: caches not synced", Some(renderer)));

    let machine_run = machine_controller
        .reconcile_on(node_events)
        .shutdown_on_signal()
        .run(machine::reconcile, machine::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    let set_run = Controller::new(sets, watcher::Config::default())
        .with_config(config.clone())
        .owns(machines.clone(), watcher::Config::default())
        .shutdown_on_signal()
        .run(machineset::reconcile, machineset::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    let deployment_run = Controller::new(deployments, watcher::Config::default())
        .with_config(config)
        .owns(Api::<MachineSet>::all(seed.clone()), watcher::Config::default())
        .shutdown_on_signal()
        .run(deployment::reconcile, deployment::error_policy, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    {
        let (store, ready) = (store.clone(), ready.clone());
        tokio::spawn(async move {
            if store.wait_until_ready().await.is_ok() {
                ready.store(true, Ordering::SeqCst);
            }
        });
    }
    let safety = tokio::spawn(safety::run(ctx.clone()));
    info!(provider = %flags.provider, "machine-controller started");
    // Bounded: in-flight reconciles against an unreachable API must not hold up a stop.
    component_base::run_until_signalled(async { tokio::join!(machine_run, set_run, deployment_run) }).await;
    safety.abort();
    info!("machine-controller stopped");
    Ok(())
}
