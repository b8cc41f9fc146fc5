//! Full snapshots: etcd's maintenance snapshot stream, piped into a multipart upload under the final name.
//!
//! Memory stays bounded by `part_size * (max_in_flight + 1)` whatever the database size. The object becomes
//! visible only when the multipart upload completes (atomic on every provider; a rename for `Local`); on any
//! error the upload is aborted, so no half-written snapshot ever carries a valid name.
//!
//! Revision: etcd's snapshot response carries no revision, so we ask for the current revision (a `status`
//! call) *before* the stream starts and name the snapshot with it. The database in the stream is read after
//! that call, so it contains at least that revision, maybe a few more. Deltas continue at `revision + 1`, and a
//! restore skips delta events whose revision is at or below the restored database's actual revision, so no
//! event is missed and none is applied twice.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use etcd_client::Client;
use object_store::{ObjectStore, WriteMultipart};
use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::integrity::{Sealer, Verifier};
use crate::layout::Snapshot;

/// Tuning of a full snapshot upload.
#[derive(Clone, Debug)]
pub struct FullSnapshotOptions {
    /// Multipart part size (S3 requires at least 5 MiB for all but the last part).
    pub part_size: usize,
    /// Parts uploading at once; the producer waits for a free slot before buffering the next part.
    pub max_in_flight: usize,
    /// Give up when the whole snapshot takes longer.
    pub timeout: Duration,
}

impl Default for FullSnapshotOptions {
    fn default() -> Self {
        FullSnapshotOptions { part_size: 8 << 20, max_in_flight: 2, timeout: Duration::from_secs(30 * 60) }
    }
}

/// A snapshot that was uploaded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    /// What was written.
    pub snapshot: Snapshot,
    /// Object name (without prefix).
    pub name: String,
    /// Object size including the sha256 trailer.
    pub bytes: u64,
}

/// Unix seconds now.
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The current revision of the etcd `client` talks to.
pub async fn current_revision(client: &mut Client) -> Result<i64> {
    let status = client.status().await.map_err(|e| Error::etcd("read etcd status", e))?;
    status
        .header()
        .map(|h| h.revision())
        .ok_or_else(|| Error::IncompleteSnapshotStream("status response without header".into()))
}

/// Takes a full snapshot of the etcd behind `client` and uploads it under `<prefix>/v2/`.
pub async fn take_full_snapshot(
    client: &mut Client,
    store: &dyn ObjectStore,
    prefix: &str,
    opts: &FullSnapshotOptions,
) -> Result<Uploaded> {
    if opts.part_size < 5 << 20 || opts.max_in_flight == 0 {
        return Err(Error::InvalidConfig("full snapshot parts must be >= 5 MiB, at least one in flight".into()));
    }
    let revision = current_revision(client).await?;
    let snapshot = Snapshot::full(revision, now_unix());
    let name = snapshot.name();
    let path = snapshot.path(prefix);
    let started = std::time::Instant::now();

    let upload = store.put_multipart(&path).await.map_err(|e| Error::store("start upload of", &path, e))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, opts.part_size);
    let streamed = tokio::time::timeout(opts.timeout, stream_snapshot(client, &mut writer, &name, opts.max_in_flight))
        .await
        .unwrap_or_else(|_| Err(Error::IncompleteSnapshotStream(format!("timed out after {:?}", opts.timeout))));
    let bytes = match streamed {
        Ok(bytes) => bytes,
        Err(e) => {
            if let Err(abort) = writer.abort().await {
                warn!(object = %path, error = %abort, "failed to abort the multipart upload");
            }
            return Err(e);
        }
    };
    writer.finish().await.map_err(|e| Error::store("complete upload of", &path, e))?;
    info!(snapshot = %name, revision, bytes, elapsed = ?started.elapsed(), "uploaded full snapshot");
    Ok(Uploaded { snapshot, name, bytes })
}

/// Copies etcd's snapshot stream (verifying etcd's own sha256 trailer) into `writer`, then appends our trailer.
/// Returns the bytes written.
async fn stream_snapshot(
    client: &mut Client,
    writer: &mut WriteMultipart,
    name: &str,
    max_in_flight: usize,
) -> Result<u64> {
    let mut stream = client.snapshot().await.map_err(|e| Error::etcd("start etcd snapshot", e))?;
    let mut etcd_digest = Verifier::new("etcd snapshot stream");
    let mut sealer = Sealer::new();
    let mut written = 0u64;
    let mut saw_end = false;
    while let Some(mut msg) = stream.message().await.map_err(|e| Error::etcd("read etcd snapshot", e))? {
        saw_end |= msg.remaining_bytes() == 0;
        // Owned, so the part buffer holds etcd's chunks without another copy.
        let blob = Bytes::from(std::mem::take(&mut msg.0.blob));
        if blob.is_empty() {
            continue;
        }
        // Back pressure: never more than `max_in_flight` parts uploading while we buffer the next one.
        writer.wait_for_capacity(max_in_flight).await.map_err(|e| Error::store("upload part of", name, e))?;
        etcd_digest.update(&blob);
        sealer.update(&blob);
        written += blob.len() as u64;
        writer.put(blob);
    }
    if !saw_end {
        return Err(Error::IncompleteSnapshotStream(format!("stream ended after {written} bytes")));
    }
    etcd_digest.finish()?;
    writer.wait_for_capacity(max_in_flight).await.map_err(|e| Error::store("upload part of", name, e))?;
    writer.write(&sealer.finish());
    Ok(written + crate::integrity::HASH_LEN as u64)
}
