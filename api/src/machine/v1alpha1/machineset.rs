//! `MachineSet`: keeps a number of identical machines running.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ClassSpec, LastOperation, MachineSummary, MachineTemplateSpec};
use crate::macros::impl_resource;

/// A number of identical machines.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineSet {
    /// `machine.sapcloud.io/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `MachineSet`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: MachineSetSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MachineSetStatus>,
}

impl_resource!(
    MachineSet,
    "machine.sapcloud.io",
    "v1alpha1",
    "MachineSet",
    super::MACHINE_SETS,
    k8s_openapi::NamespaceResourceScope
);

/// Desired state of a machine set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineSetSpec {
    /// Number of desired machines.
    #[serde(default)]
    pub replicas: i32,
    /// Label selector for the machines; must match the template's labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// The machine class (MCM keeps it beside `template.spec.class`).
    #[serde(default)]
    pub machine_class: ClassSpec,
    /// The machines that will be created.
    #[serde(default)]
    pub template: MachineTemplateSpec,
    /// Seconds a new machine must be ready before it counts as available.
    #[serde(default)]
    pub min_ready_seconds: i32,
}

/// Observed state of a machine set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineSetStatus {
    /// Number of actual machines.
    #[serde(default)]
    pub replicas: i32,
    /// Machines whose labels match the template's labels.
    #[serde(default)]
    pub fully_labeled_replicas: i32,
    /// Ready machines.
    #[serde(default)]
    pub ready_replicas: i32,
    /// Machines ready for at least `minReadySeconds`.
    #[serde(default)]
    pub available_replicas: i32,
    /// The most recent generation observed by the controller.
    #[serde(default)]
    pub observed_generation: i64,
    /// Latest observations of the set's state (MCM's JSON name `machineSetCondition`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_set_condition: Vec<MachineSetCondition>,
    /// The last operation performed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// Machines whose last operation failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_machines: Vec<MachineSummary>,
}

/// The state of a machine set at a certain point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineSetCondition {
    /// Condition type: `ReplicaFailure`, `Frozen`.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default)]
    pub status: String,
    /// Last time the condition changed status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// Reason of the last transition.
    #[serde(default)]
    pub reason: String,
    /// Human-readable details of the last transition.
    #[serde(default)]
    pub message: String,
}
