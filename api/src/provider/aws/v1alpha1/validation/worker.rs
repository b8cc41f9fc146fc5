//! `WorkerConfig` (volumes, instance profile, metadata options, node template) and `ControlPlaneConfig`.

use std::collections::BTreeSet;

use super::super::{
    ControlPlaneConfig, Volume, WorkerConfig, HTTP_TOKENS_OPTIONAL, HTTP_TOKENS_REQUIRED, VOLUME_TYPE_IO1,
};
use super::{IAM_INSTANCE_PROFILE_ARN, IAM_INSTANCE_PROFILE_NAME, K8S_RESOURCE_NAME, SNAPSHOT_ID};
use crate::core::v1beta1::validation::val;
use crate::core::v1beta1::Worker;
use crate::field::FieldError;
use crate::provider::validation::validate_node_template;

/// Validates a `WorkerConfig` at `path` (e.g. `spec.provider.workers[0].providerConfig`) on its own:
///
/// - `iops` and `throughput` of the root and data volumes are positive;
/// - data volumes are named, once each, and a snapshot ID is well-formed;
/// - `iamInstanceProfile` has exactly one of `name` and `arn`, well-formed;
/// - `instanceMetadataOptions.httpTokens` is `required` or `optional`, `httpPutResponseHopLimit` is 1 to 64;
/// - `nodeTemplate` capacities are not negative, virtual capacities are whole numbers.
///
/// What depends on the pool is [`validate_worker_config_against_pool`].
pub fn validate_worker_config(cfg: &WorkerConfig, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(volume) = &cfg.volume {
        errs.extend(validate_volume(volume, &format!("{path}.volume")));
    }

    let mut names = BTreeSet::new();
    for (i, data_volume) in cfg.data_volumes.iter().enumerate() {
        let volume_path = format!("{path}.dataVolumes[{i}]");
        if data_volume.name.is_empty() {
            errs.push(FieldError::required(format!("{volume_path}.name"), ""));
        } else if !names.insert(data_volume.name.as_str()) {
            errs.push(FieldError::duplicate(format!("{volume_path}.name"), &val(&data_volume.name)));
        }
        errs.extend(validate_volume(&data_volume.volume(), &volume_path));
        if let Some(id) = &data_volume.snapshot_id {
            errs.extend(SNAPSHOT_ID.check(id, &format!("{volume_path}.snapshotID")));
        }
    }

    if let Some(profile) = &cfg.iam_instance_profile {
        let profile_path = format!("{path}.iamInstanceProfile");
        if profile.name.is_some() == profile.arn.is_some() {
            errs.push(FieldError::invalid(
                &profile_path,
                &val(profile),
                "exactly one of 'name' or 'arn' must be specified",
            ));
        }
        if let Some(name) = &profile.name {
            errs.extend(IAM_INSTANCE_PROFILE_NAME.check(name, &format!("{profile_path}.name")));
        }
        if let Some(arn) = &profile.arn {
            errs.extend(IAM_INSTANCE_PROFILE_ARN.check(arn, &format!("{profile_path}.arn")));
        }
    }

    if let Some(options) = &cfg.instance_metadata_options {
        let options_path = format!("{path}.instanceMetadataOptions");
        if let Some(limit) = options.http_put_response_hop_limit {
            if !(1..=64).contains(&limit) {
                errs.push(FieldError::invalid(
                    format!("{options_path}.httpPutResponseHopLimit"),
                    &val(&limit),
                    "only values between 1 and 64 are allowed",
                ));
            }
        }
        if let Some(tokens) = &options.http_tokens {
            if tokens != HTTP_TOKENS_REQUIRED && tokens != HTTP_TOKENS_OPTIONAL {
                errs.push(FieldError::invalid(
                    format!("{options_path}.httpTokens"),
                    &val(tokens),
                    &format!("only the following values are allowed: [{HTTP_TOKENS_REQUIRED} {HTTP_TOKENS_OPTIONAL}]"),
                ));
            }
        }
    }

    if let Some(template) = &cfg.node_template {
        errs.extend(validate_node_template(template, &format!("{path}.nodeTemplate")));
    }
    errs
}

fn validate_volume(volume: &Volume, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if volume.iops.is_some_and(|iops| iops <= 0) {
        errs.push(FieldError::forbidden(format!("{path}.iops"), "iops must be a positive value"));
    }
    if let Some(throughput) = volume.throughput.filter(|t| *t <= 0) {
        errs.push(FieldError::invalid(
            format!("{path}.throughput"),
            &val(&throughput),
            "throughput must be a positive value",
        ));
    }
    errs
}

/// Validates a `WorkerConfig` at `path` against the Shoot's worker pool that carries it: an `io1` root or data
/// volume needs `iops`; every configured data volume names one of the pool's data volumes.
pub fn validate_worker_config_against_pool(cfg: &WorkerConfig, pool: &Worker, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let is_io1 = |t: &Option<String>| t.as_deref() == Some(VOLUME_TYPE_IO1);
    if pool.volume.as_ref().is_some_and(|v| is_io1(&v.type_)) && cfg.volume.as_ref().and_then(|v| v.iops).is_none() {
        errs.push(FieldError::required(
            format!("{path}.volume.iops"),
            &format!("iops must be provided when using {VOLUME_TYPE_IO1} volumes"),
        ));
    }
    for (j, pool_volume) in pool.data_volumes.iter().enumerate() {
        if is_io1(&pool_volume.type_) && cfg.data_volume(&pool_volume.name).and_then(|v| v.iops).is_none() {
            errs.push(FieldError::required(
                format!("{path}.dataVolumes[{j}].iops"),
                &format!("iops must be provided when using {VOLUME_TYPE_IO1} volumes"),
            ));
        }
    }
    for (i, data_volume) in cfg.data_volumes.iter().enumerate() {
        if !pool.data_volumes.iter().any(|v| v.name == data_volume.name) {
            errs.push(FieldError::invalid(
                format!("{path}.dataVolumes[{i}].name"),
                &val(&data_volume.name),
                &format!("{} not found in data volumes configured in worker pool", data_volume.name),
            ));
        }
    }
    errs
}

/// Validates a `ControlPlaneConfig` at `path` (e.g. `spec.provider.controlPlaneConfig`): the load balancer
/// controller's ingress class is a valid resource name. Feature gate names are not checked (that needs the list of
/// gates of the shoot's Kubernetes version).
pub fn validate_control_plane_config(cfg: &ControlPlaneConfig, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(class) = cfg.load_balancer_controller.as_ref().and_then(|c| c.ingress_class_name.as_deref()) {
        errs.extend(K8S_RESOURCE_NAME.check(class, &format!("{path}.loadBalancerController.ingressClassName")));
    }
    errs
}
