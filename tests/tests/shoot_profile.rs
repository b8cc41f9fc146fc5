//! `garden-apiserver --api-profile shoot`: the same binary serving a shoot cluster's core kube API.

use garden_e2e::{GardenOptions, TestGarden};

fn shoot_apiserver() -> TestGarden {
    TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "shoot".into()],
        ..Default::default()
    })
    .expect("start a test garden with --api-profile shoot")
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx
"#;

const NODE_AND_PODS: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels: {node-role.kubernetes.io/worker: ""}
---
apiVersion: v1
kind: Pod
metadata:
  name: on-worker
  namespace: default
spec:
  nodeName: worker-1
  containers:
  - name: app
    image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: unscheduled
  namespace: default
spec:
  containers:
  - name: app
    image: nginx:1.27
"#;

#[test]
fn shoot_profile_serves_core_kube_api_without_gardener_groups() {
    let shoot = shoot_apiserver();

    let namespaces = shoot.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(
            namespaces.lines().any(|l| l.trim() == format!("namespace/{ns}")),
            "`kubectl get ns` does not list {ns}:\n{namespaces}"
        );
    }
    assert!(!namespaces.lines().any(|l| l.trim() == "namespace/garden"), "a shoot has no garden namespace");

    let resources = shoot.kubectl_ok(&["api-resources", "-o", "name"]);
    let names: Vec<&str> = resources.lines().map(str::trim).collect();
    for r in [
        "pods",
        "nodes",
        "services",
        "endpoints",
        "deployments.apps",
        "statefulsets.apps",
        "leases.coordination.k8s.io",
    ] {
        assert!(names.contains(&r), "api-resources lacks {r}:\n{resources}");
    }
    assert!(!names.iter().any(|n| n.starts_with("shoots")), "a shoot serves no Gardener groups:\n{resources}");
    assert!(!resources.contains("gardener.cloud"), "a shoot serves no Gardener groups:\n{resources}");

    let explained = shoot.kubectl_ok(&["explain", "deployments.spec.replicas"]);
    assert!(explained.contains("replicas"), "kubectl explain (OpenAPI v3 of apps/v1):\n{explained}");

    // `kubectl create deployment` sends a protobuf body for apps/v1 Deployments; fall back to YAML when the
    // server refuses protobuf for the kind.
    let created = shoot.kubectl(&["create", "deployment", "web", "--image=nginx"]);
    if !created.status.success() {
        let stderr = String::from_utf8_lossy(&created.stderr);
        assert!(stderr.contains("protobuf"), "kubectl create deployment failed for another reason: {stderr}");
        eprintln!("kubectl create deployment: {stderr}; applying the Deployment as YAML instead");
        let out = shoot.kubectl_stdin(&["apply", "-f", "-"], DEPLOYMENT);
        assert!(out.status.success(), "kubectl apply deployment: {}", String::from_utf8_lossy(&out.stderr));
    }
    let deployments = shoot.kubectl_ok(&["get", "deployments"]);
    let header = deployments.lines().next().unwrap_or_default();
    for col in ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"] {
        assert!(header.contains(col), "deployments table lacks {col}:\n{deployments}");
    }
    assert!(
        deployments.lines().any(|l| l.split_whitespace().take(2).eq(["web", "0/1"])),
        "`kubectl get deployments` does not show web (0/1 ready):\n{deployments}"
    );
    let deployment: serde_json::Value =
        serde_json::from_str(&shoot.kubectl_ok(&["get", "deployment", "web", "-o", "json"])).unwrap();
    assert_eq!(deployment["spec"]["strategy"]["type"], "RollingUpdate", "apps/v1 defaulting: {deployment}");
    assert_eq!(deployment["spec"]["template"]["spec"]["restartPolicy"], "Always", "pod spec defaulting");

    let out = shoot.kubectl_stdin(&["apply", "-f", "-"], NODE_AND_PODS);
    assert!(out.status.success(), "kubectl apply node and pods: {}", String::from_utf8_lossy(&out.stderr));

    let nodes = shoot.kubectl_ok(&["get", "nodes"]);
    let header = nodes.lines().next().unwrap_or_default();
    for col in ["NAME", "STATUS", "ROLES", "AGE", "VERSION"] {
        assert!(header.contains(col), "nodes table lacks {col}:\n{nodes}");
    }
    assert!(
        nodes.lines().any(|l| l.split_whitespace().take(3).eq(["worker-1", "Unknown", "worker"])),
        "`kubectl get nodes` row for worker-1:\n{nodes}"
    );

    let ready =
        r#"{"status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.33.1"}}}"#;
    shoot.kubectl_ok(&["patch", "node", "worker-1", "--subresource=status", "--type=merge", "-p", ready]);
    let nodes = shoot.kubectl_ok(&["get", "nodes", "--no-headers"]);
    assert!(
        nodes.lines().any(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            cells.len() == 5 && cells[..3] == ["worker-1", "Ready", "worker"] && cells.contains(&"v1.33.1")
        }),
        "node status through the status subresource:\n{nodes}"
    );

    let bad = DEPLOYMENT
        .replace("name: web\n", "name: bad\n")
        .replace("labels: {app: web}\n    spec", "labels: {app: other}\n    spec");
    let out = shoot.kubectl_stdin(&["apply", "-f", "-"], &bad);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("does not match"), "selector/template mismatch refused: {stderr}");

    let on_node = shoot.kubectl_ok(&["get", "pods", "--field-selector", "spec.nodeName=worker-1", "-o", "name"]);
    assert_eq!(on_node.trim(), "pod/on-worker", "field selector spec.nodeName=worker-1");
    let unbound = shoot.kubectl_ok(&["get", "pods", "--field-selector", "spec.nodeName=", "-o", "name"]);
    assert_eq!(unbound.trim(), "pod/unscheduled", "field selector spec.nodeName=");
    let pending = shoot.kubectl_ok(&["get", "pods", "-A", "--field-selector", "status.phase=Pending", "-o", "name"]);
    assert_eq!(pending.lines().count(), 2, "both pods are Pending:\n{pending}");

    let pods = shoot.kubectl_ok(&["get", "pods"]);
    let header = pods.lines().next().unwrap_or_default();
    for col in ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] {
        assert!(header.contains(col), "pods table lacks {col}:\n{pods}");
    }
    assert!(
        pods.lines().any(|l| l.split_whitespace().take(4).eq(["on-worker", "0/1", "Pending", "0"])),
        "`kubectl get pods` row for on-worker:\n{pods}"
    );

    // Services default to ClusterIP.
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n\
                   spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}\n";
    let out = shoot.kubectl_stdin(&["apply", "-f", "-"], service);
    assert!(out.status.success(), "kubectl apply service: {}", String::from_utf8_lossy(&out.stderr));
    let ty = shoot.kubectl_ok(&["get", "service", "web", "-o", "jsonpath={.spec.type}"]);
    assert_eq!(ty, "ClusterIP");
}

#[test]
fn garden_profile_is_unchanged() {
    let garden = TestGarden::start().expect("start a test garden");
    let namespaces = garden.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    assert!(namespaces.lines().any(|l| l.trim() == "namespace/garden"), "{namespaces}");
    assert!(!namespaces.lines().any(|l| l.trim() == "namespace/kube-node-lease"), "{namespaces}");
    let resources = garden.kubectl_ok(&["api-resources", "-o", "name"]);
    let names: Vec<&str> = resources.lines().map(str::trim).collect();
    assert!(names.contains(&"shoots.core.gardener.cloud"), "{resources}");
    assert!(!names.contains(&"pods") && !names.contains(&"nodes"), "the garden serves no pods/nodes:\n{resources}");
}
