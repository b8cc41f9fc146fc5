//! From a `BackupBucket` (provider, region, providerConfig, credentials Secret) to the store configuration
//! of the `etcd-backup` snapshotter, plus the two store operations the gardenlet itself needs.
//!
//! | bucket `spec.provider.type` | store | container |
//! |---|---|---|
//! | `local` | a directory | `<providerConfig.path>/<bucket name>` |
//! | `aws` | S3 (`providerConfig.endpoint` for S3-compatible stores) | the bucket name |
//! | `gcp` | Google Cloud Storage | the bucket name |
//! | `azure` | Azure Blob Storage | the bucket name |
//!
//! The credentials Secret uses Gardener's keys (`accessKeyID`, `secretAccessKey`, `serviceaccount.json`,
//! `storageAccount`, `storageKey`; `endpoint` and `region` may override the bucket's).

use std::path::Path;

use etcd_backup::store::{Credentials, Provider, Secret as StoreSecret, StoreConfig};
use futures::TryStreamExt;
use garden_api::core::v1beta1::BackupBucket;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, ResourceExt};
use object_store::path::Path as ObjectPath;

/// The store of `bucket` (prefix empty), with the credentials inline.
pub async fn for_bucket(client: &Client, bucket: &BackupBucket) -> anyhow::Result<StoreConfig> {
    let config = bucket.spec.provider_config.as_ref();
    let text = |key: &str| config.and_then(|c| c.get(key)).and_then(|v| v.as_str()).map(str::to_string);
    let name = bucket.name_any();
    let provider = match bucket.spec.provider.type_.as_str() {
        "local" => Provider::Local,
        "aws" => Provider::S3,
        "gcp" => Provider::Gcs,
        "azure" => Provider::Azure,
        other => {
            anyhow::bail!("backup bucket {name}: provider type {other:?} is not supported (local, aws, gcp, azure)")
        }
    };
    let container = match provider {
        Provider::Local => {
            let root = text("path").ok_or_else(|| {
                anyhow::anyhow!("backup bucket {name}: a local bucket needs providerConfig.path (a directory)")
            })?;
            anyhow::ensure!(
                Path::new(&root).is_absolute(),
                "backup bucket {name}: providerConfig.path must be absolute"
            );
            Path::new(&root).join(&name).display().to_string()
        }
        _ => name.clone(),
    };
    let mut store = StoreConfig::local("", "");
    store.provider = provider;
    store.container = container;
    store.region = Some(bucket.spec.provider.region.clone()).filter(|r| !r.is_empty() && provider == Provider::S3);
    store.endpoint = text("endpoint");
    if let Some(r) = &bucket.spec.credentials_ref {
        let ns = r.namespace.clone().unwrap_or_else(|| "garden".into());
        let secret_name = r.name.clone().unwrap_or_default();
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
        let secret = secrets.get_opt(&secret_name).await?.ok_or_else(|| {
            anyhow::anyhow!("backup bucket {name}: credentials secret {ns}/{secret_name} does not exist")
        })?;
        let data = secret.data.unwrap_or_default();
        let get =
            |key: &str| data.get(key).and_then(|b| String::from_utf8(b.0.clone()).ok()).map(|s| s.trim().to_string());
        store.credentials = Credentials {
            access_key_id: get("accessKeyID"),
            secret_access_key: get("secretAccessKey").map(StoreSecret::new),
            service_account_json: get("serviceaccount.json").map(StoreSecret::new),
            storage_account: get("storageAccount"),
            storage_key: get("storageKey").map(StoreSecret::new),
        };
        if let Some(e) = get("endpoint") {
            store.endpoint = Some(e);
        }
        if let Some(r) = get("region") {
            store.region = Some(r);
        }
    }
    Ok(store)
}

/// Makes sure the store answers: a local directory or a missing S3 bucket is created; a GCS bucket or Azure
/// container must exist. A listing proves it.
pub async fn ensure_container(config: &StoreConfig) -> anyhow::Result<()> {
    config
        .ensure_container()
        .await
        .map_err(|e| anyhow::anyhow!("backup store {:?} {} is not usable: {e}", config.provider, config.container))
}

/// Deletes every object under the config's prefix; returns how many.
pub async fn delete_prefix(config: &StoreConfig) -> anyhow::Result<usize> {
    anyhow::ensure!(!config.prefix.is_empty(), "refusing to delete a whole backup bucket");
    let store = config.open()?;
    let prefix = ObjectPath::from(config.prefix.as_str());
    let objects: Vec<_> = store.list(Some(&prefix)).try_collect().await?;
    for o in &objects {
        store.delete(&o.location).await?;
    }
    Ok(objects.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_store_lives_under_the_configured_path_and_prefix_deletion_is_scoped() {
        let root = std::env::temp_dir().join(format!("gardenlet-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let bucket: BackupBucket = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "b1"},
            "spec": {"provider": {"type": "local", "region": "local"}, "providerConfig": {"path": root.display().to_string()}}
        }))
        .unwrap();
        // No credentials: no API call happens, any client works.
        let client =
            component_base::client_from_config(kube::Config::new("http://127.0.0.1:1".parse().unwrap())).unwrap();
        let mut config = for_bucket(&client, &bucket).await.unwrap();
        assert_eq!(config.provider, Provider::Local);
        assert_eq!(config.container, root.join("b1").display().to_string());
        ensure_container(&config).await.unwrap();
        let store = config.open().unwrap();
        for key in ["a/etcd-main/v2/Full-1", "a/etcd-main/v2/Incr-2", "ab/etcd-main/v2/Full-1"] {
            store.put(&ObjectPath::from(key), bytes::Bytes::from_static(b"x").into()).await.unwrap();
        }
        config.prefix = "a/etcd-main".into();
        assert_eq!(delete_prefix(&config).await.unwrap(), 2);
        let left: Vec<_> = store.list(None).try_collect().await.unwrap();
        assert_eq!(left.len(), 1, "only the other entry's object is left");
        config.prefix.clear();
        assert!(delete_prefix(&config).await.is_err());

        let mut bad = bucket.clone();
        bad.spec.provider_config = None;
        assert!(format!("{:#}", for_bucket(&client, &bad).await.unwrap_err()).contains("providerConfig.path"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
