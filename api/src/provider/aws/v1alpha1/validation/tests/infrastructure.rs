//! `InfrastructureConfig`: each refusal rule with its path and message.

use serde_json::json;

use super::*;

#[test]
fn infrastructure_needs_zones_with_workers_subnets() {
    assert_lines(
        &infra_errs(&with_zones(json!([])), None),
        &[&format!("{ZONES}: Required value: must specify at least the networks for one zone")],
    );
    assert_lines(
        &infra_errs(&with_zones(json!([{"name": "eu-central-1a", "public": "10.250.96.0/26"}])), None),
        &[&format!("{ZONES}[0].workers: Required value: must specify the workers subnet of the zone")],
    );
}

#[test]
fn infrastructure_zone_names() {
    let cfg = with_zones(json!([
        {"name": "eu-central-1a", "workers": "10.250.0.0/26"},
        {"name": "eu-central-1a", "workers": "10.250.1.0/26"},
        {"name": "us-east-1a", "workers": "10.250.2.0/26"},
        {"name": "EU_Central", "workers": "10.250.3.0/26"},
        {"workers": "10.250.4.0/26"}
    ]));
    assert_lines(
        &infra_errs(&cfg, None),
        &[
            &format!(r#"{ZONES}[1].name: Duplicate value: "eu-central-1a""#),
            &format!(
                r#"{ZONES}[2].name: Unsupported value: "us-east-1a": supported values: "eu-central-1a", "eu-central-1b", "eu-central-1c""#
            ),
            &format!(r#"{ZONES}[3].name: Invalid value: "EU_Central": does not match expected regex ^[a-z0-9-]+$"#),
            &format!("{ZONES}[4].name: Required value: cannot be empty"),
        ],
    );
    // Without the region's zones (a region the profile does not know) only the form is checked.
    let cfg = with_zones(json!([{"name": "us-east-1a", "workers": "10.250.0.0/26"}]));
    assert_lines(&validate_infrastructure_config(&cfg, None, &[], INFRA), &[]);
}

#[test]
fn infrastructure_cidrs_parse_and_are_canonical() {
    let cfg = with_zones(json!([
        {"name": "eu-central-1a", "workers": "10.250.0.0/33", "public": "10.250.96.1/26", "internal": "bogus"}
    ]));
    assert_lines(
        &infra_errs(&cfg, None),
        &[
            &format!(r#"{ZONES}[0].workers: Invalid value: "10.250.0.0/33": invalid CIDR address: 10.250.0.0/33"#),
            &format!(r#"{ZONES}[0].public: Invalid value: "10.250.96.1/26": must be valid canonical CIDR"#),
            &format!(r#"{ZONES}[0].internal: Invalid value: "bogus": invalid CIDR address: bogus"#),
        ],
    );
    let mut cfg = infra();
    cfg.networks.vpc.cidr = Some("10.250.0.1/16".into());
    assert_lines(
        &infra_errs(&cfg, None),
        &[&format!(r#"{INFRA}.networks.vpc.cidr: Invalid value: "10.250.0.1/16": must be valid canonical CIDR"#)],
    );
}

#[test]
fn infrastructure_vpc_is_an_id_or_a_cidr() {
    let mut cfg = infra();
    cfg.networks.vpc.cidr = None;
    assert_lines(
        &infra_errs(&cfg, None),
        &[&format!(
            r#"{INFRA}.networks.vpc: Invalid value: {{"gatewayEndpoints":["s3"]}}: must specify either a vpc id or a cidr"#
        )],
    );
    let mut cfg = infra();
    cfg.networks.vpc.id = Some("vpc-0123".into());
    let errs = infra_errs(&cfg, None);
    assert_eq!(lines(&errs).len(), 1);
    assert_eq!(errs[0].field, format!("{INFRA}.networks.vpc"));
    assert!(errs[0].message.ends_with(": cannot specify both vpc id and cidr"), "{}", errs[0].message);

    // An existing VPC: its ID is checked, its address range is not known here.
    let mut cfg = infra();
    cfg.networks.vpc = Vpc { id: Some("vpc-0123456789abcdef0".into()), ..Default::default() };
    assert_lines(&infra_errs(&cfg, Some("10.250.0.0/16")), &[]);
    cfg.networks.vpc.id = Some("vpc_123".into());
    assert_lines(
        &infra_errs(&cfg, None),
        &[&format!(
            r#"{INFRA}.networks.vpc.id: Invalid value: "vpc_123": does not match expected regex ^vpc-[a-z0-9]+$"#
        )],
    );
}

#[test]
fn infrastructure_subnets_lie_in_the_vpc() {
    let cfg = with_zones(json!([
        {"name": "eu-central-1a", "workers": "10.250.0.0/26", "public": "10.251.96.0/26", "internal": "10.250.112.0/26"}
    ]));
    let vpc_msg = format!(r#"must be a subset of "{INFRA}.networks.vpc.cidr" ("10.250.0.0/16")"#);
    assert_lines(
        &infra_errs(&cfg, None),
        &[&format!(r#"{ZONES}[0].public: Invalid value: "10.251.96.0/26": {vpc_msg}"#)],
    );
    // Overlapping the VPC is not enough.
    let cfg = with_zones(json!([{"name": "eu-central-1a", "workers": "10.250.0.0/15"}]));
    assert_lines(
        &infra_errs(&cfg, None),
        &[&format!(r#"{ZONES}[0].workers: Invalid value: "10.250.0.0/15": {vpc_msg}"#)],
    );
    // The shoot's node network must lie in the VPC too.
    assert_lines(
        &infra_errs(&infra(), Some("10.0.0.0/8")),
        &[&format!(r#"spec.networking.nodes: Invalid value: "10.0.0.0/8": {vpc_msg}"#)],
    );
}

#[test]
fn infrastructure_subnets_do_not_overlap_across_zones() {
    let cfg = with_zones(json!([
        {"name": "eu-central-1a", "workers": "10.250.0.0/24", "public": "10.250.96.0/26"},
        {"name": "eu-central-1b", "workers": "10.250.0.128/25", "internal": "10.250.96.32/27"}
    ]));
    assert_lines(
        &infra_errs(&cfg, None),
        &[
            &format!(
                r#"{ZONES}[1].internal: Invalid value: "10.250.96.32/27": must not overlap with "{ZONES}[0].public" ("10.250.96.0/26")"#
            ),
            &format!(
                r#"{ZONES}[1].workers: Invalid value: "10.250.0.128/25": must not overlap with "{ZONES}[0].workers" ("10.250.0.0/24")"#
            ),
        ],
    );
}

#[test]
fn infrastructure_workers_lie_in_the_nodes_cidr() {
    let nodes_msg = r#"must be a subset of "spec.networking.nodes" ("10.250.0.0/25")"#;
    assert_lines(
        &infra_errs(&infra(), Some("10.250.0.0/25")),
        &[&format!(r#"{ZONES}[2].workers: Invalid value: "10.250.0.128/26": {nodes_msg}"#)],
    );
    // Only the workers subnets: public and internal ones may lie outside the node network.
    let cfg = with_zones(json!([{"name": "eu-central-1a", "workers": "10.250.0.0/26", "public": "10.250.200.0/26"}]));
    assert_lines(&infra_errs(&cfg, Some("10.250.0.0/25")), &[]);
    // A nodes CIDR that does not parse is the Shoot validation's to report.
    assert_lines(&infra_errs(&infra(), Some("not-a-cidr")), &[]);
}

#[test]
fn infrastructure_elastic_ips() {
    let cfg = with_zones(json!([
        {"name": "eu-central-1a", "workers": "10.250.0.0/26", "public": "10.250.96.0/26", "elasticIPAllocationID": "eipalloc-1"},
        {"name": "eu-central-1b", "workers": "10.250.0.64/26", "public": "10.250.96.64/26", "elasticIPAllocationID": "eipalloc-1"},
        {"name": "eu-central-1c", "workers": "10.250.0.128/26", "elasticIPAllocationID": "eip-2"}
    ]));
    assert_lines(
        &infra_errs(&cfg, None),
        &[
            &format!(r#"{ZONES}[1].elasticIPAllocationID: Duplicate value: "eipalloc-1""#),
            &format!(
                "{ZONES}[2].elasticIPAllocationID: Forbidden: elasticIPAllocationID is only valid in a zone with a public subnet (which holds the NAT gateway)"
            ),
            &format!(
                r#"{ZONES}[2].elasticIPAllocationID: Invalid value: "eip-2": does not match expected regex ^eipalloc-[a-z0-9]+$"#
            ),
        ],
    );
}

#[test]
fn infrastructure_gateway_endpoints_and_ignored_tags() {
    let mut cfg = infra();
    cfg.networks.vpc.gateway_endpoints = vec!["s3".into(), "Dynamo DB".into()];
    cfg.ignore_tags = Some(IgnoreTags {
        keys: vec!["Name".into(), "kubernetes.io/cluster/x".into(), "bad#key".into(), "ok-key".into()],
        key_prefixes: vec!["N".into(), "kube".into(), "gardener.cloud/x".into(), "".into(), "team/".into()],
    });
    let tags = format!("{INFRA}.ignoreTags");
    assert_lines(
        &infra_errs(&cfg, None),
        &[
            &format!(
                r#"{INFRA}.networks.vpc.gatewayEndpoints[1]: Invalid value: "Dynamo DB": must be a valid DNS subdomain"#
            ),
            &format!(r#"{tags}.keys[0]: Invalid value: "Name": must not ignore reserved key "Name""#),
            &format!(
                r#"{tags}.keys[1]: Invalid value: "kubernetes.io/cluster/x": must not ignore key with reserved prefix "kubernetes.io""#
            ),
            &format!(r#"{tags}.keys[2]: Invalid value: "bad#key": does not match expected regex ^[\w +\-=\.:/@]+$"#),
            &format!(r#"{tags}.keyPrefixes[0]: Invalid value: "N": must not include reserved key "Name""#),
            &format!(
                r#"{tags}.keyPrefixes[1]: Invalid value: "kube": must not have reserved key prefix "kubernetes.io""#
            ),
            &format!(
                r#"{tags}.keyPrefixes[2]: Invalid value: "gardener.cloud/x": must not include reserved key prefix "gardener.cloud""#
            ),
            &format!("{tags}.keyPrefixes[3]: Required value: cannot be empty"),
        ],
    );
}

#[test]
fn infrastructure_update_rules() {
    let old = infra();
    assert_lines(&validate_infrastructure_config_update(&old, &old, INFRA), &[]);

    // Adding a zone and switching dual-stack on are fine.
    let mut new = old.clone();
    new.networks.zones.push(Zone {
        name: "eu-west-1b".into(),
        workers: Some("10.250.1.0/26".into()),
        ..Default::default()
    });
    new.dual_stack = Some(DualStack { enabled: true });
    assert_lines(&validate_infrastructure_config_update(&old, &new, INFRA), &[]);

    let mut changed = old.clone();
    changed.networks.vpc.cidr = Some("10.0.0.0/16".into());
    changed.networks.zones[1].workers = Some("10.250.1.0/26".into());
    changed.networks.zones[2].name = "eu-central-1a".into();
    assert_lines(
        &validate_infrastructure_config_update(&old, &changed, INFRA),
        &[
            &format!(r#"{INFRA}.networks.vpc.cidr: Invalid value: "10.0.0.0/16": field is immutable"#),
            &format!(r#"{ZONES}[1].workers: Invalid value: "10.250.1.0/26": field is immutable"#),
            &format!(r#"{ZONES}[2].name: Invalid value: "eu-central-1a": field is immutable"#),
        ],
    );

    let mut fewer = old.clone();
    fewer.networks.zones.pop();
    assert_lines(
        &validate_infrastructure_config_update(&old, &fewer, INFRA),
        &[&format!("{ZONES}: Forbidden: removing zones is not allowed")],
    );

    let mut dual = old.clone();
    dual.dual_stack = Some(DualStack { enabled: true });
    assert_lines(
        &validate_infrastructure_config_update(&dual, &old, INFRA),
        &[&format!(r#"{INFRA}.dualStack.enabled: Forbidden: field can't be changed from "true" to "false""#)],
    );

    let mut efs = old.clone();
    efs.elastic_file_system = Some(ElasticFileSystemConfig { enabled: true, id: None });
    assert_lines(&validate_infrastructure_config_update(&old, &efs, INFRA), &[]);
    assert_lines(
        &validate_infrastructure_config_update(&efs, &old, INFRA),
        &[&format!("{INFRA}.elasticFileSystem: Invalid value: null: field is immutable")],
    );
}
