//! Each refusal rule with its field path and message; the fixtures' Gardener-style manifests pass.

use serde_json::Value;

use super::super::fixtures::*;
use super::super::*;
use super::*;
use crate::field::FieldError;
use crate::provider::validation::testing::{assert_lines, lines};

mod cloudprofile;
mod infrastructure;
mod worker;

const INFRA: &str = "spec.provider.infrastructureConfig";
const ZONES: &str = "spec.provider.infrastructureConfig.networks.zones";

fn region_zones() -> Vec<String> {
    ["eu-central-1a", "eu-central-1b", "eu-central-1c"].map(String::from).to_vec()
}

fn infra() -> InfrastructureConfig {
    serde_json::from_value(infrastructure_config_manifest()).unwrap()
}

/// Validates an infrastructure config for a shoot in the fixture profile's `eu-central-1`.
fn infra_errs(cfg: &InfrastructureConfig, nodes: Option<&str>) -> Vec<FieldError> {
    validate_infrastructure_config(cfg, nodes, &region_zones(), INFRA)
}

fn with_zones(zones: Value) -> InfrastructureConfig {
    let mut v = infrastructure_config_manifest();
    v["networks"]["zones"] = zones;
    serde_json::from_value(v).unwrap()
}

#[test]
fn documented_shoot_payloads_are_valid() {
    let shoot = fixtures::shoot();
    let provider = &shoot.spec.provider;
    let infra: InfrastructureConfig = decode(provider.infrastructure_config.as_ref().unwrap(), INFRA).unwrap();
    let nodes = shoot.spec.networking.as_ref().and_then(|n| n.nodes.as_deref());
    assert_eq!(nodes, Some("10.250.0.0/16"));
    assert_lines(&validate_infrastructure_config(&infra, nodes, &region_zones(), INFRA), &[]);

    let cp: ControlPlaneConfig = decode(provider.control_plane_config.as_ref().unwrap(), "x").unwrap();
    assert_lines(&validate_control_plane_config(&cp, "spec.provider.controlPlaneConfig"), &[]);

    let pool = &provider.workers[0];
    let path = "spec.provider.workers[0].providerConfig";
    let worker: WorkerConfig = decode(pool.provider_config.as_ref().unwrap(), path).unwrap();
    assert_lines(&validate_worker_config(&worker, path), &[]);
    assert_lines(&validate_worker_config_against_pool(&worker, pool, path), &[]);

    let profile = cloud_profile();
    let cfg: CloudProfileConfig =
        decode(profile.spec.provider_config.as_ref().unwrap(), "spec.providerConfig").unwrap();
    assert_lines(&validate_cloud_profile_config(&cfg, &profile.spec.machine_images, "spec.providerConfig"), &[]);
    assert_lines(
        &validate_worker_machine_images(&cfg, &provider.workers, &[], &shoot.spec.region, "spec.provider.workers"),
        &[],
    );
}
