//! `CloudProfileConfig`: the Keystone endpoints, the Glance image of each machine image version, and what shoots may
//! choose (floating pools, load balancer providers, server group policies) (`CloudProfile.spec.providerConfig` of
//! an `openstack` profile).

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{impl_provider_kind, null_as_default, MachineImage};
use crate::core::v1beta1::ARCH_AMD64;

/// An OpenStack installation as a CloudProfile offers it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudProfileConfig {
    /// `openstack.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `CloudProfileConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// What shoots may choose.
    #[serde(default)]
    pub constraints: Constraints,
    /// DNS servers (IP addresses) of the subnets the extension creates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<String>,
    /// The DHCP domain Nova is configured with (`dhcp_domain` of `nova.conf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp_domain: Option<String>,
    /// The Keystone endpoint of regions without an entry in [`CloudProfileConfig::keystone_urls`].
    #[serde(rename = "keystoneURL", default, skip_serializing_if = "String::is_empty")]
    pub keystone_url: String,
    /// PEM bundle of the CAs Keystone's certificate is checked against.
    #[serde(rename = "keystoneCACert", default, skip_serializing_if = "Option::is_none")]
    pub keystone_ca_cert: Option<String>,
    /// Whether Keystone's certificate is not checked at all.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keystone_force_insecure: bool,
    /// The Keystone endpoint per region.
    #[serde(rename = "keystoneURLs", default, skip_serializing_if = "Vec::is_empty")]
    pub keystone_urls: Vec<KeyStoneUrl>,
    /// One entry per image name of the profile.
    #[serde(default, deserialize_with = "null_as_default")]
    pub machine_images: Vec<MachineImages>,
    /// HTTP timeout of calls to the OpenStack API, a Go duration such as `60s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<String>,
    /// Whether the Cinder CSI driver rescans a block device before resizing its filesystem (for hypervisors that do
    /// not report a new size of an attached volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescan_block_storage_on_resize: Option<bool>,
    /// Whether volume scheduling ignores the volume's availability zone (for installations whose volume and
    /// compute zones are named differently).
    #[serde(rename = "ignoreVolumeAZ", default, skip_serializing_if = "Option::is_none")]
    pub ignore_volume_az: Option<bool>,
    /// How many volumes may be attached to one node (the Cinder CSI driver's default is 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_volume_attach_limit: Option<i32>,
    /// Whether the routers the extension creates do source NAT.
    #[serde(rename = "useSNAT", default, skip_serializing_if = "Option::is_none")]
    pub use_snat: Option<bool>,
    /// Whether load balancers are Octavia's. Gardener dropped the field (Octavia is the only choice left); kept so
    /// that older profiles round-trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_octavia: Option<bool>,
    /// Server group policies worker pools may use; none means pools cannot ask for a server group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_group_policies: Vec<String>,
    /// Options added to `/etc/resolv.conf` of the nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolv_conf_options: Vec<String>,
    /// StorageClasses deployed into every shoot instead of the extension's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage_classes: Vec<StorageClassDefinition>,
}

impl_provider_kind!(CloudProfileConfig);

impl CloudProfileConfig {
    /// The Keystone endpoint of `region`: its entry in `keystoneURLs`, else `keystoneURL` when set.
    pub fn keystone_url_for(&self, region: &str) -> Option<&str> {
        self.keystone_urls
            .iter()
            .find(|k| k.region == region)
            .map(|k| k.url.as_str())
            .or(Some(self.keystone_url.as_str()).filter(|u| !u.is_empty()))
    }
}

/// What shoots may choose.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Constraints {
    /// The floating pools (external networks) shoots may use, per region and Keystone domain.
    #[serde(default, deserialize_with = "null_as_default")]
    pub floating_pools: Vec<FloatingPool>,
    /// The load balancer providers shoots may use, per region.
    #[serde(default, deserialize_with = "null_as_default")]
    pub load_balancer_providers: Vec<LoadBalancerProvider>,
}

/// A floating pool shoots may use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FloatingPool {
    /// Name of the external network, or a pattern: `*`, or `*` at the start or the end of the name.
    #[serde(default)]
    pub name: String,
    /// The region it is offered in; absent, every region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The Keystone domain (of the shoot's credentials) it is offered to; absent, every domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Subnet (name or pattern) of the pool that routers are attached to when a shoot names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_floating_subnet: Option<String>,
    /// Whether the pool is offered in addition to the pools of a more specific region or domain entry, instead of
    /// being hidden by them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_constraining: Option<bool>,
    /// The load balancer classes shoots using this pool may configure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_classes: Vec<LoadBalancerClass>,
}

/// A load balancer class: where a load balancer takes its address from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerClass {
    /// Class name, selected by services with the annotation `loadbalancer.openstack.org/class`.
    #[serde(default)]
    pub name: String,
    /// `default` (services without a class), `private` or `vpn` (the shoot's VPN, CloudProfile only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// ID (UUID) of the floating network's subnet to take addresses from.
    #[serde(rename = "floatingSubnetID", default, skip_serializing_if = "Option::is_none")]
    pub floating_subnet_id: Option<String>,
    /// Comma-separated tags selecting the floating network's subnets to take addresses from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floating_subnet_tags: Option<String>,
    /// Name or pattern of the floating network's subnet to take addresses from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floating_subnet_name: Option<String>,
    /// ID (UUID) of the floating network.
    #[serde(rename = "floatingNetworkID", default, skip_serializing_if = "Option::is_none")]
    pub floating_network_id: Option<String>,
    /// ID of an internal subnet to take addresses from, for load balancers without a floating network.
    #[serde(rename = "subnetID", default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
}

/// A load balancer provider shoots may use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerProvider {
    /// Octavia provider name.
    #[serde(default)]
    pub name: String,
    /// The region it is offered in; absent, every region without regional entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The Keystone endpoint of one region.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyStoneUrl {
    /// Region name.
    #[serde(default)]
    pub region: String,
    /// Keystone URL.
    #[serde(default)]
    pub url: String,
    /// PEM bundle of the CAs this endpoint's certificate is checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

/// The versions of one logical machine image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImages {
    /// Logical image name, e.g. `gardenlinux`.
    #[serde(default)]
    pub name: String,
    /// Its versions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<MachineImageVersion>,
}

/// One version of a machine image: a Glance image name (the fallback, `amd64` only) and/or image IDs per region.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineImageVersion {
    /// Logical version, as in the CloudProfile.
    #[serde(default)]
    pub version: String,
    /// Glance image name, looked up in regions without an ID mapping.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    /// The image ID per region and architecture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionIdMapping>,
}

/// The image ID of an image version in one region, for one architecture.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionIdMapping {
    /// Region name.
    #[serde(default)]
    pub name: String,
    /// Glance image ID.
    #[serde(default)]
    pub id: String,
    /// CPU architecture, `amd64` (the default) or `arm64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

impl RegionIdMapping {
    /// The architecture, `amd64` when absent.
    pub fn architecture(&self) -> &str {
        self.architecture.as_deref().unwrap_or(ARCH_AMD64)
    }
}

/// A StorageClass deployed into shoots.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageClassDefinition {
    /// Name of the StorageClass.
    #[serde(default)]
    pub name: String,
    /// Whether it is the shoot's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// Provisioner (the Cinder CSI driver when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioner: Option<String>,
    /// `parameters` of the class, e.g. the Cinder volume `type`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Annotations of the class.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Labels of the class.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `reclaimPolicy` of the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaim_policy: Option<String>,
    /// `volumeBindingMode` of the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_binding_mode: Option<String>,
}

/// The Glance image of `image` at `version` in `region` for `architecture` (`amd64`, `arm64`), as Gardener resolves
/// it: the region's ID mapping for the architecture, else (for `amd64` only) the version's image name. The result is
/// what the extension records in its [`super::WorkerStatus`].
pub fn find_image(
    cfg: &CloudProfileConfig,
    image: &str,
    version: &str,
    region: &str,
    architecture: &str,
) -> Option<MachineImage> {
    let found = |id: String, glance_name: String| MachineImage {
        name: image.to_string(),
        version: version.to_string(),
        image: glance_name,
        id,
        architecture: Some(architecture.to_string()),
    };
    for candidate in cfg.machine_images.iter().filter(|i| i.name == image).flat_map(|i| &i.versions) {
        if candidate.version != version {
            continue;
        }
        if let Some(mapping) = candidate.regions.iter().find(|r| r.name == region && r.architecture() == architecture) {
            return Some(found(mapping.id.clone(), String::new()));
        }
        // Image names carry no architecture; Gardener takes them for amd64, which was the only one at first.
        if !candidate.image.is_empty() && architecture == ARCH_AMD64 {
            return Some(found(String::new(), candidate.image.clone()));
        }
    }
    None
}

/// The floating pool entry that allows `name` for a shoot in `region` whose credentials belong to the Keystone
/// `domain` (`None`: unknown, entries for a domain do not apply), following Gardener's precedence:
///
/// 1. entries for exactly this region and domain;
/// 2. entries for the region (without domain) and entries for the domain (without region); when both kinds
///    exist, a name must be allowed by both;
/// 3. entries without region and domain.
///
/// A more specific step that has entries hides the later ones, except for entries marked `nonConstraining`, which
/// stay usable. Within a step the most specific name pattern wins (see [`floating_pool_name_matches`]).
///
/// When no entry allows `name`, the error lists the names (patterns) that would be allowed, sorted.
pub fn find_floating_pool<'a>(
    pools: &'a [FloatingPool],
    domain: Option<&str>,
    region: &str,
    name: &str,
) -> Result<&'a FloatingPool, Vec<String>> {
    let mut valid = BTreeSet::new();
    let mut additional = BTreeSet::new();
    // The steps that need the domain find nothing when it is unknown.
    let found = domain
        .and_then(|d| floating_pool_candidate(pools, Some(d), Some(region), name, false, &mut valid, &mut additional));
    if let Some(found) = found {
        return Ok(found);
    }

    let non_constraining_only = !valid.is_empty();
    let (mut valid_region, mut valid_domain) = (BTreeSet::new(), BTreeSet::new());
    let found_region = floating_pool_candidate(
        pools,
        None,
        Some(region),
        name,
        non_constraining_only,
        &mut valid_region,
        &mut additional,
    );
    let found_domain = domain.and_then(|d| {
        floating_pool_candidate(pools, Some(d), None, name, non_constraining_only, &mut valid_domain, &mut additional)
    });
    match (found_region, found_domain) {
        (Some(found), Some(_)) => return Ok(found),
        (Some(found), None) if valid_domain.is_empty() => return Ok(found),
        (None, Some(found)) if valid_region.is_empty() => return Ok(found),
        _ => {}
    }
    if !valid_region.is_empty() && !valid_domain.is_empty() {
        valid = valid_region.intersection(&valid_domain).cloned().collect();
    } else if !valid_region.is_empty() {
        valid = valid_region;
    } else if !valid_domain.is_empty() {
        valid = valid_domain;
    }

    let non_constraining_only = !valid.is_empty();
    if let Some(found) =
        floating_pool_candidate(pools, None, None, name, non_constraining_only, &mut valid, &mut additional)
    {
        return Ok(found);
    }
    valid.extend(additional);
    Err(valid.into_iter().collect())
}

/// The best match for `name` among the entries for exactly `domain` and `region` (`None`: entries without one),
/// collecting their names into `valid` (or `additional` for `nonConstraining` ones); with `non_constraining_only`,
/// constraining entries are passed over.
fn floating_pool_candidate<'a>(
    pools: &'a [FloatingPool],
    domain: Option<&str>,
    region: Option<&str>,
    name: &str,
    non_constraining_only: bool,
    valid: &mut BTreeSet<String>,
    additional: &mut BTreeSet<String>,
) -> Option<&'a FloatingPool> {
    let mut best: Option<(&FloatingPool, usize)> = None;
    for pool in pools.iter().filter(|p| p.domain.as_deref() == domain && p.region.as_deref() == region) {
        if pool.non_constraining == Some(true) {
            additional.insert(pool.name.clone());
        } else if non_constraining_only {
            continue;
        } else {
            valid.insert(pool.name.clone());
        }
        if let Some(score) = floating_pool_name_matches(&pool.name, name) {
            if best.is_none_or(|(_, best_score)| best_score < score) {
                best = Some((pool, score));
            }
        }
    }
    best.map(|(pool, _)| pool)
}

/// Whether the floating pool name `pattern` (`*`, `prefix*`, `*suffix` or a plain name) matches `name`, with the
/// length of what matched literally as the score (a plain name beats a pattern).
pub fn floating_pool_name_matches(pattern: &str, name: &str) -> Option<usize> {
    if pattern == "*" {
        Some(0)
    } else if pattern == name {
        Some(name.len())
    } else if let Some(prefix) = pattern.strip_suffix('*').filter(|p| name.starts_with(p)) {
        Some(prefix.len())
    } else {
        pattern.strip_prefix('*').filter(|s| name.ends_with(s)).map(str::len)
    }
}
