//! The `etcd-backup` snapshotter of a process-runtime control plane: its files in `<plane>/backup/`, its
//! command line, the restore before etcd starts, and the calls to its HTTP endpoint.
//!
//! `<plane>/backup/` holds `store.yaml` (the store of the shoot's BackupEntry, without secrets),
//! `credentials/` (Gardener-style secret files, 0600, in a 0700 directory) and `schedule.json`. Their presence
//! says the plane runs with backups: the supervisor and an adopting gardenlet read them from there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use etcd_backup::store::StoreConfig;
use serde::{Deserialize, Serialize};

use super::{BackupStatus, EtcdBackupSpec};

/// Schedules of the snapshotter, persisted next to the store config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// Cron schedule of full snapshots.
    pub full_snapshot_schedule: String,
    /// Delta snapshot period in seconds.
    pub delta_snapshot_period_seconds: u64,
}

/// The backup files of the plane in `dir`.
pub struct BackupFiles {
    dir: PathBuf,
}

impl BackupFiles {
    /// The files of the plane directory `plane_dir`.
    pub fn new(plane_dir: &Path) -> Self {
        BackupFiles { dir: plane_dir.join("backup") }
    }

    /// `store.yaml`.
    pub fn store_config(&self) -> PathBuf {
        self.dir.join("store.yaml")
    }

    fn credentials(&self) -> PathBuf {
        self.dir.join("credentials")
    }

    fn schedule(&self) -> PathBuf {
        self.dir.join("schedule.json")
    }

    /// Whether the plane runs with backups.
    pub fn configured(&self) -> bool {
        self.store_config().is_file()
    }

    /// The store (credentials read from the credentials directory) and schedule, if configured.
    pub fn load(&self) -> Option<(StoreConfig, Schedule)> {
        let store = StoreConfig::from_file(&self.store_config()).ok()?;
        let schedule = serde_json::from_slice(&std::fs::read(self.schedule()).ok()?).ok()?;
        Some((store, schedule))
    }

    /// Writes the files for `spec` (secrets into 0600 files, never into `store.yaml`). Unchanged files are not
    /// rewritten. Returns whether anything changed (the snapshotter must then restart).
    pub fn write(
        &self,
        spec: &EtcdBackupSpec,
        write_private: impl Fn(&Path, &str) -> std::io::Result<()>,
    ) -> std::io::Result<bool> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(self.credentials())?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        std::fs::set_permissions(self.credentials(), std::fs::Permissions::from_mode(0o700))?;
        let files = credential_files(&spec.store);
        let mut changed = false;
        for (name, value) in files {
            let path = self.credentials().join(name);
            match value {
                Some(v) if std::fs::read_to_string(&path).ok().as_deref() != Some(v) => {
                    write_private(&path, v)?;
                    changed = true;
                }
                Some(_) => {}
                None if path.exists() => {
                    std::fs::remove_file(&path)?;
                    changed = true;
                }
                None => {}
            }
        }
        let yaml =
            serde_yaml::to_string(&without_secrets(&spec.store, &self.credentials())).map_err(std::io::Error::other)?;
        let schedule = serde_json::to_string(&Schedule {
            full_snapshot_schedule: spec.full_snapshot_schedule.clone(),
            delta_snapshot_period_seconds: spec.delta_snapshot_period.as_secs().max(1),
        })
        .map_err(std::io::Error::other)?;
        for (path, contents) in [(self.store_config(), yaml), (self.schedule(), schedule)] {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
                write_private(&path, &contents)?;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Removes the files (the plane runs without backups from now on).
    pub fn remove(&self) -> std::io::Result<()> {
        match std::fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The snapshotter's arguments: etcd at `etcd_url`, HTTP on `127.0.0.1:port`.
    pub fn args(&self, etcd_url: &str, port: u16, schedule: &Schedule) -> Vec<String> {
        vec![
            "snapshot".into(),
            "--endpoints".into(),
            etcd_url.into(),
            "--store-config".into(),
            self.store_config().display().to_string(),
            "--full-snapshot-schedule".into(),
            schedule.full_snapshot_schedule.clone(),
            "--delta-snapshot-period".into(),
            format!("{}s", schedule.delta_snapshot_period_seconds),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
        ]
    }
}

/// The store's credentials as Gardener-style files: (file name, content), None for those the store lacks.
pub fn credential_files(store: &StoreConfig) -> [(&'static str, Option<&str>); 5] {
    let c = &store.credentials;
    [
        ("accessKeyID", c.access_key_id.as_deref()),
        ("secretAccessKey", c.secret_access_key.as_ref().map(|s| s.expose())),
        ("serviceaccount.json", c.service_account_json.as_ref().map(|s| s.expose())),
        ("storageAccount", c.storage_account.as_deref()),
        ("storageKey", c.storage_key.as_ref().map(|s| s.expose())),
    ]
}

/// The store with its inline credentials removed, reading them from the files in `credentials_dir` instead.
pub fn without_secrets(store: &StoreConfig, credentials_dir: &Path) -> StoreConfig {
    let mut store = store.clone();
    store.credentials = Default::default();
    store.credentials_dir = Some(credentials_dir.to_path_buf());
    store
}

/// Prepares etcd's data directory from the backups: nothing for a valid one or a fresh start, a restore of the
/// latest full snapshot and its deltas for a missing, corrupt or stale one. Returns what happened.
pub async fn prepare_data_dir(
    store: &StoreConfig,
    data_dir: &Path,
    etcd_bin: &Path,
    peer_url: &str,
) -> Result<String, String> {
    // ensure() creates an empty data directory for a fresh start; an empty one is simply "missing".
    if std::fs::read_dir(data_dir).map(|mut d| d.next().is_none()).unwrap_or(false) {
        let _ = std::fs::remove_dir(data_dir);
    }
    let mut opts = etcd_backup::restore::RestoreOptions::new(data_dir, "etcd-main", peer_url);
    opts.etcd_bin = etcd_bin.to_path_buf();
    opts.etcdctl_bin = etcd_bin.with_file_name("etcdctl");
    if !opts.etcdctl_bin.is_file() {
        opts.etcdctl_bin = "etcdctl".into();
    }
    opts.etcd_timeout = Duration::from_secs(20);
    let object_store = store.open().map_err(|e| format!("open the backup store: {e}"))?;
    let outcome = etcd_backup::restore::prepare_data_dir(&opts, object_store.as_ref(), &store.prefix)
        .await
        .map_err(|e| format!("prepare etcd's data directory from the backups: {e}"))?;
    Ok(format!("{outcome:?}"))
}

/// `POST /snapshot/full` on the snapshotter at `host:port`: a full snapshot now; returns its object name.
pub async fn request_full(host: &str, port: u16) -> Result<String, String> {
    let (status, body) = http(host, port, "POST", "/snapshot/full", Duration::from_secs(600)).await?;
    if status != 200 {
        return Err(format!("snapshotter answered {status}: {}", body.trim()));
    }
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("snapshotter answer: {e}"))?;
    v.get("name")
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("snapshotter answer without a name: {body}"))
}

/// `GET /status` on the snapshotter at `host:port`.
pub async fn status(host: &str, port: u16) -> Result<BackupStatus, String> {
    let (code, body) = http(host, port, "GET", "/status", Duration::from_secs(5)).await?;
    if code != 200 {
        return Err(format!("snapshotter answered {code}: {}", body.trim()));
    }
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("snapshotter answer: {e}"))?;
    let snap = |key: &str| {
        let s = v.get(key)?;
        Some((s.get("name")?.as_str()?.to_string(), s.get("revision").and_then(|r| r.as_i64()).unwrap_or(0)))
    };
    Ok(BackupStatus {
        last_full: snap("lastFull"),
        last_delta: snap("lastDelta"),
        last_error: v.get("lastError").and_then(|e| e.as_str()).map(str::to_string),
        failing: v.get("failing").and_then(|e| e.as_str()).map(str::to_string),
    })
}

/// A plain HTTP/1.1 request to `host:port` (the process runtime's snapshotter listens on loopback; the kubernetes
/// runtime's behind the etcd pod's backup Service).
async fn http(host: &str, port: u16, method: &str, path: &str, timeout: Duration) -> Result<(u16, String), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let call = async {
        let mut tcp = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| e.to_string())?;
        let req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        tcp.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        tcp.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let code =
            text.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("no HTTP answer: {text:?}"))?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        Ok((code, body))
    };
    tokio::time::timeout(timeout, call).await.map_err(|_| format!("snapshotter did not answer within {timeout:?}"))?
}
