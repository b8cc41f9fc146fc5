//! `InfrastructureConfig`: the VPC, the zones' subnets and the ignored tags.

use std::collections::BTreeSet;

use super::super::{IgnoreTags, InfrastructureConfig};
use super::{EIP_ALLOCATION_ID, SHOOT_NODES_FIELD, TAG_KEY, VPC_ID, ZONE_NAME};
use crate::cidr::Cidr;
use crate::core::v1beta1::validation::{parse_cidr, val, validate_immutable};
use crate::field::FieldError;
use crate::names::is_dns1123_subdomain;

/// Tag keys that the extension manages itself and so cannot be ignored.
const RESERVED_TAG_KEYS: &[&str] = &["Name"];
/// Tag key prefixes that cannot be ignored (`gardener.cloud` is not used yet but kept free).
const RESERVED_TAG_KEY_PREFIXES: &[&str] = &["kubernetes.io", "gardener.cloud"];

/// Validates an `InfrastructureConfig` at `path` (e.g. `spec.provider.infrastructureConfig`):
///
/// - at least one zone; each zone named like an AWS zone, once, and among `zones_in_profile_region` (the zones
///   of the shoot's region in its CloudProfile; an empty list skips this check, for a region the profile does not
///   know, which the Shoot's own validation reports);
/// - each zone has a `workers` subnet; every subnet and the VPC CIDR parse and are canonical;
/// - exactly one of `vpc.id` and `vpc.cidr`; a `vpc.cidr` contains every subnet and the shoot's nodes CIDR;
/// - no two subnets overlap, across all zones;
/// - the `workers` subnets lie inside `nodes_cidr` (the Shoot's `spec.networking.nodes`) when it is given and
///   parses (a nodes CIDR that does not parse is the Shoot validation's to report);
/// - Elastic IP allocation IDs well-formed, used once, only in zones with a public subnet (for the NAT gateway);
/// - gateway endpoints are DNS subdomains; ignored tags spare the reserved keys.
///
/// The checks assume IPv4 subnets (IPv4-only or dual-stack shoots).
pub fn validate_infrastructure_config(
    cfg: &InfrastructureConfig,
    nodes_cidr: Option<&str>,
    zones_in_profile_region: &[String],
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let networks_path = format!("{path}.networks");
    let zones_path = format!("{networks_path}.zones");
    let vpc = &cfg.networks.vpc;

    if cfg.networks.zones.is_empty() {
        errs.push(FieldError::required(&zones_path, "must specify at least the networks for one zone"));
    }
    for (i, service) in vpc.gateway_endpoints.iter().enumerate() {
        if !is_dns1123_subdomain(service).is_empty() {
            errs.push(FieldError::invalid(
                format!("{networks_path}.vpc.gatewayEndpoints[{i}]"),
                &val(service),
                "must be a valid DNS subdomain",
            ));
        }
    }

    // Subnets in Gardener's order (public, internal, workers, zone by zone): of two overlapping subnets the later
    // one is reported.
    let mut subnets: Vec<(String, &str, Cidr)> = Vec::new();
    let mut workers: Vec<(String, &str, Cidr)> = Vec::new();
    let mut zone_names = BTreeSet::new();
    let mut allocation_ids = BTreeSet::new();
    for (i, zone) in cfg.networks.zones.iter().enumerate() {
        let zone_path = format!("{zones_path}[{i}]");
        let name_path = format!("{zone_path}.name");
        let name_errs = ZONE_NAME.check(&zone.name, &name_path);
        if name_errs.is_empty() {
            if !zones_in_profile_region.is_empty() && !zones_in_profile_region.contains(&zone.name) {
                errs.push(FieldError::not_supported(&name_path, &val(&zone.name), zones_in_profile_region));
            }
            if !zone_names.insert(zone.name.as_str()) {
                errs.push(FieldError::duplicate(&name_path, &val(&zone.name)));
            }
        }
        errs.extend(name_errs);

        if zone.workers.is_none() {
            errs.push(FieldError::required(
                format!("{zone_path}.workers"),
                "must specify the workers subnet of the zone",
            ));
        }
        for (field, value) in [("public", &zone.public), ("internal", &zone.internal), ("workers", &zone.workers)] {
            let Some(value) = value.as_deref() else { continue };
            let field_path = format!("{zone_path}.{field}");
            let Some(cidr) = parse_cidr(value, &field_path, &mut errs) else { continue };
            if !cidr.is_canonical() {
                errs.push(FieldError::invalid(&field_path, &val(value), "must be valid canonical CIDR"));
            }
            if field == "workers" {
                workers.push((field_path.clone(), value, cidr));
            }
            subnets.push((field_path, value, cidr));
        }

        if let Some(id) = &zone.elastic_ip_allocation_id {
            let id_path = format!("{zone_path}.elasticIPAllocationID");
            if zone.public.is_none() {
                errs.push(FieldError::forbidden(
                    &id_path,
                    "elasticIPAllocationID is only valid in a zone with a public subnet (which holds the NAT gateway)",
                ));
            }
            if !allocation_ids.insert(id.as_str()) {
                errs.push(FieldError::duplicate(&id_path, &val(id)));
            }
            errs.extend(EIP_ALLOCATION_ID.check(id, &id_path));
        }
    }

    let nodes = nodes_cidr.and_then(|n| Cidr::parse(n).ok().map(|c| (n, c)));
    let vpc_path = format!("{networks_path}.vpc");
    match (&vpc.id, &vpc.cidr) {
        (None, None) => errs.push(FieldError::invalid(&vpc_path, &val(vpc), "must specify either a vpc id or a cidr")),
        (Some(_), Some(_)) => {
            errs.push(FieldError::invalid(&vpc_path, &val(vpc), "cannot specify both vpc id and cidr"))
        }
        (Some(id), None) => errs.extend(VPC_ID.check(id, &format!("{vpc_path}.id"))),
        (None, Some(vpc_cidr)) => {
            let cidr_path = format!("{vpc_path}.cidr");
            if let Some(vpc_net) = parse_cidr(vpc_cidr, &cidr_path, &mut errs) {
                if !vpc_net.is_canonical() {
                    errs.push(FieldError::invalid(&cidr_path, &val(vpc_cidr), "must be valid canonical CIDR"));
                }
                let outside = |net: &Cidr| !vpc_net.contains(net);
                let message = subset_message(&cidr_path, vpc_cidr);
                if let Some((nodes_value, nodes_net)) = &nodes {
                    if outside(nodes_net) {
                        errs.push(FieldError::invalid(SHOOT_NODES_FIELD, &val(nodes_value), &message));
                    }
                }
                for (field_path, value, net) in &subnets {
                    if outside(net) {
                        errs.push(FieldError::invalid(field_path, &val(value), &message));
                    }
                }
            }
        }
    }

    if let Some((nodes_value, nodes_net)) = nodes {
        let message = subset_message(SHOOT_NODES_FIELD, nodes_value);
        for (field_path, value, net) in &workers {
            if !nodes_net.contains(net) {
                errs.push(FieldError::invalid(field_path, &val(value), &message));
            }
        }
    }

    for (i, (path_a, value_a, a)) in subnets.iter().enumerate() {
        for (path_b, value_b, b) in &subnets[i + 1..] {
            if a.overlaps(b) {
                errs.push(FieldError::invalid(
                    path_b,
                    &val(value_b),
                    &format!("must not overlap with {path_a:?} ({value_a:?})"),
                ));
            }
        }
    }

    if let Some(tags) = &cfg.ignore_tags {
        errs.extend(validate_ignore_tags(tags, &format!("{path}.ignoreTags")));
    }
    errs
}

fn subset_message(field: &str, cidr: &str) -> String {
    format!("must be a subset of {field:?} ({cidr:?})")
}

/// Validates that ignored tags are well-formed keys and spare the reserved key `Name` and the prefixes
/// `kubernetes.io` and `gardener.cloud` (neither as a key, nor as a prefix covering them or covered by them).
pub fn validate_ignore_tags(tags: &IgnoreTags, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, key) in tags.keys.iter().enumerate() {
        let key_path = format!("{path}.keys[{i}]");
        let format_errs = TAG_KEY.check(key, &key_path);
        if !format_errs.is_empty() {
            errs.extend(format_errs);
            continue;
        }
        if let Some(reserved) = RESERVED_TAG_KEYS.iter().find(|r| **r == key.as_str()) {
            errs.push(FieldError::invalid(&key_path, &val(key), &format!("must not ignore reserved key {reserved:?}")));
        }
        if let Some(reserved) = RESERVED_TAG_KEY_PREFIXES.iter().find(|r| key.starts_with(**r)) {
            errs.push(FieldError::invalid(
                &key_path,
                &val(key),
                &format!("must not ignore key with reserved prefix {reserved:?}"),
            ));
        }
    }
    for (i, prefix) in tags.key_prefixes.iter().enumerate() {
        let prefix_path = format!("{path}.keyPrefixes[{i}]");
        let format_errs = TAG_KEY.check(prefix, &prefix_path);
        if !format_errs.is_empty() {
            errs.extend(format_errs);
            continue;
        }
        if let Some(reserved) = RESERVED_TAG_KEYS.iter().find(|r| r.starts_with(prefix.as_str())) {
            errs.push(FieldError::invalid(
                &prefix_path,
                &val(prefix),
                &format!("must not include reserved key {reserved:?}"),
            ));
        }
        for reserved in RESERVED_TAG_KEY_PREFIXES {
            let detail = if prefix.starts_with(*reserved) {
                format!("must not include reserved key prefix {reserved:?}")
            } else if reserved.starts_with(prefix.as_str()) {
                format!("must not have reserved key prefix {reserved:?}")
            } else {
                continue;
            };
            errs.push(FieldError::invalid(&prefix_path, &val(prefix), &detail));
            break;
        }
    }
    errs
}

/// Validates an update of an `InfrastructureConfig` at `path`: the VPC, the zones' names and subnets, the Elastic
/// File System (once set) and dedicated tenancy are immutable; zones cannot be removed; dual-stack cannot be
/// switched off.
pub fn validate_infrastructure_config_update(
    old: &InfrastructureConfig,
    new: &InfrastructureConfig,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if old.elastic_file_system.is_some() {
        errs.extend(validate_immutable(
            &new.elastic_file_system,
            &old.elastic_file_system,
            &format!("{path}.elasticFileSystem"),
        ));
    }
    errs.extend(validate_immutable(
        &new.enable_dedicated_tenancy_for_vpc,
        &old.enable_dedicated_tenancy_for_vpc,
        &format!("{path}.enableDedicatedTenancyForVPC"),
    ));
    let (old_vpc, new_vpc) = (&old.networks.vpc, &new.networks.vpc);
    errs.extend(validate_immutable(&new_vpc.id, &old_vpc.id, &format!("{path}.networks.vpc.id")));
    errs.extend(validate_immutable(&new_vpc.cidr, &old_vpc.cidr, &format!("{path}.networks.vpc.cidr")));

    let (old_zones, new_zones) = (&old.networks.zones, &new.networks.zones);
    if old_zones.len() > new_zones.len() {
        errs.push(FieldError::forbidden(format!("{path}.networks.zones"), "removing zones is not allowed"));
        return errs;
    }
    for (i, (old_zone, new_zone)) in old_zones.iter().zip(new_zones).enumerate() {
        let zone_path = format!("{path}.networks.zones[{i}]");
        errs.extend(validate_immutable(&new_zone.name, &old_zone.name, &format!("{zone_path}.name")));
        for (field, old_value, new_value) in [
            ("public", &old_zone.public, &new_zone.public),
            ("internal", &old_zone.internal, &new_zone.internal),
            ("workers", &old_zone.workers, &new_zone.workers),
        ] {
            if old_value.is_some() {
                errs.extend(validate_immutable(new_value, old_value, &format!("{zone_path}.{field}")));
            }
        }
    }

    let dual_stack = |c: &InfrastructureConfig| c.dual_stack.as_ref().is_some_and(|d| d.enabled);
    if dual_stack(old) && !dual_stack(new) {
        errs.push(FieldError::forbidden(
            format!("{path}.dualStack.enabled"),
            "field can't be changed from \"true\" to \"false\"",
        ));
    }
    errs
}
