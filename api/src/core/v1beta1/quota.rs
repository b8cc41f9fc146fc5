//! The `Quota` kind: resource limits for projects or secrets.

use crate::macros::impl_resource;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Limits on cluster lifetime and resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `Quota`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The limits.
    #[serde(default)]
    pub spec: QuotaSpec,
}

impl_resource!(Quota, "core.gardener.cloud", "v1beta1", "Quota", super::QUOTAS, k8s_openapi::NamespaceResourceScope);

/// Limits of a Quota.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaSpec {
    /// Max lifetime of clusters in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_lifetime_days: Option<i32>,
    /// Resource name to limit.
    #[serde(default)]
    pub metrics: BTreeMap<String, Quantity>,
    /// `Project` (core.gardener.cloud/v1beta1) or `Secret` (v1).
    #[serde(default)]
    pub scope: ObjectReference,
}
