//! Hibernation (Gardener's `spec.hibernation.enabled`): a hibernated shoot's control plane is stopped with
//! its data kept ([`crate::runtime::ControlPlaneRuntime::stop`]); waking up starts the same processes on the
//! same data again. While a shoot is hibernated (or about to be) the care loop neither probes nor heals its
//! control plane and reports every condition as Gardener does: `True`, reason `ConditionNotChecked`,
//! "Shoot cluster has been hibernated.".

use garden_api::core::v1beta1::{Condition, Shoot};

use crate::seed::next_condition;

/// Reason of the conditions of a hibernated shoot (Gardener's).
pub const REASON: &str = "ConditionNotChecked";
/// Message of the conditions of a hibernated shoot (Gardener's).
pub const MESSAGE: &str = "Shoot cluster has been hibernated.";

/// The desired state: `spec.hibernation.enabled` (unset means awake).
pub fn wanted(shoot: &Shoot) -> bool {
    shoot.spec.hibernation.as_ref().and_then(|h| h.enabled).unwrap_or(false)
}

/// The observed state: `status.hibernated`.
pub fn hibernated(shoot: &Shoot) -> bool {
    shoot.status.as_ref().is_some_and(|s| s.hibernated)
}

/// Whether the control plane is (or is to be) down on purpose: the care loop leaves it alone.
pub fn leave_alone(shoot: &Shoot) -> bool {
    wanted(shoot) || hibernated(shoot)
}

/// The conditions of a hibernated shoot: each of `types` `True` with reason [`REASON`] (transition
/// times kept from `old` where the status did not change).
pub fn conditions(old: &[Condition], types: &[&str], now: jiff::Timestamp) -> Vec<Condition> {
    types
        .iter()
        .map(|ty| next_condition(ty, old.iter().find(|c| c.type_ == *ty), "True", REASON, MESSAGE, now))
        .collect()
}

/// Whether `old` already reports hibernation for every one of `types` (nothing to write).
pub fn conditions_current(old: &[Condition], types: &[&str]) -> bool {
    types.iter().all(|ty| old.iter().any(|c| c.type_ == *ty && c.status == "True" && c.reason == REASON))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shoot(spec: serde_json::Value, status: serde_json::Value) -> Shoot {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": "s", "namespace": "garden-dev"},
            "spec": spec, "status": status,
        }))
        .unwrap()
    }

    #[test]
    fn desired_and_observed_state() {
        let base = serde_json::json!({"cloudProfileName": "local", "region": "local", "provider": {"type": "local"}, "kubernetes": {"version": "1.33"}});
        let mut hib = base.clone();
        hib["hibernation"] = serde_json::json!({"enabled": true});
        let awake = shoot(base.clone(), serde_json::json!({"hibernated": false}));
        assert!(!wanted(&awake) && !hibernated(&awake) && !leave_alone(&awake));
        let hibernating = shoot(hib.clone(), serde_json::json!({"hibernated": false}));
        assert!(wanted(&hibernating) && !hibernated(&hibernating) && leave_alone(&hibernating));
        let waking = shoot(base, serde_json::json!({"hibernated": true}));
        assert!(!wanted(&waking) && hibernated(&waking) && leave_alone(&waking));
    }

    #[test]
    fn hibernated_conditions() {
        let now = jiff::Timestamp::now();
        let types = ["APIServerAvailable", "ControlPlaneHealthy"];
        let old = vec![next_condition("APIServerAvailable", None, "True", "HealthCheckSucceeded", "ok", now)];
        assert!(!conditions_current(&old, &types));
        let new = conditions(&old, &types, now);
        assert_eq!(new.len(), 2);
        assert!(new.iter().all(|c| c.status == "True" && c.reason == REASON && c.message == MESSAGE));
        assert_eq!(new[0].last_transition_time, old[0].last_transition_time, "status unchanged: transition kept");
        assert!(conditions_current(&new, &types));
    }
}
