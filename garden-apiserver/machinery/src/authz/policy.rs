//! Building blocks of a bootstrap RBAC policy (the ClusterRoles and bindings a server creates at startup when
//! absent, see `serve`), and kube's reconciliation of a bootstrap ClusterRole that exists already. Every bootstrap
//! object is labelled `kubernetes.io/bootstrapping: rbac-defaults` and annotated
//! `rbac.authorization.kubernetes.io/autoupdate: "true"`. The policies themselves live with the kinds they grant:
//! kube's in `kube-registry`, Gardener's in `garden-apiserver`.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::escalation::RBAC_GROUP;

pub const READ: &[&str] = &["get", "list", "watch"];
pub const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
pub const ALL: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A rule granting `verbs` on `resources` of `groups`.
pub fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..Default::default()
    }
}

/// A rule granting `verbs` on non-resource URLs.
pub fn url_rule(urls: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule { non_resource_urls: Some(strings(urls)), verbs: strings(verbs), ..Default::default() }
}

/// The metadata of a bootstrap object: its label and autoupdate annotation.
pub fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(BTreeMap::from([("kubernetes.io/bootstrapping".to_string(), "rbac-defaults".to_string())])),
        annotations: Some(BTreeMap::from([(
            "rbac.authorization.kubernetes.io/autoupdate".to_string(),
            "true".to_string(),
        )])),
        ..Default::default()
    }
}

pub fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> ClusterRole {
    ClusterRole { metadata: meta(name), rules: Some(rules), aggregation_rule: None }
}

/// `role` with `label: "true"` added, so the roles selecting that label aggregate it.
pub fn labelled(mut role: ClusterRole, label: &str) -> ClusterRole {
    role.metadata.labels.get_or_insert_with(Default::default).insert(label.to_string(), "true".to_string());
    role
}

/// A role whose rules are the aggregate of the roles labelled `label: "true"` (filled in by
/// `garden_api::rbac::aggregate_cluster_roles_fully` where no aggregation controller runs).
pub fn aggregated_role(name: &str, label: &str) -> ClusterRole {
    let selector = LabelSelector {
        match_labels: Some(BTreeMap::from([(label.to_string(), "true".to_string())])),
        match_expressions: None,
    };
    ClusterRole {
        metadata: meta(name),
        rules: None,
        aggregation_rule: Some(AggregationRule { cluster_role_selectors: Some(vec![selector]) }),
    }
}

/// A bootstrap ClusterRoleBinding of `role` to `groups`.
pub fn binding(name: &str, role: &str, groups: &[&str]) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata: meta(name),
        role_ref: RoleRef {
            api_group: RBAC_GROUP.to_string(),
            kind: "ClusterRole".to_string(),
            name: role.to_string(),
        },
        subjects: Some(
            groups
                .iter()
                .map(|g| Subject {
                    api_group: Some(RBAC_GROUP.to_string()),
                    kind: "Group".to_string(),
                    name: g.to_string(),
                    namespace: None,
                })
                .collect(),
        ),
    }
}

/// kube's reconciliation of a bootstrap ClusterRole that exists already (at every start): unless its
/// `rbac.authorization.kubernetes.io/autoupdate` annotation says `"false"`, missing labels and annotations are
/// added, an aggregation rule gets the bootstrap selectors it lacks, and a role without one gets the bootstrap
/// rules it lacks (nothing is removed). Aggregated rules are left to the aggregation controller, unless the
/// role gained its aggregation rule just now: then it is filled like a fresh one. None: nothing to change.
pub fn reconcile_cluster_role(existing: &ClusterRole, desired: &ClusterRole) -> Option<ClusterRole> {
    let annotations = existing.metadata.annotations.clone().unwrap_or_default();
    if annotations.get("rbac.authorization.kubernetes.io/autoupdate").map(String::as_str) == Some("false") {
        return None;
    }
    let mut out = existing.clone();
    for (field, want) in [
        (&mut out.metadata.labels, &desired.metadata.labels),
        (&mut out.metadata.annotations, &desired.metadata.annotations),
    ] {
        let have = field.get_or_insert_with(Default::default);
        for (k, v) in want.iter().flatten() {
            have.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    match (&mut out.aggregation_rule, &desired.aggregation_rule) {
        (Some(have), Some(want)) => {
            let selectors = have.cluster_role_selectors.get_or_insert_with(Vec::new);
            for s in want.cluster_role_selectors.iter().flatten() {
                if !selectors.contains(s) {
                    selectors.push(s.clone());
                }
            }
        }
        (None, Some(want)) => {
            out.aggregation_rule = Some(want.clone());
            out.rules = desired.rules.clone();
        }
        (_, None) => {
            let rules = out.rules.get_or_insert_with(Vec::new);
            for r in desired.rules.iter().flatten() {
                if !rules.contains(r) {
                    rules.push(r.clone());
                }
            }
        }
    }
    (out != *existing).then_some(out)
}
