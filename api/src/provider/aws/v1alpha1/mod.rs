//! `aws.provider.extensions.gardener.cloud/v1alpha1` kinds: `InfrastructureConfig` / `InfrastructureStatus`,
//! `ControlPlaneConfig`, `WorkerConfig` / `WorkerStatus` and `CloudProfileConfig`.
//!
//! JSON names, shapes and optionality follow gardener/gardener-extension-provider-aws's `pkg/apis/aws/v1alpha1`,
//! so manifests written for Gardener decode here and round-trip unchanged. None of these kinds is an API
//! resource: they travel inside Gardener's kinds, hence `apiVersion`/`kind` are omitted when empty (Go's
//! `TypeMeta` is `omitempty`) and [`decode`] checks them.

pub mod cloudprofile;
pub mod controlplane;
pub mod infrastructure;
pub mod validation;
pub mod worker;

pub use cloudprofile::*;
pub use controlplane::*;
pub use infrastructure::*;
pub use worker::*;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::field::FieldError;

/// API group of this version.
pub const GROUP: &str = "aws.provider.extensions.gardener.cloud";
/// Version name.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of kinds in this version.
pub const API_VERSION: &str = "aws.provider.extensions.gardener.cloud/v1alpha1";
/// The provider type (`spec.provider.type`) of AWS shoots, seeds and cloud profiles.
pub const PROVIDER_TYPE: &str = "aws";

/// Purpose of the resources the worker nodes use (subnets, security group, instance profile, role).
pub const PURPOSE_NODES: &str = "nodes";
/// Purpose of the subnets of public load balancers.
pub const PURPOSE_PUBLIC: &str = "public";
/// Purpose of the subnets of internal load balancers.
pub const PURPOSE_INTERNAL: &str = "internal";

/// `httpTokens`: only IMDSv2 (session tokens) may reach the instance metadata.
pub const HTTP_TOKENS_REQUIRED: &str = "required";
/// `httpTokens`: IMDSv1 and IMDSv2 may both reach the instance metadata.
pub const HTTP_TOKENS_OPTIONAL: &str = "optional";

/// EBS volume type `io1` (provisioned IOPS: `iops` is required).
pub const VOLUME_TYPE_IO1: &str = "io1";
/// EBS volume type `gp2`.
pub const VOLUME_TYPE_GP2: &str = "gp2";
/// EBS volume type `gp3`.
pub const VOLUME_TYPE_GP3: &str = "gp3";

/// A kind of this version: what [`decode`] and [`encode`] need to know about it.
pub trait ProviderKind: Serialize + DeserializeOwned {
    /// The `kind` value.
    const KIND: &'static str;
    /// Sets `apiVersion` and `kind` to this version's and this kind's values.
    fn ensure_type_meta(&mut self);
}

/// Implements [`ProviderKind`] for a struct with `api_version` and `kind` fields, the kind being the type's name.
macro_rules! impl_provider_kind {
    ($ty:ident) => {
        impl $crate::provider::aws::v1alpha1::ProviderKind for $ty {
            const KIND: &'static str = stringify!($ty);

            fn ensure_type_meta(&mut self) {
                self.api_version = $crate::provider::aws::v1alpha1::API_VERSION.to_string();
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
    for (field, expected) in [("apiVersion", API_VERSION), ("kind", T::KIND)] {
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

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod roundtrip_tests;
