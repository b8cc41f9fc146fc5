//! `WorkerConfig` (server group, node template, machine labels) and `ControlPlaneConfig` (load balancer provider
//! and classes, storage).

use std::collections::BTreeSet;

use super::super::{
    CloudProfileConfig, ControlPlaneConfig, InfrastructureConfig, WorkerConfig, LOAD_BALANCER_CLASS_VPN,
    SERVER_GROUP_POLICY_AFFINITY,
};
use super::{validate_load_balancer_classes, RESOURCE_NAME};
use crate::core::v1beta1::validation::val;
use crate::core::v1beta1::Worker;
use crate::field::FieldError;
use crate::provider::validation::validate_node_template;

/// Validates a `WorkerConfig` at `path` (e.g. `spec.provider.workers[0].providerConfig`) for the Shoot's worker pool
/// `pool` that carries it:
///
/// - a `serverGroup` names a policy, one of `server_group_policies` (the CloudProfile's `serverGroupPolicies`);
///   `affinity` only for a pool in a single zone;
/// - `nodeTemplate` capacities are not negative, virtual capacities are whole numbers;
/// - machine labels have resource names and values, once each, and no name of the pool's own labels.
pub fn validate_worker_config(
    cfg: &WorkerConfig,
    pool: &Worker,
    server_group_policies: &[String],
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(group) = &cfg.server_group {
        let policy_path = format!("{path}.serverGroup.policy");
        let policy = &group.policy;
        if policy.is_empty() {
            errs.push(FieldError::invalid(&policy_path, &val(policy), "policy field cannot be empty"));
        } else if !server_group_policies.contains(policy) {
            errs.push(FieldError::invalid(
                &policy_path,
                &val(policy),
                "no matching server group policy found in cloudprofile",
            ));
        } else if policy == SERVER_GROUP_POLICY_AFFINITY && pool.zones.len() > 1 {
            errs.push(FieldError::forbidden(
                &policy_path,
                &format!(
                    "using {SERVER_GROUP_POLICY_AFFINITY:?} policy with multiple availability zones is not allowed"
                ),
            ));
        }
    }

    if let Some(template) = &cfg.node_template {
        errs.extend(validate_node_template(template, &format!("{path}.nodeTemplate")));
    }

    let mut names = BTreeSet::new();
    for (i, label) in cfg.machine_labels.iter().enumerate() {
        let label_path = format!("{path}.machineLabels[{i}]");
        let name_path = format!("{label_path}.name");
        errs.extend(RESOURCE_NAME.check(&label.name, &name_path));
        errs.extend(RESOURCE_NAME.check(&label.value, &format!("{label_path}.value")));
        if names.contains(label.name.as_str()) {
            errs.push(FieldError::duplicate(&name_path, &val(&label.name)));
        } else if pool.labels.contains_key(&label.name) {
            errs.push(FieldError::invalid(&name_path, &val(&label.name), "label name already defined as pool label"));
        } else {
            names.insert(label.name.as_str());
        }
    }
    errs
}

/// Validates a `ControlPlaneConfig` at `path` (e.g. `spec.provider.controlPlaneConfig`) on its own and with the
/// shoot's `InfrastructureConfig` when that is known:
///
/// - `loadBalancerProvider` is given;
/// - the load balancer classes are well-formed (see [`validate_load_balancer_classes`]); none has the purpose
///   `vpn`, which only a CloudProfile may define;
/// - the CSI Manila driver needs the infrastructure's share network.
///
/// Feature gate names are not checked (that needs the list of gates of the shoot's Kubernetes version).
pub fn validate_control_plane_config(
    cfg: &ControlPlaneConfig,
    infra: Option<&InfrastructureConfig>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if cfg.load_balancer_provider.is_empty() {
        errs.push(FieldError::required(
            format!("{path}.loadBalancerProvider"),
            "must provide the name of a load balancer provider",
        ));
    }

    let classes_path = format!("{path}.loadBalancerClasses");
    errs.extend(validate_load_balancer_classes(&cfg.load_balancer_classes, &classes_path));
    for (i, class) in cfg.load_balancer_classes.iter().enumerate() {
        if class.purpose.as_deref() == Some(LOAD_BALANCER_CLASS_VPN) {
            errs.push(FieldError::invalid(
                format!("{classes_path}[{i}].purpose"),
                &val(LOAD_BALANCER_CLASS_VPN),
                &format!("not allowed to specify a LoadBalancerClass with purpose {LOAD_BALANCER_CLASS_VPN:?}"),
            ));
        }
    }

    let manila = cfg.storage.as_ref().and_then(|s| s.csi_manila.as_ref()).is_some_and(|m| m.enabled);
    let share_network = |i: &InfrastructureConfig| i.networks.share_network.as_ref().is_some_and(|s| s.enabled);
    if manila && infra.is_some_and(|i| !share_network(i)) {
        errs.push(FieldError::invalid(
            format!("{path}.storage.csiManila.enabled"),
            &val(&true),
            "share network must be created if CSI manila driver is enabled",
        ));
    }
    errs
}

/// Validates a `ControlPlaneConfig` at `path` against the CloudProfile's `providerConfig`: its
/// `loadBalancerProvider` is one that `constraints.loadBalancerProviders` offers in `region` (the entries for the
/// region, else those without a region; nothing is checked when the profile lists none). Checked on create and
/// when the provider changes (`old` is the stored shoot's config), so that running shoots survive a tightened
/// profile.
pub fn validate_control_plane_config_against_cloud_profile(
    old: Option<&ControlPlaneConfig>,
    cfg: &ControlPlaneConfig,
    profile: &CloudProfileConfig,
    region: &str,
    path: &str,
) -> Vec<FieldError> {
    let providers = &profile.constraints.load_balancer_providers;
    if providers.is_empty() || old.is_some_and(|o| o.load_balancer_provider == cfg.load_balancer_provider) {
        return Vec::new();
    }
    let regional: Vec<String> =
        providers.iter().filter(|p| p.region.as_deref() == Some(region)).map(|p| p.name.clone()).collect();
    let supported = if regional.is_empty() {
        providers.iter().filter(|p| p.region.is_none()).map(|p| p.name.clone()).collect()
    } else {
        regional
    };
    if supported.contains(&cfg.load_balancer_provider) {
        return Vec::new();
    }
    vec![FieldError::not_supported(
        format!("{path}.loadBalancerProvider"),
        &val(&cfg.load_balancer_provider),
        &supported,
    )]
}
