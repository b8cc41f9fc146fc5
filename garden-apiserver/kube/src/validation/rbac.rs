//! `rbac.authorization.k8s.io`: the rules of Roles and ClusterRoles, and the roleRef and subjects of bindings.

use garden_api::names;
use serde_json::{json, Value};

use api_machinery::error::FieldError;
use api_machinery::validation::{arr, meta, s};

const GROUP: &str = "rbac.authorization.k8s.io";

/// kube's `ValidateRole` / `ValidateClusterRole`: every rule has verbs; a resource rule names API groups and
/// resources; non-resource URLs only in cluster roles and never with resources; a ClusterRole's aggregationRule
/// has valid selectors.
pub fn role(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, rule) in arr(obj, "rules").iter().enumerate() {
        let p = format!("rules[{i}]");
        if arr(rule, "verbs").is_empty() {
            errs.push(FieldError::required(format!("{p}.verbs"), "verbs must contain at least one value"));
        }
        let urls = arr(rule, "nonResourceURLs");
        if !urls.is_empty() {
            if namespaced {
                errs.push(FieldError::invalid(
                    format!("{p}.nonResourceURLs"),
                    &json!(urls),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if ["apiGroups", "resources", "resourceNames"].iter().any(|k| !arr(rule, k).is_empty()) {
                errs.push(FieldError::invalid(
                    format!("{p}.nonResourceURLs"),
                    &json!(urls),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if arr(rule, "apiGroups").is_empty() {
            errs.push(FieldError::required(
                format!("{p}.apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if arr(rule, "resources").is_empty() {
            errs.push(FieldError::required(
                format!("{p}.resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    if let Some(agg) = obj.get("aggregationRule").filter(|a| !a.is_null()) {
        let selectors = arr(agg, "clusterRoleSelectors");
        if selectors.is_empty() {
            errs.push(FieldError::required(
                "aggregationRule.clusterRoleSelectors",
                "at least one clusterRoleSelector required if aggregationRule is non-nil",
            ));
        }
        for (i, sel) in selectors.iter().enumerate() {
            errs.extend(meta::label_selector(sel, &format!("aggregationRule.clusterRoleSelectors[{i}]")));
        }
    }
    errs
}

/// kube's `ValidateRoleBinding` / `ValidateClusterRoleBinding` (and their updates): the roleRef names a Role or
/// ClusterRole (only a ClusterRole from a ClusterRoleBinding) of this API group and never changes; subjects are
/// ServiceAccounts (with a namespace in a ClusterRoleBinding, no API group), Users or Groups (of this group).
pub fn binding(obj: &Value, old: Option<&Value>, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let null = Value::Null;
    let role_ref = obj.get("roleRef").unwrap_or(&null);
    let api_group = s(role_ref, "apiGroup");
    if api_group != GROUP {
        errs.push(FieldError::not_supported("roleRef.apiGroup", &json!(api_group), &[GROUP.into()]));
    }
    let kind = s(role_ref, "kind");
    let kinds: &[&str] = if namespaced { &["Role", "ClusterRole"] } else { &["ClusterRole"] };
    if !kinds.contains(&kind) {
        errs.push(FieldError::not_supported(
            "roleRef.kind",
            &json!(kind),
            &kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        ));
    }
    let name = s(role_ref, "name");
    if name.is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    } else {
        for m in names::is_path_segment_name(name, false) {
            errs.push(FieldError::invalid("roleRef.name", &json!(name), &m));
        }
    }
    for (i, subject) in arr(obj, "subjects").iter().enumerate() {
        errs.extend(subject_errors(subject, namespaced, &format!("subjects[{i}]")));
    }
    if let Some(old) = old {
        if old.get("roleRef") != obj.get("roleRef") {
            errs.push(FieldError::invalid("roleRef", role_ref, "cannot change roleRef"));
        }
    }
    errs
}

fn subject_errors(subject: &Value, namespaced: bool, p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = s(subject, "name");
    if name.is_empty() {
        errs.push(FieldError::required(format!("{p}.name"), ""));
    }
    let api_group = s(subject, "apiGroup");
    match s(subject, "kind") {
        "ServiceAccount" => {
            if !name.is_empty() {
                errs.extend(names::validate_dns1123_subdomain(name, &format!("{p}.name")));
            }
            if !api_group.is_empty() {
                errs.push(FieldError::not_supported(format!("{p}.apiGroup"), &json!(api_group), &[String::new()]));
            }
            if !namespaced && s(subject, "namespace").is_empty() {
                errs.push(FieldError::required(format!("{p}.namespace"), ""));
            }
        }
        "User" | "Group" => {
            if api_group != GROUP {
                errs.push(FieldError::not_supported(format!("{p}.apiGroup"), &json!(api_group), &[GROUP.into()]));
            }
        }
        other => errs.push(FieldError::not_supported(
            format!("{p}.kind"),
            &json!(other),
            &["ServiceAccount".into(), "User".into(), "Group".into()],
        )),
    }
    errs
}

/// kube's v1 defaults: a roleRef without apiGroup is of this group, and so are User and Group subjects without one.
pub fn default_binding(obj: &mut Value) {
    if let Some(r) = obj.get_mut("roleRef").and_then(Value::as_object_mut) {
        if r.get("apiGroup").and_then(Value::as_str).unwrap_or_default().is_empty() {
            r.insert("apiGroup".into(), json!(GROUP));
        }
    }
    for subject in obj.get_mut("subjects").and_then(Value::as_array_mut).into_iter().flatten() {
        let Some(m) = subject.as_object_mut() else { continue };
        let user_or_group = matches!(m.get("kind").and_then(Value::as_str), Some("User" | "Group"));
        if user_or_group && m.get("apiGroup").and_then(Value::as_str).unwrap_or_default().is_empty() {
            m.insert("apiGroup".into(), json!(GROUP));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(FieldError::line).collect()
    }

    #[test]
    fn roles() {
        let r = json!({"rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
            {"apiGroups": [""]}, {"verbs": ["get"], "nonResourceURLs": ["/healthz"], "resources": ["pods"]}]});
        assert_eq!(lines(role(&r, true)), [
            "rules[1].verbs: Required value: verbs must contain at least one value",
            "rules[1].resources: Required value: resource rules must supply at least one resource",
            "rules[2].nonResourceURLs: Invalid value: [\"/healthz\"]: namespaced rules cannot apply to non-resource URLs",
            "rules[2].nonResourceURLs: Invalid value: [\"/healthz\"]: rules cannot apply to both regular resources and non-resource URLs",
        ]);
        assert!(role(&json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}), false).is_empty());
    }

    #[test]
    fn bindings() {
        let mut b = json!({"roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "User", "name": "u"},
            {"kind": "ServiceAccount", "name": "sa"}, {"kind": "Robot", "name": "x"}]});
        default_binding(&mut b);
        assert_eq!(b["subjects"][0]["apiGroup"], GROUP);
        assert_eq!(lines(binding(&b, None, false)), [
            "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
            "subjects[1].namespace: Required value",
            "subjects[2].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
        ]);
        let mut changed = b.clone();
        changed["roleRef"]["name"] = json!("other");
        changed["subjects"] = json!([]);
        assert_eq!(binding(&changed, Some(&b), true).last().unwrap().field, "roleRef");
    }
}
