//! kube's RBAC authorizer over an abstract source of roles and bindings.
//!
//! Cluster role bindings apply in every namespace and at the cluster scope; role bindings apply in
//! their own namespace and may refer to a Role of that namespace or to a ClusterRole. Rules are
//! matched exactly like kube's `RuleAllows`.
//!
//! Like kube, only a ClusterRole's own `rules` count: the `aggregationRule` is evaluated by
//! garden-controller-manager's ClusterRole aggregation controller, which writes the aggregated rules
//! (the bootstrap aggregated roles are written already filled in, so they work without that controller).

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::{Authorizer, Decision, RequestAttributes, UserInfo};

/// Where the RBAC authorizer reads roles and bindings from (a cache or store snapshot).
pub trait RbacSource: Send + Sync {
    /// The ClusterRole of that name, if any.
    fn cluster_role(&self, name: &str) -> Option<ClusterRole>;
    /// The Role of that namespace and name, if any.
    fn role(&self, namespace: &str, name: &str) -> Option<Role>;
    /// All ClusterRoleBindings.
    fn cluster_role_bindings(&self) -> Vec<ClusterRoleBinding>;
    /// All RoleBindings of one namespace.
    fn role_bindings(&self, namespace: &str) -> Vec<RoleBinding>;
}

/// The RBAC authorizer: `Allow` when some bound rule allows the request, else `NoOpinion`.
pub struct RbacAuthorizer<S> {
    source: S,
}

impl<S: RbacSource> RbacAuthorizer<S> {
    /// An authorizer reading from `source`.
    pub fn new(source: S) -> Self {
        RbacAuthorizer { source }
    }

    /// The underlying source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Every rule that applies to `user` in `namespace` (cluster-wide rules first; an empty
    /// namespace yields only the cluster role bindings' rules), as kube's `RulesFor`.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
        let mut rules = Vec::new();
        self.visit_rules(user, namespace, |r| {
            rules.push(r.clone());
            false
        });
        rules
    }

    /// The rules a role reference resolves to, in the binding's namespace (empty for a
    /// ClusterRoleBinding). Unknown roles and kinds yield `None`.
    pub fn role_ref_rules(&self, role_ref: &RoleRef, namespace: &str) -> Option<Vec<PolicyRule>> {
        match role_ref.kind.as_str() {
            "ClusterRole" => self.source.cluster_role(&role_ref.name).map(|r| r.rules.unwrap_or_default()),
            "Role" if !namespace.is_empty() => {
                self.source.role(namespace, &role_ref.name).map(|r| r.rules.unwrap_or_default())
            }
            _ => None,
        }
    }

    /// Call `visit` on each applicable rule until it returns true; returns whether it did.
    fn visit_rules(&self, user: &UserInfo, namespace: &str, mut visit: impl FnMut(&PolicyRule) -> bool) -> bool {
        for crb in self.source.cluster_role_bindings() {
            if !applies_to(user, crb.subjects.as_deref(), "") {
                continue;
            }
            if crb.role_ref.kind != "ClusterRole" {
                continue;
            }
            for rule in self.role_ref_rules(&crb.role_ref, "").unwrap_or_default() {
                if visit(&rule) {
                    return true;
                }
            }
        }
        if namespace.is_empty() {
            return false;
        }
        for rb in self.source.role_bindings(namespace) {
            if !applies_to(user, rb.subjects.as_deref(), namespace) {
                continue;
            }
            for rule in self.role_ref_rules(&rb.role_ref, namespace).unwrap_or_default() {
                if visit(&rule) {
                    return true;
                }
            }
        }
        false
    }
}

impl<S: RbacSource> Authorizer for RbacAuthorizer<S> {
    fn authorize(&self, a: &RequestAttributes) -> Decision {
        if self.visit_rules(&a.user, &a.namespace, |r| rule_allows(a, r)) {
            Decision::Allow
        } else {
            Decision::NoOpinion
        }
    }
}

/// Whether any subject of a binding (in `namespace`, empty for cluster bindings) is `user`.
fn applies_to(user: &UserInfo, subjects: Option<&[Subject]>, namespace: &str) -> bool {
    subjects.unwrap_or_default().iter().any(|s| subject_matches(user, s, namespace))
}

/// kube's `appliesToUser`: User by name, Group by membership, ServiceAccount by its user name
/// (namespace defaulting to the binding's namespace).
pub fn subject_matches(user: &UserInfo, subject: &Subject, namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => user.name == subject.name,
        "Group" => user.in_group(&subject.name),
        "ServiceAccount" => {
            let ns = subject.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(namespace);
            !ns.is_empty() && user.name == service_account_username(ns, &subject.name)
        }
        _ => false,
    }
}

/// `system:serviceaccount:<namespace>:<name>`.
pub fn service_account_username(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

/// kube's `RuleAllows`: does one rule allow the request?
pub fn rule_allows(a: &RequestAttributes, rule: &PolicyRule) -> bool {
    if !verb_matches(rule, &a.verb) {
        return false;
    }
    if !a.resource_request {
        return non_resource_url_matches(rule, &a.path);
    }
    let combined =
        if a.subresource.is_empty() { a.resource.clone() } else { format!("{}/{}", a.resource, a.subresource) };
    api_group_matches(rule, &a.api_group)
        && resource_matches(rule, &combined, &a.subresource)
        && resource_name_matches(rule, &a.name)
}

fn list(v: &Option<Vec<String>>) -> &[String] {
    v.as_deref().unwrap_or_default()
}

fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    list(&rule.api_groups).iter().any(|g| g == "*" || g == group)
}

/// `*`, exact `resource[/subresource]`, or `*/subresource` for subresource requests.
/// Like kube, `resource/*` is not a wildcard: it only matches a literal `resource/*`.
fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    list(&rule.resources).iter().any(|r| {
        r == "*" || r == combined || (!subresource.is_empty() && r.strip_prefix("*/").is_some_and(|s| s == subresource))
    })
}

/// Empty resourceNames = all names; otherwise the request's name must be listed, so unnamed
/// requests (create, list, watch, deletecollection) never match a rule with resourceNames.
fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    let names = list(&rule.resource_names);
    names.is_empty() || names.iter().any(|n| n == name)
}

/// `*`, an exact path, or a prefix ending in `*`.
fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    list(&rule.non_resource_urls)
        .iter()
        .any(|u| u == "*" || u == path || u.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix)))
}

/// Test doubles for the unit tests of RBAC policies (here and in the crates that define bootstrap policies).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    /// An in-memory RbacSource for tests.
    #[derive(Default)]
    pub struct FakeSource {
        pub cluster_roles: BTreeMap<String, ClusterRole>,
        pub roles: BTreeMap<(String, String), Role>,
        pub crbs: Vec<ClusterRoleBinding>,
        pub rbs: Vec<RoleBinding>,
    }

    impl RbacSource for FakeSource {
        fn cluster_role(&self, name: &str) -> Option<ClusterRole> {
            self.cluster_roles.get(name).cloned()
        }
        fn role(&self, namespace: &str, name: &str) -> Option<Role> {
            self.roles.get(&(namespace.to_string(), name.to_string())).cloned()
        }
        fn cluster_role_bindings(&self) -> Vec<ClusterRoleBinding> {
            self.crbs.clone()
        }
        fn role_bindings(&self, namespace: &str) -> Vec<RoleBinding> {
            self.rbs.iter().filter(|b| b.metadata.namespace.as_deref() == Some(namespace)).cloned().collect()
        }
    }

    pub fn strs(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    pub fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            api_groups: strs(groups),
            resources: strs(resources),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    pub fn subject(kind: &str, name: &str, ns: Option<&str>) -> Subject {
        Subject { kind: kind.into(), name: name.into(), namespace: ns.map(Into::into), ..Default::default() }
    }

    pub fn role_ref(kind: &str, name: &str) -> RoleRef {
        RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: kind.into(), name: name.into() }
    }

    impl FakeSource {
        pub fn with_cluster_role(mut self, name: &str, rules: Vec<PolicyRule>) -> Self {
            let meta = ObjectMeta { name: Some(name.into()), ..Default::default() };
            self.cluster_roles
                .insert(name.into(), ClusterRole { metadata: meta, rules: Some(rules), ..Default::default() });
            self
        }
        pub fn with_role(mut self, ns: &str, name: &str, rules: Vec<PolicyRule>) -> Self {
            let meta = ObjectMeta { name: Some(name.into()), namespace: Some(ns.into()), ..Default::default() };
            self.roles.insert((ns.into(), name.into()), Role { metadata: meta, rules: Some(rules) });
            self
        }
        pub fn crb(mut self, role: &str, subjects: Vec<Subject>) -> Self {
            self.crbs.push(ClusterRoleBinding {
                metadata: ObjectMeta { name: Some(role.into()), ..Default::default() },
                role_ref: role_ref("ClusterRole", role),
                subjects: Some(subjects),
            });
            self
        }
        pub fn rb(mut self, ns: &str, kind: &str, role: &str, subjects: Vec<Subject>) -> Self {
            self.rbs.push(RoleBinding {
                metadata: ObjectMeta { name: Some(role.into()), namespace: Some(ns.into()), ..Default::default() },
                role_ref: role_ref(kind, role),
                subjects: Some(subjects),
            });
            self
        }
    }

    /// An in-memory source holding a bootstrap policy.
    pub fn policy_source(roles: Vec<ClusterRole>, bindings: Vec<ClusterRoleBinding>) -> FakeSource {
        let mut src = FakeSource::default();
        for r in roles {
            src.cluster_roles.insert(r.metadata.name.clone().unwrap_or_default(), r);
        }
        src.crbs = bindings;
        src
    }

    /// Whether `u` may `verb` the resource (`sub`resource) of `group` in `ns` (object "x").
    pub fn can(a: &dyn Authorizer, u: &UserInfo, verb: &str, group: &str, res: &str, sub: &str, ns: &str) -> bool {
        a.authorize(&RequestAttributes::resource(u, verb, group, res, sub, ns, "x")) == Decision::Allow
    }

    /// A bootstrap policy is whole: every binding names one of its roles, every role carries the bootstrapping
    /// label, no name is taken twice.
    pub fn assert_bootstrap_policy(roles: &[ClusterRole], bindings: &[ClusterRoleBinding]) {
        for b in bindings {
            let name = b.role_ref.name.as_str();
            assert!(roles.iter().any(|r| r.metadata.name.as_deref() == Some(name)), "binding to unknown role {name}");
        }
        for r in roles {
            let labels = r.metadata.labels.clone().unwrap_or_default();
            assert_eq!(labels.get("kubernetes.io/bootstrapping").map(String::as_str), Some("rbac-defaults"));
        }
        let mut names: Vec<_> = roles.iter().filter_map(|r| r.metadata.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), roles.len(), "a role name is taken twice");
    }

    pub fn user(name: &str, groups: &[&str]) -> UserInfo {
        let mut groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        groups.push("system:authenticated".into());
        UserInfo { name: name.into(), uid: String::new(), groups }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn allowed(
        authz: &dyn Authorizer,
        u: &UserInfo,
        verb: &str,
        group: &str,
        res: &str,
        sub: &str,
        ns: &str,
        name: &str,
    ) -> bool {
        authz.authorize(&RequestAttributes::resource(u, verb, group, res, sub, ns, name)) == Decision::Allow
    }

    const CORE: &str = "core.gardener.cloud";

    fn tenants() -> RbacAuthorizer<FakeSource> {
        let src = FakeSource::default()
            .with_cluster_role(
                "project-member",
                vec![rule(&[CORE], &["shoots"], &["*"]), rule(&[""], &["secrets"], &["*"])],
            )
            .with_cluster_role(
                "project-viewer",
                vec![
                    rule(&[CORE], &["shoots"], &["get", "list", "watch"]),
                    rule(&[CORE], &["shoots/viewerkubeconfig"], &["create"]),
                ],
            )
            .rb("garden-a", "ClusterRole", "project-member", vec![subject("User", "alice", None)])
            .rb("garden-b", "ClusterRole", "project-member", vec![subject("User", "bob", None)])
            .rb("garden-a", "ClusterRole", "project-viewer", vec![subject("Group", "auditors", None)]);
        RbacAuthorizer::new(src)
    }

    #[test]
    fn tenant_isolation() {
        let a = tenants();
        let alice = user("alice", &[]);
        assert!(allowed(&a, &alice, "list", CORE, "shoots", "", "garden-a", ""));
        assert!(allowed(&a, &alice, "delete", "", "secrets", "", "garden-a", "s"));
        assert!(!allowed(&a, &alice, "list", CORE, "shoots", "", "garden-b", ""));
        assert!(!allowed(&a, &alice, "list", CORE, "shoots", "", "", ""), "no cluster-wide access");
        // a different resource or group is not covered
        assert!(!allowed(&a, &alice, "list", CORE, "seeds", "", "garden-a", ""));
        assert!(!allowed(&a, &alice, "list", "other.io", "shoots", "", "garden-a", ""));
        // subresources are not covered by the parent resource
        assert!(!allowed(&a, &alice, "create", CORE, "shoots", "adminkubeconfig", "garden-a", "x"));
    }

    #[test]
    fn viewer_group_denied_secrets_and_writes() {
        let a = tenants();
        let carol = user("carol", &["auditors"]);
        assert!(allowed(&a, &carol, "get", CORE, "shoots", "", "garden-a", "x"));
        assert!(allowed(&a, &carol, "create", CORE, "shoots", "viewerkubeconfig", "garden-a", "x"));
        assert!(!allowed(&a, &carol, "get", "", "secrets", "", "garden-a", "s"));
        assert!(!allowed(&a, &carol, "update", CORE, "shoots", "", "garden-a", "x"));
        assert!(!allowed(&a, &carol, "get", CORE, "shoots", "", "garden-b", "x"));
    }

    #[test]
    fn wildcards_and_subresources() {
        let src = FakeSource::default()
            .with_cluster_role("all", vec![rule(&["*"], &["*"], &["*"])])
            .with_cluster_role("status", vec![rule(&[CORE], &["*/status"], &["get"])])
            .with_cluster_role("slash-star", vec![rule(&[CORE], &["shoots/*"], &["get"])])
            .crb("all", vec![subject("User", "root", None)])
            .crb("status", vec![subject("User", "st", None)])
            .crb("slash-star", vec![subject("User", "ss", None)]);
        let a = RbacAuthorizer::new(src);
        let root = user("root", &[]);
        assert!(allowed(&a, &root, "deletecollection", "x.io", "things", "", "ns", ""));
        assert!(allowed(&a, &root, "create", CORE, "shoots", "adminkubeconfig", "ns", "s"));
        assert!(!a.authorize(&RequestAttributes::non_resource(&root, "get", "/healthz")).eq(&Decision::Allow));
        let st = user("st", &[]);
        assert!(allowed(&a, &st, "get", CORE, "shoots", "status", "ns", "s"));
        assert!(allowed(&a, &st, "get", CORE, "seeds", "status", "", "s"));
        assert!(!allowed(&a, &st, "get", CORE, "shoots", "", "ns", "s"));
        assert!(!allowed(&a, &st, "get", CORE, "shoots", "statusx", "ns", "s"));
        let ss = user("ss", &[]);
        assert!(!allowed(&a, &ss, "get", CORE, "shoots", "status", "ns", "s"), "kube: resource/* is literal");
    }

    #[test]
    fn resource_names_semantics() {
        let mut named =
            rule(&[""], &["configmaps"], &["get", "list", "watch", "create", "update", "delete", "deletecollection"]);
        named.resource_names = strs(&["cm1"]);
        let src = FakeSource::default().with_role("ns", "r", vec![named]).rb(
            "ns",
            "Role",
            "r",
            vec![subject("User", "u", None)],
        );
        let a = RbacAuthorizer::new(src);
        let u = user("u", &[]);
        assert!(allowed(&a, &u, "get", "", "configmaps", "", "ns", "cm1"));
        assert!(allowed(&a, &u, "update", "", "configmaps", "", "ns", "cm1"));
        assert!(
            allowed(&a, &u, "watch", "", "configmaps", "", "ns", "cm1"),
            "watch with a name (fieldSelector) matches"
        );
        assert!(!allowed(&a, &u, "get", "", "configmaps", "", "ns", "cm2"));
        assert!(!allowed(&a, &u, "create", "", "configmaps", "", "ns", ""));
        assert!(!allowed(&a, &u, "list", "", "configmaps", "", "ns", ""));
        assert!(!allowed(&a, &u, "deletecollection", "", "configmaps", "", "ns", ""));
        assert!(!allowed(&a, &u, "get", "", "configmaps", "", "other", "cm1"));
    }

    #[test]
    fn non_resource_urls() {
        let r = PolicyRule {
            non_resource_urls: strs(&["/apis/*", "/healthz", "/version/"]),
            verbs: vec!["get".into()],
            ..Default::default()
        };
        let src = FakeSource::default()
            .with_cluster_role("d", vec![r])
            .crb("d", vec![subject("Group", "system:authenticated", None)]);
        let a = RbacAuthorizer::new(src);
        let u = user("u", &[]);
        let get = |p: &str| a.authorize(&RequestAttributes::non_resource(&u, "get", p)) == Decision::Allow;
        assert!(get("/apis/core.gardener.cloud/v1beta1"));
        assert!(get("/apis/"));
        assert!(!get("/apis"));
        assert!(get("/healthz"));
        assert!(!get("/healthz/etcd"));
        assert!(get("/version/"));
        assert!(!get("/version"));
        assert!(a.authorize(&RequestAttributes::non_resource(&u, "post", "/healthz")) == Decision::NoOpinion);
        let anon = UserInfo {
            name: "system:anonymous".into(),
            uid: String::new(),
            groups: vec!["system:unauthenticated".into()],
        };
        assert!(a.authorize(&RequestAttributes::non_resource(&anon, "get", "/healthz")) == Decision::NoOpinion);
    }

    #[test]
    fn service_account_subjects() {
        let src = FakeSource::default()
            .with_cluster_role("r", vec![rule(&[CORE], &["shoots"], &["get"])])
            .rb("garden-a", "ClusterRole", "r", vec![subject("ServiceAccount", "robot", None)])
            .rb("garden-b", "ClusterRole", "r", vec![subject("ServiceAccount", "robot", Some("garden-a"))])
            .crb("r", vec![subject("ServiceAccount", "global", None)]);
        let a = RbacAuthorizer::new(src);
        let robot = user("system:serviceaccount:garden-a:robot", &["system:serviceaccounts"]);
        assert!(allowed(&a, &robot, "get", CORE, "shoots", "", "garden-a", "x"), "namespace defaults to the binding's");
        assert!(allowed(&a, &robot, "get", CORE, "shoots", "", "garden-b", "x"), "explicit namespace");
        let other = user("system:serviceaccount:garden-b:robot", &[]);
        assert!(!allowed(&a, &other, "get", CORE, "shoots", "", "garden-a", "x"));
        // a ClusterRoleBinding SA subject without namespace never matches
        let global = user("system:serviceaccount::global", &[]);
        assert!(!allowed(&a, &global, "get", CORE, "shoots", "", "", "x"));
    }

    #[test]
    fn missing_roles_and_rules_for() {
        let src = FakeSource::default()
            .with_cluster_role("cr", vec![rule(&[CORE], &["seeds"], &["list"])])
            .with_role("ns", "local", vec![rule(&[""], &["configmaps"], &["get"])])
            .crb("cr", vec![subject("User", "u", None)])
            .rb("ns", "Role", "local", vec![subject("User", "u", None)])
            .rb("ns", "Role", "gone", vec![subject("User", "u", None)]);
        let a = RbacAuthorizer::new(src);
        let u = user("u", &[]);
        assert_eq!(a.rules_for(&u, "ns").len(), 2);
        assert_eq!(a.rules_for(&u, "").len(), 1);
        assert_eq!(a.rules_for(&u, "other").len(), 1);
        assert!(a.rules_for(&user("v", &[]), "ns").is_empty());
        assert!(allowed(&a, &u, "get", "", "configmaps", "", "ns", "x"));
        assert!(!allowed(&a, &u, "get", "", "configmaps", "", "other", "x"));
    }
}
