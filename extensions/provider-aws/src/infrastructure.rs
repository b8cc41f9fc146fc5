//! The infrastructure flow of AWS shoots: what `Infrastructure` objects of type `aws` stand for in the account.
//!
//! [`reconcile`] runs named tasks one after the other: the VPC (created, or the one named by `networks.vpc.id`),
//! its DHCP options and internet gateway, a public route table with the default route through the gateway, the
//! nodes security group, then per zone three subnets (workers, public, internal), an elastic IP, a NAT gateway in
//! the public subnet and a private route table through it, and last the nodes' IAM role, instance profile and role
//! policy and the SSH key pair. Every EC2 resource is created with its tags in the same call
//! (`kubernetes.io/cluster/<technicalID>=1`, `Name=<technicalID>[-suffix]`) and every task first looks for what
//! exists by those tags (IAM objects by their fixed names), so a run cut off anywhere and started again ends with
//! exactly one of each, and no state is kept besides the tags.
//!
//! An existing VPC is only read: it must exist, have DNS support and hostnames on and an internet gateway attached
//! (which is then used, never tagged nor deleted); otherwise the flow fails with `ERR_CONFIGURATION_PROBLEM`.
//!
//! [`delete`] removes, in the reverse order, everything that carries the cluster tag (value `1`) in the region,
//! whatever the zones of the configuration are now, and the IAM objects of the fixed names; it never touches a
//! VPC given by ID, its internet gateway, nor elastic IPs given by allocation ID. Gone is as good as deleted.
//!
//! Not done (yet): VPC gateway endpoints, dual-stack and EFS (the fields are ignored).

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    Address, AttributeBooleanValue, DhcpOptions, DomainType, Filter, InternetGateway, IpPermission, IpRange,
    NatGateway, NatGatewayState, NewDhcpConfiguration, ResourceType, RouteTable, SecurityGroup, Subnet, Tag,
    TagSpecification, Tenancy, UserIdGroupPair, Vpc, VpcAttributeName,
};
use garden_api::provider::aws::v1alpha1::{
    self as aws, InfrastructureConfig, InfrastructureStatus, ProviderKind, PURPOSE_INTERNAL, PURPOSE_NODES,
    PURPOSE_PUBLIC,
};
use tracing::{info, warn};

use crate::spec::{CLUSTER_TAG_PREFIX, NAME_TAG};

/// The value of the cluster tag on everything the flow creates (the cloud controller's `owned`/`shared` differ).
pub const CLUSTER_TAG_VALUE: &str = "1";
/// Subnets for internet-facing load balancers.
pub const ROLE_ELB_TAG: &str = "kubernetes.io/role/elb";
/// Subnets for internal load balancers.
pub const ROLE_INTERNAL_ELB_TAG: &str = "kubernetes.io/role/internal-elb";

/// Gardener error codes (`lastError.codes`).
pub const ERR_INFRA_UNAUTHENTICATED: &str = "ERR_INFRA_UNAUTHENTICATED";
pub const ERR_INFRA_UNAUTHORIZED: &str = "ERR_INFRA_UNAUTHORIZED";
pub const ERR_INFRA_QUOTA_EXCEEDED: &str = "ERR_INFRA_QUOTA_EXCEEDED";
pub const ERR_INFRA_RATE_LIMITS_EXCEEDED: &str = "ERR_INFRA_RATE_LIMITS_EXCEEDED";
pub const ERR_INFRA_DEPENDENCIES: &str = "ERR_INFRA_DEPENDENCIES";
pub const ERR_CONFIGURATION_PROBLEM: &str = "ERR_CONFIGURATION_PROBLEM";

const ALL_IPV4: &str = "0.0.0.0/0";
const NODE_PORTS: (i32, i32) = (30000, 32767);
/// How long a NAT gateway may take to become available or to go away.
const NAT_TIMEOUT: Duration = Duration::from_secs(600);
/// Attempts at a deletion refused with `DependencyViolation` (things that go away by themselves, e.g. the
/// network interfaces of a deleted NAT gateway), the pause doubling from [`DEPENDENCY_BACKOFF`].
const DEPENDENCY_ATTEMPTS: u32 = 5;
const DEPENDENCY_BACKOFF: Duration = Duration::from_millis(500);

/// What to reconcile or delete.
pub struct InfraRequest<'a> {
    /// The shoot's technical ID (its seed namespace, e.g. `shoot--dev--aws`): names and tags everything.
    pub technical_id: &'a str,
    pub region: &'a str,
    pub config: &'a InfrastructureConfig,
    /// The shoot's SSH public key (OpenSSH text): imported as key pair `<technicalID>-ssh-publickey`.
    pub ssh_public_key: Option<&'a str>,
}

/// A failed task: which one, the AWS error code (none when AWS could not be reached or the flow itself found the
/// problem) and message. Messages come from AWS or from the flow and never hold credentials.
#[derive(Debug, thiserror::Error)]
#[error("{task}: {message}")]
pub struct InfraError {
    pub task: String,
    pub aws_code: Option<String>,
    pub message: String,
    /// A Gardener code decided by the flow itself (e.g. a given VPC that does not exist), taking precedence over
    /// the one of `aws_code`.
    pub gardener: Option<&'static str>,
}

impl InfraError {
    fn new(task: &str, gardener: Option<&'static str>, message: impl Into<String>) -> Self {
        InfraError { task: task.to_string(), aws_code: None, message: message.into(), gardener }
    }

    fn configuration(task: &str, message: impl Into<String>) -> Self {
        Self::new(task, Some(ERR_CONFIGURATION_PROBLEM), message)
    }

    /// The Gardener error code of this failure, if it is one Gardener knows (else the failure is retried as is).
    pub fn gardener_code(&self) -> Option<&'static str> {
        self.gardener.or_else(|| gardener_code_of(self.aws_code.as_deref()?))
    }

    fn code(&self) -> &str {
        self.aws_code.as_deref().unwrap_or_default()
    }

    /// The thing acted upon does not exist (any more).
    fn is_gone(&self) -> bool {
        let code = self.code();
        code.ends_with("NotFound") || code == "NoSuchEntity"
    }
}

/// The Gardener error code of an AWS error code (EC2's and IAM's).
pub fn gardener_code_of(aws_code: &str) -> Option<&'static str> {
    Some(match aws_code {
        "AuthFailure"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "ExpiredToken"
        | "RequestExpired" => ERR_INFRA_UNAUTHENTICATED,
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => ERR_INFRA_UNAUTHORIZED,
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" | "TooManyRequestsException" => {
            ERR_INFRA_RATE_LIMITS_EXCEEDED
        }
        c if c.ends_with("LimitExceeded") => ERR_INFRA_QUOTA_EXCEEDED,
        // OptInRequired: the account is not signed up for the service (yet).
        "DependencyViolation"
        | "DeleteConflict"
        | "InvalidIPAddress.InUse"
        | "OptInRequired"
        | "InsufficientFreeAddressesInSubnet" => ERR_INFRA_DEPENDENCIES,
        "InvalidParameterValue"
        | "InvalidParameterCombination"
        | "InvalidParameter"
        | "InvalidSubnet.Conflict"
        | "InvalidSubnet.Range"
        | "InvalidVpc.Range"
        | "InvalidKeyPair.Format"
        | "InvalidAllocationID.NotFound"
        | "InvalidAvailabilityZone"
        | "MalformedPolicyDocument"
        | "UnsupportedOperation" => ERR_CONFIGURATION_PROBLEM,
        _ => return None,
    })
}

/// A failed SDK call as an [`InfraError`] of `task`.
fn sdk<E, R>(task: &str) -> impl FnOnce(SdkError<E, R>) -> InfraError + '_
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |err| match &err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = err.message().filter(|m| !m.is_empty()).unwrap_or(&code).to_string();
            InfraError { task: task.to_string(), aws_code: Some(code), message, gardener: None }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            InfraError::new(task, None, format!("AWS cannot be reached: {}", crate::ec2::source_chain(&err)))
        }
        _ => InfraError::new(task, None, crate::ec2::source_chain(&err)),
    }
}

type Result<T, E = InfraError> = std::result::Result<T, E>;

/// Every item of every page of a paginated EC2 Describe request, as one list (an [`InfraError`] of `task` on failure).
macro_rules! all_pages {
    ($request:expr, $task:expr) => {
        $request.into_paginator().items().send().collect::<std::result::Result<Vec<_>, _>>().await.map_err(sdk($task))
    };
}

/// Creates or completes the shoot's infrastructure and tells what it consists of. `progress` hears the name of
/// each task as it starts.
pub async fn reconcile(
    ec2: &aws_sdk_ec2::Client,
    iam: &aws_sdk_iam::Client,
    req: &InfraRequest<'_>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<InfrastructureStatus> {
    let flow = Flow::new(ec2, iam, req, progress);
    flow.reconcile().await
}

/// Deletes what [`reconcile`] created (also after a partial run). `progress` hears each task's name.
pub async fn delete(
    ec2: &aws_sdk_ec2::Client,
    iam: &aws_sdk_iam::Client,
    req: &InfraRequest<'_>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<()> {
    let flow = Flow::new(ec2, iam, req, progress);
    flow.delete().await
}

/// The names of what the flow creates.
pub struct Names;

impl Names {
    /// Security group, IAM role, instance profile and role policy of the nodes.
    pub fn nodes(id: &str) -> String {
        format!("{id}-nodes")
    }

    /// The SSH key pair.
    pub fn key_pair(id: &str) -> String {
        format!("{id}-ssh-publickey")
    }

    /// `Name` of the subnet of `purpose` in the zone at `index`.
    pub fn subnet(id: &str, purpose: &str, index: usize) -> String {
        match purpose {
            PURPOSE_PUBLIC => format!("{id}-public-utility-z{index}"),
            PURPOSE_INTERNAL => format!("{id}-private-utility-z{index}"),
            _ => format!("{id}-nodes-z{index}"),
        }
    }

    pub fn elastic_ip(id: &str, index: usize) -> String {
        format!("{id}-eip-natgw-z{index}")
    }

    pub fn nat_gateway(id: &str, index: usize) -> String {
        format!("{id}-natgw-z{index}")
    }

    pub fn private_route_table(id: &str, zone: &str) -> String {
        format!("{id}-private-{zone}")
    }
}

/// The domain name the DHCP options hand out in `region` (AWS's own choice for its DNS).
pub fn dhcp_domain_name(region: &str) -> String {
    if region == "us-east-1" {
        "ec2.internal".to_string()
    } else {
        format!("{region}.compute.internal")
    }
}

fn assume_role_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    })
}

/// The nodes' permissions: see their instances (kubelet), and pull from the account's ECR unless switched off.
fn nodes_policy(enable_ecr_access: bool) -> serde_json::Value {
    let mut statements =
        vec![serde_json::json!({"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": ["*"]})];
    if enable_ecr_access {
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:DescribeRepositories",
                "ecr:ListImages",
                "ecr:BatchGetImage"
            ],
            "Resource": ["*"]
        }));
    }
    serde_json::json!({"Version": "2012-10-17", "Statement": statements})
}

/// A policy document as IAM returns it (URL-encoded JSON) parsed, or `None` when it is not JSON.
fn parse_policy(document: &str) -> Option<serde_json::Value> {
    serde_json::from_str(document).ok().or_else(|| {
        let decoded = percent_encoding::percent_decode_str(document).decode_utf8().ok()?;
        serde_json::from_str(&decoded).ok()
    })
}

/// The type and key of an OpenSSH public key line (the comment does not matter).
fn ssh_key_body(key: &str) -> Option<(&str, &str)> {
    let mut fields = key.split_whitespace();
    Some((fields.next()?, fields.next()?))
}

fn tag_value<'t>(tags: &'t [Tag], key: &str) -> Option<&'t str> {
    tags.iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

fn filter(name: &str, value: impl Into<String>) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// One security group rule the nodes need.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rule {
    egress: bool,
    protocol: &'static str,
    ports: Option<(i32, i32)>,
    /// From (or to) this CIDR; `None`: from the group itself.
    cidr: Option<&'static str>,
}

const NODES_RULES: [Rule; 4] = [
    Rule { egress: false, protocol: "-1", ports: None, cidr: None },
    Rule { egress: false, protocol: "tcp", ports: Some(NODE_PORTS), cidr: Some(ALL_IPV4) },
    Rule { egress: false, protocol: "udp", ports: Some(NODE_PORTS), cidr: Some(ALL_IPV4) },
    Rule { egress: true, protocol: "-1", ports: None, cidr: Some(ALL_IPV4) },
];

fn protocol(p: &str) -> &str {
    match p {
        "6" => "tcp",
        "17" => "udp",
        "all" => "-1",
        p => p,
    }
}

impl Rule {
    fn is_in(&self, permissions: &[IpPermission], group_id: &str) -> bool {
        permissions.iter().any(|p| {
            protocol(p.ip_protocol().unwrap_or_default()) == self.protocol
                && self.ports.is_none_or(|(from, to)| p.from_port() == Some(from) && p.to_port() == Some(to))
                && match self.cidr {
                    Some(cidr) => p.ip_ranges().iter().any(|r| r.cidr_ip() == Some(cidr)),
                    None => p.user_id_group_pairs().iter().any(|g| g.group_id() == Some(group_id)),
                }
        })
    }

    fn permission(&self, group_id: &str) -> IpPermission {
        let mut p = IpPermission::builder().ip_protocol(self.protocol);
        if let Some((from, to)) = self.ports {
            p = p.from_port(from).to_port(to);
        }
        match self.cidr {
            Some(cidr) => p.ip_ranges(IpRange::builder().cidr_ip(cidr).build()),
            None => p.user_id_group_pairs(UserIdGroupPair::builder().group_id(group_id).build()),
        }
        .build()
    }
}

/// The VPC in use and whether the flow owns it.
struct VpcInfo {
    id: String,
    created: bool,
    internet_gateway: String,
}

struct Flow<'a, 'r> {
    ec2: &'a aws_sdk_ec2::Client,
    iam: &'a aws_sdk_iam::Client,
    req: &'a InfraRequest<'r>,
    progress: &'a (dyn Fn(&str) + Send + Sync),
    /// `kubernetes.io/cluster/<technicalID>`.
    cluster_key: String,
}

impl<'a, 'r> Flow<'a, 'r> {
    fn new(
        ec2: &'a aws_sdk_ec2::Client,
        iam: &'a aws_sdk_iam::Client,
        req: &'a InfraRequest<'r>,
        progress: &'a (dyn Fn(&str) + Send + Sync),
    ) -> Self {
        Flow { ec2, iam, req, progress, cluster_key: format!("{CLUSTER_TAG_PREFIX}{}", req.technical_id) }
    }

    fn id(&self) -> &str {
        self.req.technical_id
    }

    /// Announces a task and returns its name (for its errors).
    fn start(&self, task: impl Into<String>) -> String {
        let task = task.into();
        (self.progress)(&task);
        task
    }

    // ---- tags ----

    fn tags(&self, name: &str, extra: &[(&str, &str)]) -> Vec<Tag> {
        let mut tags = vec![
            Tag::builder().key(&self.cluster_key).value(CLUSTER_TAG_VALUE).build(),
            Tag::builder().key(NAME_TAG).value(name).build(),
        ];
        tags.extend(extra.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()));
        tags
    }

    fn tag_spec(&self, resource: ResourceType, name: &str, extra: &[(&str, &str)]) -> TagSpecification {
        TagSpecification::builder().resource_type(resource).set_tags(Some(self.tags(name, extra))).build()
    }

    /// Carries the cluster tag with the flow's value.
    fn owned(&self, tags: &[Tag]) -> bool {
        tag_value(tags, &self.cluster_key) == Some(CLUSTER_TAG_VALUE)
    }

    /// Owned and named `name`.
    fn owned_named(&self, tags: &[Tag], name: &str) -> bool {
        self.owned(tags) && tag_value(tags, NAME_TAG) == Some(name)
    }

    /// Filters selecting owned resources (named `name`). Results are checked again here: not every EC2
    /// implementation honours every filter.
    fn owned_filters(&self, name: Option<&str>) -> Vec<Filter> {
        let mut filters = vec![filter(&format!("tag:{}", self.cluster_key), CLUSTER_TAG_VALUE)];
        if let Some(name) = name {
            filters.push(filter(&format!("tag:{NAME_TAG}"), name));
        }
        filters
    }

    /// Adds those of `wanted` that `current` lacks (tags the creation call did not set, new role tags).
    async fn complete_tags(&self, task: &str, id: &str, current: &[Tag], wanted: Vec<Tag>) -> Result<()> {
        let missing: Vec<Tag> =
            wanted.into_iter().filter(|t| tag_value(current, t.key().unwrap_or_default()) != t.value()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.ec2.create_tags().resources(id).set_tags(Some(missing)).send().await.map_err(sdk(task))?;
        Ok(())
    }

    // ---- listing (all pages) ----

    async fn vpcs(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<Vpc>> {
        let mut v: Vec<Vpc> = all_pages!(self.ec2.describe_vpcs().set_filters(Some(filters)), task)?;
        v.sort_by(|a, b| a.vpc_id().cmp(&b.vpc_id()));
        Ok(v)
    }

    async fn dhcp_options(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<DhcpOptions>> {
        let mut v: Vec<DhcpOptions> = all_pages!(self.ec2.describe_dhcp_options().set_filters(Some(filters)), task)?;
        v.sort_by(|a, b| a.dhcp_options_id().cmp(&b.dhcp_options_id()));
        Ok(v)
    }

    async fn internet_gateways(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<InternetGateway>> {
        let mut v: Vec<InternetGateway> =
            all_pages!(self.ec2.describe_internet_gateways().set_filters(Some(filters)), task)?;
        v.sort_by(|a, b| a.internet_gateway_id().cmp(&b.internet_gateway_id()));
        Ok(v)
    }

    async fn route_tables(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<RouteTable>> {
        let mut v: Vec<RouteTable> = all_pages!(self.ec2.describe_route_tables().set_filters(Some(filters)), task)?;
        v.sort_by(|a, b| a.route_table_id().cmp(&b.route_table_id()));
        Ok(v)
    }

    async fn subnets(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<Subnet>> {
        let mut v: Vec<Subnet> = all_pages!(self.ec2.describe_subnets().set_filters(Some(filters)), task)?;
        v.sort_by(|a, b| a.subnet_id().cmp(&b.subnet_id()));
        Ok(v)
    }

    async fn security_groups(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<SecurityGroup>> {
        let mut v: Vec<SecurityGroup> =
            all_pages!(self.ec2.describe_security_groups().set_filters(Some(filters)), task)?;
        v.sort_by(|a, b| a.group_id().cmp(&b.group_id()));
        Ok(v)
    }

    async fn nat_gateways(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<NatGateway>> {
        let mut v: Vec<NatGateway> = all_pages!(self.ec2.describe_nat_gateways().set_filter(Some(filters)), task)?;
        v.sort_by(|a, b| a.create_time().map(|t| t.secs()).cmp(&b.create_time().map(|t| t.secs())));
        Ok(v)
    }

    /// Elastic IPs (not paginated by EC2).
    async fn addresses(&self, task: &str, filters: Vec<Filter>) -> Result<Vec<Address>> {
        let out = self.ec2.describe_addresses().set_filters(Some(filters)).send().await.map_err(sdk(task))?;
        let mut v = out.addresses().to_vec();
        v.sort_by(|a, b| a.allocation_id().cmp(&b.allocation_id()));
        Ok(v)
    }

    // ---- reconcile ----

    async fn reconcile(&self) -> Result<InfrastructureStatus> {
        let config = self.req.config;
        let vpc = match config.networks.vpc.id.as_deref() {
            Some(id) => self.existing_vpc(id).await?,
            None => {
                let vpc_id = self.ensure_vpc().await?;
                self.ensure_dhcp_options(&vpc_id).await?;
                let internet_gateway = self.ensure_internet_gateway(&vpc_id).await?;
                VpcInfo { id: vpc_id, created: true, internet_gateway }
            }
        };
        if !vpc.created {
            info!(vpc = %vpc.id, "using the configured VPC");
        }
        let public_route_table = self.ensure_public_route_table(&vpc).await?;
        let security_group = self.ensure_nodes_security_group(&vpc.id).await?;

        let mut status = InfrastructureStatus::default();
        for (index, zone) in config.networks.zones.iter().enumerate() {
            let subnets = self.ensure_subnets(&vpc.id, index, zone).await?;
            let nat = match &subnets.public {
                Some(public) => {
                    let allocation = self.ensure_elastic_ip(index, zone, public).await?;
                    Some(self.ensure_nat_gateway(index, zone, public, &allocation).await?)
                }
                None => None,
            };
            let private_route_table = self.ensure_private_route_table(&vpc.id, &zone.name, nat.as_deref()).await?;
            self.ensure_associations(&vpc.id, &zone.name, &subnets, &private_route_table, &public_route_table).await?;
            for (purpose, id) in [
                (PURPOSE_NODES, &subnets.workers),
                (PURPOSE_PUBLIC, &subnets.public),
                (PURPOSE_INTERNAL, &subnets.internal),
            ] {
                if let Some(id) = id {
                    status.vpc.subnets.push(aws::Subnet {
                        purpose: purpose.to_string(),
                        id: id.clone(),
                        zone: zone.name.clone(),
                    });
                }
            }
        }

        let role_arn = self.ensure_role().await?;
        let profile = self.ensure_instance_profile().await?;
        self.ensure_role_policy().await?;
        let key_name = self.ensure_key_pair().await?;

        status.ensure_type_meta();
        status.vpc.id = vpc.id;
        status.vpc.security_groups = vec![aws::SecurityGroup { purpose: PURPOSE_NODES.into(), id: security_group }];
        status.iam.instance_profiles = vec![aws::InstanceProfile { purpose: PURPOSE_NODES.into(), name: profile }];
        status.iam.roles = vec![aws::Role { purpose: PURPOSE_NODES.into(), arn: role_arn }];
        status.ec2.key_name = key_name;
        Ok(status)
    }

    /// The VPC named by the configuration: it must exist, resolve DNS names and reach the internet.
    async fn existing_vpc(&self, vpc_id: &str) -> Result<VpcInfo> {
        let task = self.start(format!("Checking VPC {vpc_id}"));
        let found = self.ec2.describe_vpcs().vpc_ids(vpc_id).send().await.map_err(sdk(&task));
        let found = match found {
            Err(e) if e.is_gone() => {
                return Err(InfraError::configuration(
                    &task,
                    format!("VPC {vpc_id} (networks.vpc.id) does not exist in {}", self.req.region),
                ))
            }
            other => other?,
        };
        if found.vpcs().iter().all(|v| v.vpc_id() != Some(vpc_id)) {
            return Err(InfraError::configuration(
                &task,
                format!("VPC {vpc_id} (networks.vpc.id) does not exist in {}", self.req.region),
            ));
        }
        for attribute in [VpcAttributeName::EnableDnsSupport, VpcAttributeName::EnableDnsHostnames] {
            if !self.vpc_attribute(&task, vpc_id, attribute.clone()).await? {
                return Err(InfraError::configuration(
                    &task,
                    format!("VPC {vpc_id} must have {} turned on", attribute.as_str()),
                ));
            }
        }
        let gateways = self.internet_gateways(&task, vec![filter("attachment.vpc-id", vpc_id)]).await?;
        let attached = gateways.iter().find(|g| {
            g.attachments().iter().any(|a| {
                a.vpc_id() == Some(vpc_id)
                    && a.state().is_none_or(|s| matches!(s.as_str(), "available" | "attached" | "attaching"))
            })
        });
        let Some(internet_gateway) = attached.and_then(|g| g.internet_gateway_id()) else {
            return Err(InfraError::configuration(
                &task,
                format!("VPC {vpc_id} has no internet gateway attached (the NAT gateways need one)"),
            ));
        };
        Ok(VpcInfo { id: vpc_id.to_string(), created: false, internet_gateway: internet_gateway.to_string() })
    }

    async fn vpc_attribute(&self, task: &str, vpc_id: &str, attribute: VpcAttributeName) -> Result<bool> {
        let out = self
            .ec2
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(attribute.clone())
            .send()
            .await
            .map_err(sdk(task))?;
        let value = match attribute {
            VpcAttributeName::EnableDnsSupport => out.enable_dns_support(),
            _ => out.enable_dns_hostnames(),
        };
        Ok(value.and_then(AttributeBooleanValue::value).unwrap_or(false))
    }

    async fn ensure_vpc(&self) -> Result<String> {
        let task = self.start("Ensuring VPC");
        let id = self.id();
        let found: Vec<Vpc> = self
            .vpcs(&task, self.owned_filters(Some(id)))
            .await?
            .into_iter()
            .filter(|v| self.owned_named(v.tags(), id))
            .collect();
        if found.len() > 1 {
            warn!(cluster = %id, vpcs = ?found.iter().filter_map(|v| v.vpc_id()).collect::<Vec<_>>(), "more than one VPC carries the cluster's tags; using the first");
        }
        let vpc_id =
            match found.first().and_then(|v| v.vpc_id()) {
                Some(vpc_id) => vpc_id.to_string(),
                None => {
                    let cidr =
                        self.req.config.networks.vpc.cidr.as_deref().ok_or_else(|| {
                            InfraError::configuration(&task, "networks.vpc needs either an id or a cidr")
                        })?;
                    let dedicated = self.req.config.enable_dedicated_tenancy_for_vpc == Some(true);
                    let created = self
                        .ec2
                        .create_vpc()
                        .cidr_block(cidr)
                        .set_instance_tenancy(dedicated.then_some(Tenancy::Dedicated))
                        .tag_specifications(self.tag_spec(ResourceType::Vpc, id, &[]))
                        .send()
                        .await
                        .map_err(sdk(&task))?;
                    let vpc = created.vpc().ok_or_else(|| InfraError::new(&task, None, "CreateVpc returned no VPC"))?;
                    let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
                    self.complete_tags(&task, &vpc_id, vpc.tags(), self.tags(id, &[])).await?;
                    info!(cluster = %id, vpc = %vpc_id, "created VPC");
                    vpc_id
                }
            };
        // Support first: hostnames cannot be turned on without it.
        for attribute in [VpcAttributeName::EnableDnsSupport, VpcAttributeName::EnableDnsHostnames] {
            if !self.vpc_attribute(&task, &vpc_id, attribute.clone()).await? {
                let on = Some(AttributeBooleanValue::builder().value(true).build());
                let call = self.ec2.modify_vpc_attribute().vpc_id(&vpc_id);
                let call = match attribute {
                    VpcAttributeName::EnableDnsSupport => call.set_enable_dns_support(on),
                    _ => call.set_enable_dns_hostnames(on),
                };
                call.send().await.map_err(sdk(&task))?;
            }
        }
        Ok(vpc_id)
    }

    async fn ensure_dhcp_options(&self, vpc_id: &str) -> Result<()> {
        let task = self.start("Ensuring DHCP options");
        let id = self.id();
        let found = self.dhcp_options(&task, self.owned_filters(Some(id))).await?;
        let options_id = match found.iter().find(|o| self.owned_named(o.tags(), id)).and_then(|o| o.dhcp_options_id()) {
            Some(options_id) => options_id.to_string(),
            None => {
                let created = self
                    .ec2
                    .create_dhcp_options()
                    .dhcp_configurations(
                        NewDhcpConfiguration::builder()
                            .key("domain-name")
                            .values(dhcp_domain_name(self.req.region))
                            .build(),
                    )
                    .dhcp_configurations(
                        NewDhcpConfiguration::builder().key("domain-name-servers").values("AmazonProvidedDNS").build(),
                    )
                    .tag_specifications(self.tag_spec(ResourceType::DhcpOptions, id, &[]))
                    .send()
                    .await
                    .map_err(sdk(&task))?;
                let options = created
                    .dhcp_options()
                    .ok_or_else(|| InfraError::new(&task, None, "CreateDhcpOptions returned no options"))?;
                let options_id = options.dhcp_options_id().unwrap_or_default().to_string();
                // EC2 tags in the creation call; emulators that ignore the tag specification get them now.
                self.complete_tags(&task, &options_id, options.tags(), self.tags(id, &[])).await?;
                info!(cluster = %id, dhcp_options = %options_id, "created DHCP options");
                options_id
            }
        };
        let vpcs = self.ec2.describe_vpcs().vpc_ids(vpc_id).send().await.map_err(sdk(&task))?;
        let current = vpcs.vpcs().first().and_then(|v| v.dhcp_options_id());
        if current != Some(options_id.as_str()) {
            self.ec2
                .associate_dhcp_options()
                .dhcp_options_id(&options_id)
                .vpc_id(vpc_id)
                .send()
                .await
                .map_err(sdk(&task))?;
        }
        Ok(())
    }

    async fn ensure_internet_gateway(&self, vpc_id: &str) -> Result<String> {
        let task = self.start("Ensuring internet gateway");
        let id = self.id();
        let found = self.internet_gateways(&task, self.owned_filters(Some(id))).await?;
        let (gateway_id, attached) = match found.iter().find(|g| self.owned_named(g.tags(), id)) {
            Some(g) => (
                g.internet_gateway_id().unwrap_or_default().to_string(),
                g.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)),
            ),
            None => {
                let created = self
                    .ec2
                    .create_internet_gateway()
                    .tag_specifications(self.tag_spec(ResourceType::InternetGateway, id, &[]))
                    .send()
                    .await
                    .map_err(sdk(&task))?;
                let gateway = created
                    .internet_gateway()
                    .ok_or_else(|| InfraError::new(&task, None, "CreateInternetGateway returned no gateway"))?;
                let gateway_id = gateway.internet_gateway_id().unwrap_or_default().to_string();
                self.complete_tags(&task, &gateway_id, gateway.tags(), self.tags(id, &[])).await?;
                info!(cluster = %id, internet_gateway = %gateway_id, "created internet gateway");
                (gateway_id, false)
            }
        };
        if !attached {
            match self
                .ec2
                .attach_internet_gateway()
                .internet_gateway_id(&gateway_id)
                .vpc_id(vpc_id)
                .send()
                .await
                .map_err(sdk(&task))
            {
                Err(e) if e.code() == "Resource.AlreadyAssociated" => {}
                other => {
                    other?;
                }
            }
        }
        Ok(gateway_id)
    }

    /// An owned route table named `name` in the VPC, created when missing.
    async fn ensure_route_table(&self, task: &str, vpc_id: &str, name: &str) -> Result<RouteTable> {
        let mut filters = self.owned_filters(Some(name));
        filters.push(filter("vpc-id", vpc_id));
        let found = self.route_tables(task, filters).await?;
        if let Some(table) = found.into_iter().find(|t| self.owned_named(t.tags(), name) && t.vpc_id() == Some(vpc_id))
        {
            return Ok(table);
        }
        let created = self
            .ec2
            .create_route_table()
            .vpc_id(vpc_id)
            .tag_specifications(self.tag_spec(ResourceType::RouteTable, name, &[]))
            .send()
            .await
            .map_err(sdk(task))?;
        let table = created
            .route_table()
            .cloned()
            .ok_or_else(|| InfraError::new(task, None, "CreateRouteTable returned no table"))?;
        let table_id = table.route_table_id().unwrap_or_default();
        self.complete_tags(task, table_id, table.tags(), self.tags(name, &[])).await?;
        info!(cluster = %self.id(), route_table = %table_id, name, "created route table");
        Ok(table)
    }

    /// Makes the table's default route go through the internet gateway `gateway` or the NAT gateway `nat`.
    async fn ensure_default_route(&self, task: &str, table: &RouteTable, target: Target<'_>) -> Result<()> {
        let table_id = table.route_table_id().unwrap_or_default();
        let current = table.routes().iter().find(|r| r.destination_cidr_block() == Some(ALL_IPV4));
        let active = current.is_some_and(|r| r.state().is_none_or(|s| s.as_str() == "active"));
        let right = current.is_some_and(|r| match target {
            Target::Gateway(g) => r.gateway_id() == Some(g),
            Target::Nat(n) => r.nat_gateway_id() == Some(n),
        });
        if right && active {
            return Ok(());
        }
        if current.is_some() {
            let call = self.ec2.replace_route().route_table_id(table_id).destination_cidr_block(ALL_IPV4);
            let call = match target {
                Target::Gateway(g) => call.gateway_id(g),
                Target::Nat(n) => call.nat_gateway_id(n),
            };
            call.send().await.map_err(sdk(task))?;
        } else {
            let call = self.ec2.create_route().route_table_id(table_id).destination_cidr_block(ALL_IPV4);
            let call = match target {
                Target::Gateway(g) => call.gateway_id(g),
                Target::Nat(n) => call.nat_gateway_id(n),
            };
            match call.send().await.map_err(sdk(task)) {
                // Created by a run that did not see the answer.
                Err(e) if e.code() == "RouteAlreadyExists" => {}
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    async fn ensure_public_route_table(&self, vpc: &VpcInfo) -> Result<String> {
        let task = self.start("Ensuring public route table");
        let table = self.ensure_route_table(&task, &vpc.id, self.id()).await?;
        self.ensure_default_route(&task, &table, Target::Gateway(&vpc.internet_gateway)).await?;
        Ok(table.route_table_id().unwrap_or_default().to_string())
    }

    async fn ensure_nodes_security_group(&self, vpc_id: &str) -> Result<String> {
        let task = self.start("Ensuring nodes security group");
        let name = Names::nodes(self.id());
        let found =
            self.security_groups(&task, vec![filter("vpc-id", vpc_id), filter("group-name", name.as_str())]).await?;
        let group =
            match found.into_iter().find(|g| g.group_name() == Some(name.as_str()) && g.vpc_id() == Some(vpc_id)) {
                Some(g) if self.owned(g.tags()) => g,
                Some(g) => {
                    return Err(InfraError::configuration(
                        &task,
                        format!(
                            "security group {name} ({}) exists in VPC {vpc_id} without the tag {}={CLUSTER_TAG_VALUE}",
                            g.group_id().unwrap_or_default(),
                            self.cluster_key
                        ),
                    ))
                }
                None => {
                    let created = self
                        .ec2
                        .create_security_group()
                        .group_name(&name)
                        // No spaces in what we send: moto verifies signatures over the form it re-encodes
                        // (spaces as `+`, where the SDK sent `%20`), and then rejects the request.
                        .description(name.as_str())
                        .vpc_id(vpc_id)
                        .tag_specifications(self.tag_spec(ResourceType::SecurityGroup, &name, &[]))
                        .send()
                        .await
                        .map_err(sdk(&task))?;
                    let group_id = created.group_id().unwrap_or_default().to_string();
                    info!(cluster = %self.id(), security_group = %group_id, "created nodes security group");
                    let described =
                        self.ec2.describe_security_groups().group_ids(&group_id).send().await.map_err(sdk(&task))?;
                    let group = described.security_groups().first().cloned().ok_or_else(|| {
                        InfraError::new(&task, None, format!("security group {group_id} vanished after its creation"))
                    })?;
                    self.complete_tags(&task, &group_id, group.tags(), self.tags(&name, &[])).await?;
                    group
                }
            };
        let group_id = group.group_id().unwrap_or_default().to_string();
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        for rule in NODES_RULES {
            let current = if rule.egress { group.ip_permissions_egress() } else { group.ip_permissions() };
            if !rule.is_in(current, &group_id) {
                if rule.egress { &mut egress } else { &mut ingress }.push(rule.permission(&group_id));
            }
        }
        // One call per rule: a rule added by a run that did not see the answer only fails itself.
        for permission in ingress {
            let sent = self
                .ec2
                .authorize_security_group_ingress()
                .group_id(&group_id)
                .ip_permissions(permission)
                .send()
                .await
                .map_err(sdk(&task));
            tolerate(sent, "InvalidPermission.Duplicate")?;
        }
        for permission in egress {
            let sent = self
                .ec2
                .authorize_security_group_egress()
                .group_id(&group_id)
                .ip_permissions(permission)
                .send()
                .await
                .map_err(sdk(&task));
            tolerate(sent, "InvalidPermission.Duplicate")?;
        }
        Ok(group_id)
    }

    async fn ensure_subnets(&self, vpc_id: &str, index: usize, zone: &aws::Zone) -> Result<ZoneSubnets> {
        let task = self.start(format!("Ensuring subnets in {}", zone.name));
        let id = self.id();
        let mut out = ZoneSubnets::default();
        for (purpose, cidr) in [
            (PURPOSE_NODES, zone.workers.as_deref()),
            (PURPOSE_PUBLIC, zone.public.as_deref()),
            (PURPOSE_INTERNAL, zone.internal.as_deref()),
        ] {
            let Some(cidr) = cidr else { continue };
            let name = Names::subnet(id, purpose, index);
            let role_tag: &[(&str, &str)] = match purpose {
                PURPOSE_PUBLIC => &[(ROLE_ELB_TAG, "1")],
                PURPOSE_INTERNAL => &[(ROLE_INTERNAL_ELB_TAG, "1")],
                _ => &[],
            };
            let found = self.subnets(&task, vec![filter("vpc-id", vpc_id), filter("cidr-block", cidr)]).await?;
            let subnet_id = match found.iter().find(|s| s.vpc_id() == Some(vpc_id) && s.cidr_block() == Some(cidr)) {
                Some(s) if !self.owned(s.tags()) => {
                    return Err(InfraError::configuration(
                        &task,
                        format!(
                            "subnet {} with CIDR {cidr} exists in VPC {vpc_id} and is not managed for this cluster",
                            s.subnet_id().unwrap_or_default()
                        ),
                    ))
                }
                Some(s) if s.availability_zone() != Some(zone.name.as_str()) => {
                    return Err(InfraError::configuration(
                        &task,
                        format!(
                            "subnet {} with CIDR {cidr} is in zone {}, not in {}",
                            s.subnet_id().unwrap_or_default(),
                            s.availability_zone().unwrap_or_default(),
                            zone.name
                        ),
                    ))
                }
                Some(s) => {
                    let subnet_id = s.subnet_id().unwrap_or_default().to_string();
                    // The role tags of subnets created before they were set.
                    let wanted: Vec<Tag> =
                        role_tag.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()).collect();
                    self.complete_tags(&task, &subnet_id, s.tags(), wanted).await?;
                    subnet_id
                }
                None => {
                    let created = self
                        .ec2
                        .create_subnet()
                        .vpc_id(vpc_id)
                        .cidr_block(cidr)
                        .availability_zone(&zone.name)
                        .tag_specifications(self.tag_spec(ResourceType::Subnet, &name, role_tag))
                        .send()
                        .await
                        .map_err(sdk(&task))?;
                    let subnet = created
                        .subnet()
                        .ok_or_else(|| InfraError::new(&task, None, "CreateSubnet returned no subnet"))?;
                    let subnet_id = subnet.subnet_id().unwrap_or_default().to_string();
                    self.complete_tags(&task, &subnet_id, subnet.tags(), self.tags(&name, role_tag)).await?;
                    info!(cluster = %id, subnet = %subnet_id, cidr, zone = %zone.name, purpose, "created subnet");
                    subnet_id
                }
            };
            match purpose {
                PURPOSE_PUBLIC => out.public = Some(subnet_id),
                PURPOSE_INTERNAL => out.internal = Some(subnet_id),
                _ => out.workers = Some(subnet_id),
            }
        }
        Ok(out)
    }

    /// The live (pending or available) owned NAT gateways in `subnet`, oldest first; failed ones are deleted.
    async fn zone_nat_gateways(&self, task: &str, subnet: &str) -> Result<Vec<NatGateway>> {
        let mut filters = self.owned_filters(None);
        filters.push(filter("subnet-id", subnet));
        let mut live = Vec::new();
        for nat in self.nat_gateways(task, filters).await? {
            if !self.owned(nat.tags()) || nat.subnet_id() != Some(subnet) {
                continue;
            }
            match nat.state() {
                Some(NatGatewayState::Pending) | Some(NatGatewayState::Available) => live.push(nat),
                Some(NatGatewayState::Failed) => {
                    let nat_id = nat.nat_gateway_id().unwrap_or_default();
                    warn!(nat_gateway = %nat_id, reason = nat.failure_message().unwrap_or_default(), "deleting failed NAT gateway");
                    let sent = self.ec2.delete_nat_gateway().nat_gateway_id(nat_id).send().await.map_err(sdk(task));
                    tolerate_gone(sent)?;
                }
                _ => {}
            }
        }
        Ok(live)
    }

    /// The allocation ID of the zone's NAT gateway address: the configured one, else the flow's own (the one
    /// the zone's NAT gateway already uses, else the one named for the zone, else a new one).
    async fn ensure_elastic_ip(&self, index: usize, zone: &aws::Zone, public_subnet: &str) -> Result<String> {
        let task = self.start(format!("Ensuring elastic IP in {}", zone.name));
        if let Some(given) = zone.elastic_ip_allocation_id.as_deref() {
            let found = self.ec2.describe_addresses().allocation_ids(given).send().await.map_err(sdk(&task));
            match found {
                Ok(out) if out.addresses().iter().any(|a| a.allocation_id() == Some(given)) => {
                    return Ok(given.to_string())
                }
                Ok(_) => {}
                Err(e) if !e.is_gone() => return Err(e),
                Err(_) => {}
            }
            return Err(InfraError::configuration(
                &task,
                format!("elastic IP {given} (elasticIPAllocationID of zone {}) does not exist", zone.name),
            ));
        }
        let name = Names::elastic_ip(self.id(), index);
        let owned: Vec<Address> = self
            .addresses(&task, self.owned_filters(None))
            .await?
            .into_iter()
            .filter(|a| self.owned(a.tags()))
            .collect();
        let in_use: Vec<String> = self
            .zone_nat_gateways(&task, public_subnet)
            .await?
            .iter()
            .flat_map(|n| n.nat_gateway_addresses().iter().filter_map(|a| a.allocation_id().map(str::to_string)))
            .collect();
        if let Some(a) = owned.iter().find(|a| a.allocation_id().is_some_and(|id| in_use.iter().any(|u| u == id))) {
            return Ok(a.allocation_id().unwrap_or_default().to_string());
        }
        if let Some(a) = owned.iter().find(|a| tag_value(a.tags(), NAME_TAG) == Some(name.as_str())) {
            return Ok(a.allocation_id().unwrap_or_default().to_string());
        }
        let created = self
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(self.tag_spec(ResourceType::ElasticIp, &name, &[]))
            .send()
            .await
            .map_err(sdk(&task))?;
        let allocation = created.allocation_id().unwrap_or_default().to_string();
        let described = self.ec2.describe_addresses().allocation_ids(&allocation).send().await.map_err(sdk(&task))?;
        let tags = described.addresses().first().map(|a| a.tags().to_vec()).unwrap_or_default();
        self.complete_tags(&task, &allocation, &tags, self.tags(&name, &[])).await?;
        info!(cluster = %self.id(), allocation = %allocation, zone = %zone.name, "allocated elastic IP");
        Ok(allocation)
    }

    async fn ensure_nat_gateway(
        &self,
        index: usize,
        zone: &aws::Zone,
        public_subnet: &str,
        allocation: &str,
    ) -> Result<String> {
        let task = self.start(format!("Ensuring NAT gateway in {}", zone.name));
        let name = Names::nat_gateway(self.id(), index);
        let live = self.zone_nat_gateways(&task, public_subnet).await?;
        let uses = |n: &NatGateway| n.nat_gateway_addresses().iter().any(|a| a.allocation_id() == Some(allocation));
        // One NAT gateway with the zone's address stays; one with another address (the zone's
        // elasticIPAllocationID changed) goes, and so would extra ones.
        let mut kept = None;
        for nat in &live {
            let nat_id = nat.nat_gateway_id().unwrap_or_default();
            if kept.is_none() && uses(nat) {
                kept = Some(nat_id.to_string());
                continue;
            }
            info!(nat_gateway = %nat_id, zone = %zone.name, "deleting NAT gateway that is not the zone's");
            let sent = self.ec2.delete_nat_gateway().nat_gateway_id(nat_id).send().await.map_err(sdk(&task));
            tolerate_gone(sent)?;
            self.wait_nat_deleted(&task, nat_id).await?;
        }
        let nat_id = match kept {
            Some(nat_id) => nat_id,
            None => {
                let created = self
                    .ec2
                    .create_nat_gateway()
                    .subnet_id(public_subnet)
                    .allocation_id(allocation)
                    .tag_specifications(self.tag_spec(ResourceType::Natgateway, &name, &[]))
                    .send()
                    .await
                    .map_err(sdk(&task))?;
                let nat = created
                    .nat_gateway()
                    .ok_or_else(|| InfraError::new(&task, None, "CreateNatGateway returned no gateway"))?;
                let nat_id = nat.nat_gateway_id().unwrap_or_default().to_string();
                self.complete_tags(&task, &nat_id, nat.tags(), self.tags(&name, &[])).await?;
                info!(cluster = %self.id(), nat_gateway = %nat_id, zone = %zone.name, "created NAT gateway");
                nat_id
            }
        };
        self.wait_nat_available(&task, &nat_id).await?;
        if zone.elastic_ip_allocation_id.is_some() {
            self.release_unused_zone_address(&task, index).await?;
        }
        Ok(nat_id)
    }

    /// After a switch to a given elastic IP: the flow's former address of the zone, once free, is released.
    async fn release_unused_zone_address(&self, task: &str, index: usize) -> Result<()> {
        let name = Names::elastic_ip(self.id(), index);
        for a in self.addresses(task, self.owned_filters(Some(&name))).await? {
            if self.owned_named(a.tags(), &name) && a.association_id().is_none() {
                let allocation = a.allocation_id().unwrap_or_default();
                info!(allocation = %allocation, "releasing the zone's former elastic IP");
                let sent = self.ec2.release_address().allocation_id(allocation).send().await.map_err(sdk(task));
                tolerate_gone(sent)?;
            }
        }
        Ok(())
    }

    async fn nat_state(&self, task: &str, nat_id: &str) -> Result<Option<NatGateway>> {
        let out = self.ec2.describe_nat_gateways().nat_gateway_ids(nat_id).send().await.map_err(sdk(task));
        match out {
            Ok(out) => Ok(out.nat_gateways().iter().find(|n| n.nat_gateway_id() == Some(nat_id)).cloned()),
            Err(e) if e.is_gone() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn wait_nat_available(&self, task: &str, nat_id: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + NAT_TIMEOUT;
        let mut pause = Duration::from_secs(2);
        loop {
            let nat = self.nat_state(task, nat_id).await?;
            match nat.as_ref().and_then(|n| n.state()) {
                Some(NatGatewayState::Available) => return Ok(()),
                Some(NatGatewayState::Pending) => {}
                state => {
                    let reason = nat.as_ref().and_then(|n| n.failure_message()).unwrap_or("no reason given");
                    return Err(InfraError::new(
                        task,
                        None,
                        format!("NAT gateway {nat_id} is {} instead of available: {reason}", state_name(state)),
                    ));
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(InfraError::new(task, None, format!("NAT gateway {nat_id} is still pending")));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(15));
        }
    }

    async fn wait_nat_deleted(&self, task: &str, nat_id: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + NAT_TIMEOUT;
        let mut pause = Duration::from_secs(2);
        loop {
            match self.nat_state(task, nat_id).await?.as_ref().and_then(|n| n.state()) {
                None | Some(NatGatewayState::Deleted) => return Ok(()),
                _ => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(InfraError::new(task, None, format!("NAT gateway {nat_id} is still being deleted")));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(15));
        }
    }

    async fn ensure_private_route_table(&self, vpc_id: &str, zone: &str, nat: Option<&str>) -> Result<String> {
        let task = self.start(format!("Ensuring private route table in {zone}"));
        let table = self.ensure_route_table(&task, vpc_id, &Names::private_route_table(self.id(), zone)).await?;
        if let Some(nat) = nat {
            self.ensure_default_route(&task, &table, Target::Nat(nat)).await?;
        }
        Ok(table.route_table_id().unwrap_or_default().to_string())
    }

    /// Workers and internal subnets use the zone's private table, the public subnet the public one.
    async fn ensure_associations(
        &self,
        vpc_id: &str,
        zone: &str,
        subnets: &ZoneSubnets,
        private_table: &str,
        public_table: &str,
    ) -> Result<()> {
        let task = self.start(format!("Ensuring route table associations in {zone}"));
        // subnet -> (table, association)
        let mut current: HashMap<String, (String, String)> = HashMap::new();
        for table in self.route_tables(&task, vec![filter("vpc-id", vpc_id)]).await? {
            for a in table.associations() {
                if let (Some(subnet), Some(association)) = (a.subnet_id(), a.route_table_association_id()) {
                    let table_id = a.route_table_id().or(table.route_table_id()).unwrap_or_default();
                    current.insert(subnet.to_string(), (table_id.to_string(), association.to_string()));
                }
            }
        }
        for (subnet, table) in
            [(&subnets.workers, private_table), (&subnets.internal, private_table), (&subnets.public, public_table)]
        {
            let Some(subnet) = subnet else { continue };
            match current.get(subnet) {
                Some((t, _)) if t == table => {}
                Some((_, association)) => {
                    self.ec2
                        .replace_route_table_association()
                        .association_id(association)
                        .route_table_id(table)
                        .send()
                        .await
                        .map_err(sdk(&task))?;
                }
                None => {
                    self.ec2
                        .associate_route_table()
                        .route_table_id(table)
                        .subnet_id(subnet)
                        .send()
                        .await
                        .map_err(sdk(&task))?;
                }
            }
        }
        Ok(())
    }

    fn iam_tags(&self) -> Vec<aws_sdk_iam::types::Tag> {
        [(self.cluster_key.as_str(), CLUSTER_TAG_VALUE)]
            .into_iter()
            .filter_map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().ok())
            .collect()
    }

    async fn ensure_role(&self) -> Result<String> {
        let task = self.start("Ensuring IAM role");
        let name = Names::nodes(self.id());
        let wanted = assume_role_policy();
        match self.iam.get_role().role_name(&name).send().await.map_err(sdk(&task)) {
            Ok(out) => {
                let role = out.role().ok_or_else(|| InfraError::new(&task, None, "GetRole returned no role"))?;
                if role.assume_role_policy_document().and_then(parse_policy).as_ref() != Some(&wanted) {
                    self.iam
                        .update_assume_role_policy()
                        .role_name(&name)
                        .policy_document(wanted.to_string())
                        .send()
                        .await
                        .map_err(sdk(&task))?;
                }
                Ok(role.arn().to_string())
            }
            Err(e) if e.is_gone() => {
                let created = self
                    .iam
                    .create_role()
                    .role_name(&name)
                    .path("/")
                    .description(name.as_str())
                    .assume_role_policy_document(wanted.to_string())
                    .set_tags(Some(self.iam_tags()))
                    .send()
                    .await
                    .map_err(sdk(&task));
                match created {
                    Ok(out) => {
                        let arn = out.role().map(|r| r.arn().to_string()).unwrap_or_default();
                        info!(cluster = %self.id(), role = %name, "created IAM role");
                        Ok(arn)
                    }
                    // Created meanwhile (a run that did not see the answer).
                    Err(e) if e.code() == "EntityAlreadyExists" => {
                        let out = self.iam.get_role().role_name(&name).send().await.map_err(sdk(&task))?;
                        Ok(out.role().map(|r| r.arn().to_string()).unwrap_or_default())
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn ensure_instance_profile(&self) -> Result<String> {
        let task = self.start("Ensuring IAM instance profile");
        let name = Names::nodes(self.id());
        let roles: Vec<String> =
            match self.iam.get_instance_profile().instance_profile_name(&name).send().await.map_err(sdk(&task)) {
                Ok(out) => out
                    .instance_profile()
                    .map(|p| p.roles().iter().map(|r| r.role_name().to_string()).collect())
                    .unwrap_or_default(),
                Err(e) if e.is_gone() => {
                    let created = self
                        .iam
                        .create_instance_profile()
                        .instance_profile_name(&name)
                        .path("/")
                        .set_tags(Some(self.iam_tags()))
                        .send()
                        .await
                        .map_err(sdk(&task));
                    tolerate(created, "EntityAlreadyExists")?;
                    info!(cluster = %self.id(), instance_profile = %name, "created IAM instance profile");
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
        if roles.contains(&name) {
            return Ok(name);
        }
        // A profile holds one role.
        for other in &roles {
            let sent = self
                .iam
                .remove_role_from_instance_profile()
                .instance_profile_name(&name)
                .role_name(other)
                .send()
                .await
                .map_err(sdk(&task));
            tolerate_gone(sent)?;
        }
        let added = self
            .iam
            .add_role_to_instance_profile()
            .instance_profile_name(&name)
            .role_name(&name)
            .send()
            .await
            .map_err(sdk(&task));
        // LimitExceeded: the role was added by a run that did not see the answer (the profile is full).
        match added {
            Err(e) if e.code() == "LimitExceeded" => {
                let out =
                    self.iam.get_instance_profile().instance_profile_name(&name).send().await.map_err(sdk(&task))?;
                if !out.instance_profile().is_some_and(|p| p.roles().iter().any(|r| r.role_name() == name)) {
                    return Err(e);
                }
            }
            other => {
                other?;
            }
        }
        Ok(name)
    }

    async fn ensure_role_policy(&self) -> Result<()> {
        let task = self.start("Ensuring IAM role policy");
        let name = Names::nodes(self.id());
        let wanted = nodes_policy(self.req.config.enable_ecr_access != Some(false));
        let current = self.iam.get_role_policy().role_name(&name).policy_name(&name).send().await.map_err(sdk(&task));
        let up_to_date = match current {
            Ok(out) => parse_policy(out.policy_document()).as_ref() == Some(&wanted),
            Err(e) if e.is_gone() => false,
            Err(e) => return Err(e),
        };
        if !up_to_date {
            self.iam
                .put_role_policy()
                .role_name(&name)
                .policy_name(&name)
                .policy_document(wanted.to_string())
                .send()
                .await
                .map_err(sdk(&task))?;
        }
        Ok(())
    }

    /// The key pair holding the shoot's SSH key (replaced when the key changed), or `""` without a key (a key
    /// pair left from before is then deleted).
    async fn ensure_key_pair(&self) -> Result<String> {
        let task = self.start("Ensuring key pair");
        let name = Names::key_pair(self.id());
        let current = self.key_pair(&task, &name).await?;
        let Some(key) = self.req.ssh_public_key.map(str::trim).filter(|k| !k.is_empty()) else {
            if current.as_ref().is_some_and(|k| self.owned(k.tags())) {
                self.delete_key_pair(&task, &name).await?;
            }
            return Ok(String::new());
        };
        if let Some(current) = current {
            let same = match (current.public_key(), ssh_key_body(key)) {
                (Some(theirs), Some(ours)) => ssh_key_body(theirs) == Some(ours),
                // Without the material, the key pair cannot be compared: it stays.
                (None, _) => true,
                (Some(_), None) => false,
            };
            if same {
                let wanted = self.tags(&name, &[]);
                self.complete_tags(&task, current.key_pair_id().unwrap_or(&name), current.tags(), wanted).await?;
                return Ok(name);
            }
            info!(cluster = %self.id(), key_pair = %name, "the SSH key changed: importing it again");
            self.delete_key_pair(&task, &name).await?;
        }
        let imported = self
            .ec2
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(key.as_bytes()))
            .tag_specifications(self.tag_spec(ResourceType::KeyPair, &name, &[]))
            .send()
            .await
            .map_err(sdk(&task));
        tolerate(imported, "InvalidKeyPair.Duplicate")?;
        Ok(name)
    }

    async fn key_pair(&self, task: &str, name: &str) -> Result<Option<aws_sdk_ec2::types::KeyPairInfo>> {
        let out =
            self.ec2.describe_key_pairs().key_names(name).include_public_key(true).send().await.map_err(sdk(task));
        match out {
            Ok(out) => Ok(out.key_pairs().iter().find(|k| k.key_name() == Some(name)).cloned()),
            Err(e) if e.is_gone() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete_key_pair(&self, task: &str, name: &str) -> Result<()> {
        let sent = self.ec2.delete_key_pair().key_name(name).send().await.map_err(sdk(task));
        tolerate_gone(sent)
    }

    // ---- delete ----

    async fn delete(&self) -> Result<()> {
        let id = self.id();
        let given_vpc = self.req.config.networks.vpc.id.as_deref();
        let given_addresses: Vec<&str> =
            self.req.config.networks.zones.iter().filter_map(|z| z.elastic_ip_allocation_id.as_deref()).collect();

        let task = self.start("Deleting key pair");
        let name = Names::key_pair(id);
        if self.key_pair(&task, &name).await?.is_some_and(|k| self.owned(k.tags())) {
            self.delete_key_pair(&task, &name).await?;
        }

        self.delete_iam().await?;

        let task = self.start("Deleting NAT gateways");
        let nats: Vec<NatGateway> = self
            .nat_gateways(&task, self.owned_filters(None))
            .await?
            .into_iter()
            .filter(|n| self.owned(n.tags()))
            .filter(|n| !matches!(n.state(), Some(NatGatewayState::Deleted)))
            .collect();
        for nat in &nats {
            let nat_id = nat.nat_gateway_id().unwrap_or_default();
            if !matches!(nat.state(), Some(NatGatewayState::Deleting)) {
                let sent = self.ec2.delete_nat_gateway().nat_gateway_id(nat_id).send().await.map_err(sdk(&task));
                tolerate_gone(sent)?;
                info!(cluster = %id, nat_gateway = %nat_id, "deleting NAT gateway");
            }
        }
        for nat in &nats {
            self.wait_nat_deleted(&task, nat.nat_gateway_id().unwrap_or_default()).await?;
        }

        let task = self.start("Releasing elastic IPs");
        for a in self.addresses(&task, self.owned_filters(None)).await? {
            let allocation = a.allocation_id().unwrap_or_default();
            if !self.owned(a.tags()) || given_addresses.contains(&allocation) {
                continue;
            }
            let sent = self.ec2.release_address().allocation_id(allocation).send().await.map_err(sdk(&task));
            tolerate_gone(sent)?;
            info!(cluster = %id, allocation = %allocation, "released elastic IP");
        }

        let task = self.start("Deleting route tables");
        for table in self.route_tables(&task, self.owned_filters(None)).await? {
            if !self.owned(table.tags()) {
                continue;
            }
            let table_id = table.route_table_id().unwrap_or_default();
            for a in table.associations() {
                if a.main() == Some(true) {
                    continue;
                }
                if let Some(association) = a.route_table_association_id() {
                    let sent = self
                        .ec2
                        .disassociate_route_table()
                        .association_id(association)
                        .send()
                        .await
                        .map_err(sdk(&task));
                    tolerate_gone(sent)?;
                }
            }
            let sent = self.ec2.delete_route_table().route_table_id(table_id).send().await.map_err(sdk(&task));
            tolerate_gone(sent)?;
            info!(cluster = %id, route_table = %table_id, "deleted route table");
        }

        let task = self.start("Deleting subnets");
        for subnet in self.subnets(&task, self.owned_filters(None)).await? {
            if !self.owned(subnet.tags()) {
                continue;
            }
            let subnet_id = subnet.subnet_id().unwrap_or_default();
            retry_dependency(|| async {
                tolerate_gone(self.ec2.delete_subnet().subnet_id(subnet_id).send().await.map_err(sdk(&task)))
            })
            .await?;
            info!(cluster = %id, subnet = %subnet_id, "deleted subnet");
        }

        let task = self.start("Deleting nodes security group");
        for group in self.security_groups(&task, self.owned_filters(None)).await? {
            if !self.owned(group.tags()) || group.group_name() == Some("default") {
                continue;
            }
            let group_id = group.group_id().unwrap_or_default();
            retry_dependency(|| async {
                tolerate_gone(self.ec2.delete_security_group().group_id(group_id).send().await.map_err(sdk(&task)))
            })
            .await?;
            info!(cluster = %id, security_group = %group_id, "deleted security group");
        }

        let task = self.start("Deleting internet gateway");
        for gateway in self.internet_gateways(&task, self.owned_filters(None)).await? {
            if !self.owned(gateway.tags()) {
                continue;
            }
            let gateway_id = gateway.internet_gateway_id().unwrap_or_default();
            for vpc_id in gateway.attachments().iter().filter_map(|a| a.vpc_id()) {
                retry_dependency(|| async {
                    let sent = self
                        .ec2
                        .detach_internet_gateway()
                        .internet_gateway_id(gateway_id)
                        .vpc_id(vpc_id)
                        .send()
                        .await
                        .map_err(sdk(&task));
                    match sent {
                        Err(e) if e.code() == "Gateway.NotAttached" => Ok(()),
                        other => tolerate_gone(other),
                    }
                })
                .await?;
            }
            let sent =
                self.ec2.delete_internet_gateway().internet_gateway_id(gateway_id).send().await.map_err(sdk(&task));
            tolerate_gone(sent)?;
            info!(cluster = %id, internet_gateway = %gateway_id, "deleted internet gateway");
        }

        let task = self.start("Deleting VPC");
        for vpc in self.vpcs(&task, self.owned_filters(None)).await? {
            let vpc_id = vpc.vpc_id().unwrap_or_default();
            if !self.owned(vpc.tags()) || Some(vpc_id) == given_vpc {
                continue;
            }
            retry_dependency(|| async {
                tolerate_gone(self.ec2.delete_vpc().vpc_id(vpc_id).send().await.map_err(sdk(&task)))
            })
            .await?;
            info!(cluster = %id, vpc = %vpc_id, "deleted VPC");
        }

        // After the VPC: options still associated with a VPC cannot go.
        let task = self.start("Deleting DHCP options");
        for options in self.dhcp_options(&task, self.owned_filters(None)).await? {
            if !self.owned(options.tags()) {
                continue;
            }
            let options_id = options.dhcp_options_id().unwrap_or_default();
            retry_dependency(|| async {
                tolerate_gone(
                    self.ec2.delete_dhcp_options().dhcp_options_id(options_id).send().await.map_err(sdk(&task)),
                )
            })
            .await?;
            info!(cluster = %id, dhcp_options = %options_id, "deleted DHCP options");
        }
        Ok(())
    }

    async fn delete_iam(&self) -> Result<()> {
        let name = Names::nodes(self.id());
        let task = self.start("Deleting IAM instance profile");
        match self.iam.get_instance_profile().instance_profile_name(&name).send().await.map_err(sdk(&task)) {
            Ok(out) => {
                let roles: Vec<String> = out
                    .instance_profile()
                    .map(|p| p.roles().iter().map(|r| r.role_name().to_string()).collect())
                    .unwrap_or_default();
                for role in roles {
                    let sent = self
                        .iam
                        .remove_role_from_instance_profile()
                        .instance_profile_name(&name)
                        .role_name(&role)
                        .send()
                        .await
                        .map_err(sdk(&task));
                    tolerate_gone(sent)?;
                }
                let sent =
                    self.iam.delete_instance_profile().instance_profile_name(&name).send().await.map_err(sdk(&task));
                tolerate_gone(sent)?;
            }
            Err(e) if e.is_gone() => {}
            Err(e) => return Err(e),
        }

        let task = self.start("Deleting IAM role");
        let sent = self.iam.delete_role_policy().role_name(&name).policy_name(&name).send().await.map_err(sdk(&task));
        tolerate_gone(sent)?;
        let sent = self.iam.delete_role().role_name(&name).send().await.map_err(sdk(&task));
        tolerate_gone(sent)
    }
}

fn state_name(state: Option<&NatGatewayState>) -> &str {
    state.map(|s| s.as_str()).unwrap_or("gone")
}

#[derive(Clone, Copy)]
enum Target<'t> {
    Gateway(&'t str),
    Nat(&'t str),
}

#[derive(Default)]
struct ZoneSubnets {
    workers: Option<String>,
    public: Option<String>,
    internal: Option<String>,
}

/// `result`, with the error of AWS code `code` counting as success.
fn tolerate<T>(result: Result<T>, code: &str) -> Result<()> {
    match result {
        Err(e) if e.code() != code => Err(e),
        _ => Ok(()),
    }
}

/// `result`, with "does not exist" counting as success.
fn tolerate_gone<T>(result: Result<T>) -> Result<()> {
    match result {
        Err(e) if !e.is_gone() => Err(e),
        _ => Ok(()),
    }
}

/// Runs `op` again while it fails with `DependencyViolation`, a few times with a growing pause.
async fn retry_dependency<F, Fut>(mut op: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut pause = DEPENDENCY_BACKOFF;
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if e.code() == "DependencyViolation" && attempt < DEPENDENCY_ATTEMPTS => {
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str) -> InfraError {
        InfraError { task: "t".into(), aws_code: Some(code.into()), message: "m".into(), gardener: None }
    }

    #[test]
    fn aws_codes_map_to_gardener_codes() {
        for (aws, code) in [
            ("AuthFailure", Some(ERR_INFRA_UNAUTHENTICATED)),
            ("InvalidClientTokenId", Some(ERR_INFRA_UNAUTHENTICATED)),
            ("SignatureDoesNotMatch", Some(ERR_INFRA_UNAUTHENTICATED)),
            ("UnauthorizedOperation", Some(ERR_INFRA_UNAUTHORIZED)),
            ("AccessDenied", Some(ERR_INFRA_UNAUTHORIZED)),
            ("VpcLimitExceeded", Some(ERR_INFRA_QUOTA_EXCEEDED)),
            ("AddressLimitExceeded", Some(ERR_INFRA_QUOTA_EXCEEDED)),
            ("NatGatewayLimitExceeded", Some(ERR_INFRA_QUOTA_EXCEEDED)),
            ("LimitExceeded", Some(ERR_INFRA_QUOTA_EXCEEDED)),
            ("RequestLimitExceeded", Some(ERR_INFRA_RATE_LIMITS_EXCEEDED)),
            ("Throttling", Some(ERR_INFRA_RATE_LIMITS_EXCEEDED)),
            ("DependencyViolation", Some(ERR_INFRA_DEPENDENCIES)),
            ("DeleteConflict", Some(ERR_INFRA_DEPENDENCIES)),
            ("OptInRequired", Some(ERR_INFRA_DEPENDENCIES)),
            ("InvalidParameterValue", Some(ERR_CONFIGURATION_PROBLEM)),
            ("InvalidSubnet.Conflict", Some(ERR_CONFIGURATION_PROBLEM)),
            ("InvalidSubnet.Range", Some(ERR_CONFIGURATION_PROBLEM)),
            ("InvalidKeyPair.Format", Some(ERR_CONFIGURATION_PROBLEM)),
            ("InvalidAllocationID.NotFound", Some(ERR_CONFIGURATION_PROBLEM)),
            // Retried as is: may be a race, not the shoot owner's to fix.
            ("InvalidVpcID.NotFound", None),
            ("InternalError", None),
            ("SomethingNew", None),
        ] {
            assert_eq!(error(aws).gardener_code(), code, "{aws}");
        }
    }

    #[test]
    fn flow_decided_codes_win_and_unreachable_aws_has_none() {
        let given = InfraError::configuration("Checking VPC vpc-1", "VPC vpc-1 does not exist");
        assert_eq!(given.gardener_code(), Some(ERR_CONFIGURATION_PROBLEM));
        let mut given_with_aws = error("InvalidVpcID.NotFound");
        given_with_aws.gardener = Some(ERR_CONFIGURATION_PROBLEM);
        assert_eq!(given_with_aws.gardener_code(), Some(ERR_CONFIGURATION_PROBLEM));
        assert_eq!(InfraError::new("t", None, "AWS cannot be reached").gardener_code(), None);
        assert_eq!(error("x").to_string(), "t: m");
    }

    #[test]
    fn gone_codes() {
        for code in ["InvalidVpcID.NotFound", "NoSuchEntity", "NatGatewayNotFound", "InvalidKeyPair.NotFound"] {
            assert!(error(code).is_gone(), "{code}");
        }
        assert!(!error("DependencyViolation").is_gone());
    }

    #[test]
    fn names_and_dhcp_domain() {
        let id = "shoot--dev--aws";
        assert_eq!(Names::subnet(id, PURPOSE_NODES, 0), "shoot--dev--aws-nodes-z0");
        assert_eq!(Names::subnet(id, PURPOSE_PUBLIC, 1), "shoot--dev--aws-public-utility-z1");
        assert_eq!(Names::subnet(id, PURPOSE_INTERNAL, 2), "shoot--dev--aws-private-utility-z2");
        assert_eq!(Names::nat_gateway(id, 0), "shoot--dev--aws-natgw-z0");
        assert_eq!(Names::elastic_ip(id, 0), "shoot--dev--aws-eip-natgw-z0");
        assert_eq!(Names::private_route_table(id, "eu-west-1a"), "shoot--dev--aws-private-eu-west-1a");
        assert_eq!(Names::key_pair(id), "shoot--dev--aws-ssh-publickey");
        assert_eq!(dhcp_domain_name("us-east-1"), "ec2.internal");
        assert_eq!(dhcp_domain_name("eu-west-1"), "eu-west-1.compute.internal");
    }

    #[test]
    fn policies_compare_whatever_their_encoding() {
        let policy = nodes_policy(true);
        let encoded = policy.to_string().replace('{', "%7B").replace('}', "%7D").replace('"', "%22");
        assert_eq!(parse_policy(&encoded), Some(policy.clone()));
        assert_eq!(parse_policy(&policy.to_string()), Some(policy));
        assert_eq!(nodes_policy(false)["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(parse_policy("%ZZ"), None);
    }

    #[test]
    fn ssh_keys_compare_without_comments() {
        assert_eq!(ssh_key_body("ssh-ed25519 AAAAC3 me@host\n"), Some(("ssh-ed25519", "AAAAC3")));
        assert_eq!(ssh_key_body("ssh-ed25519 AAAAC3"), ssh_key_body("ssh-ed25519  AAAAC3 other"));
        assert_eq!(ssh_key_body("garbage"), None);
    }

    #[test]
    fn security_group_rules_are_found_in_any_spelling() {
        let perms = vec![
            IpPermission::builder()
                .ip_protocol("6")
                .from_port(30000)
                .to_port(32767)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .ip_ranges(IpRange::builder().cidr_ip(ALL_IPV4).build())
                .build(),
            IpPermission::builder()
                .ip_protocol("-1")
                .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-1").build())
                .build(),
        ];
        assert!(NODES_RULES[0].is_in(&perms, "sg-1"));
        assert!(!NODES_RULES[0].is_in(&perms, "sg-2"));
        assert!(NODES_RULES[1].is_in(&perms, "sg-1"));
        assert!(!NODES_RULES[2].is_in(&perms, "sg-1"));
        assert!(!NODES_RULES[3].is_in(&[], "sg-1"));
    }
}
