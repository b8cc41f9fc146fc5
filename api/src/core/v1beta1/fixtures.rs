//! Test fixtures: a realistic cloud profile and a valid shoot.

use super::*;
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

pub(crate) fn now() -> Timestamp {
    "2025-06-01T00:00:00Z".parse().unwrap()
}

pub(crate) fn profile() -> CloudProfileSpec {
    serde_json::from_value(json!({
        "type": "local",
        "kubernetes": {"versions": [
            {"version": "1.34.0", "classification": "preview"},
            {"version": "1.33.3"},
            {"version": "1.33.2", "classification": "supported"},
            {"version": "1.33.1", "classification": "deprecated"},
            {"version": "1.32.9", "expirationDate": "2025-01-01T00:00:00Z"},
            {"version": "1.32.5", "classification": "supported"}
        ]},
        "machineImages": [
            {"name": "armonly", "versions": [{"version": "1.0.0", "architectures": ["arm64"]}]},
            {"name": "gardenlinux", "versions": [
                {"version": "1877.3.0", "classification": "preview", "architectures": ["amd64", "arm64"]},
                {"version": "1877.2.0", "classification": "supported", "architectures": ["amd64", "arm64"], "cri": [{"name": "containerd"}]},
                {"version": "1877.1.0", "classification": "supported", "expirationDate": "2025-02-01T00:00:00Z", "architectures": ["amd64"]},
                {"version": "1592.9.0", "classification": "supported", "architectures": ["amd64"]}
            ]}
        ],
        "machineTypes": [
            {"name": "m5.large", "cpu": "2", "gpu": "0", "memory": "8Gi", "architecture": "amd64", "usable": true},
            {"name": "m6g.large", "cpu": "2", "gpu": "0", "memory": "8Gi", "architecture": "arm64"},
            {"name": "old.large", "cpu": "2", "gpu": "0", "memory": "8Gi", "usable": false}
        ],
        "volumeTypes": [
            {"name": "gp3", "class": "standard", "minSize": "20Gi"},
            {"name": "io1", "class": "premium", "usable": false}
        ],
        "regions": [
            {"name": "eu-west-1", "zones": [
                {"name": "eu-west-1a"},
                {"name": "eu-west-1b", "unavailableMachineTypes": ["m5.large"], "unavailableVolumeTypes": ["gp3"]}
            ]},
            {"name": "local"}
        ]
    }))
    .unwrap()
}

pub(crate) fn shoot() -> Shoot {
    serde_json::from_value(json!({
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Shoot",
        "metadata": {"name": "crazy-botany", "namespace": "garden-dev"},
        "spec": {
            "cloudProfile": {"kind": "CloudProfile", "name": "aws"},
            "region": "eu-west-1",
            "credentialsBindingName": "my-aws",
            "provider": {
                "type": "local",
                "workers": [{
                    "name": "cpu-worker",
                    "minimum": 2,
                    "maximum": 5,
                    "maxSurge": 1,
                    "maxUnavailable": 0,
                    "machine": {"type": "m5.large", "image": {"name": "gardenlinux", "version": "1877.2.0"}, "architecture": "amd64"},
                    "volume": {"type": "gp3", "size": "50Gi"},
                    "zones": ["eu-west-1a"]
                }]
            },
            "networking": {"type": "calico", "nodes": "10.250.0.0/16", "pods": "100.96.0.0/11", "services": "100.64.0.0/13"},
            "kubernetes": {"version": "1.33.2"},
            "maintenance": {"timeWindow": {"begin": "220000+0100", "end": "230000+0100"}, "autoUpdate": {"kubernetesVersion": true, "machineImageVersion": true}},
            "hibernation": {"schedules": [{"start": "00 17 * * 1,2,3,4,5", "end": "00 08 * * 1,2,3,4,5", "location": "Europe/Berlin"}]},
            "purpose": "evaluation"
        }
    }))
    .unwrap()
}
