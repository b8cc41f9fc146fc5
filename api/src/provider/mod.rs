//! Provider extension APIs (`<provider>.provider.extensions.gardener.cloud`): the payloads of the
//! `providerConfig` / `providerStatus` fields that Gardener's own kinds carry as opaque JSON
//! (`Shoot.spec.provider.infrastructureConfig`, `CloudProfile.spec.providerConfig`, `Infrastructure.status.providerStatus`,
//! ...), with their validation.
//!
//! Architecture invariant: wire types and pure checks only, no cloud SDK. The API server's admission decodes and
//! validates these payloads; the provider extension crates (which hold the SDKs) decode them to act on them.
//!
//! What every provider's versions share lives here: the [`ProviderKind`] trait with [`decode`] / [`encode`], the
//! `extensions.gardener.cloud` [`NodeTemplate`] that worker configurations embed, and (in [`validation`]) the
//! string formats and node template rules.

pub mod aws;
pub mod openstack;
pub mod validation;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::field::FieldError;

/// A kind of a provider API version: what [`decode`] and [`encode`] need to know about it.
pub trait ProviderKind: Serialize + DeserializeOwned {
    /// The `apiVersion` value, e.g. `aws.provider.extensions.gardener.cloud/v1alpha1`.
    const API_VERSION: &'static str;
    /// The `kind` value.
    const KIND: &'static str;
    /// Sets `apiVersion` and `kind` to [`Self::API_VERSION`] and [`Self::KIND`].
    fn ensure_type_meta(&mut self);
}

/// Implements [`ProviderKind`] for a struct with `api_version` and `kind` fields, the kind being the type's name and
/// `$api_version` the version's `apiVersion` constant. Each version module wraps it in a one-argument
/// `impl_provider_kind!`.
macro_rules! impl_provider_kind {
    ($api_version:path, $ty:ident) => {
        impl $crate::provider::ProviderKind for $ty {
            const API_VERSION: &'static str = $api_version;
            const KIND: &'static str = stringify!($ty);

            fn ensure_type_meta(&mut self) {
                self.api_version = $api_version.to_string();
                self.kind = stringify!($ty).to_string();
            }
        }
    };
}
pub(crate) use impl_provider_kind;

/// Decodes a raw `providerConfig` / `providerStatus` as `T`, refusing another `apiVersion` or `kind` as Gardener's
/// decoder does. Unknown fields are ignored, as everywhere in this crate (the API server reports them).
/// `path` names the raw field in errors, e.g. `spec.provider.infrastructureConfig`.
pub fn decode<T: ProviderKind>(raw: &Value, path: &str) -> Result<T, FieldError> {
    let Value::Object(object) = raw else {
        return Err(FieldError::invalid(path, raw, "must be a JSON object"));
    };
    for (field, expected) in [("apiVersion", T::API_VERSION), ("kind", T::KIND)] {
        let field_path = format!("{path}.{field}");
        match object.get(field) {
            None | Some(Value::Null) => return Err(FieldError::required(field_path, "")),
            Some(Value::String(s)) if s == expected => {}
            Some(other) => return Err(FieldError::not_supported(field_path, other, &[expected.to_string()])),
        }
    }
    serde_json::from_value(raw.clone())
        .map_err(|e| FieldError::invalid(path, raw, &format!("failed to decode {}: {e}", T::KIND)))
}

/// The JSON of `object` with its `apiVersion` and `kind` set, ready for a `providerConfig` / `providerStatus`.
pub fn encode<T: ProviderKind + Clone>(object: &T) -> Value {
    let mut object = object.clone();
    object.ensure_type_meta();
    // Plain structs with string-keyed maps: serializing cannot fail.
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// Go writes a nil slice of a field without `omitempty` as `null`; such a field reads as empty here.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Expected node resources of a worker pool (Gardener's `extensions.gardener.cloud` `NodeTemplate`), which the
/// providers' `WorkerConfig`s embed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeTemplate {
    /// Expected capacity (`cpu`, `gpu`, `memory`, `ephemeral-storage`, extended resources); missing core
    /// resources come from the machine type.
    #[serde(default)]
    pub capacity: BTreeMap<String, Quantity>,
    /// Virtual extended resources, updated on the nodes without a rollout; whole numbers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub virtual_capacity: BTreeMap<String, Quantity>,
}
