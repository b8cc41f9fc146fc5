//! Test fixtures: Gardener-style manifests of an OpenStack CloudProfile and Shoot, and the statuses the extension
//! writes.

use serde_json::{json, Value};

use crate::core::v1beta1::{CloudProfile, Shoot};

/// An `openstack` profile with two regions whose `providerConfig` maps every image version and architecture it
/// offers, by ID or by image name.
pub(crate) fn cloud_profile_manifest() -> Value {
    json!({
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "CloudProfile",
        "metadata": {"name": "openstack"},
        "spec": {
            "type": "openstack",
            "kubernetes": {"versions": [{"version": "1.33.2"}]},
            "machineImages": [
                {"name": "gardenlinux", "versions": [
                    {"version": "1877.2.0", "architectures": ["amd64", "arm64"]},
                    {"version": "1592.9.0"}
                ]}
            ],
            "machineTypes": [
                {"name": "m1.medium", "cpu": "2", "gpu": "0", "memory": "4Gi", "architecture": "amd64"},
                {"name": "m1.medium-arm", "cpu": "2", "gpu": "0", "memory": "4Gi", "architecture": "arm64"}
            ],
            "regions": [
                {"name": "europe-1", "zones": [{"name": "europe-1a"}, {"name": "europe-1b"}]},
                {"name": "asia-1", "zones": [{"name": "asia-1a"}]}
            ],
            "providerConfig": cloud_profile_config_manifest()
        }
    })
}

pub(crate) fn cloud_profile_config_manifest() -> Value {
    json!({
        "apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "CloudProfileConfig",
        "keystoneURL": "https://keystone.example.com/v3/",
        "keystoneURLs": [{"region": "asia-1", "url": "https://asia.example.com/v3/"}],
        "dnsServers": ["10.10.10.11", "10.10.10.12"],
        "dhcpDomain": "nova.local",
        "requestTimeout": "60s",
        "useSNAT": true,
        "rescanBlockStorageOnResize": true,
        "ignoreVolumeAZ": true,
        "nodeVolumeAttachLimit": 30,
        "serverGroupPolicies": ["soft-anti-affinity", "anti-affinity", "affinity"],
        "resolvConfOptions": ["rotate", "timeout:1"],
        "storageClasses": [{
            "name": "premium",
            "default": false,
            "provisioner": "cinder.csi.openstack.org",
            "volumeBindingMode": "WaitForFirstConsumer",
            "parameters": {"type": "storage_premium_perf0"}
        }],
        "machineImages": [
            {"name": "gardenlinux", "versions": [
                {"version": "1877.2.0", "regions": [
                    {"name": "europe-1", "id": "0a1b2c3d-0000-4000-8000-00000000a001", "architecture": "amd64"},
                    {"name": "europe-1", "id": "0a1b2c3d-0000-4000-8000-00000000a002", "architecture": "arm64"},
                    {"name": "asia-1", "id": "0a1b2c3d-0000-4000-8000-00000000a003"}
                ]},
                {"version": "1592.9.0", "image": "gardenlinux-1592.9.0"}
            ]}
        ],
        "constraints": {
            "floatingPools": [
                {"name": "fip-*", "region": "europe-1", "defaultFloatingSubnet": "fip-subnet-*", "loadBalancerClasses": [
                    {"name": "internet", "purpose": "default", "floatingNetworkID": "4e3b6d2a-1111-4222-8333-444455556666", "floatingSubnetName": "internet-*"},
                    {"name": "vpn", "purpose": "vpn", "floatingNetworkID": "4e3b6d2a-1111-4222-8333-444455556666"}
                ]},
                {"name": "fip-europe-dev", "region": "europe-1", "domain": "dev", "nonConstraining": true},
                {"name": "public"}
            ],
            "loadBalancerProviders": [
                {"name": "amphora"},
                {"name": "f5", "region": "asia-1"}
            ]
        }
    })
}

pub(crate) fn cloud_profile() -> CloudProfile {
    serde_json::from_value(cloud_profile_manifest()).unwrap()
}

/// A one-zone shoot as in the extension's usage documentation, with a server group and machine labels.
pub(crate) fn shoot_manifest() -> Value {
    json!({
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Shoot",
        "metadata": {"name": "johndoe-openstack", "namespace": "garden-dev"},
        "spec": {
            "cloudProfile": {"kind": "CloudProfile", "name": "openstack"},
            "region": "europe-1",
            "credentialsBindingName": "core-openstack",
            "provider": {
                "type": "openstack",
                "infrastructureConfig": infrastructure_config_manifest(),
                "controlPlaneConfig": control_plane_config_manifest(),
                "workers": [{
                    "name": "cpu-worker",
                    "minimum": 2,
                    "maximum": 3,
                    "machine": {"type": "m1.medium", "image": {"name": "gardenlinux", "version": "1877.2.0"}, "architecture": "amd64"},
                    "volume": {"size": "50Gi"},
                    "zones": ["europe-1a", "europe-1b"],
                    "providerConfig": worker_config_manifest()
                }]
            },
            "networking": {"type": "calico", "nodes": "10.250.0.0/16", "pods": "100.96.0.0/11", "services": "100.64.0.0/13"},
            "kubernetes": {"version": "1.33.2"}
        }
    })
}

pub(crate) fn infrastructure_config_manifest() -> Value {
    json!({
        "apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "InfrastructureConfig",
        "floatingPoolName": "fip-europe",
        "floatingPoolSubnetName": "fip-subnet-*",
        "networks": {
            "id": "12345678-abcd-efef-08af-0123456789ab",
            "workers": "10.250.0.0/19",
            "shareNetwork": {"enabled": true}
        }
    })
}

pub(crate) fn control_plane_config_manifest() -> Value {
    json!({
        "apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "ControlPlaneConfig",
        "loadBalancerProvider": "amphora",
        "loadBalancerClasses": [
            {"name": "lbclass-1", "purpose": "default", "floatingNetworkID": "4e3b6d2a-1111-4222-8333-444455556666", "floatingSubnetName": "internet-*"},
            {"name": "lbclass-2", "floatingNetworkID": "4e3b6d2a-1111-4222-8333-444455556666", "floatingSubnetTags": "internal,private"},
            {"name": "lbclass-3", "purpose": "private", "subnetID": "internal-id"}
        ],
        "cloudControllerManager": {"featureGates": {"SomeKubernetesFeature": true}},
        "storage": {"csiManila": {"enabled": true}}
    })
}

pub(crate) fn worker_config_manifest() -> Value {
    json!({
        "apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "WorkerConfig",
        "serverGroup": {"policy": "soft-anti-affinity"},
        "nodeTemplate": {
            "capacity": {"cpu": "2", "gpu": "0", "memory": "50Gi"},
            "virtualCapacity": {"subdomain.domain.com/resource-name": "1234567"}
        },
        "machineLabels": [
            {"name": "my-label", "value": "foo"},
            {"name": "my-rolling-label", "value": "bar", "triggerRollingOnUpdate": true}
        ]
    })
}

pub(crate) fn shoot() -> Shoot {
    serde_json::from_value(shoot_manifest()).unwrap()
}

/// What the extension reports for the shoot's infrastructure.
pub(crate) fn infrastructure_status_manifest() -> Value {
    json!({
        "apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "InfrastructureStatus",
        "networks": {
            "id": "12345678-abcd-efef-08af-0123456789ab",
            "name": "shoot--dev--johndoe-openstack",
            "floatingPool": {"id": "4e3b6d2a-1111-4222-8333-444455556666", "name": "fip-europe"},
            "router": {"id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "ip": "203.0.113.10", "externalFixedIP": ["203.0.113.10", "2001:db8::10"]},
            "subnets": [{"purpose": "nodes", "id": "5c4b3a29-1807-4f6e-8d5c-4b3a29180706"}],
            "shareNetwork": {"id": "share-1", "name": "shoot--dev--johndoe-openstack"}
        },
        "node": {"keyName": "shoot--dev--johndoe-openstack-ssh-publickey"},
        "securityGroups": [{"purpose": "nodes", "id": "7d6c5b4a-3928-4716-a5b4-c3d2e1f0a9b8", "name": "shoot--dev--johndoe-openstack"}]
    })
}

pub(crate) fn worker_status_manifest() -> Value {
    json!({
        "apiVersion": "openstack.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "WorkerStatus",
        "machineImages": [
            {"name": "gardenlinux", "version": "1877.2.0", "id": "0a1b2c3d-0000-4000-8000-00000000a001", "architecture": "amd64"},
            {"name": "gardenlinux", "version": "1592.9.0", "image": "gardenlinux-1592.9.0"}
        ],
        "serverGroupDependencies": [{"poolName": "cpu-worker", "id": "sg-1", "name": "shoot--dev--johndoe-openstack-cpu-worker-a1b2c"}]
    })
}
