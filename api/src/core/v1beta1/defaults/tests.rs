use super::super::fixtures::{now, profile, shoot};
use super::super::*;
use super::*;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

#[test]
fn static_shoot_defaults() {
    let mut s = shoot();
    s.spec.purpose = None;
    s.spec.maintenance = None;
    s.spec.networking.as_mut().unwrap().ip_families.clear();
    let w = &mut s.spec.provider.workers[0];
    w.max_surge = None;
    w.max_unavailable = None;
    w.cri = None;
    default_shoot(&mut s);
    assert_eq!(s.spec.purpose.as_deref(), Some("evaluation"));
    assert_eq!(s.spec.networking.as_ref().unwrap().ip_families, vec!["IPv4".to_string()]);
    let m = s.spec.maintenance.as_ref().unwrap();
    assert_eq!(
        m.auto_update,
        Some(MaintenanceAutoUpdate { kubernetes_version: true, machine_image_version: Some(true) })
    );
    let tw = m.time_window.as_ref().unwrap();
    assert_eq!(helper::maintenance_window_duration(&tw.begin, &tw.end).unwrap(), 3600);
    let w = &s.spec.provider.workers[0];
    assert_eq!(w.max_surge, Some(IntOrString::Int(1)));
    assert_eq!(w.max_unavailable, Some(IntOrString::Int(0)));
    assert_eq!(w.cri.as_ref().unwrap().name, "containerd");
    assert_eq!(s.spec.scheduler_name.as_deref(), Some("default-scheduler"));
    assert_eq!(s.spec.kubernetes.kube_controller_manager.as_ref().unwrap().node_cidr_mask_size, Some(24));
    assert_eq!(s.spec.kubernetes.kube_proxy.as_ref().unwrap().mode.as_deref(), Some("IPTables"));
    assert!(s.spec.tolerations.is_empty());
    // Idempotent, and the defaulted shoot is valid.
    let once = s.clone();
    default_shoot(&mut s);
    assert_eq!(s, once);
    assert_eq!(validation::validate_shoot(&s), vec![]);
}

#[test]
fn garden_namespace_gets_protected_toleration() {
    let mut s = shoot();
    s.metadata.namespace = Some("garden".into());
    default_shoot(&mut s);
    assert_eq!(s.spec.tolerations, vec![Toleration { key: "seed.gardener.cloud/protected".into(), value: None }]);
}

#[test]
fn cloud_profile_name_sync() {
    let mut s = shoot();
    s.spec.cloud_profile = None;
    s.spec.cloud_profile_name = Some("aws".into());
    s.spec.kubernetes.version = "1.32.5".into();
    default_shoot(&mut s);
    assert_eq!(s.spec.cloud_profile, Some(CloudProfileReference { kind: "CloudProfile".into(), name: "aws".into() }));

    let mut s = shoot();
    s.spec.kubernetes.version = "1.32.5".into();
    s.spec.cloud_profile_name = None;
    default_shoot(&mut s);
    assert_eq!(s.spec.cloud_profile_name.as_deref(), Some("aws"));

    let mut s = shoot();
    s.spec.kubernetes.version = "1.34.0".into();
    s.spec.cloud_profile.as_mut().unwrap().kind.clear();
    default_shoot(&mut s);
    assert_eq!(s.spec.cloud_profile.as_ref().unwrap().kind, "CloudProfile");
    assert_eq!(s.spec.cloud_profile_name, None);
}

#[test]
fn kubernetes_version_expands_to_latest_supported_patch() {
    let mut s = shoot();
    s.spec.kubernetes.version = "1.33".into();
    assert!(default_shoot_from_cloudprofile(&mut s, None, &profile(), now()).is_empty());
    // 1.33.3 has no classification (supported); 1.34.0 is preview and ignored.
    assert_eq!(s.spec.kubernetes.version, "1.33.3");

    let mut s = shoot();
    s.spec.kubernetes.version = "1.32".into();
    default_shoot_from_cloudprofile(&mut s, None, &profile(), now());
    // 1.32.9 is expired.
    assert_eq!(s.spec.kubernetes.version, "1.32.5");

    let mut s = shoot();
    s.spec.kubernetes.version = "1".into();
    default_shoot_from_cloudprofile(&mut s, None, &profile(), now());
    assert_eq!(s.spec.kubernetes.version, "1.33.3");

    let mut s = shoot();
    s.spec.kubernetes.version = "1.34".into();
    let errs = default_shoot_from_cloudprofile(&mut s, None, &profile(), now());
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].field, "spec.kubernetes.version");
    assert!(errs[0].message.contains("couldn't find a suitable version for 1.34"));

    let mut s = shoot();
    s.spec.kubernetes.version = "1.34.0".into();
    assert!(default_shoot_from_cloudprofile(&mut s, None, &profile(), now()).is_empty());
    assert_eq!(s.spec.kubernetes.version, "1.34.0");
}

#[test]
fn machine_image_defaulting() {
    let p = profile();
    let mut s = shoot();
    s.spec.provider.workers[0].machine.image = None;
    s.spec.provider.workers[0].machine.architecture = None;
    assert!(default_shoot_from_cloudprofile(&mut s, None, &p, now()).is_empty());
    let m = &s.spec.provider.workers[0].machine;
    assert_eq!(m.architecture.as_deref(), Some("amd64"));
    // armonly does not support amd64; preview 1877.3.0 and expired 1877.1.0 are skipped.
    assert_eq!(m.image.as_ref().unwrap().name, "gardenlinux");
    assert_eq!(m.image.as_ref().unwrap().version.as_deref(), Some("1877.2.0"));

    // Architecture inferred from the machine type; first image supporting arm64 wins.
    let mut s = shoot();
    s.spec.provider.workers[0].machine = Machine { type_: "m6g.large".into(), image: None, architecture: None };
    default_shoot_from_cloudprofile(&mut s, None, &p, now());
    let m = &s.spec.provider.workers[0].machine;
    assert_eq!(m.architecture.as_deref(), Some("arm64"));
    assert_eq!(m.image.as_ref().unwrap().name, "armonly");

    // Name given, partial version.
    let mut s = shoot();
    s.spec.provider.workers[0].machine.image =
        Some(ShootMachineImage { name: "gardenlinux".into(), version: Some("1592".into()), provider_config: None });
    default_shoot_from_cloudprofile(&mut s, None, &p, now());
    assert_eq!(s.spec.provider.workers[0].machine.image.as_ref().unwrap().version.as_deref(), Some("1592.9.0"));

    // Unknown image name.
    let mut s = shoot();
    s.spec.provider.workers[0].machine.image = Some(ShootMachineImage { name: "nope".into(), ..Default::default() });
    let errs = default_shoot_from_cloudprofile(&mut s, None, &p, now());
    assert_eq!(errs[0].field, "spec.provider.workers[0]");
    assert!(errs[0].message.contains("image is not supported"));

    // On update an unspecified image is kept from the old shoot.
    let old = shoot();
    let mut s = shoot();
    s.spec.provider.workers[0].machine.image = None;
    default_shoot_from_cloudprofile(&mut s, Some(&old), &p, now());
    assert_eq!(s.spec.provider.workers[0].machine.image, old.spec.provider.workers[0].machine.image);
}

#[test]
fn seed_network_defaults() {
    let mut s = shoot();
    let n = s.spec.networking.as_mut().unwrap();
    n.pods = None;
    n.services = None;
    let seed = SeedSpec {
        networks: SeedNetworks {
            shoot_defaults: Some(ShootNetworks {
                pods: Some("100.96.0.0/11".into()),
                services: Some("fd00::/112".into()),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    default_shoot_networks_from_seed(&mut s, &seed);
    let n = s.spec.networking.as_ref().unwrap();
    assert_eq!(n.pods.as_deref(), Some("100.96.0.0/11"));
    assert_eq!(n.services, None);
}

#[test]
fn project_defaults() {
    let mut p = Project::default();
    p.metadata.name = Some("dev".into());
    p.spec.members.push(ProjectMember { kind: "User".into(), name: "alice".into(), ..Default::default() });
    default_project(&mut p, "john");
    let created = p.spec.created_by.clone().unwrap();
    assert_eq!(
        (created.kind.as_str(), created.name.as_str(), created.api_group.as_deref()),
        ("User", "john", Some("rbac.authorization.k8s.io"))
    );
    assert_eq!(p.spec.owner, Some(created));
    assert_eq!(p.spec.namespace.as_deref(), Some("garden-dev"));
    assert_eq!(p.spec.members[0].role, "viewer");
    assert_eq!(p.spec.members[0].api_group, "rbac.authorization.k8s.io");
    let owner = &p.spec.members[1];
    assert_eq!(
        (owner.name.as_str(), owner.role.as_str(), owner.roles.clone()),
        ("john", "admin", vec!["owner".to_string()])
    );
    assert_eq!(validation::validate_project(&p), vec![]);

    // Owner taken from the member with the owner role; no duplicate member.
    let mut p = Project::default();
    p.metadata.name = Some("dev".into());
    p.spec.members.push(ProjectMember {
        kind: "User".into(),
        name: "alice".into(),
        role: "admin".into(),
        roles: vec!["owner".into()],
        ..Default::default()
    });
    default_project(&mut p, "john");
    assert_eq!(p.spec.owner.as_ref().unwrap().name, "alice");
    assert_eq!(p.spec.members.len(), 1);
}

#[test]
fn seed_and_cloudprofile_defaults() {
    let mut seed = Seed::default();
    default_seed(&mut seed);
    assert_eq!(seed.spec.networks.ip_families, vec!["IPv4".to_string()]);
    assert_eq!(seed.spec.settings.as_ref().unwrap().scheduling, Some(SeedSettingScheduling { visible: true }));

    let mut cp = CloudProfile { spec: profile(), ..Default::default() };
    default_cloudprofile(&mut cp);
    assert!(cp.spec.machine_types.iter().all(|t| t.architecture.is_some() && t.usable.is_some()));
    assert_eq!(cp.spec.machine_types[2].usable, Some(false));
    assert!(cp.spec.machine_images.iter().flat_map(|m| &m.versions).all(|v| !v.cri.is_empty()));
}
