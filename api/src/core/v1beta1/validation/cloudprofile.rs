//! CloudProfile and NamespacedCloudProfile validation.

use super::super::cloudprofile::*;
use super::val;
use crate::field::FieldError;
use crate::names::validate_object_name;
use crate::semver::Version;

fn validate_versions(versions: &[ExpirableVersion], p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in versions.iter().enumerate() {
        let vp = format!("{p}[{i}]");
        errs.extend(validate_version_entry(&v.version, v.classification.as_deref(), &v.lifecycle, &vp));
        if !seen.insert(v.version.clone()) {
            errs.push(FieldError::duplicate(format!("{vp}.version"), &val(&v.version)));
        }
    }
    errs
}

fn validate_version_entry(
    version: &str,
    classification: Option<&str>,
    lifecycle: &[LifecycleStage],
    vp: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if Version::parse(version).is_none() {
        errs.push(FieldError::invalid(
            format!("{vp}.version"),
            &val(version),
            "could not parse version. Use a semantic version.",
        ));
    }
    let classes: Vec<String> = VALID_CLASSIFICATIONS.iter().map(|s| s.to_string()).collect();
    if let Some(c) = classification {
        if !classes.contains(&c.to_string()) {
            errs.push(FieldError::not_supported(format!("{vp}.classification"), &val(c), &classes));
        }
        if !lifecycle.is_empty() {
            errs.push(FieldError::forbidden(format!("{vp}.classification"), "cannot be set together with lifecycle"));
        }
    }
    let mut lc = classes.clone();
    lc.extend([CLASSIFICATION_EXPIRED.to_string(), CLASSIFICATION_UNAVAILABLE.to_string()]);
    for (j, s) in lifecycle.iter().enumerate() {
        if !lc.contains(&s.classification) {
            errs.push(FieldError::not_supported(
                format!("{vp}.lifecycle[{j}].classification"),
                &val(&s.classification),
                &lc,
            ));
        }
    }
    errs
}

fn validate_machine_images(images: &[MachineImage], p: &str, require_versions: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, m) in images.iter().enumerate() {
        let ip = format!("{p}[{i}]");
        if m.name.is_empty() {
            errs.push(FieldError::required(format!("{ip}.name"), "machine image name must not be empty"));
        } else if !names.insert(m.name.clone()) {
            errs.push(FieldError::duplicate(format!("{ip}.name"), &val(&m.name)));
        }
        if require_versions && m.versions.is_empty() {
            errs.push(FieldError::required(
                format!("{ip}.versions"),
                &format!("must provide at least one version for the machine image '{}'", m.name),
            ));
        }
        if let Some(s) = &m.update_strategy {
            let allowed: Vec<String> = ["major", "minor", "patch"].iter().map(|s| s.to_string()).collect();
            if !allowed.contains(s) {
                errs.push(FieldError::not_supported(format!("{ip}.updateStrategy"), &val(s), &allowed));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (j, v) in m.versions.iter().enumerate() {
            let vp = format!("{ip}.versions[{j}]");
            errs.extend(validate_version_entry(&v.version, v.classification.as_deref(), &v.lifecycle, &vp));
            if !seen.insert(v.version.clone()) {
                errs.push(FieldError::duplicate(format!("{vp}.version"), &val(&v.version)));
            }
            for (k, a) in v.architectures.iter().enumerate() {
                if !super::super::VALID_ARCHITECTURES.contains(&a.as_str()) {
                    let valid: Vec<String> = super::super::VALID_ARCHITECTURES.iter().map(|s| s.to_string()).collect();
                    errs.push(FieldError::not_supported(format!("{vp}.architectures[{k}]"), &val(a), &valid));
                }
            }
        }
    }
    errs
}

fn validate_machine_types(types: &[MachineType], p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, t) in types.iter().enumerate() {
        let tp = format!("{p}[{i}]");
        if t.name.is_empty() {
            errs.push(FieldError::required(format!("{tp}.name"), "must provide a name"));
        } else if !names.insert(t.name.clone()) {
            errs.push(FieldError::duplicate(format!("{tp}.name"), &val(&t.name)));
        }
        for (q, f) in [(&t.cpu, "cpu"), (&t.gpu, "gpu"), (&t.memory, "memory")] {
            if q.0.starts_with('-') {
                errs.push(FieldError::invalid(format!("{tp}.{f}"), &val(&q.0), "must be greater than or equal to 0"));
            }
        }
        if let Some(a) = &t.architecture {
            if !super::super::VALID_ARCHITECTURES.contains(&a.as_str()) {
                let valid: Vec<String> = super::super::VALID_ARCHITECTURES.iter().map(|s| s.to_string()).collect();
                errs.push(FieldError::not_supported(format!("{tp}.architecture"), &val(a), &valid));
            }
        }
    }
    errs
}

fn validate_volume_types(types: &[VolumeType], p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, t) in types.iter().enumerate() {
        let tp = format!("{p}[{i}]");
        if t.name.is_empty() {
            errs.push(FieldError::required(format!("{tp}.name"), "must provide a name"));
        } else if !names.insert(t.name.clone()) {
            errs.push(FieldError::duplicate(format!("{tp}.name"), &val(&t.name)));
        }
        if t.class.is_empty() {
            errs.push(FieldError::required(format!("{tp}.class"), "must provide a class"));
        }
    }
    errs
}

/// Validates a CloudProfile: type, versions, images, machine/volume types, regions and zones.
pub fn validate_cloudprofile(profile: &CloudProfile) -> Vec<FieldError> {
    let mut errs = validate_object_name(profile.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    let spec = &profile.spec;
    if spec.type_.is_empty() {
        errs.push(FieldError::required("spec.type", "must provide a provider type"));
    }
    if spec.kubernetes.versions.is_empty() {
        errs.push(FieldError::required("spec.kubernetes.versions", "must provide at least one Kubernetes version"));
    }
    errs.extend(validate_versions(&spec.kubernetes.versions, "spec.kubernetes.versions"));
    if spec.machine_images.is_empty() {
        errs.push(FieldError::required("spec.machineImages", "must provide at least one machine image"));
    }
    errs.extend(validate_machine_images(&spec.machine_images, "spec.machineImages", true));
    if spec.machine_types.is_empty() {
        errs.push(FieldError::required("spec.machineTypes", "must provide at least one machine type"));
    }
    errs.extend(validate_machine_types(&spec.machine_types, "spec.machineTypes"));
    errs.extend(validate_volume_types(&spec.volume_types, "spec.volumeTypes"));
    if spec.regions.is_empty() {
        errs.push(FieldError::required("spec.regions", "must provide at least one region"));
    }
    let mut regions = std::collections::BTreeSet::new();
    for (i, r) in spec.regions.iter().enumerate() {
        let rp = format!("spec.regions[{i}]");
        if r.name.is_empty() {
            errs.push(FieldError::required(format!("{rp}.name"), "must provide a region name"));
        } else if !regions.insert(r.name.clone()) {
            errs.push(FieldError::duplicate(format!("{rp}.name"), &val(&r.name)));
        }
        let mut zones = std::collections::BTreeSet::new();
        for (j, z) in r.zones.iter().enumerate() {
            let zp = format!("{rp}.zones[{j}].name");
            if z.name.is_empty() {
                errs.push(FieldError::required(&zp, "zone name cannot be empty"));
            } else if !zones.insert(z.name.clone()) {
                errs.push(FieldError::duplicate(&zp, &val(&z.name)));
            }
        }
        errs.extend(crate::names::validate_labels(&r.labels, &format!("{rp}.labels")));
    }
    if let Some(max) = spec.limits.as_ref().and_then(|l| l.max_nodes_total) {
        if max <= 0 {
            errs.push(FieldError::invalid("spec.limits.maxNodesTotal", &val(&max), "must be greater than 0"));
        }
    }
    errs
}

/// Validates a NamespacedCloudProfile: parent reference and the overriding entries.
pub fn validate_namespaced_cloudprofile(profile: &NamespacedCloudProfile) -> Vec<FieldError> {
    let mut errs = validate_object_name(profile.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    let spec = &profile.spec;
    if spec.parent.kind != "CloudProfile" {
        errs.push(FieldError::not_supported(
            "spec.parent.kind",
            &val(&spec.parent.kind),
            &["CloudProfile".to_string()],
        ));
    }
    if spec.parent.name.is_empty() {
        errs.push(FieldError::required("spec.parent.name", "must provide a parent name"));
    }
    if let Some(k) = &spec.kubernetes {
        errs.extend(validate_versions(&k.versions, "spec.kubernetes.versions"));
    }
    errs.extend(validate_machine_images(&spec.machine_images, "spec.machineImages", false));
    errs.extend(validate_machine_types(&spec.machine_types, "spec.machineTypes"));
    errs.extend(validate_volume_types(&spec.volume_types, "spec.volumeTypes"));
    errs
}
