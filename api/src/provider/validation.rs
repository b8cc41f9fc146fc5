//! Checks that several providers' validations share: string formats checked without a regex engine, the rules of a
//! worker pool's [`NodeTemplate`], and the machine image checks of CloudProfiles and Shoots (every image version a
//! profile offers has a provider image; every pool's image resolves in the shoot's region).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::NodeTemplate;
use crate::core::v1beta1::validation::val;
use crate::core::v1beta1::{MachineImage, Worker, ARCH_AMD64, VALID_ARCHITECTURES};
use crate::field::FieldError;

/// A string format of provider identifiers, checked without a regex engine; `regex` is the extension's regex,
/// quoted in errors. Empty values are refused as required.
pub(crate) struct Format {
    pub(crate) regex: &'static str,
    pub(crate) matches: fn(&str) -> bool,
    pub(crate) max_len: usize,
}

impl Format {
    /// The errors of `value` at `field`: required when empty, else a regex mismatch and/or too many characters.
    pub(crate) fn check(&self, value: &str, field: &str) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if value.is_empty() {
            errs.push(FieldError::required(field, "cannot be empty"));
            return errs;
        }
        let value_json = Value::String(value.to_string());
        if !(self.matches)(value) {
            errs.push(FieldError::invalid(
                field,
                &value_json,
                &format!("does not match expected regex {}", self.regex),
            ));
        }
        let len = value.chars().count();
        if len > self.max_len {
            errs.push(FieldError::invalid(
                field,
                &value_json,
                &format!("must not be more than {} characters, got {len}", self.max_len),
            ));
        }
        errs
    }
}

/// Validates a worker pool's node template at `path` (e.g. `spec.provider.workers[0].providerConfig.nodeTemplate`):
/// capacities are not negative, virtual capacities (extended resources, counted in whole units) are not negative
/// and whole numbers.
pub fn validate_node_template(template: &NodeTemplate, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (key, quantity) in &template.capacity {
        if quantity.0.trim_start().starts_with('-') {
            errs.push(FieldError::invalid(
                format!("{path}.capacity.{key}"),
                &val(&quantity.0),
                &format!("{key} value must not be negative"),
            ));
        }
    }
    for (key, quantity) in &template.virtual_capacity {
        let field = format!("{path}.virtualCapacity.{key}");
        if quantity.0.trim_start().starts_with('-') {
            errs.push(FieldError::invalid(&field, &val(&quantity.0), &format!("{key} value must not be negative")));
        }
        if quantity_is_whole(&quantity.0) != Some(true) {
            errs.push(FieldError::invalid(&field, &val(&quantity.0), &format!("{key} value must be a whole number")));
        }
    }
    errs
}

/// The supported values of an architecture field.
fn valid_architectures() -> Vec<String> {
    VALID_ARCHITECTURES.iter().map(|a| a.to_string()).collect()
}

/// A provider's mapping of one logical machine image (`providerConfig.machineImages[]` of a CloudProfile), as
/// [`validate_image_mapping`] sees it.
pub(crate) struct ImageMapping<'a> {
    pub(crate) name: &'a str,
    pub(crate) versions: Vec<VersionMapping<'a>>,
}

/// A provider's mapping of one image version.
pub(crate) struct VersionMapping<'a> {
    pub(crate) version: &'a str,
    /// `(region, provider image ID, architecture)` of each region mapping, the architecture defaulted.
    pub(crate) regions: Vec<(&'a str, &'a str, &'a str)>,
    /// Whether the version maps nothing at all (what counts as a mapping besides regions is the provider's).
    pub(crate) unmapped: bool,
}

/// Validates a provider's image mapping at `images_path` (e.g. `spec.providerConfig.machineImages`): at least one
/// image; names and versions present and unique; a version that maps nothing is reported by `unmapped` (version
/// path, image name, version); each region mapping names its region and its image ID (field `id_field`, `Required`
/// with `id_required`), has a valid architecture and is not repeated for the same region and architecture.
pub(crate) fn validate_image_mapping(
    images: &[ImageMapping<'_>],
    images_path: &str,
    id_field: &str,
    id_required: &str,
    unmapped: impl Fn(&str, &str, &str) -> FieldError,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if images.is_empty() {
        errs.push(FieldError::required(images_path, "must provide at least one machine image"));
    }
    let mut image_names = BTreeSet::new();
    for (i, image) in images.iter().enumerate() {
        let image_path = format!("{images_path}[{i}]");
        if image.name.is_empty() {
            errs.push(FieldError::required(format!("{image_path}.name"), "must provide a name"));
        } else if !image_names.insert(image.name) {
            errs.push(FieldError::duplicate(format!("{image_path}.name"), &val(image.name)));
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
            } else if !versions.insert(version.version) {
                errs.push(FieldError::duplicate(format!("{version_path}.version"), &val(version.version)));
            }
            if version.unmapped {
                errs.push(unmapped(&version_path, image.name, version.version));
            }
            let mut mapped = BTreeSet::new();
            for (k, &(region, id, arch)) in version.regions.iter().enumerate() {
                let region_path = format!("{version_path}.regions[{k}]");
                if region.is_empty() {
                    errs.push(FieldError::required(format!("{region_path}.name"), "must provide a name"));
                }
                if id.is_empty() {
                    errs.push(FieldError::required(format!("{region_path}.{id_field}"), id_required));
                }
                if !VALID_ARCHITECTURES.contains(&arch) {
                    errs.push(FieldError::not_supported(
                        format!("{region_path}.architecture"),
                        &val(arch),
                        &valid_architectures(),
                    ));
                } else if !mapped.insert((region, arch)) {
                    errs.push(FieldError::duplicate(region_path, &json!({"name": region, "architecture": arch})));
                }
            }
        }
    }
    errs
}

/// Validates that a provider's image mapping covers the machine images of the CloudProfile that carries it
/// (`profile_images`, its `spec.machineImages`, reported at `images_path[i].versions[j]`): every version of every
/// image has an entry in the mapping, which `covers` each architecture the version offers (`amd64` when it lists
/// none). `mapped_versions` gives the mapping's versions of an image name (`None`: no entry for the image),
/// `version_of` the version an entry maps.
pub(crate) fn validate_image_coverage<'a, V: 'a>(
    profile_images: &[MachineImage],
    images_path: &str,
    mapped_versions: impl Fn(&str) -> Option<&'a [V]>,
    version_of: impl Fn(&V) -> &str,
    covers: impl Fn(&V, &str) -> bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, image) in profile_images.iter().enumerate() {
        if image.versions.is_empty() {
            continue;
        }
        let image_path = format!("{images_path}[{i}]");
        let Some(mapping) = mapped_versions(&image.name) else {
            errs.push(FieldError::required(
                &image_path,
                &format!("must provide an image mapping for image {:?} in providerConfig", image.name),
            ));
            continue;
        };
        for (j, version) in image.versions.iter().enumerate() {
            let version_path = format!("{image_path}.versions[{j}]");
            let Some(mapped) = mapping.iter().find(|v| version_of(v) == version.version) else {
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
                } else if !covers(mapped, &arch) {
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

/// Validates that each worker pool's machine image `resolves` (image name, version, architecture) in `region`,
/// reporting `<path>[i].machine.image` (`path` is e.g. `spec.provider.workers`) with `what` the provider calls the
/// image (e.g. `an AMI`). The architecture is the pool's, `amd64` when absent. Pools whose image and architecture
/// are the same as in `old_workers` (the stored shoot's pools, empty on create) are not checked again, as their
/// version may have left the profile since; pools without an image or version are left to defaulting, which picks
/// one the profile offers.
pub(crate) fn validate_worker_images(
    workers: &[Worker],
    old_workers: &[Worker],
    region: &str,
    path: &str,
    what: &str,
    resolves: impl Fn(&str, &str, &str) -> bool,
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
        if !resolves(&image.name, version, arch) {
            errs.push(FieldError::invalid(
                format!("{path}[{i}].machine.image"),
                &val(image),
                &format!(
                    "could not find {what} for region {region:?}, image {:?}, version {version:?} and architecture {arch:?}",
                    image.name
                ),
            ));
        }
    }
    errs
}

/// Whether a quantity (`4`, `1k`, `1.5Ki`, `2000m`, `1e3`) is a whole number; `None` when it does not parse.
fn quantity_is_whole(quantity: &str) -> Option<bool> {
    let q = quantity.trim().trim_start_matches(['+', '-']);
    let number_end = q.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(q.len());
    let (number, suffix) = q.split_at(number_end);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // value = digits * 10^(exp10 - frac.len()) * 2^exp2
    let (exp10, exp2): (i32, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        s if s.starts_with(['e', 'E']) => (s[1..].parse().ok()?, 0),
        _ => return None,
    };
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(true);
    }
    let scale = i32::try_from(frac.len()).ok()? - exp10;
    if scale <= 0 {
        return Some(true);
    }
    let mantissa = digits.parse::<u128>().ok()?.checked_mul(1u128.checked_shl(exp2)?)?;
    Some(mantissa % 10u128.checked_pow(u32::try_from(scale).ok()?)? == 0)
}

/// Helpers of the providers' validation tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::field::FieldError;

    /// `errs` as `field: message` lines.
    pub(crate) fn lines(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::line).collect()
    }

    /// Asserts that `errs` is exactly `expected` (as `field: message` lines, in any order).
    #[track_caller]
    pub(crate) fn assert_lines(errs: &[FieldError], expected: &[&str]) {
        let mut got = lines(errs);
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
    }
}

#[cfg(test)]
mod tests {
    use super::quantity_is_whole;

    #[test]
    fn whole_quantities() {
        for q in ["0", "4", "1234567", "1k", "1.5k", "1.5Ki", "2000m", "1e3", "1.0", "0.000Gi", "+3"] {
            assert_eq!(quantity_is_whole(q), Some(true), "{q}");
        }
        for q in ["1.5", "500m", "1n", "0.1", "1e-3", "1.0001Ki"] {
            assert_eq!(quantity_is_whole(q), Some(false), "{q}");
        }
        for q in ["", "abc", "1Xi", "."] {
            assert_eq!(quantity_is_whole(q), None, "{q}");
        }
    }
}
