//! `BackupBucket`, `BackupEntry` and `ShootState`: where shoot etcd backups live and what a control plane
//! migration carries between seeds.
//!
//! A seed with backups configured owns one cluster-scoped `BackupBucket` (named after the seed's UID, as in
//! Gardener). Every shoot gets a namespaced `BackupEntry` (`<technicalID>--<shootUID>`) in its project
//! namespace: its snapshots live under that name inside the bucket, so a control plane restored on another seed
//! finds them through the entry's `spec.bucketName`. `ShootState` holds the control plane's secrets while a
//! migration is between the source and the target seed.

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{LastError, LastOperation};
use crate::macros::impl_resource;

/// Object storage of one seed for the etcd backups of the shoots it hosts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupBucket {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `BackupBucket`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: BackupBucketSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BackupBucketStatus>,
}

impl_resource!(
    BackupBucket,
    "core.gardener.cloud",
    "v1beta1",
    "BackupBucket",
    super::BACKUP_BUCKETS,
    k8s_openapi::ClusterResourceScope
);

/// Desired state of a BackupBucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupBucketSpec {
    /// Storage provider and region.
    #[serde(default)]
    pub provider: BackupBucketProvider,
    /// Provider-specific configuration (for `local`: `{"path": "<directory>"}`; for S3-compatible stores an
    /// `endpoint` may be given here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Secret with the credentials of the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_ref: Option<ObjectReference>,
    /// The seed whose gardenlet reconciles the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_name: Option<String>,
}

/// Storage provider of a BackupBucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupBucketProvider {
    /// Provider type: `local`, `aws` (S3), `gcp` (GCS), `azure`.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Region of the bucket.
    #[serde(default)]
    pub region: String,
}

/// Observed state of a BackupBucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupBucketStatus {
    /// Provider-specific status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_status: Option<serde_json::Value>,
    /// The last operation on the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// The last error, if the last operation failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// The backups of one shoot's etcd inside a BackupBucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupEntry {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `BackupEntry`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: BackupEntrySpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BackupEntryStatus>,
}

impl_resource!(
    BackupEntry,
    "core.gardener.cloud",
    "v1beta1",
    "BackupEntry",
    super::BACKUP_ENTRIES,
    k8s_openapi::NamespaceResourceScope
);

/// Desired state of a BackupEntry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupEntrySpec {
    /// The BackupBucket holding the entry (stays the same when the shoot moves to another seed).
    #[serde(default)]
    pub bucket_name: String,
    /// The seed whose gardenlet currently writes the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_name: Option<String>,
}

/// Observed state of a BackupEntry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupEntryStatus {
    /// The last operation on the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// The last error, if the last operation failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The seed that last reconciled the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_name: Option<String>,
    /// When the entry started moving to another seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_start_time: Option<Time>,
}

/// State of a shoot's control plane that has to survive a move between seeds (its secrets).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShootState {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `ShootState`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata (same name and namespace as the shoot).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The saved state.
    #[serde(default)]
    pub spec: ShootStateSpec,
}

impl_resource!(
    ShootState,
    "core.gardener.cloud",
    "v1beta1",
    "ShootState",
    super::SHOOT_STATES,
    k8s_openapi::NamespaceResourceScope
);

/// The saved state of a shoot control plane.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShootStateSpec {
    /// Data the gardenlet itself generated (certificate authorities, keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub gardener: Vec<GardenerResourceData>,
}

/// One saved item of a ShootState.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GardenerResourceData {
    /// Name of the item (e.g. the secret's name).
    #[serde(default)]
    pub name: String,
    /// Type of the item (`secret`).
    #[serde(rename = "type", default)]
    pub type_: String,
    /// The data.
    #[serde(default)]
    pub data: serde_json::Value,
    /// Labels of the item.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}
