//! What the provider validators (ProviderAwsValidator, ProviderOpenstackValidator: Gardener's
//! `gardener-extension-admission-<provider>` webhooks) share: which writes they look at, the CloudProfile check, the
//! decoding of the shoot's profile configuration, and how findings become a refusal. Each provider says what it
//! checks through [`ProviderValidation`].

use garden_api::core::v1beta1::{CloudProfile, CloudProfileSpec, Shoot};
use garden_api::provider::{decode, ProviderKind};

use super::resource_reference_manager::CORE;
use api_machinery::admission::{Attributes, Lookup, Operation};
use api_machinery::error::{ApiError, FieldError};

/// The provider-specific part of a provider validator.
pub(crate) trait ProviderValidation {
    /// `spec.provider.type` of the Shoots and `spec.type` of the CloudProfiles it checks.
    const PROVIDER_TYPE: &'static str;
    /// The provider's `CloudProfileConfig` (`spec.providerConfig` of its CloudProfiles).
    type CloudProfileConfig: ProviderKind;

    /// The problems of `shoot`, created or updated from `old` (its spec changed, it is not being deleted).
    fn validate_shoot(shoot: &Shoot, old: Option<&Shoot>, lookup: &dyn Lookup, namespace: &str) -> Vec<FieldError>;

    /// The problems of a CloudProfile's decoded `spec.providerConfig`.
    fn validate_cloud_profile_config(cfg: &Self::CloudProfileConfig, profile: &CloudProfile) -> Vec<FieldError>;
}

/// The validating phase of a provider validator: Shoot and CloudProfile creates and updates of `V`'s provider
/// type. A CloudProfile must carry a `spec.providerConfig` that decodes and passes `V`'s check; Shoots are left to
/// `V` unless they are being deleted or an update leaves their spec as it is.
pub(crate) fn validate<V: ProviderValidation>(a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
    if !a.subresource.is_empty() || !matches!(a.operation, Operation::Create | Operation::Update) {
        return Ok(());
    }
    if a.is(CORE, "shoots") {
        let Some(shoot) = a.new_as::<Shoot>()? else { return Ok(()) };
        let old: Option<&Shoot> = if a.operation == Operation::Update { a.old_as()? } else { None };
        if shoot.spec.provider.type_ != V::PROVIDER_TYPE
            || shoot.metadata.deletion_timestamp.is_some()
            || old.is_some_and(|o| o.spec == shoot.spec)
        {
            return Ok(());
        }
        let errs = V::validate_shoot(shoot, old, lookup, a.namespace);
        return if errs.is_empty() { Ok(()) } else { Err(ApiError::invalid(CORE, "Shoot", a.name, &errs)) };
    }
    if a.is(CORE, "cloudprofiles") {
        let Some(profile) = a.new_as::<CloudProfile>()? else { return Ok(()) };
        if profile.spec.type_ != V::PROVIDER_TYPE {
            return Ok(());
        }
        let errs = match &profile.spec.provider_config {
            None => vec![FieldError::required("spec.providerConfig", "must provide a provider configuration")],
            Some(raw) => match decode::<V::CloudProfileConfig>(raw, "spec.providerConfig") {
                Ok(cfg) => V::validate_cloud_profile_config(&cfg, profile),
                Err(e) => vec![e],
            },
        };
        return if errs.is_empty() { Ok(()) } else { Err(ApiError::invalid(CORE, "CloudProfile", a.name, &errs)) };
    }
    Ok(())
}

/// The `providerConfig` of a shoot's (effective) CloudProfile, decoded: `Ok(None)` when the profile or its
/// `providerConfig` is missing (ShootValidator reports a missing profile), an error at `spec.cloudProfile` when it
/// does not decode.
pub(crate) fn profile_config<T: ProviderKind>(profile: Option<&CloudProfileSpec>) -> Result<Option<T>, FieldError> {
    let Some(raw) = profile.and_then(|p| p.provider_config.as_ref()) else { return Ok(None) };
    decode::<T>(raw, "spec.providerConfig").map(Some).map_err(|e| {
        FieldError::invalid(
            "spec.cloudProfile",
            &serde_json::Value::Null,
            &format!("the CloudProfile's providerConfig is invalid: {}", e.message),
        )
    })
}

/// Test helpers shared by the provider validators' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use serde::Deserialize;
    use serde_json::Value;

    /// The first document of kind `kind` in `examples/<file>`.
    pub(crate) fn example(file: &str, kind: &str) -> Value {
        let path = format!("{}/../examples/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde_yaml::from_value::<Value>(serde_yaml::Value::deserialize(d).unwrap()).unwrap())
            .collect();
        docs.into_iter().find(|v| v["kind"] == kind).unwrap()
    }
}
