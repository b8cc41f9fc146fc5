//! kube's generic `ObjectMeta` validation (`ValidateObjectMeta` / `ValidateObjectMetaUpdate`), for every kind of
//! every server, and the `LabelSelector` rules the workload and policy kinds share.

use garden_api::names;
use serde_json::{json, Value};

use super::{arr, immutable, map, s, string_entries};
use crate::error::FieldError;
use crate::registry::ResourceType;

/// The metadata rules of a new or updated object: name and generateName by the kind's name rule, namespace,
/// labels, annotations, ownerReferences and finalizers.
pub fn validate(rt: &ResourceType, obj: &Value) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = Vec::new();
    let generate_name = s(meta, "generateName");
    if !generate_name.is_empty() {
        errs.extend(generate_name_errors(rt, generate_name));
    }
    errs.extend(rt.strategy.validate_name(s(meta, "name")));
    if rt.namespaced {
        errs.extend(names::validate_namespace_name(s(meta, "namespace"), "metadata.namespace"));
    }
    errs.extend(names::validate_labels(string_entries(map(meta, "labels")), "metadata.labels"));
    errs.extend(names::validate_annotations(string_entries(map(meta, "annotations")), "metadata.annotations"));
    errs.extend(owner_references(arr(meta, "ownerReferences")));
    errs.extend(finalizers(arr(meta, "finalizers"), "metadata.finalizers"));
    errs
}

/// kube checks a `generateName` by the kind's name rule as the prefix of a name (see
/// [`names::mask_trailing_dash`]), and reports it at `metadata.generateName`.
fn generate_name_errors(rt: &ResourceType, generate_name: &str) -> Vec<FieldError> {
    let masked = names::mask_trailing_dash(generate_name);
    let (shown, sent) = (format!("{masked:?}"), format!("{generate_name:?}"));
    rt.strategy
        .validate_name(&masked)
        .into_iter()
        .map(|mut e| {
            e.field = "metadata.generateName".to_string();
            e.message = e.message.replacen(&shown, &sent, 1);
            e
        })
        .collect()
}

/// kube's `ValidateOwnerReferences`: apiVersion (with a version), kind, name and uid set; at most one controller;
/// no Event as an owner. kube reports the fields without the list index.
fn owner_references(refs: &[Value]) -> Vec<FieldError> {
    const PATH: &str = "metadata.ownerReferences";
    let mut errs = Vec::new();
    let mut controller: Option<String> = None;
    for r in refs {
        let api_version = s(r, "apiVersion");
        let (group, version) = match api_version.split('/').collect::<Vec<_>>().as_slice() {
            [v] => ("", *v),
            [g, v] => (*g, *v),
            _ => ("", ""),
        };
        let kind = s(r, "kind");
        if version.is_empty() {
            errs.push(FieldError::invalid(
                format!("{PATH}.apiVersion"),
                &json!(api_version),
                "version must not be empty",
            ));
        }
        if kind.is_empty() {
            errs.push(FieldError::invalid(format!("{PATH}.kind"), &json!(kind), "kind must not be empty"));
        }
        if s(r, "name").is_empty() {
            errs.push(FieldError::invalid(format!("{PATH}.name"), &json!(""), "name must not be empty"));
        }
        if s(r, "uid").is_empty() {
            errs.push(FieldError::invalid(format!("{PATH}.uid"), &json!(""), "uid must not be empty"));
        }
        if group.is_empty() && version == "v1" && kind == "Event" {
            errs.push(FieldError::invalid(PATH, r, "/v1, Kind=Event is disallowed from being an owner"));
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let this = format!("{kind}/{}", s(r, "name"));
            match &controller {
                Some(first) => errs.push(FieldError::invalid(
                    PATH,
                    &Value::Array(refs.to_vec()),
                    &format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"
                    ),
                )),
                None => controller = Some(this),
            }
        }
    }
    errs
}

/// kube's `ValidateFinalizers`: qualified names, and not both `orphan` and `foregroundDeletion`.
pub fn finalizers(list: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let has = |name: &str| list.iter().any(|f| f.as_str() == Some(name));
    for f in list.iter().filter_map(Value::as_str) {
        errs.extend(names::validate_qualified_name(f, path));
    }
    if has("orphan") && has("foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            &Value::Array(list.to_vec()),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// kube's `ValidateObjectMetaUpdate` rules that the write path does not settle by itself: the server carries
/// name, namespace and creationTimestamp over and refuses new finalizers on a deleting object, and the client may
/// not change uid, deletionTimestamp and deletionGracePeriodSeconds.
pub fn validate_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let at = |o: &'_ Value, k: &str| o.pointer(&format!("/metadata/{k}")).filter(|v| !v.is_null()).cloned();
    ["uid", "deletionTimestamp", "deletionGracePeriodSeconds"]
        .into_iter()
        .filter_map(|k| immutable(&format!("metadata.{k}"), at(new, k).as_ref(), at(old, k).as_ref()))
        .collect()
}

/// kube's `ValidateLabelSelector` for a `metav1.LabelSelector` at `path`.
pub fn label_selector(selector: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = names::validate_labels(string_entries(map(selector, "matchLabels")), &format!("{path}.matchLabels"));
    for (i, req) in arr(selector, "matchExpressions").iter().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        let values = arr(req, "values");
        match s(req, "operator") {
            "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
                format!("{p}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
                format!("{p}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            op => errs.push(FieldError::invalid(format!("{p}.operator"), &json!(op), "not a valid selector operator")),
        }
        errs.extend(names::validate_qualified_name(s(req, "key"), &format!("{p}.key")));
        for (j, v) in values.iter().enumerate() {
            let v = v.as_str().unwrap_or_default();
            for m in names::is_valid_label_value(v) {
                errs.push(FieldError::invalid(format!("{p}.values[{j}]"), &json!(v), &m));
            }
        }
    }
    errs
}

/// Does the `metav1.LabelSelector` `selector` select `labels` (a JSON label map)? An empty selector selects
/// everything.
pub fn selector_matches(selector: &Value, labels: Option<&Value>) -> bool {
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let match_labels = string_entries(map(selector, "matchLabels")).all(|(k, v)| label(k) == Some(v));
    match_labels
        && arr(selector, "matchExpressions").iter().all(|req| {
            let have = label(s(req, "key"));
            let listed = |v: &str| arr(req, "values").iter().any(|x| x.as_str() == Some(v));
            match s(req, "operator") {
                "In" => have.is_some_and(listed),
                "NotIn" => have.is_none_or(|v| !listed(v)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
}

/// True when the selector has neither matchLabels nor matchExpressions.
pub fn selector_is_empty(selector: &Value) -> bool {
    map(selector, "matchLabels").is_none_or(|m| m.is_empty()) && arr(selector, "matchExpressions").is_empty()
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};

    use super::*;
    use crate::registry::{Plain, TypedCodec};

    /// The metadata problems of `obj` as a Namespace (cluster-scoped) or a ConfigMap (namespaced).
    fn errs(kind_group: (&str, &str), obj: Value) -> Vec<String> {
        let namespaced = kind_group.0 != "Namespace";
        let rt = ResourceType {
            group: "",
            version: "v1",
            kind: if namespaced { "ConfigMap" } else { "Namespace" },
            plural: if namespaced { "configmaps" } else { "namespaces" },
            singular: "",
            namespaced,
            short_names: &[],
            categories: &[],
            subresources: &[],
            actions: &[],
            create_only: false,
            scale: None,
            codec: if namespaced { TypedCodec::<ConfigMap>::boxed() } else { TypedCodec::<Namespace>::boxed() },
            strategy: Box::new(Plain),
        };
        validate(&rt, &obj).iter().map(FieldError::line).collect()
    }

    #[test]
    fn the_findings_cases() {
        let e = errs(("Namespace", ""), json!({"metadata": {"name": "n", "labels": {"bad key!": "x"}}}));
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("metadata.labels: Invalid value: \"bad key!\": name part must consist of"), "{e:?}");
        let e = errs(("ConfigMap", ""), json!({"metadata": {"name": "c", "namespace": "d", "annotations": {"": "x"}}}));
        assert_eq!(e[0], "metadata.annotations: Invalid value: \"\": name part must be non-empty");
        let e = errs(
            ("ConfigMap", ""),
            json!({"metadata": {"name": "c", "namespace": "d", "labels": {"a": "v".repeat(100)}}}),
        );
        assert_eq!(
            e,
            vec![format!(
                "metadata.labels: Invalid value: \"{}\": must be no more than 63 characters",
                "v".repeat(100)
            )]
        );
    }

    #[test]
    fn generate_name_owner_references_and_finalizers() {
        let e = errs(
            ("ConfigMap", ""),
            json!({"metadata": {"name": "ok-abcde", "generateName": "Bad-", "namespace": "d"}}),
        );
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("metadata.generateName: Invalid value: \"Bad-\": a lowercase RFC 1123"), "{e:?}");
        assert!(errs(
            ("ConfigMap", ""),
            json!({"metadata": {"name": "web-x1", "generateName": "web-", "namespace": "d"}})
        )
        .is_empty());
        let e = errs(
            ("ConfigMap", ""),
            json!({"metadata": {"name": "c", "namespace": "d", "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": "a", "uid": "1", "controller": true},
            {"apiVersion": "apps/", "kind": "", "name": "", "uid": "", "controller": true}]}}),
        );
        let fields: Vec<&str> = e.iter().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(
            fields,
            [
                "metadata.ownerReferences.apiVersion",
                "metadata.ownerReferences.kind",
                "metadata.ownerReferences.name",
                "metadata.ownerReferences.uid",
                "metadata.ownerReferences"
            ]
        );
        assert!(e[4].contains("Found \"true\" in references for Deployment/a and /"), "{e:?}");
        let e = errs(
            ("ConfigMap", ""),
            json!({"metadata": {"name": "c", "namespace": "d",
            "finalizers": ["example.com/x", "bad finalizer", "orphan", "foregroundDeletion"]}}),
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("metadata.finalizers: Invalid value: \"bad finalizer\""));
        assert!(e[1].ends_with("finalizer orphan and foregroundDeletion cannot be both set"));
    }

    #[test]
    fn selectors() {
        let sel = json!({"matchLabels": {"app": "a"}, "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["web", "api"]}, {"key": "canary", "operator": "DoesNotExist"}]});
        assert!(selector_matches(&sel, Some(&json!({"app": "a", "tier": "web"}))));
        assert!(!selector_matches(&sel, Some(&json!({"app": "a", "tier": "db"}))));
        assert!(!selector_matches(&sel, Some(&json!({"app": "a", "tier": "web", "canary": "1"}))));
        assert!(label_selector(&sel, "spec.selector").is_empty());
        let bad = json!({"matchExpressions": [{"key": "k", "operator": "In"}, {"key": "k", "operator": "Exists", "values": ["x"]},
            {"key": "k", "operator": "Near"}]});
        let e: Vec<String> = label_selector(&bad, "spec.selector").iter().map(FieldError::line).collect();
        assert_eq!(e, [
            "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            "spec.selector.matchExpressions[2].operator: Invalid value: \"Near\": not a valid selector operator",
        ]);
    }
}
