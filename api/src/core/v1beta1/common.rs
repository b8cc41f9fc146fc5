//! Types shared by several core kinds.

use k8s_openapi::api::autoscaling::v1::CrossVersionObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelectorRequirement, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Condition status `True`.
pub const CONDITION_TRUE: &str = "True";
/// Condition status `False`.
pub const CONDITION_FALSE: &str = "False";
/// Condition status `Unknown`.
pub const CONDITION_UNKNOWN: &str = "Unknown";
/// Condition status `Progressing`.
pub const CONDITION_PROGRESSING: &str = "Progressing";

/// Gardener's condition (has `lastUpdateTime` and `codes` unlike the kube one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type, e.g. `APIServerAvailable`.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// `True`, `False`, `Unknown` or `Progressing`.
    #[serde(default)]
    pub status: String,
    /// Last time the status changed.
    #[serde(default)]
    pub last_transition_time: Option<Time>,
    /// Last time the condition was updated.
    #[serde(default)]
    pub last_update_time: Option<Time>,
    /// Machine-readable reason.
    #[serde(default)]
    pub reason: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Well-defined error codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
}

/// Operation type `Create`.
pub const LAST_OPERATION_TYPE_CREATE: &str = "Create";
/// Operation type `Reconcile`.
pub const LAST_OPERATION_TYPE_RECONCILE: &str = "Reconcile";
/// Operation type `Delete`.
pub const LAST_OPERATION_TYPE_DELETE: &str = "Delete";
/// Operation type `Migrate`.
pub const LAST_OPERATION_TYPE_MIGRATE: &str = "Migrate";
/// Operation type `Restore`.
pub const LAST_OPERATION_TYPE_RESTORE: &str = "Restore";
/// Operation state `Processing`.
pub const LAST_OPERATION_STATE_PROCESSING: &str = "Processing";
/// Operation state `Succeeded`.
pub const LAST_OPERATION_STATE_SUCCEEDED: &str = "Succeeded";
/// Operation state `Error`.
pub const LAST_OPERATION_STATE_ERROR: &str = "Error";
/// Operation state `Failed`.
pub const LAST_OPERATION_STATE_FAILED: &str = "Failed";
/// Operation state `Pending`.
pub const LAST_OPERATION_STATE_PENDING: &str = "Pending";
/// Operation state `Aborted`.
pub const LAST_OPERATION_STATE_ABORTED: &str = "Aborted";

/// The last operation performed on an object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastOperation {
    /// Human-readable description.
    #[serde(default)]
    pub description: String,
    /// Last time the operation state changed.
    #[serde(default)]
    pub last_update_time: Option<Time>,
    /// Progress in percent (0-100).
    #[serde(default)]
    pub progress: i32,
    /// Operation state (`Processing`, `Succeeded`, `Error`, ...).
    #[serde(default)]
    pub state: String,
    /// Operation type (`Create`, `Reconcile`, `Delete`, ...).
    #[serde(rename = "type", default)]
    pub type_: String,
}

/// An error of the last operation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastError {
    /// Error description.
    #[serde(default)]
    pub description: String,
    /// ID of the task that failed.
    #[serde(rename = "taskID", default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// Well-defined error codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// When the error was last reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
}

/// Information about the Gardener instance that last operated on an object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gardener {
    /// Docker container ID of the instance.
    #[serde(default)]
    pub id: String,
    /// Name of the instance.
    #[serde(default)]
    pub name: String,
    /// Version of the instance.
    #[serde(default)]
    pub version: String,
}

/// Reference from a Shoot or NamespacedCloudProfile to a (namespaced) cloud profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudProfileReference {
    /// `CloudProfile` or `NamespacedCloudProfile`.
    #[serde(default)]
    pub kind: String,
    /// Name of the referenced profile.
    #[serde(default)]
    pub name: String,
}

/// Label selector plus provider types used to select seeds (LabelSelector is inlined).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeedSelector {
    /// Label requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
    /// Exact label matches.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// Allowed seed provider types (`*` means all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_types: Vec<String>,
}

/// A toleration of a seed taint (key with optional value).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key.
    #[serde(default)]
    pub key: String,
    /// Taint value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An extension to enable for a Shoot or Seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    /// Extension type.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Provider-specific configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Disables a globally enabled extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// A named reference to a resource in the same namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamedResourceReference {
    /// Name of the reference.
    #[serde(default)]
    pub name: String,
    /// The referenced resource.
    #[serde(default)]
    pub resource_ref: CrossVersionObjectReference,
}

/// An access restriction by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessRestriction {
    /// Name of the restriction.
    #[serde(default)]
    pub name: String,
}

/// An access restriction with options (AccessRestriction is inlined).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessRestrictionWithOptions {
    /// Name of the restriction.
    #[serde(default)]
    pub name: String,
    /// Options of the restriction.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// Backup configuration of a Seed or self-hosted control plane.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    /// Backup provider type.
    #[serde(default)]
    pub provider: String,
    /// Provider-specific configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Region of the backup bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Credentials for the backup bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_ref: Option<k8s_openapi::api::core::v1::ObjectReference>,
}

/// High-availability settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HighAvailability {
    /// Failure tolerance.
    #[serde(default)]
    pub failure_tolerance: FailureTolerance,
}

/// Failure tolerance type (`node` or `zone`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailureTolerance {
    /// `node` or `zone`.
    #[serde(rename = "type", default)]
    pub type_: String,
}

/// IP family `IPv4`.
pub const IP_FAMILY_IPV4: &str = "IPv4";
/// IP family `IPv6`.
pub const IP_FAMILY_IPV6: &str = "IPv6";
