//! `machine.sapcloud.io/v1alpha1` kinds: `MachineClass`, `MachineDeployment`, `MachineSet`, `Machine`.
//!
//! Field names, JSON names and enum values follow gardener/machine-controller-manager's
//! `pkg/apis/machine/v1alpha1`; enums are plain strings as MCM's CRDs accept any string.

pub mod machine;
pub mod machineclass;
pub mod machinedeployment;
pub mod machineset;
pub mod validation;

pub use machine::*;
pub use machineclass::*;
pub use machinedeployment::*;
pub use machineset::*;

/// API group of this version.
pub const GROUP: &str = "machine.sapcloud.io";
/// Version of this API.
pub const VERSION: &str = "v1alpha1";
/// `group/version`.
pub const API_VERSION: &str = "machine.sapcloud.io/v1alpha1";

/// Plural resource name of MachineClasses.
pub const MACHINE_CLASSES: &str = "machineclasses";
/// Plural resource name of MachineDeployments.
pub const MACHINE_DEPLOYMENTS: &str = "machinedeployments";
/// Plural resource name of MachineSets.
pub const MACHINE_SETS: &str = "machinesets";
/// Plural resource name of Machines.
pub const MACHINES: &str = "machines";

/// Kind of MachineClass, the value of `spec.class.kind` that references one.
pub const MACHINE_CLASS_KIND: &str = "MachineClass";

/// Annotation on a Machine: the lower the priority, the earlier the machine is removed on scale-down (default "3").
pub const MACHINE_PRIORITY_ANNOTATION: &str = "machinepriority.machine.sapcloud.io";
/// Label on a Machine naming the Node that backs it.
pub const NODE_LABEL_KEY: &str = "node";
/// Label a MachineDeployment adds to its MachineSets and Machines to tell template revisions apart.
pub const DEFAULT_MACHINE_DEPLOYMENT_UNIQUE_LABEL_KEY: &str = "machine-template-hash";

/// `MachineDeploymentStrategyType` values.
pub mod strategy {
    /// All existing machines are removed before new ones are created.
    pub const RECREATE: &str = "Recreate";
    /// Old machine sets are scaled down gradually while the new one is scaled up.
    pub const ROLLING_UPDATE: &str = "RollingUpdate";
}

/// `MachinePhase` values (`status.currentStatus.phase`).
pub mod phase {
    /// The machine is being created.
    pub const PENDING: &str = "Pending";
    /// The machine exists at the provider but has not joined the cluster yet.
    pub const AVAILABLE: &str = "Available";
    /// The node is ready and running.
    pub const RUNNING: &str = "Running";
    /// The machine is being terminated.
    pub const TERMINATING: &str = "Terminating";
    /// The node is not ready at the moment.
    pub const UNKNOWN: &str = "Unknown";
    /// An operation timed out.
    pub const FAILED: &str = "Failed";
    /// Machine creation keeps failing: the object exists but no VM backs it.
    pub const CRASH_LOOP_BACK_OFF: &str = "CrashLoopBackOff";
}

/// `MachineState` values (`lastOperation.state`).
pub mod state {
    /// The operation is not complete yet.
    pub const PROCESSING: &str = "Processing";
    /// The operation failed.
    pub const FAILED: &str = "Failed";
    /// The operation completed successfully.
    pub const SUCCESSFUL: &str = "Successful";
}

/// `MachineOperationType` values (`lastOperation.type`).
pub mod operation {
    /// A create.
    pub const CREATE: &str = "Create";
    /// An update.
    pub const UPDATE: &str = "Update";
    /// An in-place update.
    pub const IN_PLACE_UPDATE: &str = "InPlaceUpdate";
    /// Draining the node.
    pub const DRAIN_NODE: &str = "DrainNode";
    /// A health check of the node.
    pub const HEALTH_CHECK: &str = "HealthCheck";
    /// A delete.
    pub const DELETE: &str = "Delete";
}

/// Condition statuses.
pub mod condition_status {
    /// The resource is in the condition.
    pub const TRUE: &str = "True";
    /// The resource is not in the condition.
    pub const FALSE: &str = "False";
    /// It cannot be decided.
    pub const UNKNOWN: &str = "Unknown";
}

/// `MachineDeploymentConditionType` values.
pub mod deployment_condition {
    /// At least the minimum available replicas are up for at least minReadySeconds.
    pub const AVAILABLE: &str = "Available";
    /// A new machine set is created or adopted, or machines are scaled.
    pub const PROGRESSING: &str = "Progressing";
    /// A machine failed to be created or deleted.
    pub const REPLICA_FAILURE: &str = "ReplicaFailure";
    /// A machine set of the deployment is frozen.
    pub const FROZEN: &str = "Frozen";
}

/// `MachineSetConditionType` values.
pub mod set_condition {
    /// A machine failed to be created or deleted.
    pub const REPLICA_FAILURE: &str = "ReplicaFailure";
    /// The machine set exceeded its replica threshold at the safety controller.
    pub const FROZEN: &str = "Frozen";
}
