//! The bootstrap RBAC policy the server creates at startup when absent and reconciles when present
//! ([`reconcile_cluster_role`], unless annotated `autoupdate: "false"`): kube's default
//! ClusterRoles/bindings (cluster-admin, discovery, basic-user, public-info-viewer, admin, edit,
//! view) and Gardener's user-facing ClusterRoles, all labelled
//! `kubernetes.io/bootstrapping: rbac-defaults` and annotated
//! `rbac.authorization.kubernetes.io/autoupdate: "true"`.
//!
//! Aggregated roles are aggregated like kube's and Gardener's: `admin`, `edit` and `view` select the
//! `rbac.authorization.k8s.io/aggregate-to-*` labels (`view` is part of `edit`, `edit` of `admin`),
//! `gardener.cloud:system:project-member` and `-viewer` select `rbac.gardener.cloud/aggregate-to-project-*`,
//! and their built-in rules sit in labelled parts (`system:aggregate-to-*`,
//! `gardener.cloud:system:project-*-aggregation`). The aggregated roles are written already filled in
//! (`garden_api::rbac::aggregate_cluster_roles_fully`), so they grant their rules where no aggregation
//! controller runs (shoot API servers); in the garden, garden-controller-manager adds what other labelled
//! ClusterRoles grant.
//!
//! Simplifications: the rules are limited to the resources this server serves;
//! `gardener.cloud:system:project-serviceaccountmanager` is written flat.
//! Deviation from Gardener: `gardener.cloud:system:project-creation` is bound to
//! `system:authenticated` here (Gardener leaves that binding to the operator).

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::escalation::RBAC_GROUP;

/// Gardener's core API group.
pub const GARDENER_CORE: &str = "core.gardener.cloud";
/// Gardener's security API group (credentialsbindings, workloadidentities).
pub const GARDENER_SECURITY: &str = "security.gardener.cloud";

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const ALL: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..Default::default()
    }
}

fn url_rule(urls: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule { non_resource_urls: Some(strings(urls)), verbs: strings(verbs), ..Default::default() }
}

fn meta(name: &str) -> ObjectMeta {
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

fn cluster_role(name: &str, rules: Vec<PolicyRule>) -> ClusterRole {
    ClusterRole { metadata: meta(name), rules: Some(rules), aggregation_rule: None }
}

/// `role` with `label: "true"` added, so the roles selecting that label aggregate it.
fn labelled(mut role: ClusterRole, label: &str) -> ClusterRole {
    role.metadata.labels.get_or_insert_with(Default::default).insert(label.to_string(), "true".to_string());
    role
}

/// A role whose rules are the aggregate of the roles labelled `label: "true"` (filled in by
/// [`cluster_roles`]).
fn aggregated_role(name: &str, label: &str) -> ClusterRole {
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

const AGGREGATE_TO_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const AGGREGATE_TO_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const AGGREGATE_TO_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";
const AGGREGATE_TO_PROJECT_MEMBER: &str = "rbac.gardener.cloud/aggregate-to-project-member";
const AGGREGATE_TO_PROJECT_VIEWER: &str = "rbac.gardener.cloud/aggregate-to-project-viewer";

fn binding(name: &str, role: &str, groups: &[&str]) -> ClusterRoleBinding {
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

/// The bootstrap ClusterRoles, aggregated ones filled in.
/// kube's bootstrap Roles in kube-system: `extension-apiserver-authentication-reader`, which aggregated servers
/// are bound to so that they can read how the front proxy authenticates.
pub fn kube_system_roles() -> Vec<k8s_openapi::api::rbac::v1::Role> {
    let mut rule = rule(&[""], &["configmaps"], &["get", "list", "watch"]);
    rule.resource_names = Some(strings(&["extension-apiserver-authentication"]));
    let mut metadata = meta("extension-apiserver-authentication-reader");
    metadata.namespace = Some("kube-system".into());
    vec![k8s_openapi::api::rbac::v1::Role { metadata, rules: Some(vec![rule]) }]
}

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

/// The bootstrap ClusterRoleBindings (each named like its role).
pub fn cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    const AUTHENTICATED: &str = super::SYSTEM_AUTHENTICATED;
    vec![
        binding("cluster-admin", "cluster-admin", &[super::SYSTEM_MASTERS]),
        binding("system:discovery", "system:discovery", &[AUTHENTICATED]),
        binding("system:basic-user", "system:basic-user", &[AUTHENTICATED]),
        binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            &[AUTHENTICATED, super::SYSTEM_UNAUTHENTICATED],
        ),
        binding(
            "gardener.cloud:system:read-global-resources",
            "gardener.cloud:system:read-global-resources",
            &[AUTHENTICATED],
        ),
        binding("gardener.cloud:system:project-creation", "gardener.cloud:system:project-creation", &[AUTHENTICATED]),
    ]
}

/// The prefix of Gardener's own bootstrap RBAC objects.
const GARDENER_PREFIX: &str = "gardener.cloud:";

/// Gardener's ClusterRoles and ClusterRoleBindings of a garden (not the shoot-only ones) as multi-document YAML:
/// what a garden whose RBAC lives in a real kube-apiserver needs applied there (the `garden-controlplane` chart
/// ships exactly this, `charts/garden-controlplane/files/gardener-rbac.yaml`, checked by a test).
pub fn gardener_rbac_yaml() -> String {
    let mut docs: Vec<String> = Vec::new();
    let header =
        "# Generated by `garden-apiserver gardener-rbac` from garden-apiserver/src/authz/bootstrap.rs: do not edit.\n";
    for role in cluster_roles()
        .into_iter()
        .filter(|r| r.metadata.name.as_deref().is_some_and(|n| n.starts_with(GARDENER_PREFIX)))
    {
        docs.push(serde_yaml::to_string(&role).unwrap_or_default());
    }
    for b in cluster_role_bindings()
        .into_iter()
        .filter(|b| b.metadata.name.as_deref().is_some_and(|n| n.starts_with(GARDENER_PREFIX)))
    {
        docs.push(serde_yaml::to_string(&b).unwrap_or_default());
    }
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
    use super::*;
    use crate::authz::rbac::tests::{subject, user, FakeSource};
    use crate::authz::rbac::RbacAuthorizer;
    use crate::authz::{Authorizer, Decision, RequestAttributes, UserInfo};

    fn bootstrap_source() -> FakeSource {
        let mut src = FakeSource::default();
        for r in cluster_roles() {
            let name = r.metadata.name.clone().unwrap_or_default();
            src.cluster_roles.insert(name, r);
        }
        src.crbs = cluster_role_bindings();
        src
    }

    fn can(a: &dyn Authorizer, u: &UserInfo, verb: &str, group: &str, res: &str, sub: &str, ns: &str) -> bool {
        a.authorize(&RequestAttributes::resource(u, verb, group, res, sub, ns, "x")) == Decision::Allow
    }

    #[test]
    fn bindings_refer_to_existing_roles_and_everything_is_labelled() {
        let roles = cluster_roles();
        for b in cluster_role_bindings() {
            assert!(
                roles.iter().any(|r| r.metadata.name.as_deref() == Some(b.role_ref.name.as_str())),
                "{}",
                b.role_ref.name
            );
        }
        for r in &roles {
            let labels = r.metadata.labels.clone().unwrap_or_default();
            assert_eq!(labels.get("kubernetes.io/bootstrapping").map(String::as_str), Some("rbac-defaults"));
        }
        let mut names: Vec<_> = roles.iter().filter_map(|r| r.metadata.name.clone()).collect();
        names.dedup();
        assert_eq!(names.len(), roles.len());
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
        let roles = cluster_roles();
        let rules_of = |name: &str| {
            roles.iter().find(|r| r.metadata.name.as_deref() == Some(name)).and_then(|r| r.rules.clone()).unwrap()
        };
        assert_eq!(rules_of("view"), view_rules());
        assert_eq!(rules_of("edit").len(), edit_rules().len() + view_rules().len());
        assert_eq!(rules_of("admin").len(), admin_rules().len() + edit_rules().len() + view_rules().len());
        assert_eq!(rules_of("gardener.cloud:system:project-member"), project_member_rules());
        assert_eq!(rules_of("gardener.cloud:system:project-viewer"), project_viewer_rules());
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
            assert_eq!(reconcile_cluster_role(r, r), None, "{:?}", r.metadata.name);
        }
        // A flat `view` from before aggregation gets its aggregation rule and label, and its rules become the
        // aggregate (as under kube, where the aggregation controller owns the rules of aggregated roles).
        let mut old_view = desired("view");
        old_view.aggregation_rule = None;
        old_view.metadata.labels.as_mut().unwrap().remove(AGGREGATE_TO_EDIT);
        let extra = rule(&["example.com"], &["widgets"], READ);
        old_view.rules.as_mut().unwrap().push(extra.clone());
        let fixed = reconcile_cluster_role(&old_view, &desired("view")).expect("update");
        assert_eq!(fixed.aggregation_rule, desired("view").aggregation_rule);
        assert_eq!(fixed.metadata.labels.as_ref().unwrap().get(AGGREGATE_TO_EDIT).map(String::as_str), Some("true"));
        assert_eq!(fixed.rules, desired("view").rules, "filled like a fresh aggregated role");
        // A flat role keeps what an operator added and gets what it lacks.
        let mut discovery = desired("system:discovery");
        discovery.rules = Some(vec![extra.clone()]);
        let fixed = reconcile_cluster_role(&discovery, &desired("system:discovery")).expect("update");
        assert_eq!(fixed.rules.as_ref().unwrap()[0], extra);
        assert_eq!(fixed.rules.as_ref().unwrap().len(), 1 + desired("system:discovery").rules.unwrap().len());
        // autoupdate=false: left alone.
        discovery
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert("rbac.authorization.kubernetes.io/autoupdate".into(), "false".into());
        assert_eq!(reconcile_cluster_role(&discovery, &desired("system:discovery")), None);
    }

    #[test]
    fn masters_are_cluster_admins() {
        let a = RbacAuthorizer::new(bootstrap_source());
        let root = user("root", &["system:masters"]);
        assert!(can(&a, &root, "delete", "", "secrets", "", "kube-system"));
        assert!(a.authorize(&RequestAttributes::non_resource(&root, "post", "/anything")) == Decision::Allow);
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
