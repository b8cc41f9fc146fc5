//! `coordination.k8s.io`: Leases.

use serde_json::{json, Value};

use api_machinery::error::FieldError;

/// kube's `ValidateLeaseSpec`: a positive duration, non-negative transitions, a known strategy, and a preferred
/// holder only with a strategy.
pub fn lease(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let null = Value::Null;
    let spec = obj.get("spec").unwrap_or(&null);
    if let Some(d) = spec.get("leaseDurationSeconds").and_then(Value::as_i64).filter(|d| *d <= 0) {
        errs.push(FieldError::invalid("spec.leaseDurationSeconds", &json!(d), "must be greater than 0"));
    }
    if let Some(t) = spec.get("leaseTransitions").and_then(Value::as_i64).filter(|t| *t < 0) {
        errs.push(FieldError::invalid("spec.leaseTransitions", &json!(t), "must be greater than or equal to 0"));
    }
    let strategy = spec.get("strategy").and_then(Value::as_str).unwrap_or_default();
    if !strategy.is_empty() && strategy != "OldestEmulationVersion" {
        errs.push(FieldError::not_supported("spec.strategy", &json!(strategy), &["OldestEmulationVersion".into()]));
    }
    let preferred = spec.get("preferredHolder").and_then(Value::as_str).unwrap_or_default();
    if !preferred.is_empty() && strategy.is_empty() {
        errs.push(FieldError::forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_spec() {
        assert!(lease(&json!({"spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "leaseTransitions": 0}}))
            .is_empty());
        let e: Vec<String> = lease(&json!({"spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}}))
            .iter()
            .map(FieldError::line)
            .collect();
        assert_eq!(
            e,
            [
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
    }
}
