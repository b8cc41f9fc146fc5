//! Authorization: request attributes, decisions, the authorizer chain, and kube's RBAC.
//!
//! Evaluated like kube-apiserver: a chain of authorizers where the first `Allow` or `Deny`
//! wins and `NoOpinion` falls through; a request nobody allows is forbidden with
//! [`forbidden_message`] / [`forbidden_error`].

pub mod escalation;
pub mod policy;
pub mod rbac;
pub mod webhook;

use std::sync::Arc;

use serde_json::json;

use crate::error::ApiError;

/// The kube group whose members may do anything.
pub const SYSTEM_MASTERS: &str = "system:masters";
/// Group every authenticated user carries.
pub const SYSTEM_AUTHENTICATED: &str = "system:authenticated";
/// Group the anonymous user carries.
pub const SYSTEM_UNAUTHENTICATED: &str = "system:unauthenticated";

/// The authenticated user of a request (kube's `user.Info`, without extra).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// User name, e.g. `alice` or `system:serviceaccount:garden-dev:robot`.
    pub name: String,
    /// Stable unique id, may be empty.
    pub uid: String,
    /// Groups, including `system:authenticated` for authenticated users.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// Whether the user is a member of `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// What a request wants to do (kube's `authorizer.Attributes`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestAttributes {
    /// Who asks.
    pub user: UserInfo,
    /// Lower-case verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`, or special verbs like `escalate`, `bind`, `impersonate`.
    pub verb: String,
    /// True for `/api/...` and `/apis/...` resource requests; false for non-resource paths.
    pub resource_request: bool,
    /// API group (`""` for the core group).
    pub api_group: String,
    /// Plural resource, e.g. `shoots`.
    pub resource: String,
    /// Subresource, e.g. `adminkubeconfig`, or empty.
    pub subresource: String,
    /// Namespace, empty for cluster-scoped requests.
    pub namespace: String,
    /// Object name, empty for list/collection requests and for create.
    pub name: String,
    /// Request path (used for non-resource requests).
    pub path: String,
}

impl RequestAttributes {
    /// Attributes of a resource request.
    #[allow(clippy::too_many_arguments)]
    pub fn resource(
        user: &UserInfo,
        verb: &str,
        api_group: &str,
        resource: &str,
        subresource: &str,
        namespace: &str,
        name: &str,
    ) -> Self {
        RequestAttributes {
            user: user.clone(),
            verb: verb.to_string(),
            resource_request: true,
            api_group: api_group.to_string(),
            resource: resource.to_string(),
            subresource: subresource.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            path: String::new(),
        }
    }

    /// Attributes of a non-resource request (`/healthz`, `/version`, ...).
    pub fn non_resource(user: &UserInfo, verb: &str, path: &str) -> Self {
        RequestAttributes { user: user.clone(), verb: verb.to_string(), path: path.to_string(), ..Default::default() }
    }
}

/// The outcome of one authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// The request is denied, with a reason; later authorizers are not asked.
    Deny(String),
    /// This authorizer has nothing to say; ask the next one.
    NoOpinion,
}

/// Something that decides requests.
pub trait Authorizer: Send + Sync {
    /// Decide one request.
    fn authorize(&self, a: &RequestAttributes) -> Decision;
}

/// Chain of authorizers: first Allow/Deny wins, NoOpinion falls through (kube's union authorizer).
#[derive(Clone, Default)]
pub struct AuthorizerChain(pub Vec<Arc<dyn Authorizer>>);

impl Authorizer for AuthorizerChain {
    fn authorize(&self, a: &RequestAttributes) -> Decision {
        for authz in &self.0 {
            match authz.authorize(a) {
                Decision::NoOpinion => continue,
                decided => return decided,
            }
        }
        Decision::NoOpinion
    }
}

/// Allows everything for members of group `system:masters` (like kube's privileged group).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemMastersAuthorizer;

impl Authorizer for SystemMastersAuthorizer {
    fn authorize(&self, a: &RequestAttributes) -> Decision {
        if a.user.in_group(SYSTEM_MASTERS) {
            Decision::Allow
        } else {
            Decision::NoOpinion
        }
    }
}

/// `shoots.core.gardener.cloud` (or `secrets` for the core group), as kube's GroupResource.
fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// kube's `forbiddenMessage`: `User "bob" cannot list resource "shoots" in API group ...`.
fn attributes_message(a: &RequestAttributes) -> String {
    let user = &a.user.name;
    let verb = &a.verb;
    if !a.resource_request {
        return format!("User {user:?} cannot {verb} path {:?}", a.path);
    }
    let resource =
        if a.subresource.is_empty() { a.resource.clone() } else { format!("{}/{}", a.resource, a.subresource) };
    let group = &a.api_group;
    if a.namespace.is_empty() {
        format!("User {user:?} cannot {verb} resource {resource:?} in API group {group:?} at the cluster scope")
    } else {
        format!(
            "User {user:?} cannot {verb} resource {resource:?} in API group {group:?} in the namespace {:?}",
            a.namespace
        )
    }
}

/// The full Forbidden message kube-apiserver returns for a request no authorizer allowed, e.g.
/// `shoots.core.gardener.cloud is forbidden: User "bob" cannot list resource "shoots" in API
/// group "core.gardener.cloud" in the namespace "garden-alpha"`. A named object is quoted after
/// the group-resource; a non-resource request reads `forbidden: User "bob" cannot get path
/// "/metrics"`. A non-empty `reason` is appended after `": "`.
pub fn forbidden_message(a: &RequestAttributes, reason: &str) -> String {
    let mut err = attributes_message(a);
    if !reason.is_empty() {
        err = format!("{err}: {reason}");
    }
    if !a.resource_request || (a.api_group.is_empty() && a.resource.is_empty()) {
        return format!("forbidden: {err}");
    }
    let gr = group_resource(&a.api_group, &a.resource);
    if a.name.is_empty() {
        format!("{gr} is forbidden: {err}")
    } else {
        format!("{gr} {:?} is forbidden: {err}", a.name)
    }
}

/// The 403 Status for a refused request (message from [`forbidden_message`], details with
/// name, group and kind = resource, as kube's `NewForbidden`).
pub fn forbidden_error(a: &RequestAttributes, reason: &str) -> ApiError {
    let mut e = ApiError::forbidden_msg(forbidden_message(a, reason));
    if a.resource_request {
        e.details = Some(json!({"name": a.name, "group": a.api_group, "kind": a.resource}));
    } else {
        e.details = Some(json!({}));
    }
    e
}

/// Run `authz` on `a`: `Ok(())` when allowed, else the kube 403.
pub fn check(authz: &dyn Authorizer, a: &RequestAttributes) -> Result<(), ApiError> {
    match authz.authorize(a) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(forbidden_error(a, &reason)),
        Decision::NoOpinion => Err(forbidden_error(a, "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bob() -> UserInfo {
        UserInfo { name: "bob".into(), uid: String::new(), groups: vec![SYSTEM_AUTHENTICATED.into()] }
    }

    #[test]
    fn forbidden_message_shapes() {
        let u = bob();
        let list = RequestAttributes::resource(&u, "list", "core.gardener.cloud", "shoots", "", "garden-alpha", "");
        assert_eq!(
            forbidden_message(&list, ""),
            r#"shoots.core.gardener.cloud is forbidden: User "bob" cannot list resource "shoots" in API group "core.gardener.cloud" in the namespace "garden-alpha""#
        );
        let cluster = RequestAttributes::resource(&u, "list", "core.gardener.cloud", "seeds", "", "", "");
        assert_eq!(
            forbidden_message(&cluster, ""),
            r#"seeds.core.gardener.cloud is forbidden: User "bob" cannot list resource "seeds" in API group "core.gardener.cloud" at the cluster scope"#
        );
        let named = RequestAttributes::resource(&u, "get", "core.gardener.cloud", "shoots", "", "garden-a", "x");
        assert_eq!(
            forbidden_message(&named, ""),
            r#"shoots.core.gardener.cloud "x" is forbidden: User "bob" cannot get resource "shoots" in API group "core.gardener.cloud" in the namespace "garden-a""#
        );
        let sub = RequestAttributes::resource(
            &u,
            "create",
            "core.gardener.cloud",
            "shoots",
            "adminkubeconfig",
            "garden-a",
            "x",
        );
        assert_eq!(
            forbidden_message(&sub, ""),
            r#"shoots.core.gardener.cloud "x" is forbidden: User "bob" cannot create resource "shoots/adminkubeconfig" in API group "core.gardener.cloud" in the namespace "garden-a""#
        );
        let core = RequestAttributes::resource(&u, "get", "", "secrets", "", "garden-a", "s");
        assert_eq!(
            forbidden_message(&core, "RBAC: nope"),
            r#"secrets "s" is forbidden: User "bob" cannot get resource "secrets" in API group "" in the namespace "garden-a": RBAC: nope"#
        );
        let path = RequestAttributes::non_resource(&u, "get", "/metrics");
        assert_eq!(forbidden_message(&path, ""), r#"forbidden: User "bob" cannot get path "/metrics""#);
    }

    struct Fixed(Decision);
    impl Authorizer for Fixed {
        fn authorize(&self, _: &RequestAttributes) -> Decision {
            self.0.clone()
        }
    }

    #[test]
    fn chain_first_opinion_wins() {
        let a = RequestAttributes::non_resource(&bob(), "get", "/x");
        let chain = AuthorizerChain(vec![
            Arc::new(Fixed(Decision::NoOpinion)),
            Arc::new(Fixed(Decision::Deny("no".into()))),
            Arc::new(Fixed(Decision::Allow)),
        ]);
        assert_eq!(chain.authorize(&a), Decision::Deny("no".into()));
        let e = check(&chain, &a).err().map(|e| (e.code, e.message));
        assert_eq!(e, Some((403, r#"forbidden: User "bob" cannot get path "/x": no"#.to_string())));
        let allow = AuthorizerChain(vec![Arc::new(Fixed(Decision::NoOpinion)), Arc::new(Fixed(Decision::Allow))]);
        assert!(check(&allow, &a).is_ok());
        assert_eq!(AuthorizerChain::default().authorize(&a), Decision::NoOpinion);
    }

    #[test]
    fn system_masters() {
        let mut u = bob();
        let a = RequestAttributes::resource(&u, "delete", "", "secrets", "", "x", "y");
        assert_eq!(SystemMastersAuthorizer.authorize(&a), Decision::NoOpinion);
        u.groups.push(SYSTEM_MASTERS.into());
        let a = RequestAttributes::resource(&u, "delete", "", "secrets", "", "x", "y");
        assert_eq!(SystemMastersAuthorizer.authorize(&a), Decision::Allow);
    }

    #[test]
    fn forbidden_error_details() {
        let a = RequestAttributes::resource(&bob(), "get", "core.gardener.cloud", "shoots", "", "ns", "n");
        let e = forbidden_error(&a, "");
        assert_eq!(e.reason, "Forbidden");
        assert_eq!(e.details, Some(json!({"name": "n", "group": "core.gardener.cloud", "kind": "shoots"})));
    }
}
