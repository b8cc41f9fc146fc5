//! Checking a data directory against the backups and rebuilding it from them.
//!
//! A restore downloads the latest full snapshot (verified while streaming) to a temporary file, lets
//! `etcdctl snapshot restore` build a data directory from it next to the real one, starts a temporary etcd on
//! that directory (free loopback ports) and replays the chain's deltas: each revision as one transaction, in
//! order, skipping events the snapshot already contains (at or below its revision). The temporary etcd is
//! stopped, an existing data directory is moved aside to `<data_dir>.invalid-<unix>`, and the new one is
//! renamed into place: the data directory is either the old one or the complete new one, never half of each.
//!
//! Replayed keys lose their lease (leases are not part of a delta; a lease id from the old cluster would not
//! exist in the restored one). If the replay ends below the chain's last revision (revisions that carried no
//! event), the revision is bumped by writing and then deleting the reserved key `/etcd-backup/revision-bump`, so
//! clients never see a revision go backwards. etcd's own consistency check is what [`validate`] relies on: a data
//! directory that etcd starts on and serves is `Valid` (deeper bbolt page checks are not done).

use std::path::{Path, PathBuf};
use std::time::Duration;

use etcd_client::{Client, Txn, TxnOp};
use object_store::ObjectStore;
use tokio::io::BufWriter;
use tracing::{info, warn};

use crate::delta::{self, DeltaEvent, EventType};
use crate::error::{Error, Result};
use crate::etcd_process::{TemporaryEtcd, TemporaryEtcdOptions};
use crate::full::now_unix;
use crate::integrity;
use crate::layout::{self, Chain};

/// The key written (and deleted) to move the revision forward when a replay ends short of the chain's end.
pub const REVISION_BUMP_KEY: &str = "/etcd-backup/revision-bump";

/// Where and as what the restored member lives.
#[derive(Clone, Debug)]
pub struct RestoreOptions {
    /// The etcd data directory.
    pub data_dir: PathBuf,
    /// The member's `--name`.
    pub member_name: String,
    /// `--initial-cluster`, e.g. `etcd-main=http://127.0.0.1:2380`.
    pub initial_cluster: String,
    /// `--initial-advertise-peer-urls`.
    pub initial_advertise_peer_urls: String,
    /// etcd binary (for the temporary etcd).
    pub etcd_bin: PathBuf,
    /// etcdctl binary (`snapshot restore`).
    pub etcdctl_bin: PathBuf,
    /// Downloads and temporary etcd logs; the data directory's parent when `None`.
    pub temp_dir: Option<PathBuf>,
    /// How long a temporary etcd may take to become healthy before the directory counts as corrupt.
    pub etcd_timeout: Duration,
}

impl RestoreOptions {
    /// Options for a single member advertising `peer_url`, with `etcd` and `etcdctl` from `PATH`.
    pub fn new(data_dir: impl Into<PathBuf>, member_name: &str, peer_url: &str) -> Self {
        RestoreOptions {
            data_dir: data_dir.into(),
            member_name: member_name.into(),
            initial_cluster: format!("{member_name}={peer_url}"),
            initial_advertise_peer_urls: peer_url.into(),
            etcd_bin: PathBuf::from("etcd"),
            etcdctl_bin: PathBuf::from("etcdctl"),
            temp_dir: None,
            etcd_timeout: Duration::from_secs(60),
        }
    }

    fn temp_dir(&self) -> PathBuf {
        self.temp_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".")))
    }

    /// `<data_dir><suffix>` in the same parent directory (renames stay atomic).
    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.data_dir.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "data".into());
        name.push(suffix);
        self.data_dir.with_file_name(name)
    }

    fn temporary_etcd(&self) -> TemporaryEtcdOptions {
        TemporaryEtcdOptions {
            etcd_bin: self.etcd_bin.clone(),
            name: self.member_name.clone(),
            timeout: self.etcd_timeout,
            log_path: self.temp_dir().join(format!(
                "{}.etcd-backup.log",
                self.data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            )),
        }
    }
}

/// What [`validate`] found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "verdict", rename_all = "camelCase")]
pub enum Verdict {
    /// etcd serves it and it is not behind the backups.
    Valid {
        /// Its revision.
        revision: i64,
    },
    /// No `member/snap/db`.
    Missing,
    /// etcd does not start on it or is not healthy in time.
    Corrupt {
        /// What etcd said.
        reason: String,
    },
    /// Its revision is below the latest backup's.
    Stale {
        /// Revision of the data directory.
        data_revision: i64,
        /// Last revision of the latest backup chain.
        backup_revision: i64,
    },
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    /// The full snapshot restored.
    pub full: String,
    /// Number of delta snapshots replayed.
    pub deltas: usize,
    /// Revision of the restored data directory.
    pub revision: i64,
    /// Where the previous data directory went, if there was one.
    pub moved_aside: Option<PathBuf>,
}

/// What [`prepare_data_dir`] did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    /// The data directory is fine; nothing was changed.
    Valid {
        /// Its revision.
        revision: i64,
    },
    /// No data directory and no backups: etcd starts a new cluster.
    FreshStart,
    /// The data directory was rebuilt from the backups.
    Restored {
        /// Why.
        verdict: Verdict,
        /// What was done.
        report: RestoreReport,
    },
}

/// Checks the data directory: [`Verdict::Missing`] without `member/snap/db`, otherwise a temporary etcd is
/// started on it to read its revision ([`Verdict::Corrupt`] when that fails) and compare it with `chain`.
pub async fn validate(opts: &RestoreOptions, chain: Option<&Chain>) -> Result<Verdict> {
    if !opts.data_dir.join("member").join("snap").join("db").is_file() {
        return Ok(Verdict::Missing);
    }
    std::fs::create_dir_all(opts.temp_dir()).map_err(|e| Error::io("create temp dir", opts.temp_dir(), e))?;
    let etcd = match TemporaryEtcd::start(&opts.data_dir, &opts.temporary_etcd()).await {
        Ok(etcd) => etcd,
        Err(Error::Process { reason, .. }) => return Ok(Verdict::Corrupt { reason }),
        Err(e) => return Err(e),
    };
    let revision = match revision_of(&etcd).await {
        Ok(revision) => revision,
        Err(e) => return Ok(Verdict::Corrupt { reason: e.to_string() }),
    };
    etcd.stop(Duration::from_secs(10)).await?;
    match chain {
        Some(chain) if revision < chain.end_revision() => {
            Ok(Verdict::Stale { data_revision: revision, backup_revision: chain.end_revision() })
        }
        _ => Ok(Verdict::Valid { revision }),
    }
}

/// Makes the data directory fit to start etcd on: validates it against the latest backup chain and restores
/// when it is missing, corrupt or stale and there are backups. Missing without backups is a fresh start;
/// corrupt without backups is an error (etcd must not start on it).
pub async fn prepare_data_dir(opts: &RestoreOptions, store: &dyn ObjectStore, prefix: &str) -> Result<Outcome> {
    let snapshots = layout::list(store, prefix).await?;
    let chain = layout::latest_chain(&snapshots);
    let verdict = validate(opts, chain.as_ref()).await?;
    info!(data_dir = %opts.data_dir.display(), ?verdict, backups = chain.is_some(), "validated data directory");
    match (verdict, chain) {
        (Verdict::Valid { revision }, _) => Ok(Outcome::Valid { revision }),
        (Verdict::Missing, None) => Ok(Outcome::FreshStart),
        (Verdict::Corrupt { reason }, None) => {
            Err(Error::CorruptWithoutBackup { data_dir: opts.data_dir.clone(), reason })
        }
        // Stale needs a chain; without one the directory is as good as it gets.
        (Verdict::Stale { data_revision, .. }, None) => Ok(Outcome::Valid { revision: data_revision }),
        (verdict, Some(chain)) => {
            let report = restore(opts, store, prefix, &chain).await?;
            Ok(Outcome::Restored { verdict, report })
        }
    }
}

/// Rebuilds the data directory from `chain` (see the module docs); an existing directory is moved aside.
pub async fn restore(
    opts: &RestoreOptions,
    store: &dyn ObjectStore,
    prefix: &str,
    chain: &Chain,
) -> Result<RestoreReport> {
    let temp_dir = opts.temp_dir();
    tokio::fs::create_dir_all(&temp_dir).await.map_err(|e| Error::io("create temp dir", &temp_dir, e))?;
    let staging = opts.sibling(".restoring");
    remove_dir_if_exists(&staging).await?;
    let full_name = chain.full.name();
    info!(full = %full_name, deltas = chain.deltas.len(), data_dir = %opts.data_dir.display(), "restoring");

    // 1. The full snapshot, verified, without our trailer (etcd's own sha256 stays: etcdctl checks it).
    let db_file = temp_dir.join(format!("{full_name}.db"));
    let downloaded = download_to_file(store, &chain.full.path(prefix), &full_name, &db_file).await;
    if let Err(e) = downloaded {
        let _ = tokio::fs::remove_file(&db_file).await;
        return Err(e);
    }
    let built = etcdctl_restore(opts, &db_file, &staging).await;
    let _ = tokio::fs::remove_file(&db_file).await;
    built?;

    // 2. The deltas, through a temporary etcd on the staging directory.
    let result = replay_chain(opts, store, prefix, chain, &staging).await;
    let revision = match result {
        Ok(revision) => revision,
        Err(e) => {
            let _ = remove_dir_if_exists(&staging).await;
            return Err(e);
        }
    };

    // 3. Swap.
    let moved_aside = if tokio::fs::metadata(&opts.data_dir).await.is_ok() {
        let aside = opts.sibling(&format!(".invalid-{}", now_unix()));
        tokio::fs::rename(&opts.data_dir, &aside).await.map_err(|e| Error::io("move aside", &opts.data_dir, e))?;
        warn!(from = %opts.data_dir.display(), to = %aside.display(), "moved the old data directory aside");
        Some(aside)
    } else {
        None
    };
    tokio::fs::rename(&staging, &opts.data_dir).await.map_err(|e| Error::io("move into place", &staging, e))?;
    if let Some(parent) = opts.data_dir.parent() {
        // Persist the renames.
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
    }
    let report = RestoreReport { full: full_name, deltas: chain.deltas.len(), revision, moved_aside };
    info!(?report, "restore done");
    Ok(report)
}

async fn download_to_file(
    store: &dyn ObjectStore,
    path: &object_store::path::Path,
    name: &str,
    file: &Path,
) -> Result<u64> {
    let f = tokio::fs::File::create(file).await.map_err(|e| Error::io("create", file, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, f);
    let len = integrity::download_verified(store, path, name, &mut out).await?;
    out.into_inner().sync_all().await.map_err(|e| Error::io("sync", file, e))?;
    Ok(len)
}

async fn etcdctl_restore(opts: &RestoreOptions, db_file: &Path, staging: &Path) -> Result<()> {
    let output = tokio::process::Command::new(&opts.etcdctl_bin)
        .env("ETCDCTL_API", "3")
        .arg("snapshot")
        .arg("restore")
        .arg(db_file)
        .arg("--data-dir")
        .arg(staging)
        .arg("--name")
        .arg(&opts.member_name)
        .arg("--initial-cluster")
        .arg(&opts.initial_cluster)
        .arg("--initial-advertise-peer-urls")
        .arg(&opts.initial_advertise_peer_urls)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| Error::Process {
            what: "run etcdctl snapshot restore".into(),
            reason: format!("{}: {e}", opts.etcdctl_bin.display()),
        })?;
    if !output.status.success() {
        let _ = remove_dir_if_exists(staging).await;
        return Err(Error::Process {
            what: "run etcdctl snapshot restore".into(),
            reason: format!(
                "{}: {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        });
    }
    Ok(())
}

/// Replays the deltas on the staging directory; returns its final revision.
async fn replay_chain(
    opts: &RestoreOptions,
    store: &dyn ObjectStore,
    prefix: &str,
    chain: &Chain,
    staging: &Path,
) -> Result<i64> {
    let etcd = TemporaryEtcd::start(staging, &opts.temporary_etcd()).await?;
    let mut client = etcd.client().await?;
    let restored = revision_of(&etcd).await?;
    let mut current = restored;
    let mut prev_end = chain.full.end_revision;
    let mut prev_name = chain.full.name();
    for (i, snapshot) in chain.deltas.iter().enumerate() {
        let name = snapshot.name();
        let broken = |reason: String| Error::BrokenChain { name: name.clone(), reason };
        if snapshot.start_revision > prev_end + 1 {
            return Err(broken(format!(
                "it starts at revision {} but {prev_name} ends at {prev_end}: revisions {}..{} are missing",
                snapshot.start_revision,
                prev_end + 1,
                snapshot.start_revision - 1
            )));
        }
        if i > 0 && snapshot.start_revision <= prev_end {
            return Err(broken(format!("it overlaps {prev_name} (starts at {})", snapshot.start_revision)));
        }
        let payload = integrity::fetch_verified(store, &snapshot.path(prefix), &name).await?;
        let events = delta::decode(&name, &payload)?;
        drop(payload);
        check_events(snapshot, &events).map_err(broken)?;
        for group in events.chunk_by(|a, b| a.mod_revision == b.mod_revision) {
            if group[0].mod_revision <= restored {
                continue; // already in the full snapshot
            }
            current = apply_revision(&mut client, group).await?;
        }
        prev_end = snapshot.end_revision;
        prev_name = name;
    }
    let target = chain.end_revision();
    if current < target {
        warn!(current, target, key = REVISION_BUMP_KEY, "bumping the revision up to the backup's");
        current = bump_revision(&mut client, current, target).await?;
    }
    etcd.stop(Duration::from_secs(30)).await?;
    info!(restored, revision = current, deltas = chain.deltas.len(), "replayed delta snapshots");
    Ok(current)
}

fn check_events(snapshot: &layout::Snapshot, events: &[DeltaEvent]) -> Result<(), String> {
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Err("it holds no events".into());
    };
    if first.mod_revision != snapshot.start_revision || last.mod_revision != snapshot.end_revision {
        return Err(format!(
            "its events span revisions {}..{}, its name says {}..{}",
            first.mod_revision, last.mod_revision, snapshot.start_revision, snapshot.end_revision
        ));
    }
    if let Some(pair) = events.windows(2).find(|w| w[1].mod_revision < w[0].mod_revision) {
        return Err(format!(
            "its events are out of order (revision {} after {}, key {})",
            pair[1].mod_revision,
            pair[0].mod_revision,
            delta::display_key(&pair[1].key)
        ));
    }
    Ok(())
}

/// Applies the events of one revision as one transaction; returns the new revision.
async fn apply_revision(client: &mut Client, group: &[DeltaEvent]) -> Result<i64> {
    let ops: Vec<TxnOp> = group
        .iter()
        .map(|e| match e.event_type {
            EventType::Put => TxnOp::put(e.key.clone(), e.value.clone(), None),
            EventType::Delete => TxnOp::delete(e.key.clone(), None),
        })
        .collect();
    let resp = client.txn(Txn::new().and_then(ops)).await.map_err(|e| Error::etcd("replay a delta revision", e))?;
    Ok(resp.header().map_or(0, |h| h.revision()))
}

async fn bump_revision(client: &mut Client, mut current: i64, target: i64) -> Result<i64> {
    let mut exists = false;
    while current < target || exists {
        let resp_rev = if exists && (current + 1 >= target) {
            exists = false;
            let r = client.delete(REVISION_BUMP_KEY, None).await.map_err(|e| Error::etcd("bump the revision", e))?;
            r.header().map(|h| h.revision())
        } else {
            exists = true;
            let r = client.put(REVISION_BUMP_KEY, "", None).await.map_err(|e| Error::etcd("bump the revision", e))?;
            r.header().map(|h| h.revision())
        };
        current = resp_rev.unwrap_or(current + 1);
    }
    Ok(current)
}

async fn revision_of(etcd: &TemporaryEtcd) -> Result<i64> {
    let mut client = etcd.client().await?;
    crate::full::current_revision(&mut client).await
}

async fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match tokio::fs::remove_dir_all(dir).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", dir, e)),
    }
}
