//! `BackupEntry`: the etcd backups of one shoot inside a BackupBucket.
//!
//! The shoot flow creates the entry (`<technicalID>--<shootUID>` in the shoot's namespace) with the bucket of
//! the seed that first hosts the shoot; a seed that restores the shoot after a migration takes the entry over
//! (`spec.seedName`) and keeps writing into the same bucket. Deleting a shoot deletes its entry; the
//! [`run_deletions`] loop of the entry's seed keeps the snapshots for the configured grace period after that,
//! then deletes them from the store and releases the entry's finalizer.

use std::sync::Arc;
use std::time::Duration;

use component_base::api::delete_if_exists;
use garden_api::core::v1beta1::{BackupBucket, BackupEntry, BackupEntrySpec, Shoot};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use super::store;

/// Finalizer the gardenlet keeps on entries until their snapshots are deleted.
pub const FINALIZER: &str = "gardener";
/// How often the deletion loop looks at the seed's entries.
const DELETION_INTERVAL: Duration = Duration::from_secs(5);

/// The entry name of a shoot (Gardener's `<technicalID>--<shootUID>`).
pub fn name(technical_id: &str, shoot: &Shoot) -> String {
    format!("{technical_id}--{}", shoot.metadata.uid.as_deref().unwrap_or_default())
}

/// The key prefix of the shoot etcd's snapshots inside the bucket.
pub fn prefix(entry: &str) -> String {
    format!("{entry}/etcd-main")
}

/// Creates the shoot's entry in `bucket` (the bucket of this seed) unless it exists, and takes an existing one
/// over for `seed`. Returns None when the entry does not exist and this seed has no bucket (no backups).
pub async fn ensure(
    client: &Client,
    shoot: &Shoot,
    technical_id: &str,
    seed: &str,
    bucket: Option<&str>,
) -> anyhow::Result<Option<BackupEntry>> {
    let ns = shoot.namespace().unwrap_or_default();
    let api: Api<BackupEntry> = Api::namespaced(client.clone(), &ns);
    let entry_name = name(technical_id, shoot);
    if let Some(cur) = api.get_opt(&entry_name).await? {
        anyhow::ensure!(
            cur.metadata.deletion_timestamp.is_none(),
            "backup entry {ns}/{entry_name} is being deleted; the shoot cannot be backed up into it"
        );
        if cur.spec.seed_name.as_deref() == Some(seed) {
            return Ok(Some(cur));
        }
        let patch = json!({"spec": {"seedName": seed}});
        return Ok(Some(api.patch(&entry_name, &PatchParams::default(), &Patch::Merge(&patch)).await?));
    }
    let Some(bucket) = bucket else { return Ok(None) };
    let mut entry = BackupEntry {
        api_version: "core.gardener.cloud/v1beta1".into(),
        kind: "BackupEntry".into(),
        spec: BackupEntrySpec { bucket_name: bucket.into(), seed_name: Some(seed.into()) },
        ..Default::default()
    };
    entry.metadata.name = Some(entry_name.clone());
    entry.metadata.namespace = Some(ns.clone());
    entry.metadata.finalizers = Some(vec![FINALIZER.into()]);
    entry.metadata.labels = Some([("shoot.gardener.cloud/name".to_string(), shoot.name_any())].into());
    match api.create(&PostParams::default(), &entry).await {
        Ok(e) => Ok(Some(e)),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(api.get_opt(&entry_name).await?),
        Err(e) => Err(e.into()),
    }
}

/// The store configuration of an entry's snapshots (its bucket's store, the entry's prefix).
pub async fn store_of(client: &Client, entry: &BackupEntry) -> anyhow::Result<etcd_backup::store::StoreConfig> {
    let buckets: Api<BackupBucket> = Api::all(client.clone());
    let bucket = buckets.get_opt(&entry.spec.bucket_name).await?.ok_or_else(|| {
        anyhow::anyhow!("backup bucket {:?} of entry {} does not exist", entry.spec.bucket_name, entry.name_any())
    })?;
    let mut config = store::for_bucket(client, &bucket).await?;
    config.prefix = prefix(&entry.name_any());
    Ok(config)
}

/// Marks the shoot's entry for deletion (its seed deletes the snapshots after the grace period).
pub async fn delete(client: &Client, shoot: &Shoot, technical_id: &str) -> anyhow::Result<()> {
    let api: Api<BackupEntry> = Api::namespaced(client.clone(), &shoot.namespace().unwrap_or_default());
    delete_if_exists(&api, &name(technical_id, shoot)).await?;
    Ok(())
}

/// Records the latest backup state of an entry in its status (`lastOperation`, `seedName`).
pub async fn write_status(
    client: &Client,
    entry: &BackupEntry,
    seed: &str,
    healthy: bool,
    description: &str,
) -> anyhow::Result<()> {
    let api: Api<BackupEntry> = Api::namespaced(client.clone(), &entry.namespace().unwrap_or_default());
    let patch = json!({"status": {
        "lastOperation": {"type": "Reconcile", "state": if healthy { "Succeeded" } else { "Error" },
            "progress": if healthy { 100 } else { 0 }, "description": description, "lastUpdateTime": crate::clock::now_rfc3339()},
        "lastError": if healthy { serde_json::Value::Null } else { json!({"description": description}) },
        "observedGeneration": entry.metadata.generation,
        "seedName": seed,
    }});
    api.patch_status(&entry.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    Ok(())
}

/// Deletes the snapshots of this seed's entries marked for deletion once `grace` has passed since, then
/// releases their finalizer; an entry whose store cannot be reached keeps its finalizer until it can. Runs until
/// the process ends.
pub async fn run_deletions(client: Client, seed: Arc<str>, grace: Duration) {
    loop {
        if let Err(e) = delete_due(&client, &seed, grace).await {
            tracing::warn!(error = %format!("{e:#}"), "backup entry deletion");
        }
        tokio::time::sleep(DELETION_INTERVAL).await;
    }
}

async fn delete_due(client: &Client, seed: &str, grace: Duration) -> anyhow::Result<()> {
    let api: Api<BackupEntry> = Api::all(client.clone());
    let list = api.list(&ListParams::default().fields(&format!("spec.seedName={seed}"))).await?;
    let now = jiff::Timestamp::now();
    for entry in list.items {
        let Some(deleted) = entry.metadata.deletion_timestamp.as_ref() else { continue };
        if !entry.finalizers().iter().any(|f| f == FINALIZER) {
            continue;
        }
        let elapsed = now.as_second().saturating_sub(deleted.0.as_second()).max(0) as u64;
        if elapsed < grace.as_secs() {
            continue;
        }
        let entry_name = entry.name_any();
        let ns = entry.namespace().unwrap_or_default();
        match store_of(client, &entry).await {
            Ok(config) => {
                let removed = store::delete_prefix(&config).await?;
                tracing::info!(entry = %entry_name, namespace = %ns, removed, "deleted the snapshots of a backup entry");
            }
            // The bucket object is gone (deleted behind the gardenlet's back; the seed reconcile creates it again)
            // or its store cannot be reached: the snapshots may still be there, so the finalizer stays and the
            // deletion is tried again until they are gone.
            Err(e) => {
                let description = format!("Waiting to delete the snapshots: {e:#}");
                let last = entry.status.as_ref().and_then(|s| s.last_operation.as_ref());
                if last.is_none_or(|o| o.description != description) {
                    tracing::warn!(entry = %entry_name, namespace = %ns, error = %format!("{e:#}"), "backup entry deletion waits for its store");
                    write_status(client, &entry, seed, false, &description).await?;
                }
                continue;
            }
        }
        let rest: Vec<String> = entry.finalizers().iter().filter(|f| *f != FINALIZER).cloned().collect();
        let patch = json!({"metadata": {"finalizers": rest, "resourceVersion": entry.resource_version()}});
        let namespaced: Api<BackupEntry> = Api::namespaced(client.clone(), &ns);
        namespaced.patch(&entry_name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    Ok(())
}
