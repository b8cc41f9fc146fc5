//! `apps/v1` workloads: Deployment, StatefulSet, DaemonSet and ReplicaSet.

use serde_json::{json, Value};

use super::core;
use api_machinery::error::FieldError;
use api_machinery::validation::{meta, s};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Workload {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Deployment | Workload::ReplicaSet => "deployment",
            Workload::StatefulSet => "statefulset",
            Workload::DaemonSet => "daemonset",
        }
    }
}

/// kube's `Validate{Deployment,StatefulSet,DaemonSet,ReplicaSet}Spec` and their updates: a non-empty valid selector
/// that selects the template's labels, replicas >= 0, the pod template (restartPolicy Always), the update
/// strategy; on update an unchanged selector (and, for StatefulSets, only the fields kube lets change).
pub fn workload(kind: Workload, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = obj.get("spec").unwrap_or(&null);
    let mut errs = Vec::new();
    if kind != Workload::DaemonSet {
        if let Some(r) = spec.get("replicas").and_then(Value::as_i64).filter(|r| *r < 0) {
            errs.push(FieldError::invalid("spec.replicas", &json!(r), "must be greater than or equal to 0"));
        }
    }
    match spec.get("selector").filter(|s| !s.is_null()) {
        None => errs.push(FieldError::required("spec.selector", "")),
        Some(sel) => {
            errs.extend(meta::label_selector(sel, "spec.selector"));
            if meta::selector_is_empty(sel) {
                errs.push(FieldError::invalid(
                    "spec.selector",
                    sel,
                    &format!("empty selector is invalid for {}", kind.name()),
                ));
            } else if !meta::selector_matches(sel, spec.pointer("/template/metadata/labels")) {
                errs.push(FieldError::invalid(
                    "spec.template.metadata.labels",
                    spec.pointer("/template/metadata/labels").unwrap_or(&null),
                    "`selector` does not match template `labels`",
                ));
            }
        }
    }
    let template = spec.get("template").unwrap_or(&null);
    errs.extend(core::template_meta(template, "spec.template"));
    errs.extend(core::pod_spec(template.get("spec"), "spec.template.spec"));
    if let Some(policy) = template.pointer("/spec/restartPolicy").and_then(Value::as_str).filter(|p| *p != "Always") {
        errs.push(FieldError::not_supported("spec.template.spec.restartPolicy", &json!(policy), &["Always".into()]));
    }
    match kind {
        Workload::Deployment => errs.extend(deployment_strategy(spec.get("strategy"))),
        Workload::StatefulSet => errs.extend(stateful_set(spec)),
        Workload::DaemonSet => errs.extend(daemon_set_strategy(spec.get("updateStrategy"))),
        Workload::ReplicaSet => {}
    }
    if let Some(old) = old {
        if obj.pointer("/spec/selector") != old.pointer("/spec/selector") {
            errs.push(FieldError::invalid(
                "spec.selector",
                obj.pointer("/spec/selector").unwrap_or(&null),
                "field is immutable",
            ));
        }
        if kind == Workload::StatefulSet {
            errs.extend(stateful_set_update(spec, old.get("spec").unwrap_or(&null)));
        }
    }
    errs
}

fn deployment_strategy(strategy: Option<&Value>) -> Vec<FieldError> {
    let Some(strategy) = strategy.filter(|s| !s.is_null()) else { return Vec::new() };
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    match s(strategy, "type") {
        "Recreate" if rolling.is_some() => vec![FieldError::forbidden(
            "spec.strategy.rollingUpdate",
            "may not be specified when strategy `type` is 'Recreate'",
        )],
        "Recreate" => Vec::new(),
        "RollingUpdate" => rolling.map(rolling_update).unwrap_or_default(),
        _ => vec![FieldError::not_supported("spec.strategy", strategy, &["Recreate".into(), "RollingUpdate".into()])],
    }
}

/// maxUnavailable and maxSurge: non-negative integers or percentages (at most 100% unavailable), not both 0.
fn rolling_update(r: &Value) -> Vec<FieldError> {
    const PATH: &str = "spec.strategy.rollingUpdate";
    let mut errs = Vec::new();
    let mut zero = [false, false];
    for (i, key) in ["maxUnavailable", "maxSurge"].into_iter().enumerate() {
        let Some(v) = r.get(key).filter(|v| !v.is_null()) else { continue };
        let path = format!("{PATH}.{key}");
        match int_or_percent(v) {
            Err(msg) => errs.push(FieldError::invalid(&path, v, msg)),
            Ok((n, _)) if n < 0 => errs.push(FieldError::invalid(&path, v, "must be greater than or equal to 0")),
            Ok((n, true)) if n > 100 && key == "maxUnavailable" => {
                errs.push(FieldError::invalid(&path, v, "must not be greater than 100%"))
            }
            Ok((n, _)) => zero[i] = n == 0,
        }
    }
    if zero == [true, true] {
        errs.push(FieldError::invalid(
            format!("{PATH}.maxUnavailable"),
            r.get("maxUnavailable").unwrap_or(&Value::Null),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    errs
}

/// An IntOrString: (value, is a percentage).
fn int_or_percent(v: &Value) -> Result<(i64, bool), &'static str> {
    const MSG: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
    match v {
        Value::Number(n) => n.as_i64().map(|n| (n, false)).ok_or(MSG),
        Value::String(s) => {
            let digits = s.strip_suffix('%').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            digits.and_then(|d| d.parse().ok()).map(|n| (n, true)).ok_or(MSG)
        }
        _ => Err(MSG),
    }
}

fn stateful_set(spec: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match spec.get("podManagementPolicy").and_then(Value::as_str) {
        None | Some("OrderedReady" | "Parallel") => {}
        Some(p) => errs.push(FieldError::invalid(
            "spec.podManagementPolicy",
            &json!(p),
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    if let Some(strategy) = spec.get("updateStrategy").filter(|s| !s.is_null()) {
        let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
        match s(strategy, "type") {
            "RollingUpdate" => {
                if let Some(p) = rolling.and_then(|r| r.get("partition")).and_then(Value::as_i64).filter(|p| *p < 0) {
                    errs.push(FieldError::invalid(
                        "spec.updateStrategy.rollingUpdate.partition",
                        &json!(p),
                        "must be greater than or equal to 0",
                    ));
                }
            }
            "OnDelete" if rolling.is_some() => errs.push(FieldError::invalid(
                "spec.updateStrategy.rollingUpdate",
                rolling.unwrap_or(&Value::Null),
                "only allowed for updateStrategy 'RollingUpdate'",
            )),
            "OnDelete" => {}
            _ => {
                errs.push(FieldError::invalid("spec.updateStrategy", strategy, "must be 'RollingUpdate' or 'OnDelete'"))
            }
        }
    }
    errs
}

/// kube lets only some of a StatefulSet's spec change.
fn stateful_set_update(new: &Value, old: &Value) -> Option<FieldError> {
    const MUTABLE: [&str; 6] = [
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    ];
    let rest = |spec: &Value| {
        let mut m = spec.as_object().cloned().unwrap_or_default();
        m.retain(|k, _| !MUTABLE.contains(&k.as_str()));
        m
    };
    (rest(new) != rest(old)).then(|| {
        FieldError::forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        )
    })
}

fn daemon_set_strategy(strategy: Option<&Value>) -> Vec<FieldError> {
    let Some(strategy) = strategy.filter(|s| !s.is_null()) else { return Vec::new() };
    match s(strategy, "type") {
        "RollingUpdate" | "OnDelete" => Vec::new(),
        other => vec![FieldError::not_supported(
            "spec.updateStrategy.type",
            &json!(other),
            &["OnDelete".into(), "RollingUpdate".into()],
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Value {
        json!({"spec": {"replicas": 1, "selector": {"matchLabels": {"app": "a"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    }

    fn lines(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(FieldError::line).collect()
    }

    #[test]
    fn deployments() {
        let d = deployment();
        assert!(workload(Workload::Deployment, &d, None).is_empty());
        let mut bad = d.clone();
        bad["spec"]["replicas"] = json!(-1);
        bad["spec"]["strategy"] = json!({"type": "Recreate", "rollingUpdate": {}});
        bad["spec"]["template"]["metadata"]["labels"]["app"] = json!("b");
        assert_eq!(lines(workload(Workload::Deployment, &bad, None)), [
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.template.metadata.labels: Invalid value: {\"app\":\"b\"}: `selector` does not match template `labels`",
            "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
        ]);
        let mut zero = d.clone();
        zero["spec"]["strategy"]["rollingUpdate"] = json!({"maxUnavailable": 0, "maxSurge": "0%"});
        assert_eq!(
            lines(workload(Workload::Deployment, &zero, None)),
            ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]
        );
        let mut moved = d.clone();
        moved["spec"]["selector"]["matchLabels"]["app"] = json!("b");
        moved["spec"]["template"]["metadata"]["labels"]["app"] = json!("b");
        assert_eq!(workload(Workload::Deployment, &moved, Some(&d))[0].field, "spec.selector");
    }

    #[test]
    fn stateful_and_daemon_sets() {
        let mut sts = deployment();
        sts["spec"].as_object_mut().unwrap().remove("strategy");
        sts["spec"]["serviceName"] = json!("web");
        sts["spec"]["updateStrategy"] = json!({"type": "Sometimes"});
        assert_eq!(
            lines(workload(Workload::StatefulSet, &sts, None)),
            ["spec.updateStrategy: Invalid value: {\"type\":\"Sometimes\"}: must be 'RollingUpdate' or 'OnDelete'"]
        );
        sts["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        let mut renamed = sts.clone();
        renamed["spec"]["serviceName"] = json!("other");
        assert_eq!(workload(Workload::StatefulSet, &renamed, Some(&sts))[0].field, "spec");
        let mut ds = sts.clone();
        ds["spec"]["updateStrategy"] = json!({"type": "Whenever"});
        ds["spec"]["selector"] = json!({});
        let e = lines(workload(Workload::DaemonSet, &ds, None));
        assert_eq!(e, ["spec.selector: Invalid value: {}: empty selector is invalid for daemonset",
            "spec.updateStrategy.type: Unsupported value: \"Whenever\": supported values: \"OnDelete\", \"RollingUpdate\""]);
    }
}
