//! Each refusal rule with its field path and message; the fixtures' Gardener-style manifests pass.

use super::super::fixtures::*;
use super::super::*;
use super::*;
use crate::core::v1beta1::Networking;
use crate::field::FieldError;
use crate::provider::validation::testing::{assert_lines, lines};

mod cloudprofile;
mod infrastructure;
mod worker;

const INFRA: &str = "spec.provider.infrastructureConfig";
const NETWORKS: &str = "spec.provider.infrastructureConfig.networks";
const CP: &str = "spec.provider.controlPlaneConfig";

fn infra() -> InfrastructureConfig {
    serde_json::from_value(infrastructure_config_manifest()).unwrap()
}

fn profile_config() -> CloudProfileConfig {
    serde_json::from_value(cloud_profile_config_manifest()).unwrap()
}

/// The fixture shoot's networking: nodes `10.250.0.0/16`, pods `100.96.0.0/11`, services `100.64.0.0/13`.
fn networking() -> Networking {
    fixtures::shoot().spec.networking.unwrap()
}

#[test]
fn documented_shoot_payloads_are_valid() {
    let shoot = fixtures::shoot();
    let provider = &shoot.spec.provider;
    let profile = profile_config();
    let infra: InfrastructureConfig = decode(provider.infrastructure_config.as_ref().unwrap(), INFRA).unwrap();
    assert_lines(&validate_infrastructure_config(&infra, shoot.spec.networking.as_ref(), INFRA), &[]);
    assert_lines(
        &validate_infrastructure_config_against_cloud_profile(None, &infra, &profile, &shoot.spec.region, None, INFRA),
        &[],
    );

    let cp: ControlPlaneConfig = decode(provider.control_plane_config.as_ref().unwrap(), CP).unwrap();
    assert_lines(&validate_control_plane_config(&cp, Some(&infra), CP), &[]);
    assert_lines(
        &validate_control_plane_config_against_cloud_profile(None, &cp, &profile, &shoot.spec.region, CP),
        &[],
    );

    let pool = &provider.workers[0];
    let path = "spec.provider.workers[0].providerConfig";
    let worker: WorkerConfig = decode(pool.provider_config.as_ref().unwrap(), path).unwrap();
    assert_lines(&validate_worker_config(&worker, pool, &profile.server_group_policies, path), &[]);

    let cloud_profile = cloud_profile();
    let cfg: CloudProfileConfig =
        decode(cloud_profile.spec.provider_config.as_ref().unwrap(), "spec.providerConfig").unwrap();
    assert_lines(&validate_cloud_profile_config(&cfg, &cloud_profile.spec.machine_images, "spec.providerConfig"), &[]);
    assert_lines(
        &validate_worker_machine_images(&cfg, &provider.workers, &[], &shoot.spec.region, "spec.provider.workers"),
        &[],
    );
}

#[test]
fn uuids_as_go_reads_them() {
    for ok in [
        "12345678-abcd-efef-08af-0123456789ab",
        "{12345678-abcd-efef-08af-0123456789ab}",
        "urn:uuid:12345678-ABCD-efef-08af-0123456789ab",
        "12345678abcdefef08af0123456789ab",
    ] {
        assert_lines(&check_uuid(ok, "f"), &[]);
    }
    assert_lines(
        &check_uuid("1234", "f"),
        &[r#"f: Invalid value: "1234": must be a valid UUID: invalid UUID length: 4"#],
    );
    assert_lines(
        &check_uuid("12345678-abcd-efef-08af-0123456789xy", "f"),
        &[r#"f: Invalid value: "12345678-abcd-efef-08af-0123456789xy": must be a valid UUID: invalid UUID format"#],
    );
    assert_lines(
        &check_uuid("12345678-abcd-efef-08af0-123456789ab", "f"),
        &[r#"f: Invalid value: "12345678-abcd-efef-08af0-123456789ab": must be a valid UUID: invalid UUID format"#],
    );
    assert_lines(
        &check_uuid("urn:uuix:12345678-abcd-efef-08af-0123456789ab", "f"),
        &[
            r#"f: Invalid value: "urn:uuix:12345678-abcd-efef-08af-0123456789ab": must be a valid UUID: invalid urn prefix: "urn:uuix:""#,
        ],
    );
}
