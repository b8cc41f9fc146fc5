//! Gardener's bootstrap RBAC policy: the user-facing ClusterRoles of a garden (`gardener.cloud:admin`,
//! `gardener.cloud:viewer`, the aggregated `gardener.cloud:system:project-member` and `-viewer` selecting
//! `rbac.gardener.cloud/aggregate-to-project-*` with their built-in rules in `...-aggregation` parts, ...) and
//! their bindings, plus what only a shoot's API server has (the node bootstrapper role of the machine controller's
//! bootstrap tokens, and the `view` binding of viewer kubeconfigs). kube's own defaults come from `kube-registry`.
//!
//! Simplifications: the rules are limited to the resources served here;
//! `gardener.cloud:system:project-serviceaccountmanager` is written flat.
//! Deviation from Gardener: `gardener.cloud:system:project-creation` is bound to
//! `system:authenticated` here (Gardener leaves that binding to the operator).

use api_machinery::authz::escalation::RBAC_GROUP;
use api_machinery::authz::policy::{aggregated_role, binding, cluster_role, labelled, rule, ALL, READ};
use api_machinery::authz::SYSTEM_AUTHENTICATED;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule};

/// Gardener's core API group.
pub const GARDENER_CORE: &str = "core.gardener.cloud";
/// Gardener's security API group (credentialsbindings, workloadidentities).
pub const GARDENER_SECURITY: &str = "security.gardener.cloud";

const AGGREGATE_TO_PROJECT_MEMBER: &str = "rbac.gardener.cloud/aggregate-to-project-member";
const AGGREGATE_TO_PROJECT_VIEWER: &str = "rbac.gardener.cloud/aggregate-to-project-viewer";

/// The group viewer kubeconfigs carry; shoot API servers bind it to the `view` ClusterRole (Gardener's name).
pub const SHOOT_VIEWERS_GROUP: &str = "gardener.cloud:system:viewers";

/// Gardener's `gardener.cloud:system:project-member-aggregation` rules.
fn project_member_rules() -> Vec<PolicyRule> {
    vec![
        rule(&[""], &["secrets", "configmaps"], ALL),
        rule(&[""], &["events", "resourcequotas", "serviceaccounts"], READ),
        rule(&["events.k8s.io"], &["events"], READ),
        rule(&[GARDENER_CORE], &["shoots", "secretbindings", "quotas"], ALL),
        rule(&[GARDENER_CORE], &["backupentries"], READ),
        rule(&[GARDENER_SECURITY], &["credentialsbindings", "workloadidentities"], ALL),
        rule(&["settings.gardener.cloud"], &["openidconnectpresets"], ALL),
        rule(&["operations.gardener.cloud"], &["bastions"], ALL),
        rule(&[RBAC_GROUP], &["roles", "rolebindings"], ALL),
        rule(&[GARDENER_CORE], &["shoots/adminkubeconfig", "shoots/viewerkubeconfig"], &["create"]),
        rule(
            &[GARDENER_CORE],
            &["namespacedcloudprofiles"],
            &["get", "list", "watch", "create", "patch", "update", "delete"],
        ),
    ]
}

/// Gardener's `gardener.cloud:system:project-viewer-aggregation` rules.
fn project_viewer_rules() -> Vec<PolicyRule> {
    vec![
        rule(&[""], &["events", "configmaps", "resourcequotas", "serviceaccounts"], READ),
        rule(&["events.k8s.io"], &["events"], READ),
        rule(
            &[GARDENER_CORE],
            &["shoots", "secretbindings", "quotas", "namespacedcloudprofiles", "backupentries"],
            READ,
        ),
        rule(&[GARDENER_SECURITY], &["credentialsbindings"], READ),
        rule(&["settings.gardener.cloud"], &["openidconnectpresets"], READ),
        rule(&["operations.gardener.cloud"], &["bastions"], READ),
        rule(&[RBAC_GROUP], &["roles", "rolebindings"], READ),
        rule(&[GARDENER_CORE], &["shoots/viewerkubeconfig"], &["create"]),
    ]
}

/// Gardener's `gardener.cloud:admin`: everything on the Gardener groups plus the kube resources
/// a landscape operator manages.
fn gardener_admin_rules() -> Vec<PolicyRule> {
    vec![
        rule(
            &[
                GARDENER_CORE,
                "seedmanagement.gardener.cloud",
                "dashboard.gardener.cloud",
                "settings.gardener.cloud",
                "operations.gardener.cloud",
            ],
            &["*"],
            &["*"],
        ),
        rule(&[GARDENER_SECURITY], &["credentialsbindings", "workloadidentities"], &["*"]),
        rule(&[""], &["events", "namespaces", "resourcequotas"], &["*"]),
        rule(&["events.k8s.io"], &["events"], &["*"]),
        rule(&[RBAC_GROUP], &["clusterroles", "clusterrolebindings", "roles", "rolebindings"], &["*"]),
        rule(
            &["admissionregistration.k8s.io"],
            &["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
            &["*"],
        ),
        rule(&["apiregistration.k8s.io"], &["apiservices"], &["*"]),
        rule(&["apiextensions.k8s.io"], &["customresourcedefinitions"], &["*"]),
        rule(&["coordination.k8s.io"], &["leases"], &["*"]),
        rule(&["certificates.k8s.io"], &["certificatesigningrequests"], &["*"]),
    ]
}

/// Gardener's `gardener.cloud:viewer`: read access to the landscape.
fn gardener_viewer_rules() -> Vec<PolicyRule> {
    vec![
        rule(
            &[GARDENER_CORE],
            &[
                "backupbuckets",
                "backupentries",
                "cloudprofiles",
                "namespacedcloudprofiles",
                "controllerinstallations",
                "quotas",
                "projects",
                "seeds",
                "shoots",
            ],
            READ,
        ),
        rule(&[GARDENER_SECURITY], &["credentialsbindings"], READ),
        rule(
            &[
                "seedmanagement.gardener.cloud",
                "dashboard.gardener.cloud",
                "settings.gardener.cloud",
                "operations.gardener.cloud",
            ],
            &["*"],
            READ,
        ),
        rule(&[""], &["events", "namespaces", "resourcequotas"], READ),
        rule(&["events.k8s.io"], &["events"], READ),
        rule(&[RBAC_GROUP], &["clusterroles", "clusterrolebindings", "roles", "rolebindings"], READ),
        rule(&["coordination.k8s.io"], &["leases"], READ),
    ]
}

/// Gardener's ClusterRoles of a garden, aggregated ones filled in.
pub fn cluster_roles() -> Vec<ClusterRole> {
    let mut roles = vec![
        cluster_role("gardener.cloud:admin", gardener_admin_rules()),
        cluster_role("gardener.cloud:viewer", gardener_viewer_rules()),
        aggregated_role("gardener.cloud:system:project-member", AGGREGATE_TO_PROJECT_MEMBER),
        labelled(
            cluster_role("gardener.cloud:system:project-member-aggregation", project_member_rules()),
            AGGREGATE_TO_PROJECT_MEMBER,
        ),
        aggregated_role("gardener.cloud:system:project-viewer", AGGREGATE_TO_PROJECT_VIEWER),
        labelled(
            cluster_role("gardener.cloud:system:project-viewer-aggregation", project_viewer_rules()),
            AGGREGATE_TO_PROJECT_VIEWER,
        ),
        cluster_role(
            "gardener.cloud:system:project-serviceaccountmanager",
            vec![rule(&[""], &["serviceaccounts"], ALL), rule(&[""], &["serviceaccounts/token"], &["create"])],
        ),
        cluster_role(
            "gardener.cloud:system:read-global-resources",
            vec![rule(&[GARDENER_CORE], &["cloudprofiles", "exposureclasses", "seeds"], READ)],
        ),
        cluster_role(
            "gardener.cloud:system:project-creation",
            vec![rule(&[GARDENER_CORE], &["projects"], &["create"])],
        ),
    ];
    garden_api::rbac::aggregate_cluster_roles_fully(&mut roles);
    roles
}

/// Gardener's ClusterRoleBindings of a garden (each named like its role).
pub fn cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    vec![
        binding(
            "gardener.cloud:system:read-global-resources",
            "gardener.cloud:system:read-global-resources",
            &[SYSTEM_AUTHENTICATED],
        ),
        binding(
            "gardener.cloud:system:project-creation",
            "gardener.cloud:system:project-creation",
            &[SYSTEM_AUTHENTICATED],
        ),
    ]
}

/// Gardener's ClusterRoles and ClusterRoleBindings of a garden (not the shoot-only ones) as multi-document YAML:
/// what a garden whose RBAC lives in a real kube-apiserver needs applied there (the `garden-controlplane` chart
/// ships exactly this, `charts/garden-controlplane/files/gardener-rbac.yaml`, checked by a test).
pub fn gardener_rbac_yaml() -> String {
    let header = "# Generated by `garden-apiserver gardener-rbac` from garden-apiserver/src/rbac.rs: do not edit.\n";
    let roles = cluster_roles().into_iter().map(|r| serde_yaml::to_string(&r));
    let bindings = cluster_role_bindings().into_iter().map(|b| serde_yaml::to_string(&b));
    let docs: Vec<String> = roles.chain(bindings).map(Result::unwrap_or_default).collect();
    format!("{header}{}", docs.join("---\n"))
}

/// The ClusterRole of node agents that authenticate with a bootstrap token (shoot profile only: only shoot API
/// servers serve nodes). Gardener's nodes get their own identities after bootstrapping; the local provider's
/// node agents keep the bootstrap token, so the role grants what a kubelet's node heartbeats need.
pub const NODE_BOOTSTRAPPER_ROLE: &str = "gardener.cloud:system:node-bootstrapper";
/// The bootstrap token group of the tokens the machine controller hands its machines.
pub const MACHINE_CONTROLLER_BOOTSTRAPPERS: &str = "system:bootstrappers:machine-controller";

/// ClusterRoles only a shoot cluster's API server has (beside [`cluster_roles`]).
pub fn shoot_cluster_roles() -> Vec<ClusterRole> {
    vec![cluster_role(
        NODE_BOOTSTRAPPER_ROLE,
        vec![
            rule(&[""], &["nodes"], &["create", "get", "list", "watch", "update", "patch"]),
            rule(&[""], &["nodes/status"], &["patch", "update"]),
            rule(&["coordination.k8s.io"], &["leases"], &["create", "get", "update", "patch"]),
            rule(&[""], &["events"], &["create", "patch"]),
            rule(&["events.k8s.io"], &["events"], &["create", "patch"]),
        ],
    )]
}

/// ClusterRoleBindings only a shoot cluster's API server has (beside [`cluster_role_bindings`]).
pub fn shoot_cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    vec![binding(NODE_BOOTSTRAPPER_ROLE, NODE_BOOTSTRAPPER_ROLE, &[MACHINE_CONTROLLER_BOOTSTRAPPERS])]
}

/// The binding of viewer kubeconfigs (`shoots/viewerkubeconfig`, group [`SHOOT_VIEWERS_GROUP`]) to read-only
/// access in a shoot's API server.
pub fn shoot_viewers_binding() -> ClusterRoleBinding {
    binding(SHOOT_VIEWERS_GROUP, "view", &[SHOOT_VIEWERS_GROUP])
}

#[cfg(test)]
mod chart_tests {
    #[test]
    fn the_control_plane_chart_ships_the_current_gardener_rbac() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../charts/garden-controlplane/files/gardener-rbac.yaml");
        let shipped = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            shipped == super::gardener_rbac_yaml(),
            "{path} is not what `garden-apiserver gardener-rbac` prints now: regenerate it with\n  \
             cargo run -p garden-apiserver -- gardener-rbac > charts/garden-controlplane/files/gardener-rbac.yaml"
        );
        assert!(shipped.contains("name: gardener.cloud:system:project-member\n"));
    }
}

#[cfg(test)]
mod tests {
    use api_machinery::authz::rbac::testing::{assert_bootstrap_policy, can, policy_source, subject, user, FakeSource};
    use api_machinery::authz::rbac::RbacAuthorizer;
    use api_machinery::authz::{Authorizer, Decision, RequestAttributes, UserInfo};

    use super::*;

    /// kube's and Gardener's bootstrap policy together, as a garden has them.
    fn roles() -> Vec<ClusterRole> {
        let mut roles = kube_registry::bootstrap::cluster_roles();
        roles.extend(cluster_roles());
        roles
    }

    fn bootstrap_source() -> FakeSource {
        let mut bindings = kube_registry::bootstrap::cluster_role_bindings();
        bindings.extend(cluster_role_bindings());
        policy_source(roles(), bindings)
    }

    #[test]
    fn the_policy_is_whole_with_kube_defaults() {
        let mut roles = roles();
        roles.extend(shoot_cluster_roles());
        let mut bindings = cluster_role_bindings();
        bindings.extend(shoot_cluster_role_bindings());
        bindings.push(shoot_viewers_binding());
        assert_bootstrap_policy(&roles, &bindings);
    }

    #[test]
    fn authenticated_users_get_discovery_and_global_reads() {
        let a = RbacAuthorizer::new(bootstrap_source());
        let u = user("nobody", &[]);
        let get = |p: &str| a.authorize(&RequestAttributes::non_resource(&u, "get", p)) == Decision::Allow;
        assert!(get("/apis/core.gardener.cloud/v1beta1") && get("/version") && get("/healthz") && get("/openapi/v3"));
        assert!(!get("/metrics"));
        assert!(can(&a, &u, "list", GARDENER_CORE, "cloudprofiles", "", ""));
        assert!(can(&a, &u, "create", GARDENER_CORE, "projects", "", ""));
        assert!(can(&a, &u, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", ""));
        assert!(!can(&a, &u, "list", GARDENER_CORE, "shoots", "", "garden-a"));
        assert!(!can(&a, &u, "delete", GARDENER_CORE, "projects", "", ""));
        let anon = UserInfo {
            name: "system:anonymous".into(),
            uid: String::new(),
            groups: vec!["system:unauthenticated".into()],
        };
        let anon_get = |p: &str| a.authorize(&RequestAttributes::non_resource(&anon, "get", p)) == Decision::Allow;
        assert!(anon_get("/healthz") && !anon_get("/apis"));
    }

    #[test]
    fn aggregated_roles_are_written_filled_in_and_settled() {
        let roles = roles();
        let rules_of = |name: &str| {
            roles.iter().find(|r| r.metadata.name.as_deref() == Some(name)).and_then(|r| r.rules.clone()).unwrap()
        };
        assert_eq!(rules_of("gardener.cloud:system:project-member"), project_member_rules());
        assert_eq!(rules_of("gardener.cloud:system:project-viewer"), project_viewer_rules());
        // The aggregation controller would change nothing.
        let (changed, invalid) = garden_api::rbac::aggregate_cluster_roles(&roles.iter().collect::<Vec<_>>());
        assert!(changed.is_empty() && invalid.is_empty(), "{changed:?} {invalid:?}");
    }

    #[test]
    fn project_roles() {
        let src = bootstrap_source()
            .rb("garden-a", "ClusterRole", "gardener.cloud:system:project-member", vec![subject("User", "alice", None)])
            .rb("garden-a", "ClusterRole", "gardener.cloud:system:project-viewer", vec![subject("User", "vera", None)]);
        let a = RbacAuthorizer::new(src);
        let alice = user("alice", &[]);
        assert!(can(&a, &alice, "create", GARDENER_CORE, "shoots", "", "garden-a"));
        assert!(can(&a, &alice, "create", GARDENER_CORE, "shoots", "adminkubeconfig", "garden-a"));
        assert!(can(&a, &alice, "get", "", "secrets", "", "garden-a"));
        assert!(can(&a, &alice, "create", GARDENER_SECURITY, "credentialsbindings", "", "garden-a"));
        assert!(!can(&a, &alice, "list", GARDENER_CORE, "shoots", "", "garden-b"));
        assert!(!can(&a, &alice, "update", GARDENER_CORE, "shoots", "status", "garden-a"));
        let vera = user("vera", &[]);
        assert!(can(&a, &vera, "list", GARDENER_CORE, "shoots", "", "garden-a"));
        assert!(can(&a, &vera, "create", GARDENER_CORE, "shoots", "viewerkubeconfig", "garden-a"));
        assert!(!can(&a, &vera, "create", GARDENER_CORE, "shoots", "adminkubeconfig", "garden-a"));
        assert!(!can(&a, &vera, "get", "", "secrets", "", "garden-a"));
        assert!(!can(&a, &vera, "delete", GARDENER_CORE, "shoots", "", "garden-a"));
    }

    #[test]
    fn machine_controller_bootstrap_tokens_run_node_agents_in_shoots() {
        let mut src = bootstrap_source();
        for r in shoot_cluster_roles() {
            src.cluster_roles.insert(r.metadata.name.clone().unwrap_or_default(), r);
        }
        src.crbs.extend(shoot_cluster_role_bindings());
        for b in shoot_cluster_role_bindings() {
            assert!(src.cluster_roles.contains_key(&b.role_ref.name), "{}", b.role_ref.name);
        }
        let a = RbacAuthorizer::new(src);
        let node = user("system:bootstrap:abcdef", &["system:bootstrappers", MACHINE_CONTROLLER_BOOTSTRAPPERS]);
        for verb in ["create", "get", "list", "watch", "update", "patch"] {
            assert!(can(&a, &node, verb, "", "nodes", "", ""), "{verb} nodes");
        }
        assert!(
            can(&a, &node, "patch", "", "nodes", "status", "") && can(&a, &node, "update", "", "nodes", "status", "")
        );
        for verb in ["create", "get", "update", "patch"] {
            assert!(can(&a, &node, verb, "coordination.k8s.io", "leases", "", "kube-node-lease"), "{verb} leases");
        }
        assert!(can(&a, &node, "create", "", "events", "", "default"));
        assert!(!can(&a, &node, "delete", "", "nodes", "", ""));
        assert!(!can(&a, &node, "get", "", "secrets", "", "kube-system"));
        assert!(!can(&a, &node, "delete", "coordination.k8s.io", "leases", "", "kube-node-lease"));
        // Other bootstrap tokens get nothing of it.
        let other = user("system:bootstrap:zzzzzz", &["system:bootstrappers"]);
        assert!(!can(&a, &other, "create", "", "nodes", "", ""));
    }
}
