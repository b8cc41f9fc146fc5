//! `CloudProfileConfig`: constraints, Keystone endpoints and well-formed image mappings that cover the profile's
//! machine images; load balancer classes; shoot workers whose image resolves.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::json;

use super::super::{
    find_image, CloudProfileConfig, FloatingPool, LoadBalancerClass, LoadBalancerProvider, MachineImages,
    LOAD_BALANCER_CLASS_DEFAULT, LOAD_BALANCER_CLASS_PRIVATE, LOAD_BALANCER_CLASS_VPN,
};
use super::{check_uuid, RESOURCE_NAME};
use crate::core::v1beta1::validation::val;
use crate::core::v1beta1::{MachineImage, Worker, ARCH_AMD64};
use crate::field::FieldError;
use crate::machine::v1alpha1::validation::parse_duration;
use crate::provider::validation::{
    validate_image_coverage, validate_image_mapping, validate_worker_images, ImageMapping, VersionMapping,
};

/// Validates a `CloudProfileConfig` at `path` (e.g. `spec.providerConfig`) against the machine images of the
/// CloudProfile that carries it (`spec.machineImages`):
///
/// - `constraints.floatingPools`: at least one; each named; `region` / `domain` not empty when present; a name once
///   per region and domain; their load balancer classes well-formed;
/// - `constraints.loadBalancerProviders`: at least one; each named; `region` not empty when present; a name once
///   per region;
/// - Keystone: `keystoneURL` or `keystoneURLs`; each entry with region and URL, a region once; CA bundles are PEM
///   certificates;
/// - `dnsServers` are IP addresses, `dhcpDomain` is not empty when present, `requestTimeout` is a Go duration,
///   `serverGroupPolicies` are not empty;
/// - the image mapping: at least one image; names and versions present and unique; each version maps an image
///   name or at least one region; each region mapping names its region and image ID, has a valid architecture
///   (`amd64` when absent) and is not repeated for the same region and architecture;
/// - coverage, reported at the profile's `spec.machineImages[i].versions[j]`: every version of every profile image
///   has an entry here that resolves each architecture the version offers (`amd64` when it lists none) somewhere:
///   by a region mapping, or for `amd64` by the image name. A shoot in a region where its pool's image does not
///   resolve is refused by [`validate_worker_machine_images`].
pub fn validate_cloud_profile_config(
    cfg: &CloudProfileConfig,
    profile_machine_images: &[MachineImage],
    path: &str,
) -> Vec<FieldError> {
    let constraints_path = format!("{path}.constraints");
    let mut errs =
        validate_floating_pools(&cfg.constraints.floating_pools, &format!("{constraints_path}.floatingPools"));
    errs.extend(validate_load_balancer_providers(
        &cfg.constraints.load_balancer_providers,
        &format!("{constraints_path}.loadBalancerProviders"),
    ));
    errs.extend(validate_keystone(cfg, path));

    for (i, server) in cfg.dns_servers.iter().enumerate() {
        if server.parse::<IpAddr>().is_err() {
            errs.push(FieldError::invalid(format!("{path}.dnsServers[{i}]"), &val(server), "must provide a valid IP"));
        }
    }
    if cfg.dhcp_domain.as_deref() == Some("") {
        errs.push(FieldError::required(
            format!("{path}.dhcpDomain"),
            "must provide a dhcp domain when the key is specified",
        ));
    }
    if let Some(timeout) = &cfg.request_timeout {
        if let Err(e) = parse_duration(timeout) {
            errs.push(FieldError::invalid(format!("{path}.requestTimeout"), &val(timeout), &e));
        }
    }
    for (i, policy) in cfg.server_group_policies.iter().enumerate() {
        if policy.is_empty() {
            errs.push(FieldError::required(format!("{path}.serverGroupPolicies[{i}]"), "policy cannot be empty"));
        }
    }

    errs.extend(validate_mapping(&cfg.machine_images, &format!("{path}.machineImages")));
    errs.extend(validate_image_coverage(
        profile_machine_images,
        "spec.machineImages",
        |name| cfg.machine_images.iter().find(|m| m.name == name).map(|m| m.versions.as_slice()),
        |v| &v.version,
        |v, arch| v.regions.iter().any(|r| r.architecture() == arch) || (arch == ARCH_AMD64 && !v.image.is_empty()),
    ));
    errs
}

fn validate_floating_pools(pools: &[FloatingPool], pools_path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if pools.is_empty() {
        errs.push(FieldError::required(pools_path, "must provide at least one floating pool"));
    }
    let mut combinations = BTreeSet::new();
    for (i, pool) in pools.iter().enumerate() {
        let pool_path = format!("{pools_path}[{i}]");
        if pool.name.is_empty() {
            errs.push(FieldError::required(format!("{pool_path}.name"), "must provide a name"));
        }
        for (field, value) in [("region", &pool.region), ("domain", &pool.domain)] {
            if value.as_deref() == Some("") {
                errs.push(FieldError::required(
                    format!("{pool_path}.{field}"),
                    &format!("must provide a {field} if key is present"),
                ));
            }
        }
        // As in Gardener, only entries restricted to a region or domain are checked for repetition.
        if pool.region.is_some() || pool.domain.is_some() {
            let key = (pool.name.as_str(), pool.domain.as_deref(), pool.region.as_deref());
            if !combinations.insert(key) {
                errs.push(FieldError::duplicate(format!("{pool_path}.name"), &val(&pool.name)));
            }
        }
        errs.extend(validate_load_balancer_classes(
            &pool.load_balancer_classes,
            &format!("{pool_path}.loadBalancerClasses"),
        ));
    }
    errs
}

fn validate_load_balancer_providers(providers: &[LoadBalancerProvider], providers_path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if providers.is_empty() {
        errs.push(FieldError::required(providers_path, "must provide at least one load balancer provider"));
    }
    let mut regional = BTreeSet::new();
    for (i, provider) in providers.iter().enumerate() {
        let provider_path = format!("{providers_path}[{i}]");
        if provider.name.is_empty() {
            errs.push(FieldError::required(format!("{provider_path}.name"), "must provide a name"));
        }
        let Some(region) = &provider.region else { continue };
        if region.is_empty() {
            errs.push(FieldError::required(
                format!("{provider_path}.region"),
                "must provide a region if key is present",
            ));
        }
        if !regional.insert((provider.name.as_str(), region.as_str())) {
            errs.push(FieldError::duplicate(provider_path, &json!({"name": provider.name, "region": region})));
        }
    }
    errs
}

fn validate_keystone(cfg: &CloudProfileConfig, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if cfg.keystone_url.is_empty() && cfg.keystone_urls.is_empty() {
        errs.push(FieldError::required(format!("{path}.keystoneURL"), "must provide the URL to KeyStone"));
    }
    if let Some(ca) = cfg.keystone_ca_cert.as_deref().filter(|ca| !ca.is_empty()) {
        errs.extend(check_ca_cert(ca, &format!("{path}.keystoneCACert")));
    }
    let mut regions = BTreeSet::new();
    for (i, entry) in cfg.keystone_urls.iter().enumerate() {
        let entry_path = format!("{path}.keystoneURLs[{i}]");
        if entry.region.is_empty() {
            errs.push(FieldError::required(format!("{entry_path}.region"), "must provide a region"));
        }
        if entry.url.is_empty() {
            errs.push(FieldError::required(format!("{entry_path}.url"), "must provide an url"));
        }
        if let Some(ca) = entry.ca_cert.as_deref().filter(|ca| !ca.is_empty()) {
            errs.extend(check_ca_cert(ca, &format!("{entry_path}.caCert")));
        }
        if !regions.insert(entry.region.as_str()) {
            errs.push(FieldError::duplicate(format!("{entry_path}.region"), &val(&entry.region)));
        }
    }
    errs
}

/// Refuses a CA bundle whose first PEM block is not a certificate with a base64 body (what Go's `pem.Decode`
/// followed by `x509.ParseCertificate` would refuse first; the DER inside is not parsed here).
fn check_ca_cert(ca: &str, field: &str) -> Vec<FieldError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let body = ca.trim_start().strip_prefix(BEGIN).and_then(|rest| rest.split_once(END)).map(|(body, _)| body);
    let base64 = |b: &str| {
        let mut chars = b.chars().filter(|c| !c.is_ascii_whitespace()).peekable();
        chars.peek().is_some() && chars.all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
    };
    if body.is_some_and(base64) {
        Vec::new()
    } else {
        vec![FieldError::invalid(field, &val(ca), "caCert is not a valid PEM-encoded certificate")]
    }
}

fn validate_mapping(images: &[MachineImages], images_path: &str) -> Vec<FieldError> {
    let images: Vec<ImageMapping<'_>> = images
        .iter()
        .map(|image| ImageMapping {
            name: &image.name,
            versions: image
                .versions
                .iter()
                .map(|v| VersionMapping {
                    version: &v.version,
                    regions: v.regions.iter().map(|r| (r.name.as_str(), r.id.as_str(), r.architecture())).collect(),
                    unmapped: v.image.is_empty() && v.regions.is_empty(),
                })
                .collect(),
        })
        .collect();
    validate_image_mapping(&images, images_path, "id", "must provide an image ID", |version_path, image, version| {
        FieldError::required(
            version_path,
            &format!(
                "must provide an image name or at least one region for machine image {image:?} and version {version:?}"
            ),
        )
    })
}

/// Validates load balancer classes at `path` (a `loadBalancerClasses` list of a `ControlPlaneConfig` or of a
/// CloudProfile's floating pool):
///
/// - each class has a resource name, once; a `purpose` of `default`, `private` or `vpn`;
/// - `floatingNetworkID` and `floatingSubnetID` are UUIDs, `floatingSubnetName` and `floatingSubnetTags` resource
///   names, and at most one of the three selects the floating subnet;
/// - at most one class is the default (by purpose or by the name `default`), and at most one the private one.
pub fn validate_load_balancer_classes(classes: &[LoadBalancerClass], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    let (mut has_default, mut has_private) = (false, false);
    for (i, class) in classes.iter().enumerate() {
        let class_path = format!("{path}[{i}]");
        if let Some(purpose) = &class.purpose {
            let supported = [LOAD_BALANCER_CLASS_DEFAULT, LOAD_BALANCER_CLASS_PRIVATE, LOAD_BALANCER_CLASS_VPN];
            if !supported.contains(&purpose.as_str()) {
                errs.push(FieldError::not_supported(
                    format!("{class_path}.purpose"),
                    &val(purpose),
                    &supported.map(String::from),
                ));
            }
        }
        for (field, id) in
            [("floatingNetworkID", &class.floating_network_id), ("floatingSubnetID", &class.floating_subnet_id)]
        {
            if let Some(id) = id {
                errs.extend(check_uuid(id, &format!("{class_path}.{field}")));
            }
        }
        errs.extend(RESOURCE_NAME.check(&class.name, &format!("{class_path}.name")));
        for (field, value) in
            [("floatingSubnetName", &class.floating_subnet_name), ("floatingSubnetTags", &class.floating_subnet_tags)]
        {
            if let Some(value) = value {
                errs.extend(RESOURCE_NAME.check(value, &format!("{class_path}.{field}")));
            }
        }
        let selectors = [&class.floating_subnet_id, &class.floating_subnet_name, &class.floating_subnet_tags];
        if selectors.iter().filter(|s| s.is_some()).count() > 1 {
            errs.push(FieldError::forbidden(
                &class_path,
                "only one of floatingSubnetID, floatingSubnetName and floatingSubnetTags may select the floating subnet",
            ));
        }

        if !names.insert(class.name.as_str()) {
            errs.push(FieldError::duplicate(format!("{class_path}.name"), &val(&class.name)));
        }
        for (purpose, seen) in
            [(LOAD_BALANCER_CLASS_DEFAULT, &mut has_default), (LOAD_BALANCER_CLASS_PRIVATE, &mut has_private)]
        {
            if class.purpose.as_deref() == Some(purpose) || class.name == purpose {
                if *seen {
                    errs.push(FieldError::forbidden(
                        &class_path,
                        &format!("not allowed to configure multiple {purpose} load balancer classes"),
                    ));
                }
                *seen = true;
            }
        }
    }
    errs
}

/// Validates that each worker pool's machine image resolves in `region` for the pool's architecture (`amd64` when
/// absent) by [`find_image`], reporting `<path>[i].machine.image` (`path` is e.g. `spec.provider.workers`). Pools
/// whose image and architecture are the same as in `old_workers` (the stored shoot's pools, empty on create) are
/// not checked again, as their version may have left the profile since; pools without an image or version are left
/// to defaulting, which picks one the profile offers.
pub fn validate_worker_machine_images(
    cfg: &CloudProfileConfig,
    workers: &[Worker],
    old_workers: &[Worker],
    region: &str,
    path: &str,
) -> Vec<FieldError> {
    validate_worker_images(workers, old_workers, region, path, "an image", |image, version, arch| {
        find_image(cfg, image, version, region, arch).is_some()
    })
}
