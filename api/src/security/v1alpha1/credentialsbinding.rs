//! The `CredentialsBinding` kind (no spec: fields are top-level).

use crate::macros::impl_resource;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Binds credentials (Secret or WorkloadIdentity) to shoots of a namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsBinding {
    /// `security.gardener.cloud/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `CredentialsBinding`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Provider of the credentials.
    #[serde(default)]
    pub provider: CredentialsBindingProvider,
    /// The bound credentials (apiVersion, kind, name, namespace).
    #[serde(default)]
    pub credentials_ref: ObjectReference,
    /// Quotas applying to shoots using this binding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<ObjectReference>,
}

impl_resource!(
    CredentialsBinding,
    "security.gardener.cloud",
    "v1alpha1",
    "CredentialsBinding",
    super::CREDENTIALS_BINDINGS,
    k8s_openapi::NamespaceResourceScope
);

/// Provider of a CredentialsBinding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsBindingProvider {
    /// Provider type.
    #[serde(rename = "type", default)]
    pub type_: String,
}
