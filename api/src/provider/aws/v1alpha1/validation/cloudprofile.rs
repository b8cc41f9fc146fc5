//! `CloudProfileConfig`: well-formed AMI mappings that cover the profile's machine images, and shoot workers whose
//! image has an AMI.

use super::super::{find_ami, CloudProfileConfig};
use crate::core::v1beta1::{MachineImage, Worker};
use crate::field::FieldError;
use crate::provider::validation::{
    validate_image_coverage, validate_image_mapping, validate_worker_images, ImageMapping, VersionMapping,
};

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
    errs.extend(validate_image_coverage(
        profile_machine_images,
        "spec.machineImages",
        |name| cfg.machine_images.iter().find(|m| m.name == name).map(|m| m.versions.as_slice()),
        |v| &v.version,
        |v, arch| v.regions.iter().any(|r| r.architecture() == arch),
    ));
    errs
}

fn validate_mapping(cfg: &CloudProfileConfig, images_path: &str) -> Vec<FieldError> {
    let images: Vec<ImageMapping<'_>> = cfg
        .machine_images
        .iter()
        .map(|image| ImageMapping {
            name: &image.name,
            versions: image
                .versions
                .iter()
                .map(|v| VersionMapping {
                    version: &v.version,
                    regions: v.regions.iter().map(|r| (r.name.as_str(), r.ami.as_str(), r.architecture())).collect(),
                    unmapped: v.regions.is_empty(),
                })
                .collect(),
        })
        .collect();
    validate_image_mapping(&images, images_path, "ami", "must provide an ami", |version_path, image, version| {
        FieldError::required(
            format!("{version_path}.regions"),
            &format!("must provide at least one region for machine image {image:?} and version {version:?}"),
        )
    })
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
    validate_worker_images(workers, old_workers, region, path, "an AMI", |image, version, arch| {
        find_ami(cfg, image, version, region, arch).is_some()
    })
}
