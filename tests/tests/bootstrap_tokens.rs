//! Bootstrap tokens (kube's `--enable-bootstrap-token-auth`): a bearer token `<id>.<secret>` authenticates as
//! `system:bootstrap:<id>` in `system:bootstrappers` plus its extra groups while its Secret
//! `kube-system/bootstrap-token-<id>` allows it; in a shoot API server the machine controller's tokens may run
//! nodes.

use std::time::Duration;

use garden_e2e::{assert_eventually, bootstrap_token_secret, GardenOptions, TestGarden};

const VALID_UNTIL: &str = "2099-01-01T00:00:00Z";

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn apply(garden: &TestGarden, yaml: &str) {
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], yaml);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn bootstrap_tokens_authenticate_while_their_secret_allows_it() {
    let garden = TestGarden::start().unwrap();
    let token = "abcdef.0123456789abcdef";
    apply(&garden, &bootstrap_token_secret("abcdef", "0123456789abcdef", VALID_UNTIL, "system:bootstrappers:e2e"));
    apply(&garden, &bootstrap_token_secret("expird", "0123456789abcdef", "2000-01-01T00:00:00Z", ""));
    apply(&garden, &bootstrap_token_secret("badgrp", "0123456789abcdef", VALID_UNTIL, "system:masters"));
    let kubeconfig = garden.token_kubeconfig("bootstrap", token);

    // Authenticated (not 401), but nothing granted yet: the refusal names the user.
    assert_eventually!(Duration::from_secs(30), || {
        let denied = garden.kubectl_as(&kubeconfig, &["-n", "default", "get", "configmaps"]);
        stderr(&denied).contains(r#"User "system:bootstrap:abcdef" cannot list resource "configmaps""#)
    });
    assert_eq!(garden.curl_code(token, "/api/v1/namespaces/default/configmaps"), "403");

    // Its groups: the extra group and system:bootstrappers get what is bound to them.
    garden.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        "e2e-view",
        "--clusterrole=view",
        "--group=system:bootstrappers:e2e",
    ]);
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl_as(&kubeconfig, &["-n", "default", "get", "configmaps"])
        .status
        .success());
    garden.kubectl_ok(&["-n", "default", "create", "role", "lease-reader", "--verb=get", "--resource=leases"]);
    garden.kubectl_ok(&[
        "-n",
        "default",
        "create",
        "rolebinding",
        "bootstrappers",
        "--role=lease-reader",
        "--group=system:bootstrappers",
    ]);
    assert_eventually!(Duration::from_secs(30), || {
        let can = garden.kubectl_as(&kubeconfig, &["-n", "default", "auth", "can-i", "get", "leases"]);
        String::from_utf8_lossy(&can.stdout).trim() == "yes"
    });
    // ... and nothing else.
    let denied = garden.kubectl_as(&kubeconfig, &["-n", "kube-system", "get", "secrets"]);
    assert!(stderr(&denied).contains("forbidden"), "{}", stderr(&denied));

    // Refused outright: a wrong secret, an expired token, a token with a non-bootstrap extra group, an unknown id.
    for bad in
        ["abcdef.0123456789abcdee", "expird.0123456789abcdef", "badgrp.0123456789abcdef", "zzzzzz.0123456789abcdef"]
    {
        assert_eq!(garden.curl_code(bad, "/api/v1/namespaces/default/configmaps"), "401", "{bad}");
    }
    let wrong = garden.token_kubeconfig("wrong", "abcdef.0123456789abcdee");
    let out = garden.kubectl_as(&wrong, &["-n", "default", "get", "configmaps"]);
    assert!(stderr(&out).contains("Unauthorized"), "{}", stderr(&out));
    let expired = garden.token_kubeconfig("expired", "expird.0123456789abcdef");
    let out = garden.kubectl_as(&expired, &["-n", "default", "get", "configmaps"]);
    assert!(stderr(&out).contains("Unauthorized"), "{}", stderr(&out));

    // Deleting the Secret revokes the token.
    garden.kubectl_ok(&["-n", "kube-system", "delete", "secret", "bootstrap-token-abcdef"]);
    assert_eventually!(Duration::from_secs(30), || garden.curl_code(token, "/api/v1/namespaces/default/configmaps")
        == "401");
}

#[test]
fn machine_controller_bootstrap_tokens_may_run_nodes_in_shoots() {
    let garden = TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "shoot".into()],
        ..Default::default()
    })
    .unwrap();
    apply(
        &garden,
        &bootstrap_token_secret("node01", "0123456789abcdef", VALID_UNTIL, "system:bootstrappers:machine-controller"),
    );
    apply(&garden, &bootstrap_token_secret("other1", "0123456789abcdef", VALID_UNTIL, ""));
    let node = garden.token_kubeconfig("node", "node01.0123456789abcdef");
    let other = garden.token_kubeconfig("other", "other1.0123456789abcdef");
    let can = |kubeconfig: &std::path::Path, args: &[&str]| {
        let out = garden.kubectl_as(kubeconfig, &[&["auth", "can-i"][..], args].concat());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eventually!(Duration::from_secs(30), || can(&node, &["create", "nodes"]) == "yes");
    for args in [
        &["patch", "nodes", "--subresource=status"][..],
        &["watch", "nodes"],
        &["-n", "kube-node-lease", "update", "leases.coordination.k8s.io"],
        &["-n", "default", "create", "events"],
    ] {
        assert_eq!(can(&node, args), "yes", "{args:?}");
    }
    for args in [&["delete", "nodes"][..], &["-n", "kube-system", "get", "secrets"], &["create", "pods"]] {
        assert_eq!(can(&node, args), "no", "{args:?}");
    }
    assert_eq!(can(&other, &["create", "nodes"]), "no");

    // For real: the token creates a Node and patches its status.
    let out = garden.kubectl_stdin_as(
        &node,
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nspec:\n  providerID: local:///ns/n1\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // (kubectl patch --subresource=status would GET nodes/status first, which a kubelet never needs.)
    let out = std::process::Command::new("curl")
        .args(["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH"])
        .args(["-H", "Authorization: Bearer node01.0123456789abcdef"])
        .args(["-H", "Content-Type: application/merge-patch+json"])
        .args(["--data", r#"{"status":{"capacity":{"cpu":"2"}}}"#])
        .arg(format!("{}/api/v1/nodes/n1/status", garden.server_url()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    assert_eq!(garden.kubectl_ok(&["get", "node", "n1", "-o", "jsonpath={.status.capacity.cpu}"]), "2");
    let denied = garden.kubectl_as(&node, &["delete", "node", "n1"]);
    assert!(
        stderr(&denied).contains(r#"User "system:bootstrap:node01" cannot delete resource "nodes""#),
        "{}",
        stderr(&denied)
    );
}
