//! Object validation at parity with kube-apiserver: generic metadata rules for every kind of both profiles and the
//! per-kind rules of the core kinds, each refusal a 422 Status whose `details.causes` carry kube's field paths and
//! messages, and nothing stored. Valid objects (the examples, what the controllers write) still pass.

use std::fs;
use std::process::Command;

use garden_e2e::{repo_path, GardenOptions, TestGarden};
use serde_json::{json, Value};

/// kube's message for a qualified name's name part that is not of the label alphabet.
const NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/// `method path` with a JSON body as the admin (curl, client certificate): (HTTP code, body).
fn request(garden: &TestGarden, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let kc: Value = serde_yaml::from_str(&fs::read_to_string(garden.kubeconfig()).unwrap()).unwrap();
    let user = &kc["users"][0]["user"];
    let write = |k: &str| {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(user[k].as_str().unwrap_or_default()).unwrap();
        let p = garden.dir().join(format!("validation-{k}"));
        fs::write(&p, bytes).unwrap();
        p
    };
    let (cert, key) = (write("client-certificate-data"), write("client-key-data"));
    let file = garden.dir().join("validation-body.json");
    fs::write(&file, serde_json::to_vec(body).unwrap()).unwrap();
    let mut curl = Command::new("curl");
    curl.args(["-sk", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", "Content-Type: application/json"])
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(&key);
    // A GET carries no body: a server may answer before reading one and close, which curl reports as a failure.
    if method != "GET" {
        curl.arg("--data-binary").arg(format!("@{}", file.display()));
    }
    let out = curl.arg(format!("{}{path}", garden.server_url())).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), serde_json::from_str(body).unwrap_or(Value::Null))
}

fn get(garden: &TestGarden, path: &str) -> Value {
    let (code, body) = request(garden, "GET", path, &Value::Null);
    assert_eq!(code, 200, "GET {path}: {body}");
    body
}

/// The response is kube's 422 Invalid Status with a cause at `field` whose message is `message`.
#[track_caller]
fn assert_invalid(code: u16, body: &Value, field: &str, message: &str) {
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["reason"], "Invalid", "{body}");
    let causes = body["details"]["causes"].as_array().cloned().unwrap_or_default();
    assert!(
        causes.iter().any(|c| c["field"] == field && c["message"] == message),
        "no cause {field}: {message:?} in {}",
        serde_json::to_string_pretty(&causes).unwrap()
    );
    assert!(body["message"].as_str().unwrap_or_default().contains(&format!("{field}: {message}")), "{body}");
}

/// POST is refused with the given cause and nothing is stored under `name`.
#[track_caller]
fn assert_create_refused(garden: &TestGarden, collection: &str, obj: Value, field: &str, message: &str) {
    let name = obj["metadata"]["name"].as_str().unwrap().to_string();
    let (code, body) = request(garden, "POST", collection, &obj);
    assert_invalid(code, &body, field, message);
    let (code, _) = request(garden, "GET", &format!("{collection}/{name}"), &Value::Null);
    assert_eq!(code, 404, "{collection}/{name} must not be stored");
}

/// POST succeeds (201).
#[track_caller]
fn create(garden: &TestGarden, collection: &str, obj: Value) -> Value {
    let (code, body) = request(garden, "POST", collection, &obj);
    assert_eq!(code, 201, "POST {collection}: {body}");
    body
}

/// PUT of `edit(current)` is refused with the given cause and the stored object is unchanged.
#[track_caller]
fn assert_update_refused(garden: &TestGarden, path: &str, edit: impl Fn(&mut Value), field: &str, message: &str) {
    let before = get(garden, path);
    let mut changed = before.clone();
    edit(&mut changed);
    let (code, body) = request(garden, "PUT", path, &changed);
    assert_invalid(code, &body, field, message);
    assert_eq!(get(garden, path), before, "{path} must be unchanged");
}

fn config_map(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}})
}

#[test]
fn the_findings_metadata_and_key_cases_are_refused_as_kube_does() {
    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    // The examples are valid (the project controller writes the project's namespace and RBAC on the way).
    garden.apply_dev_project().unwrap();
    for example in ["examples/shoot-local.yaml", "examples/shoot-local-workerless.yaml"] {
        garden.kubectl_ok(&["apply", "-f", &repo_path(example).display().to_string()]);
    }

    // 1. A Namespace with the label key `bad key!`.
    assert_create_refused(
        &garden,
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bad-label", "labels": {"bad key!": "x"}}}),
        "metadata.labels",
        &format!("Invalid value: \"bad key!\": {NAME_PART_MSG}"),
    );
    // 2. A Shoot with an annotation whose key is the empty string.
    let manifest = fs::read_to_string(repo_path("examples/shoot-local-workerless.yaml")).unwrap();
    let mut shoot: Value = serde_yaml::from_str(&manifest).unwrap();
    shoot["metadata"]["name"] = json!("empty-annotation");
    shoot["metadata"]["annotations"] = json!({"": "x"});
    let shoots = "/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots";
    assert_create_refused(
        &garden,
        shoots,
        shoot,
        "metadata.annotations",
        "Invalid value: \"\": name part must be non-empty",
    );
    // 3. A label value of 100 characters.
    let long = "v".repeat(100);
    let mut cm = config_map("long-value");
    cm["metadata"]["labels"] = json!({"app": long});
    assert_create_refused(
        &garden,
        "/api/v1/namespaces/default/configmaps",
        cm,
        "metadata.labels",
        &format!("Invalid value: \"{long}\": must be no more than 63 characters"),
    );
    // 4. A ConfigMap with the data key `bad/key`.
    let mut cm = config_map("bad-key");
    cm["data"] = json!({"bad/key": "x"});
    assert_create_refused(
        &garden,
        "/api/v1/namespaces/default/configmaps",
        cm,
        "data[bad/key]",
        "Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );

    // The other metadata rules, on any kind.
    let cms = "/api/v1/namespaces/default/configmaps";
    let mut cm = config_map("big-annotations");
    cm["metadata"]["annotations"] = json!({"a": "x".repeat(262_144)});
    assert_create_refused(&garden, cms, cm, "metadata.annotations", "Too long: may not be more than 262144 bytes");
    let mut cm = config_map("bad-finalizer");
    cm["metadata"]["finalizers"] = json!(["example.com/ok", "not ok"]);
    assert_create_refused(
        &garden,
        cms,
        cm,
        "metadata.finalizers",
        &format!("Invalid value: \"not ok\": {NAME_PART_MSG}"),
    );
    let mut cm = config_map("bad-owner");
    cm["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner"}]);
    assert_create_refused(
        &garden,
        cms,
        cm,
        "metadata.ownerReferences.uid",
        "Invalid value: \"\": uid must not be empty",
    );
    let mut cm = config_map("two-controllers");
    cm["metadata"]["ownerReferences"] = json!([
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "a", "uid": "1", "controller": true},
        {"apiVersion": "v1", "kind": "Secret", "name": "b", "uid": "2", "controller": true}]);
    let (code, body) = request(&garden, "POST", cms, &cm);
    assert_eq!(code, 422, "{body}");
    let msg = body["details"]["causes"][0]["message"].as_str().unwrap_or_default();
    assert!(
        msg.ends_with("Only one reference can have Controller set to true. Found \"true\" in references for ConfigMap/a and Secret/b"),
        "{body}"
    );
    let (code, body) = request(
        &garden,
        "POST",
        cms,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "Bad_"}}),
    );
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["details"]["causes"][0]["field"], "metadata.generateName", "{body}");
    // Annotation keys are compared lowercased, as kube does; uppercase keys are fine.
    let mut cm = config_map("upper-annotation");
    cm["metadata"]["annotations"] = json!({"Example.COM/Owner": "x"});
    create(&garden, cms, cm);

    // Update: metadata rules apply to the new object, and the uid stays.
    assert_update_refused(
        &garden,
        "/api/v1/namespaces/default/configmaps/upper-annotation",
        |cm| cm["metadata"]["labels"] = json!({"-x": "y"}),
        "metadata.labels",
        &format!("Invalid value: \"-x\": {NAME_PART_MSG}"),
    );
    // The uid of a PUT is a precondition (409), a patch may not change it (422), as in kube.
    let path = "/api/v1/namespaces/default/configmaps/upper-annotation";
    let before = get(&garden, path);
    let mut changed = before.clone();
    changed["metadata"]["uid"] = json!("6d1c5b2e-0000-0000-0000-000000000000");
    let (code, body) = request(&garden, "PUT", path, &changed);
    assert_eq!(code, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap_or_default().ends_with(&format!(
            "Precondition failed: UID in precondition: 6d1c5b2e-0000-0000-0000-000000000000, UID in object meta: {}",
            before["metadata"]["uid"].as_str().unwrap()
        )),
        "{body}"
    );
    let out = garden.kubectl(&[
        "-n",
        "default",
        "patch",
        "configmap",
        "upper-annotation",
        "--type=merge",
        "-p",
        r#"{"metadata":{"uid":"6d1c5b2e-0000-0000-0000-000000000000"}}"#,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("metadata.uid: Invalid value: \"6d1c5b2e-0000-0000-0000-000000000000\": field is immutable"),
        "{err}"
    );
    assert_eq!(get(&garden, path), before);
}

#[test]
fn core_and_rbac_kinds_are_validated_as_kube_does() {
    let garden = TestGarden::start().unwrap();
    let ns = "/api/v1/namespaces/default";

    // ConfigMap: a key in both maps; an immutable ConfigMap keeps its data and its flag.
    let mut cm = config_map("both");
    cm["binaryData"] = json!({"a": "MQ=="});
    assert_create_refused(
        &garden,
        &format!("{ns}/configmaps"),
        cm,
        "data[a]",
        "Invalid value: \"a\": duplicate of key present in binaryData",
    );
    let mut frozen = config_map("frozen");
    frozen["immutable"] = json!(true);
    create(&garden, &format!("{ns}/configmaps"), frozen);
    let frozen_path = format!("{ns}/configmaps/frozen");
    assert_update_refused(
        &garden,
        &frozen_path,
        |cm| cm["data"]["a"] = json!("2"),
        "data",
        "Forbidden: field is immutable when `immutable` is set",
    );
    assert_update_refused(
        &garden,
        &frozen_path,
        |cm| cm["immutable"] = json!(false),
        "immutable",
        "Forbidden: field is immutable when `immutable` is set",
    );
    let out = garden.kubectl(&["-n", "default", "patch", "configmap", "frozen", "-p", r#"{"data":{"a":"3"}}"#]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("data: Forbidden: field is immutable when `immutable` is set"), "{err}");
    // Labels of an immutable ConfigMap may still change.
    garden.kubectl_ok(&["-n", "default", "label", "configmap", "frozen", "tier=web"]);

    // Secret: keys a type requires; the type never changes.
    let secrets = format!("{ns}/secrets");
    assert_create_refused(
        &garden,
        &secrets,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
            "data": {"tls.crt": "eA=="}}),
        "data[tls.key]",
        "Required value",
    );
    assert_create_refused(
        &garden,
        &secrets,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sa-token"},
            "type": "kubernetes.io/service-account-token"}),
        "metadata.annotations[kubernetes.io/service-account.name]",
        "Required value",
    );
    assert_create_refused(
        &garden,
        &secrets,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bad-key"}, "stringData": {"a b": "x"}}),
        "data[a b]",
        "Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
    garden.kubectl_ok(&["-n", "default", "create", "secret", "generic", "opaque", "--from-literal=a=b"]);
    assert_update_refused(
        &garden,
        &format!("{secrets}/opaque"),
        |s| s["type"] = json!("kubernetes.io/basic-auth"),
        "type",
        "Invalid value: \"kubernetes.io/basic-auth\": field is immutable",
    );

    // Namespace: spec.finalizers are qualified (or standard) names.
    assert_create_refused(
        &garden,
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "odd"}, "spec": {"finalizers": ["custom"]}}),
        "spec.finalizers",
        "Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified",
    );
    // ServiceAccount: the generic rules.
    assert_create_refused(
        &garden,
        &format!("{ns}/serviceaccounts"),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot", "labels": {"a/b/c": "x"}}}),
        "metadata.labels",
        "Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    );
    // Event: the involved object lives in the event's namespace.
    assert_create_refused(
        &garden,
        &format!("{ns}/events"),
        json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "ev.1"}, "reason": "Test",
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "elsewhere"}}),
        "involvedObject.namespace",
        "Invalid value: \"elsewhere\": does not match event.namespace",
    );
    // Lease: a positive duration.
    assert_create_refused(
        &garden,
        "/apis/coordination.k8s.io/v1/namespaces/default/leases",
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 0}}),
        "spec.leaseDurationSeconds",
        "Invalid value: 0: must be greater than 0",
    );

    // RBAC.
    let rbac = "/apis/rbac.authorization.k8s.io/v1";
    assert_create_refused(
        &garden,
        &format!("{rbac}/namespaces/default/roles"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
            "rules": [{"apiGroups": [""], "resources": ["pods"]}]}),
        "rules[0].verbs",
        "Required value: verbs must contain at least one value",
    );
    assert_create_refused(
        &garden,
        &format!("{rbac}/namespaces/default/roles"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "urls"},
            "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}),
        "rules[0].nonResourceURLs",
        "Invalid value: [\"/healthz\"]: namespaced rules cannot apply to non-resource URLs",
    );
    assert_create_refused(
        &garden,
        &format!("{rbac}/clusterrolebindings"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "robot"}]}),
        "subjects[0].namespace",
        "Required value",
    );
    assert_create_refused(
        &garden,
        &format!("{rbac}/clusterrolebindings"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "view"}}),
        "roleRef.kind",
        "Unsupported value: \"Role\": supported values: \"ClusterRole\"",
    );
    // A User subject without apiGroup is defaulted, as kube does; the roleRef never changes.
    create(
        &garden,
        &format!("{rbac}/namespaces/default/rolebindings"),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "alice"}]}),
    );
    let rb_path = format!("{rbac}/namespaces/default/rolebindings/rb");
    assert_eq!(get(&garden, &rb_path)["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
    assert_update_refused(
        &garden,
        &rb_path,
        |rb| rb["roleRef"]["name"] = json!("edit"),
        "roleRef",
        "Invalid value: {\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"edit\"}: cannot change roleRef",
    );
    garden.kubectl_ok(&["create", "clusterrole", "urls", "--verb=get", "--non-resource-url=/healthz"]);
}

#[test]
fn shoot_profile_workloads_and_networking_are_validated_as_kube_does() {
    let garden = TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "shoot".into()],
        ..Default::default()
    })
    .unwrap();
    let deployments = "/apis/apps/v1/namespaces/default/deployments";
    let deployment = |name: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80, "name": "http"}]}]}}}})
    };
    let mut d = deployment("mismatch");
    d["spec"]["selector"] = json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]});
    assert_create_refused(
        &garden,
        deployments,
        d,
        "spec.template.metadata.labels",
        "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`",
    );
    let mut d = deployment("negative");
    d["spec"]["replicas"] = json!(-1);
    assert_create_refused(
        &garden,
        deployments,
        d,
        "spec.replicas",
        "Invalid value: -1: must be greater than or equal to 0",
    );
    let mut d = deployment("twins");
    d["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "nginx", "image": "nginx"}));
    assert_create_refused(
        &garden,
        deployments,
        d,
        "spec.template.spec.containers[1].name",
        "Duplicate value: \"nginx\"",
    );
    let mut d = deployment("no-image");
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("");
    assert_create_refused(&garden, deployments, d, "spec.template.spec.containers[0].image", "Required value");
    let mut d = deployment("bad-port");
    d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(70000);
    assert_create_refused(
        &garden,
        deployments,
        d,
        "spec.template.spec.containers[0].ports[0].containerPort",
        "Invalid value: 70000: must be between 1 and 65535, inclusive",
    );
    let mut d = deployment("bad-strategy");
    d["spec"]["strategy"] = json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}});
    assert_create_refused(
        &garden,
        deployments,
        d,
        "spec.strategy.rollingUpdate",
        "Forbidden: may not be specified when strategy `type` is 'Recreate'",
    );
    create(&garden, deployments, deployment("web"));
    assert_update_refused(
        &garden,
        &format!("{deployments}/web"),
        |d| {
            d["spec"]["selector"]["matchLabels"]["tier"] = json!("x");
            d["spec"]["template"]["metadata"]["labels"]["tier"] = json!("x");
        },
        "spec.selector",
        "Invalid value: {\"matchLabels\":{\"app\":\"web\",\"tier\":\"x\"}}: field is immutable",
    );

    let sts = "/apis/apps/v1/namespaces/default/statefulsets";
    let mut s = deployment("db");
    s["kind"] = json!("StatefulSet");
    s["spec"]["serviceName"] = json!("db");
    s["spec"]["podManagementPolicy"] = json!("Whenever");
    assert_create_refused(
        &garden,
        sts,
        s.clone(),
        "spec.podManagementPolicy",
        "Invalid value: \"Whenever\": must be 'OrderedReady' or 'Parallel'",
    );
    s["spec"].as_object_mut().unwrap().remove("podManagementPolicy");
    create(&garden, sts, s);
    assert_update_refused(
        &garden,
        &format!("{sts}/db"),
        |s| s["spec"]["serviceName"] = json!("other"),
        "spec",
        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
    let mut ds = deployment("agent");
    ds["kind"] = json!("DaemonSet");
    ds["spec"]["updateStrategy"] = json!({"type": "Never"});
    assert_create_refused(
        &garden,
        "/apis/apps/v1/namespaces/default/daemonsets",
        ds,
        "spec.updateStrategy.type",
        "Unsupported value: \"Never\": supported values: \"OnDelete\", \"RollingUpdate\"",
    );
    let mut rs = deployment("empty-selector");
    rs["kind"] = json!("ReplicaSet");
    rs["spec"]["selector"] = json!({});
    assert_create_refused(
        &garden,
        "/apis/apps/v1/namespaces/default/replicasets",
        rs,
        "spec.selector",
        "Invalid value: {}: empty selector is invalid for deployment",
    );

    // Services and NetworkPolicies.
    assert_create_refused(
        &garden,
        "/api/v1/namespaces/default/services",
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}}),
        "spec.ports[1].name",
        "Duplicate value: \"http\"",
    );
    assert_create_refused(
        &garden,
        "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies",
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]}}),
        "spec.ingress[0].from[0].ipBlock.cidr",
        "Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
    );
    // Metadata rules hold in this profile too.
    assert_create_refused(
        &garden,
        "/api/v1/nodes",
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"bad key!": "x"}}}),
        "metadata.labels",
        &format!("Invalid value: \"bad key!\": {NAME_PART_MSG}"),
    );
    // Valid workloads, services and policies applied with kubectl pass, and so do their updates.
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], VALID_MANIFESTS);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    garden.kubectl_ok(&["-n", "default", "patch", "deployment", "gen", "-p", r#"{"spec":{"replicas":3}}"#]);
    garden.kubectl_ok(&["-n", "default", "label", "service", "gen", "tier=web"]);
}

const VALID_MANIFESTS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: gen, namespace: default, labels: {app: gen}}
spec:
  selector:
    matchLabels: {app: gen}
    matchExpressions: [{key: tier, operator: NotIn, values: [db]}]
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: gen}, annotations: {example.com/Owner: me}}
    spec:
      initContainers: [{name: init, image: busybox}]
      containers: [{name: nginx, image: nginx, ports: [{containerPort: 80, name: http}, {containerPort: 53, protocol: UDP}]}]
---
apiVersion: v1
kind: Service
metadata: {name: gen, namespace: default}
spec:
  selector: {app: gen}
  ports: [{name: http, port: 80, targetPort: http}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: gen, namespace: default}
spec:
  podSelector: {matchLabels: {app: gen}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}, {namespaceSelector: {}, podSelector: {}}], ports: [{port: 80, endPort: 90}]}]
  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{port: dns, protocol: UDP}]}]
"#;
