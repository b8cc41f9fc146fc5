//! `CloudProfileConfig`: well-formed AMI mappings that cover the profile's machine images, and shoot workers whose
//! image has an AMI.

use std::collections::BTreeSet;

use serde_json::json;

use super::super::{find_ami, CloudProfileConfig};
use crate::core::v1beta1::validation::val;
use crate::core::v1beta1::{MachineImage, Worker, ARCH_AMD64, VALID_ARCHITECTURES};
use crate::field::FieldError;

fn valid_architectures() -> Vec<String> {
    VALID_ARCHITECTURES.iter().map(|a| a.to_string()).collect()
}

/// Validates a `CloudProfileConfig` at `path` (e.g. `spec.providerConfig`) against the machine images of the
/// CloudProfile that carries it (`spec.machineImages`):
///
/// - the mapping itself: at least one image; names and versions present and unique; each version maps at least
///   one region; each region mapping names its region and AMI, has a valid architecture (`amd64` when absent) and
///   is not repeated for the same region and architecture;
/// - coverage, reported at the profile's `spec.machineImages[i].versions[j]`: every version of every profile image
///   has an entry here with a region mapping for each architecture the version offers (`amd64` when it lists
///   none). Which regions get an AMI is up to the operator; a shoot in a region without one is refused by
///   [`validate_worker_machine_images`].
pub fn validate_cloud_profile_config(
    cfg: &CloudProfileConfig,
    profile_machine_images: &[MachineImage],
    path: &str,
) -> Vec<FieldError> {
    let mut errs = validate_mapping(cfg, &format!("{path}.machineImages"));
    errs.extend(validate_coverage(cfg, profile_machine_images, "spec.machineImages"));
    errs
}

fn validate_mapping(cfg: &CloudProfileConfig, images_path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if cfg.machine_images.is_empty() {
        errs.push(FieldError::required(images_path, "must provide at least one machine image"));
    }
    let mut image_names = BTreeSet::new();
    for (i, image) in cfg.machine_images.iter().enumerate() {
        let image_path = format!("{images_path}[{i}]");
        if image.name.is_empty() {
            errs.push(FieldError::required(format!("{image_path}.name"), "must provide a name"));
        } else if !image_names.insert(image.name.as_str()) {
            errs.push(FieldError::duplicate(format!("{image_path}.name"), &val(&image.name)));
        }
        if image.versions.is_empty() {
            errs.push(FieldError::required(
                format!("{image_path}.versions"),
                &format!("must provide at least one version for machine image {:?}", image.name),
            ));
        }
        let mut versions = BTreeSet::new();
        for (j, version) in image.versions.iter().enumerate() {
            let version_path = format!("{image_path}.versions[{j}]");
            if version.version.is_empty() {
                errs.push(FieldError::required(format!("{version_path}.version"), "must provide a version"));
            } else if !versions.insert(version.version.as_str()) {
                errs.push(FieldError::duplicate(format!("{version_path}.version"), &val(&version.version)));
            }
            if version.regions.is_empty() {
                errs.push(FieldError::required(
                    format!("{version_path}.regions"),
                    &format!(
                        "must provide at least one region for machine image {:?} and version {:?}",
                        image.name, version.version
                    ),
                ));
            }
            let mut mapped = BTreeSet::new();
            for (k, region) in version.regions.iter().enumerate() {
                let region_path = format!("{version_path}.regions[{k}]");
                if region.name.is_empty() {
                    errs.push(FieldError::required(format!("{region_path}.name"), "must provide a name"));
                }
                if region.ami.is_empty() {
                    errs.push(FieldError::required(format!("{region_path}.ami"), "must provide an ami"));
                }
                let arch = region.architecture();
                if !VALID_ARCHITECTURES.contains(&arch) {
                    errs.push(FieldError::not_supported(
                        format!("{region_path}.architecture"),
                        &val(arch),
                        &valid_architectures(),
                    ));
                } else if !mapped.insert((region.name.as_str(), arch)) {
                    errs.push(FieldError::duplicate(region_path, &json!({"name": region.name, "architecture": arch})));
                }
            }
        }
    }
    errs
}

fn validate_coverage(cfg: &CloudProfileConfig, profile_images: &[MachineImage], images_path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, image) in profile_images.iter().enumerate() {
        if image.versions.is_empty() {
            continue;
        }
        let image_path = format!("{images_path}[{i}]");
        let Some(mapping) = cfg.machine_images.iter().find(|m| m.name == image.name) else {
            errs.push(FieldError::required(
                &image_path,
                &format!("must provide an image mapping for image {:?} in providerConfig", image.name),
            ));
            continue;
        };
        for (j, version) in image.versions.iter().enumerate() {
            let version_path = format!("{image_path}.versions[{j}]");
            let Some(mapped) = mapping.versions.iter().find(|v| v.version == version.version) else {
                errs.push(FieldError::required(
                    &version_path,
                    &format!(
                        "machine image version {}@{} is not defined in the providerConfig",
                        image.name, version.version
                    ),
                ));
                continue;
            };
            for arch in version.effective_architectures() {
                if !VALID_ARCHITECTURES.contains(&arch.as_str()) {
                    errs.push(FieldError::not_supported(
                        format!("{version_path}.architectures"),
                        &val(&arch),
                        &valid_architectures(),
                    ));
                } else if !mapped.regions.iter().any(|r| r.architecture() == arch) {
                    errs.push(FieldError::required(
                        &version_path,
                        &format!(
                            "missing providerConfig mapping for machine image version {}@{} and architecture: {arch}",
                            image.name, version.version
                        ),
                    ));
                }
            }
        }
    }
    errs
}

/// Validates that each worker pool's machine image has an AMI in `region` for the pool's architecture (`amd64`
/// when absent), reporting `<path>[i].machine.image` (`path` is e.g. `spec.provider.workers`). Pools whose image
/// and architecture are the same as in `old_workers` (the stored shoot's pools, empty on create) are not checked
/// again, as their version may have left the profile since; pools without an image or version are left to
/// defaulting, which picks one the profile offers.
pub fn validate_worker_machine_images(
    cfg: &CloudProfileConfig,
    workers: &[Worker],
    old_workers: &[Worker],
    region: &str,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, worker) in workers.iter().enumerate() {
        let Some(image) = &worker.machine.image else { continue };
        let Some(version) = image.version.as_deref() else { continue };
        let unchanged = old_workers.iter().any(|old| {
            old.name == worker.name
                && old.machine.image == worker.machine.image
                && old.machine.architecture == worker.machine.architecture
        });
        if unchanged {
            continue;
        }
        let arch = worker.machine.architecture.as_deref().unwrap_or(ARCH_AMD64);
        if find_ami(cfg, &image.name, version, region, arch).is_none() {
            errs.push(FieldError::invalid(
                format!("{path}[{i}].machine.image"),
                &val(image),
                &format!(
                    "could not find an AMI for region {region:?}, image {:?}, version {version:?} and architecture {arch:?}",
                    image.name
                ),
            ));
        }
    }
    errs
}
