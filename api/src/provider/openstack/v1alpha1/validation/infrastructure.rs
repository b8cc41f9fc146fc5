//! `InfrastructureConfig`: the floating pool, the router, the network and the workers subnet.

use super::super::{find_floating_pool, CloudProfileConfig, InfrastructureConfig};
use super::{check_uuid, RESOURCE_NAME};
use crate::cidr::Cidr;
use crate::core::v1beta1::validation::{parse_cidr, val, validate_immutable};
use crate::core::v1beta1::Networking;
use crate::field::FieldError;

/// Validates an `InfrastructureConfig` at `path` (e.g. `spec.provider.infrastructureConfig`) against the Shoot's
/// `networking` (absent: the CIDR checks that need it are skipped):
///
/// - `floatingPoolName` is a non-empty resource name, as is `floatingPoolSubnetName` when set, which excludes an
///   existing router;
/// - a workers subnet is given (`networks.workers`, or the deprecated `networks.worker`); each parses and is
///   canonical; the one in use (`workers` first) lies inside the shoot's nodes CIDR and overlaps neither its pods
///   nor its services CIDR (shoot CIDRs that do not parse are the Shoot validation's to report);
/// - `networks.id` and `networks.router.id` are UUIDs; a `router` has an ID.
pub fn validate_infrastructure_config(
    cfg: &InfrastructureConfig,
    networking: Option<&Networking>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = RESOURCE_NAME.check(&cfg.floating_pool_name, &format!("{path}.floatingPoolName"));
    let networks = &cfg.networks;
    let networks_path = format!("{path}.networks");

    if networks.workers_cidr().is_none() {
        errs.push(FieldError::required(
            format!("{networks_path}.workers"),
            "must specify the network range for the worker network",
        ));
    }
    let mut workers = None;
    for (field, value) in [("worker", &networks.worker), ("workers", &networks.workers)] {
        if value.is_empty() {
            continue;
        }
        let field_path = format!("{networks_path}.{field}");
        let Some(cidr) = parse_cidr(value, &field_path, &mut errs) else { continue };
        if !cidr.is_canonical() {
            errs.push(FieldError::invalid(&field_path, &val(value), "must be valid canonical CIDR"));
        }
        // `workers` wins over the deprecated `worker`, as in Gardener.
        workers = Some((field_path, value.as_str(), cidr));
    }
    if let (Some((workers_path, workers_value, workers_net)), Some(networking)) = (&workers, networking) {
        if let Some((nodes_path, nodes_value, nodes_net)) = shoot_net("nodes", &networking.nodes) {
            if !nodes_net.contains(workers_net) {
                errs.push(FieldError::invalid(
                    workers_path,
                    &val(workers_value),
                    &format!("must be a subset of {nodes_path:?} ({nodes_value:?})"),
                ));
            }
        }
        for (field, value) in [("pods", &networking.pods), ("services", &networking.services)] {
            let Some((other_path, other_value, other_net)) = shoot_net(field, value) else { continue };
            if other_net.overlaps(workers_net) {
                errs.push(FieldError::invalid(
                    workers_path,
                    &val(workers_value),
                    &format!("must not overlap with {other_path:?} ({other_value:?})"),
                ));
            }
        }
    }

    if let Some(id) = &networks.id {
        errs.extend(check_uuid(id, &format!("{networks_path}.id")));
    }
    if let Some(router) = &networks.router {
        let id_path = format!("{networks_path}.router.id");
        if router.id.is_empty() {
            errs.push(FieldError::invalid(
                &id_path,
                &val(""),
                "router id must not be empty when router key is provided",
            ));
        } else {
            errs.extend(check_uuid(&router.id, &id_path));
        }
    }
    if let Some(subnet) = &cfg.floating_pool_subnet_name {
        errs.extend(RESOURCE_NAME.check(subnet, &format!("{path}.floatingPoolSubnetName")));
        if networks.router.is_some() {
            errs.push(FieldError::forbidden(
                format!("{networks_path}.router"),
                "router cannot be set when a floating subnet name is provided",
            ));
        }
    }
    errs
}

/// Validates an update of an `InfrastructureConfig` at `path`: the floating pool and its subnet, the network, the
/// router and the workers subnet are immutable; a share network, once enabled, stays as it is.
pub fn validate_infrastructure_config_update(
    old: &InfrastructureConfig,
    new: &InfrastructureConfig,
    path: &str,
) -> Vec<FieldError> {
    let (old_networks, new_networks) = (&old.networks, &new.networks);
    let networks_path = format!("{path}.networks");
    let mut errs = validate_immutable(&new_networks.id, &old_networks.id, &format!("{networks_path}.id"));
    errs.extend(validate_immutable(&new_networks.router, &old_networks.router, &format!("{networks_path}.router")));
    errs.extend(validate_immutable(&new_networks.worker, &old_networks.worker, &format!("{networks_path}.worker")));
    errs.extend(validate_immutable(&new_networks.workers, &old_networks.workers, &format!("{networks_path}.workers")));
    if old_networks.share_network.as_ref().is_some_and(|s| s.enabled) {
        errs.extend(validate_immutable(
            &new_networks.share_network,
            &old_networks.share_network,
            &format!("{networks_path}.shareNetwork"),
        ));
    }
    errs.extend(validate_immutable(
        &new.floating_pool_name,
        &old.floating_pool_name,
        &format!("{path}.floatingPoolName"),
    ));
    errs.extend(validate_immutable(
        &new.floating_pool_subnet_name,
        &old.floating_pool_subnet_name,
        &format!("{path}.floatingPoolSubnetName"),
    ));
    errs
}

/// Validates an `InfrastructureConfig` at `path` against the CloudProfile's `providerConfig`: its
/// `floatingPoolName` is one that `constraints.floatingPools` offers in `region` to `domain` (the Keystone domain of
/// the shoot's credentials, `None` when unknown: then only pools without a domain apply), see
/// [`find_floating_pool`]. Checked on create and when the name changes (`old` is the stored shoot's config), so
/// that running shoots survive a tightened profile.
pub fn validate_infrastructure_config_against_cloud_profile(
    old: Option<&InfrastructureConfig>,
    cfg: &InfrastructureConfig,
    profile: &CloudProfileConfig,
    region: &str,
    domain: Option<&str>,
    path: &str,
) -> Vec<FieldError> {
    if old.is_some_and(|o| o.floating_pool_name == cfg.floating_pool_name) {
        return Vec::new();
    }
    match find_floating_pool(&profile.constraints.floating_pools, domain, region, &cfg.floating_pool_name) {
        Ok(_) => Vec::new(),
        Err(supported) => vec![FieldError::not_supported(
            format!("{path}.floatingPoolName"),
            &val(&cfg.floating_pool_name),
            &supported,
        )],
    }
}

/// A CIDR of the Shoot's `spec.networking` with its path, when set and parsable.
fn shoot_net<'a>(field: &str, value: &'a Option<String>) -> Option<(String, &'a str, Cidr)> {
    let value = value.as_deref()?;
    Cidr::parse(value).ok().map(|c| (format!("spec.networking.{field}"), value, c))
}
