//! The RBAC objects of a Project, as a pure function of the Project (Gardener's `projectrbac`
//! component), plus the merge and stale-detection rules the controller applies them with.
//!
//! Per project:
//! - ClusterRole + ClusterRoleBinding `gardener.cloud:system:project:<name>`: the owner may get,
//!   patch, update, delete and manage-members the Project and get its namespace;
//! - ClusterRole + ClusterRoleBinding `gardener.cloud:system:project-member:<name>`: admins (and
//!   the owner) may get, patch, update and delete the Project and get its namespace;
//! - ClusterRole + ClusterRoleBinding `gardener.cloud:system:project-uam:<name>`: user access
//!   managers may get, patch, update and manage-members the Project;
//! - ClusterRole + ClusterRoleBinding `gardener.cloud:system:project-viewer:<name>`: viewers may get
//!   the Project and its namespace;
//! - RoleBindings in the project namespace to the bootstrap ClusterRoles
//!   `gardener.cloud:system:project-member` (owner + admins), `gardener.cloud:system:project-viewer`
//!   (viewers) and `gardener.cloud:system:project-serviceaccountmanager` (owner +
//!   serviceaccountmanagers);
//! - per `extension:<role>` member role: an aggregating ClusterRole and a RoleBinding
//!   `gardener.cloud:extension:project:<name>:<role>`.
//!
//! Every object is labelled `project.gardener.cloud/name=<name>` and carries a controller
//! ownerReference to the Project. Bindings without subjects are not wanted (an existing one is
//! stale and gets deleted), so removing the last member of a role removes its binding.

use std::collections::{BTreeMap, BTreeSet};

use garden_api::constants::{LABEL_PROJECT_NAME, LABEL_ROLE};
use garden_api::core::v1beta1::{
    Project, ROLE_ADMIN, ROLE_EXTENSION_PREFIX, ROLE_OWNER, ROLE_SERVICE_ACCOUNT_MANAGER, ROLE_UAM, ROLE_VIEWER,
};
use k8s_openapi::api::rbac::v1::{
    AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};

/// API group of RBAC.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// Bootstrap ClusterRole bound to owner and admins in the project namespace.
pub const PROJECT_MEMBER: &str = "gardener.cloud:system:project-member";
/// Bootstrap ClusterRole bound to viewers in the project namespace.
pub const PROJECT_VIEWER: &str = "gardener.cloud:system:project-viewer";
/// Bootstrap ClusterRole bound to owner and service account managers in the project namespace.
pub const PROJECT_SERVICE_ACCOUNT_MANAGER: &str = "gardener.cloud:system:project-serviceaccountmanager";
/// Prefix of the per-project owner ClusterRole(Binding).
pub const PREFIX_PROJECT_ADMIN: &str = "gardener.cloud:system:project:";
/// Prefix of the per-project member ClusterRole(Binding).
pub const PREFIX_PROJECT_MEMBER: &str = "gardener.cloud:system:project-member:";
/// Prefix of the per-project user-access-manager ClusterRole(Binding).
pub const PREFIX_PROJECT_UAM: &str = "gardener.cloud:system:project-uam:";
/// Prefix of the per-project viewer ClusterRole(Binding).
pub const PREFIX_PROJECT_VIEWER: &str = "gardener.cloud:system:project-viewer:";
/// Prefix of the per-project extension ClusterRoles and RoleBindings.
pub const PREFIX_PROJECT_EXTENSION: &str = "gardener.cloud:extension:project:";
/// Value of `gardener.cloud/role` on extension role objects.
pub const ROLE_EXTENSION_PROJECT_ROLE: &str = "extension-project-role";
/// Label selecting the ClusterRoles an extension role aggregates.
pub const LABEL_AGGREGATE_TO_EXTENSION_ROLE: &str = "rbac.gardener.cloud/aggregate-to-extension-role";

const CORE_GROUP: &str = "core.gardener.cloud";

/// The RBAC objects a Project wants.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DesiredRbac {
    /// Per-project ClusterRoles.
    pub cluster_roles: Vec<ClusterRole>,
    /// Per-project ClusterRoleBindings (only those with subjects).
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
    /// RoleBindings in the project namespace (only those with subjects).
    pub role_bindings: Vec<RoleBinding>,
}

impl DesiredRbac {
    /// Names of the wanted ClusterRoles.
    pub fn cluster_role_names(&self) -> BTreeSet<String> {
        self.cluster_roles.iter().filter_map(|o| o.metadata.name.clone()).collect()
    }
    /// Names of the wanted ClusterRoleBindings.
    pub fn cluster_role_binding_names(&self) -> BTreeSet<String> {
        self.cluster_role_bindings.iter().filter_map(|o| o.metadata.name.clone()).collect()
    }
    /// Names of the wanted RoleBindings.
    pub fn role_binding_names(&self) -> BTreeSet<String> {
        self.role_bindings.iter().filter_map(|o| o.metadata.name.clone()).collect()
    }
}

/// The controller ownerReference of objects owned by `project`.
pub fn owner_reference(project: &Project) -> OwnerReference {
    OwnerReference {
        api_version: format!("{CORE_GROUP}/v1beta1"),
        kind: "Project".into(),
        name: project.metadata.name.clone().unwrap_or_default(),
        uid: project.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(false),
    }
}

/// Labels on every RBAC object of the project.
pub fn project_labels(project_name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(LABEL_PROJECT_NAME.to_string(), project_name.to_string())])
}

fn normalize_subject(s: &Subject) -> Subject {
    Subject {
        api_group: s.api_group.clone().filter(|g| !g.is_empty()),
        kind: s.kind.clone(),
        name: s.name.clone(),
        namespace: s.namespace.clone().filter(|n| !n.is_empty()),
    }
}

/// `subjects` without duplicates, first occurrence wins, normalized.
pub fn dedup_subjects(subjects: impl IntoIterator<Item = Subject>) -> Vec<Subject> {
    let mut out: Vec<Subject> = Vec::new();
    for s in subjects {
        let s = normalize_subject(&s);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Subjects of the project per role, as Gardener groups them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleSubjects {
    /// The owner (`gardener.cloud:system:project:<name>`).
    pub owners: Vec<Subject>,
    /// Owner and admins (`project-member`).
    pub members: Vec<Subject>,
    /// User access managers (`project-uam:<name>`).
    pub uams: Vec<Subject>,
    /// Owner and service account managers.
    pub service_account_managers: Vec<Subject>,
    /// Viewers.
    pub viewers: Vec<Subject>,
    /// Extension role name (without `extension:`) to subjects.
    pub extensions: BTreeMap<String, Vec<Subject>>,
}

/// Groups the project's owner and members by role.
pub fn role_subjects(project: &Project) -> RoleSubjects {
    let spec = &project.spec;
    let mut owners = Vec::new();
    let mut members = Vec::new();
    let mut uams = Vec::new();
    let mut sams = Vec::new();
    let mut viewers = Vec::new();
    let mut extensions: BTreeMap<String, Vec<Subject>> = BTreeMap::new();

    if let Some(owner) = &spec.owner {
        owners.push(owner.clone());
        members.push(owner.clone());
        sams.push(owner.clone());
    }
    for member in &spec.members {
        let subject = member.subject();
        for role in member.all_roles() {
            if role == ROLE_ADMIN || role == ROLE_OWNER {
                members.push(subject.clone());
            }
            if role == ROLE_UAM {
                uams.push(subject.clone());
            }
            if role == ROLE_SERVICE_ACCOUNT_MANAGER || role == ROLE_OWNER {
                sams.push(subject.clone());
            }
            if role == ROLE_VIEWER {
                viewers.push(subject.clone());
            }
            if let Some(ext) = role.strip_prefix(ROLE_EXTENSION_PREFIX) {
                if !ext.is_empty() {
                    extensions.entry(ext.to_string()).or_default().push(subject.clone());
                }
            }
        }
    }
    RoleSubjects {
        owners: dedup_subjects(owners),
        members: dedup_subjects(members),
        uams: dedup_subjects(uams),
        service_account_managers: dedup_subjects(sams),
        viewers: dedup_subjects(viewers),
        extensions: extensions.into_iter().map(|(k, v)| (k, dedup_subjects(v))).collect(),
    }
}

fn rule(group: &str, resource: &str, names: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(vec![resource.to_string()]),
        resource_names: Some(names.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        non_resource_urls: None,
    }
}

fn cluster_role_ref(name: &str) -> RoleRef {
    RoleRef { api_group: RBAC_GROUP.into(), kind: "ClusterRole".into(), name: name.into() }
}

/// The RBAC objects `project` wants, with its namespace `namespace`.
pub fn desired_rbac(project: &Project, namespace: &str) -> DesiredRbac {
    let name = project.metadata.name.clone().unwrap_or_default();
    let owner_ref = owner_reference(project);
    let labels = project_labels(&name);
    let meta = |obj_name: String, ns: Option<&str>, labels: BTreeMap<String, String>| ObjectMeta {
        name: Some(obj_name),
        namespace: ns.map(str::to_string),
        labels: Some(labels),
        owner_references: Some(vec![owner_ref.clone()]),
        ..Default::default()
    };
    let subjects = role_subjects(project);
    let mut out = DesiredRbac::default();

    let ns_get = |verbs: &[&str]| rule("", "namespaces", &[namespace], verbs);
    let project_rule = |verbs: &[&str]| rule(CORE_GROUP, "projects", &[name.as_str()], verbs);
    let specific: [(&str, Vec<PolicyRule>, &Vec<Subject>); 4] = [
        (
            PREFIX_PROJECT_ADMIN,
            vec![ns_get(&["get"]), project_rule(&["get", "patch", "manage-members", "update", "delete"])],
            &subjects.owners,
        ),
        (PREFIX_PROJECT_UAM, vec![project_rule(&["get", "manage-members", "patch", "update"])], &subjects.uams),
        (
            PREFIX_PROJECT_MEMBER,
            vec![ns_get(&["get"]), project_rule(&["get", "patch", "update", "delete"])],
            &subjects.members,
        ),
        (PREFIX_PROJECT_VIEWER, vec![ns_get(&["get"]), project_rule(&["get"])], &subjects.viewers),
    ];
    for (prefix, rules, subs) in specific {
        let obj_name = format!("{prefix}{name}");
        out.cluster_roles.push(ClusterRole {
            metadata: meta(obj_name.clone(), None, labels.clone()),
            rules: Some(rules),
            aggregation_rule: None,
        });
        if !subs.is_empty() {
            out.cluster_role_bindings.push(ClusterRoleBinding {
                metadata: meta(obj_name.clone(), None, labels.clone()),
                role_ref: cluster_role_ref(&obj_name),
                subjects: Some(subs.clone()),
            });
        }
    }

    for (rb_name, subs) in [
        (PROJECT_MEMBER, &subjects.members),
        (PROJECT_VIEWER, &subjects.viewers),
        (PROJECT_SERVICE_ACCOUNT_MANAGER, &subjects.service_account_managers),
    ] {
        if !subs.is_empty() {
            out.role_bindings.push(RoleBinding {
                metadata: meta(rb_name.to_string(), Some(namespace), labels.clone()),
                role_ref: cluster_role_ref(rb_name),
                subjects: Some(subs.clone()),
            });
        }
    }

    let mut ext_labels = labels.clone();
    ext_labels.insert(LABEL_ROLE.into(), ROLE_EXTENSION_PROJECT_ROLE.into());
    for (role, subs) in &subjects.extensions {
        let obj_name = format!("{PREFIX_PROJECT_EXTENSION}{name}:{role}");
        out.cluster_roles.push(ClusterRole {
            metadata: meta(obj_name.clone(), None, ext_labels.clone()),
            rules: None,
            aggregation_rule: Some(AggregationRule {
                cluster_role_selectors: Some(vec![LabelSelector {
                    match_labels: Some(BTreeMap::from([(LABEL_AGGREGATE_TO_EXTENSION_ROLE.into(), role.clone())])),
                    match_expressions: None,
                }]),
            }),
        });
        out.role_bindings.push(RoleBinding {
            metadata: meta(obj_name.clone(), Some(namespace), ext_labels.clone()),
            role_ref: cluster_role_ref(&obj_name),
            subjects: Some(subs.clone()),
        });
    }
    out
}

/// Whether `name` is one of the names this controller manages for `project`.
pub fn is_managed_name(name: &str, project: &str) -> bool {
    [PREFIX_PROJECT_ADMIN, PREFIX_PROJECT_MEMBER, PREFIX_PROJECT_UAM, PREFIX_PROJECT_VIEWER]
        .iter()
        .any(|p| name.strip_prefix(p) == Some(project))
        || [PROJECT_MEMBER, PROJECT_VIEWER, PROJECT_SERVICE_ACCOUNT_MANAGER].contains(&name)
        || name
            .strip_prefix(PREFIX_PROJECT_EXTENSION)
            .and_then(|rest| rest.strip_prefix(project))
            .is_some_and(|rest| rest.starts_with(':'))
}

/// Names of existing objects (their metadata) that belong to `project` (by label and managed
/// name) but are no longer wanted: to be deleted.
pub fn stale_names<'a>(
    existing: impl IntoIterator<Item = &'a ObjectMeta>,
    wanted: &BTreeSet<String>,
    project: &str,
) -> Vec<String> {
    existing
        .into_iter()
        .filter(|m| m.labels.as_ref().and_then(|l| l.get(LABEL_PROJECT_NAME)).map(String::as_str) == Some(project))
        .filter_map(|m| m.name.clone())
        .filter(|n| is_managed_name(n, project) && !wanted.contains(n))
        .collect()
}

/// Merges the desired labels and ownerReference into existing metadata; true if it changed.
pub fn merge_meta(existing: &mut ObjectMeta, desired: &ObjectMeta) -> bool {
    let mut changed = false;
    if let Some(want) = &desired.labels {
        let labels = existing.labels.get_or_insert_with(BTreeMap::new);
        for (k, v) in want {
            if labels.get(k) != Some(v) {
                labels.insert(k.clone(), v.clone());
                changed = true;
            }
        }
    }
    for want in desired.owner_references.iter().flatten() {
        changed |= merge_owner_reference(existing, want);
    }
    changed
}

/// Adds `owner` to the ownerReferences of `meta` (by UID); if another controller reference
/// exists, `owner` is added as a non-controller reference. True if it changed.
pub fn merge_owner_reference(meta: &mut ObjectMeta, owner: &OwnerReference) -> bool {
    let refs = meta.owner_references.get_or_insert_with(Vec::new);
    if refs.iter().any(|r| r.uid == owner.uid) {
        return false;
    }
    let mut owner = owner.clone();
    if refs.iter().any(|r| r.controller == Some(true)) {
        owner.controller = Some(false);
    }
    refs.push(owner);
    true
}

fn subjects_equal(a: &Option<Vec<Subject>>, b: &Option<Vec<Subject>>) -> bool {
    let norm = |s: &Option<Vec<Subject>>| s.iter().flatten().map(normalize_subject).collect::<Vec<_>>();
    norm(a) == norm(b)
}

fn non_empty<T: Clone>(v: &Option<Vec<T>>) -> Option<Vec<T>> {
    v.clone().filter(|v| !v.is_empty())
}

fn rules_equal(a: &Option<Vec<PolicyRule>>, b: &Option<Vec<PolicyRule>>) -> bool {
    let norm = |r: &Option<Vec<PolicyRule>>| {
        r.iter()
            .flatten()
            .map(|r| PolicyRule {
                api_groups: non_empty(&r.api_groups),
                resources: non_empty(&r.resources),
                resource_names: non_empty(&r.resource_names),
                non_resource_urls: non_empty(&r.non_resource_urls),
                verbs: r.verbs.clone(),
            })
            .collect::<Vec<_>>()
    };
    norm(a) == norm(b)
}

/// The update to turn `existing` into `desired`, or None if it is up to date. The rules of a role with an
/// aggregation rule belong to the ClusterRole aggregation controller and are left as they are.
pub fn merge_cluster_role(existing: &ClusterRole, desired: &ClusterRole) -> Option<ClusterRole> {
    let mut out = existing.clone();
    let mut changed = merge_meta(&mut out.metadata, &desired.metadata);
    if desired.aggregation_rule.is_none() && !rules_equal(&out.rules, &desired.rules) {
        out.rules = desired.rules.clone();
        changed = true;
    }
    if out.aggregation_rule != desired.aggregation_rule {
        out.aggregation_rule = desired.aggregation_rule.clone();
        changed = true;
    }
    changed.then_some(out)
}

/// What to do with an existing binding.
#[derive(Clone, Debug, PartialEq)]
pub enum BindingUpdate<T> {
    /// Up to date.
    None,
    /// Replace it with this object.
    Replace(T),
    /// Its roleRef differs (immutable): delete and recreate.
    Recreate,
}

/// The update to turn an existing ClusterRoleBinding into `desired`.
pub fn merge_cluster_role_binding(
    existing: &ClusterRoleBinding,
    desired: &ClusterRoleBinding,
) -> BindingUpdate<ClusterRoleBinding> {
    if existing.role_ref != desired.role_ref {
        return BindingUpdate::Recreate;
    }
    let mut out = existing.clone();
    let mut changed = merge_meta(&mut out.metadata, &desired.metadata);
    if !subjects_equal(&out.subjects, &desired.subjects) {
        out.subjects = desired.subjects.clone();
        changed = true;
    }
    if changed {
        BindingUpdate::Replace(out)
    } else {
        BindingUpdate::None
    }
}

/// The update to turn an existing RoleBinding into `desired`.
pub fn merge_role_binding(existing: &RoleBinding, desired: &RoleBinding) -> BindingUpdate<RoleBinding> {
    if existing.role_ref != desired.role_ref {
        return BindingUpdate::Recreate;
    }
    let mut out = existing.clone();
    let mut changed = merge_meta(&mut out.metadata, &desired.metadata);
    if !subjects_equal(&out.subjects, &desired.subjects) {
        out.subjects = desired.subjects.clone();
        changed = true;
    }
    if changed {
        BindingUpdate::Replace(out)
    } else {
        BindingUpdate::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use garden_api::core::v1beta1::{ProjectMember, ProjectSpec};

    fn user(name: &str) -> Subject {
        Subject { api_group: Some(RBAC_GROUP.into()), kind: "User".into(), name: name.into(), namespace: None }
    }

    fn member(kind: &str, name: &str, role: &str, roles: &[&str]) -> ProjectMember {
        ProjectMember {
            api_group: if kind == "ServiceAccount" { String::new() } else { RBAC_GROUP.into() },
            kind: kind.into(),
            name: name.into(),
            namespace: if kind == "ServiceAccount" { "garden-dev".into() } else { String::new() },
            role: role.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn project(members: Vec<ProjectMember>) -> Project {
        Project {
            metadata: ObjectMeta { name: Some("dev".into()), uid: Some("uid-1".into()), ..Default::default() },
            spec: ProjectSpec {
                owner: Some(user("owner")),
                namespace: Some("garden-dev".into()),
                members,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn rb<'a>(d: &'a DesiredRbac, name: &str) -> Option<&'a RoleBinding> {
        d.role_bindings.iter().find(|b| b.metadata.name.as_deref() == Some(name))
    }

    fn crb<'a>(d: &'a DesiredRbac, name: &str) -> Option<&'a ClusterRoleBinding> {
        d.cluster_role_bindings.iter().find(|b| b.metadata.name.as_deref() == Some(name))
    }

    fn names(subjects: &Option<Vec<Subject>>) -> Vec<&str> {
        subjects.iter().flatten().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn owner_admin_viewer_bindings() {
        let p = project(vec![
            member("User", "owner", ROLE_ADMIN, &[ROLE_OWNER]),
            member("User", "alice", ROLE_ADMIN, &[]),
            member("Group", "devs", ROLE_VIEWER, &[]),
            member("ServiceAccount", "robot", ROLE_SERVICE_ACCOUNT_MANAGER, &[ROLE_VIEWER]),
        ]);
        let d = desired_rbac(&p, "garden-dev");

        let m = rb(&d, PROJECT_MEMBER).expect("member binding");
        assert_eq!(m.metadata.namespace.as_deref(), Some("garden-dev"));
        assert_eq!(m.role_ref.name, PROJECT_MEMBER);
        assert_eq!(m.role_ref.kind, "ClusterRole");
        assert_eq!(names(&m.subjects), ["owner", "alice"]);

        let v = rb(&d, PROJECT_VIEWER).expect("viewer binding");
        assert_eq!(names(&v.subjects), ["devs", "robot"]);
        let devs = &v.subjects.as_ref().unwrap()[0];
        assert_eq!(devs.kind, "Group");
        let robot = &v.subjects.as_ref().unwrap()[1];
        assert_eq!(
            (robot.kind.as_str(), robot.namespace.as_deref(), robot.api_group.as_deref()),
            ("ServiceAccount", Some("garden-dev"), None)
        );

        let s = rb(&d, PROJECT_SERVICE_ACCOUNT_MANAGER).expect("sa manager binding");
        assert_eq!(names(&s.subjects), ["owner", "robot"]);

        let admin = crb(&d, "gardener.cloud:system:project:dev").expect("owner crb");
        assert_eq!(names(&admin.subjects), ["owner"]);
        assert_eq!(admin.role_ref.name, "gardener.cloud:system:project:dev");
        let members = crb(&d, "gardener.cloud:system:project-member:dev").expect("member crb");
        assert_eq!(names(&members.subjects), ["owner", "alice"]);
        let viewers = crb(&d, "gardener.cloud:system:project-viewer:dev").expect("viewer crb");
        assert_eq!(names(&viewers.subjects), ["devs", "robot"]);
        assert!(crb(&d, "gardener.cloud:system:project-uam:dev").is_none(), "no uams, no binding");

        // Every object is labelled and owned by the project.
        for meta in d
            .role_bindings
            .iter()
            .map(|o| &o.metadata)
            .chain(d.cluster_role_bindings.iter().map(|o| &o.metadata))
            .chain(d.cluster_roles.iter().map(|o| &o.metadata))
        {
            assert_eq!(meta.labels.as_ref().unwrap()[LABEL_PROJECT_NAME], "dev");
            let refs = meta.owner_references.as_ref().unwrap();
            assert_eq!(refs[0].kind, "Project");
            assert_eq!(refs[0].uid, "uid-1");
            assert_eq!(refs[0].controller, Some(true));
        }
    }

    #[test]
    fn per_project_cluster_roles_grant_access_to_own_project_only() {
        let d = desired_rbac(&project(vec![]), "garden-dev");
        assert_eq!(
            d.cluster_role_names(),
            BTreeSet::from([
                "gardener.cloud:system:project:dev".to_string(),
                "gardener.cloud:system:project-member:dev".to_string(),
                "gardener.cloud:system:project-uam:dev".to_string(),
                "gardener.cloud:system:project-viewer:dev".to_string(),
            ])
        );
        let admin = d
            .cluster_roles
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some("gardener.cloud:system:project:dev"))
            .unwrap();
        let rules = admin.rules.as_ref().unwrap();
        let projects = rules.iter().find(|r| r.resources.as_deref() == Some(&["projects".to_string()][..])).unwrap();
        assert_eq!(projects.resource_names.as_deref(), Some(&["dev".to_string()][..]));
        assert_eq!(projects.api_groups.as_deref(), Some(&["core.gardener.cloud".to_string()][..]));
        for verb in ["get", "patch", "update", "delete", "manage-members"] {
            assert!(projects.verbs.iter().any(|v| v == verb), "{verb}");
        }
        let viewer = d
            .cluster_roles
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some("gardener.cloud:system:project-viewer:dev"))
            .unwrap();
        let projects = viewer
            .rules
            .as_ref()
            .unwrap()
            .iter()
            .find(|r| r.resources.as_deref() == Some(&["projects".to_string()][..]))
            .unwrap();
        assert_eq!(projects.verbs, ["get"]);
    }

    #[test]
    fn owner_only_project_has_no_viewer_binding() {
        let d = desired_rbac(&project(vec![]), "garden-dev");
        assert_eq!(names(&rb(&d, PROJECT_MEMBER).unwrap().subjects), ["owner"]);
        assert!(rb(&d, PROJECT_VIEWER).is_none());
        assert!(crb(&d, "gardener.cloud:system:project-viewer:dev").is_none());
    }

    #[test]
    fn duplicate_subjects_are_merged() {
        // apiGroup absent vs. set counts as the same principal for users only when equal after
        // normalization; the owner listed as member too appears once.
        let mut owner_member = member("User", "owner", ROLE_ADMIN, &[ROLE_OWNER]);
        owner_member.roles.push(ROLE_ADMIN.into());
        let d = desired_rbac(&project(vec![owner_member]), "garden-dev");
        assert_eq!(names(&rb(&d, PROJECT_MEMBER).unwrap().subjects), ["owner"]);
    }

    #[test]
    fn uam_and_extension_roles() {
        let p = project(vec![member("User", "ursula", ROLE_UAM, &["extension:foo"])]);
        let d = desired_rbac(&p, "garden-dev");
        assert_eq!(names(&crb(&d, "gardener.cloud:system:project-uam:dev").unwrap().subjects), ["ursula"]);
        let ext = rb(&d, "gardener.cloud:extension:project:dev:foo").expect("extension binding");
        assert_eq!(ext.role_ref.name, "gardener.cloud:extension:project:dev:foo");
        assert_eq!(ext.metadata.labels.as_ref().unwrap()[LABEL_ROLE], ROLE_EXTENSION_PROJECT_ROLE);
        let role = d
            .cluster_roles
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some("gardener.cloud:extension:project:dev:foo"))
            .unwrap();
        assert!(role.aggregation_rule.is_some());
    }

    fn meta(name: &str, project: Option<&str>) -> ObjectMeta {
        ObjectMeta { name: Some(name.into()), labels: project.map(project_labels), ..Default::default() }
    }

    #[test]
    fn stale_bindings_are_detected() {
        // Before: a viewer and an extension role; after: neither.
        let before = project(vec![member("User", "vera", ROLE_VIEWER, &["extension:foo"])]);
        let after = project(vec![]);
        let old = desired_rbac(&before, "garden-dev");
        let new = desired_rbac(&after, "garden-dev");

        let existing: Vec<ObjectMeta> = old.role_bindings.iter().map(|o| o.metadata.clone()).collect();
        let mut stale = stale_names(&existing, &new.role_binding_names(), "dev");
        stale.sort();
        assert_eq!(stale, ["gardener.cloud:extension:project:dev:foo", PROJECT_VIEWER]);

        let existing: Vec<ObjectMeta> = old.cluster_role_bindings.iter().map(|o| o.metadata.clone()).collect();
        assert_eq!(
            stale_names(&existing, &new.cluster_role_binding_names(), "dev"),
            ["gardener.cloud:system:project-viewer:dev"]
        );

        let existing: Vec<ObjectMeta> = old.cluster_roles.iter().map(|o| o.metadata.clone()).collect();
        assert_eq!(
            stale_names(&existing, &new.cluster_role_names(), "dev"),
            ["gardener.cloud:extension:project:dev:foo"]
        );
    }

    #[test]
    fn stale_detection_ignores_foreign_objects() {
        let wanted = BTreeSet::new();
        let existing = [
            meta("my-own-binding", Some("dev")),                            // not a managed name
            meta(PROJECT_VIEWER, None),                                     // not labelled
            meta(PROJECT_VIEWER, Some("other")),                            // another project
            meta("gardener.cloud:system:project:devx", Some("dev")),        // another project's name
            meta("gardener.cloud:extension:project:devx:foo", Some("dev")), // ditto
            meta("gardener.cloud:system:project:dev", Some("dev")),         // ours
        ];
        assert_eq!(stale_names(&existing, &wanted, "dev"), ["gardener.cloud:system:project:dev"]);
    }

    #[test]
    fn merging_bindings() {
        let p = project(vec![member("User", "alice", ROLE_ADMIN, &[])]);
        let d = desired_rbac(&p, "garden-dev");
        let want = rb(&d, PROJECT_MEMBER).unwrap().clone();

        // Same content as stored by a server that drops empty apiGroup/namespace: no update.
        let mut stored = want.clone();
        stored.metadata.resource_version = Some("7".into());
        stored.metadata.labels.as_mut().unwrap().insert("extra".into(), "kept".into());
        assert_eq!(merge_role_binding(&stored, &want), BindingUpdate::None);

        // Members changed: replace, keeping foreign labels and resourceVersion.
        let mut fewer = p.clone();
        fewer.spec.members.clear();
        let want2 = rb(&desired_rbac(&fewer, "garden-dev"), PROJECT_MEMBER).unwrap().clone();
        match merge_role_binding(&stored, &want2) {
            BindingUpdate::Replace(o) => {
                assert_eq!(names(&o.subjects), ["owner"]);
                assert_eq!(o.metadata.resource_version.as_deref(), Some("7"));
                assert_eq!(o.metadata.labels.as_ref().unwrap()["extra"], "kept");
            }
            other => panic!("expected replace, got {other:?}"),
        }

        // roleRef differs: recreate.
        let mut wrong = stored.clone();
        wrong.role_ref.name = "admin".into();
        assert_eq!(merge_role_binding(&wrong, &want), BindingUpdate::Recreate);

        // Missing label and owner reference get added.
        let mut bare = stored.clone();
        bare.metadata.labels = None;
        bare.metadata.owner_references = None;
        match merge_role_binding(&bare, &want) {
            BindingUpdate::Replace(o) => {
                assert_eq!(o.metadata.labels.as_ref().unwrap()[LABEL_PROJECT_NAME], "dev");
                assert_eq!(o.metadata.owner_references.as_ref().unwrap().len(), 1);
            }
            other => panic!("expected replace, got {other:?}"),
        }
    }

    #[test]
    fn merging_cluster_roles_normalizes_empty_lists() {
        let d = desired_rbac(&project(vec![]), "garden-dev");
        let want = d.cluster_roles[0].clone();
        let mut stored = want.clone();
        for r in stored.rules.iter_mut().flatten() {
            r.non_resource_urls = Some(vec![]);
        }
        assert_eq!(merge_cluster_role(&stored, &want), None);
        stored.rules = Some(vec![]);
        assert!(merge_cluster_role(&stored, &want).is_some());
    }

    #[test]
    fn aggregated_rules_of_extension_roles_are_left_to_the_aggregation_controller() {
        let d = desired_rbac(&project(vec![member("User", "ursula", ROLE_UAM, &["extension:foo"])]), "garden-dev");
        let want = d.cluster_roles.iter().find(|r| r.aggregation_rule.is_some()).expect("extension role").clone();
        let mut stored = want.clone();
        stored.rules = Some(vec![PolicyRule { verbs: vec!["get".into()], ..Default::default() }]);
        assert_eq!(merge_cluster_role(&stored, &want), None, "aggregated rules must not be reset");
        stored.aggregation_rule = None;
        assert!(merge_cluster_role(&stored, &want).is_some_and(|r| r.aggregation_rule.is_some()));
    }

    #[test]
    fn second_controller_reference_is_not_a_controller() {
        let mut m = ObjectMeta::default();
        let p = project(vec![]);
        let mut other = owner_reference(&p);
        other.uid = "other".into();
        assert!(merge_owner_reference(&mut m, &other));
        assert!(merge_owner_reference(&mut m, &owner_reference(&p)));
        assert!(!merge_owner_reference(&mut m, &owner_reference(&p)));
        let refs = m.owner_references.unwrap();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[1].controller, Some(false));
    }
}
