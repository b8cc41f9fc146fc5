//! Seed and CloudProfile defaults.

use super::super::cloudprofile::{CloudProfile, MachineImage, MachineType, NamespacedCloudProfile, VolumeType};
use super::super::seed::*;
use super::super::shoot::{Cri, ARCH_AMD64, CRI_CONTAINERD};
use serde_json::json;

/// Applies Gardener's static Seed defaults in place.
pub fn default_seed(seed: &mut Seed) {
    let spec = &mut seed.spec;
    if spec.networks.ip_families.is_empty() {
        spec.networks.ip_families = vec![super::super::IP_FAMILY_IPV4.into()];
    }
    let s = spec.settings.get_or_insert_with(Default::default);
    s.excess_capacity_reservation
        .get_or_insert_with(|| json!({"configs": [{"resources": {"cpu": "2", "memory": "6Gi"}}]}));
    s.scheduling.get_or_insert(SeedSettingScheduling { visible: true });
    s.load_balancer_services.get_or_insert_with(|| json!({"zonalIngress": {"enabled": true}}));
    s.vertical_pod_autoscaler.get_or_insert_with(|| json!({"enabled": true}));
    s.persistent_volume_claim_autoscaler.get_or_insert_with(|| json!({"enabled": false}));
    s.dependency_watchdog.get_or_insert_with(|| json!({"weeder": {"enabled": true}, "prober": {"enabled": true}}));
    s.topology_aware_routing.get_or_insert_with(|| json!({"enabled": false}));
}

/// Applies static CloudProfile defaults: machine type architecture `amd64` and usable, volume
/// types usable, image update strategy `major`, image versions `amd64` and containerd CRI.
pub fn default_cloudprofile(profile: &mut CloudProfile) {
    let spec = &mut profile.spec;
    default_entries(&mut spec.machine_types, &mut spec.volume_types, &mut spec.machine_images);
}

/// Applies static NamespacedCloudProfile defaults (same per-entry defaults as CloudProfiles).
pub fn default_namespaced_cloudprofile(profile: &mut NamespacedCloudProfile) {
    let spec = &mut profile.spec;
    default_entries(&mut spec.machine_types, &mut spec.volume_types, &mut spec.machine_images);
}

fn default_entries(machine_types: &mut [MachineType], volume_types: &mut [VolumeType], images: &mut [MachineImage]) {
    for t in machine_types {
        t.architecture.get_or_insert_with(|| ARCH_AMD64.into());
        t.usable.get_or_insert(true);
    }
    for v in volume_types {
        v.usable.get_or_insert(true);
    }
    for image in images {
        image.update_strategy.get_or_insert_with(|| "major".into());
        for v in &mut image.versions {
            if v.architectures.is_empty() {
                v.architectures = vec![ARCH_AMD64.into()];
            }
            if v.cri.is_empty() {
                v.cri = vec![Cri { name: CRI_CONTAINERD.into(), container_runtimes: vec![] }];
            }
        }
    }
}
