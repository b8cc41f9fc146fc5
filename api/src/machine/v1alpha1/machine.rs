//! `Machine`: one physical or virtual machine, plus the types the other kinds share with it
//! (`MachineSpec`, `MachineTemplateSpec`, `LastOperation`, `MachineSummary`).

use k8s_openapi::api::core::v1::{NodeCondition, NodeSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::macros::impl_resource;

/// A physical or virtual machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    /// `machine.sapcloud.io/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `Machine`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: MachineSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MachineStatus>,
}

impl_resource!(
    Machine,
    "machine.sapcloud.io",
    "v1alpha1",
    "Machine",
    super::MACHINES,
    k8s_openapi::NamespaceResourceScope
);

/// The specification of a machine.
///
/// Deserialized through a private struct with all fields at one level rather than with `#[serde(flatten)]`,
/// which would hide unknown fields from the API server's unknown-field detection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineSpec {
    /// The machine class the machine is created from.
    #[serde(default)]
    pub class: ClassSpec,
    /// The provider's unique id of the machine.
    #[serde(rename = "providerID", default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The data the node should have when it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<NodeTemplateSpec>,
    /// Timeouts and other settings of the machine controller (inlined, as in MCM).
    #[serde(flatten, default)]
    pub machine_configuration: MachineConfiguration,
}

/// The wire form of `MachineSpec`: the inlined `MachineConfiguration` fields beside the others.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MachineSpecFields {
    #[serde(default)]
    class: ClassSpec,
    #[serde(rename = "providerID", default)]
    provider_id: Option<String>,
    #[serde(default)]
    node_template: Option<NodeTemplateSpec>,
    #[serde(default)]
    drain_timeout: Option<String>,
    #[serde(default)]
    health_timeout: Option<String>,
    #[serde(default)]
    creation_timeout: Option<String>,
    #[serde(default)]
    max_evict_retries: Option<i32>,
    #[serde(default)]
    node_conditions: Option<String>,
}

impl<'de> Deserialize<'de> for MachineSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = MachineSpecFields::deserialize(d)?;
        Ok(MachineSpec {
            class: f.class,
            provider_id: f.provider_id,
            node_template: f.node_template,
            machine_configuration: MachineConfiguration {
                drain_timeout: f.drain_timeout,
                health_timeout: f.health_timeout,
                creation_timeout: f.creation_timeout,
                max_evict_retries: f.max_evict_retries,
                node_conditions: f.node_conditions,
            },
        })
    }
}

/// Reference to a machine class.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassSpec {
    /// API group of the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    /// Kind of the class, `MachineClass`.
    #[serde(default)]
    pub kind: String,
    /// Name of the class in the machine's namespace.
    #[serde(default)]
    pub name: String,
}

/// The data a node should have when created from a template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeTemplateSpec {
    /// Labels, annotations and other metadata of the node.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Attributes the node is created with (taints, podCIDR, ...).
    #[serde(default)]
    pub spec: NodeSpec,
}

/// Settings of the machine controller for one machine. Durations are Go duration strings such as `10m`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineConfiguration {
    /// Time after which the machine is deleted even if draining its node has not finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_timeout: Option<String>,
    /// Time after which an unhealthy machine is declared failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_timeout: Option<String>,
    /// Time after which a machine whose node has not joined is declared failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timeout: Option<String>,
    /// Number of eviction retries while draining the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_evict_retries: Option<i32>,
    /// Comma-separated node condition types that, when true for `healthTimeout`, fail the machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_conditions: Option<String>,
}

/// The data a machine should have when created from a template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineTemplateSpec {
    /// Metadata of the machines (labels must match the selector).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Specification of the machines.
    #[serde(default)]
    pub spec: MachineSpec,
}

/// The most recently observed state of a machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineStatus {
    /// Conditions of the machine, the same as its node's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<NodeCondition>,
    /// The last operation performed on the machine.
    #[serde(default)]
    pub last_operation: LastOperation,
    /// The current status of the machine.
    #[serde(default)]
    pub current_status: CurrentStatus,
    /// Last known state of the VM, stored by the driver for later calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_known_state: Option<String>,
}

/// The last operation performed on an object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastOperation {
    /// Description of the operation.
    #[serde(default)]
    pub description: String,
    /// Error code of the operation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Last update time of the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    /// State of the operation: `Processing`, `Failed` or `Successful` (see [`super::state`]).
    #[serde(default)]
    pub state: String,
    /// Type of the operation: `Create`, `Delete`, `HealthCheck`, ... (see [`super::operation`]).
    #[serde(rename = "type", default)]
    pub type_: String,
}

/// The current status of a machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrentStatus {
    /// Phase of the machine: `Pending`, `Running`, `Failed`, ... (see [`super::phase`]).
    #[serde(default)]
    pub phase: String,
    /// Whether a timeout (creation or health) is running for the machine.
    #[serde(default)]
    pub timeout_active: bool,
    /// Last update time of the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
}

/// Summary of a machine, used for failed machines in the status of sets and deployments.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineSummary {
    /// Name of the machine.
    #[serde(default)]
    pub name: String,
    /// The provider's unique id of the machine.
    #[serde(rename = "providerID", default)]
    pub provider_id: String,
    /// The last operation performed on the machine.
    #[serde(default)]
    pub last_operation: LastOperation,
    /// Name of the owner of the machine.
    #[serde(default)]
    pub owner_ref: String,
}
