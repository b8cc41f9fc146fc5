//! The `SecretBinding` kind (no spec: fields are top-level).

use crate::macros::impl_resource;
use k8s_openapi::api::core::v1::{ObjectReference, SecretReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Binds a secret with infrastructure credentials to shoots of a namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretBinding {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `SecretBinding`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The bound secret.
    #[serde(default)]
    pub secret_ref: SecretReference,
    /// Quotas applying to shoots using this binding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<ObjectReference>,
    /// Provider of the credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<SecretBindingProvider>,
}

impl_resource!(
    SecretBinding,
    "core.gardener.cloud",
    "v1beta1",
    "SecretBinding",
    super::SECRET_BINDINGS,
    k8s_openapi::NamespaceResourceScope
);

/// Provider of a SecretBinding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretBindingProvider {
    /// Provider type(s), comma-separated.
    #[serde(rename = "type", default)]
    pub type_: String,
}
