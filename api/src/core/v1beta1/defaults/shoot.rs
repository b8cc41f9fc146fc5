//! Static Shoot defaults (what Gardener applies when decoding v1beta1).

use super::super::common::Toleration;
use super::super::helper::derived_maintenance_window;
use super::super::shoot::*;
use crate::constants::{DEFAULT_SCHEDULER_NAME, GARDEN_NAMESPACE, SEED_TAINT_PROTECTED};
use crate::semver::Version;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Applies Gardener's static Shoot defaults in place.
pub fn default_shoot(shoot: &mut Shoot) {
    let namespace = shoot.metadata.namespace.clone().unwrap_or_default();
    let name = shoot.metadata.name.clone().unwrap_or_default();
    let has_workers = !shoot.spec.provider.workers.is_empty();
    let spec = &mut shoot.spec;

    sync_cloud_profile_fields(spec);

    spec.purpose.get_or_insert_with(|| PURPOSE_EVALUATION.into());
    if namespace == GARDEN_NAMESPACE && !spec.tolerations.iter().any(|t| t.key == SEED_TAINT_PROTECTED) {
        spec.tolerations.push(Toleration { key: SEED_TAINT_PROTECTED.into(), value: None });
    }

    let maintenance = spec.maintenance.get_or_insert_with(Default::default);
    let auto_update = maintenance
        .auto_update
        .get_or_insert(MaintenanceAutoUpdate { kubernetes_version: true, machine_image_version: None });
    if has_workers {
        auto_update.machine_image_version.get_or_insert(true);
    }
    maintenance.time_window.get_or_insert_with(|| {
        let (begin, end) = derived_maintenance_window(&format!("{namespace}/{name}"));
        MaintenanceTimeWindow { begin, end }
    });

    let networking = spec.networking.get_or_insert_with(Default::default);
    if networking.ip_families.is_empty() {
        networking.ip_families = vec![super::super::IP_FAMILY_IPV4.into()];
    }
    let ipv4_single = networking.ip_families == [super::super::IP_FAMILY_IPV4];

    let api_server = spec.kubernetes.kube_api_server.get_or_insert_with(Default::default);
    default_kube_api_server(api_server);

    for worker in &mut spec.provider.workers {
        default_worker(worker);
        if let Some(kubelet) = worker.kubernetes.as_mut().and_then(|k| k.kubelet.as_mut()) {
            kubelet.fail_swap_on.get_or_insert(true);
        }
    }

    if has_workers {
        let api_server = spec.kubernetes.kube_api_server.get_or_insert_with(Default::default);
        api_server.default_not_ready_toleration_seconds.get_or_insert(300);
        api_server.default_unreachable_toleration_seconds.get_or_insert(300);

        let max_pods = spec
            .provider
            .workers
            .iter()
            .filter_map(|w| w.kubernetes.as_ref().and_then(|k| k.kubelet.as_ref()).and_then(|k| k.max_pods))
            .chain(spec.kubernetes.kubelet.as_ref().and_then(|k| k.max_pods))
            .max()
            .unwrap_or(110);
        let kcm = spec.kubernetes.kube_controller_manager.get_or_insert_with(Default::default);
        if ipv4_single {
            kcm.node_cidr_mask_size.get_or_insert(node_cidr_mask_size(max_pods));
        } else if kcm.node_cidr_mask_size.is_none() && kcm.node_cidr_mask_size_ipv6.is_none() {
            kcm.node_cidr_mask_size = Some(64);
        }
        kcm.node_monitor_grace_period.get_or_insert_with(|| "40s".into());

        let scheduler = spec.kubernetes.kube_scheduler.get_or_insert_with(Default::default);
        scheduler.profile.get_or_insert_with(|| "balanced".into());

        let proxy = spec.kubernetes.kube_proxy.get_or_insert_with(Default::default);
        proxy.mode.get_or_insert_with(|| "IPTables".into());
        proxy.enabled.get_or_insert(true);

        if let Some(dashboard) = spec.addons.as_mut().and_then(|a| a.kubernetes_dashboard.as_mut()) {
            if dashboard.enabled {
                dashboard.authentication_mode.get_or_insert_with(|| "token".into());
            }
        }

        let kubelet = spec.kubernetes.kubelet.get_or_insert_with(Default::default);
        kubelet.fail_swap_on.get_or_insert(true);
        kubelet.image_minimum_gc_age.get_or_insert_with(|| "2m0s".into());
        kubelet.image_maximum_gc_age.get_or_insert_with(|| "0s".into());
        kubelet.image_gc_high_threshold_percent.get_or_insert(50);
        kubelet.image_gc_low_threshold_percent.get_or_insert(40);
        if kubelet.serialize_image_pulls.is_none() {
            kubelet.serialize_image_pulls = Some(kubelet.max_parallel_image_pulls.is_none_or(|n| n < 2));
        }

        let settings = spec.provider.workers_settings.get_or_insert_with(Default::default);
        settings.ssh_access.get_or_insert(SshAccess { enabled: true });

        let system = spec.system_components.get_or_insert_with(Default::default);
        let autoscaling =
            system.core_dns.get_or_insert_with(Default::default).autoscaling.get_or_insert_with(Default::default);
        if autoscaling.mode != "horizontal" && autoscaling.mode != "cluster-proportional" {
            autoscaling.mode = "horizontal".into();
        }
    }

    spec.scheduler_name.get_or_insert_with(|| DEFAULT_SCHEDULER_NAME.into());
}

fn default_kube_api_server(api: &mut KubeApiServerConfig) {
    let requests = api.requests.get_or_insert_with(Default::default);
    requests.max_non_mutating_inflight.get_or_insert(400);
    requests.max_mutating_inflight.get_or_insert(200);
    api.event_ttl.get_or_insert_with(|| "1h0m0s".into());
    api.logging.get_or_insert_with(Default::default).verbosity.get_or_insert(2);
    let enc = api.encryption_config.get_or_insert_with(|| serde_json::json!({}));
    if let Some(obj) = enc.as_object_mut() {
        let provider = obj.entry("provider").or_insert_with(|| serde_json::json!({}));
        if let Some(p) = provider.as_object_mut() {
            p.entry("type").or_insert_with(|| "aescbc".into());
        }
    }
}

fn default_worker(worker: &mut Worker) {
    worker.cri.get_or_insert_with(|| Cri { name: CRI_CONTAINERD.into(), container_runtimes: vec![] });
    let strategy = worker.update_strategy.get_or_insert_with(|| "AutoRollingUpdate".into()).clone();
    match strategy.as_str() {
        "AutoInPlaceUpdate" => {
            worker.max_surge.get_or_insert(IntOrString::Int(0));
            worker.max_unavailable.get_or_insert(IntOrString::Int(1));
        }
        "ManualInPlaceUpdate" => {}
        _ => {
            worker.max_surge.get_or_insert(IntOrString::Int(1));
            worker.max_unavailable.get_or_insert(IntOrString::Int(0));
        }
    }
    worker.system_components.get_or_insert(WorkerSystemComponents { allow: true });
}

/// Smallest IPv4 node mask giving every node room for `2 * max_pods` addresses (24 for 110 pods).
fn node_cidr_mask_size(max_pods: i32) -> i32 {
    let needed = (2 * i64::from(max_pods.max(1))) as u64;
    let bits = 64 - (needed - 1).leading_zeros() as i32;
    (32 - bits).clamp(0, 32)
}

/// Keeps `cloudProfile` and the deprecated `cloudProfileName` consistent (Gardener's shoot strategy).
pub fn sync_cloud_profile_fields(spec: &mut ShootSpec) {
    let version = Version::parse_lenient(&spec.kubernetes.version);
    let at_least = |minor: u64| version.as_ref().is_some_and(|v| (v.major, v.minor) >= (1, minor));
    if !at_least(34) && spec.cloud_profile.is_none() {
        if let Some(name) = &spec.cloud_profile_name {
            spec.cloud_profile =
                Some(super::super::CloudProfileReference { kind: "CloudProfile".into(), name: name.clone() });
        }
    }
    if let Some(r) = spec.cloud_profile.as_mut() {
        if r.kind.is_empty() {
            r.kind = "CloudProfile".into();
        }
    }
    if at_least(34) {
        return;
    }
    if let Some(r) = &spec.cloud_profile {
        let current = spec.cloud_profile_name.clone().unwrap_or_default();
        if r.kind == "CloudProfile" && (!at_least(33) || (!current.is_empty() && current != r.name)) {
            spec.cloud_profile_name = Some(r.name.clone());
        }
    }
}
