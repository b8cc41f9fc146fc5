//! MCM's API group `machine.sapcloud.io/v1alpha1` served by the garden API server: MCM's own example manifests
//! (tests/fixtures/mcm/) apply unchanged, `kubectl get` prints MCM's printer columns, `kubectl scale` works
//! through the `scale` subresource (with discovery and RBAC for it), and bad input is refused with a Status
//! naming the field, storing nothing.

use garden_e2e::{repo_path, TestGarden};
use serde_json::{json, Value};

const NS: &str = "default";
const API: &str = "/apis/machine.sapcloud.io/v1alpha1/namespaces/default";

fn fixture(name: &str) -> String {
    repo_path(&format!("tests/fixtures/mcm/{name}")).display().to_string()
}

fn json(garden: &TestGarden, args: &[&str]) -> Value {
    serde_json::from_str(&garden.kubectl_ok(args)).expect("kubectl printed JSON")
}

fn apply_file(garden: &TestGarden, name: &str) {
    // kubectl's default is --validate=strict: unknown fields would fail the apply.
    let out = garden.kubectl(&["apply", "--validate=strict", "-f", &fixture(name)]);
    assert!(out.status.success(), "apply {name}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The whitespace-separated header words of `kubectl get` output.
fn header(out: &str) -> Vec<String> {
    out.lines().next().unwrap_or_default().split_whitespace().map(str::to_string).collect()
}

/// The row of `name` in `kubectl get` output, split on whitespace.
fn row(out: &str, name: &str) -> Vec<String> {
    let line = out.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap_or_else(|| panic!("{out}"));
    line.split_whitespace().map(str::to_string).collect()
}

fn deployment(name: &str, class: &str, replicas: i64, surge: Value, unavailable: Value) -> String {
    json!({
        "apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "MachineDeployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"pool": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
            "template": {
                "metadata": {"labels": {"pool": name}},
                "spec": {"class": {"kind": "MachineClass", "name": class}, "drainTimeout": "10m"}
            }
        }
    })
    .to_string()
}

#[test]
fn mcm_examples_apply_unchanged_and_print_mcm_columns() {
    let garden = TestGarden::start().unwrap();
    // Discovery lists MCM's names and short names.
    let resources = garden.kubectl_ok(&["api-resources", "--api-group=machine.sapcloud.io", "--no-headers"]);
    for (plural, short) in
        [("machineclasses", "mcc"), ("machinedeployments", "mcd"), ("machinesets", "mcs"), ("machines", "mc")]
    {
        let line = resources.lines().find(|l| l.starts_with(plural)).unwrap_or_else(|| panic!("{resources}"));
        assert!(line.split_whitespace().any(|w| w == short), "{line}");
    }

    apply_file(&garden, "machine-class.yaml");
    apply_file(&garden, "machine-deployment.yaml");
    apply_file(&garden, "machine-set.yaml");
    apply_file(&garden, "machine.yaml");

    let class = json(&garden, &["-n", NS, "get", "machineclass", "test-mc", "-o", "json"]);
    assert_eq!(class["providerSpec"]["machineType"], "t2.large");
    assert_eq!(class["providerSpec"]["blockDevices"][1]["ebs"]["encrypted"], true);
    assert_eq!(class["secretRef"], json!({"name": "test-secret", "namespace": "default"}));

    let md = json(&garden, &["-n", NS, "get", "machinedeployment", "test-machine-deployment", "-o", "json"]);
    assert_eq!(md["spec"]["replicas"], 3);
    assert_eq!(md["spec"]["minReadySeconds"], 500);
    assert_eq!(
        md["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}})
    );
    assert_eq!(md["spec"]["template"]["spec"]["class"], json!({"kind": "AWSMachineClass", "name": "test-aws"}));
    let ms = json(&garden, &["-n", NS, "get", "mcs", "test-machine-set", "-o", "json"]);
    assert_eq!((ms["spec"]["replicas"].clone(), ms["spec"]["minReadySeconds"].clone()), (json!(3), json!(200)));
    let m = json(&garden, &["-n", NS, "get", "mc", "test-machine", "-o", "json"]);
    assert_eq!(m["metadata"]["labels"]["test-label"], "test-label");

    // A deployment of the generic MachineClass kind gets the strategy defaults.
    let out = garden.kubectl_stdin(
        &["apply", "-f", "-"],
        &json!({
            "apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "MachineDeployment",
            "metadata": {"name": "pool-a", "namespace": NS},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"pool": "a"}},
                "template": {"metadata": {"labels": {"pool": "a"}}, "spec": {"class": {"kind": "MachineClass", "name": "test-mc"}}}}
        })
        .to_string(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = json(&garden, &["-n", NS, "get", "mcd", "pool-a", "-o", "json"]);
    assert_eq!(
        md["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    );

    // MCM's additionalPrinterColumns.
    let out = garden.kubectl_ok(&["-n", NS, "get", "machinedeployments"]);
    assert_eq!(header(&out), ["NAME", "READY", "DESIRED", "UP-TO-DATE", "AVAILABLE", "AGE"], "{out}");
    // Absent status fields are empty cells, as for MCM's CRD (kube's printer columns yield null).
    let r = row(&out, "test-machine-deployment");
    assert_eq!(r.len(), 3, "{out}");
    assert_eq!(r[1], "3", "{out}");
    garden.kubectl_ok(&[
        "-n",
        NS,
        "patch",
        "mcd",
        "pool-a",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":2,"readyReplicas":1,"updatedReplicas":2,"availableReplicas":1}}"#,
    ]);
    let out = garden.kubectl_ok(&["-n", NS, "get", "machinedeployments"]);
    assert_eq!(&row(&out, "pool-a")[1..5], ["1", "2", "2", "1"], "{out}");
    let out = garden.kubectl_ok(&["-n", NS, "get", "machinesets"]);
    assert_eq!(header(&out), ["NAME", "DESIRED", "CURRENT", "READY", "AGE"], "{out}");
    assert_eq!(row(&out, "test-machine-set")[1], "3");
    let out = garden.kubectl_ok(&["-n", NS, "get", "machines"]);
    assert_eq!(header(&out), ["NAME", "STATUS", "AGE", "NODE"], "{out}");
    let out = garden.kubectl_ok(&["-n", NS, "get", "machines", "-o", "wide"]);
    assert_eq!(header(&out), ["NAME", "STATUS", "AGE", "NODE", "PROVIDERID"], "{out}");
    let out = garden.kubectl_ok(&["-n", NS, "get", "machineclasses"]);
    assert_eq!(header(&out), ["NAME", "AGE"], "{out}");

    // A status written by a controller shows in the columns; the status subresource keeps the spec.
    garden.kubectl_ok(&[
        "-n",
        NS,
        "patch",
        "machine",
        "test-machine",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"currentStatus":{"phase":"Running","timeoutActive":false},"lastOperation":{"state":"Successful","type":"Create","description":"Created"}}}"#,
    ]);
    garden.kubectl_ok(&["-n", NS, "label", "machine", "test-machine", "node=node-1"]);
    let out = garden.kubectl_ok(&["-n", NS, "get", "machines"]);
    let r = row(&out, "test-machine");
    assert_eq!((r[1].as_str(), r[3].as_str()), ("Running", "node-1"), "{out}");

    // The OpenAPI v3 document explains the kinds.
    let explain = garden.kubectl_ok(&["explain", "machinedeployment.spec"]);
    for field in ["replicas", "selector", "strategy", "template", "minReadySeconds"] {
        assert!(explain.contains(field), "{field} missing in:\n{explain}");
    }
    let explain = garden.kubectl_ok(&["explain", "machine.spec"]);
    assert!(explain.contains("drainTimeout") && explain.contains("providerID"), "{explain}");
}

#[test]
fn kubectl_scale_uses_the_scale_subresource() {
    let garden = TestGarden::start().unwrap();
    apply_file(&garden, "machine-class.yaml");
    apply_file(&garden, "machine-deployment.yaml");
    apply_file(&garden, "machine-set.yaml");

    // Discovery: machinedeployments/scale is an autoscaling/v1 Scale.
    let list = json(&garden, &["get", "--raw", "/apis/machine.sapcloud.io/v1alpha1"]);
    let scale = list["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "machinedeployments/scale")
        .cloned()
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(
        (scale["kind"].clone(), scale["group"].clone(), scale["version"].clone()),
        (json!("Scale"), json!("autoscaling"), json!("v1"))
    );
    assert_eq!(scale["verbs"], json!(["get", "patch", "update"]));

    let generation = |name: &str| {
        json(&garden, &["-n", NS, "get", "mcd", name, "-o", "json"])["metadata"]["generation"].as_i64().unwrap()
    };
    let before = generation("test-machine-deployment");
    let out = garden.kubectl_ok(&["-n", NS, "scale", "machinedeployment", "test-machine-deployment", "--replicas=5"]);
    assert!(out.contains("scaled"), "{out}");
    let md = json(&garden, &["-n", NS, "get", "mcd", "test-machine-deployment", "-o", "json"]);
    assert_eq!(md["spec"]["replicas"], 5);
    assert_eq!(md["metadata"]["generation"].as_i64().unwrap(), before + 1);

    let s = json(&garden, &["-n", NS, "get", "mcd", "test-machine-deployment", "--subresource=scale", "-o", "json"]);
    assert_eq!(s["kind"], "Scale");
    assert_eq!(s["apiVersion"], "autoscaling/v1");
    assert_eq!(s["spec"]["replicas"], 5);
    assert_eq!(s["status"], json!({"replicas": 0, "selector": "test-label=test-label"}));
    assert_eq!(s["metadata"]["resourceVersion"], md["metadata"]["resourceVersion"]);
    let out = garden.kubectl_ok(&["-n", NS, "get", "mcd", "test-machine-deployment", "--subresource=scale"]);
    assert_eq!(header(&out), ["NAME", "DESIRED", "AVAILABLE"], "{out}");
    assert_eq!(row(&out, "test-machine-deployment")[1..], ["5", "0"], "{out}");

    // --current-replicas is a precondition (kubectl reads the Scale, then PUTs it with its resourceVersion).
    let out =
        garden.kubectl(&["-n", NS, "scale", "mcd", "test-machine-deployment", "--current-replicas=4", "--replicas=1"]);
    assert!(!out.status.success());
    garden.kubectl_ok(&["-n", NS, "scale", "mcd", "test-machine-deployment", "--current-replicas=5", "--replicas=3"]);
    assert_eq!(
        json(&garden, &["-n", NS, "get", "mcd", "test-machine-deployment", "-o", "json"])["spec"]["replicas"],
        3
    );

    // The status written by the controller shows up in the Scale, and scale writes leave it alone.
    garden.kubectl_ok(&[
        "-n",
        NS,
        "patch",
        "mcd",
        "test-machine-deployment",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":3,"readyReplicas":2}}"#,
    ]);
    garden.kubectl_ok(&["-n", NS, "scale", "machineset", "test-machine-set", "--replicas=0"]);
    assert_eq!(json(&garden, &["-n", NS, "get", "mcs", "test-machine-set", "-o", "json"])["spec"]["replicas"], 0);
    garden.kubectl_ok(&["-n", NS, "scale", "mcd", "test-machine-deployment", "--replicas=4"]);
    let s = json(&garden, &["-n", NS, "get", "mcd", "test-machine-deployment", "--subresource=scale", "-o", "json"]);
    assert_eq!((s["spec"]["replicas"].clone(), s["status"]["replicas"].clone()), (json!(4), json!(3)));
    let md = json(&garden, &["-n", NS, "get", "mcd", "test-machine-deployment", "-o", "json"]);
    assert_eq!(md["status"]["readyReplicas"], 2);

    // A negative Scale is refused as an invalid Scale and nothing changes.
    let out = garden.kubectl(&[
        "-n",
        NS,
        "patch",
        "mcd",
        "test-machine-deployment",
        "--subresource=scale",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":-1}}"#,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("spec.replicas") && err.contains("must be greater than or equal to 0"), "{err}");
    assert_eq!(
        json(&garden, &["-n", NS, "get", "mcd", "test-machine-deployment", "-o", "json"])["spec"]["replicas"],
        4
    );

    // RBAC checks the scale subresource: editing machinedeployments is not enough to scale them.
    let kc = garden.user_kubeconfig("scaler", &[]);
    let kc = kc.as_path();
    garden.kubectl_ok(&[
        "-n",
        NS,
        "create",
        "role",
        "mcd-editor",
        "--verb=get,list,update,patch",
        "--resource=machinedeployments.machine.sapcloud.io",
    ]);
    garden.kubectl_ok(&["-n", NS, "create", "rolebinding", "mcd-editor", "--role=mcd-editor", "--user=scaler"]);
    let out = garden.kubectl_as(kc, &["-n", NS, "scale", "mcd", "test-machine-deployment", "--replicas=2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("machinedeployments/scale"), "{err}");
    garden.kubectl_ok(&[
        "-n",
        NS,
        "create",
        "role",
        "mcd-scaler",
        "--verb=get,patch,update",
        "--resource=machinedeployments.machine.sapcloud.io/scale",
    ]);
    garden.kubectl_ok(&["-n", NS, "create", "rolebinding", "mcd-scaler", "--role=mcd-scaler", "--user=scaler"]);
    let ok = garden_e2e::eventually(std::time::Duration::from_secs(10), || {
        garden.kubectl_as(kc, &["-n", NS, "scale", "mcd", "test-machine-deployment", "--replicas=2"]).status.success()
    });
    assert!(ok, "scaling with the scale permission failed");
    assert_eq!(
        json(&garden, &["-n", NS, "get", "mcd", "test-machine-deployment", "-o", "json"])["spec"]["replicas"],
        2
    );
}

/// POST a JSON body as the admin (client certificate) with curl; returns (code, Status or object).
fn post(garden: &TestGarden, path: &str, body: &str) -> (u16, Value) {
    garden.post_as_admin(path, "application/json", body.as_bytes())
}

/// A 422 Invalid Status whose causes name `field`.
fn assert_invalid(code: u16, status: &Value, field: &str) {
    assert_eq!(code, 422, "{status}");
    assert_eq!((status["kind"].clone(), status["reason"].clone()), (json!("Status"), json!("Invalid")), "{status}");
    let fields: Vec<&str> =
        status["details"]["causes"].as_array().into_iter().flatten().filter_map(|c| c["field"].as_str()).collect();
    assert!(fields.contains(&field), "causes {fields:?} should name {field}: {status}");
}

#[test]
fn bad_machine_objects_are_refused_naming_the_field_and_nothing_is_stored() {
    let garden = TestGarden::start().unwrap();
    apply_file(&garden, "machine-class.yaml");
    let mds = format!("{API}/machinedeployments");

    let (code, status) = post(&garden, &mds, &deployment("unknown-class", "no-such-class", 1, json!(1), json!(0)));
    assert_invalid(code, &status, "spec.template.spec.class.name");
    assert!(status["message"].as_str().unwrap().contains(r#"Not found: "no-such-class""#), "{status}");

    let (code, status) = post(&garden, &mds, &deployment("negative", "test-mc", -1, json!(1), json!(0)));
    assert_invalid(code, &status, "spec.replicas");

    let (code, status) = post(&garden, &mds, &deployment("both-zero", "test-mc", 2, json!(0), json!("0%")));
    assert_invalid(code, &status, "spec.strategy.rollingUpdate.maxUnavailable");
    assert!(status["message"].as_str().unwrap().contains("may not be 0 when `maxSurge` is 0"), "{status}");

    let machine = |name: &str, class: &str| {
        json!({"apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "Machine",
            "metadata": {"name": name, "namespace": NS}, "spec": {"class": {"kind": "MachineClass", "name": class}}})
        .to_string()
    };
    let (code, status) = post(&garden, &format!("{API}/machines"), &machine("m1", "no-such-class"));
    assert_invalid(code, &status, "spec.class.name");
    let set = json!({"apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "MachineSet",
        "metadata": {"name": "s1", "namespace": NS},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "other"}}, "spec": {"class": {"kind": "MachineClass", "name": "test-mc"}}}}});
    let (code, status) = post(&garden, &format!("{API}/machinesets"), &set.to_string());
    assert_invalid(code, &status, "spec.template.metadata.labels");
    let class =
        json!({"apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "MachineClass", "metadata": {"name": "c1"}});
    let (code, status) = post(&garden, &format!("{API}/machineclasses"), &class.to_string());
    assert_invalid(code, &status, "providerSpec");

    // Through kubectl: the same refusals, and strict decoding of unknown fields beside the inlined configuration.
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], &deployment("via-kubectl", "test-mc", 1, json!(0), json!(0)));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("spec.strategy.rollingUpdate.maxUnavailable"), "{err}");
    let mut unknown: Value =
        serde_json::from_str(&deployment("unknown-field", "test-mc", 1, json!(1), json!(0))).unwrap();
    unknown["spec"]["template"]["spec"]["drainTimeOut"] = json!("5m");
    let out = garden.kubectl_stdin(&["apply", "--validate=strict", "-f", "-"], &unknown.to_string());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(r#"unknown field "spec.template.spec.drainTimeOut""#), "{err}");

    // Nothing was stored.
    for kind in ["machinedeployments", "machinesets", "machines"] {
        let names = garden.kubectl_ok(&["-n", NS, "get", kind, "-o", "name"]);
        assert!(names.trim().is_empty(), "{kind}: {names}");
    }
    let names = garden.kubectl_ok(&["-n", NS, "get", "machineclasses", "-o", "name"]);
    assert_eq!(names.trim(), "machineclass.machine.sapcloud.io/test-mc");
}
