//! Shoot checks against its CloudProfile (the core of Gardener's ShootValidator admission).

use super::super::cloudprofile::*;
use super::super::helper::{current_classification, version_is_active};
use super::super::shoot::*;
use super::val;
use crate::field::FieldError;
use k8s_openapi::jiff::Timestamp;

/// Validates `shoot` against the profile it references. `old` is the stored shoot on updates
/// (unchanged values are not re-checked, so expiring versions do not block updates).
pub fn validate_shoot_against_cloudprofile(
    shoot: &Shoot,
    old: Option<&Shoot>,
    profile: &CloudProfileSpec,
    now: Timestamp,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let spec = &shoot.spec;
    let old_spec = old.map(|o| &o.spec);
    let creating = old.is_none();

    if spec.provider.type_ != profile.type_ {
        errs.push(FieldError::invalid(
            "spec.provider.type",
            &val(&spec.provider.type_),
            &format!("provider type in shoot must equal provider type of referenced CloudProfile: {:?}", profile.type_),
        ));
    }

    let region_changed = old_spec.is_none_or(|o| o.region != spec.region);
    let region = profile.regions.iter().find(|r| r.name == spec.region);
    if region_changed && region.is_none() && !spec.region.is_empty() {
        let names: Vec<String> = profile.regions.iter().map(|r| r.name.clone()).collect();
        errs.push(FieldError::not_supported("spec.region", &val(&spec.region), &names));
    }

    let old_version = old_spec.map(|o| o.kubernetes.version.as_str());
    errs.extend(check_kubernetes_version(
        &profile.kubernetes.versions,
        &spec.kubernetes.version,
        old_version,
        creating,
        "spec.kubernetes.version",
        now,
    ));

    let old_workers: &[Worker] = old_spec.map(|o| o.provider.workers.as_slice()).unwrap_or(&[]);
    for (i, w) in spec.provider.workers.iter().enumerate() {
        let p = format!("spec.provider.workers[{i}]");
        let old_w = old_workers.iter().find(|o| o.name == w.name);
        let new_pool = old_w.is_none();
        if let Some(v) = w.kubernetes.as_ref().and_then(|k| k.version.as_deref()) {
            let old_v = old_w.and_then(|o| o.kubernetes.as_ref()).and_then(|k| k.version.as_deref());
            errs.extend(check_kubernetes_version(
                &profile.kubernetes.versions,
                v,
                old_v,
                creating || new_pool,
                &format!("{p}.kubernetes.version"),
                now,
            ));
        }
        let arch = w.machine.architecture.as_deref().unwrap_or(ARCH_AMD64);
        let zones_changed = region_changed || old_w.is_none_or(|o| o.zones != w.zones);
        if old_w.is_none_or(|o| o.machine.type_ != w.machine.type_ || o.machine.architecture != w.machine.architecture)
            || zones_changed
        {
            errs.extend(check_machine_type(profile, region, w, arch, &p));
        }
        if old_w.is_none_or(|o| o.machine.image != w.machine.image || o.machine.architecture != w.machine.architecture)
        {
            errs.extend(check_machine_image(profile, w, arch, &p, now));
        }
        if let Some(vol) = &w.volume {
            if old_w.is_none_or(|o| o.volume.as_ref() != Some(vol)) || zones_changed {
                errs.extend(check_volume(profile, region, w, vol, &p));
            }
        }
        if zones_changed {
            errs.extend(check_zones(region, &spec.region, w, &p));
        }
    }

    if let Some(max) = profile.limits.as_ref().and_then(|l| l.max_nodes_total) {
        let total: i64 = spec.provider.workers.iter().map(|w| i64::from(w.minimum)).sum();
        if total > i64::from(max) {
            errs.push(FieldError::forbidden(
                "spec.provider.workers",
                &format!("the total minimum node count of all worker pools must not exceed the limit of {max} configured in the CloudProfile"),
            ));
        }
    }
    errs
}

fn check_kubernetes_version(
    versions: &[ExpirableVersion],
    version: &str,
    old: Option<&str>,
    only_active: bool,
    field: &str,
    now: Timestamp,
) -> Vec<FieldError> {
    if version.is_empty() || old == Some(version) {
        return vec![];
    }
    let mut valid = Vec::new();
    for v in versions {
        if only_active && !version_is_active(v, now) {
            continue;
        }
        if v.version == version {
            return vec![];
        }
        let mut s = v.version.clone();
        if current_classification(v, now) == CLASSIFICATION_PREVIEW {
            s.push_str(" (preview)");
        }
        valid.push(s);
    }
    vec![FieldError::not_supported(field, &val(version), &valid)]
}

fn usable(u: Option<bool>) -> bool {
    u.unwrap_or(true)
}

fn check_machine_type(
    profile: &CloudProfileSpec,
    region: Option<&Region>,
    w: &Worker,
    arch: &str,
    p: &str,
) -> Vec<FieldError> {
    let unavailable_in_zones = |name: &str| {
        region.is_some_and(|r| {
            r.zones.iter().any(|z| w.zones.contains(&z.name) && z.unavailable_machine_types.iter().any(|t| t == name))
        })
    };
    let type_arch = |t: &MachineType| t.architecture.clone().unwrap_or_else(|| ARCH_AMD64.into());
    let supported: Vec<String> = profile
        .machine_types
        .iter()
        .filter(|t| usable(t.usable) && type_arch(t) == arch && !unavailable_in_zones(&t.name))
        .map(|t| t.name.clone())
        .collect();
    let field = format!("{p}.machine.type");
    let Some(t) = profile.machine_types.iter().find(|t| t.name == w.machine.type_) else {
        if w.machine.type_.is_empty() {
            return vec![];
        }
        return vec![FieldError::not_supported(field, &val(&w.machine.type_), &supported)];
    };
    let mut detail = format!("machine type {:?} ", t.name);
    let mut bad = false;
    if !usable(t.usable) {
        detail.push_str("is unusable, ");
        bad = true;
    }
    if unavailable_in_zones(&t.name) {
        detail.push_str("is unavailable in at least one zone, ");
        bad = true;
    }
    if type_arch(t) != arch {
        detail.push_str(&format!("does not support CPU architecture {arch:?}, "));
        bad = true;
    }
    if bad {
        detail.push_str(&format!("supported types are [{}]", supported.join(" ")));
        return vec![FieldError::invalid(field, &val(&w.machine.type_), &detail)];
    }
    vec![]
}

fn check_machine_image(profile: &CloudProfileSpec, w: &Worker, arch: &str, p: &str, now: Timestamp) -> Vec<FieldError> {
    let Some(image) = &w.machine.image else {
        return vec![];
    };
    let Some(version) = image.version.as_deref() else {
        return vec![];
    };
    let mut valid = Vec::new();
    for m in &profile.machine_images {
        for v in &m.versions {
            if version_is_active(&v.expirable(), now) && v.effective_architectures().iter().any(|a| a == arch) {
                valid.push(format!("{}:{}", m.name, v.version));
            }
        }
    }
    let found = profile
        .machine_images
        .iter()
        .find(|m| m.name == image.name)
        .and_then(|m| m.versions.iter().find(|v| v.version == version));
    let Some(v) = found else {
        return vec![FieldError::not_supported(format!("{p}.machine.image.version"), &val(version), &valid)];
    };
    let mut errs = Vec::new();
    let arch_ok = v.effective_architectures().iter().any(|a| a == arch);
    let active = version_is_active(&v.expirable(), now);
    if !arch_ok || !active {
        let mut detail = format!("machine image version '{}:{}' ", image.name, version);
        if !arch_ok {
            detail.push_str(&format!("does not support CPU architecture {arch:?}, "));
        }
        if !active {
            detail.push_str("is expired, ");
        }
        detail.push_str(&format!("supported machine image versions are: [{}]", valid.join(" ")));
        errs.push(FieldError::invalid(format!("{p}.machine.image"), &val(image), &detail));
    }
    if let Some(cri) = &w.cri {
        if !v.cri.is_empty() && !v.cri.iter().any(|c| c.name == cri.name) {
            let names: Vec<String> = v.cri.iter().map(|c| c.name.clone()).collect();
            errs.push(FieldError::invalid(
                format!("{p}.cri.name"),
                &val(&cri.name),
                &format!(
                    "machine image '{}@{}' does not support CRI '{}', supported values: [{}]",
                    image.name,
                    version,
                    cri.name,
                    names.join(" ")
                ),
            ));
        }
    }
    errs
}

fn check_volume(
    profile: &CloudProfileSpec,
    region: Option<&Region>,
    w: &Worker,
    vol: &Volume,
    p: &str,
) -> Vec<FieldError> {
    let Some(vtype) = vol.type_.as_deref() else {
        return vec![];
    };
    let unavailable_in_zones = |name: &str| {
        region.is_some_and(|r| {
            r.zones.iter().any(|z| w.zones.contains(&z.name) && z.unavailable_volume_types.iter().any(|t| t == name))
        })
    };
    let supported: Vec<String> = profile
        .volume_types
        .iter()
        .filter(|t| usable(t.usable) && !unavailable_in_zones(&t.name))
        .map(|t| t.name.clone())
        .collect();
    let field = format!("{p}.volume.type");
    let Some(t) = profile.volume_types.iter().find(|t| t.name == vtype) else {
        return vec![FieldError::not_supported(field, &val(vtype), &supported)];
    };
    if !usable(t.usable) || unavailable_in_zones(vtype) {
        let mut detail = format!("volume type {vtype:?} ");
        if !usable(t.usable) {
            detail.push_str("is unusable, ");
        }
        if unavailable_in_zones(vtype) {
            detail.push_str("is unavailable in at least one zone, ");
        }
        detail.push_str(&format!("supported types are [{}]", supported.join(" ")));
        return vec![FieldError::invalid(field, &val(vtype), &detail)];
    }
    if let (Some(min), Some(size)) =
        (t.min_size.as_ref().and_then(|q| crate::quantity::parse(&q.0)), crate::quantity::parse(&vol.size))
    {
        if size < min {
            let min_str = t.min_size.as_ref().map(|q| q.0.clone()).unwrap_or_default();
            return vec![FieldError::invalid(
                format!("{p}.volume.size"),
                &val(&vol.size),
                &format!("size must be >= {min_str}"),
            )];
        }
    }
    vec![]
}

fn check_zones(region: Option<&Region>, region_name: &str, w: &Worker, p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(region) = region else { return errs };
    let valid: Vec<String> = region.zones.iter().map(|z| z.name.clone()).collect();
    let mut used = std::collections::BTreeSet::new();
    for (j, zone) in w.zones.iter().enumerate() {
        let zp = format!("{p}.zones[{j}]");
        if !valid.contains(zone) {
            if valid.is_empty() {
                errs.push(FieldError::invalid(
                    &zp,
                    &val(region_name),
                    "this region does not support availability zones, please do not configure them",
                ));
            } else {
                errs.push(FieldError::not_supported(&zp, &val(zone), &valid));
            }
        }
        if !used.insert(zone.clone()) {
            errs.push(FieldError::duplicate(&zp, &val(zone)));
        }
    }
    errs
}
