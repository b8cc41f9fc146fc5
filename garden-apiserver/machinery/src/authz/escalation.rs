//! kube's RBAC escalation prevention: a user may only write a Role/ClusterRole whose rules they
//! already hold (or with verb `escalate` on it), and may only bind a role whose rules they hold
//! (or with verb `bind` on it). Members of `system:masters` skip both checks, as in kube.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef};

use super::{Authorizer, Decision, RequestAttributes, UserInfo, SYSTEM_MASTERS};
use crate::error::ApiError;

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn list(v: &Option<Vec<String>>) -> &[String] {
    v.as_deref().unwrap_or_default()
}

fn one(s: &str) -> Option<Vec<String>> {
    Some(vec![s.to_string()])
}

/// kube's `BreakdownRule`: one rule per (group, resource, verb[, name]) and per
/// (nonResourceURL, verb).
pub fn breakdown_rule(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    let names = list(&rule.resource_names);
    for group in list(&rule.api_groups) {
        for resource in list(&rule.resources) {
            for verb in &rule.verbs {
                let atom = PolicyRule {
                    api_groups: one(group),
                    resources: one(resource),
                    verbs: vec![verb.clone()],
                    ..Default::default()
                };
                if names.is_empty() {
                    out.push(atom);
                } else {
                    out.extend(names.iter().map(|n| PolicyRule { resource_names: one(n), ..atom.clone() }));
                }
            }
        }
    }
    for url in list(&rule.non_resource_urls) {
        for verb in &rule.verbs {
            out.push(PolicyRule { non_resource_urls: one(url), verbs: vec![verb.clone()], ..Default::default() });
        }
    }
    out
}

fn has(set: &[String], s: &str) -> bool {
    set.iter().any(|x| x == s)
}

fn has_all(set: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| has(set, w))
}

/// kube's `resourceCoversAll`: `*`, exact, or `*/subresource`.
fn resource_covers_all(owner: &[String], wanted: &[String]) -> bool {
    if has(owner, "*") || has_all(owner, wanted) {
        return true;
    }
    wanted
        .iter()
        .all(|path| has(owner, path) || path.split_once('/').is_some_and(|(_, sub)| has(owner, &format!("*/{sub}"))))
}

fn non_resource_url_covers(owner: &str, path: &str) -> bool {
    owner == path || owner.strip_suffix('*').is_some_and(|p| path.starts_with(p.trim_end_matches('*')))
}

fn non_resource_urls_cover_all(owner: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|p| owner.iter().any(|o| non_resource_url_covers(o, p)))
}

/// kube's `ruleCovers`: does `owner` cover the atomic rule `sub`?
fn rule_covers(owner: &PolicyRule, sub: &PolicyRule) -> bool {
    let verbs = has(&owner.verbs, "*") || has_all(&owner.verbs, &sub.verbs);
    let groups = has(list(&owner.api_groups), "*") || has_all(list(&owner.api_groups), list(&sub.api_groups));
    let resources = resource_covers_all(list(&owner.resources), list(&sub.resources));
    let urls = non_resource_urls_cover_all(list(&owner.non_resource_urls), list(&sub.non_resource_urls));
    let owner_names = list(&owner.resource_names);
    let names = owner_names.is_empty()
        || (!list(&sub.resource_names).is_empty() && has_all(owner_names, list(&sub.resource_names)));
    verbs && groups && resources && names && urls
}

/// kube's `validation.Covers`: `Ok(())` when the owner's rules cover every requested rule,
/// else the uncovered atomic rules (see [`breakdown_rule`]).
pub fn covers(owner: &[PolicyRule], requested: &[PolicyRule]) -> Result<(), Vec<PolicyRule>> {
    let uncovered: Vec<PolicyRule> =
        requested.iter().flat_map(breakdown_rule).filter(|atom| !owner.iter().any(|o| rule_covers(o, atom))).collect();
    if uncovered.is_empty() {
        Ok(())
    } else {
        Err(uncovered)
    }
}

/// kube's `CompactRules`: merges the verbs of simple rules (one group, one resource, at most one
/// name, nothing else) on the same group/resource/name.
pub fn compact_rules(rules: &[PolicyRule]) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    let mut simple: BTreeMap<(String, String, Option<String>), PolicyRule> = BTreeMap::new();
    for rule in rules {
        let groups = list(&rule.api_groups);
        let resources = list(&rule.resources);
        let names = list(&rule.resource_names);
        let is_simple =
            groups.len() == 1 && resources.len() == 1 && names.len() <= 1 && list(&rule.non_resource_urls).is_empty();
        if !is_simple {
            out.push(rule.clone());
            continue;
        }
        let key = (groups[0].clone(), resources[0].clone(), names.first().cloned());
        simple.entry(key).and_modify(|r| r.verbs.extend(rule.verbs.iter().cloned())).or_insert_with(|| rule.clone());
    }
    out.extend(simple.into_values());
    out
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
fn go_quote_list(v: &[String]) -> String {
    format!("[{}]", v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(" "))
}

/// kube's `CompactString`: `{APIGroups:["g"], Resources:["r"], Verbs:["get" "list"]}`.
pub fn compact_string(rule: &PolicyRule) -> String {
    let parts = [
        ("APIGroups", list(&rule.api_groups)),
        ("Resources", list(&rule.resources)),
        ("NonResourceURLs", list(&rule.non_resource_urls)),
        ("ResourceNames", list(&rule.resource_names)),
        ("Verbs", rule.verbs.as_slice()),
    ];
    let shown: Vec<String> =
        parts.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}:{}", go_quote_list(v))).collect();
    format!("{{{}}}", shown.join(", "))
}

/// kube's escalation message: `user "bob" (groups=["g"]) is attempting to grant RBAC permissions
/// not currently held:\n{...}\n{...}` (missing rules compacted, sorted, deduplicated).
pub fn escalation_message(user: &UserInfo, missing: &[PolicyRule]) -> String {
    let lines: BTreeSet<String> = compact_rules(missing).iter().map(compact_string).collect();
    format!(
        "user {:?} (groups={}) is attempting to grant RBAC permissions not currently held:\n{}",
        user.name,
        go_quote_list(&user.groups),
        lines.into_iter().collect::<Vec<_>>().join("\n")
    )
}

fn allowed(authz: &dyn Authorizer, a: &RequestAttributes) -> bool {
    authz.authorize(a) == Decision::Allow
}

/// Escalation check for creating/updating a Role (`cluster_scoped = false`, in `namespace`) or a
/// ClusterRole (`cluster_scoped = true`) named `role_name` with `new_rules`.
///
/// Allowed when the user is in `system:masters`, when `authz` allows verb `escalate` on the
/// role (`roles`/`clusterroles` in `rbac.authorization.k8s.io`, with its name and namespace),
/// or when `rules_of_user` (the user's rules in that namespace, e.g. from
/// `RbacAuthorizer::rules_for`) cover `new_rules`. Otherwise 403 Forbidden with kube's message.
pub fn check_role_write(
    authz: &dyn Authorizer,
    rules_of_user: &[PolicyRule],
    user: &UserInfo,
    namespace: &str,
    role_name: &str,
    cluster_scoped: bool,
    new_rules: &[PolicyRule],
) -> Result<(), ApiError> {
    if user.in_group(SYSTEM_MASTERS) {
        return Ok(());
    }
    let resource = if cluster_scoped { "clusterroles" } else { "roles" };
    let ns = if cluster_scoped { "" } else { namespace };
    let escalate = RequestAttributes::resource(user, "escalate", RBAC_GROUP, resource, "", ns, role_name);
    if allowed(authz, &escalate) {
        return Ok(());
    }
    covers(rules_of_user, new_rules)
        .map_err(|missing| ApiError::forbidden(RBAC_GROUP, resource, role_name, &escalation_message(user, &missing)))
}

/// Escalation check for creating/updating a RoleBinding (`cluster_scoped = false`, in
/// `namespace`) or ClusterRoleBinding named `binding_name` that refers to `role_ref`.
///
/// Allowed when the user is in `system:masters`, when `authz` allows verb `bind` on the
/// referenced role (`roles` or `clusterroles` in the roleRef's group, with the role's name as
/// resourceName, in the binding's namespace), or when `rules_of_user` (the user's rules in the
/// binding's namespace) cover `role_rules`, the rules of the referenced role. `role_rules` is
/// `None` when the role does not exist: then, without `bind`, the request is refused with kube's
/// `... is forbidden: clusterroles.rbac.authorization.k8s.io "x" not found`.
#[allow(clippy::too_many_arguments)]
pub fn check_binding_write(
    authz: &dyn Authorizer,
    rules_of_user: &[PolicyRule],
    user: &UserInfo,
    namespace: &str,
    binding_name: &str,
    cluster_scoped: bool,
    role_ref: &RoleRef,
    role_rules: Option<&[PolicyRule]>,
) -> Result<(), ApiError> {
    if user.in_group(SYSTEM_MASTERS) {
        return Ok(());
    }
    let binding_resource = if cluster_scoped { "clusterrolebindings" } else { "rolebindings" };
    let ns = if cluster_scoped { "" } else { namespace };
    let role_resource = match role_ref.kind.as_str() {
        "ClusterRole" => Some("clusterroles"),
        "Role" => Some("roles"),
        _ => None,
    };
    if let Some(res) = role_resource {
        let bind = RequestAttributes::resource(user, "bind", &role_ref.api_group, res, "", ns, &role_ref.name);
        if allowed(authz, &bind) {
            return Ok(());
        }
    }
    let forbidden = |why: &str| ApiError::forbidden(RBAC_GROUP, binding_resource, binding_name, why);
    let Some(rules) = role_rules else {
        let missing = format!("{}.{RBAC_GROUP} {:?} not found", role_resource.unwrap_or("roles"), role_ref.name);
        return Err(forbidden(&missing));
    };
    covers(rules_of_user, rules).map_err(|missing| forbidden(&escalation_message(user, &missing)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::rbac::testing::{role_ref, rule, subject, user, FakeSource};
    use crate::authz::rbac::RbacAuthorizer;

    const CORE: &str = "core.gardener.cloud";

    fn names(r: PolicyRule, names: &[&str]) -> PolicyRule {
        PolicyRule { resource_names: Some(names.iter().map(|s| s.to_string()).collect()), ..r }
    }

    #[test]
    fn covers_wildcards_and_atoms() {
        let owner = vec![rule(&[CORE], &["shoots", "*/status"], &["get", "list"]), rule(&[""], &["*"], &["*"])];
        assert!(covers(&owner, &[rule(&[CORE], &["shoots"], &["get"])]).is_ok());
        assert!(covers(&owner, &[rule(&[CORE], &["seeds/status"], &["list"])]).is_ok());
        assert!(covers(&owner, &[rule(&[""], &["secrets", "configmaps"], &["delete", "create"])]).is_ok());
        // split across owner rules: each atom is covered by one of them
        assert!(covers(&owner, &[rule(&[CORE, ""], &["shoots"], &["get"])]).is_ok());
        let missing =
            covers(&owner, &[rule(&[CORE], &["shoots", "seeds"], &["get", "delete"])]).err().unwrap_or_default();
        assert_eq!(missing.len(), 3, "{missing:?}");
        assert!(missing.contains(&rule(&[CORE], &["shoots"], &["delete"])));
        assert!(missing.contains(&rule(&[CORE], &["seeds"], &["get"])));
    }

    #[test]
    fn covers_resource_names_and_urls() {
        let owner = vec![
            names(rule(&[""], &["configmaps"], &["get"]), &["a", "b"]),
            PolicyRule {
                non_resource_urls: Some(vec!["/apis/*".into()]),
                verbs: vec!["get".into()],
                ..Default::default()
            },
        ];
        assert!(covers(&owner, &[names(rule(&[""], &["configmaps"], &["get"]), &["a"])]).is_ok());
        assert!(
            covers(&owner, &[rule(&[""], &["configmaps"], &["get"])]).is_err(),
            "named owner rule doesn't cover all names"
        );
        assert!(covers(&owner, &[names(rule(&[""], &["configmaps"], &["get"]), &["c"])]).is_err());
        let url = |u: &str| PolicyRule {
            non_resource_urls: Some(vec![u.into()]),
            verbs: vec!["get".into()],
            ..Default::default()
        };
        assert!(covers(&owner, &[url("/apis/x")]).is_ok());
        assert!(covers(&owner, &[url("/apis/*")]).is_ok());
        assert!(covers(&owner, &[url("/healthz")]).is_err());
    }

    #[test]
    fn message_shape() {
        let u = user("bob", &["devs"]);
        let missing = vec![
            rule(&[CORE], &["shoots"], &["get"]),
            rule(&[CORE], &["shoots"], &["list"]),
            names(rule(&[""], &["secrets"], &["get"]), &["s"]),
        ];
        assert_eq!(
            escalation_message(&u, &missing),
            "user \"bob\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n\
             {APIGroups:[\"\"], Resources:[\"secrets\"], ResourceNames:[\"s\"], Verbs:[\"get\"]}\n\
             {APIGroups:[\"core.gardener.cloud\"], Resources:[\"shoots\"], Verbs:[\"get\" \"list\"]}"
        );
    }

    fn setup() -> RbacAuthorizer<FakeSource> {
        let src = FakeSource::default()
            .with_cluster_role(
                "member",
                vec![
                    rule(&[CORE], &["shoots"], &["get", "list"]),
                    rule(&[RBAC_GROUP], &["roles", "rolebindings"], &["create", "update", "get"]),
                ],
            )
            .with_cluster_role("escalator", vec![rule(&[RBAC_GROUP], &["roles"], &["escalate"])])
            .with_cluster_role("binder", vec![names(rule(&[RBAC_GROUP], &["clusterroles"], &["bind"]), &["big"])])
            .with_cluster_role("big", vec![rule(&["*"], &["*"], &["*"])])
            .rb(
                "garden-a",
                "ClusterRole",
                "member",
                vec![subject("User", "bob", None), subject("User", "eve", None), subject("User", "bill", None)],
            )
            .rb("garden-a", "ClusterRole", "escalator", vec![subject("User", "eve", None)])
            .rb("garden-a", "ClusterRole", "binder", vec![subject("User", "bill", None)]);
        RbacAuthorizer::new(src)
    }

    #[test]
    fn star_verb_includes_escalate() {
        let src = FakeSource::default()
            .with_cluster_role("rbac-admin", vec![rule(&[RBAC_GROUP], &["roles"], &["*"])])
            .rb("ns", "ClusterRole", "rbac-admin", vec![subject("User", "u", None)]);
        let a = RbacAuthorizer::new(src);
        let u = user("u", &[]);
        let rules = a.rules_for(&u, "ns");
        assert!(check_role_write(&a, &rules, &u, "ns", "r", false, &[rule(&["*"], &["*"], &["*"])]).is_ok());
    }

    #[test]
    fn role_write_escalation() {
        let a = setup();
        let bob = user("bob", &[]);
        let rules = a.rules_for(&bob, "garden-a");
        let fine = [rule(&[CORE], &["shoots"], &["get"])];
        assert!(check_role_write(&a, &rules, &bob, "garden-a", "r", false, &fine).is_ok());
        let too_much = [rule(&[CORE], &["shoots"], &["get", "delete"])];
        let e = check_role_write(&a, &rules, &bob, "garden-a", "r", false, &too_much).err();
        let e = e.map(|e| (e.code, e.reason, e.message));
        assert_eq!(
            e,
            Some((
                403,
                "Forbidden",
                "roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"core.gardener.cloud\"], Resources:[\"shoots\"], Verbs:[\"delete\"]}".to_string()
            ))
        );
        // eve holds `escalate` on roles in garden-a
        let eve = user("eve", &[]);
        let rules = a.rules_for(&eve, "garden-a");
        assert!(check_role_write(&a, &rules, &eve, "garden-a", "r", false, &too_much).is_ok());
        // ...but not on clusterroles
        assert!(check_role_write(&a, &rules, &eve, "", "r", true, &too_much).is_err());
        // system:masters skip the check
        let root = user("root", &["system:masters"]);
        assert!(check_role_write(&a, &[], &root, "", "r", true, &too_much).is_ok());
    }

    #[test]
    fn binding_write_escalation() {
        let a = setup();
        let big_rules = [rule(&["*"], &["*"], &["*"])];
        let big = role_ref("ClusterRole", "big");
        let bob = user("bob", &[]);
        let rules = a.rules_for(&bob, "garden-a");
        let e = check_binding_write(&a, &rules, &bob, "garden-a", "b", false, &big, Some(&big_rules)).err();
        assert!(e.is_some_and(|e| e.code == 403
            && e.message.starts_with("rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: user \"bob\"")
            && e.message.ends_with("{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}")));
        // binding a role whose rules bob holds is fine
        let member = role_ref("ClusterRole", "member");
        let member_rules = [rule(&[CORE], &["shoots"], &["list"])];
        assert!(check_binding_write(&a, &rules, &bob, "garden-a", "b", false, &member, Some(&member_rules)).is_ok());
        // bill may `bind` clusterrole "big" (resourceNames match) ...
        let bill = user("bill", &[]);
        let rules = a.rules_for(&bill, "garden-a");
        assert!(check_binding_write(&a, &rules, &bill, "garden-a", "b", false, &big, Some(&big_rules)).is_ok());
        // ... but no other role, and not in another namespace
        let other = role_ref("ClusterRole", "other");
        let e = check_binding_write(&a, &rules, &bill, "garden-a", "b", false, &other, None).err().map(|e| e.message);
        assert_eq!(
            e.as_deref(),
            Some("rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: clusterroles.rbac.authorization.k8s.io \"other\" not found")
        );
        assert!(check_binding_write(&a, &[], &bill, "garden-b", "b", false, &big, Some(&big_rules)).is_err());
    }

    #[test]
    fn compact_keeps_complex_rules() {
        let complex = rule(&[CORE, ""], &["shoots"], &["get"]);
        let out = compact_rules(&[
            complex.clone(),
            rule(&[CORE], &["seeds"], &["get"]),
            rule(&[CORE], &["seeds"], &["watch"]),
        ]);
        assert_eq!(out, vec![complex, rule(&[CORE], &["seeds"], &["get", "watch"])]);
    }
}
