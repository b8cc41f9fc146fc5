//! `Infrastructure`: the cloud networking of one shoot (VPC or network, subnets, security groups, key pair,
//! roles), handed by the gardenlet to the provider extension of the seed, which reports what it created in
//! `status.providerStatus` (read back into the shoot's `Worker` as `infrastructureProviderStatus`).

use k8s_openapi::api::core::v1::SecretReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::core::v1beta1::{Condition, LastError, LastOperation};
use crate::macros::impl_resource;

/// The infrastructure of one shoot in its seed namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Infrastructure {
    /// `extensions.gardener.cloud/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `Infrastructure`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: InfrastructureSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InfrastructureStatus>,
}

impl_resource!(
    Infrastructure,
    "extensions.gardener.cloud",
    "v1alpha1",
    "Infrastructure",
    super::INFRASTRUCTURES,
    k8s_openapi::NamespaceResourceScope
);

/// Desired infrastructure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureSpec {
    /// Provider extension type, e.g. `local`, `aws`, `openstack`.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Provider-specific configuration: the shoot's `spec.provider.infrastructureConfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// The region the infrastructure is created in (immutable).
    #[serde(default)]
    pub region: String,
    /// Cloud credentials.
    #[serde(default)]
    pub secret_ref: SecretReference,
    /// Public SSH key for the machines, base64-encoded as Gardener's `[]byte` is on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_public_key: Option<String>,
}

/// Observed state reported by the extension.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureStatus {
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The last operation of the extension on this resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// The last error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    /// Generation the status is for.
    #[serde(default)]
    pub observed_generation: i64,
    /// Provider-specific output (for AWS an `InfrastructureStatus` of
    /// `aws.provider.extensions.gardener.cloud/v1alpha1`: VPC, subnets, security groups, roles, key name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_status: Option<serde_json::Value>,
    /// Node network the extension created, for environments where it cannot be fixed in the Shoot up front.
    #[serde(rename = "nodesCIDR", default, skip_serializing_if = "Option::is_none")]
    pub nodes_cidr: Option<String>,
    /// Source CIDRs of the shoot's egress traffic, when they are stable.
    #[serde(rename = "egressCIDRs", default, skip_serializing_if = "Vec::is_empty")]
    pub egress_cidrs: Vec<String>,
    /// Node, pod and service ranges as the infrastructure ended up with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networking: Option<InfrastructureStatusNetworking>,
}

/// Network ranges reported by the extension.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureStatusNetworking {
    /// Pod network CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<String>,
    /// Node network CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// Service network CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::{ListableResource, Resource};
    use serde_json::json;

    #[test]
    fn gardener_style_infrastructure_round_trips() {
        let manifest = json!({
            "apiVersion": "extensions.gardener.cloud/v1alpha1",
            "kind": "Infrastructure",
            "metadata": {"name": "infrastructure", "namespace": "shoot--foobar--aws", "generation": 2},
            "spec": {
                "type": "aws",
                "region": "eu-west-1",
                "secretRef": {"name": "cloudprovider", "namespace": "shoot--foobar--aws"},
                "sshPublicKey": "c3NoLWVkMjU1MTkgQUFBQQ==",
                "providerConfig": {
                    "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
                    "kind": "InfrastructureConfig",
                    "networks": {"vpc": {"cidr": "10.250.0.0/16"}, "zones": [{"name": "eu-west-1a", "internal": "10.250.112.0/22", "public": "10.250.96.0/22", "workers": "10.250.0.0/19"}]}
                }
            },
            "status": {
                "observedGeneration": 2,
                "lastOperation": {"description": "The infrastructure is reconciled", "lastUpdateTime": "2025-05-01T10:00:00Z", "progress": 100, "state": "Succeeded", "type": "Reconcile"},
                "providerStatus": {
                    "apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1",
                    "kind": "InfrastructureStatus",
                    "ec2": {"keyName": "shoot--foobar--aws-ssh-publickey"},
                    "iam": {"instanceProfiles": [{"purpose": "nodes", "name": "shoot--foobar--aws-nodes"}], "roles": [{"purpose": "nodes", "arn": "arn:aws:iam::123456789012:role/shoot--foobar--aws-nodes"}]},
                    "vpc": {"id": "vpc-0a1b2c3d", "subnets": [{"purpose": "nodes", "id": "subnet-0a1b", "zone": "eu-west-1a"}], "securityGroups": [{"purpose": "nodes", "id": "sg-0a1b"}]}
                },
                "nodesCIDR": "10.250.0.0/16",
                "egressCIDRs": ["52.1.2.3/32"],
                "networking": {"nodes": ["10.250.0.0/16"]}
            }
        });
        let infra: Infrastructure = serde_json::from_value(manifest.clone()).unwrap();
        assert_eq!(infra.spec.secret_ref.name.as_deref(), Some("cloudprovider"));
        let status = infra.status.as_ref().unwrap();
        assert_eq!(status.nodes_cidr.as_deref(), Some("10.250.0.0/16"));
        assert_eq!(status.last_operation.as_ref().unwrap().state, "Succeeded");
        assert_eq!(serde_json::to_value(&infra).unwrap(), manifest);
    }

    #[test]
    fn resource_traits() {
        assert_eq!(Infrastructure::API_VERSION, "extensions.gardener.cloud/v1alpha1");
        assert_eq!(Infrastructure::URL_PATH_SEGMENT, "infrastructures");
        assert_eq!(Infrastructure::LIST_KIND, "InfrastructureList");
        let mut i = Infrastructure::default();
        i.ensure_type_meta();
        assert_eq!((i.api_version.as_str(), i.kind.as_str()), ("extensions.gardener.cloud/v1alpha1", "Infrastructure"));
    }
}
