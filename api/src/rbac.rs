//! RBAC over kube's types: label selector matching and ClusterRole aggregation (what kube-controller-manager's
//! `clusterrole-aggregation` controller computes). Shared by the API server's bootstrap policy, which writes
//! aggregated roles already filled in, and garden-controller-manager's aggregation controller, which keeps them
//! filled in.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

/// Whether `labels` carry every `match_labels` entry and satisfy every requirement (`In`, `NotIn`, `Exists`,
/// `DoesNotExist`). No requirements at all match everything. An unknown operator is an error.
pub fn labels_match(
    match_labels: &BTreeMap<String, String>,
    match_expressions: &[LabelSelectorRequirement],
    labels: &BTreeMap<String, String>,
) -> Result<bool, String> {
    if !match_labels.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return Ok(false);
    }
    for req in match_expressions {
        let value = labels.get(&req.key);
        let values = req.values.as_deref().unwrap_or_default();
        let holds = match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            other => return Err(format!("unknown label selector operator {other:?} for key {:?}", req.key)),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

/// [`labels_match`] for a `LabelSelector`.
pub fn selector_matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> Result<bool, String> {
    let no_labels = BTreeMap::new();
    labels_match(
        selector.match_labels.as_ref().unwrap_or(&no_labels),
        selector.match_expressions.as_deref().unwrap_or_default(),
        labels,
    )
}

/// What one aggregation pass found: roles whose rules must change (name, new rules) and roles whose
/// selectors are invalid (name, reason).
pub type Aggregation = (Vec<(String, Vec<PolicyRule>)>, Vec<(String, String)>);

/// One pass of ClusterRole aggregation: for every role with an `aggregationRule`, the rules of all other roles
/// one of its selectors matches, in name order, duplicates dropped. Returns the roles whose rules differ from
/// that, with their new rules, and the roles whose selectors are invalid, with the reason. Chains (A aggregates
/// B, which aggregates C) need one pass per link.
pub fn aggregate_cluster_roles(roles: &[&ClusterRole]) -> Aggregation {
    let name = |r: &ClusterRole| r.metadata.name.clone().unwrap_or_default();
    let mut by_name: Vec<&ClusterRole> = roles.to_vec();
    by_name.sort_by_key(|r| name(r));
    let (mut changed, mut invalid) = (Vec::new(), Vec::new());
    let no_labels = BTreeMap::new();
    'roles: for role in &by_name {
        let Some(rule) = role.aggregation_rule.as_ref() else { continue };
        let selectors = rule.cluster_role_selectors.as_deref().unwrap_or_default();
        let mut rules: Vec<PolicyRule> = Vec::new();
        for other in by_name.iter().filter(|o| name(o) != name(role)) {
            let labels = other.metadata.labels.as_ref().unwrap_or(&no_labels);
            let mut matched = false;
            for s in selectors {
                match selector_matches(s, labels) {
                    Ok(m) => matched |= m,
                    Err(e) => {
                        invalid.push((name(role), e));
                        continue 'roles;
                    }
                }
            }
            if matched {
                for r in other.rules.iter().flatten() {
                    if !rules.contains(r) {
                        rules.push(r.clone());
                    }
                }
            }
        }
        if role.rules.as_deref().unwrap_or_default() != rules.as_slice() {
            changed.push((name(role), rules));
        }
    }
    (changed, invalid)
}

/// Aggregates `roles` in place until nothing changes (at most one pass per role, enough for any chain).
pub fn aggregate_cluster_roles_fully(roles: &mut [ClusterRole]) {
    for _ in 0..=roles.len() {
        let (changed, _) = aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>());
        if changed.is_empty() {
            return;
        }
        for (name, rules) in changed {
            if let Some(r) = roles.iter_mut().find(|r| r.metadata.name.as_deref() == Some(name.as_str())) {
                r.rules = Some(rules);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::rbac::v1::AggregationRule;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn role(name: &str, labels: &[(&str, &str)], rules: &[&str]) -> ClusterRole {
        ClusterRole {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                ..Default::default()
            },
            rules: Some(rules.iter().map(|r| rule(r)).collect()),
            aggregation_rule: None,
        }
    }

    fn rule(resource: &str) -> PolicyRule {
        PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec![resource.into()]),
            verbs: vec!["get".into()],
            ..Default::default()
        }
    }

    fn aggregated(name: &str, labels: &[(&str, &str)], selectors: Vec<LabelSelector>) -> ClusterRole {
        ClusterRole {
            aggregation_rule: Some(AggregationRule { cluster_role_selectors: Some(selectors) }),
            rules: None,
            ..role(name, labels, &[])
        }
    }

    fn match_labels(k: &str, v: &str) -> LabelSelector {
        LabelSelector { match_labels: Some(BTreeMap::from([(k.into(), v.into())])), match_expressions: None }
    }

    fn expression(key: &str, operator: &str, values: &[&str]) -> LabelSelector {
        LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: key.into(),
                operator: operator.into(),
                values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
            }]),
        }
    }

    fn resources(rules: &[PolicyRule]) -> Vec<String> {
        rules.iter().flat_map(|r| r.resources.clone().unwrap_or_default()).collect()
    }

    #[test]
    fn selector_operators() {
        let labels = BTreeMap::from([("team".to_string(), "a".to_string())]);
        let m = |s: &LabelSelector| selector_matches(s, &labels);
        assert_eq!(m(&expression("team", "In", &["a", "b"])), Ok(true));
        assert_eq!(m(&expression("team", "NotIn", &["a"])), Ok(false));
        assert_eq!(m(&expression("other", "NotIn", &["a"])), Ok(true));
        assert_eq!(m(&expression("team", "Exists", &[])), Ok(true));
        assert_eq!(m(&expression("team", "DoesNotExist", &[])), Ok(false));
        assert_eq!(m(&LabelSelector::default()), Ok(true), "an empty selector matches everything");
        assert!(m(&expression("team", "Sometimes", &[])).unwrap_err().contains("Sometimes"));
        assert_eq!(m(&match_labels("team", "b")), Ok(false));
    }

    #[test]
    fn rules_of_matching_roles_in_name_order_without_duplicates() {
        let roles = [
            aggregated("monitoring", &[], vec![match_labels("aggregate-to-monitoring", "true")]),
            role("b-part", &[("aggregate-to-monitoring", "true")], &["pods", "services"]),
            role("a-part", &[("aggregate-to-monitoring", "true")], &["services", "nodes"]),
            role("unrelated", &[("aggregate-to-monitoring", "false")], &["secrets"]),
        ];
        let (changed, invalid) = aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>());
        assert!(invalid.is_empty());
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].0, "monitoring");
        assert_eq!(resources(&changed[0].1), ["services", "nodes", "pods"]);
    }

    #[test]
    fn chains_settle_one_link_per_pass_and_settled_roles_are_left_alone() {
        let mut roles = vec![
            aggregated("top", &[], vec![match_labels("to-top", "true")]),
            aggregated("middle", &[("to-top", "true")], vec![match_labels("to-middle", "true")]),
            role("leaf", &[("to-middle", "true")], &["configmaps"]),
        ];
        let (first, _) = aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>());
        assert_eq!(first.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["middle"], "top still sees nothing");
        aggregate_cluster_roles_fully(&mut roles);
        assert_eq!(resources(roles[0].rules.as_deref().unwrap()), ["configmaps"]);
        assert!(aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>()).0.is_empty(), "settled");
    }

    #[test]
    fn a_role_never_aggregates_itself_and_its_old_rules_are_replaced() {
        let roles = [
            ClusterRole {
                rules: Some(vec![rule("own")]),
                ..aggregated("agg", &[("team", "a")], vec![expression("team", "In", &["a", "b"])])
            },
            role("team-b", &[("team", "b")], &["leases"]),
            role("team-c", &[("team", "c")], &["secrets"]),
        ];
        let (changed, _) = aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>());
        assert_eq!(resources(&changed[0].1), ["leases"]);
    }

    #[test]
    fn invalid_selectors_leave_the_role_alone_and_are_reported() {
        let roles = [
            aggregated("agg", &[], vec![expression("team", "Sometimes", &[])]),
            role("x", &[("team", "a")], &["pods"]),
        ];
        let (changed, invalid) = aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>());
        assert!(changed.is_empty());
        assert_eq!(invalid.len(), 1);
        assert_eq!(invalid[0].0, "agg");
    }
}
