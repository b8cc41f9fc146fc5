//! Services (core/v1, kept here with the other networking rules) and `networking.k8s.io` NetworkPolicies.

use std::collections::HashSet;

use garden_api::cidr::Cidr;
use garden_api::names;
use serde_json::{json, Value};

use super::core;
use api_machinery::error::FieldError;
use api_machinery::validation::{arr, meta, s};

/// kube's Service rules as far as this server keeps Services: type, externalName, ports (numbers, protocols,
/// names: DNS labels, required and unique with several ports, no port/protocol twice; targetPort), and a set
/// clusterIP stays.
pub fn service(obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = obj.get("spec").unwrap_or(&null);
    let mut errs = Vec::new();
    let ty = spec.get("type").and_then(Value::as_str).unwrap_or("ClusterIP");
    let supported = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if !supported.contains(&ty) {
        errs.push(FieldError::not_supported("spec.type", &json!(ty), &supported.map(String::from)));
    }
    if ty == "ExternalName" {
        let external = s(spec, "externalName");
        if external.is_empty() {
            errs.push(FieldError::required("spec.externalName", ""));
        } else {
            errs.extend(names::validate_dns1123_subdomain(external.trim_end_matches('.'), "spec.externalName"));
        }
    }
    let ports = arr(spec, "ports");
    if ports.is_empty() && ty != "ExternalName" && s(spec, "clusterIP") != "None" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    let mut port_names = HashSet::new();
    let mut port_keys = HashSet::new();
    for (i, p) in ports.iter().enumerate() {
        let path = format!("spec.ports[{i}]");
        let name = s(p, "name");
        if ports.len() > 1 && name.is_empty() {
            errs.push(FieldError::required(format!("{path}.name"), ""));
        } else if !name.is_empty() {
            errs.extend(names::validate_dns1123_label(name, &format!("{path}.name")));
            if !port_names.insert(name) {
                errs.push(FieldError::duplicate(format!("{path}.name"), &json!(name)));
            }
        }
        let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
        if let Some(e) = core::port_number(port, &format!("{path}.port")) {
            errs.push(e);
        }
        errs.extend(core::protocol(p, &path));
        let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        if !port_keys.insert((port, protocol)) {
            errs.push(FieldError::duplicate(path.clone(), &json!({"port": port, "protocol": protocol})));
        }
        match p.get("targetPort") {
            Some(Value::Number(n)) => {
                errs.extend(core::port_number(n.as_i64().unwrap_or(0), &format!("{path}.targetPort")))
            }
            Some(Value::String(t)) => {
                for m in names::is_valid_port_name(t) {
                    errs.push(FieldError::invalid(format!("{path}.targetPort"), &json!(t), &m));
                }
            }
            _ => {}
        }
    }
    if let Some(old) = old {
        let ip = |o: &Value| o.pointer("/spec/clusterIP").and_then(Value::as_str).unwrap_or_default().to_string();
        if !ip(old).is_empty() && ip(obj) != ip(old) && ty != "ExternalName" {
            errs.push(FieldError::invalid("spec.clusterIP", &json!(ip(obj)), "field is immutable"));
        }
    }
    errs
}

/// kube's `ValidateNetworkPolicySpec`: the pod selector, the ports and peers of every ingress and egress rule,
/// and the policy types.
pub fn network_policy(obj: &Value) -> Vec<FieldError> {
    let null = Value::Null;
    let spec = obj.get("spec").unwrap_or(&null);
    let mut errs = meta::label_selector(spec.get("podSelector").unwrap_or(&null), "spec.podSelector");
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in arr(spec, dir).iter().enumerate() {
            let path = format!("spec.{dir}[{i}]");
            for (j, port) in arr(rule, "ports").iter().enumerate() {
                errs.extend(policy_port(port, &format!("{path}.ports[{j}]")));
            }
            for (j, peer) in arr(rule, peers).iter().enumerate() {
                errs.extend(policy_peer(peer, &format!("{path}.{peers}[{j}]")));
            }
        }
    }
    let types = arr(spec, "policyTypes");
    for (i, t) in types.iter().enumerate() {
        let t = t.as_str().unwrap_or_default();
        if t != "Ingress" && t != "Egress" {
            errs.push(FieldError::not_supported(
                format!("spec.policyTypes[{i}]"),
                &json!(t),
                &["Ingress".into(), "Egress".into()],
            ));
        }
    }
    if types.len() > 2 {
        errs.push(FieldError::invalid("spec.policyTypes", &json!(types), "may not specify more than two policyTypes"));
    }
    errs
}

fn policy_port(port: &Value, path: &str) -> Vec<FieldError> {
    let mut errs: Vec<FieldError> = core::protocol(port, path).into_iter().collect();
    let end = port.get("endPort").and_then(Value::as_i64);
    match port.get("port") {
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(0);
            errs.extend(core::port_number(n, &format!("{path}.port")));
            if let Some(end) = end {
                if end < n {
                    errs.push(FieldError::invalid(
                        format!("{path}.endPort"),
                        &json!(end),
                        "must be greater than or equal to `port`",
                    ));
                }
                errs.extend(core::port_number(end, &format!("{path}.endPort")));
            }
        }
        Some(Value::String(name)) => {
            for m in names::is_valid_port_name(name) {
                errs.push(FieldError::invalid(format!("{path}.port"), &json!(name), &m));
            }
            if let Some(end) = end {
                errs.push(FieldError::invalid(
                    format!("{path}.endPort"),
                    &json!(end),
                    "may not be specified when `port` is non-numeric",
                ));
            }
        }
        _ => {
            if let Some(end) = end {
                errs.push(FieldError::invalid(
                    format!("{path}.endPort"),
                    &json!(end),
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
    errs
}

fn policy_peer(peer: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let present = |k: &str| peer.get(k).is_some_and(|v| !v.is_null());
    let count = ["podSelector", "namespaceSelector", "ipBlock"].iter().filter(|k| present(k)).count();
    if count == 0 {
        errs.push(FieldError::required(path, "must specify a peer"));
    } else if present("ipBlock") && count > 1 {
        errs.push(FieldError::forbidden(path, "may not specify both ipBlock and another peer"));
    }
    for k in ["podSelector", "namespaceSelector"] {
        if let Some(sel) = peer.get(k).filter(|v| !v.is_null()) {
            errs.extend(meta::label_selector(sel, &format!("{path}.{k}")));
        }
    }
    if let Some(block) = peer.get("ipBlock").filter(|v| !v.is_null()) {
        const CIDR_MSG: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
        let cidr = s(block, "cidr");
        let parsed = if cidr.is_empty() {
            errs.push(FieldError::required(format!("{path}.ipBlock.cidr"), ""));
            None
        } else {
            let parsed = Cidr::parse(cidr).ok();
            if parsed.is_none() {
                errs.push(FieldError::invalid(format!("{path}.ipBlock.cidr"), &json!(cidr), CIDR_MSG));
            }
            parsed
        };
        for (i, e) in arr(block, "except").iter().enumerate() {
            let e = e.as_str().unwrap_or_default();
            let p = format!("{path}.ipBlock.except[{i}]");
            match (Cidr::parse(e), parsed) {
                (Err(_), _) => errs.push(FieldError::invalid(p, &json!(e), CIDR_MSG)),
                (Ok(ex), Some(c)) if !(ex.prefix > c.prefix && c.overlaps(&ex)) => {
                    errs.push(FieldError::invalid(p, &json!(e), "must be a strict subset of `cidr`"))
                }
                _ => {}
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(FieldError::line).collect()
    }

    #[test]
    fn services() {
        let svc = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.0.0.1", "ports": [
            {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"},
            {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 0}]}});
        assert_eq!(
            lines(service(&svc, None)),
            [
                "spec.ports[1].name: Duplicate value: \"http\"",
                "spec.ports[1]: Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}",
                "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
            ]
        );
        let ok = json!({"spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 80}]}});
        let mut moved = ok.clone();
        moved["spec"]["clusterIP"] = json!("10.0.0.2");
        assert_eq!(
            lines(service(&moved, Some(&ok))),
            ["spec.clusterIP: Invalid value: \"10.0.0.2\": field is immutable"]
        );
    }

    #[test]
    fn network_policies() {
        let np = json!({"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Sideways"],
            "ingress": [{"ports": [{"port": 8080, "endPort": 80}], "from": [{}, {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.1.0.0/24"]}, "podSelector": {}}]}],
            "egress": [{"to": [{"ipBlock": {"cidr": "nope"}}]}]}});
        assert_eq!(lines(network_policy(&np)), [
            "spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
            "spec.ingress[0].from[0]: Required value: must specify a peer",
            "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
            "spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"10.1.0.0/24\": must be a strict subset of `cidr`",
            "spec.egress[0].to[0].ipBlock.cidr: Invalid value: \"nope\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            "spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"",
        ]);
    }
}
