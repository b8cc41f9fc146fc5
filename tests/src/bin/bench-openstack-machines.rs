//! Benchmark of the machine layer on an OpenStack seed against the local OpenStack of `hack/openstack.sh up` (run
//! by `hack/bench-machines.sh`): prints one JSON line.
//!
//! A garden with controller-manager, the gardenlet of seed `openstack` and its machine layer (provider-openstack,
//! machine-controller `--provider openstack --openstack-server-networks none` with the harness's flags,
//! [`garden_e2e::MACHINE_CONTROLLER_TEST_ARGS`], and openstack-node-simulator, which registers a Node for every
//! live server as the fake compute driver boots nothing). The shoot of `examples/shoot-openstack.yaml` is created
//! with its pool at zero machines and waited for. Then, one after another:
//!
//! - `openstack_20_bare_s`: the baseline, in the same OpenStack: `bench-bare-nova` (provider-openstack's example:
//!   the SDK alone, through the same client) creates N servers concurrently and lists them until all are ACTIVE;
//! - `openstack_20_active_s`: the shoot's pool patched to minimum = maximum = N, until N Machines are `Running`
//!   (polled every 250 ms); over that window the requests machine-controller made to OpenStack (its
//!   `machine_controller_cloud_api_calls_total`, per machine: `openstack_calls_per_machine`), its driver calls and
//!   CPU time; at its end its VmRSS.
//!
//! N is 20 (`BENCH_MACHINES` overrides it; the JSON line reports it as `machines`).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use garden_e2e::bench::{
    self, clock_ticks_per_second, cloud_api_calls, cpu_ticks, driver_calls, driver_calls_between, machine_phases,
    metrics_now, proc_mib, round, ExampleShoot,
};
use garden_e2e::shoot::KillPlaneOnDrop;
use garden_e2e::{openstack, patient, repo_path, GardenOptions, TestGarden};
use serde_json::{json, Value};

/// The shoot's technical ID (its seed namespace).
const NS: &str = "shoot--dev--openstack";
const EXAMPLE: ExampleShoot = ExampleShoot { file: "shoot-openstack.yaml", namespace: "garden-dev", name: "openstack" };
const LOG: &str = "bench-openstack-machines";
const MACHINES_TIMEOUT: Duration = Duration::from_secs(900);

struct Bench {
    garden: TestGarden,
    _plane: KillPlaneOnDrop,
}

fn start() -> Result<Bench> {
    openstack::purge(NS);
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() })?;
    let (config, state_dir) = garden.cloud_seed_config("openstack", "openstack");
    garden.start_gardenlet("openstack", &config)?;
    garden.start_openstack_machine_layer(&[])?;
    garden.apply_dev_project()?;
    garden.kubectl_ok(&["apply", "-f", &repo_path("examples/cloudprofile-openstack.yaml").display().to_string()]);
    Ok(Bench { garden, _plane: KillPlaneOnDrop(state_dir.join(NS)) })
}

/// `bench-bare-nova`: `$BENCH_BARE_NOVA`, else `<bin dir>/examples/bench-bare-nova`; its JSON line.
fn run_bare(garden: &TestGarden, n: usize) -> Result<Value> {
    let binary = std::env::var_os("BENCH_BARE_NOVA")
        .map(PathBuf::from)
        .unwrap_or_else(|| garden.bin_dir().join("examples/bench-bare-nova"));
    if !binary.is_file() {
        bail!(
            "{} not found: build it with `cargo build -p provider-openstack --example bench-bare-nova`",
            binary.display()
        );
    }
    let log = garden.dir().join("bench-bare-nova.log");
    let out = Command::new(&binary)
        .arg(format!("--env={}", openstack::env_file().display()))
        .arg(format!("--count={n}"))
        .arg(format!("--timeout-s={}", patient(MACHINES_TIMEOUT).as_secs()))
        .stdin(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log)?))
        .output()
        .with_context(|| format!("failed to run {}", binary.display()))?;
    if !out.status.success() {
        bail!("{} failed ({}): {}", binary.display(), out.status, std::fs::read_to_string(&log).unwrap_or_default());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().context("bench-bare-nova printed nothing")?;
    serde_json::from_str(line).with_context(|| format!("bench-bare-nova printed {line:?}"))
}

fn calls_between(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    after
        .iter()
        .map(|(op, a)| (op.clone(), a - before.get(op).copied().unwrap_or(0.0)))
        .filter(|(_, n)| *n > 0.0)
        .collect()
}

async fn measure(bench: &Bench, n: usize) -> Result<Value> {
    let garden = &bench.garden;
    let shoots = EXAMPLE.api(garden).await?;
    let machines = bench::machines_api(garden, NS).await?;

    let t = Instant::now();
    let (min0, max0) = EXAMPLE.create_at_zero(garden, LOG).await?;
    eprintln!("[{LOG}] shoot ready (pool minimum {min0} / maximum {max0}) after {:.1} s", t.elapsed().as_secs_f64());
    if !machine_phases(&machines).await.is_empty() {
        bail!("the shoot should start with no machine");
    }

    // (1) The baseline: the SDK alone, in the same OpenStack.
    eprintln!("[{LOG}] baseline: bench-bare-nova creates {n} servers");
    let bare = run_bare(garden, n)?;
    let bare_s = bare["seconds"].as_f64().context("bench-bare-nova's seconds")?;
    eprintln!("[{LOG}] baseline: {bare}");

    // (2) Scale-up through the machine layer.
    let mc = bench::machine_controller_pid(&garden.kubeconfig().display().to_string())?;
    let ticks = clock_ticks_per_second()?;
    let metrics = metrics_now(garden)?;
    let (driver_before, calls_before) = (driver_calls(&metrics), cloud_api_calls(&metrics));
    let cpu_before = cpu_ticks(mc)?;
    eprintln!("[{LOG}] scale-up: pool to minimum = maximum = {n}");
    let start = Instant::now();
    EXAMPLE.scale_pool(&shoots, n as i64, n as i64).await?;
    let active_s = bench::wait_running(&machines, n, start, MACHINES_TIMEOUT, LOG, |_| Ok(())).await?;
    let cpu_after = cpu_ticks(mc).context("machine-controller exited during the scale-up")?;
    let metrics = metrics_now(garden)?;
    let calls = calls_between(&calls_before, &cloud_api_calls(&metrics));
    let driver = driver_calls_between(&driver_before, &driver_calls(&metrics));
    let controller_rss_mib = proc_mib(mc, "status", "VmRSS").context("machine-controller's VmRSS")?;
    eprintln!("[{LOG}] scale-up: {n} machines Running after {active_s:.2} s");
    eprintln!("[{LOG}] OpenStack requests of machine-controller during the scale-up: {calls:?}");
    eprintln!("[{LOG}] driver calls during the scale-up: {driver:?}");

    let per_machine = |x: f64| round(x / n as f64);
    let total: f64 = calls.values().sum();
    let driver_of = |method: &str| driver.get(method).copied().unwrap_or(0.0);
    Ok(json!({
        "machines": n,
        "openstack_20_active_s": round(active_s),
        "openstack_20_bare_s": round(bare_s),
        "openstack_vs_bare": round(active_s / bare_s),
        "bare_launched_s": bare["launched_s"].as_f64().map(round),
        "openstack_calls_per_machine": per_machine(total),
        "openstack_calls_by_operation": calls,
        "bare_calls_per_machine": per_machine(bare["calls"].as_f64().unwrap_or(0.0)),
        "creates_per_machine": per_machine(driver_of("CreateMachine")),
        "status_reads_per_machine": per_machine(driver_of("GetMachineStatus")),
        "list_calls": driver_of("ListMachines"),
        "controller_rss_mib": round(controller_rss_mib),
        "controller_cpu_s": round(cpu_after.saturating_sub(cpu_before) as f64 / ticks),
    }))
}

#[tokio::main]
async fn main() -> Result<()> {
    let n = match std::env::var("BENCH_MACHINES") {
        Ok(_) => bench::machines_wanted()?,
        Err(_) => 20,
    };
    let bench = start()?;
    let result = measure(&bench, n).await;
    if result.is_err() {
        bench::report_failure(&bench.garden, LOG);
    }
    // The garden's processes first (nothing recreates a server then), then what the shoot left in OpenStack.
    drop(bench);
    openstack::purge(NS);
    println!("{}", result?);
    Ok(())
}
