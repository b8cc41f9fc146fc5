//! End-to-end test harness: drives the real binaries, a real `etcd` and real `kubectl`.
//!
//! A [`TestGarden`] is one complete local garden private to a test: its own temporary
//! directory, an `etcd` on free loopback ports, `garden-apiserver` on a free port (and,
//! on request, `garden-controller-manager`). Dropping it stops every process it started.
//! When the test panics the directory is kept and the tails of the logs are printed.
//!
//! Where things are found:
//! - our binaries: `$GARDEN_BIN_DIR`, else the `debug/` folder the test executable was
//!   built into (`<target>/debug/deps/<test>` -> `<target>/debug/`). `cargo test` does
//!   not build other packages' binaries: run `cargo build --workspace --bins` first
//!   (`hack/test.sh` does).
//! - `etcd`: `$ETCD_BIN`, else `etcd` on `PATH`.
//! - `kubectl`: `$KUBECTL`, else `kubectl` on `PATH`, else the one `hack/lib.sh` installs
//!   under `~/.cache/garden-tools/venv/bin`.
//!
//! Waiting: never sleep for a fixed time; poll with [`eventually`] /
//! [`eventually_async`] or the [`assert_eventually!`] macro. All timeouts are multiplied
//! by the patience knob `GARDEN_E2E_PATIENCE` (a float, default 1) for slow machines.
//!
//! Other knobs: `GARDEN_E2E_KEEP=1` keeps the temporary directory of passing tests too.
//!
//! Blocking: [`TestGarden::start`] and the `kubectl*` helpers block the calling thread.
//! Async tests that run watchers or controllers alongside should use
//! `#[tokio::test(flavor = "multi_thread")]`.
#![forbid(unsafe_code)]

pub mod bench;
pub mod openstack;
pub mod shoot;

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use serde_json::Value;

/// The admin user the apiserver writes into `--admin-kubeconfig` (O=system:masters).
pub const ADMIN_USER: &str = "garden-admin";

/// Multiplier for every timeout of the harness, from `GARDEN_E2E_PATIENCE` (default 1.0).
pub fn patience() -> f64 {
    std::env::var("GARDEN_E2E_PATIENCE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|p| p.is_finite() && *p > 0.0)
        .unwrap_or(1.0)
}

/// `timeout` scaled by [`patience`].
pub fn patient(timeout: Duration) -> Duration {
    timeout.mul_f64(patience())
}

/// Polls `condition` (first at once, then with a growing pause up to 500 ms) until it
/// returns true or `timeout` (scaled by [`patience`]) has passed. Returns whether it did.
pub fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + patient(timeout);
    let mut pause = Duration::from_millis(20);
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// Async [`eventually`]: awaits `condition()` until it yields true or the (patient)
/// timeout passes, pausing with `tokio::time::sleep` in between.
pub async fn eventually_async<F, Fut>(timeout: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + patient(timeout);
    let mut pause = Duration::from_millis(20);
    loop {
        if condition().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// Asserts that a condition becomes true within a timeout (scaled by the patience knob).
///
/// ```text
/// assert_eventually!(Duration::from_secs(30), || garden.kubectl(&["get", "ns", "garden-dev"]).status.success());
/// assert_eventually!(Duration::from_secs(30), || ready(), "shoot {} never became ready", name);
/// ```
#[macro_export]
macro_rules! assert_eventually {
    ($timeout:expr, $cond:expr $(,)?) => {
        assert!(
            $crate::eventually($timeout, $cond),
            "condition not met within {:?} (x patience {}): {}",
            $timeout,
            $crate::patience(),
            stringify!($cond)
        )
    };
    ($timeout:expr, $cond:expr, $($msg:tt)+) => {
        assert!(
            $crate::eventually($timeout, $cond),
            "condition not met within {:?} (x patience {}): {}",
            $timeout,
            $crate::patience(),
            format!($($msg)+)
        )
    };
}

/// Options for [`TestGarden::start_with`].
#[derive(Debug, Default, Clone)]
pub struct GardenOptions {
    /// Extra flags for garden-apiserver, appended after the harness's own.
    pub apiserver_args: Vec<String>,
    /// Written to `<dir>/tokens.csv` and passed as `--token-auth-file`
    /// (kube's format: `token,user,uid,"group1,group2"`).
    pub token_auth_csv: Option<String>,
    /// Also start garden-controller-manager.
    pub controller_manager: bool,
    /// Extra flags for garden-controller-manager, appended after `--kubeconfig`.
    pub controller_manager_args: Vec<String>,
}

/// One complete garden private to a test. See the crate docs.
pub struct TestGarden {
    dir: PathBuf,
    bin_dir: PathBuf,
    kubectl_bin: PathBuf,
    etcd_bin: PathBuf,
    etcd_client_port: u16,
    etcd_peer_port: u16,
    apiserver_port: u16,
    apiserver_args: Vec<String>,
    controller_manager_args: Vec<String>,
    etcd: Option<Child>,
    apiserver: Option<Child>,
    controller_manager: Option<Child>,
    /// Running gardenlets by seed name.
    gardenlets: Vec<(String, Child)>,
    /// The local seed's machine layer: machine-controller (with its flags and health/metrics port) and the
    /// provider-local extension.
    machine_controller: Option<Child>,
    machine_controller_args: Vec<String>,
    machine_controller_port: u16,
    provider_local: Option<Child>,
    /// A cloud seed's extension and (tests only) its node simulator, by log name, and how the extension was
    /// started (for [`TestGarden::crash_restart_extension`]).
    cloud_layer: Vec<(&'static str, Child)>,
    cloud_extension: Option<(&'static str, Vec<String>)>,
    watchdog: Option<Child>,
    /// The aggregated garden-apiserver behind a garden started with `--api-profile kube`, and its port (0: none
    /// registered yet).
    aggregated: Option<Child>,
    aggregated_port: u16,
    /// Keep the directory on drop (a start that failed: its error names the logs).
    keep_dir: bool,
}

static GARDEN_SEQ: AtomicUsize = AtomicUsize::new(0);

impl TestGarden {
    /// Starts etcd and garden-apiserver and waits until `/readyz` answers `ok`.
    pub fn start() -> Result<TestGarden> {
        Self::start_with(GardenOptions::default())
    }

    /// Like [`TestGarden::start`] with extra options. A component that exits before it is ready (typically a
    /// port another test's process took between choosing and binding it) makes the start begin again with
    /// fresh ports, up to three times.
    pub fn start_with(options: GardenOptions) -> Result<TestGarden> {
        let mut attempt = 1;
        loop {
            match Self::start_once(&options) {
                Err(e) if attempt < 3 && format!("{e:#}").contains("before it was ready") => {
                    eprintln!("[garden-e2e] start attempt {attempt} failed, retrying with new ports: {e:#}");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_once(options: &GardenOptions) -> Result<TestGarden> {
        let bin_dir = find_bin_dir()?;
        let etcd_bin = find_tool("ETCD_BIN", "etcd", &[])
            .context("etcd not found: install Debian's etcd-server (hack/test.sh does) or set ETCD_BIN")?;
        let kubectl_bin = find_tool("KUBECTL", "kubectl", &[tools_venv_bin().join("kubectl")])
            .context("kubectl not found: run hack/test.sh (it installs one) or set KUBECTL")?;

        let dir = make_temp_dir()?;
        eprintln!("[garden-e2e] test garden directory: {}", dir.display());

        let mut apiserver_args = Vec::new();
        if let Some(csv) = &options.token_auth_csv {
            let path = dir.join("tokens.csv");
            fs::write(&path, csv).with_context(|| format!("failed to write {}", path.display()))?;
            apiserver_args.push("--token-auth-file".to_string());
            apiserver_args.push(path.display().to_string());
        }
        apiserver_args.extend(options.apiserver_args.iter().cloned());

        let [etcd_client_port, etcd_peer_port, apiserver_port] = free_ports::<3>()?;
        let mut garden = TestGarden {
            dir,
            bin_dir,
            kubectl_bin,
            etcd_bin,
            etcd_client_port,
            etcd_peer_port,
            apiserver_port,
            apiserver_args,
            controller_manager_args: options.controller_manager_args.clone(),
            etcd: None,
            apiserver: None,
            controller_manager: None,
            gardenlets: Vec::new(),
            machine_controller: None,
            machine_controller_args: Vec::new(),
            machine_controller_port: 0,
            provider_local: None,
            cloud_layer: Vec::new(),
            cloud_extension: None,
            watchdog: None,
            aggregated: None,
            aggregated_port: 0,
            keep_dir: false,
        };
        // From here on Drop stops whatever was started if a step fails.
        let started = (|| {
            garden.start_watchdog()?;
            garden.start_etcd()?;
            garden.start_apiserver()?;
            if options.controller_manager {
                garden.start_controller_manager()?;
            }
            anyhow::Ok(())
        })();
        if let Err(e) = started {
            garden.keep_dir = true;
            return Err(e.context(format!("failed to start a test garden (directory kept: {})", garden.dir.display())));
        }
        Ok(garden)
    }

    /// The garden's temporary directory (logs, certs, kubeconfigs, etcd data).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The admin kubeconfig written by garden-apiserver (`--admin-kubeconfig`).
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("admin.kubeconfig")
    }

    /// `https://127.0.0.1:<port>`.
    pub fn server_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.apiserver_port)
    }

    /// The apiserver's `--cert-dir` (`ca.crt`, `ca.key`, `apiserver.crt`, ...).
    pub fn cert_dir(&self) -> PathBuf {
        self.dir.join("certs")
    }

    /// `http://127.0.0.1:<port>` of the garden's etcd.
    pub fn etcd_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.etcd_client_port)
    }

    /// Where garden-apiserver, garden-controller-manager, ... were found.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Path of a log file of this garden: `etcd`, `apiserver`, `controller-manager`.
    pub fn log_path(&self, component: &str) -> PathBuf {
        self.dir.join(format!("{component}.log"))
    }

    /// Runs `kubectl --kubeconfig <admin> ARGS` and returns its output, whatever the exit code.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_as(&self.kubeconfig(), args)
    }

    /// Runs kubectl with another kubeconfig (e.g. from [`TestGarden::user_kubeconfig`]).
    pub fn kubectl_as(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        self.kubectl_command(kubeconfig, args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("failed to run {}: {e}", self.kubectl_bin.display()))
    }

    /// Runs kubectl (admin) and returns stdout; panics with stderr when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        expect_success("kubectl", args, &out)
    }

    /// Runs kubectl with `kubeconfig` and returns stdout; panics with stderr when it fails.
    pub fn kubectl_as_ok(&self, kubeconfig: &Path, args: &[&str]) -> String {
        let out = self.kubectl_as(kubeconfig, args);
        expect_success("kubectl", args, &out)
    }

    /// Runs kubectl (admin) with `input` on stdin, e.g. `kubectl_stdin(&["apply", "-f", "-"], yaml)`.
    pub fn kubectl_stdin(&self, args: &[&str], input: &str) -> Output {
        self.kubectl_stdin_as(&self.kubeconfig(), args, input)
    }

    /// Like [`TestGarden::kubectl_stdin`] with another kubeconfig.
    /// [`TestGarden::kubectl_stdin`], panicking with stderr unless it succeeds; returns stdout.
    pub fn kubectl_stdin_ok(&self, args: &[&str], input: &str) -> String {
        let out = self.kubectl_stdin(args, input);
        expect_success("kubectl", args, &out)
    }

    pub fn kubectl_stdin_as(&self, kubeconfig: &Path, args: &[&str], input: &str) -> Output {
        let mut child = self
            .kubectl_command(kubeconfig, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("failed to run {}: {e}", self.kubectl_bin.display()));
        let mut stdin = child.stdin.take().expect("piped stdin");
        let input = input.to_owned();
        // A writer thread, so a kubectl that prints before it has read everything cannot deadlock us.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("failed to wait for kubectl: {e}"));
        let _ = writer.join();
        out
    }

    /// A `kubectl` command (admin kubeconfig, private discovery cache) for custom use.
    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        self.kubectl_command(&self.kubeconfig(), args)
    }

    fn kubectl_command(&self, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.kubectl_bin);
        cmd.arg("--kubeconfig")
            .arg(kubeconfig)
            // Discovery is cached per host:port; ports are reused across tests.
            .arg("--cache-dir")
            .arg(self.dir.join("kube-cache"))
            .args(args)
            .env_remove("KUBECONFIG")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env("NO_PROXY", "127.0.0.1,localhost");
        cmd
    }

    /// Writes a kubeconfig for user `name` in `groups` (client certificate signed by the
    /// garden's CA, via `garden-apiserver kubeconfig`) and returns its path.
    pub fn user_kubeconfig(&self, name: &str, groups: &[&str]) -> PathBuf {
        let mut cmd = Command::new(self.bin_dir.join("garden-apiserver"));
        cmd.arg("kubeconfig")
            .arg("--cert-dir")
            .arg(self.cert_dir())
            .arg("--server")
            .arg(self.server_url())
            .arg("--user")
            .arg(name);
        for group in groups {
            cmd.arg("--group").arg(group);
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("failed to run garden-apiserver kubeconfig: {e}"));
        let args: Vec<&str> = std::iter::once(name).chain(groups.iter().copied()).collect();
        let stdout = expect_success("garden-apiserver kubeconfig --user/--group", &args, &out);
        let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let path = self.dir.join(format!("user-{safe}.kubeconfig"));
        fs::write(&path, stdout).unwrap_or_else(|e| panic!("failed to write {}: {e}", path.display()));
        path
    }

    /// For a garden started with `--api-profile kube`: registers an aggregated garden-apiserver (RBAC, Service,
    /// Endpoints on a port chosen now, APIServices) with `hack/register-aggregated-apiserver.sh`, without starting
    /// it; returns the port. The serving CA is created here, in `aggregated_cert_dir()`.
    pub fn register_aggregated_apiserver(&mut self) -> Result<u16> {
        if self.aggregated_port == 0 {
            let [port] = free_ports::<1>()?;
            self.aggregated_port = port;
        }
        let certs = self.aggregated_cert_dir();
        fs::create_dir_all(&certs)?;
        // The serving CA and certificate, for the name the aggregator checks (`<service>.<namespace>.svc`).
        let out = Command::new(self.bin_dir.join("garden-apiserver"))
            .args(["certs", "--host", "127.0.0.1", "--host", "garden-apiserver.garden.svc", "--cert-dir"])
            .arg(&certs)
            .output()?;
        ensure!(out.status.success(), "garden-apiserver certs failed: {}", String::from_utf8_lossy(&out.stderr));
        let kubectl_dir = self.kubectl_bin.parent().map(Path::to_path_buf).unwrap_or_default();
        let path = format!("{}:{}", kubectl_dir.display(), std::env::var("PATH").unwrap_or_default());
        let out = Command::new(repo_path("hack/register-aggregated-apiserver.sh"))
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .arg("--port")
            .arg(self.aggregated_port.to_string())
            .arg("--ca-file")
            .arg(certs.join("ca.crt"))
            .env("PATH", path)
            .output()?;
        ensure!(
            out.status.success(),
            "register-aggregated-apiserver.sh failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(self.aggregated_port)
    }

    /// Where the aggregated server keeps its CA and serving certificate.
    pub fn aggregated_cert_dir(&self) -> PathBuf {
        self.dir.join("aggregated-certs")
    }

    /// Starts the registered aggregated garden-apiserver (`--api-profile aggregated`, its own etcd prefix, the
    /// kubeconfig of user system:garden-apiserver) and waits for its /readyz.
    pub fn start_aggregated_apiserver(&mut self) -> Result<()> {
        ensure!(self.aggregated_port != 0, "register_aggregated_apiserver first");
        let kubeconfig = self.user_kubeconfig("system:garden-apiserver", &[]);
        let mut cmd = Command::new(self.bin_dir.join("garden-apiserver"));
        cmd.args(["--api-profile", "aggregated", "--etcd-prefix", "/gardener", "--bind-address", "127.0.0.1"])
            .arg("--etcd-servers")
            .arg(self.etcd_endpoint())
            .arg("--secure-port")
            .arg(self.aggregated_port.to_string())
            .arg("--cert-dir")
            .arg(self.aggregated_cert_dir())
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .env("RUST_BACKTRACE", "1");
        let child = self.spawn("aggregated-apiserver", cmd)?;
        self.aggregated = Some(child);
        let url = self.aggregated_url();
        self.wait_ready("aggregated-apiserver", Duration::from_secs(60), || readyz(&url))
    }

    /// SIGKILLs the aggregated garden-apiserver.
    pub fn kill_aggregated_apiserver(&mut self) {
        if let Some(child) = self.aggregated.take() {
            self.stop_child("aggregated-apiserver", child, Duration::ZERO);
        }
    }

    /// `https://127.0.0.1:<port>` of the aggregated server (reached directly, not through the aggregator).
    pub fn aggregated_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.aggregated_port)
    }

    /// Writes a kubeconfig that authenticates with bearer `token` (CA: the garden's) and returns its path.
    pub fn token_kubeconfig(&self, name: &str, token: &str) -> PathBuf {
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: garden\n  cluster:\n    server: {}\n    \
             certificate-authority: {}\nusers:\n- name: {name}\n  user:\n    token: {token}\ncontexts:\n- name: \
             {name}\n  context: {{cluster: garden, user: {name}}}\ncurrent-context: {name}\n",
            self.server_url(),
            self.cert_dir().join("ca.crt").display(),
        );
        let path = self.dir.join(format!("token-{name}.kubeconfig"));
        fs::write(&path, kubeconfig).unwrap_or_else(|e| panic!("failed to write {}: {e}", path.display()));
        path
    }

    /// POSTs raw `body` to `path` with curl (HTTP/1.1) and the admin's client certificate; (HTTP code, body).
    pub fn post_as_admin(&self, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
        self.request_as_admin("POST", path, content_type, body)
    }

    /// Sends raw `body` with `method` to `path` with curl (HTTP/1.1) and the admin's client certificate; (HTTP
    /// code, body).
    pub fn request_as_admin(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
        let kc: Value = serde_yaml::from_str(&fs::read_to_string(self.kubeconfig()).unwrap()).unwrap();
        let user = &kc["users"][0]["user"];
        let decode = |k: &str| {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD.decode(user[k].as_str().unwrap_or_default()).unwrap();
            let p = self.dir.join(format!("admin-{k}"));
            fs::write(&p, bytes).unwrap();
            p
        };
        let (cert, key) = (decode("client-certificate-data"), decode("client-key-data"));
        let file = self.dir.join("post-body.bin");
        fs::write(&file, body).unwrap();
        let out = Command::new("curl")
            .args(["-sk", "--http1.1", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H"])
            .arg(format!("Content-Type: {content_type}"))
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .arg("--data-binary")
            .arg(format!("@{}", file.display()))
            .arg(format!("{}{path}", self.server_url()))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.trim().parse().unwrap(), serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// HTTP status code of `GET path` with bearer `token` (curl, as text).
    pub fn curl_code(&self, token: &str, path: &str) -> String {
        let out = Command::new("curl")
            .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
            .arg(format!("Authorization: Bearer {token}"))
            .arg(format!("{}{path}", self.server_url()))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// A kube-rs client authenticated as the admin.
    pub async fn client(&self) -> Result<kube::Client> {
        self.client_for(&self.kubeconfig()).await
    }

    /// A kube-rs client from any kubeconfig file.
    pub async fn client_for(&self, kubeconfig: &Path) -> Result<kube::Client> {
        let kc = kube::config::Kubeconfig::read_from(kubeconfig)
            .with_context(|| format!("failed to read kubeconfig {}", kubeconfig.display()))?;
        let config = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
            .await
            .context("failed to load kubeconfig")?;
        component_base::client_from_config(config).context("failed to build kube client")
    }

    /// Starts garden-controller-manager against the admin kubeconfig (no-op if running).
    pub fn start_controller_manager(&mut self) -> Result<()> {
        if let Some(child) = self.controller_manager.as_mut() {
            if child.try_wait()?.is_none() {
                return Ok(());
            }
        }
        let bin = self.bin_dir.join("garden-controller-manager");
        let mut cmd = Command::new(&bin);
        cmd.arg("--kubeconfig").arg(self.kubeconfig()).args(&self.controller_manager_args);
        let child = self.spawn("controller-manager", cmd)?;
        self.controller_manager = Some(child);
        Ok(())
    }

    /// Starts a gardenlet for `seed` with the given GardenletConfiguration YAML (written to the garden's
    /// directory), against the admin kubeconfig.
    pub fn start_gardenlet(&mut self, seed: &str, config_yaml: &str) -> Result<()> {
        let config = self.dir.join(format!("gardenlet-{seed}.yaml"));
        fs::write(&config, config_yaml).with_context(|| format!("failed to write {}", config.display()))?;
        let mut cmd = Command::new(self.bin_dir.join("gardenlet"));
        cmd.arg("--kubeconfig").arg(self.kubeconfig()).arg("--config").arg(&config);
        let child = self.spawn(&format!("gardenlet-{seed}"), cmd)?;
        self.gardenlets.push((seed.to_string(), child));
        Ok(())
    }

    /// Starts the local seed's machine layer: `gardener-extension-provider-local` (Worker actuator) and
    /// `machine-controller` with the local driver (node agents' files under `<state_dir>/machines`), with the
    /// timeouts of [`MACHINE_CONTROLLER_TEST_ARGS`] and then `extra_args` (later flags win).
    pub fn start_machine_layer(&mut self, state_dir: &Path, extra_args: &[&str]) -> Result<()> {
        let mut cmd = Command::new(self.bin_dir.join("gardener-extension-provider-local"));
        cmd.arg("--kubeconfig").arg(self.kubeconfig()).arg("--health-bind-address=127.0.0.1:0");
        let child = self.spawn("provider-local", cmd)?;
        self.provider_local = Some(child);
        let mut args = vec![format!("--local-state-dir={}", state_dir.join("machines").display())];
        args.extend(MACHINE_CONTROLLER_TEST_ARGS.iter().map(|a| a.to_string()));
        args.extend(extra_args.iter().map(|a| a.to_string()));
        self.machine_controller_args = args;
        self.machine_controller_port = free_port();
        self.start_machine_controller()
    }

    /// Starts an AWS seed's machine layer against the EC2/IAM endpoint `aws_endpoint` (moto):
    /// `gardener-extension-provider-aws` (Infrastructure and Worker actuators), `machine-controller --provider aws`
    /// with the timeouts of [`MACHINE_CONTROLLER_TEST_ARGS`] and `extra_args`, and `aws-node-simulator` (a Node
    /// for each instance, as moto's never boot).
    pub fn start_aws_machine_layer(&mut self, aws_endpoint: &str, extra_args: &[&str]) -> Result<()> {
        self.start_aws_machine_layer_with(aws_endpoint, aws_endpoint, extra_args)
    }

    /// [`TestGarden::start_aws_machine_layer`], with machine-controller alone talking to `machine_controller_endpoint`
    /// (the benchmarks put a counting proxy in front of moto there; provider-aws and the node simulator keep
    /// `aws_endpoint`).
    pub fn start_aws_machine_layer_with(
        &mut self,
        aws_endpoint: &str,
        machine_controller_endpoint: &str,
        extra_args: &[&str],
    ) -> Result<()> {
        let endpoint = format!("--aws-endpoint={aws_endpoint}");
        self.start_cloud_machine_layer(
            CloudLayer {
                extension: ("provider-aws", "gardener-extension-provider-aws", vec![endpoint.clone()]),
                simulator: ("aws-node-simulator", vec![endpoint]),
                machine_controller: vec![
                    "--provider=aws".into(),
                    format!("--aws-endpoint={machine_controller_endpoint}"),
                ],
            },
            extra_args,
        )
    }

    /// Starts an OpenStack seed's machine layer against the local OpenStack (whose Keystone URL the shoots'
    /// credentials name): `gardener-extension-provider-openstack`, `machine-controller --provider openstack
    /// --openstack-server-networks none` (ports cannot be bound without network agents) with the timeouts of
    /// [`MACHINE_CONTROLLER_TEST_ARGS`] and `extra_args`, and `openstack-node-simulator` (a Node for each server,
    /// as the fake compute driver boots nothing).
    pub fn start_openstack_machine_layer(&mut self, extra_args: &[&str]) -> Result<()> {
        self.start_cloud_machine_layer(
            CloudLayer {
                extension: ("provider-openstack", "gardener-extension-provider-openstack", Vec::new()),
                simulator: ("openstack-node-simulator", Vec::new()),
                machine_controller: vec!["--provider=openstack".into(), "--openstack-server-networks=none".into()],
            },
            extra_args,
        )
    }

    fn start_cloud_machine_layer(&mut self, layer: CloudLayer, extra_args: &[&str]) -> Result<()> {
        let (log_name, binary, args) = layer.extension;
        let (simulator, simulator_args) = layer.simulator;
        self.cloud_extension = Some((binary, args));
        self.start_cloud_extension(log_name)?;
        let mut cmd = Command::new(self.bin_dir.join(simulator));
        cmd.arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(simulator_args)
            .arg(format!("--state-dir={}", self.dir.join(simulator).display()))
            .arg("--heartbeat-interval=2");
        let child = self.spawn(simulator, cmd)?;
        self.cloud_layer.push((simulator, child));
        let mut args = layer.machine_controller;
        args.extend(MACHINE_CONTROLLER_TEST_ARGS.iter().map(|a| a.to_string()));
        args.extend(extra_args.iter().map(|a| a.to_string()));
        self.machine_controller_args = args;
        self.machine_controller_port = free_port();
        self.start_machine_controller()
    }

    fn start_cloud_extension(&mut self, log_name: &'static str) -> Result<()> {
        let Some((binary, args)) = self.cloud_extension.clone() else { bail!("no cloud machine layer was started") };
        let mut cmd = Command::new(self.bin_dir.join(binary));
        cmd.arg("--kubeconfig").arg(self.kubeconfig()).arg("--health-bind-address=127.0.0.1:0").args(args);
        let child = self.spawn(log_name, cmd)?;
        self.cloud_layer.insert(0, (log_name, child));
        Ok(())
    }

    /// Kills the cloud seed's provider extension with SIGKILL (a crash) and starts it again with the same flags.
    pub fn crash_restart_extension(&mut self) -> Result<()> {
        // The extension is always first in the layer.
        if self.cloud_layer.is_empty() {
            bail!("no cloud machine layer was started");
        }
        let (name, child) = self.cloud_layer.remove(0);
        self.stop_child(name, child, Duration::ZERO);
        self.start_cloud_extension(name)
    }

    /// (Re)starts machine-controller with the flags of [`TestGarden::start_machine_layer`].
    pub fn start_machine_controller(&mut self) -> Result<()> {
        let mut cmd = Command::new(self.bin_dir.join("machine-controller"));
        cmd.arg("--kubeconfig")
            .arg(self.kubeconfig())
            .arg(format!("--health-bind-address=127.0.0.1:{}", self.machine_controller_port))
            .args(&self.machine_controller_args);
        let child = self.spawn("machine-controller", cmd)?;
        self.machine_controller = Some(child);
        Ok(())
    }

    /// Kills machine-controller with SIGKILL (a crash).
    pub fn kill_machine_controller(&mut self) {
        if let Some(child) = self.machine_controller.take() {
            self.stop_child("machine-controller", child, Duration::ZERO);
        }
    }

    /// machine-controller's `/metrics` text (empty when it does not answer).
    pub fn machine_controller_metrics(&self) -> String {
        let url = format!("http://127.0.0.1:{}/metrics", self.machine_controller_port);
        let out = Command::new("curl").args(["-sf", "--max-time", "5", &url]).output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
    }

    /// The local seed's GardenletConfiguration (`hack/config/gardenlet-local.yaml`) with its `stateDir` inside this
    /// garden's directory, and that state directory.
    pub fn local_seed_config(&self) -> (String, PathBuf) {
        self.seed_config("local", "")
    }

    /// A local seed's GardenletConfiguration: `hack/config/gardenlet-local.yaml` renamed to `seed`, with its
    /// `stateDir` (returned too) inside this garden's directory and `extra_yaml` (top-level keys) appended.
    pub fn seed_config(&self, seed: &str, extra_yaml: &str) -> (String, PathBuf) {
        let base = fs::read_to_string(repo_path("hack/config/gardenlet-local.yaml"))
            .unwrap_or_else(|e| panic!("failed to read the local seed's gardenlet config: {e}"));
        let base = base.replacen("    name: local\n", &format!("    name: {seed}\n"), 1);
        let state_dir = self.dir.join(format!("seed-{seed}"));
        (format!("{base}\nstateDir: {}\n{extra_yaml}\n", state_dir.display()), state_dir)
    }

    /// An AWS seed's GardenletConfiguration (`hack/config/gardenlet-aws.yaml`, renamed to `seed`, its `stateDir`
    /// inside this garden's directory) and that state directory.
    pub fn aws_seed_config(&self, seed: &str) -> (String, PathBuf) {
        self.cloud_seed_config("aws", seed)
    }

    /// A cloud seed's GardenletConfiguration (`hack/config/gardenlet-<provider>.yaml`, renamed to `seed`, its
    /// `stateDir` inside this garden's directory) and that state directory.
    pub fn cloud_seed_config(&self, provider: &str, seed: &str) -> (String, PathBuf) {
        let base = fs::read_to_string(repo_path(&format!("hack/config/gardenlet-{provider}.yaml")))
            .unwrap_or_else(|e| panic!("failed to read the {provider} seed's gardenlet config: {e}"));
        let base = base.replacen(&format!("    name: {provider}\n"), &format!("    name: {seed}\n"), 1);
        let state_dir = self.dir.join(format!("seed-{seed}"));
        (format!("{base}\nstateDir: {}\n", state_dir.display()), state_dir)
    }

    /// The common shoot setup: the local seed's gardenlet, `examples/cloudprofile-local.yaml` and
    /// `examples/project-dev.yaml` applied, namespace `garden-dev` created. Returns the seed's state directory.
    pub fn start_local_seed_with_dev_project(&mut self) -> Result<PathBuf> {
        let (config, state_dir) = self.local_seed_config();
        self.start_gardenlet("local", &config)?;
        self.start_machine_layer(&state_dir, &[])?;
        self.apply_dev_project()?;
        Ok(state_dir)
    }

    /// Applies `examples/cloudprofile-local.yaml` and `examples/project-dev.yaml` and waits for namespace
    /// `garden-dev` (the project controller creates it).
    pub fn apply_dev_project(&self) -> Result<()> {
        let (profile, project) =
            (repo_path("examples/cloudprofile-local.yaml"), repo_path("examples/project-dev.yaml"));
        self.kubectl_ok(&["apply", "-f", &profile.display().to_string(), "-f", &project.display().to_string()]);
        if !eventually(Duration::from_secs(30), || self.kubectl(&["get", "namespace", "garden-dev"]).status.success()) {
            bail!("the project controller did not create namespace garden-dev");
        }
        Ok(())
    }

    /// Stops the gardenlet of `seed` (SIGTERM, then SIGKILL after 10 s). Returns how long it took to exit after
    /// SIGTERM (None when it was not running or had to be killed).
    pub fn stop_gardenlet(&mut self, seed: &str) -> Option<Duration> {
        let i = self.gardenlets.iter().position(|(s, _)| s == seed)?;
        let (name, child) = self.gardenlets.remove(i);
        self.stop_child(&format!("gardenlet-{name}"), child, Duration::from_secs(10))
    }

    /// Kills the gardenlet of `seed` with SIGKILL (a crash: no shutdown code runs).
    pub fn kill_gardenlet(&mut self, seed: &str) {
        if let Some(i) = self.gardenlets.iter().position(|(s, _)| s == seed) {
            let (name, child) = self.gardenlets.remove(i);
            self.stop_child(&format!("gardenlet-{name}"), child, Duration::ZERO);
        }
    }

    /// Stops garden-controller-manager (SIGTERM, then SIGKILL after 10 s). Returns how long it took to exit after
    /// SIGTERM (None when it was not running or had to be killed).
    pub fn stop_controller_manager(&mut self) -> Option<Duration> {
        let child = self.controller_manager.take()?;
        self.stop_child("controller-manager", child, Duration::from_secs(10))
    }

    /// Stops the local seed's machine layer (machine-controller and provider-local: SIGTERM, then SIGKILL after
    /// 10 s). Returns each component's name and how long it took to exit after SIGTERM (None: it had to be killed).
    pub fn stop_machine_layer(&mut self) -> Vec<(&'static str, Option<Duration>)> {
        let mut stopped = Vec::new();
        if let Some(child) = self.machine_controller.take() {
            stopped.push(("machine-controller", self.stop_child("machine-controller", child, Duration::from_secs(10))));
        }
        if let Some(child) = self.provider_local.take() {
            stopped.push(("provider-local", self.stop_child("provider-local", child, Duration::from_secs(10))));
        }
        stopped
    }

    /// Stops garden-apiserver with SIGTERM (SIGKILL after 10 s), starts it again on the same
    /// port with the same certificates and etcd, and waits until it is ready.
    pub fn restart_apiserver(&mut self) -> Result<()> {
        if let Some(child) = self.apiserver.take() {
            self.stop_child("apiserver", child, Duration::from_secs(10));
        }
        self.start_apiserver()
    }

    /// Kills garden-apiserver with SIGKILL (a crash), then starts it again and waits until ready.
    pub fn crash_restart_apiserver(&mut self) -> Result<()> {
        if let Some(child) = self.apiserver.take() {
            self.stop_child("apiserver", child, Duration::ZERO);
        }
        self.start_apiserver()
    }

    /// Kills the garden's etcd with SIGKILL (a crash: its data directory stays), then starts it again and waits
    /// until it is healthy.
    pub fn crash_restart_etcd(&mut self) -> Result<()> {
        if let Some(child) = self.etcd.take() {
            self.stop_child("etcd", child, Duration::ZERO);
        }
        self.start_etcd()
    }

    /// Kills garden-controller-manager with SIGKILL (a crash), then starts it again.
    pub fn crash_restart_controller_manager(&mut self) -> Result<()> {
        if let Some(child) = self.controller_manager.take() {
            self.stop_child("controller-manager", child, Duration::ZERO);
        }
        self.start_controller_manager()
    }

    /// PID of the running garden-apiserver.
    pub fn apiserver_pid(&self) -> Option<u32> {
        self.apiserver.as_ref().map(Child::id)
    }

    /// PID of the garden's etcd.
    pub fn etcd_pid(&self) -> Option<u32> {
        self.etcd.as_ref().map(Child::id)
    }

    /// Last `lines` lines of a component's log (`etcd`, `apiserver`, `controller-manager`).
    pub fn log_tail(&self, component: &str, lines: usize) -> String {
        tail(&self.log_path(component), lines)
    }

    fn start_etcd(&mut self) -> Result<()> {
        let client = self.etcd_endpoint();
        let peer = format!("http://127.0.0.1:{}", self.etcd_peer_port);
        let mut cmd = Command::new(&self.etcd_bin);
        cmd.arg("--name")
            .arg("e2e")
            .arg("--data-dir")
            .arg(self.dir.join("etcd"))
            .arg("--listen-client-urls")
            .arg(&client)
            .arg("--advertise-client-urls")
            .arg(&client)
            .arg("--listen-peer-urls")
            .arg(&peer)
            .arg("--initial-advertise-peer-urls")
            .arg(&peer)
            .arg("--initial-cluster")
            .arg(format!("e2e={peer}"))
            .arg("--initial-cluster-state")
            .arg("new")
            // A single member: a short election makes it ready in well under a second.
            .arg("--heartbeat-interval")
            .arg("50")
            .arg("--election-timeout")
            .arg("250")
            .arg("--log-level")
            .arg("warn");
        let child = self.spawn("etcd", cmd)?;
        self.etcd = Some(child);
        let port = self.etcd_client_port;
        self.wait_ready("etcd", Duration::from_secs(30), || etcd_healthy(port))
    }

    fn start_apiserver(&mut self) -> Result<()> {
        let mut cmd = Command::new(self.bin_dir.join("garden-apiserver"));
        cmd.arg("--etcd-servers")
            .arg(self.etcd_endpoint())
            .arg("--bind-address")
            .arg("127.0.0.1")
            .arg("--secure-port")
            .arg(self.apiserver_port.to_string())
            .arg("--cert-dir")
            .arg(self.cert_dir())
            .arg("--admin-kubeconfig")
            .arg(self.kubeconfig())
            .args(&self.apiserver_args)
            .env("RUST_BACKTRACE", "1");
        let child = self.spawn("apiserver", cmd)?;
        self.apiserver = Some(child);
        let url = self.server_url();
        let kubeconfig = self.kubeconfig();
        self.wait_ready("apiserver", Duration::from_secs(60), || kubeconfig.is_file() && readyz(&url))
    }

    /// Spawns `cmd` with stdout+stderr appended to `<dir>/<name>.log`, registered with the watchdog.
    fn spawn(&self, name: &str, mut cmd: Command) -> Result<Child> {
        let log_path = self.log_path(name);
        let mut log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("failed to open {}", log_path.display()))?;
        writeln!(log, "===== starting: {cmd:?}")?;
        let err = log.try_clone()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .with_context(|| format!("failed to start {name} ({:?})", cmd.get_program()))?;
        self.record_pid(child.id(), true);
        Ok(child)
    }

    /// Waits until `ready()` or the component exits or the (patient) timeout passes.
    fn wait_ready(&mut self, name: &str, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
        let start = Instant::now();
        let deadline = start + patient(timeout);
        loop {
            if ready() {
                eprintln!("[garden-e2e] {name} ready after {:?}", start.elapsed());
                return Ok(());
            }
            let child = match name {
                "etcd" => self.etcd.as_mut(),
                "apiserver" => self.apiserver.as_mut(),
                "aggregated-apiserver" => self.aggregated.as_mut(),
                _ => self.controller_manager.as_mut(),
            };
            if let Some(child) = child {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "{name} exited with {status} before it was ready; log {}:\n{}",
                        self.log_path(name).display(),
                        self.log_tail(name, 40)
                    );
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "{name} not ready after {:?}; log {}:\n{}",
                    patient(timeout),
                    self.log_path(name).display(),
                    self.log_tail(name, 40)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM (through `kill(1)`: this crate forbids unsafe code), then SIGKILL after `grace`.
    /// Stops a child: SIGTERM, up to `grace` for it to exit, then SIGKILL (at once when `grace` is zero).
    /// Returns how long it took to exit after SIGTERM, or None when it had to be killed.
    fn stop_child(&self, name: &str, mut child: Child, grace: Duration) -> Option<Duration> {
        let pid = child.id();
        let mut exited_after = None;
        if matches!(child.try_wait(), Ok(None)) && !grace.is_zero() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let start = Instant::now();
            while matches!(child.try_wait(), Ok(None)) && start.elapsed() < grace {
                std::thread::sleep(Duration::from_millis(50));
            }
            if !matches!(child.try_wait(), Ok(None)) {
                exited_after = Some(start.elapsed());
            }
        }
        if matches!(child.try_wait(), Ok(None)) {
            if !grace.is_zero() {
                eprintln!("[garden-e2e] {name} (pid {pid}) ignored SIGTERM for {grace:?}: SIGKILL");
            }
            let _ = child.kill();
        }
        let _ = child.wait();
        self.record_pid(pid, false);
        exited_after
    }

    /// A shell that SIGKILLs every process listed in `<dir>/pids` once this test process
    /// is gone, so that even a test binary killed without unwinding leaves no orphans.
    fn start_watchdog(&mut self) -> Result<()> {
        let pids = self.dir.join("pids");
        fs::write(&pids, "")?;
        let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done
for p in $(cat "$2" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done"#;
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("garden-e2e-watchdog")
            .arg(std::process::id().to_string())
            .arg(&pids)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("failed to start the watchdog shell")?;
        self.watchdog = Some(child);
        Ok(())
    }

    fn record_pid(&self, pid: u32, add: bool) {
        let path = self.dir.join("pids");
        let current = fs::read_to_string(&path).unwrap_or_default();
        let mut pids: Vec<&str> = current.split_whitespace().filter(|p| *p != pid.to_string()).collect();
        let pid_s = pid.to_string();
        if add {
            pids.push(&pid_s);
        }
        let _ = fs::write(&path, pids.join("\n"));
    }
}

impl Drop for TestGarden {
    fn drop(&mut self) {
        let failed = std::thread::panicking();
        if failed {
            eprintln!("[garden-e2e] test failed; garden directory kept: {}", self.dir.display());
            for name in [
                "etcd",
                "apiserver",
                "aggregated-apiserver",
                "controller-manager",
                "machine-controller",
                "provider-local",
                "provider-aws",
            ] {
                let path = self.log_path(name);
                if path.exists() {
                    eprintln!("----- last lines of {} -----\n{}", path.display(), tail(&path, 40));
                }
            }
        }
        // Clients first, etcd last, so the apiserver can shut down cleanly.
        for (name, child) in
            [("machine-controller", self.machine_controller.take()), ("provider-local", self.provider_local.take())]
        {
            if let Some(child) = child {
                self.stop_child(name, child, Duration::from_secs(5));
            }
        }
        for (name, child) in std::mem::take(&mut self.cloud_layer) {
            self.stop_child(name, child, Duration::from_secs(5));
        }
        for (seed, child) in std::mem::take(&mut self.gardenlets) {
            self.stop_child(&format!("gardenlet-{seed}"), child, Duration::from_secs(5));
        }
        if let Some(child) = self.controller_manager.take() {
            self.stop_child("controller-manager", child, Duration::from_secs(5));
        }
        if let Some(child) = self.aggregated.take() {
            self.stop_child("aggregated-apiserver", child, Duration::from_secs(5));
        }
        if let Some(child) = self.apiserver.take() {
            self.stop_child("apiserver", child, Duration::from_secs(5));
        }
        if let Some(child) = self.etcd.take() {
            self.stop_child("etcd", child, Duration::from_secs(5));
        }
        // Shoot control planes run detached from the gardenlet (so they survive its restarts): anything still
        // running from this garden's directory is ended here, so no test leaves processes behind.
        kill_processes_under(&self.dir);
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let keep =
            failed || self.keep_dir || std::env::var_os("GARDEN_E2E_KEEP").is_some_and(|v| !v.is_empty() && v != "0");
        if !keep {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The Secret `kube-system/bootstrap-token-<id>` of bootstrap token `<id>.<secret>` (kube's format), valid for
/// authentication until `expiration` (RFC 3339), with `auth-extra-groups` `extra_groups` (comma separated, may be
/// empty), as YAML for `kubectl apply -f -`.
pub fn bootstrap_token_secret(id: &str, secret: &str, expiration: &str, extra_groups: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bootstrap-token-{id}\n  namespace: kube-system\n\
         type: bootstrap.kubernetes.io/token\nstringData:\n  token-id: \"{id}\"\n  token-secret: \"{secret}\"\n  \
         expiration: \"{expiration}\"\n  usage-bootstrap-authentication: \"true\"\n  \
         auth-extra-groups: \"{extra_groups}\"\n"
    )
}

/// Live `local-node` agents the machine controller of [`TestGarden::start_machine_layer`] started for the seed
/// with state directory `state_dir` (found by their owner tag): (pid, machine name).
pub fn local_node_agents(state_dir: &Path) -> Vec<(u32, String)> {
    let owner = format!("--tag=owner={}", state_dir.join("machines").display());
    component_base::procfs::processes_with(&owner)
        .into_iter()
        .filter(|(_, args)| args.first().is_some_and(|a| a.ends_with("local-node")))
        .filter_map(|(pid, args)| {
            let name = args.iter().find_map(|a| a.strip_prefix("--tag=machine="))?.to_string();
            Some((pid, name))
        })
        .collect()
}

/// machine-controller flags for tests: short periods, so that health changes, retries and orphan collection
/// happen in seconds (the health and creation timeouts stay long unless a test shortens them).
/// How a cloud seed's machine layer is started: its extension (log name, binary, flags), its node simulator
/// (binary, flags) and machine-controller's provider flags.
struct CloudLayer {
    extension: (&'static str, &'static str, Vec<String>),
    simulator: (&'static str, Vec<String>),
    machine_controller: Vec<String>,
}

pub const MACHINE_CONTROLLER_TEST_ARGS: &[&str] = &[
    "--machine-resync-period=1s",
    "--machine-safety-orphan-vms-period=2s",
    "--retry-period=1s",
    "--node-monitor-grace-period=8s",
    "--local-node-heartbeat-interval=2s",
];

/// Returns stdout of a successful run; panics with the command, status and stderr otherwise.
fn expect_success(what: &str, args: &[&str], out: &Output) -> String {
    if !out.status.success() {
        panic!(
            "`{what} {}` failed ({}):\nstderr:\n{}\nstdout:\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `$GARDEN_BIN_DIR`, else `<target>/debug/` derived from the test executable's path.
fn find_bin_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os("GARDEN_BIN_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe().context("failed to find the test executable")?;
            // <target>/debug/deps/<test> -> <target>/debug
            let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
            if dir.ends_with("deps") {
                dir.pop();
            }
            dir
        }
    };
    let apiserver = dir.join("garden-apiserver");
    if !apiserver.is_file() {
        bail!(
            "{} not found: build the binaries first (`cargo build --workspace --bins`) \
             or point GARDEN_BIN_DIR at them",
            apiserver.display()
        );
    }
    Ok(dir)
}

fn tools_venv_bin() -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_else(|| OsString::from("/root"));
    PathBuf::from(home).join(".cache/garden-tools/venv/bin")
}

/// `$ENV_VAR`, else `name` on PATH, else the first existing fallback.
fn find_tool(env_var: &str, name: &str, fallbacks: &[PathBuf]) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    fallbacks.iter().find(|p| p.is_file()).cloned().ok_or_else(|| anyhow!("{name} not found on PATH"))
}

fn make_temp_dir() -> Result<PathBuf> {
    let base = std::env::var_os("GARDEN_E2E_TMPDIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    for attempt in 0..100u32 {
        let seq = GARDEN_SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("garden-e2e-{}-{seq}-{:08x}", std::process::id(), nanos.wrapping_add(attempt)));
        match fs::create_dir(&dir) {
            Ok(()) => {
                fs::create_dir(dir.join("certs"))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("failed to create {}", dir.display())),
        }
    }
    bail!("failed to create a temporary directory under {}", base.display())
}

/// `N` distinct free loopback ports (all held open at once while choosing them).
fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let listeners = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .context("failed to find free ports")?;
    let mut ports = [0u16; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}

/// A free loopback TCP port (for tests that start more servers of their own).
/// A path in the repository (the workspace root is the parent of this crate).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// SIGKILL every process whose command line mentions `dir` (not this test process).
fn kill_processes_under(dir: &Path) {
    let needle = dir.display().to_string();
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else { return };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else { continue };
        if String::from_utf8_lossy(&cmdline).contains(&needle) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

pub fn free_port() -> u16 {
    free_ports::<1>().expect("a free port")[0]
}

/// etcd's `/health` over plain HTTP, without a client library.
fn etcd_healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /health HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.") && response.contains("\"health\":\"true\"")
}

/// `GET <url>/readyz` (unauthenticated, certificate not checked) answers 200 `ok`.
fn readyz(url: &str) -> bool {
    Command::new("curl")
        .args(["-sk", "--max-time", "2", "-o", "-", "-w", "\n%{http_code}"])
        .arg(format!("{url}/readyz"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|out| {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut lines = text.trim_end().rsplitn(2, '\n');
            let code = lines.next().unwrap_or_default();
            let body = lines.next().unwrap_or_default();
            code == "200" && body.trim() == "ok"
        })
        .unwrap_or(false)
}

/// Last `lines` lines of a file (empty if unreadable).
fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eventually_returns_true_once_the_condition_holds() {
        let mut calls = 0;
        assert!(eventually(Duration::from_secs(5), || {
            calls += 1;
            calls >= 3
        }));
        assert_eq!(calls, 3);
    }

    #[test]
    fn eventually_gives_up_after_the_timeout() {
        let start = Instant::now();
        assert!(!eventually(Duration::from_millis(100), || false));
        assert!(start.elapsed() >= Duration::from_millis(100));
    }

    #[test]
    fn free_ports_are_distinct() {
        let [a, b, c] = free_ports::<3>().unwrap();
        assert!(a != b && b != c && a != c);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = make_temp_dir().unwrap();
        let path = dir.join("log");
        fs::write(&path, "1\n2\n3\n4\n").unwrap();
        assert_eq!(tail(&path, 2), "3\n4");
        assert_eq!(tail(&path, 10), "1\n2\n3\n4");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn etcd_health_is_false_when_nothing_listens() {
        assert!(!etcd_healthy(free_port()));
    }
}
