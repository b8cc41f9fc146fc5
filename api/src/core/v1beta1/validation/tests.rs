use super::super::fixtures::{now, profile, shoot};
use super::super::*;
use super::*;
use crate::field::FieldError;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

fn fields(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(|e| e.field.clone()).collect()
}

fn has(errs: &[FieldError], field: &str, reason: &str) -> bool {
    errs.iter().any(|e| e.field == field && e.reason == reason)
}

#[test]
fn valid_shoot_passes() {
    assert_eq!(validate_shoot(&shoot()), vec![]);
    assert_eq!(validate_shoot_against_cloudprofile(&shoot(), None, &profile(), now()), vec![]);
}

#[test]
fn shoot_name_and_required_fields() {
    let mut s = shoot();
    s.metadata.name = Some("Bad_Name".into());
    s.spec.region.clear();
    s.spec.provider.type_.clear();
    s.spec.kubernetes.version.clear();
    s.spec.cloud_profile = None;
    s.spec.credentials_binding_name = None;
    let errs = validate_shoot(&s);
    assert!(has(&errs, "metadata.name", "FieldValueInvalid"));
    assert!(errs[0].message.contains("a lowercase RFC 1123 label must consist of"));
    assert!(has(&errs, "spec.region", "FieldValueRequired"));
    assert!(has(&errs, "spec.provider.type", "FieldValueRequired"));
    assert!(has(&errs, "spec.kubernetes.version", "FieldValueRequired"));
    assert!(has(&errs, "spec.cloudProfile.name", "FieldValueRequired"));
    assert!(has(&errs, "spec.secretBindingName", "FieldValueRequired"));

    let mut s = shoot();
    s.metadata.name = Some("a--b".into());
    assert!(has(&validate_shoot(&s), "metadata.name", "FieldValueInvalid"));
}

#[test]
fn shoot_cloud_profile_and_bindings() {
    let mut s = shoot();
    s.spec.cloud_profile.as_mut().unwrap().kind = "Other".into();
    assert!(has(&validate_shoot(&s), "spec.cloudProfile.kind", "FieldValueNotSupported"));

    let mut s = shoot();
    s.spec.cloud_profile_name = Some("gcp".into());
    s.spec.kubernetes.version = "1.32.5".into();
    assert!(has(&validate_shoot(&s), "spec.cloudProfileName", "FieldValueInvalid"));

    let mut s = shoot();
    s.spec.cloud_profile_name = Some("aws".into());
    s.spec.kubernetes.version = "1.34.0".into();
    assert!(has(&validate_shoot(&s), "spec.cloudProfileName", "FieldValueForbidden"));

    let mut s = shoot();
    s.spec.secret_binding_name = Some("sb".into());
    assert!(has(&validate_shoot(&s), "spec.secretBindingName", "FieldValueForbidden"));
}

#[test]
fn shoot_purpose_and_networking() {
    let mut s = shoot();
    s.spec.purpose = Some("infrastructure".into());
    let errs = validate_shoot(&s);
    assert!(has(&errs, "spec.purpose", "FieldValueNotSupported"));
    assert_eq!(
        errs[0].message,
        r#"Unsupported value: "infrastructure": supported values: "development", "evaluation", "production", "testing""#
    );
    s.metadata.namespace = Some("garden".into());
    assert_eq!(validate_shoot(&s), vec![]);

    let mut s = shoot();
    let n = s.spec.networking.as_mut().unwrap();
    n.pods = Some("100.96.0.0/33".into());
    n.services = Some("10.250.1.0/24".into());
    n.type_ = None;
    let errs = validate_shoot(&s);
    assert!(has(&errs, "spec.networking.pods", "FieldValueInvalid"));
    assert!(has(&errs, "spec.networking.nodes", "FieldValueInvalid"), "{errs:?}");
    assert!(has(&errs, "spec.networking.type", "FieldValueRequired"));
}

#[test]
fn shoot_maintenance_and_hibernation() {
    let mut s = shoot();
    s.spec.maintenance.as_mut().unwrap().time_window =
        Some(MaintenanceTimeWindow { begin: "22:00".into(), end: "230000+0100".into() });
    assert!(has(&validate_shoot(&s), "spec.maintenance.timeWindow.begin/end", "FieldValueInvalid"));
    s.spec.maintenance.as_mut().unwrap().time_window =
        Some(MaintenanceTimeWindow { begin: "220000+0100".into(), end: "221000+0100".into() });
    assert!(has(&validate_shoot(&s), "spec.maintenance.timeWindow", "FieldValueInvalid"));

    let mut s = shoot();
    let h = s.spec.hibernation.as_mut().unwrap();
    h.schedules[0].start = Some("0 25 * * *".into());
    h.schedules.push(HibernationSchedule::default());
    let errs = validate_shoot(&s);
    assert!(has(&errs, "spec.hibernation.schedules[0].start", "FieldValueInvalid"));
    assert!(has(&errs, "spec.hibernation.schedules[1].start/end", "FieldValueRequired"));
}

#[test]
fn shoot_workers() {
    let mut s = shoot();
    let mut w2 = s.spec.provider.workers[0].clone();
    w2.name = "a-very-long-worker-name".into();
    w2.minimum = 3;
    w2.maximum = 1;
    w2.max_surge = Some(IntOrString::Int(0));
    w2.max_unavailable = Some(IntOrString::String("0%".into()));
    w2.volume.as_mut().unwrap().size = "50GB".into();
    w2.machine.architecture = Some("sparc".into());
    let mut w3 = s.spec.provider.workers[0].clone();
    w3.machine.image = None;
    w3.maximum = -1;
    w3.minimum = -1;
    s.spec.provider.workers.push(w2);
    s.spec.provider.workers.push(w3);
    let errs = validate_shoot(&s);
    assert!(has(&errs, "spec.provider.workers[1].name", "FieldValueTooLong"));
    assert!(has(&errs, "spec.provider.workers[1].maximum", "FieldValueForbidden"));
    assert!(has(&errs, "spec.provider.workers[1].maxUnavailable", "FieldValueInvalid"));
    assert!(has(&errs, "spec.provider.workers[1].volume.size", "FieldValueInvalid"));
    assert!(has(&errs, "spec.provider.workers[1].machine.architecture", "FieldValueNotSupported"));
    assert!(has(&errs, "spec.provider.workers[2].name", "FieldValueDuplicate"));
    assert!(has(&errs, "spec.provider.workers[2].machine.image", "FieldValueRequired"));
    assert!(has(&errs, "spec.provider.workers[2].minimum", "FieldValueInvalid"));
    assert!(has(&errs, "spec.provider.workers[2].maximum", "FieldValueInvalid"));
}

#[test]
fn shoot_update_immutability() {
    let old = {
        let mut s = shoot();
        s.spec.seed_name = Some("seed-a".into());
        s
    };
    assert_eq!(validate_shoot_update(&old, &old), vec![]);
    let mut new = old.clone();
    new.spec.region = "local".into();
    new.spec.provider.type_ = "aws".into();
    new.spec.networking.as_mut().unwrap().pods = Some("100.128.0.0/11".into());
    new.spec.networking.as_mut().unwrap().type_ = Some("cilium".into());
    new.spec.seed_name = Some("seed-b".into());
    new.spec.credentials_binding_name = None;
    new.spec.secret_binding_name = Some("sb".into());
    let errs = validate_shoot_update(&new, &old);
    let e = errs.iter().find(|e| e.field == "spec.region").unwrap();
    assert_eq!(e.line(), r#"spec.region: Invalid value: "local": field is immutable"#);
    for f in ["spec.provider.type", "spec.networking.pods", "spec.networking.type", "spec.secretBindingName"] {
        assert!(has(&errs, f, "FieldValueInvalid"), "{f}: {errs:?}");
    }
    // A new seed is a control plane migration, not an error; unsetting it is.
    assert!(!errs.iter().any(|e| e.field == "spec.seedName"), "{errs:?}");
    assert!(has(&errs, "spec.credentialsBindingName", "FieldValueForbidden"));
    let mut unset = old.clone();
    unset.spec.seed_name = None;
    assert!(has(&validate_shoot_update(&unset, &old), "spec.seedName", "FieldValueForbidden"));

    let mut new = old.clone();
    new.spec.kubernetes.version = "1.32.5".into();
    assert!(validate_shoot_update(&new, &old).iter().any(|e| e.message.contains("downgrade")));
    new.spec.kubernetes.version = "1.35.0".into();
    assert!(validate_shoot_update(&new, &old).iter().any(|e| e.message.contains("cannot skip a minor version")));
    new.spec.kubernetes.version = "1.34.0".into();
    assert_eq!(validate_shoot_update(&new, &old), vec![]);
}

#[test]
fn shoot_against_cloudprofile() {
    let p = profile();
    let mut s = shoot();
    s.spec.kubernetes.version = "1.30.0".into();
    s.spec.region = "us-east-1".into();
    s.spec.provider.type_ = "aws".into();
    let errs = validate_shoot_against_cloudprofile(&s, None, &p, now());
    let e = errs.iter().find(|e| e.field == "spec.kubernetes.version").unwrap();
    assert_eq!(e.reason, "FieldValueNotSupported");
    assert_eq!(
        e.message,
        r#"Unsupported value: "1.30.0": supported values: "1.34.0 (preview)", "1.33.3", "1.33.2", "1.33.1", "1.32.5""#
    );
    assert!(has(&errs, "spec.region", "FieldValueNotSupported"));
    assert!(has(&errs, "spec.provider.type", "FieldValueInvalid"));

    // Expired version rejected on create but kept on update.
    let mut s = shoot();
    s.spec.kubernetes.version = "1.32.9".into();
    assert!(has(
        &validate_shoot_against_cloudprofile(&s, None, &p, now()),
        "spec.kubernetes.version",
        "FieldValueNotSupported"
    ));
    assert_eq!(validate_shoot_against_cloudprofile(&s, Some(&s.clone()), &p, now()), vec![]);

    let mut s = shoot();
    {
        let w = &mut s.spec.provider.workers[0];
        w.machine.type_ = "xxl".into();
        w.machine.image.as_mut().unwrap().version = Some("9.9.9".into());
        w.volume.as_mut().unwrap().type_ = Some("nvme".into());
        w.zones = vec!["eu-west-1a".into(), "eu-west-1z".into()];
    }
    let errs = validate_shoot_against_cloudprofile(&s, None, &p, now());
    let e = errs.iter().find(|e| e.field == "spec.provider.workers[0].machine.type").unwrap();
    assert_eq!(e.message, r#"Unsupported value: "xxl": supported values: "m5.large""#);
    assert!(has(&errs, "spec.provider.workers[0].machine.image.version", "FieldValueNotSupported"));
    assert!(has(&errs, "spec.provider.workers[0].volume.type", "FieldValueNotSupported"));
    let e = errs.iter().find(|e| e.field == "spec.provider.workers[0].zones[1]").unwrap();
    assert_eq!(e.message, r#"Unsupported value: "eu-west-1z": supported values: "eu-west-1a", "eu-west-1b""#);

    // Unusable type, unavailable in zone, expired image, arch mismatch, volume too small.
    let mut s = shoot();
    {
        let w = &mut s.spec.provider.workers[0];
        w.zones = vec!["eu-west-1b".into()];
        w.machine.image.as_mut().unwrap().version = Some("1877.1.0".into());
        w.volume.as_mut().unwrap().type_ = Some("io1".into());
    }
    let errs = validate_shoot_against_cloudprofile(&s, None, &p, now());
    let e = errs.iter().find(|e| e.field == "spec.provider.workers[0].machine.type").unwrap();
    assert!(e.message.contains("is unavailable in at least one zone"), "{}", e.message);
    let e = errs.iter().find(|e| e.field == "spec.provider.workers[0].machine.image").unwrap();
    assert!(e.message.contains("is expired"), "{}", e.message);
    assert!(has(&errs, "spec.provider.workers[0].volume.type", "FieldValueInvalid"));

    let mut s = shoot();
    s.spec.provider.workers[0].machine.type_ = "old.large".into();
    s.spec.provider.workers[0].volume.as_mut().unwrap().size = "10Gi".into();
    let errs = validate_shoot_against_cloudprofile(&s, None, &p, now());
    assert!(errs.iter().any(|e| e.field.ends_with("machine.type") && e.message.contains("is unusable")));
    assert!(has(&errs, "spec.provider.workers[0].volume.size", "FieldValueInvalid"));

    let mut s = shoot();
    s.spec.provider.workers[0].machine.architecture = Some("arm64".into());
    let errs = validate_shoot_against_cloudprofile(&s, None, &p, now());
    assert!(errs.iter().any(
        |e| e.field.ends_with("machine.type") && e.message.contains("does not support CPU architecture \"arm64\"")
    ));
}

#[test]
fn shoot_name_length() {
    assert_eq!(validate_shoot_name_length("dev", "crazy-botany"), vec![]);
    assert_eq!(validate_shoot_name_length("0123456789", "01234567890"), vec![]);
    let errs = validate_shoot_name_length("0123456789", "012345678901");
    assert_eq!(fields(&errs), vec!["metadata.name"]);
    assert!(errs[0].message.contains("must not exceed 21 characters"));
    assert!(!validate_shoot_generate_name_length("0123456789", "0123456").is_empty());
    assert_eq!(shoot_technical_id("dev", "crazy-botany"), "shoot--dev--crazy-botany");
}

fn project() -> Project {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "dev"},
        "spec": {"namespace": "garden-dev",
            "owner": {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "john"},
            "members": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "john", "role": "admin", "roles": ["owner", "extension:foo"]}]}
    }))
    .unwrap()
}

#[test]
fn project_validation() {
    assert_eq!(validate_project(&project()), vec![]);
    let mut p = project();
    p.metadata.name = Some("much-too-long".into());
    p.spec.namespace = Some("dev".into());
    let mut m = p.spec.members[0].clone();
    m.roles = vec!["boss".into()];
    p.spec.members.push(m);
    p.spec.members.push(ProjectMember {
        kind: "ServiceAccount".into(),
        name: "robot".into(),
        role: "viewer".into(),
        ..Default::default()
    });
    let errs = validate_project(&p);
    assert!(has(&errs, "metadata.name", "FieldValueTooLong"));
    assert!(has(&errs, "spec.namespace", "FieldValueInvalid"));
    assert!(has(&errs, "spec.members[1]", "FieldValueDuplicate"));
    assert!(has(&errs, "spec.members[1].roles[0]", "FieldValueNotSupported"));
    assert!(has(&errs, "spec.members[2].namespace", "FieldValueRequired"));

    let old = project();
    let mut new = project();
    new.spec.namespace = Some("garden-other".into());
    assert!(has(&validate_project_update(&new, &old), "spec.namespace", "FieldValueInvalid"));
    let mut old2 = project();
    old2.spec.created_by = old2.spec.owner.clone();
    let mut new2 = old2.clone();
    new2.spec.created_by.as_mut().unwrap().name = "eve".into();
    assert!(has(&validate_project_update(&new2, &old2), "spec.createdBy", "FieldValueInvalid"));
}

#[test]
fn other_kinds() {
    let mut cp = CloudProfile { spec: profile(), ..Default::default() };
    cp.metadata.name = Some("local".into());
    assert_eq!(validate_cloudprofile(&cp), vec![]);
    cp.spec.kubernetes.versions.push(ExpirableVersion {
        version: "1.x".into(),
        classification: Some("beta".into()),
        ..Default::default()
    });
    cp.spec.type_.clear();
    let errs = validate_cloudprofile(&cp);
    assert!(has(&errs, "spec.type", "FieldValueRequired"));
    assert!(has(&errs, "spec.kubernetes.versions[6].version", "FieldValueInvalid"));
    assert!(has(&errs, "spec.kubernetes.versions[6].classification", "FieldValueNotSupported"));

    let mut ncp = NamespacedCloudProfile::default();
    ncp.metadata.name = Some("custom".into());
    let errs = validate_namespaced_cloudprofile(&ncp);
    assert!(has(&errs, "spec.parent.kind", "FieldValueNotSupported"));
    assert!(has(&errs, "spec.parent.name", "FieldValueRequired"));

    let mut seed: Seed = serde_json::from_value(serde_json::json!({"metadata": {"name": "s"}, "spec": {"provider": {"type": "local", "region": "local"}, "networks": {"pods": "10.1.0.0/16", "services": "10.1.128.0/17"}}})).unwrap();
    assert!(has(&validate_seed(&seed), "spec.networks.pods", "FieldValueInvalid"));
    seed.spec.networks.services = "10.2.0.0/16".into();
    assert_eq!(validate_seed(&seed), vec![]);

    let mut sb = SecretBinding::default();
    sb.metadata.name = Some("b".into());
    let errs = validate_secretbinding(&sb);
    assert!(has(&errs, "secretRef.name", "FieldValueRequired"));
    assert!(has(&errs, "provider", "FieldValueRequired"));

    let q: Quota = serde_json::from_value(serde_json::json!({"metadata": {"name": "q"}, "spec": {"metrics": {"cpu": "-1"}, "scope": {"apiVersion": "v1", "kind": "Pod"}}})).unwrap();
    let errs = validate_quota(&q);
    assert!(has(&errs, "spec.scope", "FieldValueNotSupported"));
    assert!(has(&errs, "spec.metrics[cpu]", "FieldValueInvalid"));

    use crate::security::v1alpha1::{validation::validate_credentialsbinding, CredentialsBinding};
    let cb: CredentialsBinding = serde_json::from_value(serde_json::json!({"metadata": {"name": "b"}, "provider": {"type": "aws"}, "credentialsRef": {"apiVersion": "v1", "kind": "Secret", "name": "s", "namespace": "garden-dev"}})).unwrap();
    assert_eq!(validate_credentialsbinding(&cb), vec![]);
    let cb: CredentialsBinding = serde_json::from_value(serde_json::json!({"metadata": {"name": "b"}, "provider": {"type": ""}, "credentialsRef": {"apiVersion": "v1", "kind": "ConfigMap", "name": "s"}})).unwrap();
    let errs = validate_credentialsbinding(&cb);
    assert!(has(&errs, "provider.type", "FieldValueRequired"));
    assert!(has(&errs, "credentialsRef", "FieldValueNotSupported"));
    assert!(has(&errs, "credentialsRef.namespace", "FieldValueRequired"));
}
