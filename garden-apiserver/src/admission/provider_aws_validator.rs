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

use super::resource_reference_manager::{effective_profile_spec, CORE};
use super::{Attributes, Lookup, Operation, Plugin};
use crate::error::{ApiError, FieldError};

pub struct ProviderAwsValidator;

const INFRASTRUCTURE_CONFIG: &str = "spec.provider.infrastructureConfig";

impl Plugin for ProviderAwsValidator {
    fn name(&self) -> &'static str {
        "ProviderAwsValidator"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if !a.subresource.is_empty() || !matches!(a.operation, Operation::Create | Operation::Update) {
            return Ok(());
        }
        if a.is(CORE, "shoots") {
            let Some(shoot) = a.new_as::<Shoot>()? else { return Ok(()) };
            let old: Option<&Shoot> = if a.operation == Operation::Update { a.old_as()? } else { None };
            if shoot.spec.provider.type_ != PROVIDER_TYPE
                || shoot.metadata.deletion_timestamp.is_some()
                || old.is_some_and(|o| o.spec == shoot.spec)
            {
                return Ok(());
            }
            let errs = validate_shoot(shoot, old, lookup, a.namespace);
            return if errs.is_empty() { Ok(()) } else { Err(ApiError::invalid(CORE, "Shoot", a.name, &errs)) };
        }
        if a.is(CORE, "cloudprofiles") {
            let Some(profile) = a.new_as::<CloudProfile>()? else { return Ok(()) };
            if profile.spec.type_ != PROVIDER_TYPE {
                return Ok(());
            }
            let errs = match &profile.spec.provider_config {
                None => vec![FieldError::required("spec.providerConfig", "must provide a provider configuration")],
                Some(raw) => match decode::<CloudProfileConfig>(raw, "spec.providerConfig") {
                    Ok(cfg) => validate_cloud_profile_config(&cfg, &profile.spec.machine_images, "spec.providerConfig"),
                    Err(e) => vec![e],
                },
            };
            return if errs.is_empty() { Ok(()) } else { Err(ApiError::invalid(CORE, "CloudProfile", a.name, &errs)) };
        }
        Ok(())
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
    if let Some(raw) = profile.as_ref().and_then(|p| p.provider_config.as_ref()) {
        match decode::<CloudProfileConfig>(raw, "spec.providerConfig") {
            Ok(cfg) => {
                let old_workers = old.map(|o| o.spec.provider.workers.as_slice()).unwrap_or_default();
                errs.extend(validate_worker_machine_images(
                    &cfg,
                    &provider.workers,
                    old_workers,
                    &shoot.spec.region,
                    "spec.provider.workers",
                ));
            }
            Err(e) => errs.push(FieldError::invalid(
                "spec.cloudProfile",
                &serde_json::Value::Null,
                &format!("the CloudProfile's providerConfig is invalid: {}", e.message),
            )),
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::{json, Value};

    fn example(file: &str, kind: &str) -> Value {
        let path = format!("{}/../examples/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde_yaml::from_value::<Value>(serde_yaml::Value::deserialize(d).unwrap()).unwrap())
            .collect();
        docs.into_iter().find(|v| v["kind"] == kind).unwrap()
    }

    fn lookup() -> FakeLookup {
        FakeLookup::default().with(CORE, "cloudprofiles", example("cloudprofile-aws.yaml", "CloudProfile"))
    }

    fn create_shoot(shoot: Value) -> Result<(), ApiError> {
        admit(&ProviderAwsValidator, &lookup(), Operation::Create, CORE, "shoots", "", Some(shoot), None).map(|_| ())
    }

    fn refused_fields(result: Result<(), ApiError>) -> String {
        format!("{:?}", result.expect_err("refused"))
    }

    use serde::Deserialize;

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
