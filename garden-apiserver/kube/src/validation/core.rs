//! The core (`v1`) kinds: ConfigMap, Secret, Namespace, Event and Pod (and the pod spec the workloads share).
//! ServiceAccounts, Endpoints and Nodes have only the generic metadata rules here, as in kube.

use std::collections::HashSet;

use garden_api::names;
use serde_json::{json, Value};

use api_machinery::error::FieldError;
use api_machinery::validation::{arr, immutable, map, meta, s};

/// kube's limit on the data of a ConfigMap or Secret (`MaxSecretSize`), in bytes.
pub const MAX_DATA_SIZE: usize = 1024 * 1024;

const IMMUTABLE_SET: &str = "field is immutable when `immutable` is set";

fn key_errors(key: &str, path: &str) -> Vec<FieldError> {
    names::is_config_map_key(key)
        .iter()
        .map(|m| FieldError::invalid(format!("{path}[{key}]"), &json!(key), m))
        .collect()
}

/// Decoded length of a base64 string, without decoding it.
fn base64_len(b64: &str) -> usize {
    let pad = b64.bytes().rev().take_while(|b| *b == b'=').count();
    (b64.len() / 4 * 3).saturating_sub(pad)
}

fn is_true(obj: &Value, key: &str) -> bool {
    obj.get(key).and_then(Value::as_bool) == Some(true)
}

/// kube's `ValidateConfigMap(Update)`: keys, no key in both `data` and `binaryData`, at most 1 MiB, and nothing of
/// an immutable ConfigMap changes.
pub fn config_map(obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let binary = map(obj, "binaryData");
    let mut total = 0;
    for (k, v) in map(obj, "data").into_iter().flatten() {
        errs.extend(key_errors(k, "data"));
        if binary.is_some_and(|b| b.contains_key(k)) {
            errs.push(FieldError::invalid(format!("data[{k}]"), &json!(k), "duplicate of key present in binaryData"));
        }
        total += v.as_str().map_or(0, str::len);
    }
    for (k, v) in binary.into_iter().flatten() {
        errs.extend(key_errors(k, "binaryData"));
        total += v.as_str().map_or(0, base64_len);
    }
    if total > MAX_DATA_SIZE {
        errs.push(FieldError::too_long("", MAX_DATA_SIZE));
    }
    if let Some(old) = old.filter(|o| is_true(o, "immutable")) {
        errs.extend(immutable_data(obj, old, &["data", "binaryData"]));
    }
    errs
}

/// Once `immutable` is true it stays true and the data fields do not change.
fn immutable_data(new: &Value, old: &Value, fields: &[&str]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if !is_true(new, "immutable") {
        errs.push(FieldError::forbidden("immutable", IMMUTABLE_SET));
    }
    let empty_is_absent = |v: Option<&Value>| v.filter(|v| v.as_object().is_none_or(|m| !m.is_empty())).cloned();
    for f in fields {
        if empty_is_absent(new.get(*f)) != empty_is_absent(old.get(*f)) {
            errs.push(FieldError::forbidden(*f, IMMUTABLE_SET));
        }
    }
    errs
}

/// kube's `ValidateSecret(Update)`: keys, at most 1 MiB, the keys the known types require, `type` immutable, and
/// nothing of an immutable Secret changes.
pub fn secret(obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let data = map(obj, "data");
    let mut total = 0;
    for (k, v) in data.into_iter().flatten() {
        errs.extend(key_errors(k, "data"));
        total += v.as_str().map_or(0, base64_len);
    }
    if total > MAX_DATA_SIZE {
        errs.push(FieldError::too_long("data", MAX_DATA_SIZE));
    }
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    let required = |k: &str| FieldError::required(format!("data[{k}]"), "");
    match s(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let sa_name = obj.pointer("/metadata/annotations/kubernetes.io~1service-account.name");
            if sa_name.and_then(Value::as_str).unwrap_or_default().is_empty() {
                errs.push(FieldError::required("metadata.annotations[kubernetes.io/service-account.name]", ""));
            }
        }
        "kubernetes.io/dockercfg" => errs.extend(json_key(data, ".dockercfg")),
        "kubernetes.io/dockerconfigjson" => errs.extend(json_key(data, ".dockerconfigjson")),
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errs.extend([required("username"), required("password")]);
        }
        "kubernetes.io/ssh-auth"
            if data.and_then(|d| d.get("ssh-privatekey")).and_then(Value::as_str).unwrap_or_default().is_empty() =>
        {
            errs.push(required("ssh-privatekey"));
        }
        "kubernetes.io/tls" => {
            errs.extend(["tls.crt", "tls.key"].into_iter().filter(|k| !has(k)).map(required));
        }
        _ => {}
    }
    if let Some(old) = old {
        errs.extend(immutable("type", obj.get("type"), old.get("type")));
        if is_true(old, "immutable") {
            errs.extend(immutable_data(obj, old, &["data"]));
        }
    }
    errs
}

/// A docker config key must be present and hold a JSON object.
fn json_key(data: Option<&serde_json::Map<String, Value>>, key: &str) -> Vec<FieldError> {
    use base64::Engine;
    let path = format!("data[{key}]");
    let Some(b64) = data.and_then(|d| d.get(key)) else {
        return vec![FieldError::required(path, "")];
    };
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or_default()).unwrap_or_default();
    match serde_json::from_slice::<serde_json::Map<String, Value>>(&bytes) {
        Ok(_) => Vec::new(),
        Err(e) => vec![FieldError::invalid(path, &json!("<secret contents redacted>"), &e.to_string())],
    }
}

/// kube's `ValidateNamespace`: the finalizers in `spec` are qualified names, and unqualified ones standard.
pub fn namespace(obj: &Value) -> Vec<FieldError> {
    let list = obj.pointer("/spec/finalizers").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut errs = Vec::new();
    for f in list.iter().filter_map(Value::as_str) {
        errs.extend(names::validate_qualified_name(f, "spec.finalizers"));
        if !f.contains('/') && !["kubernetes", "orphan", "foregroundDeletion"].contains(&f) {
            errs.push(FieldError::invalid(
                "spec.finalizers",
                &json!(f),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

/// kube's (legacy) core/v1 Event rules: the involved object's namespace is the event's, and an event with an
/// `eventTime` (a new-style event) names its reporter, action and reason.
pub fn event(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    let involved_ns = obj.pointer("/involvedObject/namespace").and_then(Value::as_str).unwrap_or_default();
    let mismatch =
        || FieldError::invalid("involvedObject.namespace", &json!(involved_ns), "does not match event.namespace");
    if obj.get("eventTime").is_none_or(Value::is_null) {
        if (involved_ns.is_empty() && !ns.is_empty() && ns != "default")
            || (!involved_ns.is_empty() && ns != involved_ns)
        {
            errs.push(mismatch());
        }
    } else {
        if involved_ns.is_empty() && ns != "default" && ns != "kube-system" {
            errs.push(mismatch());
        }
        let controller = s(obj, "reportingComponent");
        if controller.is_empty() {
            errs.push(FieldError::required("source", ""));
        }
        errs.extend(names::validate_qualified_name(controller, "source"));
        for (key, limit, required) in
            [("reportingInstance", 128, true), ("action", 128, true), ("reason", 128, true), ("message", 1024, false)]
        {
            let v = s(obj, key);
            if required && v.is_empty() {
                errs.push(FieldError::required(key, ""));
            }
            if v.len() > limit {
                errs.push(FieldError::invalid(key, &json!(""), &format!("can have at most {limit} characters")));
            }
        }
    }
    errs
}

/// Pods: the pod spec, and the node of a bound pod does not change.
pub fn pod(obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = pod_spec(obj.get("spec"), "spec");
    if let Some(old) = old {
        let node = |o: &Value| o.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or_default().to_string();
        if !node(old).is_empty() && node(obj) != node(old) {
            errs.push(FieldError::invalid(
                "spec.nodeName",
                &json!(node(obj)),
                "field is immutable once the pod is bound to a node",
            ));
        }
    }
    errs
}

/// The parts of kube's `ValidatePodSpec` this server checks: containers (at least one; names DNS labels, unique
/// across init and app containers; an image; ports), restartPolicy and dnsPolicy.
pub fn pod_spec(spec: Option<&Value>, path: &str) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = spec.unwrap_or(&null);
    let mut errs = Vec::new();
    let containers = arr(spec, "containers");
    if containers.is_empty() {
        errs.push(FieldError::required(format!("{path}.containers"), ""));
    }
    let mut names = HashSet::new();
    let mut port_names = HashSet::new();
    for (list, items) in [("initContainers", arr(spec, "initContainers")), ("containers", containers)] {
        for (i, c) in items.iter().enumerate() {
            let p = format!("{path}.{list}[{i}]");
            errs.extend(container(c, &p, &mut names, &mut port_names));
        }
    }
    if let Some(policy) = spec.get("restartPolicy").and_then(Value::as_str) {
        if !["Always", "OnFailure", "Never"].contains(&policy) {
            errs.push(FieldError::not_supported(
                format!("{path}.restartPolicy"),
                &json!(policy),
                &["Always".into(), "Never".into(), "OnFailure".into()],
            ));
        }
    }
    if let Some(policy) = spec.get("dnsPolicy").and_then(Value::as_str) {
        let supported = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
        if !supported.contains(&policy) {
            errs.push(FieldError::not_supported(
                format!("{path}.dnsPolicy"),
                &json!(policy),
                &supported.map(String::from),
            ));
        }
    }
    errs
}

fn container<'a>(
    c: &'a Value,
    p: &str,
    names: &mut HashSet<&'a str>,
    port_names: &mut HashSet<&'a str>,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = s(c, "name");
    if name.is_empty() {
        errs.push(FieldError::required(format!("{p}.name"), ""));
    } else {
        errs.extend(names::validate_dns1123_label(name, &format!("{p}.name")));
        if !names.insert(name) {
            errs.push(FieldError::duplicate(format!("{p}.name"), &json!(name)));
        }
    }
    if s(c, "image").trim().is_empty() {
        errs.push(FieldError::required(format!("{p}.image"), ""));
    }
    for (j, port) in arr(c, "ports").iter().enumerate() {
        let pp = format!("{p}.ports[{j}]");
        let port_name = s(port, "name");
        if !port_name.is_empty() {
            for m in names::is_valid_port_name(port_name) {
                errs.push(FieldError::invalid(format!("{pp}.name"), &json!(port_name), &m));
            }
            if !port_names.insert(port_name) {
                errs.push(FieldError::duplicate(format!("{pp}.name"), &json!(port_name)));
            }
        }
        match port.get("containerPort").and_then(Value::as_i64).unwrap_or(0) {
            0 => errs.push(FieldError::required(format!("{pp}.containerPort"), "")),
            n => errs.extend(port_number(n, &format!("{pp}.containerPort"))),
        }
        match port.get("hostPort").and_then(Value::as_i64).unwrap_or(0) {
            0 => {}
            n => errs.extend(port_number(n, &format!("{pp}.hostPort"))),
        }
        errs.extend(protocol(port, &pp));
    }
    errs
}

/// kube's `IsValidPortNum` as a field error.
pub fn port_number(n: i64, path: &str) -> Option<FieldError> {
    (!(1..=65535).contains(&n)).then(|| FieldError::invalid(path, &json!(n), "must be between 1 and 65535, inclusive"))
}

/// A port's protocol (defaulted to TCP): TCP, UDP or SCTP.
pub fn protocol(port: &Value, path: &str) -> Option<FieldError> {
    match port.get("protocol").and_then(Value::as_str) {
        None | Some("TCP" | "UDP" | "SCTP") => None,
        Some("") => Some(FieldError::required(format!("{path}.protocol"), "")),
        Some(other) => Some(FieldError::not_supported(
            format!("{path}.protocol"),
            &json!(other),
            &["SCTP".into(), "TCP".into(), "UDP".into()],
        )),
    }
}

/// Template metadata of workloads: its labels and annotations follow the object rules.
pub fn template_meta(template: &Value, path: &str) -> Vec<FieldError> {
    let null = Value::Null;
    let m = template.get("metadata").unwrap_or(&null);
    let mut errs = names::validate_labels(
        api_machinery::validation::string_entries(map(m, "labels")),
        &format!("{path}.metadata.labels"),
    );
    errs.extend(names::validate_annotations(
        api_machinery::validation::string_entries(map(m, "annotations")),
        &format!("{path}.metadata.annotations"),
    ));
    errs.extend(meta::finalizers(arr(m, "finalizers"), &format!("{path}.metadata.finalizers")));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(FieldError::line).collect()
    }

    #[test]
    fn config_maps() {
        let e = lines(config_map(&json!({"data": {"bad/key": "x", "a": "1"}, "binaryData": {"a": "MQ=="}}), None));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.contains(&"data[a]: Invalid value: \"a\": duplicate of key present in binaryData".to_string()));
        assert!(e
            .iter()
            .any(|l| l.starts_with("data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of")));
        let big = json!({"data": {"a": "x".repeat(MAX_DATA_SIZE), "b": "y"}});
        assert_eq!(lines(config_map(&big, None)), ["Too long: may not be more than 1048576 bytes"]);
        let old = json!({"immutable": true, "data": {"a": "1"}});
        assert!(config_map(&old, Some(&old)).is_empty());
        let e = lines(config_map(&json!({"data": {"a": "2"}}), Some(&old)));
        assert_eq!(
            e,
            [
                "immutable: Forbidden: field is immutable when `immutable` is set",
                "data: Forbidden: field is immutable when `immutable` is set"
            ]
        );
    }

    #[test]
    fn secrets() {
        let e = lines(secret(&json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}}), None));
        assert_eq!(e, ["data[tls.key]: Required value"]);
        let e = lines(secret(&json!({"type": "kubernetes.io/service-account-token"}), None));
        assert_eq!(e, ["metadata.annotations[kubernetes.io/service-account.name]: Required value"]);
        let e = lines(secret(
            &json!({"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": "bm9wZQ=="}}),
            None,
        ));
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\""), "{e:?}");
        let old = json!({"type": "Opaque"});
        let e = lines(secret(&json!({"type": "kubernetes.io/basic-auth", "data": {"username": ""}}), Some(&old)));
        assert_eq!(e, ["type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable"]);
        assert_eq!(base64_len("MQ=="), 1);
        assert_eq!(base64_len("MTIz"), 3);
    }

    #[test]
    fn namespaces_events_and_pods() {
        let e = lines(namespace(&json!({"spec": {"finalizers": ["kubernetes", "foo", "example.com/x"]}})));
        assert_eq!(e, ["spec.finalizers: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"]);
        let ev = json!({"metadata": {"namespace": "a"}, "involvedObject": {"namespace": "b"}});
        assert_eq!(
            lines(event(&ev)),
            ["involvedObject.namespace: Invalid value: \"b\": does not match event.namespace"]
        );
        assert!(event(&json!({"metadata": {"namespace": "default"}, "involvedObject": {"kind": "Project"}})).is_empty());
        let spec = json!({"containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 0}, {"containerPort": 70000, "name": "web", "protocol": "ICMP"}]},
            {"name": "a", "image": " "}]});
        let e = lines(pod_spec(Some(&spec), "spec"));
        assert_eq!(e, [
            "spec.containers[0].ports[0].containerPort: Required value",
            "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "spec.containers[1].name: Duplicate value: \"a\"",
            "spec.containers[1].image: Required value",
        ]);
    }
}
