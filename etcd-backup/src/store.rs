//! Where the backups live: a [`StoreConfig`] (YAML/JSON, Gardener's provider names) opened as an
//! [`ObjectStore`]. S3, GCS and Azure Blob go through `object_store`'s clients; `Local` is a directory.
//!
//! Credentials come, field by field, from the config itself, else from a directory of files named like the
//! keys of Gardener's backup secrets (`accessKeyID`, `secretAccessKey`, `region`, `endpoint`,
//! `serviceaccount.json`, `storageAccount`, `storageKey`), else from the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `GOOGLE_SERVICE_ACCOUNT_KEY`, `AZURE_STORAGE_ACCOUNT_NAME`,
//! `AZURE_STORAGE_ACCOUNT_KEY`; Gardener's `STORAGE_ACCOUNT` / `STORAGE_KEY` too).
//!
//! [`StoreConfig::ensure_container`] creates a missing S3 bucket (a signed `PUT /<bucket>`; object_store has
//! no bucket API) and a missing local directory; GCS buckets and Azure containers must exist.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::ObjectStore;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The object-store provider (Gardener's names; `Gcs` and `Azure` are accepted as aliases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Provider {
    /// A local directory (`container` is its path).
    Local,
    /// AWS S3 or an S3-compatible endpoint.
    S3,
    /// Google Cloud Storage.
    #[serde(rename = "GCS", alias = "Gcs", alias = "gcs")]
    Gcs,
    /// Azure Blob Storage.
    #[serde(rename = "ABS", alias = "Azure", alias = "azure")]
    Azure,
}

impl std::str::FromStr for Provider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "local" => Ok(Provider::Local),
            "s3" => Ok(Provider::S3),
            "gcs" => Ok(Provider::Gcs),
            "abs" | "azure" => Ok(Provider::Azure),
            _ => Err(format!("unknown storage provider {s:?} (Local, S3, GCS, ABS)")),
        }
    }
}

/// A secret string: serialized as itself, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: hand it to a client, never to a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Credentials of the store; every field is optional (see the module docs for where missing ones come from).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    /// S3 access key id (`accessKeyID`).
    #[serde(default, alias = "accessKeyID", skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// S3 secret access key (`secretAccessKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<Secret>,
    /// GCS service account key JSON (`serviceaccount.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_json: Option<Secret>,
    /// Azure storage account name (`storageAccount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account: Option<String>,
    /// Azure storage account key (`storageKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_key: Option<Secret>,
}

/// Where the backups of one etcd are stored. Read from YAML or JSON (camelCase keys), e.g.
///
/// ```yaml
/// provider: S3
/// container: my-bucket
/// prefix: shoot--dev--a/etcd-main
/// endpoint: http://127.0.0.1:5000   # optional: S3-compatible endpoint (path-style requests)
/// region: eu-central-1
/// credentialsDir: /var/run/secrets/backup   # optional: Gardener-style secret files
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreConfig {
    /// Which kind of store.
    pub provider: Provider,
    /// Bucket (S3, GCS) or container (Azure) name; for `Local` the root directory.
    pub container: String,
    /// Objects live under `<prefix>/v2/`.
    #[serde(default)]
    pub prefix: String,
    /// Endpoint override (S3-compatible stores, Azurite); `http://` is allowed only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Region (S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Inline credentials (prefer `credentialsDir`: then no secret sits in the config file).
    #[serde(default)]
    pub credentials: Credentials,
    /// A directory of Gardener-style secret files (`accessKeyID`, `secretAccessKey`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_dir: Option<PathBuf>,
}

impl StoreConfig {
    /// A local-directory store rooted at `dir`.
    pub fn local(dir: impl Into<PathBuf>, prefix: impl Into<String>) -> Self {
        StoreConfig {
            provider: Provider::Local,
            container: dir.into().display().to_string(),
            prefix: prefix.into(),
            endpoint: None,
            region: None,
            credentials: Credentials::default(),
            credentials_dir: None,
        }
    }

    /// Reads a YAML or JSON file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read store config", path, e))?;
        serde_yaml::from_str(&text).map_err(|e| Error::InvalidStoreConfig(format!("{}: {e}", path.display())))
    }

    /// Fills missing endpoint, region and credentials from `credentials_dir`, then from the environment.
    pub fn resolve(&self) -> Result<StoreConfig> {
        let mut out = self.clone();
        if let Some(dir) = &self.credentials_dir {
            let file = |name: &str| -> Result<Option<String>> {
                let path = dir.join(name);
                match std::fs::read_to_string(&path) {
                    Ok(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io("read credential file", path, e)),
                }
            };
            let c = &mut out.credentials;
            fill(&mut c.access_key_id, file("accessKeyID")?);
            fill(&mut c.secret_access_key, file("secretAccessKey")?.map(Secret));
            fill(&mut c.service_account_json, file("serviceaccount.json")?.map(Secret));
            fill(&mut c.storage_account, file("storageAccount")?);
            fill(&mut c.storage_key, file("storageKey")?.map(Secret));
            fill(&mut out.region, file("region")?);
            fill(&mut out.endpoint, file("endpoint")?);
        }
        let env = |names: &[&str]| names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()));
        let c = &mut out.credentials;
        match out.provider {
            Provider::Local => {}
            Provider::S3 => {
                fill(&mut c.access_key_id, env(&["AWS_ACCESS_KEY_ID"]));
                fill(&mut c.secret_access_key, env(&["AWS_SECRET_ACCESS_KEY"]).map(Secret));
                fill(&mut out.region, env(&["AWS_REGION", "AWS_DEFAULT_REGION"]));
            }
            Provider::Gcs => {
                fill(&mut c.service_account_json, env(&["GOOGLE_SERVICE_ACCOUNT_KEY"]).map(Secret));
            }
            Provider::Azure => {
                fill(&mut c.storage_account, env(&["AZURE_STORAGE_ACCOUNT_NAME", "STORAGE_ACCOUNT"]));
                fill(&mut c.storage_key, env(&["AZURE_STORAGE_ACCOUNT_KEY", "STORAGE_KEY"]).map(Secret));
            }
        }
        Ok(out)
    }

    /// Opens the store (after [`StoreConfig::resolve`]). For `Local` the root directory is created.
    pub fn open(&self) -> Result<Arc<dyn ObjectStore>> {
        let cfg = self.resolve()?;
        if cfg.container.is_empty() {
            return Err(Error::InvalidStoreConfig("container must not be empty".into()));
        }
        let what = format!("{:?} store {}", cfg.provider, cfg.container);
        let wrap = |e| Error::store("open", &what, e);
        let c = &cfg.credentials;
        let store: Arc<dyn ObjectStore> = match cfg.provider {
            Provider::Local => {
                std::fs::create_dir_all(&cfg.container)
                    .map_err(|e| Error::io("create store directory", &cfg.container, e))?;
                // Cleans up the staging file of an aborted upload; complete() renames atomically.
                Arc::new(LocalFileSystem::new_with_prefix(&cfg.container).map_err(wrap)?.with_automatic_cleanup(true))
            }
            Provider::S3 => Arc::new(cfg.s3()?.build().map_err(wrap)?),
            Provider::Gcs => {
                let mut b = GoogleCloudStorageBuilder::new().with_bucket_name(&cfg.container);
                if let Some(key) = &c.service_account_json {
                    b = b.with_service_account_key(key.expose());
                }
                if cfg.endpoint.is_some() {
                    return Err(Error::InvalidStoreConfig("endpoint is not supported for GCS".into()));
                }
                Arc::new(b.build().map_err(wrap)?)
            }
            Provider::Azure => {
                let mut b = MicrosoftAzureBuilder::new().with_container_name(&cfg.container);
                if let Some(account) = &c.storage_account {
                    b = b.with_account(account);
                }
                if let Some(key) = &c.storage_key {
                    b = b.with_access_key(key.expose());
                }
                if let Some(endpoint) = &cfg.endpoint {
                    b = b.with_endpoint(endpoint.clone()).with_allow_http(endpoint.starts_with("http://"));
                }
                Arc::new(b.build().map_err(wrap)?)
            }
        };
        Ok(store)
    }
}

impl StoreConfig {
    /// The S3 client's settings (after [`StoreConfig::resolve`]).
    fn s3(&self) -> Result<AmazonS3Builder> {
        let c = &self.credentials;
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&self.container)
            .with_region(self.region.as_deref().unwrap_or(DEFAULT_S3_REGION));
        match (&c.access_key_id, &c.secret_access_key) {
            (Some(id), Some(secret)) => {
                b = b.with_access_key_id(id).with_secret_access_key(secret.expose());
            }
            (None, None) => {}
            _ => {
                return Err(Error::InvalidStoreConfig(
                    "S3 needs both accessKeyID and secretAccessKey (or neither, for instance credentials)".into(),
                ))
            }
        }
        if let Some(endpoint) = &self.endpoint {
            b = b
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        Ok(b)
    }

    /// Makes the container usable and proves it with a listing: the local directory is created (by
    /// [`StoreConfig::open`]); a missing S3 bucket is created in the configured region; a GCS bucket or Azure
    /// container must already exist.
    pub async fn ensure_container(&self) -> Result<()> {
        let cfg = self.resolve()?;
        let store = cfg.open()?;
        if cfg.provider == Provider::S3 {
            cfg.create_s3_bucket_if_missing().await?;
        }
        let what = format!("{:?} store {}", cfg.provider, cfg.container);
        store.list_with_delimiter(None).await.map_err(|e| Error::store("list", &what, e))?;
        Ok(())
    }

    /// `HEAD /<bucket>`, and on a 404 `PUT /<bucket>` with the region's location constraint, both through URLs
    /// signed with the store's credentials.
    async fn create_s3_bucket_if_missing(&self) -> Result<()> {
        use object_store::signer::Signer;
        let bucket = self.container.as_str();
        let fail = |reason: String| Error::CreateBucket { bucket: bucket.to_string(), reason };
        let s3 = self.s3()?.build().map_err(|e| Error::store("open", bucket, e))?;
        let root = object_store::path::Path::from("");
        let ttl = std::time::Duration::from_secs(60);
        let http = reqwest::Client::new();
        let head = s3.signed_url(http::Method::HEAD, &root, ttl).await.map_err(|e| Error::store("sign", bucket, e))?;
        let status = http.head(head).send().await.map_err(|e| fail(e.to_string()))?.status();
        if status.is_success() {
            return Ok(());
        }
        if status != reqwest::StatusCode::NOT_FOUND {
            return Err(fail(format!("HEAD answered {status}")));
        }
        let put = s3.signed_url(http::Method::PUT, &root, ttl).await.map_err(|e| Error::store("sign", bucket, e))?;
        let region = self.region.as_deref().unwrap_or(DEFAULT_S3_REGION);
        // us-east-1 is S3's default location and must not be named.
        let body = if region == DEFAULT_S3_REGION {
            String::new()
        } else {
            format!(
                r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"#
            )
        };
        // An empty body would go without a Content-Length, which S3 requires on PUT.
        let request = http.put(put).header(reqwest::header::CONTENT_LENGTH, body.len()).body(body);
        let response = request.send().await.map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        // Another snapshotter or gardenlet may have created it a moment ago.
        if status.is_success() || text.contains("BucketAlreadyOwnedByYou") {
            tracing::info!(bucket, region, "created S3 bucket");
            return Ok(());
        }
        Err(fail(format!("PUT answered {status}: {}", text.chars().take(300).collect::<String>())))
    }
}

/// The region S3 assumes when none is configured.
const DEFAULT_S3_REGION: &str = "us-east-1";

fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_secrets() {
        let mut cfg = StoreConfig::local("/tmp/x", "p");
        cfg.provider = Provider::S3;
        cfg.credentials.access_key_id = Some("AKIDEXAMPLE".into());
        cfg.credentials.secret_access_key = Some(Secret::new("very-secret-key"));
        cfg.credentials.storage_key = Some(Secret::new("another-secret"));
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("very-secret-key"), "{shown}");
        assert!(!shown.contains("another-secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn reads_yaml_and_json_with_gardener_names() {
        let yaml = "provider: S3\ncontainer: b\nprefix: p/q\nendpoint: http://127.0.0.1:1\nregion: eu-central-1\n\
                    credentials:\n  accessKeyID: id\n  secretAccessKey: s\n";
        let cfg: StoreConfig = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(cfg.provider, Provider::S3);
        assert_eq!(cfg.credentials.access_key_id.as_deref(), Some("id"));
        assert_eq!(cfg.credentials.secret_access_key.as_ref().map(Secret::expose), Some("s"));
        let json = r#"{"provider":"ABS","container":"c","credentialsDir":"/x"}"#;
        let cfg: StoreConfig = serde_yaml::from_str(json).unwrap();
        assert_eq!(cfg.provider, Provider::Azure);
        assert_eq!(cfg.credentials_dir.as_deref(), Some(Path::new("/x")));
        assert!(serde_yaml::from_str::<StoreConfig>("provider: S3\ncontainer: b\nbogus: 1\n").is_err());
    }

    #[test]
    fn credentials_come_from_gardener_secret_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("accessKeyID"), "id-from-file\n").unwrap();
        std::fs::write(dir.path().join("secretAccessKey"), "secret-from-file").unwrap();
        std::fs::write(dir.path().join("region"), "eu-west-1").unwrap();
        let mut cfg = StoreConfig::local("/tmp/x", "");
        cfg.provider = Provider::S3;
        cfg.credentials_dir = Some(dir.path().to_path_buf());
        cfg.region = Some("explicit".into());
        let resolved = cfg.resolve().unwrap();
        assert_eq!(resolved.credentials.access_key_id.as_deref(), Some("id-from-file"));
        assert_eq!(resolved.credentials.secret_access_key.unwrap().expose(), "secret-from-file");
        assert_eq!(resolved.region.as_deref(), Some("explicit"), "explicit config wins over files");
    }
}
