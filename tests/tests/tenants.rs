//! Multi-tenancy through projects: the project controller creates namespaces and member RoleBindings; RBAC
//! isolates tenants, viewers cannot read secrets, anonymous requests are refused, and nobody escalates.

use std::time::Duration;

use garden_e2e::{assert_eventually, GardenOptions, TestGarden};

const PROJECTS: &str = r#"
apiVersion: core.gardener.cloud/v1beta1
kind: Project
metadata:
  name: alpha
spec:
  namespace: garden-alpha
  owner: {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
  members:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice, role: admin}
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: carol, role: viewer}
---
apiVersion: core.gardener.cloud/v1beta1
kind: Project
metadata:
  name: beta
spec:
  namespace: garden-beta
  owner: {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}
  members:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob, role: admin}
"#;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn tenants_are_isolated_by_project_rbac() {
    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], PROJECTS);
    assert!(out.status.success(), "{}", stderr(&out));
    for ns in ["garden-alpha", "garden-beta"] {
        assert_eventually!(Duration::from_secs(30), || !garden
            .kubectl(&["-n", ns, "get", "rolebindings", "-o", "name"])
            .stdout
            .is_empty());
    }
    let alice = garden.user_kubeconfig("alice", &[]);
    let bob = garden.user_kubeconfig("bob", &[]);
    let carol = garden.user_kubeconfig("carol", &[]);

    // Each admin works in their own namespace (RoleBindings may take a moment to land).
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl_as(&alice, &["-n", "garden-alpha", "create", "secret", "generic", "a-secret", "--from-literal=k=v"])
        .status
        .success());
    garden.kubectl_as_ok(&bob, &["-n", "garden-beta", "create", "secret", "generic", "b-secret", "--from-literal=k=v"]);
    garden.kubectl_as_ok(&alice, &["-n", "garden-alpha", "get", "shoots"]);

    // ... and nowhere else.
    let denied = garden.kubectl_as(&alice, &["-n", "garden-beta", "get", "shoots"]);
    assert!(!denied.status.success());
    assert!(
        stderr(&denied).contains(r#"User "alice" cannot list resource "shoots" in API group "core.gardener.cloud" in the namespace "garden-beta""#),
        "{}",
        stderr(&denied)
    );
    let denied = garden.kubectl_as(&alice, &["-n", "garden-beta", "get", "secret", "b-secret"]);
    assert!(stderr(&denied).contains("Forbidden") || stderr(&denied).contains("forbidden"), "{}", stderr(&denied));
    assert!(!garden.kubectl_as(&bob, &["-n", "garden-alpha", "get", "secrets"]).status.success());

    // The viewer reads shoots but not secrets.
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl_as(&carol, &["-n", "garden-alpha", "get", "shoots"])
        .status
        .success());
    let denied = garden.kubectl_as(&carol, &["-n", "garden-alpha", "get", "secrets"]);
    assert!(!denied.status.success());
    assert!(stderr(&denied).contains(r#"User "carol" cannot list resource "secrets""#), "{}", stderr(&denied));
    // kubectl auth can-i goes through SelfSubjectAccessReview.
    let can = garden.kubectl_as(&carol, &["-n", "garden-alpha", "auth", "can-i", "get", "secrets"]);
    assert_eq!(String::from_utf8_lossy(&can.stdout).trim(), "no");
    let can = garden.kubectl_as(&carol, &["-n", "garden-alpha", "auth", "can-i", "list", "shoots.core.gardener.cloud"]);
    assert_eq!(String::from_utf8_lossy(&can.stdout).trim(), "yes");
    // `can-i --list` (SelfSubjectRulesReview): the privileged group may do anything; a viewer may not.
    let all_rules =
        |out: &str| out.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["*.*", "[]", "[]", "[*]"]);
    let admin = garden.kubectl_ok(&["-n", "garden-alpha", "auth", "can-i", "--list"]);
    assert!(all_rules(&admin), "{admin}");
    assert!(admin.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["[*]", "[]", "[*]"]), "{admin}");
    let viewer = garden.kubectl_as_ok(&carol, &["-n", "garden-alpha", "auth", "can-i", "--list"]);
    assert!(!all_rules(&viewer), "{viewer}");
    assert!(viewer.contains("shoots.core.gardener.cloud"), "{viewer}");
    // Reviews are computed answers: metadata sent with them is not echoed (schemathesis found a
    // managedFields entry with a number for fieldsV1 coming back in a 201).
    let junk = r#"{"managedFields":[{"fieldsV1":12,"operation":"x"}],"labels":{"a":"b"}}"#;
    let rules = format!(
        r#"{{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","metadata":{junk},"spec":{{"namespace":"garden-alpha"}}}}"#
    );
    let (code, body) = garden.post_as_admin(
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        "application/json",
        rules.as_bytes(),
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["metadata"], serde_json::json!({}), "{body}");
    assert_eq!(body["spec"]["namespace"], "garden-alpha", "{body}");
    assert!(body["status"]["resourceRules"].as_array().is_some_and(|r| !r.is_empty()), "{body}");
    let access = format!(
        r#"{{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{junk},"spec":{{"resourceAttributes":{{"verb":"get","resource":"secrets"}}}}}}"#
    );
    let (code, body) = garden.post_as_admin(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "application/json",
        access.as_bytes(),
    );
    assert_eq!(code, 422, "kube refuses metadata on a SelfSubjectAccessReview: {body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("metadata: Invalid value"), "{body}");
    let access = access.replace(r#","labels":{"a":"b"}"#, "");
    let (code, body) = garden.post_as_admin(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "application/json",
        access.as_bytes(),
    );
    assert_eq!(code, 201, "managedFields alone are ignored: {body}");
    assert_eq!(body["status"]["allowed"], true, "{body}");
    assert!(body["metadata"].get("managedFields").is_none(), "{body}");

    // Nobody grants themselves more than they have.
    let escalate = garden.kubectl_as(
        &alice,
        &["-n", "garden-alpha", "create", "rolebinding", "root", "--clusterrole=cluster-admin", "--user=alice"],
    );
    assert!(!escalate.status.success(), "alice bound cluster-admin");
    assert!(stderr(&escalate).contains("forbidden"), "{}", stderr(&escalate));
    let escalate = garden
        .kubectl_as(&alice, &["create", "clusterrolebinding", "root", "--clusterrole=cluster-admin", "--user=alice"]);
    assert!(!escalate.status.success());
}

#[test]
fn anonymous_requests_are_unauthorized_and_tokens_authenticate() {
    let garden = TestGarden::start_with(GardenOptions {
        token_auth_csv: Some("s3cret-token,dora,uid-dora,\"system:masters\"\n".into()),
        ..Default::default()
    })
    .unwrap();
    let anon = std::process::Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/api/v1/namespaces", garden.server_url()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&anon.stdout), "401");
    let bad = std::process::Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer wrong"])
        .arg(format!("{}/api/v1/namespaces", garden.server_url()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&bad.stdout), "401");
    let good = std::process::Command::new("curl")
        .args(["-sk", "-w", "\n%{http_code}", "-H", "Authorization: Bearer s3cret-token"])
        .arg(format!("{}/api/v1/namespaces", garden.server_url()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&good.stdout);
    assert!(text.ends_with("200"), "{text}");
    assert!(text.contains("\"NamespaceList\""));
}

#[test]
fn service_account_tokens_authenticate_until_the_account_is_deleted() {
    let garden = TestGarden::start().unwrap();
    garden.kubectl_ok(&["-n", "default", "create", "serviceaccount", "robot"]);
    garden.kubectl_ok(&[
        "-n",
        "default",
        "create",
        "rolebinding",
        "robot-view",
        "--clusterrole=view",
        "--serviceaccount=default:robot",
    ]);
    let token = garden.kubectl_ok(&["-n", "default", "create", "token", "robot", "--duration=10m"]).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert_eq!(garden.curl_code(&token, "/api/v1/namespaces/default/configmaps"), "200");
    // view does not include secrets.
    assert_eq!(garden.curl_code(&token, "/api/v1/namespaces/default/secrets"), "403");
    let too_short = garden.kubectl(&["-n", "default", "create", "token", "robot", "--duration=1m"]);
    assert!(!too_short.status.success());
    garden.kubectl_ok(&["-n", "default", "delete", "serviceaccount", "robot"]);
    assert_eq!(garden.curl_code(&token, "/api/v1/namespaces/default/configmaps"), "401");
}

#[test]
fn impersonation_needs_the_impersonate_verb() {
    let garden = TestGarden::start().unwrap();
    // The admin may impersonate: bob has no rights, so this is refused as bob.
    let out = garden.kubectl(&["-n", "default", "get", "secrets", "--as", "bob"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(r#"User "bob" cannot list resource "secrets""#));
    assert!(
        garden.kubectl_ok(&["-n", "default", "get", "configmaps", "--as", "bob", "--as-group", "system:masters"]).len()
            < 10_000
    );
    // bob may not impersonate anyone.
    let bob = garden.user_kubeconfig("bob", &[]);
    let out = garden.kubectl_as(&bob, &["get", "namespaces", "--as", "garden-admin", "--as-group", "system:masters"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot impersonate resource \"users\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A project member with an `extension:<role>` role gets what the ClusterRoles labelled
/// `rbac.gardener.cloud/aggregate-to-extension-role: <role>` grant, in the project's namespace only, as soon as
/// such a role exists and no longer once it is deleted (the ClusterRole aggregation controller); a ClusterRole
/// labelled `rbac.gardener.cloud/aggregate-to-project-viewer` extends every project viewer.
#[test]
fn project_extension_roles_grant_what_labelled_cluster_roles_aggregate() {
    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let project = r#"
apiVersion: core.gardener.cloud/v1beta1
kind: Project
metadata:
  name: gamma
spec:
  namespace: garden-gamma
  owner: {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
  members:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: dave, role: viewer, roles: ["extension:cm-writer"]}
"#;
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], project);
    assert!(out.status.success(), "{}", stderr(&out));
    let dave = garden.user_kubeconfig("dave", &[]);
    let can_create = || {
        let out = garden.kubectl_as(&dave, &["-n", "garden-gamma", "auth", "can-i", "create", "configmaps"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl_as(&dave, &["-n", "garden-gamma", "get", "shoots"])
        .status
        .success());
    assert_eq!(can_create(), "no", "a viewer cannot create configmaps before the extension role grants it");

    let part = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cm-writer-part
  labels: {rbac.gardener.cloud/aggregate-to-extension-role: cm-writer}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [create]}
"#;
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], part);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eventually!(Duration::from_secs(30), || can_create() == "yes");
    garden.kubectl_as_ok(&dave, &["-n", "garden-gamma", "create", "configmap", "by-dave", "--from-literal=a=b"]);
    let elsewhere = garden.kubectl_as(&dave, &["-n", "default", "auth", "can-i", "create", "configmaps"]);
    assert_eq!(String::from_utf8_lossy(&elsewhere.stdout).trim(), "no", "only in the project's namespace");

    garden.kubectl_ok(&["delete", "clusterrole", "cm-writer-part"]);
    assert_eventually!(Duration::from_secs(30), || can_create() == "no");

    // The built-in project roles aggregate too: a ClusterRole labelled for the viewer role extends every viewer.
    let can_list_leases = || {
        let out =
            garden.kubectl_as(&dave, &["-n", "garden-gamma", "auth", "can-i", "list", "leases.coordination.k8s.io"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(can_list_leases(), "no");
    let viewer_part = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: lease-viewer-part
  labels: {rbac.gardener.cloud/aggregate-to-project-viewer: "true"}
rules:
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, list, watch]}
"#;
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], viewer_part);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eventually!(Duration::from_secs(30), || can_list_leases() == "yes");
    // ... while its own rules stay: the viewer still reads shoots and still cannot read secrets.
    garden.kubectl_as_ok(&dave, &["-n", "garden-gamma", "get", "shoots"]);
    assert!(!garden.kubectl_as(&dave, &["-n", "garden-gamma", "get", "secrets"]).status.success());
}

/// The bootstrap ClusterRoles are reconciled at every API server start, like kube's: a `view` role from before
/// aggregation (no aggregation rule, no label) gets both back; a role annotated
/// `rbac.authorization.kubernetes.io/autoupdate: "false"` is left as the operator wrote it.
#[test]
fn bootstrap_roles_are_reconciled_when_the_api_server_starts() {
    let mut garden = TestGarden::start().unwrap();
    let get = |garden: &TestGarden, name: &str, path: &str| {
        garden.kubectl_ok(&["get", "clusterrole", name, "-o", &format!("jsonpath={path}")])
    };
    let flat_view = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: view
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
"#;
    let out = garden.kubectl_stdin(&["replace", "-f", "-"], flat_view);
    assert!(out.status.success(), "{}", stderr(&out));
    let pinned = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:public-info-viewer
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "false"}
rules:
- {nonResourceURLs: [/healthz], verbs: [get]}
"#;
    let out = garden.kubectl_stdin(&["replace", "-f", "-"], pinned);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(get(&garden, "view", "{.aggregationRule}"), "");

    garden.restart_apiserver().unwrap();
    assert!(get(&garden, "view", "{.aggregationRule.clusterRoleSelectors}").contains("aggregate-to-view"));
    assert_eq!(get(&garden, "view", r#"{.metadata.labels.rbac\.authorization\.k8s\.io/aggregate-to-edit}"#), "true");
    assert!(get(&garden, "view", "{.rules[*].resources}").contains("serviceaccounts"), "view is whole again");
    assert_eq!(get(&garden, "system:public-info-viewer", "{.rules[*].nonResourceURLs}"), r#"["/healthz"]"#);
}
