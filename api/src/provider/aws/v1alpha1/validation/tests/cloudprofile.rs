//! `CloudProfileConfig` and the AMIs of worker images.

use serde_json::{json, Value};

use super::*;
use crate::core::v1beta1::Worker;

const PC: &str = "spec.providerConfig";

fn profile_config(machine_images: Value) -> CloudProfileConfig {
    serde_json::from_value(
        json!({"apiVersion": API_VERSION, "kind": "CloudProfileConfig", "machineImages": machine_images}),
    )
    .unwrap()
}

#[test]
fn cloud_profile_config_mapping_is_well_formed() {
    let profile = cloud_profile();
    let images = &profile.spec.machine_images;
    assert_lines(
        &validate_cloud_profile_config(&profile_config(json!([])), &[], PC),
        &[&format!("{PC}.machineImages: Required value: must provide at least one machine image")],
    );
    let cfg = profile_config(json!([
        {"name": "gardenlinux", "versions": [
            {"version": "1877.2.0", "regions": [
                {"name": "eu-central-1", "ami": "ami-1"},
                {"name": "eu-central-1", "ami": "ami-2", "architecture": "amd64"},
                {"name": "eu-central-1", "ami": "ami-3", "architecture": "arm64"},
                {"name": "", "ami": ""},
                {"name": "eu-west-1", "ami": "ami-4", "architecture": "s390x"}
            ]},
            {"version": "1877.2.0", "regions": [{"name": "eu-central-1", "ami": "ami-5"}]},
            {"version": "1592.9.0"},
            {"version": "", "regions": [{"name": "eu-central-1", "ami": "ami-6"}]}
        ]},
        {"name": "gardenlinux", "versions": [{"version": "1.0.0", "regions": [{"name": "eu-central-1", "ami": "ami-7"}]}]},
        {"name": "", "versions": []}
    ]));
    let img = format!("{PC}.machineImages");
    assert_lines(
        &validate_cloud_profile_config(&cfg, images, PC),
        &[
            &format!(r#"{img}[0].versions[0].regions[1]: Duplicate value: {{"architecture":"amd64","name":"eu-central-1"}}"#),
            &format!("{img}[0].versions[0].regions[3].name: Required value: must provide a name"),
            &format!("{img}[0].versions[0].regions[3].ami: Required value: must provide an ami"),
            &format!(
                r#"{img}[0].versions[0].regions[4].architecture: Unsupported value: "s390x": supported values: "amd64", "arm64""#
            ),
            &format!(r#"{img}[0].versions[1].version: Duplicate value: "1877.2.0""#),
            &format!(
                r#"{img}[0].versions[2].regions: Required value: must provide at least one region for machine image "gardenlinux" and version "1592.9.0""#
            ),
            &format!("{img}[0].versions[3].version: Required value: must provide a version"),
            &format!(r#"{img}[1].name: Duplicate value: "gardenlinux""#),
            &format!("{img}[2].name: Required value: must provide a name"),
            &format!(r#"{img}[2].versions: Required value: must provide at least one version for machine image """#),
            // The profile's 1592.9.0 (amd64) has an entry, but without any region.
            "spec.machineImages[0].versions[1]: Required value: missing providerConfig mapping for machine image version gardenlinux@1592.9.0 and architecture: amd64",
        ],
    );
}

#[test]
fn cloud_profile_config_covers_every_profile_image_version_and_architecture() {
    let profile = cloud_profile();
    let images = &profile.spec.machine_images;
    let cfg = profile_config(json!([
        {"name": "gardenlinux", "versions": [
            {"version": "1877.2.0", "regions": [{"name": "eu-central-1", "ami": "ami-1"}]}
        ]}
    ]));
    assert_lines(
        &validate_cloud_profile_config(&cfg, images, PC),
        &[
            "spec.machineImages[0].versions[0]: Required value: missing providerConfig mapping for machine image version gardenlinux@1877.2.0 and architecture: arm64",
            "spec.machineImages[0].versions[1]: Required value: machine image version gardenlinux@1592.9.0 is not defined in the providerConfig",
        ],
    );
    let cfg = profile_config(
        json!([{"name": "ubuntu", "versions": [{"version": "24.4.0", "regions": [{"name": "eu-central-1", "ami": "ami-1"}]}]}]),
    );
    assert_lines(
        &validate_cloud_profile_config(&cfg, images, PC),
        &[
            r#"spec.machineImages[0]: Required value: must provide an image mapping for image "gardenlinux" in providerConfig"#,
        ],
    );
}

#[test]
fn worker_images_need_an_ami_in_the_region_for_the_architecture() {
    let cfg: CloudProfileConfig = serde_json::from_value(cloud_profile_config_manifest()).unwrap();
    let shoot = fixtures::shoot();
    let mut workers = shoot.spec.provider.workers.clone();
    let path = "spec.provider.workers";
    assert_lines(&validate_worker_machine_images(&cfg, &workers, &[], "eu-central-1", path), &[]);
    assert_lines(
        &validate_worker_machine_images(&cfg, &workers, &[], "us-east-1", path),
        &[
            r#"spec.provider.workers[0].machine.image: Invalid value: {"name":"gardenlinux","version":"1877.2.0"}: could not find an AMI for region "us-east-1", image "gardenlinux", version "1877.2.0" and architecture "amd64""#,
        ],
    );

    let mut arm: Worker = workers[0].clone();
    arm.name = "arm".into();
    arm.machine.architecture = Some("arm64".into());
    workers.push(arm);
    // eu-west-1 has the amd64 AMI only.
    assert_lines(
        &validate_worker_machine_images(&cfg, &workers, &[], "eu-west-1", path),
        &[
            r#"spec.provider.workers[1].machine.image: Invalid value: {"name":"gardenlinux","version":"1877.2.0"}: could not find an AMI for region "eu-west-1", image "gardenlinux", version "1877.2.0" and architecture "arm64""#,
        ],
    );
    // Unchanged pools of the stored shoot are not checked again; changed ones are.
    let old = workers.clone();
    assert_lines(&validate_worker_machine_images(&cfg, &workers, &old, "eu-west-1", path), &[]);
    workers[1].machine.image.as_mut().unwrap().version = Some("1592.9.0".into());
    assert_eq!(validate_worker_machine_images(&cfg, &workers, &old, "eu-west-1", path).len(), 1);
    // A pool without a version is left to defaulting.
    workers[1].machine.image.as_mut().unwrap().version = None;
    assert_lines(&validate_worker_machine_images(&cfg, &workers, &[], "eu-central-1", path), &[]);
}
