//! Validation of `machine.sapcloud.io/v1alpha1` objects as pure functions returning kube-style field errors.
//!
//! The rules are MCM's (`pkg/apis/machine/validation`: replicas, selector vs. template labels, class reference)
//! plus kube's Deployment rules where MCM mirrors a Deployment (minReadySeconds, revisionHistoryLimit,
//! progressDeadlineSeconds, the rolling update parameters), and that the duration strings of the machine
//! configuration parse as Go durations (MCM's `metav1.Duration`).

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde_json::Value;

use super::{
    strategy, ClassSpec, Machine, MachineClass, MachineConfiguration, MachineDeployment, MachineDeploymentStrategy,
    MachineSet, MachineTemplateSpec,
};
use crate::field::FieldError;
use crate::names::{is_qualified_name, is_valid_label_value, validate_labels};

fn val<T: Serialize + ?Sized>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

const NON_NEGATIVE: &str = "must be greater than or equal to 0";

fn non_negative(v: i64, field: &str, errs: &mut Vec<FieldError>) {
    if v < 0 {
        errs.push(FieldError::invalid(field, &val(&v), NON_NEGATIVE));
    }
}

/// A MachineClass: `providerSpec` is required and must be an object (MCM's `runtime.RawExtension`).
pub fn validate_machine_class(class: &MachineClass) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match &class.provider_spec {
        Value::Null => errs.push(FieldError::required("providerSpec", "")),
        Value::Object(_) => {}
        other => errs.push(FieldError::invalid("providerSpec", other, "must be an object")),
    }
    if let Some(nt) = &class.node_template {
        for (k, q) in nt.capacity.iter().chain(&nt.virtual_capacity) {
            if q.0.trim().is_empty() {
                errs.push(FieldError::invalid(
                    format!("nodeTemplate.capacity[{k}]"),
                    &val(&q.0),
                    "quantity may not be empty",
                ));
            }
        }
    }
    errs
}

/// A Machine: class reference and machine configuration.
pub fn validate_machine(machine: &Machine) -> Vec<FieldError> {
    let mut errs = validate_class_reference(&machine.spec.class, "spec.class");
    errs.extend(validate_machine_configuration(&machine.spec.machine_configuration, "spec"));
    errs
}

/// A MachineSet: replicas, minReadySeconds, selector vs. template, the template's class and configuration.
pub fn validate_machine_set(set: &MachineSet) -> Vec<FieldError> {
    let spec = &set.spec;
    let mut errs = Vec::new();
    non_negative(spec.replicas.into(), "spec.replicas", &mut errs);
    non_negative(spec.min_ready_seconds.into(), "spec.minReadySeconds", &mut errs);
    errs.extend(validate_selector_and_template(spec.selector.as_ref(), &spec.template, "spec"));
    errs
}

/// A MachineDeployment: like a MachineSet, plus the strategy, revisionHistoryLimit, progressDeadlineSeconds
/// and rollbackTo.
pub fn validate_machine_deployment(deployment: &MachineDeployment) -> Vec<FieldError> {
    let spec = &deployment.spec;
    let mut errs = Vec::new();
    non_negative(spec.replicas.into(), "spec.replicas", &mut errs);
    non_negative(spec.min_ready_seconds.into(), "spec.minReadySeconds", &mut errs);
    errs.extend(validate_selector_and_template(spec.selector.as_ref(), &spec.template, "spec"));
    errs.extend(validate_strategy(&spec.strategy, "spec.strategy"));
    if let Some(limit) = spec.revision_history_limit {
        non_negative(limit.into(), "spec.revisionHistoryLimit", &mut errs);
    }
    if let Some(deadline) = spec.progress_deadline_seconds {
        let field = "spec.progressDeadlineSeconds";
        if deadline < 0 {
            errs.push(FieldError::invalid(field, &val(&deadline), NON_NEGATIVE));
        } else if deadline <= spec.min_ready_seconds {
            errs.push(FieldError::invalid(field, &val(&deadline), "must be greater than minReadySeconds"));
        }
    }
    if let Some(rb) = &spec.rollback_to {
        non_negative(rb.revision, "spec.rollbackTo.revision", &mut errs);
    }
    errs
}

/// MCM's class reference rule: `kind` and `name` are required.
pub fn validate_class_reference(class: &ClassSpec, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if class.kind.is_empty() {
        errs.push(FieldError::required(format!("{path}.kind"), ""));
    }
    if class.name.is_empty() {
        errs.push(FieldError::required(format!("{path}.name"), ""));
    }
    errs
}

/// The duration fields parse as Go durations (`10m`, `1h30m`, `90s`) and are not negative;
/// `maxEvictRetries` is not negative. `path` is the object holding the inlined configuration.
pub fn validate_machine_configuration(cfg: &MachineConfiguration, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (name, value) in [
        ("drainTimeout", &cfg.drain_timeout),
        ("healthTimeout", &cfg.health_timeout),
        ("creationTimeout", &cfg.creation_timeout),
    ] {
        if let Some(s) = value {
            if let Err(e) = parse_duration(s) {
                errs.push(FieldError::invalid(format!("{path}.{name}"), &val(s), &e));
            }
        }
    }
    if let Some(n) = cfg.max_evict_retries {
        non_negative(n.into(), &format!("{path}.maxEvictRetries"), &mut errs);
    }
    errs
}

/// Selector required, non-empty, well-formed and matching the template's labels (kube's Deployment / ReplicaSet
/// rule); the template's labels are valid labels; the template's class reference and configuration are valid.
fn validate_selector_and_template(
    selector: Option<&LabelSelector>,
    template: &MachineTemplateSpec,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let no_labels = BTreeMap::new();
    let labels = template.metadata.labels.as_ref().unwrap_or(&no_labels);
    let labels_path = format!("{path}.template.metadata.labels");
    errs.extend(validate_labels(labels, &labels_path));
    match selector {
        None => errs.push(FieldError::required(format!("{path}.selector"), "")),
        Some(sel) => {
            let sel_errs = validate_label_selector(sel, &format!("{path}.selector"));
            let empty = sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
                && sel.match_expressions.as_ref().is_none_or(Vec::is_empty);
            if empty {
                errs.push(FieldError::invalid(format!("{path}.selector"), &val(sel), "empty selector is invalid"));
            } else if sel_errs.is_empty() && !crate::rbac::selector_matches(sel, labels).unwrap_or(false) {
                errs.push(FieldError::invalid(
                    labels_path,
                    &val(labels),
                    "`selector` does not match template `labels`",
                ));
            }
            errs.extend(sel_errs);
        }
    }
    let spec_path = format!("{path}.template.spec");
    errs.extend(validate_class_reference(&template.spec.class, &format!("{spec_path}.class")));
    errs.extend(validate_machine_configuration(&template.spec.machine_configuration, &spec_path));
    errs
}

/// kube's `ValidateLabelSelector`: valid label keys and values, known operators, values only with `In`/`NotIn`.
pub fn validate_label_selector(sel: &LabelSelector, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(ml) = &sel.match_labels {
        errs.extend(validate_labels(ml, &format!("{path}.matchLabels")));
    }
    for (i, req) in sel.match_expressions.iter().flatten().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        let values = req.values.as_deref().unwrap_or_default();
        match req.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        format!("{p}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        format!("{p}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            other => {
                let supported: Vec<String> =
                    ["In", "NotIn", "Exists", "DoesNotExist"].iter().map(|s| s.to_string()).collect();
                errs.push(FieldError::not_supported(format!("{p}.operator"), &val(other), &supported));
            }
        }
        for m in is_qualified_name(&req.key) {
            errs.push(FieldError::invalid(format!("{p}.key"), &val(&req.key), &m));
        }
        for (j, v) in values.iter().enumerate() {
            for m in is_valid_label_value(v) {
                errs.push(FieldError::invalid(format!("{p}.values[{j}]"), &val(v), &m));
            }
        }
    }
    errs
}

/// kube's Deployment strategy rules: type `Recreate` or `RollingUpdate`; no rolling update parameters with
/// `Recreate`; `maxSurge`/`maxUnavailable` non-negative counts or percentages, `maxUnavailable` at most 100%,
/// not both 0.
pub fn validate_strategy(s: &MachineDeploymentStrategy, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match s.type_.as_deref() {
        None | Some(strategy::ROLLING_UPDATE) => {}
        Some(strategy::RECREATE) => {
            if s.rolling_update.is_some() {
                errs.push(FieldError::forbidden(
                    format!("{path}.rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
            return errs;
        }
        Some(other) => {
            let supported = vec![strategy::RECREATE.to_string(), strategy::ROLLING_UPDATE.to_string()];
            errs.push(FieldError::not_supported(format!("{path}.type"), &val(other), &supported));
            return errs;
        }
    }
    let Some(ru) = &s.rolling_update else { return errs };
    let ru_path = format!("{path}.rollingUpdate");
    let surge = ru.max_surge.as_ref().map(|v| (v, int_or_percent(v, &format!("{ru_path}.maxSurge"), &mut errs)));
    let unavailable =
        ru.max_unavailable.as_ref().map(|v| (v, int_or_percent(v, &format!("{ru_path}.maxUnavailable"), &mut errs)));
    if let Some((v, Some(n))) = unavailable {
        if matches!(v, IntOrString::String(_)) && n > 100 {
            errs.push(FieldError::invalid(
                format!("{ru_path}.maxUnavailable"),
                &val(v),
                "must not be greater than 100%",
            ));
        }
    }
    if let (Some((_, Some(0))), Some((v, Some(0)))) = (surge, unavailable) {
        errs.push(FieldError::invalid(
            format!("{ru_path}.maxUnavailable"),
            &val(v),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    errs
}

/// The number or percentage of a non-negative count or percentage (`5`, `25%`); None (with an error) otherwise.
fn int_or_percent(v: &IntOrString, field: &str, errs: &mut Vec<FieldError>) -> Option<i64> {
    match v {
        IntOrString::Int(i) if *i < 0 => {
            errs.push(FieldError::invalid(field, &val(v), NON_NEGATIVE));
            None
        }
        IntOrString::Int(i) => Some((*i).into()),
        IntOrString::String(s) => {
            let n = s.strip_suffix('%').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            match n.and_then(|d| d.parse::<i64>().ok()) {
                Some(n) => Some(n),
                None => {
                    errs.push(FieldError::invalid(
                        field,
                        &val(v),
                        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                    ));
                    None
                }
            }
        }
    }
}

/// Parses a Go duration string (`time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`; units ns, us, µs, ms, s,
/// m, h) into a non-negative [`Duration`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {s:?}: must be a Go duration such as \"10m\", \"1h30m\" or \"90s\"");
    let rest = s.strip_prefix('+').unwrap_or(s);
    if rest.starts_with('-') {
        return Err(format!("invalid duration {s:?}: may not be negative"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    let mut chars = rest.char_indices().peekable();
    while chars.peek().is_some() {
        let start = chars.peek().map(|(i, _)| *i).unwrap_or(0);
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_ascii_digit() || c == '.' {
                end = i + c.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let number = &rest[start..end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let n: f64 = number.parse().map_err(|_| invalid())?;
        let unit_start = end;
        let mut unit_end = unit_start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_ascii_digit() || c == '.' {
                break;
            }
            unit_end = i + c.len_utf8();
            chars.next();
        }
        let scale = match &rest[unit_start..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        total += n * scale;
    }
    Duration::try_from_secs_f64(total).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::v1alpha1::{RollingUpdateMachineDeployment, MACHINE_CLASS_KIND};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
    use serde_json::json;

    fn deployment() -> MachineDeployment {
        serde_json::from_value(json!({
            "apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "MachineDeployment",
            "metadata": {"name": "md", "namespace": "default"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"pool": "a"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {"pool": "a", "extra": "x"}},
                    "spec": {"class": {"kind": "MachineClass", "name": "mc"}, "drainTimeout": "10m", "creationTimeout": "1h30m"}
                }
            }
        }))
        .unwrap()
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_deployment_passes() {
        assert_eq!(validate_machine_deployment(&deployment()), vec![]);
    }

    #[test]
    fn negative_counts_are_refused() {
        let mut d = deployment();
        d.spec.replicas = -1;
        d.spec.min_ready_seconds = -5;
        d.spec.revision_history_limit = Some(-1);
        let errs = validate_machine_deployment(&d);
        assert_eq!(fields(&errs), vec!["spec.replicas", "spec.minReadySeconds", "spec.revisionHistoryLimit"]);
        assert_eq!(errs[0].line(), "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
    }

    #[test]
    fn progress_deadline_must_exceed_min_ready_seconds() {
        let mut d = deployment();
        d.spec.min_ready_seconds = 600;
        d.spec.progress_deadline_seconds = Some(600);
        assert_eq!(fields(&validate_machine_deployment(&d)), vec!["spec.progressDeadlineSeconds"]);
        d.spec.progress_deadline_seconds = Some(601);
        assert!(validate_machine_deployment(&d).is_empty());
    }

    #[test]
    fn selector_is_required_and_must_match_the_template() {
        let mut d = deployment();
        d.spec.selector = None;
        assert_eq!(fields(&validate_machine_deployment(&d)), vec!["spec.selector"]);
        d.spec.selector = Some(LabelSelector::default());
        assert!(validate_machine_deployment(&d)[0].message.contains("empty selector"));
        d.spec.selector = Some(LabelSelector {
            match_labels: Some([("pool".to_string(), "b".to_string())].into()),
            ..Default::default()
        });
        let errs = validate_machine_deployment(&d);
        assert_eq!(fields(&errs), vec!["spec.template.metadata.labels"]);
        assert!(errs[0].message.ends_with("`selector` does not match template `labels`"), "{}", errs[0].message);
        d.spec.selector = Some(LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "pool".into(),
                operator: "Exists".into(),
                values: Some(vec!["a".into()]),
            }]),
            ..Default::default()
        });
        assert_eq!(fields(&validate_machine_deployment(&d)), vec!["spec.selector.matchExpressions[0].values"]);
    }

    #[test]
    fn class_reference_is_required() {
        let mut d = deployment();
        d.spec.template.spec.class = ClassSpec::default();
        assert_eq!(
            fields(&validate_machine_deployment(&d)),
            vec!["spec.template.spec.class.kind", "spec.template.spec.class.name"]
        );
        let m = Machine::default();
        assert_eq!(fields(&validate_machine(&m)), vec!["spec.class.kind", "spec.class.name"]);
        let mut m = Machine::default();
        m.spec.class = ClassSpec { kind: MACHINE_CLASS_KIND.into(), name: "mc".into(), api_group: None };
        assert!(validate_machine(&m).is_empty());
    }

    #[test]
    fn rolling_update_parameters_follow_the_deployment_rules() {
        let check = |surge: IntOrString, unavailable: IntOrString| {
            let mut d = deployment();
            d.spec.strategy.rolling_update =
                Some(RollingUpdateMachineDeployment { max_surge: Some(surge), max_unavailable: Some(unavailable) });
            validate_machine_deployment(&d).into_iter().map(|e| e.line()).collect::<Vec<_>>()
        };
        assert_eq!(
            check(IntOrString::Int(0), IntOrString::Int(0)),
            vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]
        );
        assert_eq!(check(IntOrString::String("0%".into()), IntOrString::Int(0)).len(), 1);
        assert!(check(IntOrString::String("25%".into()), IntOrString::String("100%".into())).is_empty());
        assert_eq!(
            check(IntOrString::Int(1), IntOrString::String("101%".into())),
            vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"101%\": must not be greater than 100%"]
        );
        assert_eq!(
            check(IntOrString::Int(-1), IntOrString::Int(1)),
            vec!["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"]
        );
        let bad = check(IntOrString::String("ten".into()), IntOrString::Int(1));
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("spec.strategy.rollingUpdate.maxSurge: Invalid value: \"ten\": a valid percent"));
        // A percentage above 100% is fine for maxSurge.
        assert!(check(IntOrString::String("200%".into()), IntOrString::Int(0)).is_empty());
    }

    #[test]
    fn strategy_type_is_recreate_or_rolling_update() {
        let mut d = deployment();
        d.spec.strategy.type_ = Some("Recreate".into());
        assert_eq!(fields(&validate_machine_deployment(&d)), vec!["spec.strategy.rollingUpdate"]);
        d.spec.strategy.rolling_update = None;
        assert!(validate_machine_deployment(&d).is_empty());
        d.spec.strategy.type_ = Some("Sideways".into());
        let errs = validate_machine_deployment(&d);
        assert_eq!(
            errs[0].line(),
            "spec.strategy.type: Unsupported value: \"Sideways\": supported values: \"Recreate\", \"RollingUpdate\""
        );
    }

    #[test]
    fn durations_must_parse() {
        let mut d = deployment();
        d.spec.template.spec.machine_configuration.health_timeout = Some("ten minutes".into());
        d.spec.template.spec.machine_configuration.drain_timeout = Some("-5m".into());
        d.spec.template.spec.machine_configuration.max_evict_retries = Some(-1);
        assert_eq!(
            fields(&validate_machine_deployment(&d)),
            vec![
                "spec.template.spec.drainTimeout",
                "spec.template.spec.healthTimeout",
                "spec.template.spec.maxEvictRetries"
            ]
        );
        let mut m = Machine::default();
        m.spec.class = ClassSpec { kind: "MachineClass".into(), name: "x".into(), api_group: None };
        m.spec.machine_configuration.creation_timeout = Some("20x".into());
        assert_eq!(fields(&validate_machine(&m)), vec!["spec.creationTimeout"]);
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("2h45m10.5s"), Ok(Duration::from_millis((2 * 3600 + 45 * 60 + 10) * 1000 + 500)));
        assert_eq!(parse_duration("1µs"), Ok(Duration::from_micros(1)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("+5s"), Ok(Duration::from_secs(5)));
        for bad in ["", "10", "m", "1x", "1.2.3s", "-1s", ".s", "1h 30m", "ten"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn machine_sets_and_classes() {
        let mut s = MachineSet::default();
        s.spec.replicas = -2;
        s.spec.selector = Some(LabelSelector {
            match_labels: Some([("a".to_string(), "b".to_string())].into()),
            ..Default::default()
        });
        s.spec.template.metadata.labels = Some([("a".to_string(), "b".to_string())].into());
        s.spec.template.spec.class = ClassSpec { kind: "MachineClass".into(), name: "mc".into(), api_group: None };
        assert_eq!(fields(&validate_machine_set(&s)), vec!["spec.replicas"]);

        let mut c = MachineClass::default();
        assert_eq!(fields(&validate_machine_class(&c)), vec!["providerSpec"]);
        c.provider_spec = json!("x");
        assert_eq!(fields(&validate_machine_class(&c)), vec!["providerSpec"]);
        c.provider_spec = json!({"image": "x"});
        assert!(validate_machine_class(&c).is_empty());
    }
}
