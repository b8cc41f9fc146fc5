//! Discovery documents: /api, /apis, /apis/<group>, /api/v1, /apis/<group>/<version>, and /version; and the
//! aggregated form of /api and /apis (`apidiscovery.k8s.io` v2 or v2beta1 `APIGroupDiscoveryList`, chosen by the
//! Accept header) with which kubectl and client-go learn every group, version and resource in two requests
//! instead of one per group-version.

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
            let (g, v, kind) = subresource_gvk(rt, sub);
            let mut r = json!({
                "name": format!("{}/{sub}", rt.plural), "singularName": "", "namespaced": rt.namespaced,
                "kind": kind, "verbs": subresource_verbs(sub),
            });
            // Like kube (`deployments/scale`: group autoscaling, version v1), only when it differs.
            if (g, v) != (rt.group, rt.version) {
                r["group"] = json!(g);
                r["version"] = json!(v);
            }
            resources.push(r);
        }
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

/// Group, version and kind a subresource takes and returns.
fn subresource_gvk(rt: &ResourceType, sub: &str) -> (&'static str, &'static str, &'static str) {
    if let Some(a) = rt.action(sub) {
        return (a.group, a.version, a.kind);
    }
    match sub {
        "binding" => (rt.group, rt.version, "Binding"),
        "token" => ("authentication.k8s.io", "v1", "TokenRequest"),
        "scale" => ("autoscaling", "v1", "Scale"),
        _ => (rt.group, rt.version, rt.kind),
    }
}

fn subresource_verbs(sub: &str) -> &'static [&'static str] {
    match sub {
        "status" | "scale" => &["get", "patch", "update"],
        "finalize" => &["update"],
        _ => &["create"],
    }
}

/// The aggregated discovery version an Accept header asks for: `v2` or `v2beta1` (client-go sends both, v2
/// first, then plain JSON as the fallback); None for plain discovery.
pub fn aggregated_version(accept: &str) -> Option<&'static str> {
    accept.split(',').find_map(|media| {
        let params: Vec<&str> = media.split(';').map(str::trim).collect();
        let has = |p: &str| params.contains(&p);
        if params.first() != Some(&"application/json")
            || !has("g=apidiscovery.k8s.io")
            || !has("as=APIGroupDiscoveryList")
        {
            return None;
        }
        ["v2", "v2beta1"].into_iter().find(|v| has(&format!("v={v}")))
    })
}

/// The content type of an aggregated discovery response of `version`.
pub fn aggregated_content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

/// The aggregated discovery document of `/api` (the core group) or `/apis` (all named groups).
pub fn aggregated(registry: &Registry, path: &str, version: &str) -> Option<Value> {
    let core = match path.trim_end_matches('/') {
        "/api" => true,
        "/apis" => false,
        _ => return None,
    };
    let items: Vec<Value> = registry
        .groups()
        .into_iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = registry
                        .all()
                        .iter()
                        .filter(|rt| rt.group == g && rt.version == *v)
                        .map(|rt| resource_discovery(rt))
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            let metadata = if g.is_empty() { json!({}) } else { json!({"name": g}) };
            json!({"metadata": metadata, "versions": versions})
        })
        .collect();
    Some(json!({
        "kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {}, "items": items,
    }))
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "version": version, "kind": kind})
}

fn resource_discovery(rt: &ResourceType) -> Value {
    let subresources: Vec<Value> = rt
        .subresources
        .iter()
        .map(|sub| {
            let (g, v, k) = subresource_gvk(rt, sub);
            json!({"subresource": sub, "responseKind": gvk(g, v, k), "verbs": subresource_verbs(sub)})
        })
        .collect();
    let mut r = json!({
        "resource": rt.plural, "responseKind": gvk(rt.group, rt.version, rt.kind),
        "scope": if rt.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": rt.singular, "verbs": rt.verbs(),
    });
    if !rt.short_names.is_empty() {
        r["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        r["categories"] = json!(rt.categories);
    }
    if !subresources.is_empty() {
        r["subresources"] = json!(subresources);
    }
    r
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

#[cfg(test)]
mod tests {
    use super::aggregated_version;

    #[test]
    fn accept_headers_choose_the_aggregated_version() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
                       application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(kubectl), Some("v2"));
        let older = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList, application/json";
        assert_eq!(aggregated_version(older), Some("v2beta1"));
        assert_eq!(aggregated_version("application/json, */*"), None);
        assert_eq!(aggregated_version(""), None);
        assert_eq!(aggregated_version("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"), None);
        assert_eq!(aggregated_version("application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"), None);
    }
}
