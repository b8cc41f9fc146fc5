//! `CloudProfileConfig`, load balancer classes and the images of worker pools.

use serde_json::{json, Value};

use super::*;
use crate::core::v1beta1::Worker;

const PC: &str = "spec.providerConfig";

/// The fixture's config with `patch` merged in at the top level.
fn profile_config_with(patch: Value) -> CloudProfileConfig {
    let mut v = cloud_profile_config_manifest();
    for (key, value) in patch.as_object().unwrap() {
        v[key] = value.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn profile_errs(cfg: &CloudProfileConfig) -> Vec<FieldError> {
    validate_cloud_profile_config(cfg, &cloud_profile().spec.machine_images, PC)
}

#[test]
fn cloud_profile_config_needs_constraints() {
    let cfg = profile_config_with(json!({"constraints": {}}));
    assert_lines(
        &profile_errs(&cfg),
        &[
            &format!("{PC}.constraints.floatingPools: Required value: must provide at least one floating pool"),
            &format!(
                "{PC}.constraints.loadBalancerProviders: Required value: must provide at least one load balancer provider"
            ),
        ],
    );
    let cfg = profile_config_with(json!({"constraints": {
        "floatingPools": [
            {"name": ""},
            {"name": "fip", "region": "", "domain": ""},
            {"name": "fip", "region": "eu", "domain": "dev"},
            {"name": "fip", "region": "eu", "domain": "dev"},
            {"name": "public"},
            {"name": "public"}
        ],
        "loadBalancerProviders": [
            {"name": ""},
            {"name": "amphora", "region": ""},
            {"name": "f5", "region": "eu"},
            {"name": "f5", "region": "eu"}
        ]
    }}));
    let fp = format!("{PC}.constraints.floatingPools");
    let lbp = format!("{PC}.constraints.loadBalancerProviders");
    assert_lines(
        &profile_errs(&cfg),
        &[
            &format!("{fp}[0].name: Required value: must provide a name"),
            &format!("{fp}[1].region: Required value: must provide a region if key is present"),
            &format!("{fp}[1].domain: Required value: must provide a domain if key is present"),
            &format!(r#"{fp}[3].name: Duplicate value: "fip""#),
            &format!("{lbp}[0].name: Required value: must provide a name"),
            &format!("{lbp}[1].region: Required value: must provide a region if key is present"),
            &format!(r#"{lbp}[3]: Duplicate value: {{"name":"f5","region":"eu"}}"#),
        ],
    );
}

#[test]
fn cloud_profile_config_keystone() {
    let cfg = profile_config_with(json!({"keystoneURL": "", "keystoneURLs": []}));
    assert_lines(
        &profile_errs(&cfg),
        &[&format!("{PC}.keystoneURL: Required value: must provide the URL to KeyStone")],
    );
    // Regional endpoints alone are enough.
    let cfg = profile_config_with(
        json!({"keystoneURL": "", "keystoneURLs": [{"region": "europe-1", "url": "https://e/v3"}]}),
    );
    assert_lines(&profile_errs(&cfg), &[]);

    let pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUe0==\n-----END CERTIFICATE-----\n";
    let cfg = profile_config_with(json!({
        "keystoneCACert": "not a certificate",
        "keystoneURLs": [
            {"region": "", "url": ""},
            {"region": "asia-1", "url": "https://a/v3", "caCert": pem},
            {"region": "asia-1", "url": "https://b/v3", "caCert": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"}
        ]
    }));
    let urls = format!("{PC}.keystoneURLs");
    assert_lines(
        &profile_errs(&cfg),
        &[
            &format!(
                r#"{PC}.keystoneCACert: Invalid value: "not a certificate": caCert is not a valid PEM-encoded certificate"#
            ),
            &format!("{urls}[0].region: Required value: must provide a region"),
            &format!("{urls}[0].url: Required value: must provide an url"),
            &format!(r#"{urls}[2].region: Duplicate value: "asia-1""#),
            &format!(
                r#"{urls}[2].caCert: Invalid value: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----": caCert is not a valid PEM-encoded certificate"#
            ),
        ],
    );
}

#[test]
fn cloud_profile_config_dns_dhcp_timeout_and_server_groups() {
    let cfg = profile_config_with(json!({
        "dnsServers": ["10.0.0.1", "2001:db8::1", "dns.example.com"],
        "dhcpDomain": "",
        "requestTimeout": "1 minute",
        "serverGroupPolicies": ["affinity", ""]
    }));
    assert_lines(
        &profile_errs(&cfg),
        &[
            &format!(r#"{PC}.dnsServers[2]: Invalid value: "dns.example.com": must provide a valid IP"#),
            &format!("{PC}.dhcpDomain: Required value: must provide a dhcp domain when the key is specified"),
            &format!(
                r#"{PC}.requestTimeout: Invalid value: "1 minute": invalid duration "1 minute": must be a Go duration such as "10m", "1h30m" or "90s""#
            ),
            &format!("{PC}.serverGroupPolicies[1]: Required value: policy cannot be empty"),
        ],
    );
}

#[test]
fn cloud_profile_config_image_mapping_is_well_formed() {
    let cfg = profile_config_with(json!({"machineImages": []}));
    assert_lines(
        &profile_errs(&cfg),
        &[
            &format!("{PC}.machineImages: Required value: must provide at least one machine image"),
            r#"spec.machineImages[0]: Required value: must provide an image mapping for image "gardenlinux" in providerConfig"#,
        ],
    );
    let cfg = profile_config_with(json!({"machineImages": [
        {"name": "gardenlinux", "versions": [
            {"version": "1877.2.0", "regions": [
                {"name": "europe-1", "id": "a"},
                {"name": "europe-1", "id": "b", "architecture": "amd64"},
                {"name": "europe-1", "id": "c", "architecture": "arm64"},
                {"name": "", "id": ""},
                {"name": "asia-1", "id": "d", "architecture": "s390x"}
            ]},
            {"version": "1877.2.0", "image": "gl"},
            {"version": "1592.9.0"},
            {"version": "", "image": "gl"}
        ]},
        {"name": "gardenlinux", "versions": [{"version": "1.0.0", "image": "gl"}]},
        {"name": "", "versions": []}
    ]}));
    let img = format!("{PC}.machineImages");
    assert_lines(
        &profile_errs(&cfg),
        &[
            &format!(r#"{img}[0].versions[0].regions[1]: Duplicate value: {{"architecture":"amd64","name":"europe-1"}}"#),
            &format!("{img}[0].versions[0].regions[3].name: Required value: must provide a name"),
            &format!("{img}[0].versions[0].regions[3].id: Required value: must provide an image ID"),
            &format!(
                r#"{img}[0].versions[0].regions[4].architecture: Unsupported value: "s390x": supported values: "amd64", "arm64""#
            ),
            &format!(r#"{img}[0].versions[1].version: Duplicate value: "1877.2.0""#),
            &format!(
                r#"{img}[0].versions[2]: Required value: must provide an image name or at least one region for machine image "gardenlinux" and version "1592.9.0""#
            ),
            &format!("{img}[0].versions[3].version: Required value: must provide a version"),
            &format!(r#"{img}[1].name: Duplicate value: "gardenlinux""#),
            &format!("{img}[2].name: Required value: must provide a name"),
            &format!(r#"{img}[2].versions: Required value: must provide at least one version for machine image """#),
            // The profile's 1592.9.0 (amd64) has an entry, but it maps nothing.
            "spec.machineImages[0].versions[1]: Required value: missing providerConfig mapping for machine image version gardenlinux@1592.9.0 and architecture: amd64",
        ],
    );
}

#[test]
fn cloud_profile_config_covers_every_profile_image_version_and_architecture() {
    // An image name serves amd64 only; arm64 needs a region mapping.
    let cfg = profile_config_with(json!({"machineImages": [
        {"name": "gardenlinux", "versions": [{"version": "1877.2.0", "image": "gardenlinux-1877.2.0"}]}
    ]}));
    assert_lines(
        &profile_errs(&cfg),
        &[
            "spec.machineImages[0].versions[0]: Required value: missing providerConfig mapping for machine image version gardenlinux@1877.2.0 and architecture: arm64",
            "spec.machineImages[0].versions[1]: Required value: machine image version gardenlinux@1592.9.0 is not defined in the providerConfig",
        ],
    );
    let cfg = profile_config_with(json!({"machineImages": [
        {"name": "gardenlinux", "versions": [
            {"version": "1877.2.0", "image": "gl", "regions": [{"name": "europe-1", "id": "x", "architecture": "arm64"}]},
            {"version": "1592.9.0", "regions": [{"name": "europe-1", "id": "y"}]}
        ]}
    ]}));
    assert_lines(&profile_errs(&cfg), &[]);
}

#[test]
fn load_balancer_classes() {
    let classes: Vec<LoadBalancerClass> = serde_json::from_value(json!([
        {"name": "a", "purpose": "public", "floatingNetworkID": "net", "floatingSubnetID": "4e3b6d2a-1111-4222-8333-444455556666", "floatingSubnetName": "s"},
        {"name": "a", "floatingSubnetTags": "x,y", "floatingSubnetName": "{bad}"},
        {"name": "default"},
        {"name": "b", "purpose": "default"},
        {"name": "c", "purpose": "private"},
        {"name": "private"},
        {"name": ""}
    ]))
    .unwrap();
    let path = "spec.providerConfig.constraints.floatingPools[0].loadBalancerClasses";
    assert_lines(
        &validate_load_balancer_classes(&classes, path),
        &[
            &format!(r#"{path}[0].purpose: Unsupported value: "public": supported values: "default", "private", "vpn""#),
            &format!(r#"{path}[0].floatingNetworkID: Invalid value: "net": must be a valid UUID: invalid UUID length: 3"#),
            &format!(
                "{path}[0]: Forbidden: only one of floatingSubnetID, floatingSubnetName and floatingSubnetTags may select the floating subnet"
            ),
            &format!(r#"{path}[1].name: Duplicate value: "a""#),
            &format!(r#"{path}[1].floatingSubnetName: Invalid value: "{{bad}}": does not match expected regex ^[^{{}}\[\]\n]+$"#),
            &format!(
                "{path}[1]: Forbidden: only one of floatingSubnetID, floatingSubnetName and floatingSubnetTags may select the floating subnet"
            ),
            &format!("{path}[3]: Forbidden: not allowed to configure multiple default load balancer classes"),
            &format!("{path}[5]: Forbidden: not allowed to configure multiple private load balancer classes"),
            &format!("{path}[6].name: Required value: cannot be empty"),
        ],
    );
}

#[test]
fn worker_images_resolve_in_the_region_for_the_architecture() {
    let cfg = profile_config();
    let shoot = fixtures::shoot();
    let mut workers = shoot.spec.provider.workers.clone();
    let path = "spec.provider.workers";
    assert_lines(&validate_worker_machine_images(&cfg, &workers, &[], "europe-1", path), &[]);
    assert_lines(
        &validate_worker_machine_images(&cfg, &workers, &[], "us-1", path),
        &[
            r#"spec.provider.workers[0].machine.image: Invalid value: {"name":"gardenlinux","version":"1877.2.0"}: could not find an image for region "us-1", image "gardenlinux", version "1877.2.0" and architecture "amd64""#,
        ],
    );

    let mut arm: Worker = workers[0].clone();
    arm.name = "arm".into();
    arm.machine.architecture = Some("arm64".into());
    workers.push(arm);
    // asia-1 maps amd64 only.
    assert_lines(
        &validate_worker_machine_images(&cfg, &workers, &[], "asia-1", path),
        &[
            r#"spec.provider.workers[1].machine.image: Invalid value: {"name":"gardenlinux","version":"1877.2.0"}: could not find an image for region "asia-1", image "gardenlinux", version "1877.2.0" and architecture "arm64""#,
        ],
    );
    // The image name of 1592.9.0 serves any region, for amd64.
    workers[0].machine.image.as_mut().unwrap().version = Some("1592.9.0".into());
    workers.truncate(1);
    assert_lines(&validate_worker_machine_images(&cfg, &workers, &[], "us-1", path), &[]);
    // Unchanged pools of the stored shoot are not checked again.
    let old = shoot.spec.provider.workers.clone();
    assert_lines(&validate_worker_machine_images(&cfg, &old, &old, "us-1", path), &[]);
}
