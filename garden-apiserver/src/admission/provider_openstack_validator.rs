//! ProviderOpenstackValidator: what Gardener's OpenStack admission (gardener-extension-admission-openstack) refuses,
//! for Shoots and CloudProfiles of type `openstack`, with its field paths:
//!
//! - Shoot (with workers; workerless shoots have no infrastructure): `spec.networking.nodes` is given;
//!   `spec.provider.infrastructureConfig` is required and valid (floating pool named, workers CIDR canonical, inside
//!   the nodes network and apart from pods and services, UUIDs; on update, what may not change) and its floating
//!   pool is one the profile offers in the shoot's region to the Keystone domain of its credentials;
//!   `controlPlaneConfig` is required and valid, with a load balancer provider the profile offers in the region;
//!   every pool's `providerConfig` decodes and is valid (server group policy among the profile's); every pool's
//!   image version resolves for the shoot's region and the pool's architecture in the profile's `providerConfig`.
//!   The profile's constraints are checked on create and when the constrained value changes, so that running
//!   shoots survive a tightened profile;
//! - CloudProfile: `spec.providerConfig` is required, decodes, is valid (constraints, Keystone endpoints) and maps
//!   every image version of the profile.
//!
//! The generic checks (region, zones, machine types and images against the profile) are ShootValidator's.

use base64::Engine;
use garden_api::core::v1beta1::{CloudProfile, Shoot, ShootSpec};
use garden_api::provider::openstack::v1alpha1::validation::{
    validate_cloud_profile_config, validate_control_plane_config, validate_control_plane_config_against_cloud_profile,
    validate_infrastructure_config, validate_infrastructure_config_against_cloud_profile,
    validate_infrastructure_config_update, validate_worker_config, validate_worker_machine_images,
};
use garden_api::provider::openstack::v1alpha1::{
    decode, CloudProfileConfig, ControlPlaneConfig, InfrastructureConfig, WorkerConfig, PROVIDER_TYPE,
};
use garden_api::provider::ProviderKind;
use serde_json::Value;

use super::provider_validation::{self, profile_config, ProviderValidation};
use super::resource_reference_manager::{effective_profile_spec, CORE, SECURITY};
use api_machinery::admission::{Attributes, Lookup, Plugin};
use api_machinery::error::{ApiError, FieldError};

pub struct ProviderOpenstackValidator;

const INFRASTRUCTURE_CONFIG: &str = "spec.provider.infrastructureConfig";
const CONTROL_PLANE_CONFIG: &str = "spec.provider.controlPlaneConfig";

impl Plugin for ProviderOpenstackValidator {
    fn name(&self) -> &'static str {
        "ProviderOpenstackValidator"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        provider_validation::validate::<Self>(a, lookup)
    }
}

impl ProviderValidation for ProviderOpenstackValidator {
    const PROVIDER_TYPE: &'static str = PROVIDER_TYPE;
    type CloudProfileConfig = CloudProfileConfig;

    fn validate_shoot(shoot: &Shoot, old: Option<&Shoot>, lookup: &dyn Lookup, namespace: &str) -> Vec<FieldError> {
        if shoot.spec.provider.workers.is_empty() {
            return Vec::new();
        }
        let mut errs = Vec::new();
        let profile = effective_profile_spec(lookup, namespace, &shoot.spec);
        let profile_cfg = profile_config::<CloudProfileConfig>(profile.as_deref()).unwrap_or_else(|e| {
            errs.push(e);
            None
        });
        let region = shoot.spec.region.as_str();
        let old_provider = old.map(|o| &o.spec.provider);

        let infra = required_payload::<InfrastructureConfig>(
            shoot.spec.provider.infrastructure_config.as_ref(),
            INFRASTRUCTURE_CONFIG,
            &mut errs,
        );
        if let Some(cfg) = &infra {
            let networking = shoot.spec.networking.as_ref();
            if networking.is_some_and(|n| n.nodes.is_none()) {
                errs.push(FieldError::required(
                    "spec.networking.nodes",
                    "a nodes CIDR must be provided for OpenStack shoots",
                ));
            }
            errs.extend(validate_infrastructure_config(cfg, networking, INFRASTRUCTURE_CONFIG));
            let old_cfg = stored_payload::<InfrastructureConfig>(
                old_provider.and_then(|p| p.infrastructure_config.as_ref()),
                INFRASTRUCTURE_CONFIG,
            );
            if let Some(old_cfg) = &old_cfg {
                errs.extend(validate_infrastructure_config_update(old_cfg, cfg, INFRASTRUCTURE_CONFIG));
            }
            let pool_changed = old_cfg.as_ref().is_none_or(|o| o.floating_pool_name != cfg.floating_pool_name);
            if let Some(profile_cfg) = profile_cfg.as_ref().filter(|_| pool_changed) {
                let domain = credentials_domain(lookup, namespace, &shoot.spec);
                errs.extend(validate_infrastructure_config_against_cloud_profile(
                    old_cfg.as_ref(),
                    cfg,
                    profile_cfg,
                    region,
                    domain.as_deref(),
                    INFRASTRUCTURE_CONFIG,
                ));
            }
        }

        let control_plane = required_payload::<ControlPlaneConfig>(
            shoot.spec.provider.control_plane_config.as_ref(),
            CONTROL_PLANE_CONFIG,
            &mut errs,
        );
        if let Some(cfg) = &control_plane {
            errs.extend(validate_control_plane_config(cfg, infra.as_ref(), CONTROL_PLANE_CONFIG));
            if let Some(profile_cfg) = &profile_cfg {
                let old_cfg = stored_payload::<ControlPlaneConfig>(
                    old_provider.and_then(|p| p.control_plane_config.as_ref()),
                    CONTROL_PLANE_CONFIG,
                );
                errs.extend(validate_control_plane_config_against_cloud_profile(
                    old_cfg.as_ref(),
                    cfg,
                    profile_cfg,
                    region,
                    CONTROL_PLANE_CONFIG,
                ));
            }
        }

        let policies = profile_cfg.as_ref().map(|c| c.server_group_policies.as_slice()).unwrap_or_default();
        for (i, pool) in shoot.spec.provider.workers.iter().enumerate() {
            let Some(raw) = &pool.provider_config else { continue };
            let path = format!("spec.provider.workers[{i}].providerConfig");
            match decode::<WorkerConfig>(raw, &path) {
                Ok(cfg) => errs.extend(validate_worker_config(&cfg, pool, policies, &path)),
                Err(e) => errs.push(e),
            }
        }
        if let Some(profile_cfg) = &profile_cfg {
            let old_workers = old_provider.map(|p| p.workers.as_slice()).unwrap_or_default();
            errs.extend(validate_worker_machine_images(
                profile_cfg,
                &shoot.spec.provider.workers,
                old_workers,
                region,
                "spec.provider.workers",
            ));
        }
        errs
    }

    fn validate_cloud_profile_config(cfg: &CloudProfileConfig, profile: &CloudProfile) -> Vec<FieldError> {
        validate_cloud_profile_config(cfg, &profile.spec.machine_images, "spec.providerConfig")
    }
}

/// A payload the shoot must carry at `path`, decoded; its absence or decoding error goes to `errs`.
fn required_payload<T: ProviderKind>(raw: Option<&Value>, path: &str, errs: &mut Vec<FieldError>) -> Option<T> {
    let Some(raw) = raw else {
        let field = path.rsplit('.').next().unwrap_or(path);
        errs.push(FieldError::required(path, &format!("{field} must be set for OpenStack shoots")));
        return None;
    };
    decode::<T>(raw, path).map_err(|e| errs.push(e)).ok()
}

/// A payload of the stored shoot, decoded when it does (the stored object passed admission once; a payload that no
/// longer decodes compares as absent).
fn stored_payload<T: ProviderKind>(raw: Option<&Value>, path: &str) -> Option<T> {
    raw.and_then(|raw| decode::<T>(raw, path).ok())
}

/// The Keystone domain of the shoot's credentials (`domainName` of the Secret its CredentialsBinding or
/// SecretBinding refers to), which selects the domain's floating pools; `None` when any of them cannot be read.
fn credentials_domain(lookup: &dyn Lookup, namespace: &str, spec: &ShootSpec) -> Option<String> {
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let text = |v: &Value, field: &str| v.get(field).and_then(Value::as_str).map(str::to_string);
    let reference = if let Some(name) = non_empty(&spec.credentials_binding_name) {
        let binding = lookup.get(SECURITY, "credentialsbindings", namespace, &name)?;
        let reference = binding.get("credentialsRef")?.clone();
        if text(&reference, "apiVersion")? != "v1" || text(&reference, "kind")? != "Secret" {
            return None;
        }
        reference
    } else {
        let binding = lookup.get(CORE, "secretbindings", namespace, &non_empty(&spec.secret_binding_name)?)?;
        binding.get("secretRef")?.clone()
    };
    let secret_namespace = text(&reference, "namespace").filter(|s| !s.is_empty());
    let secret_namespace = secret_namespace.as_deref().unwrap_or(namespace);
    let secret = lookup.get("", "secrets", secret_namespace, &text(&reference, "name")?)?;
    let encoded = secret.pointer("/data/domainName")?.as_str()?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::provider_validation::testing::example;
    use crate::admission::shoot_mutator::ShootMutator;
    use crate::admission::shoot_validator::ShootValidator;
    use crate::admission::testing::{admit, resource, FakeLookup};
    use api_machinery::admission::Operation;
    use serde_json::json;

    const PROFILE: &str = "cloudprofile-openstack.yaml";
    const SHOOT: &str = "shoot-openstack.yaml";

    /// The example profile, and the example shoot's credentials as stored (`stringData` folded into `data`).
    fn lookup() -> FakeLookup {
        let mut secret = example(SHOOT, "Secret");
        let string_data = secret.as_object_mut().unwrap().remove("stringData").unwrap();
        let data: serde_json::Map<String, Value> = string_data
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), json!(base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap()))))
            .collect();
        secret["data"] = Value::Object(data);
        FakeLookup::default()
            .with(CORE, "cloudprofiles", example(PROFILE, "CloudProfile"))
            .with(SECURITY, "credentialsbindings", example(SHOOT, "CredentialsBinding"))
            .with("", "secrets", secret)
    }

    fn create_shoot(lookup: &FakeLookup, shoot: Value) -> Result<(), ApiError> {
        admit(&ProviderOpenstackValidator, lookup, Operation::Create, CORE, "shoots", "", Some(shoot), None).map(|_| ())
    }

    fn update_shoot(old: Value, shoot: Value) -> Result<(), ApiError> {
        admit(&ProviderOpenstackValidator, &lookup(), Operation::Update, CORE, "shoots", "", Some(shoot), Some(old))
            .map(|_| ())
    }

    fn admit_profile(profile: Value) -> Result<(), ApiError> {
        let lookup = FakeLookup::default();
        admit(&ProviderOpenstackValidator, &lookup, Operation::Create, CORE, "cloudprofiles", "", Some(profile), None)
            .map(|_| ())
    }

    /// The refusal's message, which names every refused field.
    fn refusal(result: Result<(), ApiError>) -> String {
        result.expect_err("refused").message
    }

    #[test]
    fn the_example_shoot_and_profile_are_accepted() {
        create_shoot(&lookup(), example(SHOOT, "Shoot")).unwrap();
        admit_profile(example(PROFILE, "CloudProfile")).unwrap();
        let shoot = example(SHOOT, "Shoot");
        update_shoot(shoot.clone(), shoot).unwrap();
    }

    /// `obj` decoded and defaulted as the server does with a create of `group/plural`, without unknown fields.
    fn defaulted(group: &str, plural: &str, obj: Value) -> Value {
        let rt = resource(group, plural);
        let (mut obj, unknown) = rt.codec.decode(obj).unwrap();
        assert_eq!(unknown, Vec::<String>::new(), "unknown fields of {plural}");
        rt.strategy.default(&mut obj);
        obj
    }

    /// Asserts that `obj` passes the kind's own validation.
    fn assert_valid(group: &str, plural: &str, obj: &Value) {
        assert_eq!(resource(group, plural).strategy.validate(obj, None), vec![], "{plural}");
    }

    #[test]
    fn the_examples_pass_the_generic_checks_too() {
        let profile = defaulted(CORE, "cloudprofiles", example(PROFILE, "CloudProfile"));
        assert_valid(CORE, "cloudprofiles", &profile);
        for (group, plural, kind) in
            [(SECURITY, "credentialsbindings", "CredentialsBinding"), ("", "secrets", "Secret")]
        {
            assert_valid(group, plural, &defaulted(group, plural, example(SHOOT, kind)));
        }
        let project_file = format!("{}/../examples/project-dev.yaml", env!("CARGO_MANIFEST_DIR"));
        let project: Value = serde_yaml::from_str(&std::fs::read_to_string(project_file).unwrap()).unwrap();
        let world = lookup().with(CORE, "cloudprofiles", profile).with(CORE, "projects", project);

        // As a create runs: defaulting, the mutating admission, the kind's validation, the validating admission.
        let shoot = defaulted(CORE, "shoots", example(SHOOT, "Shoot"));
        let shoot = admit(&ShootMutator, &world, Operation::Create, CORE, "shoots", "", Some(shoot), None).unwrap();
        assert_valid(CORE, "shoots", shoot.as_ref().unwrap());
        admit(&ShootValidator, &world, Operation::Create, CORE, "shoots", "", shoot.clone(), None).unwrap();
        admit(&ProviderOpenstackValidator, &world, Operation::Create, CORE, "shoots", "", shoot, None).unwrap();

        assert_eq!(example(SHOOT, "CredentialsBinding")["provider"]["type"], PROVIDER_TYPE);
        let secret = example(SHOOT, "Secret");
        for key in ["authURL", "domainName", "tenantName", "username", "password"] {
            assert!(secret["stringData"][key].is_string(), "{key}");
        }
    }

    #[test]
    fn bad_payloads_are_refused_with_their_fields() {
        let refused = |patch: &dyn Fn(&mut Value)| {
            let mut shoot = example(SHOOT, "Shoot");
            patch(&mut shoot);
            refusal(create_shoot(&lookup(), shoot))
        };
        let e =
            refused(&|s| s["spec"]["provider"]["infrastructureConfig"]["networks"]["workers"] = json!("10.251.0.0/19"));
        assert!(e.contains(r#"spec.provider.infrastructureConfig.networks.workers: Invalid value: "10.251.0.0/19": must be a subset of "spec.networking.nodes""#), "{e}");
        let e = refused(&|s| s["spec"]["provider"]["infrastructureConfig"]["floatingPoolName"] = json!("private"));
        assert!(e.contains(r#"spec.provider.infrastructureConfig.floatingPoolName: Unsupported value: "private": supported values: "public""#), "{e}");
        let e = refused(&|s| s["spec"]["provider"]["controlPlaneConfig"]["loadBalancerProvider"] = json!("f5"));
        assert!(e.contains(r#"spec.provider.controlPlaneConfig.loadBalancerProvider: Unsupported value: "f5""#), "{e}");
        let e = refused(&|s| s["spec"]["provider"]["workers"][0]["machine"]["image"]["version"] = json!("9.9.9"));
        assert!(e.contains("spec.provider.workers[0].machine.image: Invalid value"), "{e}");
        let e = refused(
            &|s| s["spec"]["provider"]["workers"][0]["providerConfig"] = json!({"apiVersion": garden_api::provider::openstack::v1alpha1::API_VERSION, "kind": "WorkerConfig", "serverGroup": {"policy": "affinity"}}),
        );
        assert!(e.contains("spec.provider.workers[0].providerConfig.serverGroup.policy"), "{e}");
        let e = refused(&|s| s["spec"]["provider"]["infrastructureConfig"] = Value::Null);
        assert!(e.contains("spec.provider.infrastructureConfig: Required value: infrastructureConfig must be set for OpenStack shoots"), "{e}");
        let e = refused(&|s| s["spec"]["provider"]["controlPlaneConfig"] = Value::Null);
        assert!(
            e.contains(
                "spec.provider.controlPlaneConfig: Required value: controlPlaneConfig must be set for OpenStack shoots"
            ),
            "{e}"
        );
        let e = refused(&|s| {
            s["spec"]["provider"]["infrastructureConfig"]["apiVersion"] =
                json!("aws.provider.extensions.gardener.cloud/v1alpha1")
        });
        assert!(e.contains("spec.provider.infrastructureConfig.apiVersion: Unsupported value"), "{e}");
        let e = refused(&|s| s["spec"]["networking"].as_object_mut().unwrap().retain(|k, _| k != "nodes"));
        assert!(e.contains("spec.networking.nodes: Required value"), "{e}");
    }

    #[test]
    fn floating_pools_follow_the_domain_of_the_credentials() {
        // A pool for the credentials' domain hides the unrestricted one; without readable credentials, domain
        // entries do not apply.
        let mut profile = example(PROFILE, "CloudProfile");
        profile["spec"]["providerConfig"]["constraints"]["floatingPools"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "domain-pool", "domain": "Default"}));
        let lookup = lookup().with(CORE, "cloudprofiles", profile);
        let e = refusal(create_shoot(&lookup, example(SHOOT, "Shoot")));
        assert!(e.contains(r#"floatingPoolName: Unsupported value: "public": supported values: "domain-pool""#), "{e}");
        let mut shoot = example(SHOOT, "Shoot");
        shoot["spec"]["provider"]["infrastructureConfig"]["floatingPoolName"] = json!("domain-pool");
        create_shoot(&lookup, shoot.clone()).unwrap();
        shoot["spec"]["credentialsBindingName"] = json!("missing");
        let e = refusal(create_shoot(&lookup, shoot));
        assert!(e.contains(r#"Unsupported value: "domain-pool": supported values: "public""#), "{e}");
    }

    #[test]
    fn updates_keep_what_is_immutable_and_tolerate_a_tightened_profile() {
        let old = example(SHOOT, "Shoot");
        let mut new = old.clone();
        new["spec"]["provider"]["infrastructureConfig"]["networks"]["workers"] = json!("10.250.32.0/19");
        let e = refusal(update_shoot(old.clone(), new));
        assert!(e.contains(r#"spec.provider.infrastructureConfig.networks.workers: Invalid value: "10.250.32.0/19": field is immutable"#), "{e}");

        // A shoot whose floating pool and load balancer provider left the profile keeps them on update.
        let mut legacy = old.clone();
        legacy["spec"]["provider"]["infrastructureConfig"]["floatingPoolName"] = json!("legacy");
        legacy["spec"]["provider"]["controlPlaneConfig"]["loadBalancerProvider"] = json!("octavia-legacy");
        let mut scaled = legacy.clone();
        scaled["spec"]["provider"]["workers"][0]["maximum"] = json!(4);
        update_shoot(legacy, scaled).unwrap();
    }

    #[test]
    fn other_providers_and_workerless_shoots_are_left_alone() {
        let mut shoot = example(SHOOT, "Shoot");
        shoot["spec"]["provider"]["type"] = json!("aws");
        shoot["spec"]["provider"]["infrastructureConfig"] = Value::Null;
        create_shoot(&lookup(), shoot).unwrap();
        let mut workerless = example(SHOOT, "Shoot");
        workerless["spec"]["provider"]["workers"] = json!([]);
        workerless["spec"]["provider"]["infrastructureConfig"] = Value::Null;
        create_shoot(&lookup(), workerless).unwrap();
    }

    #[test]
    fn a_profile_that_does_not_map_an_image_version_or_lacks_keystone_is_refused() {
        let mut profile = example(PROFILE, "CloudProfile");
        profile["spec"]["providerConfig"]["machineImages"][0]["versions"][0]["version"] = json!("1.0.0");
        let e = refusal(admit_profile(profile));
        assert!(e.contains("spec.machineImages[0].versions[0]: Required value: machine image version debian@12.0.0 is not defined in the providerConfig"), "{e}");

        let mut profile = example(PROFILE, "CloudProfile");
        profile["spec"]["providerConfig"].as_object_mut().unwrap().remove("keystoneURL");
        let e = refusal(admit_profile(profile));
        assert!(e.contains("spec.providerConfig.keystoneURL: Required value: must provide the URL to KeyStone"), "{e}");

        let mut profile = example(PROFILE, "CloudProfile");
        profile["spec"].as_object_mut().unwrap().remove("providerConfig");
        let e = refusal(admit_profile(profile));
        assert!(e.contains("spec.providerConfig: Required value"), "{e}");
    }
}
