//! Discovery documents: /api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>, and /version.

use serde_json::{json, Value};

use crate::registry::{Registry, ResourceType};

pub fn version() -> Value {
    json!({
        "major": "1", "minor": "33",
        "gitVersion": concat!("v1.33.0-garden+", env!("CARGO_PKG_VERSION")),
        "gitCommit": "", "gitTreeState": "clean", "buildDate": "",
        "goVersion": "rust", "compiler": "rustc", "platform": "linux/amd64",
    })
}

/// The discovery document for `path`, if it is a discovery path.
pub fn serve(registry: &Registry, path: &str) -> Option<Value> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        ["api"] => Some(json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]})),
        ["api", "v1"] => Some(resource_list(registry, "", "v1")),
        ["apis"] => Some(json!({
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": registry.groups().into_iter().filter(|(g, _)| !g.is_empty()).map(|(g, vs)| group(g, &vs)).collect::<Vec<_>>(),
        })),
        ["apis", g] => registry.groups().into_iter().find(|(name, _)| name == g).map(|(g, vs)| {
            let mut doc = group(g, &vs);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            doc
        }),
        ["apis", g, v] => registry
            .groups()
            .into_iter()
            .any(|(name, vs)| name == *g && vs.contains(v))
            .then(|| resource_list(registry, g, v)),
        _ => None,
    }
}

fn group(name: &str, versions: &[&str]) -> Value {
    let vs: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v})).collect();
    json!({"name": name, "versions": vs, "preferredVersion": vs.first().cloned().unwrap_or(Value::Null)})
}

fn resource_list(registry: &Registry, group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for rt in registry.all().iter().filter(|rt| rt.group == group && rt.version == version) {
        resources.push(resource(rt));
        for sub in rt.subresources {
            let verbs: &[&str] = match *sub {
                "status" => &["get", "patch", "update"],
                "finalize" => &["update"],
                _ => &["create"],
            };
            resources.push(json!({
                "name": format!("{}/{sub}", rt.plural), "singularName": "", "namespaced": rt.namespaced,
                "kind": subresource_kind(rt, sub), "verbs": verbs,
            }));
        }
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

fn subresource_kind(rt: &ResourceType, sub: &str) -> &'static str {
    match sub {
        "binding" => "Binding",
        "adminkubeconfig" | "viewerkubeconfig" => "AdminKubeconfigRequest",
        "token" => "TokenRequest",
        _ => rt.kind,
    }
}

fn resource(rt: &ResourceType) -> Value {
    let mut r = json!({
        "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind,
        "verbs": rt.verbs(),
    });
    if !rt.short_names.is_empty() {
        r["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        r["categories"] = json!(rt.categories);
    }
    r
}
