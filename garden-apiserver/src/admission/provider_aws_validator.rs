//! ProviderAwsValidator: what Gardener's AWS admission (gardener-extension-admission-aws) refuses, for Shoots and
//! CloudProfiles of type `aws`, with its field paths:
//!
//! - Shoot: `spec.provider.infrastructureConfig` is required and valid (zones of the shoot's region in the profile,
//!   CIDRs canonical, inside the VPC and the nodes network, not overlapping; on update, what may not change);
//!   `controlPlaneConfig` and every pool's `providerConfig` decode and are valid; every pool's image version has an
//!   AMI for the shoot's region and the pool's architecture in the profile's `providerConfig`;
//! - CloudProfile: `spec.providerConfig` is required, decodes, and maps every image version of the profile.
//!
//! The generic checks (region, zones, machine types and images against the profile) are ShootValidator's.

use garden_api::core::v1beta1::{CloudProfile, Shoot};
use garden_api::provider::aws::v1alpha1::validation::{
    validate_cloud_profile_config, validate_control_plane_config, validate_infrastructure_config,
    validate_infrastructure_config_update, validate_worker_config, validate_worker_config_against_pool,
    validate_worker_machine_images,
};
use garden_api::provider::aws::v1alpha1::{
    decode, CloudProfileConfig, ControlPlaneConfig, InfrastructureConfig, WorkerConfig, PROVIDER_TYPE,
};

use super::provider_validation::{self, profile_config, ProviderValidation};
use super::resource_reference_manager::effective_profile_spec;
use api_machinery::admission::{Attributes, Lookup, Plugin};
use api_machinery::error::{ApiError, FieldError};

pub struct ProviderAwsValidator;

const INFRASTRUCTURE_CONFIG: &str = "spec.provider.infrastructureConfig";

impl Plugin for ProviderAwsValidator {
    fn name(&self) -> &'static str {
        "ProviderAwsValidator"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        provider_validation::validate::<Self>(a, lookup)
    }
}

impl ProviderValidation for ProviderAwsValidator {
    const PROVIDER_TYPE: &'static str = PROVIDER_TYPE;
    type CloudProfileConfig = CloudProfileConfig;

    fn validate_shoot(shoot: &Shoot, old: Option<&Shoot>, lookup: &dyn Lookup, namespace: &str) -> Vec<FieldError> {
        validate_shoot(shoot, old, lookup, namespace)
    }

    fn validate_cloud_profile_config(cfg: &CloudProfileConfig, profile: &CloudProfile) -> Vec<FieldError> {
        validate_cloud_profile_config(cfg, &profile.spec.machine_images, "spec.providerConfig")
    }
}

fn validate_shoot(shoot: &Shoot, old: Option<&Shoot>, lookup: &dyn Lookup, namespace: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let provider = &shoot.spec.provider;
    let profile = effective_profile_spec(lookup, namespace, &shoot.spec);
    match &provider.infrastructure_config {
        None => {
            errs.push(FieldError::required(INFRASTRUCTURE_CONFIG, "infrastructureConfig must be set for AWS shoots"))
        }
        Some(raw) => match decode::<InfrastructureConfig>(raw, INFRASTRUCTURE_CONFIG) {
            Err(e) => errs.push(e),
            Ok(cfg) => {
                let zones: Vec<String> = profile
                    .as_ref()
                    .and_then(|p| p.regions.iter().find(|r| r.name == shoot.spec.region))
                    .map(|r| r.zones.iter().map(|z| z.name.clone()).collect())
                    .unwrap_or_default();
                let nodes = shoot.spec.networking.as_ref().and_then(|n| n.nodes.as_deref());
                errs.extend(validate_infrastructure_config(&cfg, nodes, &zones, INFRASTRUCTURE_CONFIG));
                let old_cfg = old
                    .and_then(|o| o.spec.provider.infrastructure_config.as_ref())
                    .and_then(|raw| decode::<InfrastructureConfig>(raw, INFRASTRUCTURE_CONFIG).ok());
                if let Some(old_cfg) = old_cfg {
                    errs.extend(validate_infrastructure_config_update(&old_cfg, &cfg, INFRASTRUCTURE_CONFIG));
                }
            }
        },
    }
    if let Some(raw) = &provider.control_plane_config {
        let path = "spec.provider.controlPlaneConfig";
        match decode::<ControlPlaneConfig>(raw, path) {
            Ok(cfg) => errs.extend(validate_control_plane_config(&cfg, path)),
            Err(e) => errs.push(e),
        }
    }
    for (i, pool) in provider.workers.iter().enumerate() {
        let Some(raw) = &pool.provider_config else { continue };
        let path = format!("spec.provider.workers[{i}].providerConfig");
        match decode::<WorkerConfig>(raw, &path) {
            Ok(cfg) => {
                errs.extend(validate_worker_config(&cfg, &path));
                errs.extend(validate_worker_config_against_pool(&cfg, pool, &path));
            }
            Err(e) => errs.push(e),
        }
    }
    match profile_config::<CloudProfileConfig>(profile.as_deref()) {
        Ok(Some(cfg)) => {
            let old_workers = old.map(|o| o.spec.provider.workers.as_slice()).unwrap_or_default();
            errs.extend(validate_worker_machine_images(
                &cfg,
                &provider.workers,
                old_workers,
                &shoot.spec.region,
                "spec.provider.workers",
            ));
        }
        Ok(None) => {}
        Err(e) => errs.push(e),
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::provider_validation::testing::example;
    use crate::admission::resource_reference_manager::CORE;
    use crate::admission::testing::{admit, FakeLookup};
    use api_machinery::admission::Operation;
    use serde_json::{json, Value};

    fn lookup() -> FakeLookup {
        FakeLookup::default().with(CORE, "cloudprofiles", example("cloudprofile-aws.yaml", "CloudProfile"))
    }

    fn create_shoot(shoot: Value) -> Result<(), ApiError> {
        admit(&ProviderAwsValidator, &lookup(), Operation::Create, CORE, "shoots", "", Some(shoot), None).map(|_| ())
    }

    fn refused_fields(result: Result<(), ApiError>) -> String {
        format!("{:?}", result.expect_err("refused"))
    }

    #[test]
    fn gardeners_example_shoot_and_profile_are_accepted() {
        create_shoot(example("shoot-aws.yaml", "Shoot")).unwrap();
        let profile = example("cloudprofile-aws.yaml", "CloudProfile");
        admit(&ProviderAwsValidator, &lookup(), Operation::Create, CORE, "cloudprofiles", "", Some(profile), None)
            .unwrap();
    }

    #[test]
    fn zones_outside_the_profile_overlapping_cidrs_and_unmapped_images_are_refused_with_their_fields() {
        let mut shoot = example("shoot-aws.yaml", "Shoot");
        shoot["spec"]["provider"]["infrastructureConfig"]["networks"]["zones"][1]["name"] = json!("eu-west-1a");
        let e = refused_fields(create_shoot(shoot));
        assert!(e.contains("spec.provider.infrastructureConfig.networks.zones[1].name"), "{e}");

        let mut shoot = example("shoot-aws.yaml", "Shoot");
        shoot["spec"]["provider"]["infrastructureConfig"]["networks"]["zones"][1]["public"] = json!("10.250.96.0/22");
        let e = refused_fields(create_shoot(shoot));
        assert!(e.contains("spec.provider.infrastructureConfig.networks.zones[1].public"), "{e}");

        let mut shoot = example("shoot-aws.yaml", "Shoot");
        shoot["spec"]["provider"]["infrastructureConfig"]["networks"]["zones"][0]["workers"] = json!("10.251.0.0/19");
        let e = refused_fields(create_shoot(shoot));
        assert!(e.contains("spec.provider.infrastructureConfig.networks.zones[0].workers"), "{e}");

        let mut shoot = example("shoot-aws.yaml", "Shoot");
        shoot["spec"]["provider"]["workers"][0]["machine"]["image"]["version"] = json!("9.9.9");
        let e = refused_fields(create_shoot(shoot));
        assert!(e.contains("spec.provider.workers[0].machine.image"), "{e}");

        let mut shoot = example("shoot-aws.yaml", "Shoot");
        shoot["spec"]["provider"]["infrastructureConfig"] = Value::Null;
        let e = refused_fields(create_shoot(shoot));
        assert!(e.contains("spec.provider.infrastructureConfig"), "{e}");
    }

    #[test]
    fn a_profile_without_an_ami_for_an_image_version_is_refused() {
        let mut profile = example("cloudprofile-aws.yaml", "CloudProfile");
        profile["spec"]["providerConfig"]["machineImages"][0]["versions"][0]["version"] = json!("1.0.0");
        let result = admit(
            &ProviderAwsValidator,
            &FakeLookup::default(),
            Operation::Create,
            CORE,
            "cloudprofiles",
            "",
            Some(profile),
            None,
        );
        let e = format!("{:?}", result.expect_err("refused"));
        assert!(e.contains("spec.providerConfig.machineImages") || e.contains("spec.machineImages"), "{e}");
    }
}
