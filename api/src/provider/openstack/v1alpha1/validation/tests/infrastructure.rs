//! `InfrastructureConfig`: each refusal rule with its path and message.

use serde_json::json;

use super::*;

fn with_networks(networks: serde_json::Value) -> InfrastructureConfig {
    let mut v = infrastructure_config_manifest();
    v["networks"] = networks;
    serde_json::from_value(v).unwrap()
}

fn infra_errs(cfg: &InfrastructureConfig) -> Vec<FieldError> {
    validate_infrastructure_config(cfg, Some(&networking()), INFRA)
}

#[test]
fn infrastructure_needs_a_floating_pool_name() {
    let mut cfg = infra();
    cfg.floating_pool_name = String::new();
    assert_lines(&infra_errs(&cfg), &[&format!("{INFRA}.floatingPoolName: Required value: cannot be empty")]);
    cfg.floating_pool_name = "pool[1]".into();
    assert_lines(
        &infra_errs(&cfg),
        &[&format!(
            r#"{INFRA}.floatingPoolName: Invalid value: "pool[1]": does not match expected regex ^[^{{}}\[\]\n]+$"#
        )],
    );
    cfg.floating_pool_name = "p".repeat(256);
    assert_lines(
        &infra_errs(&cfg),
        &[&format!(
            r#"{INFRA}.floatingPoolName: Invalid value: "{}": must not be more than 255 characters, got 256"#,
            "p".repeat(256)
        )],
    );
}

#[test]
fn infrastructure_needs_a_canonical_workers_cidr() {
    assert_lines(
        &infra_errs(&with_networks(json!({}))),
        &[&format!("{NETWORKS}.workers: Required value: must specify the network range for the worker network")],
    );
    assert_lines(
        &infra_errs(&with_networks(json!({"workers": "10.250.0.1/19"}))),
        &[&format!(r#"{NETWORKS}.workers: Invalid value: "10.250.0.1/19": must be valid canonical CIDR"#)],
    );
    assert_lines(
        &infra_errs(&with_networks(json!({"workers": "10.250.0.0/33"}))),
        &[&format!(r#"{NETWORKS}.workers: Invalid value: "10.250.0.0/33": invalid CIDR address: 10.250.0.0/33"#)],
    );
    // The deprecated `worker` counts, and is checked like `workers`.
    assert_lines(&infra_errs(&with_networks(json!({"worker": "10.250.0.0/19"}))), &[]);
    assert_lines(
        &infra_errs(&with_networks(json!({"worker": "bogus", "workers": "10.250.0.0/19"}))),
        &[&format!(r#"{NETWORKS}.worker: Invalid value: "bogus": invalid CIDR address: bogus"#)],
    );
}

#[test]
fn infrastructure_workers_lie_in_the_nodes_cidr_apart_from_pods_and_services() {
    let nodes_msg = r#"must be a subset of "spec.networking.nodes" ("10.250.0.0/16")"#;
    assert_lines(
        &infra_errs(&with_networks(json!({"workers": "10.0.0.0/8"}))),
        &[&format!(r#"{NETWORKS}.workers: Invalid value: "10.0.0.0/8": {nodes_msg}"#)],
    );
    // `workers` is the one in use when both are given.
    assert_lines(
        &infra_errs(&with_networks(json!({"worker": "10.250.0.0/19", "workers": "10.251.0.0/19"}))),
        &[&format!(r#"{NETWORKS}.workers: Invalid value: "10.251.0.0/19": {nodes_msg}"#)],
    );

    let mut networking = networking();
    networking.nodes = Some("100.64.0.0/10".into());
    let cfg = with_networks(json!({"workers": "100.96.0.0/12"}));
    assert_lines(
        &validate_infrastructure_config(&cfg, Some(&networking), INFRA),
        &[&format!(
            r#"{NETWORKS}.workers: Invalid value: "100.96.0.0/12": must not overlap with "spec.networking.pods" ("100.96.0.0/11")"#
        )],
    );
    let cfg = with_networks(json!({"workers": "100.64.0.0/19"}));
    assert_lines(
        &validate_infrastructure_config(&cfg, Some(&networking), INFRA),
        &[&format!(
            r#"{NETWORKS}.workers: Invalid value: "100.64.0.0/19": must not overlap with "spec.networking.services" ("100.64.0.0/13")"#
        )],
    );

    // Without (parsable) shoot CIDRs only the workers subnet itself is checked.
    let cfg = with_networks(json!({"workers": "10.0.0.0/8"}));
    assert_lines(&validate_infrastructure_config(&cfg, None, INFRA), &[]);
    let networking = Networking { nodes: Some("not-a-cidr".into()), ..Default::default() };
    assert_lines(&validate_infrastructure_config(&cfg, Some(&networking), INFRA), &[]);
}

#[test]
fn infrastructure_network_and_router_ids() {
    let cfg = with_networks(json!({"workers": "10.250.0.0/19", "id": "net-1", "router": {"id": "router-1"}}));
    let mut cfg = cfg;
    cfg.floating_pool_subnet_name = None;
    assert_lines(
        &infra_errs(&cfg),
        &[
            &format!(r#"{NETWORKS}.id: Invalid value: "net-1": must be a valid UUID: invalid UUID length: 5"#),
            &format!(
                r#"{NETWORKS}.router.id: Invalid value: "router-1": must be a valid UUID: invalid UUID length: 8"#
            ),
        ],
    );
    cfg.networks.router.as_mut().unwrap().id = String::new();
    cfg.networks.id = Some("12345678-abcd-efef-08af-0123456789ab".into());
    assert_lines(
        &infra_errs(&cfg),
        &[&format!(
            r#"{NETWORKS}.router.id: Invalid value: "": router id must not be empty when router key is provided"#
        )],
    );
}

#[test]
fn infrastructure_floating_subnet_excludes_an_existing_router() {
    let mut cfg =
        with_networks(json!({"workers": "10.250.0.0/19", "router": {"id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"}}));
    assert_lines(
        &infra_errs(&cfg),
        &[&format!("{NETWORKS}.router: Forbidden: router cannot be set when a floating subnet name is provided")],
    );
    cfg.networks.router = None;
    cfg.floating_pool_subnet_name = Some(String::new());
    assert_lines(&infra_errs(&cfg), &[&format!("{INFRA}.floatingPoolSubnetName: Required value: cannot be empty")]);
}

#[test]
fn infrastructure_update_rules() {
    let old = infra();
    assert_lines(&validate_infrastructure_config_update(&old, &old, INFRA), &[]);

    let mut changed = old.clone();
    changed.floating_pool_name = "public".into();
    changed.floating_pool_subnet_name = None;
    changed.networks.id = None;
    changed.networks.workers = "10.250.32.0/19".into();
    changed.networks.router = Some(Router { id: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d".into() });
    changed.networks.share_network = Some(ShareNetwork { enabled: false });
    assert_lines(
        &validate_infrastructure_config_update(&old, &changed, INFRA),
        &[
            &format!(r#"{INFRA}.floatingPoolName: Invalid value: "public": field is immutable"#),
            &format!("{INFRA}.floatingPoolSubnetName: Invalid value: null: field is immutable"),
            &format!("{NETWORKS}.id: Invalid value: null: field is immutable"),
            &format!(r#"{NETWORKS}.workers: Invalid value: "10.250.32.0/19": field is immutable"#),
            &format!(
                r#"{NETWORKS}.router: Invalid value: {{"id":"9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"}}: field is immutable"#
            ),
            &format!(r#"{NETWORKS}.shareNetwork: Invalid value: {{"enabled":false}}: field is immutable"#),
        ],
    );

    // Switching from the deprecated `worker` to `workers` is a change of both fields.
    let mut old_style = old.clone();
    old_style.networks.worker = std::mem::take(&mut old_style.networks.workers);
    assert_eq!(validate_infrastructure_config_update(&old_style, &old, INFRA).len(), 2);

    // A share network may be switched on.
    let mut without = old.clone();
    without.networks.share_network = None;
    assert_lines(&validate_infrastructure_config_update(&without, &old, INFRA), &[]);
}

#[test]
fn floating_pool_allowed_by_the_profile_for_region_and_domain() {
    let profile = profile_config();
    let check = |name: &str, region: &str, domain: Option<&str>| {
        let mut cfg = infra();
        cfg.floating_pool_name = name.into();
        lines(&validate_infrastructure_config_against_cloud_profile(None, &cfg, &profile, region, domain, INFRA))
    };
    // europe-1 has the regional pattern `fip-*`, which hides the unrestricted `public`.
    assert!(check("fip-europe", "europe-1", None).is_empty());
    assert_eq!(
        check("public", "europe-1", None),
        [format!(r#"{INFRA}.floatingPoolName: Unsupported value: "public": supported values: "fip-*""#)]
    );
    // The `dev` domain gets its non-constraining pool in addition.
    assert!(check("fip-europe-dev", "europe-1", Some("dev")).is_empty());
    assert_eq!(
        check("other", "europe-1", Some("dev")),
        [format!(
            r#"{INFRA}.floatingPoolName: Unsupported value: "other": supported values: "fip-*", "fip-europe-dev""#
        )]
    );
    // asia-1 has no regional entry: the unrestricted one applies.
    assert!(check("public", "asia-1", Some("dev")).is_empty());
    assert_eq!(
        check("fip-asia", "asia-1", None),
        [format!(r#"{INFRA}.floatingPoolName: Unsupported value: "fip-asia": supported values: "public""#)]
    );

    // Checked on create and when the name changes only.
    let mut old = infra();
    old.floating_pool_name = "legacy".into();
    let mut cfg = old.clone();
    assert_lines(
        &validate_infrastructure_config_against_cloud_profile(Some(&old), &cfg, &profile, "europe-1", None, INFRA),
        &[],
    );
    cfg.floating_pool_name = "other".into();
    assert_eq!(
        validate_infrastructure_config_against_cloud_profile(Some(&old), &cfg, &profile, "europe-1", None, INFRA).len(),
        1
    );
}

#[test]
fn floating_pool_precedence_as_in_gardener() {
    let pools: Vec<FloatingPool> = serde_json::from_value(json!([
        {"name": "fp-*"},
        {"name": "fp-eu-*", "region": "eu"},
        {"name": "fp-eu-demo", "region": "eu", "domain": "demo"},
        {"name": "fp-eu-dev", "region": "eu", "domain": "dev", "nonConstraining": true},
        {"name": "fp-dom-*", "domain": "dom"},
        {"name": "*-shared", "nonConstraining": true}
    ]))
    .unwrap();
    let found = |domain: Option<&str>, region: &str, name: &str| {
        find_floating_pool(&pools, domain, region, name).map(|p| p.name.clone())
    };
    // Exactly the region and domain.
    assert_eq!(found(Some("demo"), "eu", "fp-eu-demo"), Ok("fp-eu-demo".into()));
    assert_eq!(found(Some("demo"), "eu", "fp-eu-x"), Err(vec!["*-shared".into(), "fp-eu-demo".into()]));
    // A non-constraining entry leaves the region's other pools usable.
    assert_eq!(found(Some("dev"), "eu", "fp-eu-x"), Ok("fp-eu-*".into()));
    // The most specific pattern wins.
    assert_eq!(found(None, "eu", "fp-eu-x"), Ok("fp-eu-*".into()));
    assert_eq!(found(None, "us", "fp-eu-x"), Ok("fp-*".into()));
    assert_eq!(found(None, "us", "a-shared"), Ok("*-shared".into()));
    // Region and domain entries both constrain: a name must be allowed by both. Here nothing is, and as in
    // Gardener the unrestricted entries apply then.
    assert_eq!(found(Some("dom"), "eu", "fp-eu-x"), Ok("fp-*".into()));
    assert_eq!(found(Some("dom"), "us", "fp-dom-1"), Ok("fp-dom-*".into()));
    assert_eq!(found(Some("dom"), "us", "fp-x"), Err(vec!["*-shared".into(), "fp-dom-*".into()]));
    // Unknown domain: domain entries do not apply.
    assert_eq!(found(None, "us", "fp-dom-1"), Ok("fp-*".into()));
}

#[test]
fn floating_pool_name_patterns() {
    assert_eq!(floating_pool_name_matches("*", "anything"), Some(0));
    assert_eq!(floating_pool_name_matches("fp-1", "fp-1"), Some(4));
    assert_eq!(floating_pool_name_matches("fp-*", "fp-1"), Some(3));
    assert_eq!(floating_pool_name_matches("*-1", "fp-1"), Some(2));
    assert_eq!(floating_pool_name_matches("fp-*-1", "fp-x-1"), None);
    assert_eq!(floating_pool_name_matches("fp-2", "fp-1"), None);
}
