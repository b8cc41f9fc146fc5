//! ClusterRole aggregation (kube-controller-manager's `clusterrole-aggregation` controller): a ClusterRole
//! with an `aggregationRule` gets, as its `rules`, the rules of every other ClusterRole one of its
//! `clusterRoleSelectors` matches, taken in name order with duplicates dropped. The authorizer reads only
//! `rules`, so this is what makes aggregated roles grant anything: Gardener's project extension roles
//! (`gardener.cloud:extension:project:<project>:<role>`, which the project controller creates with an
//! aggregation rule only) and any aggregated ClusterRole a user creates. Chains (A aggregates B, which
//! aggregates C) settle because every update of a role is a watch event that triggers the next pass.
//!
//! The bootstrap roles (admin, edit, view, Gardener's project roles) are written flat by the API server and
//! carry no aggregation rule, so labels do not extend them.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use kube::api::{Api, Patch, PatchParams};
use kube::core::{Selector, SelectorExt};
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kube::{Client, ResourceExt};
use serde_json::json;
use tracing::{info, warn};

/// The rules each aggregated role should have, for those whose current rules differ. A role whose
/// selectors cannot be parsed is left alone (and reported).
pub fn aggregate(roles: &[Arc<ClusterRole>]) -> Vec<(String, Vec<PolicyRule>)> {
    let mut by_name: Vec<&ClusterRole> = roles.iter().map(Arc::as_ref).collect();
    by_name.sort_by_key(|r| r.name_any());
    let mut out = Vec::new();
    for role in &by_name {
        let Some(rule) = role.aggregation_rule.as_ref() else { continue };
        let name = role.name_any();
        let selectors: Result<Vec<Selector>, _> =
            rule.cluster_role_selectors.iter().flatten().cloned().map(Selector::try_from).collect();
        let selectors = match selectors {
            Ok(s) => s,
            Err(e) => {
                warn!(clusterrole = %name, error = %e, "aggregation rule has an invalid selector");
                continue;
            }
        };
        let mut rules: Vec<PolicyRule> = Vec::new();
        let no_labels = BTreeMap::new();
        for other in by_name.iter().filter(|o| o.name_any() != name) {
            let labels = other.metadata.labels.as_ref().unwrap_or(&no_labels);
            if !selectors.iter().any(|s| s.matches(labels)) {
                continue;
            }
            for r in other.rules.iter().flatten() {
                if !rules.contains(r) {
                    rules.push(r.clone());
                }
            }
        }
        if role.rules.as_deref().unwrap_or_default() != rules.as_slice() {
            out.push((name, rules));
        }
    }
    out
}

/// Keeps aggregated ClusterRoles up to date until `shutdown` resolves.
pub async fn run(client: Client, shutdown: impl std::future::Future<Output = ()>) {
    let api: Api<ClusterRole> = Api::all(client);
    let (reader, writer) = reflector::store();
    let events =
        reflector(writer, watcher(api.clone(), watcher::Config::default())).default_backoff().touched_objects();
    tokio::pin!(shutdown);
    tokio::pin!(events);
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    warn!(error = %e, "clusterrole watch failed");
                    continue;
                }
                None => return,
            },
            () = &mut shutdown => return,
        }
        // Everything that arrived together is one pass.
        while let Some(Some(Ok(_))) = futures::FutureExt::now_or_never(events.next()) {}
        for (name, rules) in aggregate(&reader.state()) {
            let patch = json!({"rules": rules});
            match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => info!(clusterrole = %name, rules = rules.len(), "aggregated clusterrole rules"),
                Err(e) => warn!(clusterrole = %name, error = %e, "failed to update aggregated clusterrole"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::rbac::v1::AggregationRule;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};

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

    fn resources(rules: &[PolicyRule]) -> Vec<String> {
        rules.iter().flat_map(|r| r.resources.clone().unwrap_or_default()).collect()
    }

    #[test]
    fn rules_of_matching_roles_in_name_order_without_duplicates() {
        let roles: Vec<Arc<ClusterRole>> = [
            aggregated("monitoring", &[], vec![match_labels("aggregate-to-monitoring", "true")]),
            role("b-part", &[("aggregate-to-monitoring", "true")], &["pods", "services"]),
            role("a-part", &[("aggregate-to-monitoring", "true")], &["services", "nodes"]),
            role("unrelated", &[("aggregate-to-monitoring", "false")], &["secrets"]),
        ]
        .into_iter()
        .map(Arc::new)
        .collect();
        let out = aggregate(&roles);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, "monitoring");
        assert_eq!(resources(&out[0].1), ["services", "nodes", "pods"]);
    }

    #[test]
    fn up_to_date_roles_are_not_rewritten_and_chains_settle_in_passes() {
        let mut top = aggregated("top", &[], vec![match_labels("to-top", "true")]);
        let mut middle = aggregated("middle", &[("to-top", "true")], vec![match_labels("to-middle", "true")]);
        let leaf = role("leaf", &[("to-middle", "true")], &["configmaps"]);
        let pass =
            |roles: &[&ClusterRole]| aggregate(&roles.iter().map(|r| Arc::new((*r).clone())).collect::<Vec<_>>());
        // First pass: the middle role takes the leaf's rules; the top one sees the middle's (still empty) rules.
        let first = pass(&[&top, &middle, &leaf]);
        assert_eq!(first.len(), 1, "{first:?}");
        middle.rules = Some(first[0].1.clone());
        // Second pass (the middle role's update is a watch event): the top role follows.
        let second = pass(&[&top, &middle, &leaf]);
        assert_eq!(second.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["top"]);
        top.rules = Some(second[0].1.clone());
        assert!(pass(&[&top, &middle, &leaf]).is_empty(), "settled");
        assert_eq!(resources(top.rules.as_deref().unwrap()), ["configmaps"]);
    }

    #[test]
    fn expressions_select_and_a_role_never_aggregates_itself() {
        let selector = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "team".into(),
                operator: "In".into(),
                values: Some(vec!["a".into(), "b".into()]),
            }]),
        };
        let roles: Vec<Arc<ClusterRole>> = [
            ClusterRole { rules: Some(vec![rule("own")]), ..aggregated("agg", &[("team", "a")], vec![selector]) },
            role("team-b", &[("team", "b")], &["leases"]),
            role("team-c", &[("team", "c")], &["secrets"]),
        ]
        .into_iter()
        .map(Arc::new)
        .collect();
        let out = aggregate(&roles);
        assert_eq!(resources(&out[0].1), ["leases"], "its own old rules are replaced, not kept");
    }

    #[test]
    fn invalid_selectors_leave_the_role_alone() {
        let bad = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "team".into(),
                operator: "Sometimes".into(),
                values: None,
            }]),
        };
        let roles = vec![Arc::new(aggregated("agg", &[], vec![bad])), Arc::new(role("x", &[("team", "a")], &["pods"]))];
        assert!(aggregate(&roles).is_empty());
    }
}
