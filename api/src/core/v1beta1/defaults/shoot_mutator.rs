//! Shoot defaults that need the CloudProfile or Seed (Gardener's ShootMutator admission).

use super::super::cloudprofile::{CloudProfileSpec, MachineImage, MachineImageVersion};
use super::super::helper::{latest_machine_image_version, latest_supported_version};
use super::super::seed::SeedSpec;
use super::super::shoot::{Shoot, ShootMachineImage, Worker, ARCH_AMD64};
use crate::field::FieldError;
use crate::semver::Version;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

/// Expands `major.minor` Kubernetes versions (shoot and workers) to the latest supported patch,
/// defaults worker architectures and machine images from `profile`. `old` is the stored shoot on
/// updates: unchanged worker images are kept from it. Returns errors when nothing suitable exists.
pub fn default_shoot_from_cloudprofile(
    shoot: &mut Shoot,
    old: Option<&Shoot>,
    profile: &CloudProfileSpec,
    now: Timestamp,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let versions = &profile.kubernetes.versions;
    match default_version(versions, &shoot.spec.kubernetes.version, "spec.kubernetes.version", now) {
        Ok(Some(v)) => shoot.spec.kubernetes.version = v,
        Ok(None) => {}
        Err(e) => return vec![e],
    }
    for (i, worker) in shoot.spec.provider.workers.iter_mut().enumerate() {
        if let Some(v) = worker.kubernetes.as_mut().and_then(|k| k.version.as_mut()) {
            match default_version(versions, v, &format!("spec.provider.workers[{i}].kubernetes.version"), now) {
                Ok(Some(new)) => *v = new,
                Ok(None) => {}
                Err(e) => return vec![e],
            }
        }
    }

    for worker in &mut shoot.spec.provider.workers {
        if worker.machine.architecture.is_none() {
            let arch = profile
                .machine_types
                .iter()
                .find(|t| t.name == worker.machine.type_)
                .and_then(|t| t.architecture.clone())
                .unwrap_or_else(|| ARCH_AMD64.into());
            worker.machine.architecture = Some(arch);
        }
    }

    if shoot.metadata.deletion_timestamp.is_none() {
        let old_workers: &[Worker] = old.map(|o| o.spec.provider.workers.as_slice()).unwrap_or(&[]);
        for (i, worker) in shoot.spec.provider.workers.iter_mut().enumerate() {
            let path = format!("spec.provider.workers[{i}]");
            let old_worker = old_workers.iter().find(|w| w.name == worker.name);
            match ensure_machine_image(&profile.machine_images, worker, old_worker, &path, now) {
                Ok(image) => worker.machine.image = Some(image),
                Err(e) => errs.push(e),
            }
        }
    }
    errs
}

/// `Ok(None)` when `version` is already a full version; the expanded version otherwise.
fn default_version(
    versions: &[super::super::cloudprofile::ExpirableVersion],
    version: &str,
    path: &str,
    now: Timestamp,
) -> Result<Option<String>, FieldError> {
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() == 3 {
        return Ok(None);
    }
    let parse = |p: &str| {
        p.parse::<u64>().map_err(|_| FieldError::invalid(path, &Value::from(p), "must be a semantic version"))
    };
    let major = match parts.first() {
        Some(p) if !p.is_empty() => Some(parse(p)?),
        _ => None,
    };
    let minor = match parts.get(1) {
        Some(p) if !p.is_empty() => Some(parse(p)?),
        _ => None,
    };
    latest_supported_version(versions, major, minor, now).map(|v| Some(v.to_string())).ok_or_else(|| {
        FieldError::invalid(
            path,
            &Value::from(version),
            &format!("couldn't find a suitable version for {version}. Suitable versions have a non-expired expiration date and are no 'preview' versions. 'Preview'-classified versions have to be selected explicitly"),
        )
    })
}

fn ensure_machine_image(
    images: &[MachineImage],
    worker: &Worker,
    old: Option<&Worker>,
    path: &str,
    now: Timestamp,
) -> Result<ShootMachineImage, FieldError> {
    let image = worker.machine.image.as_ref();
    if let Some(old_image) = old.and_then(|o| o.machine.image.as_ref()) {
        match image {
            None => return Ok(old_image.clone()),
            Some(img)
                if img.name == old_image.name
                    && (img.version.as_deref().unwrap_or("").is_empty() || img.version == old_image.version) =>
            {
                let mut kept = old_image.clone();
                kept.provider_config = img.provider_config.clone();
                return Ok(kept);
            }
            _ => {}
        }
    }
    default_machine_image(images, image, worker.machine.architecture.as_deref().unwrap_or(ARCH_AMD64), path, now)
}

fn default_machine_image(
    images: &[MachineImage],
    image: Option<&ShootMachineImage>,
    arch: &str,
    path: &str,
    now: Timestamp,
) -> Result<ShootMachineImage, FieldError> {
    let reference = image.map(|i| format!("{}@{}", i.name, i.version.clone().unwrap_or_default())).unwrap_or_default();
    if images.is_empty() {
        return Err(FieldError::invalid(
            path,
            &Value::from(reference),
            "the cloud profile does not contain any machine image - cannot create shoot cluster",
        ));
    }
    let supports_arch = |v: &MachineImageVersion| v.effective_architectures().iter().any(|a| a == arch);
    let chosen = match image.filter(|i| !i.name.is_empty()) {
        Some(img) => {
            let Some(found) = images.iter().find(|m| m.name == img.name) else {
                return Err(FieldError::invalid(path, &Value::from(img.name.as_str()), "image is not supported"));
            };
            if let Some(v) = &img.version {
                if found.versions.iter().any(|x| &x.version == v) {
                    return Ok(img.clone());
                }
            }
            found
        }
        None => images.iter().find(|m| m.versions.iter().any(supports_arch)).ok_or_else(|| {
            FieldError::invalid(
                path,
                &Value::from(reference.as_str()),
                &format!("no valid machine image found that supports architecture `{arch}`"),
            )
        })?,
    };

    let (mut major, mut minor) = (None, None);
    if let Some(version) = image.and_then(|i| i.version.as_deref()) {
        let parts: Vec<&str> = version.trim_start_matches('v').split('.').collect();
        if parts.len() == 3 {
            return Ok(image.cloned().unwrap_or_default());
        }
        let parse = |p: &str| {
            p.parse::<u64>().map_err(|_| {
                FieldError::invalid(path, &Value::from(version), &format!("{p} must be a semantic version"))
            })
        };
        if let Some(p) = parts.first().filter(|p| !p.is_empty()) {
            major = Some(parse(p)?);
        }
        if let Some(p) = parts.get(1).filter(|p| !p.is_empty()) {
            minor = Some(parse(p)?);
        }
    }
    let candidates: Vec<&MachineImageVersion> = chosen
        .versions
        .iter()
        .filter(|v| supports_arch(v))
        .filter(|v| {
            Version::parse(&v.version)
                .is_some_and(|p| major.is_none_or(|m| p.major == m) && minor.is_none_or(|m| p.minor == m))
        })
        .collect();
    let latest = latest_machine_image_version(&candidates, now).ok_or_else(|| {
        FieldError::invalid(
            path,
            &Value::from(reference.as_str()),
            "failed to determine latest machine image from cloud profile: unable to determine latest expirable version",
        )
    })?;
    Ok(ShootMachineImage {
        name: chosen.name.clone(),
        provider_config: image.and_then(|i| i.provider_config.clone()),
        version: Some(latest.version.clone()),
    })
}

/// Defaults `spec.networking.pods`/`services` from the seed's `shootDefaults` when they match the shoot's IP family.
pub fn default_shoot_networks_from_seed(shoot: &mut Shoot, seed: &SeedSpec) {
    let workerless = shoot.spec.provider.workers.is_empty();
    let networking = shoot.spec.networking.get_or_insert_with(Default::default);
    let Some(defaults) = &seed.networks.shoot_defaults else {
        return;
    };
    let ipv4 = networking.ip_families.first().is_none_or(|f| f == super::super::IP_FAMILY_IPV4);
    let matches = |cidr: &str| crate::cidr::Cidr::parse(cidr).is_ok_and(|c| c.is_ipv4() == ipv4);
    if networking.pods.is_none() && !workerless {
        if let Some(p) = defaults.pods.as_deref().filter(|p| matches(p)) {
            networking.pods = Some(p.to_string());
        }
    }
    if networking.services.is_none() {
        if let Some(s) = defaults.services.as_deref().filter(|s| matches(s)) {
            networking.services = Some(s.to_string());
        }
    }
}
