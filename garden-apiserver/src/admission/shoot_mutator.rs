//! ShootMutator: defaults a Shoot from the objects it references, on create and update of the main resource.
//!
//! - `gardener.cloud/created-by` = the requesting user on create;
//! - from the (effective, NamespacedCloudProfile-aware) CloudProfile: `major.minor` Kubernetes versions expanded
//!   to the latest supported patch, worker architectures and machine images (name/version) defaulted;
//! - from the Seed (when `spec.seedName` is set and the seed exists): pod/service networks from its
//!   `networks.shootDefaults`.
//!
//! A missing profile or seed leaves the shoot as is (ResourceReferenceManager refuses the request). Nothing is
//! defaulted from the profile for shoots being deleted.

use garden_api::constants::ANNOTATION_CREATED_BY;
use garden_api::core::v1beta1::defaults::{default_shoot_from_cloudprofile, default_shoot_networks_from_seed};
use garden_api::core::v1beta1::{Seed, Shoot};
use k8s_openapi::jiff::Timestamp;

use super::resource_reference_manager::{effective_profile_spec, CORE};
use api_machinery::admission::decode;
use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::ApiError;

pub struct ShootMutator;

impl Plugin for ShootMutator {
    fn name(&self) -> &'static str {
        "ShootMutator"
    }

    fn mutate(&self, a: &mut Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if !a.is(CORE, "shoots") || !a.subresource.is_empty() {
            return Ok(());
        }
        if !matches!(a.operation, Operation::Create | Operation::Update) {
            return Ok(());
        }
        let old: Option<Shoot> = match a.old {
            Some(o) if a.operation == Operation::Update => Some(decode(o)?),
            _ => None,
        };
        let (operation, namespace, name) = (a.operation, a.namespace, a.name);
        let user = a.user.name.clone();
        let Some(obj) = a.obj.as_deref_mut() else { return Ok(()) };
        let original: Shoot = decode(obj)?;
        let mut shoot = original.clone();

        if operation == Operation::Create {
            shoot.metadata.annotations.get_or_insert_with(Default::default).insert(ANNOTATION_CREATED_BY.into(), user);
        }

        if shoot.metadata.deletion_timestamp.is_none() {
            if let Some(profile) = effective_profile_spec(lookup, namespace, &shoot.spec) {
                let errs = default_shoot_from_cloudprofile(&mut shoot, old.as_ref(), &profile, Timestamp::now());
                if !errs.is_empty() {
                    return Err(ApiError::invalid(CORE, "Shoot", name, &errs));
                }
            }
            let seed_name = shoot.spec.seed_name.clone().filter(|s| !s.is_empty());
            if let Some(seed) = seed_name.and_then(|s| lookup.get(CORE, "seeds", "", &s)) {
                if let Ok(seed) = serde_json::from_value::<Seed>((*seed).clone()) {
                    default_shoot_networks_from_seed(&mut shoot, &seed.spec);
                }
            }
        }

        if shoot != original {
            *obj = serde_json::to_value(&shoot).map_err(|e| ApiError::internal(e.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::{json, Value};

    fn lookup() -> FakeLookup {
        FakeLookup::default().with(
            CORE,
            "cloudprofiles",
            json!({"metadata": {"name": "local"}, "spec": {
                "type": "local",
                "kubernetes": {"versions": [
                    {"version": "1.34.0", "classification": "preview"},
                    {"version": "1.33.4"}, {"version": "1.33.3"}, {"version": "1.32.9"}
                ]},
                "machineImages": [{"name": "local", "versions": [
                    {"version": "1.2.0", "classification": "preview"}, {"version": "1.1.0"}, {"version": "1.0.0"}
                ]}],
                "machineTypes": [{"name": "small", "cpu": "1", "gpu": "0", "memory": "2Gi", "architecture": "amd64"}],
                "regions": [{"name": "local"}]
            }}),
        )
    }

    fn shoot(version: &str) -> Value {
        json!({
            "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": "s1", "namespace": "garden-dev"},
            "spec": {
                "cloudProfile": {"kind": "CloudProfile", "name": "local"}, "region": "local",
                "provider": {"type": "local", "workers": [{"name": "w", "minimum": 1, "maximum": 2, "machine": {"type": "small"}}]},
                "kubernetes": {"version": version}
            }
        })
    }

    #[test]
    fn expands_versions_and_defaults_images_on_create() {
        let out = admit(&ShootMutator, &lookup(), Operation::Create, CORE, "shoots", "", Some(shoot("1.33")), None)
            .unwrap()
            .unwrap();
        assert_eq!(out["spec"]["kubernetes"]["version"], "1.33.4");
        assert_eq!(
            out["spec"]["provider"]["workers"][0]["machine"]["image"],
            json!({"name": "local", "version": "1.1.0"})
        );
        assert_eq!(out["spec"]["provider"]["workers"][0]["machine"]["architecture"], "amd64");
        assert_eq!(out["metadata"]["annotations"]["gardener.cloud/created-by"], "alice");
    }

    #[test]
    fn unknown_minor_is_invalid() {
        let e = admit(&ShootMutator, &lookup(), Operation::Create, CORE, "shoots", "", Some(shoot("1.20")), None)
            .unwrap_err();
        assert_eq!(e.code, 422);
        assert!(e.message.contains("spec.kubernetes.version"), "{e}");
    }

    #[test]
    fn update_keeps_images_and_creator() {
        let mut old = shoot("1.33.3");
        old["metadata"]["annotations"] = json!({"gardener.cloud/created-by": "bob"});
        old["spec"]["provider"]["workers"][0]["machine"]["image"] = json!({"name": "local", "version": "1.0.0"});
        let mut new = old.clone();
        new["spec"]["kubernetes"]["version"] = json!("1.33");
        new["spec"]["provider"]["workers"][0]["machine"]["image"] = Value::Null;
        let out = admit(&ShootMutator, &lookup(), Operation::Update, CORE, "shoots", "", Some(new), Some(old))
            .unwrap()
            .unwrap();
        assert_eq!(out["spec"]["kubernetes"]["version"], "1.33.4");
        assert_eq!(out["spec"]["provider"]["workers"][0]["machine"]["image"]["version"], "1.0.0");
        assert_eq!(out["metadata"]["annotations"]["gardener.cloud/created-by"], "bob");
    }

    #[test]
    fn missing_profile_leaves_shoot_alone() {
        let mut s = shoot("1.33");
        s["spec"]["cloudProfile"]["name"] = json!("nope");
        let out =
            admit(&ShootMutator, &lookup(), Operation::Create, CORE, "shoots", "", Some(s), None).unwrap().unwrap();
        assert_eq!(out["spec"]["kubernetes"]["version"], "1.33");
    }
}
