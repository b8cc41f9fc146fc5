//! The seed's `BackupBucket`: named after the seed's UID (as in Gardener), created from `Seed.spec.backup`
//! and reconciled by this gardenlet (the store is made to exist and the status says whether that worked).

use garden_api::core::v1beta1::{BackupBucket, BackupBucketProvider, BackupBucketSpec, Seed};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use super::store;

/// The desired BackupBucket of `seed`, or None when the seed has no backup configured.
pub fn desired(seed: &Seed) -> Option<BackupBucket> {
    let backup = seed.spec.backup.as_ref()?;
    let mut b = BackupBucket {
        api_version: "core.gardener.cloud/v1beta1".into(),
        kind: "BackupBucket".into(),
        spec: BackupBucketSpec {
            provider: BackupBucketProvider {
                type_: backup.provider.clone(),
                region: backup.region.clone().unwrap_or_else(|| seed.spec.provider.region.clone()),
            },
            provider_config: backup.provider_config.clone(),
            credentials_ref: backup.credentials_ref.clone(),
            seed_name: Some(seed.name_any()),
        },
        ..Default::default()
    };
    b.metadata.name = seed.metadata.uid.clone();
    Some(b)
}

/// Creates or updates the seed's BackupBucket, makes its store exist and records the outcome in its status.
/// Returns the bucket's name (None: no backups configured).
pub async fn ensure(client: &Client, seed: &Seed) -> anyhow::Result<Option<String>> {
    let Some(want) = desired(seed) else { return Ok(None) };
    let name = want.name_any();
    anyhow::ensure!(!name.is_empty(), "seed {} has no uid yet", seed.name_any());
    let api: Api<BackupBucket> = Api::all(client.clone());
    let current = match api.get_opt(&name).await? {
        None => api.create(&PostParams::default(), &want).await?,
        Some(mut cur) if cur.spec != want.spec => {
            cur.spec = want.spec.clone();
            api.replace(&name, &PostParams::default(), &cur).await?
        }
        Some(cur) => cur,
    };
    let outcome = match store::for_bucket(client, &current).await {
        Ok(config) => store::ensure_container(&config).await,
        Err(e) => Err(e),
    };
    let (state, description) = match &outcome {
        Ok(()) => ("Succeeded", "The backup bucket exists.".to_string()),
        Err(e) => ("Error", format!("{e:#}")),
    };
    // Unchanged outcome: no write (a status write is a watch event, which would reconcile again).
    let last = current.status.as_ref().and_then(|s| s.last_operation.as_ref());
    let observed = current.status.as_ref().and_then(|s| s.observed_generation);
    if last.is_some_and(|o| o.state == state && o.description == description) && observed == current.metadata.generation
    {
        return outcome.map(|()| Some(name));
    }
    let patch = json!({"status": {
        "lastOperation": {"type": "Reconcile", "state": state, "progress": if outcome.is_ok() { 100 } else { 0 },
            "description": description, "lastUpdateTime": crate::clock::now_rfc3339()},
        "lastError": if outcome.is_ok() { serde_json::Value::Null } else { json!({"description": description}) },
        "observedGeneration": current.metadata.generation,
    }});
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    outcome.map(|()| Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_is_named_after_the_seed_uid_and_copies_its_backup() {
        let mut seed: Seed = serde_json::from_value(json!({
            "metadata": {"name": "local", "uid": "7f0c"},
            "spec": {"provider": {"type": "local", "region": "local"},
                     "backup": {"provider": "local", "providerConfig": {"path": "/var/backups"}}}
        }))
        .unwrap();
        let b = desired(&seed).unwrap();
        assert_eq!(b.name_any(), "7f0c");
        assert_eq!(b.spec.provider.type_, "local");
        assert_eq!(b.spec.provider.region, "local", "defaults to the seed's region");
        assert_eq!(b.spec.seed_name.as_deref(), Some("local"));
        assert_eq!(b.spec.provider_config, Some(json!({"path": "/var/backups"})));
        seed.spec.backup = None;
        assert!(desired(&seed).is_none());
    }
}
