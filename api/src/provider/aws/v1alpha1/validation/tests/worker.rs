//! `WorkerConfig` and `ControlPlaneConfig`.

use serde_json::{json, Value};

use super::*;

const WC: &str = "spec.provider.workers[0].providerConfig";

fn worker_config(v: Value) -> WorkerConfig {
    serde_json::from_value(v).unwrap()
}

#[test]
fn worker_volumes() {
    let cfg = worker_config(json!({
        "volume": {"iops": 0, "throughput": -1},
        "dataVolumes": [
            {"name": "data", "iops": -5, "snapshotID": "snapshot-1"},
            {"name": "data", "throughput": 0},
            {"iops": 100}
        ]
    }));
    assert_lines(
        &validate_worker_config(&cfg, WC),
        &[
            &format!("{WC}.volume.iops: Forbidden: iops must be a positive value"),
            &format!("{WC}.volume.throughput: Invalid value: -1: throughput must be a positive value"),
            &format!("{WC}.dataVolumes[0].iops: Forbidden: iops must be a positive value"),
            &format!(
                r#"{WC}.dataVolumes[0].snapshotID: Invalid value: "snapshot-1": does not match expected regex ^snap-[a-z0-9]+$"#
            ),
            &format!(r#"{WC}.dataVolumes[1].name: Duplicate value: "data""#),
            &format!("{WC}.dataVolumes[1].throughput: Invalid value: 0: throughput must be a positive value"),
            &format!("{WC}.dataVolumes[2].name: Required value"),
        ],
    );
}

#[test]
fn worker_iam_instance_profile_is_a_name_or_an_arn() {
    let msg = "exactly one of 'name' or 'arn' must be specified";
    assert_lines(
        &validate_worker_config(&worker_config(json!({"iamInstanceProfile": {}})), WC),
        &[&format!("{WC}.iamInstanceProfile: Invalid value: {{}}: {msg}")],
    );
    let both = worker_config(
        json!({"iamInstanceProfile": {"name": "p", "arn": "arn:aws:iam::123456789012:instance-profile/p"}}),
    );
    assert_lines(
        &validate_worker_config(&both, WC),
        &[&format!(
            r#"{WC}.iamInstanceProfile: Invalid value: {{"arn":"arn:aws:iam::123456789012:instance-profile/p","name":"p"}}: {msg}"#
        )],
    );
    assert_lines(
        &validate_worker_config(&worker_config(json!({"iamInstanceProfile": {"name": "my profile!"}})), WC),
        &[&format!(
            r#"{WC}.iamInstanceProfile.name: Invalid value: "my profile!": does not match expected regex ^[\w+=,.@-]+$"#
        )],
    );
    assert_lines(
        &validate_worker_config(&worker_config(json!({"iamInstanceProfile": {"arn": "my-instance-profile-arn"}})), WC),
        &[&format!(
            r#"{WC}.iamInstanceProfile.arn: Invalid value: "my-instance-profile-arn": does not match expected regex ^arn:[\w +=,.@\-/:]+$"#
        )],
    );
    let long = "p".repeat(129);
    assert_lines(
        &validate_worker_config(&worker_config(json!({"iamInstanceProfile": {"name": long}})), WC),
        &[&format!(
            r#"{WC}.iamInstanceProfile.name: Invalid value: "{long}": must not be more than 128 characters, got 129"#
        )],
    );
    let arn =
        worker_config(json!({"iamInstanceProfile": {"arn": "arn:aws-cn:iam::123456789012:instance-profile/path/p"}}));
    assert_lines(&validate_worker_config(&arn, WC), &[]);
}

#[test]
fn worker_instance_metadata_options() {
    let md = format!("{WC}.instanceMetadataOptions");
    for limit in [0, 65] {
        let cfg = worker_config(json!({"instanceMetadataOptions": {"httpPutResponseHopLimit": limit}}));
        assert_lines(
            &validate_worker_config(&cfg, WC),
            &[&format!(
                "{md}.httpPutResponseHopLimit: Invalid value: {limit}: only values between 1 and 64 are allowed"
            )],
        );
    }
    let cfg =
        worker_config(json!({"instanceMetadataOptions": {"httpTokens": "sometimes", "httpPutResponseHopLimit": 64}}));
    assert_lines(
        &validate_worker_config(&cfg, WC),
        &[&format!(
            r#"{md}.httpTokens: Invalid value: "sometimes": only the following values are allowed: [required optional]"#
        )],
    );
    let cfg =
        worker_config(json!({"instanceMetadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 1}}));
    assert_lines(&validate_worker_config(&cfg, WC), &[]);
}

#[test]
fn worker_node_template() {
    let cfg = worker_config(json!({"nodeTemplate": {
        "capacity": {"cpu": "-1", "memory": "8Gi"},
        "virtualCapacity": {"example.com/dongle": "1.5", "example.com/ok": "2k", "example.com/neg": "-2"}
    }}));
    let nt = format!("{WC}.nodeTemplate");
    assert_lines(
        &validate_worker_config(&cfg, WC),
        &[
            &format!(r#"{nt}.capacity.cpu: Invalid value: "-1": cpu value must not be negative"#),
            &format!(
                r#"{nt}.virtualCapacity.example.com/dongle: Invalid value: "1.5": example.com/dongle value must be a whole number"#
            ),
            &format!(
                r#"{nt}.virtualCapacity.example.com/neg: Invalid value: "-2": example.com/neg value must not be negative"#
            ),
        ],
    );
}

#[test]
fn worker_config_against_its_pool() {
    let shoot = fixtures::shoot();
    let mut pool = shoot.spec.provider.workers[0].clone();
    pool.volume.as_mut().unwrap().type_ = Some("io1".into());
    pool.data_volumes[0].type_ = Some("io1".into());
    let cfg = worker_config(json!({"dataVolumes": [{"name": "logs", "iops": 100}]}));
    assert_lines(
        &validate_worker_config_against_pool(&cfg, &pool, WC),
        &[
            &format!("{WC}.volume.iops: Required value: iops must be provided when using io1 volumes"),
            &format!("{WC}.dataVolumes[0].iops: Required value: iops must be provided when using io1 volumes"),
            &format!(
                r#"{WC}.dataVolumes[0].name: Invalid value: "logs": logs not found in data volumes configured in worker pool"#
            ),
        ],
    );
    let cfg = worker_config(json!({"volume": {"iops": 3000}, "dataVolumes": [{"name": "kubelet-dir", "iops": 3000}]}));
    assert_lines(&validate_worker_config_against_pool(&cfg, &pool, WC), &[]);
}

#[test]
fn control_plane_ingress_class_name() {
    let path = "spec.provider.controlPlaneConfig";
    let cfg: ControlPlaneConfig =
        serde_json::from_value(json!({"loadBalancerController": {"enabled": true, "ingressClassName": "ALB_class"}}))
            .unwrap();
    assert_lines(
        &validate_control_plane_config(&cfg, path),
        &[&format!(
            r#"{path}.loadBalancerController.ingressClassName: Invalid value: "ALB_class": does not match expected regex ^[a-z0-9.-]+$"#
        )],
    );
}
