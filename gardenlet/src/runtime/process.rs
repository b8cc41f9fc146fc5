//! The `process` runtime: each shoot control plane is a real `etcd` and our own `garden-apiserver`
//! (`--api-profile shoot`), run as local processes on loopback.
//!
//! Per shoot, `<state_dir>/<technical_id>/` holds
//! - `etcd/`: etcd's data directory (kept by [`ControlPlaneRuntime::stop`], i.e. hibernation);
//! - `certs/`: the material the processes need, written 0600 from the spec's secrets (`ca.crt`,
//!   `client-ca.crt`, `apiserver.crt`/`.key`, `sa.key`, and the etcd certificates `etcd-ca.crt`,
//!   `etcd-server.crt`/`.key`, `etcd-client.crt`/`.key`); the CA keys are not written there;
//! - `pki/`: the control plane's copy of what cannot be derived (the three CAs with their keys and the
//!   service-account key, 0600 in a 0700 directory that no process reads): when their Secrets are deleted in
//!   the seed, the gardenlet restores them from here ([`ControlPlaneRuntime::kept_roots`]);
//! - `ports.json`: etcd's client and peer port and the API server's port, chosen free once and
//!   reused by every restart (so URLs stay stable);
//! - `etcd.pid`, `apiserver.pid`, `etcd.log`, `apiserver.log`;
//! - with backups (see [`super::backup_sidecar`]): `backup/` (store config, credentials, schedule) and the
//!   `etcd-backup` snapshotter as a third process (`backup.pid`, `backup.log`). Before etcd starts, its data
//!   directory is checked against the backups and restored from them when it is missing, corrupt or stale.
//!
//! etcd serves plain HTTP on 127.0.0.1: the etcd TLS material exists for the kubernetes runtime,
//! the local process runtime keeps etcd on loopback without TLS. Its short election timeout makes
//! a single member start in well under a second.
//!
//! Processes run detached in their own process group with output to their log files, so they
//! outlive a gardenlet crash. A restarted gardenlet adopts them: a component whose PID file names a
//! live process whose command line contains this control plane's directory is reused, never started
//! twice. While a control plane is wanted (from [`ControlPlaneRuntime::ensure`] until
//! [`ControlPlaneRuntime::stop`]) a supervisor task restarts a dead component with exponential
//! backoff (1 s doubling to 10 s).
//!
//! The readiness probe is an HTTPS `GET /readyz` over tokio-rustls that trusts the cluster CA in
//! `certs/ca.crt` (the host name is not checked: the serving certificate's SANs are the shoot's
//! public names, the probe dials 127.0.0.1).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use component_base::procfs::{cmdline_matches, processes_with, signal};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::backup_sidecar::{self, BackupFiles, Schedule};
use super::{BackupStatus, ControlPlaneRuntime, ControlPlaneSpec, ControlPlaneStatus};
use crate::error::Error;
use crate::shoot::secrets::{CertPair, Roots};

/// How long [`ControlPlaneRuntime::stop`] waits after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Longest wait between restarts of a crashing component.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How often the supervisor checks its processes.
const SUPERVISE_INTERVAL: Duration = Duration::from_secs(1);
/// A component alive this long has its restart backoff reset.
const STABLE_AFTER: Duration = Duration::from_secs(30);

/// Runs shoot control planes as local processes. See the module docs.
pub struct ProcessRuntime {
    state_dir: PathBuf,
    etcd_bin: PathBuf,
    apiserver_bin: PathBuf,
    backup_bin: PathBuf,
    api_profile: Option<String>,
    supervisors: Mutex<HashMap<String, JoinHandle<()>>>,
}

/// The ports of one control plane, persisted in `ports.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ports {
    /// etcd client port.
    pub etcd_client: u16,
    /// etcd peer port.
    pub etcd_peer: u16,
    /// API server secure port.
    pub apiserver: u16,
    /// HTTP port of the backup snapshotter (0 in files written before backups existed: chosen on start).
    #[serde(default)]
    pub backup: u16,
}

/// A process of a control plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// etcd.
    Etcd,
    /// The shoot API server.
    ApiServer,
    /// The etcd backup snapshotter (only with backups).
    Backup,
}

impl Component {
    /// All, in start order.
    pub const ALL: [Component; 3] = [Component::Etcd, Component::ApiServer, Component::Backup];

    /// Short name (PID and log file stem).
    pub fn name(self) -> &'static str {
        match self {
            Component::Etcd => "etcd",
            Component::ApiServer => "apiserver",
            Component::Backup => "backup",
        }
    }
}

/// The files of one control plane.
#[derive(Clone, Debug)]
struct Plane {
    technical_id: String,
    dir: PathBuf,
}

impl Plane {
    fn certs(&self) -> PathBuf {
        self.dir.join("certs")
    }
    fn cert(&self, name: &str) -> PathBuf {
        self.certs().join(name)
    }
    /// The fingerprint of what `c` was started with ([`Launcher::inputs`]).
    fn inputs_file(&self, c: Component) -> PathBuf {
        self.dir.join(format!("{}.inputs", c.name()))
    }
    fn pid_file(&self, c: Component) -> PathBuf {
        self.dir.join(format!("{}.pid", c.name()))
    }
    fn log_file(&self, c: Component) -> PathBuf {
        self.dir.join(format!("{}.log", c.name()))
    }
    fn ports_file(&self) -> PathBuf {
        self.dir.join("ports.json")
    }
    fn pki(&self) -> PathBuf {
        self.dir.join("pki")
    }
    fn backup(&self) -> BackupFiles {
        BackupFiles::new(&self.dir)
    }
    /// The components this plane runs (the snapshotter only with backups).
    fn components(&self) -> Vec<Component> {
        let backup = self.backup().configured();
        Component::ALL.into_iter().filter(|c| *c != Component::Backup || backup).collect()
    }
    /// What every process of this plane has in its command line.
    fn marker(&self) -> String {
        format!("{}/", self.dir.display())
    }
    fn io_err(&self, what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error + '_ {
        let what = what.into();
        move |source| Error::RuntimeIo { technical_id: self.technical_id.clone(), what, source }
    }
    fn status(&self, ports: Option<Ports>) -> ControlPlaneStatus {
        match ports {
            Some(p) => ControlPlaneStatus {
                api_server_url: format!("https://127.0.0.1:{}", p.apiserver),
                etcd_url: format!("http://127.0.0.1:{}", p.etcd_client),
                ..Default::default()
            },
            None => ControlPlaneStatus::default(),
        }
    }
}

/// Rejects ids that are not a single plain path component.
fn validate_id(technical_id: &str) -> Result<(), Error> {
    let ok = !technical_id.is_empty()
        && technical_id != "."
        && technical_id != ".."
        && technical_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if ok {
        Ok(())
    } else {
        Err(Error::Runtime { technical_id: technical_id.to_string(), reason: "invalid technical id".into() })
    }
}

/// Parses a PID file's contents.
pub fn parse_pid(contents: &str) -> Option<u32> {
    contents.trim().parse::<u32>().ok().filter(|p| *p > 1)
}

/// The PID of `c` if its PID file names a live process of this plane.
fn running_pid(plane: &Plane, c: Component) -> Option<u32> {
    let pid = parse_pid(&std::fs::read_to_string(plane.pid_file(c)).ok()?)?;
    pid_matches(pid, &plane.marker()).then_some(pid)
}

fn pid_matches(pid: u32, marker: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| cmdline_matches(&c, marker))
}

/// The flag and value only `c` of `plane` carries in its command line.
fn identity(plane: &Plane, c: Component) -> [String; 2] {
    let (flag, path) = match c {
        Component::Etcd => ("--data-dir", plane.dir.join("etcd")),
        Component::ApiServer => ("--cert-dir", plane.certs()),
        Component::Backup => ("--store-config", plane.backup().store_config()),
    };
    [flag.to_string(), path.display().to_string()]
}

/// A live process of `c` that has no PID file naming it, found in `/proc` (a gardenlet killed between
/// starting a process and writing its PID file leaves one behind that only this scan finds); its PID
/// file is rewritten so it is adopted like any other.
fn adopt_unrecorded(plane: &Plane, c: Component) -> Option<u32> {
    let id = identity(plane, c);
    let (pid, _) = processes_with(&plane.marker()).into_iter().find(|(_, args)| args.windows(2).any(|w| w == id))?;
    write_private(&plane.pid_file(c), &format!("{pid}\n")).ok()?;
    warn!(technical_id = %plane.technical_id, component = c.name(), pid, "adopted a process its PID file did not name");
    Some(pid)
}

/// Loads `ports.json`, or chooses three free loopback ports and persists them.
pub fn load_or_choose_ports(path: &Path) -> std::io::Result<Ports> {
    match std::fs::read(path) {
        Ok(b) => {
            return serde_json::from_slice(&b).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // Hold all listeners at once so the ports differ.
    let listeners: Vec<std::net::TcpListener> =
        (0..4).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>()?;
    let port = |i: usize| listeners[i].local_addr().map(|a| a.port());
    let ports = Ports { etcd_client: port(0)?, etcd_peer: port(1)?, apiserver: port(2)?, backup: port(3)? };
    drop(listeners);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(&ports).map_err(std::io::Error::other)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(ports)
}

fn read_ports(path: &Path) -> Option<Ports> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Writes a file only its owner can read (atomically).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    component_base::files::write_private(path, contents)
}

/// The wait after the `failures`th consecutive failure: 1 s doubling up to [`MAX_BACKOFF`].
pub fn restart_backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(10)).min(MAX_BACKOFF)
}

impl ProcessRuntime {
    /// A runtime keeping its control planes under `state_dir`, running `etcd_bin` and
    /// `apiserver_bin` (started with `--api-profile shoot`).
    pub fn new(state_dir: impl Into<PathBuf>, etcd_bin: impl Into<PathBuf>, apiserver_bin: impl Into<PathBuf>) -> Self {
        ProcessRuntime {
            state_dir: state_dir.into(),
            etcd_bin: etcd_bin.into(),
            apiserver_bin: apiserver_bin.into(),
            backup_bin: PathBuf::from("etcd-backup"),
            api_profile: Some("shoot".into()),
            supervisors: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the `etcd-backup` binary the snapshotters run.
    pub fn with_backup_binary(mut self, bin: impl Into<PathBuf>) -> Self {
        self.backup_bin = bin.into();
        self
    }

    /// Sets the API server's `--api-profile` (None: the flag is not passed).
    #[allow(dead_code)] // lets tests and other seeds choose the API server profile
    pub fn with_api_profile(mut self, profile: Option<String>) -> Self {
        self.api_profile = profile;
        self
    }

    fn plane(&self, technical_id: &str) -> Result<Plane, Error> {
        validate_id(technical_id)?;
        Ok(Plane { technical_id: technical_id.to_string(), dir: self.state_dir.join(technical_id) })
    }

    fn launcher(&self, plane: &Plane, ports: Ports) -> Launcher {
        Launcher {
            plane: plane.clone(),
            ports: Mutex::new(ports),
            etcd_bin: self.etcd_bin.clone(),
            apiserver_bin: self.apiserver_bin.clone(),
            backup_bin: self.backup_bin.clone(),
            api_profile: self.api_profile.clone(),
        }
    }

    /// Ends the supervisor of `technical_id` and waits until it is gone (so it cannot start a
    /// process after this returns).
    async fn stop_supervisor(&self, technical_id: &str) {
        let handle = self.supervisors.lock().unwrap_or_else(|e| e.into_inner()).remove(technical_id);
        if let Some(h) = handle {
            h.abort();
            let _ = h.await;
        }
    }

    async fn ensure_impl(&self, spec: ControlPlaneSpec) -> Result<ControlPlaneStatus, Error> {
        let plane = self.plane(&spec.technical_id)?;
        for d in [plane.dir.clone(), plane.dir.join("etcd"), plane.certs(), plane.pki()] {
            std::fs::create_dir_all(&d).map_err(plane.io_err(format!("create {}", d.display())))?;
        }
        {
            use std::os::unix::fs::PermissionsExt;
            let perm = std::fs::Permissions::from_mode(0o700);
            for d in [plane.dir.join("etcd"), plane.certs(), plane.pki()] {
                std::fs::set_permissions(&d, perm.clone()).map_err(plane.io_err("restrict permissions"))?;
            }
        }
        let s = &spec.secrets;
        let files = [
            ("ca.crt", &s.ca_cert),
            ("client-ca.crt", &s.client_ca_cert),
            ("apiserver.crt", &s.server_cert),
            ("apiserver.key", &s.server_key),
            ("sa.key", &s.service_account_key),
            ("etcd-ca.crt", &s.etcd_ca_cert),
            ("etcd-server.crt", &s.etcd_server_cert),
            ("etcd-server.key", &s.etcd_server_key),
            ("etcd-client.crt", &s.etcd_client_cert),
            ("etcd-client.key", &s.etcd_client_key),
        ];
        for (name, contents) in files {
            let path = plane.cert(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
                write_private(&path, contents).map_err(plane.io_err(format!("write {name}")))?;
            }
        }
        for (name, contents) in roots_files(&s.roots()) {
            let path = plane.pki().join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
                write_private(&path, &contents).map_err(plane.io_err(format!("write pki/{name}")))?;
            }
        }
        let ports = load_or_choose_ports(&plane.ports_file()).map_err(plane.io_err("persist ports"))?;
        let launcher = Arc::new(self.launcher(&plane, ports));
        let files = plane.backup();
        let backup_changed = match &spec.backup {
            Some(b) => files.write(b, write_private).map_err(plane.io_err("write backup configuration"))?,
            None => {
                let had = files.configured();
                files.remove().map_err(plane.io_err("remove backup configuration"))?;
                had
            }
        };

        // A component started with other certificates or flags than it needs now is restarted with the new ones.
        for c in [Component::Etcd, Component::ApiServer] {
            launcher.stop_if_inputs_changed(c).await;
        }
        launcher.start_etcd().await?;
        wait_for_port(launcher.ports().etcd_client, Duration::from_secs(10)).await;
        // A destroy that ran while etcd started (and maybe restored) wins: start nothing more.
        if !plane.dir.join("certs").exists() {
            return Err(Error::Runtime {
                technical_id: plane.technical_id.clone(),
                reason: "destroyed while starting".into(),
            });
        }
        launcher.ensure_running(Component::ApiServer)?;
        if backup_changed {
            // A snapshotter running with an old configuration is replaced.
            if let Some(pid) = running_pid(&plane, Component::Backup) {
                terminate(pid, &plane.marker()).await;
            }
        }
        if spec.backup.is_some() {
            launcher.ensure_running(Component::Backup)?;
        }
        let ports = launcher.ports();

        {
            let mut sup = self.supervisors.lock().unwrap_or_else(|e| e.into_inner());
            let alive = sup.get(&spec.technical_id).is_some_and(|h| !h.is_finished());
            if !alive {
                sup.insert(spec.technical_id.clone(), tokio::spawn(supervise(launcher.clone())));
            }
        }
        info!(
            technical_id = %spec.technical_id,
            kubernetes_version = %spec.kubernetes_version,
            etcd_port = ports.etcd_client,
            apiserver_port = ports.apiserver,
            "control plane processes running"
        );
        let mut status = plane.status(Some(ports));
        status.running = plane.components().iter().all(|c| running_pid(&plane, *c).is_some());
        if status.running {
            status.set_readiness(readyz(&plane.cert("ca.crt"), ports.apiserver).await);
        }
        Ok(status)
    }

    async fn final_snapshot_impl(&self, technical_id: String) -> Result<String, Error> {
        let plane = self.plane(&technical_id)?;
        let fail = |reason: String| Error::Runtime { technical_id: technical_id.clone(), reason };
        let ports = read_ports(&plane.ports_file()).ok_or_else(|| fail("the control plane has no ports".into()))?;
        if running_pid(&plane, Component::Backup).is_none() {
            return Err(fail("no backup snapshotter runs for this control plane".into()));
        }
        wait_for_port(ports.backup, Duration::from_secs(10)).await;
        backup_sidecar::request_full("127.0.0.1", ports.backup)
            .await
            .map_err(|e| fail(format!("final full snapshot: {e}")))
    }

    async fn backup_status_impl(&self, technical_id: String) -> Result<Option<BackupStatus>, Error> {
        let plane = self.plane(&technical_id)?;
        let Some(ports) = read_ports(&plane.ports_file()) else { return Ok(None) };
        if !plane.backup().configured() || running_pid(&plane, Component::Backup).is_none() {
            return Ok(None);
        }
        match backup_sidecar::status("127.0.0.1", ports.backup).await {
            Ok(s) => Ok(Some(s)),
            Err(e) => Ok(Some(BackupStatus { last_error: Some(e.clone()), failing: Some(e), ..Default::default() })),
        }
    }

    async fn kept_roots_impl(&self, technical_id: String) -> Result<Option<Roots>, Error> {
        let plane = self.plane(&technical_id)?;
        let read = |name: &str| std::fs::read_to_string(plane.pki().join(name)).ok();
        let pair =
            |base: &str| Some(CertPair { cert: read(&format!("{base}.crt"))?, key: read(&format!("{base}.key"))? });
        Ok((|| {
            Some(Roots {
                ca: pair("ca")?,
                client_ca: pair("client-ca")?,
                etcd_ca: pair("etcd-ca")?,
                service_account_key: read("sa.key")?,
            })
        })())
    }

    async fn probe_impl(&self, technical_id: String) -> Result<ControlPlaneStatus, Error> {
        let plane = self.plane(&technical_id)?;
        let ports = read_ports(&plane.ports_file());
        let mut status = plane.status(ports);
        status.running = ports.is_some() && plane.components().iter().all(|c| running_pid(&plane, *c).is_some());
        if let (true, Some(p)) = (status.running, ports) {
            status.set_readiness(readyz(&plane.cert("ca.crt"), p.apiserver).await);
        }
        Ok(status)
    }

    async fn stop_impl(&self, technical_id: String) -> Result<(), Error> {
        let plane = self.plane(&technical_id)?;
        self.stop_supervisor(&technical_id).await;
        for c in [Component::Backup, Component::ApiServer, Component::Etcd] {
            if let Some(pid) = running_pid(&plane, c) {
                info!(technical_id = %technical_id, component = c.name(), pid, "stopping");
                terminate(pid, &plane.marker()).await;
            }
            match std::fs::remove_file(plane.pid_file(c)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(plane.io_err("remove PID file")(e)),
            }
        }
        // Whatever of this plane still runs had no PID file (or is a restore's helper): it goes too.
        for (pid, args) in processes_with(&plane.marker()) {
            warn!(technical_id = %technical_id, pid, program = %args[0], "stopping an unrecorded process");
            terminate(pid, &plane.marker()).await;
        }
        Ok(())
    }

    async fn destroy_impl(&self, technical_id: String) -> Result<(), Error> {
        self.stop_impl(technical_id.clone()).await?;
        let plane = self.plane(&technical_id)?;
        match std::fs::remove_dir_all(&plane.dir) {
            Ok(()) => {
                info!(technical_id = %technical_id, "control plane destroyed");
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(plane.io_err("remove state directory")(e)),
        }
    }
}

impl Drop for ProcessRuntime {
    /// Supervisors end with the runtime; the processes keep running (to be adopted later).
    fn drop(&mut self) {
        for (_, h) in self.supervisors.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            h.abort();
        }
    }
}

impl ControlPlaneRuntime for ProcessRuntime {
    fn ensure(&self, spec: &ControlPlaneSpec) -> BoxFuture<'_, Result<ControlPlaneStatus, Error>> {
        Box::pin(self.ensure_impl(spec.clone()))
    }
    fn probe(&self, technical_id: &str) -> BoxFuture<'_, Result<ControlPlaneStatus, Error>> {
        Box::pin(self.probe_impl(technical_id.to_string()))
    }
    fn stop(&self, technical_id: &str) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.stop_impl(technical_id.to_string()))
    }
    fn destroy(&self, technical_id: &str) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.destroy_impl(technical_id.to_string()))
    }
    fn final_snapshot(&self, technical_id: &str) -> BoxFuture<'_, Result<String, Error>> {
        Box::pin(self.final_snapshot_impl(technical_id.to_string()))
    }
    fn backup_status(&self, technical_id: &str) -> BoxFuture<'_, Result<Option<BackupStatus>, Error>> {
        Box::pin(self.backup_status_impl(technical_id.to_string()))
    }
    fn kept_roots(&self, technical_id: &str) -> BoxFuture<'_, Result<Option<Roots>, Error>> {
        Box::pin(self.kept_roots_impl(technical_id.to_string()))
    }
}

/// The files of `pki/`.
fn roots_files(r: &Roots) -> [(&'static str, String); 7] {
    [
        ("ca.crt", r.ca.cert.clone()),
        ("ca.key", r.ca.key.clone()),
        ("client-ca.crt", r.client_ca.cert.clone()),
        ("client-ca.key", r.client_ca.key.clone()),
        ("etcd-ca.crt", r.etcd_ca.cert.clone()),
        ("etcd-ca.key", r.etcd_ca.key.clone()),
        ("sa.key", r.service_account_key.clone()),
    ]
}

/// Starts the processes of one plane. Shared by `ensure` and the supervisor; a per-plane lock (the
/// process-wide map below) keeps them from starting the same component twice.
struct Launcher {
    plane: Plane,
    /// Current ports; a port found taken when its process (re)starts is replaced and persisted.
    ports: Mutex<Ports>,
    etcd_bin: PathBuf,
    apiserver_bin: PathBuf,
    backup_bin: PathBuf,
    api_profile: Option<String>,
}

/// Whether nothing listens on `127.0.0.1:port` right now.
fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Serialises etcd starts (with their restores, which take a while) per state directory.
fn etcd_start_lock(dir: &Path) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: Mutex<Option<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = Mutex::new(None);
    let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    locks.get_or_insert_with(HashMap::new).entry(dir.to_path_buf()).or_default().clone()
}

/// Serialises starts per state directory within this gardenlet process.
fn start_lock(dir: &Path) -> Arc<Mutex<()>> {
    static LOCKS: Mutex<Option<HashMap<PathBuf, Arc<Mutex<()>>>>> = Mutex::new(None);
    let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    locks.get_or_insert_with(HashMap::new).entry(dir.to_path_buf()).or_default().clone()
}

impl Launcher {
    /// The command line of `c`.
    fn ports(&self) -> Ports {
        *self.ports.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Before starting `c`: if another program took its port since it was chosen (ports are chosen before the
    /// processes bind them), pick a free one and persist it. A new etcd port also restarts the API server,
    /// which must point at it.
    fn reclaim_ports(&self, c: Component) -> Result<(), Error> {
        let plane = &self.plane;
        let mut ports = self.ports();
        let changed = match c {
            Component::Etcd if !port_free(ports.etcd_client) || !port_free(ports.etcd_peer) => {
                ports.etcd_client = free_port().map_err(plane.io_err("choose a port"))?;
                ports.etcd_peer = free_port().map_err(plane.io_err("choose a port"))?;
                if let Some(pid) = running_pid(plane, Component::ApiServer) {
                    signal("TERM", pid);
                }
                true
            }
            Component::ApiServer if !port_free(ports.apiserver) => {
                ports.apiserver = free_port().map_err(plane.io_err("choose a port"))?;
                true
            }
            Component::Backup if ports.backup == 0 || !port_free(ports.backup) => {
                ports.backup = free_port().map_err(plane.io_err("choose a port"))?;
                true
            }
            _ => false,
        };
        if changed {
            warn!(technical_id = %plane.technical_id, component = c.name(), ?ports, "port taken by another program; moved");
            let json = serde_json::to_string(&ports).map_err(|e| Error::Runtime {
                technical_id: plane.technical_id.clone(),
                reason: format!("encode ports: {e}"),
            })?;
            write_private(&plane.ports_file(), &json).map_err(plane.io_err("persist ports"))?;
            *self.ports.lock().unwrap_or_else(|e| e.into_inner()) = ports;
        }
        Ok(())
    }

    fn args(&self, c: Component) -> (PathBuf, Vec<String>) {
        let dir = &self.plane.dir;
        let p = self.ports();
        let d = |rel: &str| dir.join(rel).display().to_string();
        match c {
            Component::Etcd => {
                let client = format!("http://127.0.0.1:{}", p.etcd_client);
                let peer = format!("http://127.0.0.1:{}", p.etcd_peer);
                let args = vec![
                    "--name".into(),
                    "etcd-main".into(),
                    "--data-dir".into(),
                    d("etcd"),
                    "--listen-client-urls".into(),
                    client.clone(),
                    "--advertise-client-urls".into(),
                    client,
                    "--listen-peer-urls".into(),
                    peer.clone(),
                    "--initial-advertise-peer-urls".into(),
                    peer.clone(),
                    "--initial-cluster".into(),
                    format!("etcd-main={peer}"),
                    "--heartbeat-interval".into(),
                    "100".into(),
                    "--election-timeout".into(),
                    "500".into(),
                ];
                (self.etcd_bin.clone(), args)
            }
            Component::ApiServer => {
                let mut args = Vec::new();
                if let Some(profile) = &self.api_profile {
                    args.extend(["--api-profile".to_string(), profile.clone()]);
                }
                args.extend([
                    "--etcd-servers".into(),
                    format!("http://127.0.0.1:{}", p.etcd_client),
                    "--secure-port".into(),
                    p.apiserver.to_string(),
                    "--bind-address".into(),
                    "127.0.0.1".into(),
                    "--tls-cert-file".into(),
                    d("certs/apiserver.crt"),
                    "--tls-private-key-file".into(),
                    d("certs/apiserver.key"),
                    "--client-ca-file".into(),
                    d("certs/client-ca.crt"),
                    "--cert-dir".into(),
                    d("certs"),
                    "--etcd-compaction-interval".into(),
                    "300".into(),
                ]);
                (self.apiserver_bin.clone(), args)
            }
            Component::Backup => {
                let files = self.plane.backup();
                let schedule = files.load().map(|(_, s)| s).unwrap_or(Schedule {
                    full_snapshot_schedule: "0 */1 * * *".into(),
                    delta_snapshot_period_seconds: 10,
                });
                let etcd = format!("http://127.0.0.1:{}", p.etcd_client);
                (self.backup_bin.clone(), files.args(&etcd, p.backup, &schedule))
            }
        }
    }

    /// Starts etcd unless it runs; with backups, its data directory is first validated and, when missing,
    /// corrupt or stale while backups exist, restored from them.
    async fn start_etcd(&self) -> Result<u32, Error> {
        let lock = etcd_start_lock(&self.plane.dir);
        let _guard = lock.lock().await;
        if let Some(pid) =
            running_pid(&self.plane, Component::Etcd).or_else(|| adopt_unrecorded(&self.plane, Component::Etcd))
        {
            return Ok(pid);
        }
        if let Some((store, _)) = self.plane.backup().load() {
            self.reclaim_ports(Component::Etcd)?;
            let peer = format!("http://127.0.0.1:{}", self.ports().etcd_peer);
            let data_dir = self.plane.dir.join("etcd");
            let outcome = backup_sidecar::prepare_data_dir(&store, &data_dir, &self.etcd_bin, &peer)
                .await
                .map_err(|reason| Error::Runtime { technical_id: self.plane.technical_id.clone(), reason })?;
            info!(technical_id = %self.plane.technical_id, %outcome, "etcd data directory checked against the backups");
        }
        self.ensure_running(Component::Etcd)
    }

    /// A fingerprint (SHA-256, hex) of what `c` runs with: its binary, its flags and the files it reads
    /// (the API server: everything in `certs/`). Recorded at start in `<component>.inputs`.
    fn inputs(&self, c: Component) -> String {
        use sha2::{Digest, Sha256};
        let (bin, args) = self.args(c);
        let mut h = Sha256::new();
        h.update(bin.as_os_str().as_encoded_bytes());
        for a in &args {
            h.update([0]);
            h.update(a.as_bytes());
        }
        if c == Component::ApiServer {
            let mut files: Vec<PathBuf> =
                std::fs::read_dir(self.plane.certs()).into_iter().flatten().flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                h.update([1]);
                h.update(f.as_os_str().as_encoded_bytes());
                h.update(std::fs::read(&f).unwrap_or_default());
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Stops `c` when it runs with other inputs than it would be started with now (or with unrecorded ones),
    /// so that the next start uses the new certificates and flags.
    async fn stop_if_inputs_changed(&self, c: Component) {
        let plane = &self.plane;
        let Some(pid) = running_pid(plane, c) else { return };
        let recorded = std::fs::read_to_string(plane.inputs_file(c)).unwrap_or_default();
        if recorded == self.inputs(c) {
            return;
        }
        info!(technical_id = %plane.technical_id, component = c.name(), pid, "certificates or flags changed, restarting");
        // The supervisor or the next ensure starts it again; the PID file names a dead process meanwhile.
        terminate(pid, &plane.marker()).await;
    }

    /// Starts `c` unless a live process of it exists (adoption). Returns its PID.
    fn ensure_running(&self, c: Component) -> Result<u32, Error> {
        let lock = start_lock(&self.plane.dir);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pid) = running_pid(&self.plane, c).or_else(|| adopt_unrecorded(&self.plane, c)) {
            debug!(technical_id = %self.plane.technical_id, component = c.name(), pid, "adopted running process");
            return Ok(pid);
        }
        let plane = &self.plane;
        self.reclaim_ports(c)?;
        let (bin, args) = self.args(c);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(plane.log_file(c))
            .map_err(plane.io_err(format!("open {}.log", c.name())))?;
        let log2 = log.try_clone().map_err(plane.io_err("open log"))?;
        let mut child = tokio::process::Command::new(&bin)
            .args(&args)
            // mimalloc (the API server's allocator) otherwise commits whole arenas up front: measured 50 MiB
            // idle RSS per shoot API server with the defaults, 22 MiB with lazy commit and immediate purge.
            .env("MIMALLOC_ARENA_EAGER_COMMIT", "0")
            .env("MIMALLOC_PURGE_DELAY", "0")
            .current_dir(&plane.dir)
            .stdin(std::process::Stdio::null())
            .stdout(log)
            .stderr(log2)
            .process_group(0)
            .kill_on_drop(false)
            .spawn()
            .map_err(plane.io_err(format!("start {}", bin.display())))?;
        let pid = child.id().ok_or_else(|| Error::Runtime {
            technical_id: plane.technical_id.clone(),
            reason: format!("{} exited at once", c.name()),
        })?;
        write_private(&plane.pid_file(c), &format!("{pid}\n")).map_err(plane.io_err("write PID file"))?;
        write_private(&plane.inputs_file(c), &self.inputs(c)).map_err(plane.io_err("write inputs file"))?;
        // Reap it when it exits (the supervisor notices through /proc).
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        info!(technical_id = %plane.technical_id, component = c.name(), pid, "started");
        Ok(pid)
    }
}

/// Restarts dead components of `launcher`'s plane until aborted.
async fn supervise(launcher: Arc<Launcher>) {
    let mut failures = [0u32; 3];
    let mut alive_since = [tokio::time::Instant::now(); 3];
    loop {
        tokio::time::sleep(SUPERVISE_INTERVAL).await;
        let wanted = launcher.plane.components();
        for (i, c) in Component::ALL.into_iter().enumerate() {
            if !wanted.contains(&c) {
                continue;
            }
            if running_pid(&launcher.plane, c).is_some() {
                if alive_since[i].elapsed() >= STABLE_AFTER {
                    failures[i] = 0;
                }
                continue;
            }
            failures[i] += 1;
            let wait = restart_backoff(failures[i]);
            warn!(
                technical_id = %launcher.plane.technical_id,
                component = c.name(),
                restart_in = ?wait,
                "process is not running, restarting"
            );
            tokio::time::sleep(wait).await;
            let started = match c {
                Component::Etcd => launcher.start_etcd().await,
                _ => launcher.ensure_running(c),
            };
            if let Err(err) = started {
                warn!(technical_id = %launcher.plane.technical_id, error = %err, "restart failed");
            }
            alive_since[i] = tokio::time::Instant::now();
        }
    }
}

/// Waits until something accepts connections on `127.0.0.1:port`, at most `timeout`.
async fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM, up to [`STOP_GRACE`] for it to exit, then SIGKILL.
async fn terminate(pid: u32, marker: &str) {
    signal("-TERM", pid);
    let deadline = tokio::time::Instant::now() + STOP_GRACE;
    while tokio::time::Instant::now() < deadline {
        if !pid_matches(pid, marker) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    warn!(pid, "process ignored SIGTERM, killing");
    signal("-KILL", pid);
    for _ in 0..100 {
        if !pid_matches(pid, marker) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Accepts server certificates that chain to the cluster CA, whatever their names.
#[derive(Debug)]
struct CaOnlyVerifier(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for CaOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error as E};
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(E::InvalidCertificate(CertificateError::NotValidForName))
            | Err(E::InvalidCertificate(CertificateError::NotValidForNameContext { .. })) => {
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

fn tls_client(ca_file: &Path) -> Option<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca_file).ok()?;
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.ok()?).ok()?;
    }
    let inner =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().ok()?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(CaOnlyVerifier(inner)))
        .with_no_client_auth();
    Some(config)
}

/// Whether `https://127.0.0.1:<port>/readyz` answers 200 `ok` within 2 s.
/// `GET /readyz` over TLS verified against the cluster CA in `ca_file`: Ok when it answers `ok`, else why not.
async fn readyz(ca_file: &Path, port: u16) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = tls_client(ca_file).ok_or("the cluster CA certificate cannot be read")?;
    let get = async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("it cannot be reached on port {port}: {e}"))?;
        let name = rustls::pki_types::ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
        let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| {
            format!("the certificate it serves does not verify against the cluster CA (Secret ca): {e}")
        })?;
        let request = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        tls.write_all(request).await.map_err(|e| format!("the request failed: {e}"))?;
        let mut buf = Vec::new();
        // A server closing without close_notify is fine once we have the response.
        let _ = tls.read_to_end(&mut buf).await;
        Ok::<_, String>(String::from_utf8_lossy(&buf).into_owned())
    };
    let resp = tokio::time::timeout(Duration::from_secs(2), get).await.map_err(|_| "it did not answer within 2s")??;
    let ok = resp.starts_with("HTTP/1.1 200") && resp.split("\r\n\r\n").nth(1).is_some_and(|b| b.contains("ok"));
    debug!(port, ok, "probed /readyz");
    if ok {
        Ok(())
    } else {
        Err(format!("it answered {:?}", resp.lines().next().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("gardenlet-rt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn ports_are_chosen_once_and_persisted() {
        let d = tmp("ports");
        let f = d.join("ports.json");
        let p = load_or_choose_ports(&f).unwrap();
        assert!(p.etcd_client != p.etcd_peer && p.etcd_peer != p.apiserver && p.etcd_client != p.apiserver);
        assert_eq!(load_or_choose_ports(&f).unwrap(), p);
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        assert_eq!(json["apiserver"], p.apiserver);
        std::fs::write(&f, "garbage").unwrap();
        assert!(load_or_choose_ports(&f).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// The copy in `pki/` gives back exactly the roots written; an incomplete copy is no copy.
    #[tokio::test]
    async fn kept_roots_come_back_from_pki() {
        let d = tmp("pki");
        let rt = ProcessRuntime::new(&d, "etcd", "garden-apiserver");
        assert!(rt.kept_roots("shoot--p--a").await.unwrap().is_none(), "nothing ensured yet");
        let roots = crate::shoot::secrets::test_secrets(&["127.0.0.1"]).roots();
        let plane = rt.plane("shoot--p--a").unwrap();
        std::fs::create_dir_all(plane.pki()).unwrap();
        for (name, contents) in roots_files(&roots) {
            write_private(&plane.pki().join(name), &contents).unwrap();
        }
        assert!(rt.kept_roots("shoot--p--a").await.unwrap() == Some(roots));
        std::fs::remove_file(plane.pki().join("sa.key")).unwrap();
        assert!(rt.kept_roots("shoot--p--a").await.unwrap().is_none());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn pid_and_cmdline_adoption() {
        assert_eq!(parse_pid("1234\n"), Some(1234));
        assert_eq!(parse_pid(" 42 "), Some(42));
        assert_eq!(parse_pid(""), None);
        assert_eq!(parse_pid("1"), None);
        assert_eq!(parse_pid("x"), None);
        // A plane's marker ends with '/', so one technical ID never matches another that extends it.
        let cmd = b"/usr/bin/etcd\0--data-dir\0/state/shoot--p--a/etcd\0";
        assert!(cmdline_matches(cmd, "/state/shoot--p--a/"));
        assert!(!cmdline_matches(cmd, "/state/shoot--p--ab/"));
        // Our own process is alive but is not a control-plane process.
        assert!(pid_matches(std::process::id(), "gardenlet"));
        assert!(!pid_matches(std::process::id(), "/no/such/plane/"));
    }

    #[test]
    fn running_pid_needs_a_live_matching_process() {
        let d = tmp("pid");
        let plane = Plane { technical_id: "x".into(), dir: d.join("x") };
        std::fs::create_dir_all(&plane.dir).unwrap();
        assert_eq!(running_pid(&plane, Component::Etcd), None);
        std::fs::write(plane.pid_file(Component::Etcd), format!("{}", std::process::id())).unwrap();
        assert_eq!(running_pid(&plane, Component::Etcd), None, "alive but not ours");
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A process started by a gardenlet killed before it wrote the PID file: the next start adopts it instead of
    /// starting a second one, and a destroy stops it and any other process naming the plane's directory.
    #[tokio::test]
    async fn unrecorded_processes_are_adopted_and_stopped() {
        let d = tmp("orphan");
        let rt = ProcessRuntime::new(&d, "etcd", "garden-apiserver");
        let plane = rt.plane("shoot--p--orphan").unwrap();
        std::fs::create_dir_all(plane.certs()).unwrap();
        let certs = plane.certs().display().to_string();
        // A shell that keeps the given arguments in its command line ($0, $1) and exits when signalled. (Not
        // python3: a wrapper such as pyenv's shim forks subshells that show the same arguments for a moment.)
        let spawn = |flag: &str, value: &str| {
            let mut child = std::process::Command::new("sh").args(["-c", "sleep 20; :", flag, value]).spawn().unwrap();
            let pid = child.id();
            std::thread::spawn(move || child.wait());
            pid
        };
        let apiserver = spawn("--cert-dir", &certs);
        let helper = spawn("--data-dir", &format!("{}/etcd.restore", plane.dir.display()));
        let unrecorded = |pid: u32| assert_eventually_alive(pid, &plane.marker());
        unrecorded(apiserver);
        unrecorded(helper);

        assert_eq!(running_pid(&plane, Component::ApiServer), None, "no PID file yet");
        assert_eq!(adopt_unrecorded(&plane, Component::Etcd), None, "a restore's helper is not etcd");
        assert_eq!(adopt_unrecorded(&plane, Component::ApiServer), Some(apiserver));
        assert_eq!(running_pid(&plane, Component::ApiServer), Some(apiserver), "the PID file now names it");

        std::fs::remove_file(plane.pid_file(Component::ApiServer)).unwrap();
        rt.destroy_impl(plane.technical_id.clone()).await.unwrap();
        assert!(!pid_matches(apiserver, &plane.marker()), "the unrecorded API server was stopped");
        assert!(!pid_matches(helper, &plane.marker()), "the helper was stopped");
        assert!(!plane.dir.exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    fn assert_eventually_alive(pid: u32, marker: &str) {
        for _ in 0..100 {
            if pid_matches(pid, marker) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("process {pid} never showed {marker} in its command line");
    }

    #[test]
    fn ids_and_backoff() {
        for bad in ["", ".", "..", "a/b", "../x", "a b"] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
        assert!(validate_id("shoot--dev--local").is_ok());
        assert_eq!(restart_backoff(1), Duration::from_secs(1));
        assert_eq!(restart_backoff(2), Duration::from_secs(2));
        assert_eq!(restart_backoff(4), Duration::from_secs(8));
        assert_eq!(restart_backoff(5), MAX_BACKOFF);
        assert_eq!(restart_backoff(100), MAX_BACKOFF);
    }

    #[test]
    fn etcd_and_apiserver_command_lines() {
        let rt = ProcessRuntime::new("/state", "etcd", "garden-apiserver");
        let plane = rt.plane("shoot--p--a").unwrap();
        let l = rt.launcher(&plane, Ports { etcd_client: 1, etcd_peer: 2, apiserver: 3, backup: 4 });
        let (_, etcd) = l.args(Component::Etcd);
        let etcd = etcd.join(" ");
        assert!(etcd.contains("--data-dir /state/shoot--p--a/etcd"));
        assert!(etcd.contains("--listen-client-urls http://127.0.0.1:1"));
        assert!(etcd.contains("--initial-cluster etcd-main=http://127.0.0.1:2"));
        assert!(etcd.contains("--election-timeout 500"));
        let (_, api) = l.args(Component::ApiServer);
        let api = api.join(" ");
        assert!(api.starts_with("--api-profile shoot "));
        assert!(api.contains("--etcd-servers http://127.0.0.1:1 --secure-port 3 --bind-address 127.0.0.1"));
        assert!(api.contains("--client-ca-file /state/shoot--p--a/certs/client-ca.crt"));
        assert!(api.contains("--cert-dir /state/shoot--p--a/certs"));
        assert!(api.contains(&plane.marker()));
        assert!(etcd.contains(&plane.marker()));
    }

    fn apiserver_bin() -> Option<PathBuf> {
        let candidates = [
            std::env::var_os("GARDEN_BIN_DIR").map(|d| PathBuf::from(d).join("garden-apiserver")),
            Some(PathBuf::from("/work/target/debug/garden-apiserver")),
            std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("debug/garden-apiserver")),
        ];
        candidates.into_iter().flatten().find(|p| p.is_file())
    }

    fn etcd_bin() -> Option<PathBuf> {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("etcd")).find(|p| p.is_file())
    }

    async fn wait_ready(rt: &ProcessRuntime, id: &str) -> ControlPlaneStatus {
        for _ in 0..300 {
            let s = rt.probe(id).await.unwrap();
            if s.ready {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("control plane {id} not ready in 30 s");
    }

    /// Starts a real etcd and API server, restarts them (data kept, processes adopted), destroys.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn real_control_plane_lifecycle() {
        let (Some(etcd), Some(api)) = (etcd_bin(), apiserver_bin()) else {
            println!("skipping real_control_plane_lifecycle: etcd on PATH or garden-apiserver not found");
            return;
        };
        let help = std::process::Command::new(&api).arg("--help").output().unwrap();
        let profile = String::from_utf8_lossy(&help.stdout).contains("--api-profile").then(|| "shoot".to_string());
        if profile.is_none() {
            println!("note: {} has no --api-profile yet, starting it without", api.display());
        }
        let state = tmp("real");
        let id = "shoot--test--local";
        let dir = state.join(id);
        let rt = ProcessRuntime::new(&state, &etcd, &api).with_api_profile(profile.clone());
        let spec = ControlPlaneSpec {
            backup: None,
            technical_id: id.into(),
            secrets: crate::shoot::secrets::test_secrets(&["api.example.com", "127.0.0.1"]),
            kubernetes_version: "1.33.0".into(),
        };

        let st = rt.ensure(&spec).await.unwrap();
        assert!(st.running, "{st:?}");
        assert!(st.api_server_url.starts_with("https://127.0.0.1:"));
        let ready = wait_ready(&rt, id).await;
        assert_eq!(ready.api_server_url, st.api_server_url);
        let etcd_pid = running_pid(&rt.plane(id).unwrap(), Component::Etcd).unwrap();
        let api_pid = running_pid(&rt.plane(id).unwrap(), Component::ApiServer).unwrap();
        // Write a key to etcd to check the data survives a stop.
        let put = std::process::Command::new("curl")
            .args([
                "-sf",
                "-X",
                "POST",
                &format!("{}/v3/kv/put", st.etcd_url),
                "-d",
                r#"{"key":"Zm9v","value":"YmFy"}"#,
            ])
            .stdout(std::process::Stdio::null())
            .status();
        let wrote = put.is_ok_and(|s| s.success());

        // A second ensure adopts: same PIDs, same ports.
        let again = rt.ensure(&spec).await.unwrap();
        assert_eq!(again.api_server_url, st.api_server_url);
        assert_eq!(running_pid(&rt.plane(id).unwrap(), Component::Etcd), Some(etcd_pid));
        assert_eq!(running_pid(&rt.plane(id).unwrap(), Component::ApiServer), Some(api_pid));

        // A fresh runtime (a restarted gardenlet) adopts too.
        drop(rt);
        let rt = ProcessRuntime::new(&state, &etcd, &api).with_api_profile(profile.clone());
        rt.ensure(&spec).await.unwrap();
        assert_eq!(running_pid(&rt.plane(id).unwrap(), Component::Etcd), Some(etcd_pid));

        // The supervisor restarts a killed API server.
        signal("-KILL", api_pid);
        let mut restarted = None;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            restarted = running_pid(&rt.plane(id).unwrap(), Component::ApiServer).filter(|p| *p != api_pid);
            if restarted.is_some() {
                break;
            }
        }
        assert!(restarted.is_some(), "supervisor did not restart the API server");
        wait_ready(&rt, id).await;

        // New certificates (a regenerated CA): the running API server is replaced, etcd (no inputs changed) kept.
        let mut rotated = spec.clone();
        rotated.secrets = crate::shoot::secrets::test_secrets(&["api.example.com", "127.0.0.1"]);
        rt.ensure(&rotated).await.unwrap();
        let api_now = running_pid(&rt.plane(id).unwrap(), Component::ApiServer);
        assert!(api_now.is_some() && api_now != restarted, "API server not restarted with the new certificates");
        assert_eq!(running_pid(&rt.plane(id).unwrap(), Component::Etcd), Some(etcd_pid));
        wait_ready(&rt, id).await;
        let spec = rotated;

        // A server certificate of another CA than the cluster's is not ready, and the status says why.
        let ca_file = dir.join("certs/ca.crt");
        let ca = std::fs::read_to_string(&ca_file).unwrap();
        std::fs::write(&ca_file, crate::shoot::secrets::test_secrets(&["127.0.0.1"]).ca_cert).unwrap();
        let st = rt.probe(id).await.unwrap();
        assert!(!st.ready, "{st:?}");
        assert!(
            st.not_ready.as_deref().is_some_and(|w| w.contains("does not verify against the cluster CA")),
            "{st:?}"
        );
        std::fs::write(&ca_file, ca).unwrap();
        assert!(rt.probe(id).await.unwrap().ready);

        // Stop: processes gone, data kept.
        rt.stop(id).await.unwrap();
        assert!(!pid_matches(etcd_pid, &format!("{}/", dir.display())));
        let st = rt.probe(id).await.unwrap();
        assert!(!st.running && !st.ready);
        assert!(dir.join("etcd/member").is_dir());
        assert!(!dir.join("etcd.pid").exists());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(running_pid(&rt.plane(id).unwrap(), Component::Etcd).is_none(), "no supervisor restart after stop");

        // Start again: same ports, data still there.
        let st2 = rt.ensure(&spec).await.unwrap();
        assert_eq!(st2.api_server_url, st.api_server_url);
        wait_ready(&rt, id).await;
        if wrote {
            let out = std::process::Command::new("curl")
                .args(["-sf", "-X", "POST", &format!("{}/v3/kv/range", st2.etcd_url), "-d", r#"{"key":"Zm9v"}"#])
                .output()
                .unwrap();
            assert!(String::from_utf8_lossy(&out.stdout).contains("YmFy"), "etcd data lost across stop/start");
        }
        let pids: Vec<u32> = Component::ALL.iter().filter_map(|c| running_pid(&rt.plane(id).unwrap(), *c)).collect();
        assert_eq!(pids.len(), 2);

        // Destroy: directory gone, no process left.
        rt.destroy(id).await.unwrap();
        assert!(!dir.exists());
        for pid in pids {
            assert!(
                !Path::new(&format!("/proc/{pid}/cmdline")).exists()
                    || !pid_matches(pid, &format!("{}/", dir.display()))
            );
        }
        let st = rt.probe(id).await.unwrap();
        assert!(!st.running);
        rt.destroy(id).await.unwrap();
        let _ = std::fs::remove_dir_all(&state);
    }
}
