//! Benchmark of the machine layer on an AWS seed against moto (run by `hack/bench-machines.sh`): prints one JSON
//! line.
//!
//! moto (EC2/IAM, with AMI, instance type and key pair validation on, as in `tests/tests/aws.rs`), a garden with
//! controller-manager, the gardenlet of seed `aws` and its machine layer (provider-aws, machine-controller
//! `--provider aws` with the harness's flags, [`garden_e2e::MACHINE_CONTROLLER_TEST_ARGS`], and aws-node-simulator,
//! which registers a Node for every live instance as moto's never boot). machine-controller alone talks to moto
//! through a counting proxy (`tests/support/counting_proxy.py`, run with the moto venv's python): it forwards
//! every request unchanged and counts them by EC2 `Action`. provider-aws and the node simulator talk to moto
//! directly (their calls are not counted). The shoot of `examples/shoot-aws.yaml` (one pool over two zones) is
//! created with its pool at zero machines (minimum 0 / maximum 1 when maximum 0 is refused, which the Worker
//! actuator turns into 0 replicas) and waited for. Then, one after another:
//!
//! - `aws_100_bare_s`: the baseline, in the same moto: `bench-bare-ec2` (provider-aws's example: aws-sdk-ec2
//!   alone) launches N instances with N concurrent single RunInstances and polls DescribeInstances until all are
//!   running; through a second counting proxy, so that both sides pay the same extra hop;
//! - `aws_100_running_s`: the shoot's pool patched to minimum = maximum = N, until N Machines (machine.sapcloud.io,
//!   in the shoot's seed namespace) are `Running` (polled every 250 ms); over that window the EC2 calls
//!   machine-controller made (per machine: `aws_calls_per_machine`, `run_instances_per_machine`,
//!   `describe_per_machine`, all actions in `aws_calls_by_action`), its driver calls (from `/metrics`) and CPU
//!   time; at its end its VmRSS. `aws_launched_s`: when the proxy had answered the N-th RunInstances.
//!
//! N is 100 (`BENCH_MACHINES` overrides it; the JSON line reports it as `machines`). A failure ends the
//! benchmark with an error, the tail of machine-controller's log, and the garden directory (kept).
#![forbid(unsafe_code)]

#[path = "../../../etcd-backup/tests/support/peers.rs"]
mod peers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use garden_e2e::bench::{
    self, clock_ticks_per_second, cpu_ticks, driver_calls, driver_calls_between, machine_phases, machines_wanted,
    metrics_now, proc_mib, round, ExampleShoot,
};
use garden_e2e::shoot::KillPlaneOnDrop;
use garden_e2e::{patient, repo_path, GardenOptions, TestGarden};
use serde_json::{json, Value};

/// The shoot's technical ID (its seed namespace).
const NS: &str = "shoot--dev--aws";
const EXAMPLE: ExampleShoot = ExampleShoot { file: "shoot-aws.yaml", namespace: "garden-dev", name: "aws" };
const MOTO_ENV: [(&str, &str); 3] = [
    ("MOTO_ENABLE_AMI_VALIDATION", "true"),
    ("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true"),
    ("MOTO_ENABLE_KEYPAIR_VALIDATION", "true"),
];
/// Where the counting proxy answers its counts.
const COUNTS_PATH: &str = "/__bench/counts";
const LOG: &str = "bench-aws-machines";

const MACHINES_TIMEOUT: Duration = Duration::from_secs(900);

// ----- the counting proxy -----

/// Calls of one EC2 action: how many, how many failed (HTTP status >= 400), seconds summed.
#[derive(Clone, Copy, Debug, Default)]
struct Calls {
    calls: f64,
    errors: f64,
    seconds: f64,
}

/// `tests/support/counting_proxy.py` on a free port in front of `upstream`; killed on drop.
struct CountingProxy {
    port: u16,
    child: Child,
}

impl CountingProxy {
    fn start(log_dir: &Path, name: &str, upstream: &str) -> Result<CountingProxy> {
        let moto = peers::find_moto().context("moto_server not found (hack/lib.sh garden::ensure_moto installs it)")?;
        let python = moto.with_file_name("python3");
        let port = peers::free_port();
        let log = std::fs::File::create(log_dir.join(format!("{name}.log")))?;
        let child = Command::new(&python)
            .arg(repo_path("tests/support/counting_proxy.py"))
            .arg(port.to_string())
            .arg(upstream)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("failed to start {}", python.display()))?;
        let mut proxy = CountingProxy { port, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while proxy.counts().is_err() {
            if let Some(status) = proxy.child.try_wait()? {
                bail!("the counting proxy {name} exited with {status}");
            }
            if Instant::now() > deadline {
                bail!("the counting proxy {name} did not answer within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(proxy)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The counts so far, by action.
    fn counts(&self) -> Result<BTreeMap<String, Calls>> {
        let (code, body) = peers::http(self.port, "GET", COUNTS_PATH).context("the counting proxy does not answer")?;
        if code != 200 {
            bail!("the counting proxy answered {code}: {body}");
        }
        let value: BTreeMap<String, Value> = serde_json::from_str(&body).context("the counting proxy's counts")?;
        let field = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
        Ok(value
            .into_iter()
            .map(|(k, v)| {
                (k, Calls { calls: field(&v, "calls"), errors: field(&v, "errors"), seconds: field(&v, "seconds") })
            })
            .collect())
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `after - before`, actions without calls in between left out.
fn calls_between(before: &BTreeMap<String, Calls>, after: &BTreeMap<String, Calls>) -> BTreeMap<String, Calls> {
    after
        .iter()
        .map(|(action, a)| {
            let b = before.get(action).copied().unwrap_or_default();
            (
                action.clone(),
                Calls { calls: a.calls - b.calls, errors: a.errors - b.errors, seconds: a.seconds - b.seconds },
            )
        })
        .filter(|(_, c)| c.calls > 0.0)
        .collect()
}

fn calls_of(counts: &BTreeMap<String, Calls>, action: &str) -> f64 {
    counts.get(action).map(|c| c.calls).unwrap_or(0.0)
}

// ----- the setup -----

/// Field order is drop order: the garden's processes, then the proxies, then moto; the shoot's control plane
/// processes last.
struct Bench {
    garden: TestGarden,
    controller_proxy: CountingProxy,
    bare_proxy: CountingProxy,
    _moto: peers::Moto,
    _plane: KillPlaneOnDrop,
}

fn start() -> Result<Bench> {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() })?;
    let moto = peers::Moto::start_with(garden.dir(), &MOTO_ENV);
    let controller_proxy = CountingProxy::start(garden.dir(), "counting-proxy-machine-controller", &moto.endpoint())?;
    let bare_proxy = CountingProxy::start(garden.dir(), "counting-proxy-bare", &moto.endpoint())?;
    let (config, state_dir) = garden.aws_seed_config("aws");
    garden.start_gardenlet("aws", &config)?;
    garden.start_aws_machine_layer_with(&moto.endpoint(), &controller_proxy.endpoint(), &[])?;
    garden.apply_dev_project()?;
    garden.kubectl_ok(&["apply", "-f", &repo_path("examples/cloudprofile-aws.yaml").display().to_string()]);
    Ok(Bench { garden, controller_proxy, bare_proxy, _moto: moto, _plane: KillPlaneOnDrop(state_dir.join(NS)) })
}

// ----- the baseline -----

/// `bench-bare-ec2`: `$BENCH_BARE_EC2`, else `<bin dir>/examples/bench-bare-ec2`.
fn bare_ec2_binary(garden: &TestGarden) -> Result<PathBuf> {
    let path = std::env::var_os("BENCH_BARE_EC2")
        .map(PathBuf::from)
        .unwrap_or_else(|| garden.bin_dir().join("examples/bench-bare-ec2"));
    if !path.is_file() {
        bail!("{} not found: build it with `cargo build -p provider-aws --example bench-bare-ec2`", path.display());
    }
    Ok(path)
}

/// Runs the baseline through `proxy`; its JSON line.
fn run_bare(garden: &TestGarden, proxy: &CountingProxy, n: usize) -> Result<Value> {
    let binary = bare_ec2_binary(garden)?;
    let log = garden.dir().join("bench-bare-ec2.log");
    let out = Command::new(&binary)
        .arg(format!("--endpoint={}", proxy.endpoint()))
        .arg(format!("--count={n}"))
        .arg(format!("--timeout-s={}", patient(MACHINES_TIMEOUT).as_secs()))
        .stdin(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log)?))
        .output()
        .with_context(|| format!("failed to run {}", binary.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}",
            binary.display(),
            out.status,
            std::fs::read_to_string(&log).unwrap_or_default().trim_end()
        );
    }
    let line = stdout.lines().last().context("bench-bare-ec2 printed nothing")?;
    serde_json::from_str(line).with_context(|| format!("bench-bare-ec2 printed {line:?}"))
}

// ----- the measurement -----

async fn measure(bench: &Bench, n: usize) -> Result<Value> {
    let garden = &bench.garden;
    let shoots = EXAMPLE.api(garden).await?;
    let machines = bench::machines_api(garden, NS).await?;

    // The shoot, at zero machines.
    let t = Instant::now();
    let (min0, max0) = EXAMPLE.create_at_zero(garden, LOG).await?;
    eprintln!("[{LOG}] shoot ready (pool minimum {min0} / maximum {max0}) after {:.1} s", t.elapsed().as_secs_f64());
    let machines_before = machine_phases(&machines).await;
    if !machines_before.is_empty() {
        bail!("the shoot should start with no machine: machines {machines_before:?}");
    }

    // (1) The baseline: aws-sdk-ec2 alone, in the same moto.
    eprintln!("[{LOG}] baseline: bench-bare-ec2 launches {n} instances");
    let bare_before = bench.bare_proxy.counts()?;
    let bare = run_bare(garden, &bench.bare_proxy, n)?;
    let bare_calls = calls_between(&bare_before, &bench.bare_proxy.counts()?);
    let bare_s = bare["seconds"].as_f64().context("bench-bare-ec2's seconds")?;
    eprintln!("[{LOG}] baseline: {bare}; its EC2 calls through the proxy (setup and cleanup too): {bare_calls:?}");

    // (2) Scale-up through the machine layer.
    let mc = bench::machine_controller_pid(&format!("--aws-endpoint={}", bench.controller_proxy.endpoint()))?;
    let ticks = clock_ticks_per_second()?;
    let driver_before = driver_calls(&metrics_now(garden)?);
    let ec2_before = bench.controller_proxy.counts()?;
    let cpu_before = cpu_ticks(mc)?;
    eprintln!("[{LOG}] scale-up: pool to minimum = maximum = {n}");
    let start = Instant::now();
    EXAMPLE.scale_pool(&shoots, n as i64, n as i64).await?;
    let run_instances_before = calls_of(&ec2_before, "RunInstances");
    let mut launched_s = None;
    let running_s = bench::wait_running(&machines, n, start, MACHINES_TIMEOUT, LOG, |elapsed| {
        if launched_s.is_none()
            && calls_of(&bench.controller_proxy.counts()?, "RunInstances") - run_instances_before >= n as f64
        {
            launched_s = Some(elapsed);
        }
        Ok(())
    })
    .await?;
    let cpu_after = cpu_ticks(mc).context("machine-controller exited during the scale-up")?;
    let ec2 = calls_between(&ec2_before, &bench.controller_proxy.counts()?);
    let driver = driver_calls_between(&driver_before, &driver_calls(&metrics_now(garden)?));
    let controller_rss_mib = proc_mib(mc, "status", "VmRSS").context("machine-controller's VmRSS")?;
    let controller_cpu_s = cpu_after.saturating_sub(cpu_before) as f64 / ticks;
    eprintln!("[{LOG}] scale-up: {n} machines Running after {running_s:.2} s");
    eprintln!("[{LOG}] EC2 calls of machine-controller during the scale-up: {ec2:?}");
    eprintln!("[{LOG}] driver calls during the scale-up: {driver:?}");

    let per_machine = |x: f64| round(x / n as f64);
    let total: f64 = ec2.values().map(|c| c.calls).sum();
    let errors: f64 = ec2.values().map(|c| c.errors).sum();
    let by_action: BTreeMap<&str, f64> = ec2.iter().map(|(a, c)| (a.as_str(), c.calls)).collect();
    let seconds_by_action: BTreeMap<&str, f64> = ec2.iter().map(|(a, c)| (a.as_str(), round(c.seconds))).collect();
    let driver_of = |method: &str| driver.get(method).copied().unwrap_or(0.0);
    Ok(json!({
        "machines": n,
        "aws_100_running_s": round(running_s),
        "aws_100_bare_s": round(bare_s),
        "aws_vs_bare": round(running_s / bare_s),
        "aws_launched_s": launched_s.map(round),
        "bare_launched_s": bare["launched_s"],
        "aws_calls_per_machine": per_machine(total),
        "run_instances_per_machine": per_machine(calls_of(&ec2, "RunInstances")),
        "describe_per_machine": per_machine(calls_of(&ec2, "DescribeInstances")),
        "aws_calls_by_action": by_action,
        "aws_seconds_by_action": seconds_by_action,
        "aws_call_errors": errors,
        "bare_calls_per_machine": per_machine(bare["calls"].as_f64().unwrap_or(0.0)),
        "creates_per_machine": per_machine(driver_of("CreateMachine")),
        "status_reads_per_machine": per_machine(driver_of("GetMachineStatus")),
        "list_calls": driver_of("ListMachines"),
        "controller_rss_mib": round(controller_rss_mib),
        "controller_cpu_s": round(controller_cpu_s),
    }))
}

#[tokio::main]
async fn main() -> Result<()> {
    let n = machines_wanted()?;
    let bench = start()?;
    match measure(&bench, n).await {
        Ok(result) => {
            println!("{result}");
            Ok(())
        }
        Err(e) => {
            // Keep the garden directory (logs, moto's and the proxies' logs) for whoever reads the error.
            bench::report_failure(&bench.garden, LOG);
            Err(e)
        }
    }
}
