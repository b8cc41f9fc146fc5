//! `InfrastructureConfig`: a shoot's network layout in AWS (`Shoot.spec.provider.infrastructureConfig`, passed on as
//! `Infrastructure.spec.providerConfig`); `InfrastructureStatus`: what the extension created for it
//! (`Infrastructure.status.providerStatus`, passed on to the `Worker`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{impl_provider_kind, null_as_default};

/// The network layout of a shoot in AWS: a new or an existing VPC, and the subnets of each zone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureConfig {
    /// `aws.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `InfrastructureConfig`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Whether the nodes' IAM role may pull images from the account's ECR; absent means yes. Has no effect on
    /// pools with their own `iamInstanceProfile`.
    #[serde(rename = "enableECRAccess", default, skip_serializing_if = "Option::is_none")]
    pub enable_ecr_access: Option<bool>,
    /// Dual-stack (an Amazon-provided IPv6 block on the VPC and each subnet) or IPv4 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dual_stack: Option<DualStack>,
    /// The VPC and the subnets per zone.
    #[serde(default)]
    pub networks: Networks,
    /// Tags on the managed AWS resources that reconciliation keeps instead of removing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_tags: Option<IgnoreTags>,
    /// Whether a newly created VPC uses dedicated tenancy (every VM on single-tenant hardware); cannot change later.
    #[serde(rename = "enableDedicatedTenancyForVPC", default, skip_serializing_if = "Option::is_none")]
    pub enable_dedicated_tenancy_for_vpc: Option<bool>,
    /// An Elastic File System for the shoot (created unless an existing one is named); cannot change once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_file_system: Option<ElasticFileSystemConfig>,
    /// Whether the nodes get a unit that lowers the MTU of their interfaces to 1460 (a workaround from before CNIs
    /// detected the MTU themselves).
    #[serde(rename = "enableMTUCustomizer", default, skip_serializing_if = "Option::is_none")]
    pub enable_mtu_customizer: Option<bool>,
}

impl_provider_kind!(InfrastructureConfig);

/// Dual-stack switch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DualStack {
    /// IPv6 in addition to IPv4.
    #[serde(default)]
    pub enabled: bool,
}

/// The VPC and the zones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Networks {
    /// The VPC: an existing one (`id`) or one to create (`cidr`).
    #[serde(default)]
    pub vpc: Vpc,
    /// Subnets per availability zone of the shoot's region; a zone cannot be removed once added.
    #[serde(default, deserialize_with = "null_as_default")]
    pub zones: Vec<Zone>,
}

/// The VPC of a shoot: exactly one of `id` and `cidr`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vpc {
    /// ID of an existing VPC (`vpc-...`), which must have an internet gateway and DNS support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Address range of a VPC to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    /// Services (e.g. `s3`) that get a gateway endpoint in the VPC, as `com.amazonaws.<region>.<service>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateway_endpoints: Vec<String>,
}

/// The subnets of one availability zone. Each must lie inside the VPC; none may overlap another.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Zone {
    /// Availability zone, e.g. `eu-west-1a`.
    #[serde(default)]
    pub name: String,
    /// Subnet for internal load balancers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<String>,
    /// Subnet for public load balancers, the NAT gateway and bastions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<String>,
    /// Subnet of the worker nodes; must lie inside the shoot's nodes CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<String>,
    /// An existing Elastic IP (`eipalloc-...`) for the zone's NAT gateway instead of a new one. Changing it
    /// recreates the NAT gateway, interrupting egress.
    #[serde(rename = "elasticIPAllocationID", default, skip_serializing_if = "Option::is_none")]
    pub elastic_ip_allocation_id: Option<String>,
}

/// Tag keys on managed resources that reconciliation leaves alone. `Name` and the `kubernetes.io` and
/// `gardener.cloud` prefixes cannot be ignored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreTags {
    /// Exact tag keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Tag key prefixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_prefixes: Vec<String>,
}

/// The Elastic File System of a shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ElasticFileSystemConfig {
    /// Whether the EFS CSI driver is installed (and the nodes may use EFS).
    #[serde(default)]
    pub enabled: bool,
    /// ID of an existing file system (`fs-...`); one is created when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// What the extension created (or found) for a shoot's infrastructure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureStatus {
    /// `aws.provider.extensions.gardener.cloud/v1alpha1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `InfrastructureStatus`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// EC2 resources.
    #[serde(default)]
    pub ec2: Ec2,
    /// IAM resources.
    #[serde(default)]
    pub iam: Iam,
    /// The VPC and what lives in it.
    #[serde(default)]
    pub vpc: VpcStatus,
    /// The Elastic File System, when one is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic_file_system: Option<ElasticFileSystemStatus>,
}

impl_provider_kind!(InfrastructureStatus);

impl InfrastructureStatus {
    /// The subnet of `purpose` (e.g. [`super::PURPOSE_NODES`]) in `zone`.
    pub fn subnet(&self, purpose: &str, zone: &str) -> Option<&Subnet> {
        self.vpc.subnets.iter().find(|s| s.purpose == purpose && s.zone == zone)
    }

    /// The security group of `purpose`.
    pub fn security_group(&self, purpose: &str) -> Option<&SecurityGroup> {
        self.vpc.security_groups.iter().find(|g| g.purpose == purpose)
    }

    /// The instance profile of `purpose`.
    pub fn instance_profile(&self, purpose: &str) -> Option<&InstanceProfile> {
        self.iam.instance_profiles.iter().find(|p| p.purpose == purpose)
    }

    /// The IAM role of `purpose`.
    pub fn role(&self, purpose: &str) -> Option<&Role> {
        self.iam.roles.iter().find(|r| r.purpose == purpose)
    }
}

/// EC2 resources of a shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ec2 {
    /// Name of the key pair holding the shoot's SSH public key.
    #[serde(default)]
    pub key_name: String,
}

/// IAM resources of a shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Iam {
    /// Instance profiles.
    #[serde(default, deserialize_with = "null_as_default")]
    pub instance_profiles: Vec<InstanceProfile>,
    /// Roles.
    #[serde(default, deserialize_with = "null_as_default")]
    pub roles: Vec<Role>,
}

/// An IAM instance profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceProfile {
    /// What it is for, e.g. `nodes`.
    #[serde(default)]
    pub purpose: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// An IAM role.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// What it is for, e.g. `nodes`.
    #[serde(default)]
    pub purpose: String,
    /// Its ARN.
    #[serde(default)]
    pub arn: String,
}

/// The VPC of a shoot and the resources in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpcStatus {
    /// VPC ID.
    #[serde(default)]
    pub id: String,
    /// Subnets, per purpose and zone.
    #[serde(default, deserialize_with = "null_as_default")]
    pub subnets: Vec<Subnet>,
    /// Security groups, per purpose.
    #[serde(default, deserialize_with = "null_as_default")]
    pub security_groups: Vec<SecurityGroup>,
}

/// A subnet of the VPC.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subnet {
    /// `nodes`, `public` or `internal`.
    #[serde(default)]
    pub purpose: String,
    /// Subnet ID.
    #[serde(default)]
    pub id: String,
    /// Availability zone of the subnet.
    #[serde(default)]
    pub zone: String,
}

/// A security group of the VPC.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroup {
    /// What it is for, e.g. `nodes`.
    #[serde(default)]
    pub purpose: String,
    /// Security group ID.
    #[serde(default)]
    pub id: String,
}

/// The Elastic File System in use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ElasticFileSystemStatus {
    /// File system ID (upper-case `ID` on the wire, unlike the other IDs).
    #[serde(rename = "ID", default)]
    pub id: String,
}
