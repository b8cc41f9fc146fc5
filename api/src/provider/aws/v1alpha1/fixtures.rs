//! Test fixtures: Gardener-style manifests of an AWS CloudProfile and Shoot, and the statuses the extension writes.

use serde_json::{json, Value};

use crate::core::v1beta1::{CloudProfile, Shoot};

/// An `aws` CloudProfile whose `providerConfig` maps every image version and architecture it offers.
pub(crate) fn cloud_profile_manifest() -> Value {
    json!({
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "CloudProfile",
        "metadata": {"name": "aws"},
        "spec": {
            "type": "aws",
            "kubernetes": {"versions": [{"version": "1.33.2"}]},
            "machineImages": [
                {"name": "gardenlinux", "versions": [
                    {"version": "1877.2.0", "architectures": ["amd64", "arm64"]},
                    {"version": "1592.9.0"}
                ]}
            ],
            "machineTypes": [
                {"name": "m5.large", "cpu": "2", "gpu": "0", "memory": "8Gi", "architecture": "amd64"},
                {"name": "m6g.large", "cpu": "2", "gpu": "0", "memory": "8Gi", "architecture": "arm64"}
            ],
            "regions": [
                {"name": "eu-central-1", "zones": [{"name": "eu-central-1a"}, {"name": "eu-central-1b"}, {"name": "eu-central-1c"}]},
                {"name": "eu-west-1", "zones": [{"name": "eu-west-1a"}, {"name": "eu-west-1b"}]}
            ],
            "providerConfig": cloud_profile_config_manifest()
        }
    })
}

pub(crate) fn cloud_profile_config_manifest() -> Value {
    json!({
        "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "CloudProfileConfig",
        "machineImages": [
            {"name": "gardenlinux", "versions": [
                {"version": "1877.2.0", "regions": [
                    {"name": "eu-central-1", "ami": "ami-0f1e2d3c4b5a69788", "architecture": "amd64"},
                    {"name": "eu-central-1", "ami": "ami-0a9b8c7d6e5f40312", "architecture": "arm64"},
                    {"name": "eu-west-1", "ami": "ami-01234567890abcdef"}
                ]},
                {"version": "1592.9.0", "regions": [
                    {"name": "eu-central-1", "ami": "ami-0aaaabbbbccccdddd"}
                ]}
            ]}
        ]
    })
}

pub(crate) fn cloud_profile() -> CloudProfile {
    serde_json::from_value(cloud_profile_manifest()).unwrap()
}

/// A three-zone shoot as in the extension's usage documentation, with control plane and worker configuration.
pub(crate) fn shoot_manifest() -> Value {
    json!({
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Shoot",
        "metadata": {"name": "johndoe-aws", "namespace": "garden-dev"},
        "spec": {
            "cloudProfile": {"kind": "CloudProfile", "name": "aws"},
            "region": "eu-central-1",
            "credentialsBindingName": "core-aws",
            "provider": {
                "type": "aws",
                "infrastructureConfig": infrastructure_config_manifest(),
                "controlPlaneConfig": {
                    "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
                    "kind": "ControlPlaneConfig",
                    "cloudControllerManager": {"featureGates": {"SomeKubernetesFeature": true}, "useCustomRouteController": true},
                    "loadBalancerController": {"enabled": true, "ingressClassName": "alb"},
                    "storage": {"managedDefaultClass": false}
                },
                "workers": [{
                    "name": "cpu-worker",
                    "minimum": 2,
                    "maximum": 4,
                    "machine": {"type": "m5.large", "image": {"name": "gardenlinux", "version": "1877.2.0"}, "architecture": "amd64"},
                    "volume": {"type": "gp3", "size": "50Gi"},
                    "dataVolumes": [{"name": "kubelet-dir", "type": "gp3", "size": "25Gi", "encrypted": true}],
                    "zones": ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
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
        "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "InfrastructureConfig",
        "enableECRAccess": true,
        "enableMTUCustomizer": false,
        "dualStack": {"enabled": false},
        "networks": {
            "vpc": {"cidr": "10.250.0.0/16", "gatewayEndpoints": ["s3"]},
            "zones": [
                {"name": "eu-central-1a", "workers": "10.250.0.0/26", "public": "10.250.96.0/26", "internal": "10.250.112.0/26", "elasticIPAllocationID": "eipalloc-0123456789abcdef0"},
                {"name": "eu-central-1b", "workers": "10.250.0.64/26", "public": "10.250.96.64/26", "internal": "10.250.112.64/26"},
                {"name": "eu-central-1c", "workers": "10.250.0.128/26", "public": "10.250.96.128/26", "internal": "10.250.112.128/26"}
            ]
        },
        "ignoreTags": {"keys": ["SomeCustomKey", "AnotherCustomKey"], "keyPrefixes": ["user.specific/prefix/"]}
    })
}

pub(crate) fn worker_config_manifest() -> Value {
    json!({
        "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "WorkerConfig",
        "volume": {"iops": 10000, "throughput": 200},
        "dataVolumes": [{"name": "kubelet-dir", "iops": 12345, "throughput": 150, "snapshotID": "snap-1234"}],
        "iamInstanceProfile": {"name": "my-profile"},
        "instanceMetadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
        "nodeTemplate": {
            "capacity": {"cpu": "2", "gpu": "0", "memory": "50Gi", "ephemeral-storage": "10Gi", "resource.com/dongle": "4"},
            "virtualCapacity": {"subdomain.domain.com/resource-name": "1234567"}
        }
    })
}

pub(crate) fn shoot() -> Shoot {
    serde_json::from_value(shoot_manifest()).unwrap()
}

/// What the extension reports for the shoot's infrastructure.
pub(crate) fn infrastructure_status_manifest() -> Value {
    json!({
        "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "InfrastructureStatus",
        "ec2": {"keyName": "shoot--dev--johndoe-aws-ssh-publickey"},
        "iam": {
            "instanceProfiles": [{"purpose": "nodes", "name": "shoot--dev--johndoe-aws-nodes"}],
            "roles": [{"purpose": "nodes", "arn": "arn:aws:iam::123456789012:role/shoot--dev--johndoe-aws-nodes"}]
        },
        "vpc": {
            "id": "vpc-0123456789abcdef0",
            "subnets": [
                {"purpose": "nodes", "id": "subnet-0a1a1a1a1a1a1a1a1", "zone": "eu-central-1a"},
                {"purpose": "public", "id": "subnet-0b1b1b1b1b1b1b1b1", "zone": "eu-central-1a"},
                {"purpose": "internal", "id": "subnet-0c1c1c1c1c1c1c1c1", "zone": "eu-central-1a"},
                {"purpose": "nodes", "id": "subnet-0a2a2a2a2a2a2a2a2", "zone": "eu-central-1b"}
            ],
            "securityGroups": [{"purpose": "nodes", "id": "sg-0123456789abcdef0"}]
        },
        "elasticFileSystem": {"ID": ""}
    })
}

pub(crate) fn worker_status_manifest() -> Value {
    json!({
        "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
        "kind": "WorkerStatus",
        "machineImages": [
            {"name": "gardenlinux", "version": "1877.2.0", "ami": "ami-0f1e2d3c4b5a69788", "architecture": "amd64"},
            {"name": "gardenlinux", "version": "1592.9.0", "ami": "ami-0aaaabbbbccccdddd"}
        ]
    })
}
