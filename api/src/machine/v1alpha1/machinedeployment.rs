//! `MachineDeployment`: declarative updates for machines and machine sets.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{MachineSummary, MachineTemplateSpec};
use crate::macros::impl_resource;

/// Declarative updates for machines and machine sets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineDeployment {
    /// `machine.sapcloud.io/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `MachineDeployment`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired behaviour.
    #[serde(default)]
    pub spec: MachineDeploymentSpec,
    /// Most recently observed status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MachineDeploymentStatus>,
}

impl_resource!(
    MachineDeployment,
    "machine.sapcloud.io",
    "v1alpha1",
    "MachineDeployment",
    super::MACHINE_DEPLOYMENTS,
    k8s_openapi::NamespaceResourceScope
);

/// Desired behaviour of a machine deployment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineDeploymentSpec {
    /// Number of desired machines (default 0).
    #[serde(default)]
    pub replicas: i32,
    /// Label selector for the machines; must match the template's labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// The machines that will be created.
    #[serde(default)]
    pub template: MachineTemplateSpec,
    /// How existing machines are replaced with new ones.
    #[serde(default)]
    pub strategy: MachineDeploymentStrategy,
    /// Seconds a new machine must be ready before it counts as available (default 0).
    #[serde(default)]
    pub min_ready_seconds: i32,
    /// Number of old machine sets kept for rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
    /// A paused deployment is not processed by the controller.
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
    /// Deprecated: the revision the deployment is rolling back to, cleared when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_to: Option<RollbackConfig>,
    /// Seconds the deployment may take to make progress before it is reported as failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<i32>,
}

/// How existing machines are replaced with new ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineDeploymentStrategy {
    /// `Recreate` or `RollingUpdate` (the default), see [`super::strategy`].
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Parameters of a rolling update; only with type `RollingUpdate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_update: Option<RollingUpdateMachineDeployment>,
}

/// Parameters of a rolling update.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdateMachineDeployment {
    /// Machines that may be scheduled above the desired number: a count or a percentage (rounded up).
    /// May not be 0 when `maxUnavailable` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
    /// Machines that may be unavailable during the update: a count or a percentage (rounded down).
    /// May not be 0 when `maxSurge` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
}

/// The revision to roll back to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackConfig {
    /// The revision; 0 means the last one.
    #[serde(default)]
    pub revision: i64,
}

/// Most recently observed status of a machine deployment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineDeploymentStatus {
    /// The generation observed by the controller.
    #[serde(default)]
    pub observed_generation: i64,
    /// Non-terminated machines targeted by the deployment.
    #[serde(default)]
    pub replicas: i32,
    /// Non-terminated machines that have the desired template.
    #[serde(default)]
    pub updated_replicas: i32,
    /// Ready machines.
    #[serde(default)]
    pub ready_replicas: i32,
    /// Machines ready for at least `minReadySeconds`.
    #[serde(default)]
    pub available_replicas: i32,
    /// Machines still missing for 100% available capacity.
    #[serde(default)]
    pub unavailable_replicas: i32,
    /// Latest observations of the deployment's state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<MachineDeploymentCondition>,
    /// Hash collisions seen when naming the newest machine set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collision_count: Option<i32>,
    /// Machines whose last operation failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_machines: Vec<MachineSummary>,
}

/// The state of a machine deployment at a certain point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineDeploymentCondition {
    /// Condition type: `Available`, `Progressing`, `ReplicaFailure`, `Frozen`.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default)]
    pub status: String,
    /// Last time the condition was updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
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

fn is_false(b: &bool) -> bool {
    !*b
}

/// Default rolling update surge when a `RollingUpdate` deployment gives none (Gardener's worker pool default).
pub const DEFAULT_MAX_SURGE: i32 = 1;
/// Default rolling update unavailability when a `RollingUpdate` deployment gives none.
pub const DEFAULT_MAX_UNAVAILABLE: i32 = 0;

/// Static defaults of a MachineDeployment, applied by the API server on every write. MCM's CRDs default
/// nothing, but its controller needs a strategy type and, for `RollingUpdate`, both parameters: an absent
/// `strategy.type` becomes `RollingUpdate`, and a missing `maxSurge` / `maxUnavailable` of a rolling update
/// becomes 1 / 0. `revisionHistoryLimit` and `progressDeadlineSeconds` stay unset as in MCM (keep all old
/// machine sets, no deadline).
pub fn default_machine_deployment(d: &mut MachineDeployment) {
    let s = &mut d.spec.strategy;
    let kind = s.type_.get_or_insert_with(|| super::strategy::ROLLING_UPDATE.to_string());
    if kind == super::strategy::ROLLING_UPDATE {
        let ru = s.rolling_update.get_or_insert_with(Default::default);
        ru.max_surge.get_or_insert(IntOrString::Int(DEFAULT_MAX_SURGE));
        ru.max_unavailable.get_or_insert(IntOrString::Int(DEFAULT_MAX_UNAVAILABLE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategy_defaults_to_a_rolling_update_of_one_surge() {
        let mut d = MachineDeployment::default();
        default_machine_deployment(&mut d);
        assert_eq!(
            serde_json::to_value(&d.spec.strategy).unwrap(),
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
        );
        let mut d = MachineDeployment::default();
        d.spec.strategy.rolling_update =
            Some(RollingUpdateMachineDeployment { max_surge: None, max_unavailable: Some(IntOrString::Int(2)) });
        default_machine_deployment(&mut d);
        let ru = d.spec.strategy.rolling_update.unwrap();
        assert_eq!((ru.max_surge, ru.max_unavailable), (Some(IntOrString::Int(1)), Some(IntOrString::Int(2))));
        let mut d = MachineDeployment::default();
        d.spec.strategy.type_ = Some("Recreate".into());
        default_machine_deployment(&mut d);
        assert_eq!(d.spec.strategy.rolling_update, None);
        assert_eq!((d.spec.revision_history_limit, d.spec.progress_deadline_seconds), (None, None));
    }

    #[test]
    fn mcm_json_round_trips() {
        let wire = json!({
            "apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "MachineDeployment",
            "metadata": {"name": "md", "namespace": "default"},
            "spec": {
                "replicas": 2, "minReadySeconds": 500,
                "selector": {"matchLabels": {"a": "b"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {
                        "class": {"kind": "MachineClass", "name": "mc"},
                        "providerID": "aws:///eu/i-1",
                        "nodeTemplate": {"metadata": {"labels": {"x": "y"}}, "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}},
                        "drainTimeout": "10m", "healthTimeout": "5m", "creationTimeout": "20m",
                        "maxEvictRetries": 10, "nodeConditions": "KernelDeadlock,ReadonlyFilesystem"
                    }
                }
            },
            "status": {
                "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 1,
                "availableReplicas": 1, "unavailableReplicas": 1,
                "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "m",
                    "lastUpdateTime": "2024-01-01T00:00:00Z", "lastTransitionTime": "2024-01-01T00:00:00Z"}],
                "failedMachines": [{"name": "m1", "providerID": "p", "ownerRef": "ms",
                    "lastOperation": {"description": "d", "state": "Failed", "type": "Create", "lastUpdateTime": "2024-01-01T00:00:00Z"}}]
            }
        });
        let d: MachineDeployment = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(d.spec.template.spec.machine_configuration.drain_timeout.as_deref(), Some("10m"));
        assert_eq!(d.spec.template.spec.provider_id.as_deref(), Some("aws:///eu/i-1"));
        assert_eq!(serde_json::to_value(&d).unwrap(), wire);
    }
}
