//! `WorkerConfig` and `ControlPlaneConfig`.

use serde_json::{json, Value};

use super::*;

const WC: &str = "spec.provider.workers[0].providerConfig";

fn worker_config(v: Value) -> WorkerConfig {
    serde_json::from_value(v).unwrap()
}

fn policies() -> Vec<String> {
    profile_config().server_group_policies
}

#[test]
fn worker_server_group_policy_is_one_of_the_profile() {
    let shoot = fixtures::shoot();
    let pool = &shoot.spec.provider.workers[0];
    let sg = format!("{WC}.serverGroup.policy");
    assert_lines(
        &validate_worker_config(&worker_config(json!({"serverGroup": {"policy": ""}})), pool, &policies(), WC),
        &[&format!(r#"{sg}: Invalid value: "": policy field cannot be empty"#)],
    );
    assert_lines(
        &validate_worker_config(
            &worker_config(json!({"serverGroup": {"policy": "soft-affinity"}})),
            pool,
            &policies(),
            WC,
        ),
        &[&format!(r#"{sg}: Invalid value: "soft-affinity": no matching server group policy found in cloudprofile"#)],
    );
    // A profile without policies offers no server groups.
    assert_eq!(
        validate_worker_config(&worker_config(json!({"serverGroup": {"policy": "anti-affinity"}})), pool, &[], WC)
            .len(),
        1
    );
    // `affinity` keeps all machines on one host: one zone only.
    let affinity = worker_config(json!({"serverGroup": {"policy": "affinity"}}));
    assert_lines(
        &validate_worker_config(&affinity, pool, &policies(), WC),
        &[&format!(r#"{sg}: Forbidden: using "affinity" policy with multiple availability zones is not allowed"#)],
    );
    let mut single_zone = pool.clone();
    single_zone.zones.truncate(1);
    assert_lines(&validate_worker_config(&affinity, &single_zone, &policies(), WC), &[]);
}

#[test]
fn worker_node_template() {
    let shoot = fixtures::shoot();
    let pool = &shoot.spec.provider.workers[0];
    let cfg = worker_config(json!({"nodeTemplate": {
        "capacity": {"cpu": "-1", "memory": "8Gi"},
        "virtualCapacity": {"example.com/dongle": "1.5", "example.com/ok": "2k"}
    }}));
    let nt = format!("{WC}.nodeTemplate");
    assert_lines(
        &validate_worker_config(&cfg, pool, &policies(), WC),
        &[
            &format!(r#"{nt}.capacity.cpu: Invalid value: "-1": cpu value must not be negative"#),
            &format!(
                r#"{nt}.virtualCapacity.example.com/dongle: Invalid value: "1.5": example.com/dongle value must be a whole number"#
            ),
        ],
    );
}

#[test]
fn worker_machine_labels() {
    let shoot = fixtures::shoot();
    let mut pool = shoot.spec.provider.workers[0].clone();
    pool.labels.insert("pool-label".into(), "x".into());
    let cfg = worker_config(json!({"machineLabels": [
        {"name": "a", "value": "1"},
        {"name": "a", "value": "2"},
        {"name": "pool-label", "value": "3"},
        {"name": "", "value": "[4]"}
    ]}));
    let ml = format!("{WC}.machineLabels");
    assert_lines(
        &validate_worker_config(&cfg, &pool, &policies(), WC),
        &[
            &format!(r#"{ml}[1].name: Duplicate value: "a""#),
            &format!(r#"{ml}[2].name: Invalid value: "pool-label": label name already defined as pool label"#),
            &format!("{ml}[3].name: Required value: cannot be empty"),
            &format!(r#"{ml}[3].value: Invalid value: "[4]": does not match expected regex ^[^{{}}\[\]\n]+$"#),
        ],
    );
}

#[test]
fn control_plane_needs_a_load_balancer_provider_and_no_vpn_class() {
    let cfg: ControlPlaneConfig = serde_json::from_value(json!({
        "loadBalancerClasses": [{"name": "vpn", "purpose": "vpn"}]
    }))
    .unwrap();
    assert_lines(
        &validate_control_plane_config(&cfg, Some(&infra()), CP),
        &[
            &format!("{CP}.loadBalancerProvider: Required value: must provide the name of a load balancer provider"),
            &format!(
                r#"{CP}.loadBalancerClasses[0].purpose: Invalid value: "vpn": not allowed to specify a LoadBalancerClass with purpose "vpn""#
            ),
        ],
    );
}

#[test]
fn control_plane_csi_manila_needs_a_share_network() {
    let cfg: ControlPlaneConfig =
        serde_json::from_value(json!({"loadBalancerProvider": "amphora", "storage": {"csiManila": {"enabled": true}}}))
            .unwrap();
    let mut infra = infra();
    assert_lines(&validate_control_plane_config(&cfg, Some(&infra), CP), &[]);
    infra.networks.share_network = None;
    assert_lines(
        &validate_control_plane_config(&cfg, Some(&infra), CP),
        &[&format!(
            "{CP}.storage.csiManila.enabled: Invalid value: true: share network must be created if CSI manila driver is enabled"
        )],
    );
    // Without a known infrastructure there is nothing to compare with.
    assert_lines(&validate_control_plane_config(&cfg, None, CP), &[]);
}

#[test]
fn control_plane_load_balancer_provider_offered_in_the_region() {
    let profile = profile_config();
    let check = |provider: &str, region: &str| {
        let cfg = ControlPlaneConfig { load_balancer_provider: provider.into(), ..Default::default() };
        lines(&validate_control_plane_config_against_cloud_profile(None, &cfg, &profile, region, CP))
    };
    assert!(check("amphora", "europe-1").is_empty());
    // asia-1 has a regional provider, which hides the unrestricted ones.
    assert!(check("f5", "asia-1").is_empty());
    assert_eq!(
        check("amphora", "asia-1"),
        [format!(r#"{CP}.loadBalancerProvider: Unsupported value: "amphora": supported values: "f5""#)]
    );
    assert_eq!(
        check("f5", "europe-1"),
        [format!(r#"{CP}.loadBalancerProvider: Unsupported value: "f5": supported values: "amphora""#)]
    );

    // Unchanged on update: not checked again; a profile without providers constrains nothing.
    let old = ControlPlaneConfig { load_balancer_provider: "octavia".into(), ..Default::default() };
    assert_lines(&validate_control_plane_config_against_cloud_profile(Some(&old), &old, &profile, "europe-1", CP), &[]);
    let open = CloudProfileConfig::default();
    assert_lines(&validate_control_plane_config_against_cloud_profile(None, &old, &open, "europe-1", CP), &[]);
}
