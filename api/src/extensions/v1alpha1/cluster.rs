//! `Cluster`: what an extension needs to know about a shoot beyond its extension resource, written by the
//! gardenlet (cluster-scoped, named after the shoot's seed namespace): the Shoot, its CloudProfile and the
//! Seed, as they were at the last reconcile.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::macros::impl_resource;

/// A shoot as extensions see it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// `extensions.gardener.cloud/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `Cluster`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The shoot, its profile and its seed.
    #[serde(default)]
    pub spec: ClusterSpec,
}

impl_resource!(
    Cluster,
    "extensions.gardener.cloud",
    "v1alpha1",
    "Cluster",
    super::CLUSTERS,
    k8s_openapi::ClusterResourceScope
);

impl Cluster {
    /// The shoot's CloudProfile, decoded.
    pub fn cloud_profile(&self) -> Result<crate::core::v1beta1::CloudProfile, serde_json::Error> {
        serde_json::from_value(self.spec.cloud_profile.clone())
    }
}

/// The raw objects (Gardener keeps them as `runtime.RawExtension`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    /// The CloudProfile of the shoot.
    #[serde(default)]
    pub cloud_profile: serde_json::Value,
    /// The Seed the shoot runs on.
    #[serde(default)]
    pub seed: serde_json::Value,
    /// The Shoot.
    #[serde(default)]
    pub shoot: serde_json::Value,
}
