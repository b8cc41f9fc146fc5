//! kube's bootstrap RBAC policy for the kinds of this crate: the default ClusterRoles and bindings
//! (cluster-admin, system:discovery, system:basic-user, system:auth-delegator, system:public-info-viewer, and the
//! aggregated admin, edit and view), and the Role in kube-system that lets aggregated servers read the front
//! proxy's authentication ConfigMap. `admin`, `edit` and `view` select the `rbac.authorization.k8s.io/aggregate-to-*`
//! labels (`view` is part of `edit`, `edit` of `admin`), their built-in rules sit in `system:aggregate-to-*`, and
//! they are written already filled in, so they grant their rules where no aggregation controller runs (shoot API
//! servers). Simplification: the rules are limited to the resources served here.

use api_machinery::authz::escalation::RBAC_GROUP;
use api_machinery::authz::policy::{
    aggregated_role, binding, cluster_role, labelled, meta, rule, strings, url_rule, ALL, READ, WRITE,
};
use api_machinery::authz::{SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, SYSTEM_UNAUTHENTICATED};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role};

pub const AGGREGATE_TO_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
pub const AGGREGATE_TO_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
pub const AGGREGATE_TO_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

/// kube's `view` rules (`system:aggregate-to-view`), for the resources this server serves. No secrets.
fn view_rules() -> Vec<PolicyRule> {
    vec![
        rule(&[""], &["configmaps", "serviceaccounts", "events", "resourcequotas", "namespaces"], READ),
        rule(&["events.k8s.io"], &["events"], READ),
        rule(&["coordination.k8s.io"], &["leases"], READ),
    ]
}

/// kube's `system:aggregate-to-edit` rules: writes, secrets and service account tokens (`edit` adds `view`).
fn edit_rules() -> Vec<PolicyRule> {
    Vec::from([
        rule(&[""], &["secrets"], ALL),
        rule(&[""], &["configmaps", "serviceaccounts", "events"], WRITE),
        rule(&[""], &["serviceaccounts"], &["impersonate"]),
        rule(&[""], &["serviceaccounts/token"], &["create"]),
        rule(&["events.k8s.io"], &["events"], WRITE),
        rule(&["coordination.k8s.io"], &["leases"], WRITE),
    ])
}

/// kube's `system:aggregate-to-admin` rules: namespaced RBAC and local access reviews (`admin` adds `edit`).
fn admin_rules() -> Vec<PolicyRule> {
    vec![
        rule(&[RBAC_GROUP], &["roles", "rolebindings"], ALL),
        rule(&["authorization.k8s.io"], &["localsubjectaccessreviews"], &["create"]),
    ]
}

/// kube's bootstrap Roles in kube-system: `extension-apiserver-authentication-reader`, which aggregated servers
/// are bound to so that they can read how the front proxy authenticates.
pub fn kube_system_roles() -> Vec<Role> {
    let mut rule = rule(&[""], &["configmaps"], &["get", "list", "watch"]);
    rule.resource_names = Some(strings(&["extension-apiserver-authentication"]));
    let mut metadata = meta("extension-apiserver-authentication-reader");
    metadata.namespace = Some("kube-system".into());
    vec![Role { metadata, rules: Some(vec![rule]) }]
}

/// kube's default ClusterRoles, aggregated ones filled in.
pub fn cluster_roles() -> Vec<ClusterRole> {
    let mut roles = vec![
        cluster_role("cluster-admin", vec![rule(&["*"], &["*"], &["*"]), url_rule(&["*"], &["*"])]),
        cluster_role(
            "system:discovery",
            vec![url_rule(
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
                &["get"],
            )],
        ),
        cluster_role(
            "system:basic-user",
            vec![
                rule(&["authorization.k8s.io"], &["selfsubjectaccessreviews", "selfsubjectrulesreviews"], &["create"]),
                rule(&["authentication.k8s.io"], &["selfsubjectreviews"], &["create"]),
            ],
        ),
        cluster_role(
            "system:auth-delegator",
            vec![
                rule(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
                rule(&["authorization.k8s.io"], &["subjectaccessreviews"], &["create"]),
            ],
        ),
        cluster_role(
            "system:public-info-viewer",
            vec![url_rule(&["/healthz", "/livez", "/readyz", "/version", "/version/"], &["get"])],
        ),
        aggregated_role("admin", AGGREGATE_TO_ADMIN),
        labelled(aggregated_role("edit", AGGREGATE_TO_EDIT), AGGREGATE_TO_ADMIN),
        labelled(aggregated_role("view", AGGREGATE_TO_VIEW), AGGREGATE_TO_EDIT),
        labelled(cluster_role("system:aggregate-to-admin", admin_rules()), AGGREGATE_TO_ADMIN),
        labelled(cluster_role("system:aggregate-to-edit", edit_rules()), AGGREGATE_TO_EDIT),
        labelled(cluster_role("system:aggregate-to-view", view_rules()), AGGREGATE_TO_VIEW),
    ];
    garden_api::rbac::aggregate_cluster_roles_fully(&mut roles);
    roles
}

/// kube's default ClusterRoleBindings (each named like its role).
pub fn cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    vec![
        binding("cluster-admin", "cluster-admin", &[SYSTEM_MASTERS]),
        binding("system:discovery", "system:discovery", &[SYSTEM_AUTHENTICATED]),
        binding("system:basic-user", "system:basic-user", &[SYSTEM_AUTHENTICATED]),
        binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            &[SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use api_machinery::authz::rbac::testing::{assert_bootstrap_policy, can, policy_source, subject, user, FakeSource};
    use api_machinery::authz::rbac::RbacAuthorizer;
    use api_machinery::authz::{Authorizer, Decision, RequestAttributes};

    use super::*;

    fn bootstrap_source() -> FakeSource {
        policy_source(cluster_roles(), cluster_role_bindings())
    }

    #[test]
    fn the_policy_is_whole() {
        assert_bootstrap_policy(&cluster_roles(), &cluster_role_bindings());
    }

    #[test]
    fn aggregated_roles_are_written_filled_in_and_settled() {
        let roles = cluster_roles();
        let rules_of = |name: &str| {
            roles.iter().find(|r| r.metadata.name.as_deref() == Some(name)).and_then(|r| r.rules.clone()).unwrap()
        };
        assert_eq!(rules_of("view"), view_rules());
        assert_eq!(rules_of("edit").len(), edit_rules().len() + view_rules().len());
        assert_eq!(rules_of("admin").len(), admin_rules().len() + edit_rules().len() + view_rules().len());
        // The aggregation controller would change nothing.
        let (changed, invalid) = garden_api::rbac::aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>());
        assert!(changed.is_empty() && invalid.is_empty(), "{changed:?} {invalid:?}");
    }

    #[test]
    fn existing_bootstrap_roles_are_reconciled_without_losing_anything() {
        let roles = cluster_roles();
        let desired = |name: &str| roles.iter().find(|r| r.metadata.name.as_deref() == Some(name)).unwrap().clone();
        // Up to date: nothing to do.
        for r in &roles {
            assert_eq!(api_machinery::authz::policy::reconcile_cluster_role(r, r), None, "{:?}", r.metadata.name);
        }
        // A flat `view` from before aggregation gets its aggregation rule and label, and its rules become the
        // aggregate (as under kube, where the aggregation controller owns the rules of aggregated roles).
        let mut old_view = desired("view");
        old_view.aggregation_rule = None;
        old_view.metadata.labels.as_mut().unwrap().remove(AGGREGATE_TO_EDIT);
        let extra = api_machinery::authz::policy::rule(&["example.com"], &["widgets"], READ);
        old_view.rules.as_mut().unwrap().push(extra.clone());
        let fixed = api_machinery::authz::policy::reconcile_cluster_role(&old_view, &desired("view")).expect("update");
        assert_eq!(fixed.aggregation_rule, desired("view").aggregation_rule);
        assert_eq!(fixed.metadata.labels.as_ref().unwrap().get(AGGREGATE_TO_EDIT).map(String::as_str), Some("true"));
        assert_eq!(fixed.rules, desired("view").rules, "filled like a fresh aggregated role");
        // A flat role keeps what an operator added and gets what it lacks.
        let mut discovery = desired("system:discovery");
        discovery.rules = Some(vec![extra.clone()]);
        let fixed = api_machinery::authz::policy::reconcile_cluster_role(&discovery, &desired("system:discovery"))
            .expect("update");
        assert_eq!(fixed.rules.as_ref().unwrap()[0], extra);
        assert_eq!(fixed.rules.as_ref().unwrap().len(), 1 + desired("system:discovery").rules.unwrap().len());
        // autoupdate=false: left alone.
        discovery
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert("rbac.authorization.kubernetes.io/autoupdate".into(), "false".into());
        assert_eq!(
            api_machinery::authz::policy::reconcile_cluster_role(&discovery, &desired("system:discovery")),
            None
        );
    }

    #[test]
    fn masters_are_cluster_admins() {
        let a = RbacAuthorizer::new(bootstrap_source());
        let root = user("root", &["system:masters"]);
        assert!(can(&a, &root, "delete", "", "secrets", "", "kube-system"));
        assert!(a.authorize(&RequestAttributes::non_resource(&root, "post", "/anything")) == Decision::Allow);
    }

    #[test]
    fn kube_namespace_roles() {
        let src = bootstrap_source()
            .rb("ns", "ClusterRole", "view", vec![subject("User", "v", None)])
            .rb("ns", "ClusterRole", "edit", vec![subject("User", "e", None)])
            .rb("ns", "ClusterRole", "admin", vec![subject("User", "adm", None)]);
        let a = RbacAuthorizer::new(src);
        let (v, e, adm) = (user("v", &[]), user("e", &[]), user("adm", &[]));
        assert!(can(&a, &v, "get", "", "configmaps", "", "ns") && !can(&a, &v, "get", "", "secrets", "", "ns"));
        assert!(!can(&a, &v, "update", "", "configmaps", "", "ns"));
        assert!(
            can(&a, &e, "update", "", "secrets", "", "ns") && !can(&a, &e, "create", RBAC_GROUP, "roles", "", "ns")
        );
        assert!(can(&a, &adm, "create", RBAC_GROUP, "rolebindings", "", "ns"));
        assert!(can(&a, &adm, "delete", "coordination.k8s.io", "leases", "", "ns"));
    }
}
