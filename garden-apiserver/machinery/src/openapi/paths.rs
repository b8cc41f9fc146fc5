//! The `paths` of a group-version's OpenAPI v3 document: kube's operations (ids, parameters, request bodies and
//! responses) for each served kind, its collection and the subresources this server serves.

use serde_json::{json, Map, Value};

use crate::registry::ResourceType;

use super::gvk;

const SCHEMAS: &str = "#/components/schemas/";
pub const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
pub const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";
pub const TOKEN_REQUEST: &str = "io.k8s.api.authentication.v1.TokenRequest";

/// What the server answers with (it encodes JSON only).
const RESPONSE_TYPES: &[&str] = &["application/json"];
/// What it decodes in request bodies.
const BODY_TYPES: &[&str] = &["application/json", "application/yaml"];
const PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("{SCHEMAS}{name}")})
}

/// kube's operation id word for a group and version: `Core` + `V1`, `RbacAuthorization` + `V1`,
/// `CoreGardenerCloud` + `V1beta1`.
pub fn group_version_word(group: &str, version: &str) -> String {
    let group = if group.is_empty() { "core" } else { group.strip_suffix(".k8s.io").unwrap_or(group) };
    let mut out: String = group.split(['.', '-']).map(upper_first).collect();
    out.push_str(&upper_first(version));
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
}

fn query(name: &str, kind: Kind, description: &str) -> Value {
    let schema = match kind {
        Kind::Str => json!({"type": "string", "uniqueItems": true}),
        Kind::Int => json!({"type": "integer", "uniqueItems": true}),
        Kind::Bool => json!({"type": "boolean", "uniqueItems": true}),
    };
    json!({"name": name, "in": "query", "description": description, "schema": schema})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
        "schema": {"type": "string", "uniqueItems": true}})
}

fn pretty() -> Value {
    query("pretty", Kind::Str, "If 'true', then the output is pretty printed.")
}

fn write_params(patch: bool) -> Vec<Value> {
    let mut p = vec![
        query("dryRun", Kind::Str, "When present (the only valid value is All), modifications are not persisted."),
        query("fieldManager", Kind::Str, "Name of the actor making the change; required for apply patches."),
        query("fieldValidation", Kind::Str, "How to treat unknown or duplicate fields: Ignore, Warn or Strict."),
    ];
    if patch {
        p.push(query("force", Kind::Bool, "Force an apply request, taking over fields other managers own."));
    }
    p
}

fn list_params(watch: bool) -> Vec<Value> {
    let mut p = vec![
        query("continue", Kind::Str, "The continue token of a previous paged list."),
        query("fieldSelector", Kind::Str, "Restrict the returned objects by their fields."),
        query("labelSelector", Kind::Str, "Restrict the returned objects by their labels."),
        query("limit", Kind::Int, "Maximum number of objects to return; the rest is reached with continue."),
        query("resourceVersion", Kind::Str, "Which resource version the answer must be at least as new as."),
        query("resourceVersionMatch", Kind::Str, "How resourceVersion applies: Exact or NotOlderThan."),
        query("sendInitialEvents", Kind::Bool, "With watch: send the current objects first, then a bookmark."),
        query("timeoutSeconds", Kind::Int, "Timeout of the list or watch call."),
    ];
    if watch {
        p.insert(0, query("allowWatchBookmarks", Kind::Bool, "With watch: send BOOKMARK events."));
        p.push(query("watch", Kind::Bool, "Watch for changes and stream them as WatchEvents."));
    }
    p
}

fn delete_params() -> Vec<Value> {
    vec![
        query("dryRun", Kind::Str, "When present (the only valid value is All), modifications are not persisted."),
        query("gracePeriodSeconds", Kind::Int, "Seconds before the object is deleted; 0 deletes it at once."),
        query(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            Kind::Bool,
            "Delete objects that cannot be read from storage (unsafe).",
        ),
        query("orphanDependents", Kind::Bool, "Deprecated: use propagationPolicy."),
        query("propagationPolicy", Kind::Str, "Garbage collection of dependents: Orphan, Background or Foreground."),
    ]
}

fn content(types: &[&str], schema: &Value) -> Value {
    Value::Object(types.iter().map(|t| (t.to_string(), json!({"schema": schema}))).collect())
}

fn response(description: &str, types: &[&str], schema: &Value) -> Value {
    json!({"description": description, "content": content(types, schema)})
}

/// Responses: the given successful ones, and a Status for any other code (`default`: kube-openapi's decoder, and
/// so kubectl, reads no status-code ranges such as `4XX`).
fn responses(ok: &[(&str, &Value)]) -> Value {
    let mut r = Map::new();
    for (code, schema) in ok {
        let desc = match *code {
            "201" => "Created",
            "202" => "Accepted",
            _ => "OK",
        };
        r.insert(code.to_string(), response(desc, RESPONSE_TYPES, schema));
    }
    r.insert(
        "default".into(),
        response("The request failed; the Status says why.", RESPONSE_TYPES, &schema_ref(STATUS)),
    );
    Value::Object(r)
}

fn body(types: &[&str], schema: &Value, required: bool) -> Value {
    json!({"content": content(types, schema), "required": required})
}

struct Op<'a> {
    rt: &'a ResourceType,
    verb: &'a str,
    action: &'a str,
    id: String,
    params: Vec<Value>,
    body: Option<Value>,
    responses: Value,
}

impl Op<'_> {
    fn render(self) -> (String, Value) {
        let mut op = json!({
            "operationId": self.id,
            "tags": [group_version_word(self.rt.group, self.rt.version)],
            "parameters": self.params,
            "responses": self.responses,
            "x-kubernetes-action": self.action,
            "x-kubernetes-group-version-kind": gvk(self.rt),
        });
        if let Some(b) = self.body {
            op["requestBody"] = b;
        }
        (self.verb.to_string(), op)
    }
}

/// Adds the paths of `rt`, whose schema is `schema` and list schema `list`, to `paths`.
pub fn add(paths: &mut Map<String, Value>, rt: &ResourceType, schema: &str, list: &str) {
    let gv = group_version_word(rt.group, rt.version);
    let base =
        if rt.group.is_empty() { format!("/api/{}", rt.version) } else { format!("/apis/{}/{}", rt.group, rt.version) };
    let (collection, scope) = if rt.namespaced {
        (format!("{base}/namespaces/{{namespace}}/{}", rt.plural), "Namespaced")
    } else {
        (format!("{base}/{}", rt.plural), "")
    };
    let kind = rt.kind;
    let obj = schema_ref(schema);
    let mut scope_params = vec![];
    if rt.namespaced {
        scope_params.push(path_param("namespace", "object name and auth scope, such as for teams and projects"));
    }
    scope_params.push(pretty());
    let item_params = {
        let mut p = vec![path_param("name", &format!("name of the {kind}"))];
        p.extend(scope_params.iter().cloned());
        p
    };
    let path_item = |params: &[Value], ops: Vec<Op>| {
        let mut m = Map::new();
        m.insert("parameters".into(), Value::Array(params.to_vec()));
        m.extend(ops.into_iter().map(Op::render));
        Value::Object(m)
    };

    let create = Op {
        rt,
        verb: "post",
        action: "post",
        id: format!("create{gv}{scope}{kind}"),
        params: write_params(false),
        body: Some(body(BODY_TYPES, &obj, true)),
        responses: responses(&[("200", &obj), ("201", &obj), ("202", &obj)]),
    };
    if rt.create_only {
        paths.insert(collection, path_item(&scope_params, vec![create]));
        return;
    }
    let list_ref = schema_ref(list);
    let mut list_responses = responses(&[("200", &list_ref)]);
    // A watch answers with a stream of WatchEvents, one JSON document each.
    list_responses["200"]["content"]["application/json;stream=watch"] = json!({"schema": schema_ref(WATCH_EVENT)});
    let list_op = |id: String| Op {
        rt,
        verb: "get",
        action: "list",
        id,
        params: list_params(true),
        body: None,
        responses: list_responses.clone(),
    };
    let delete_body = || Some(body(BODY_TYPES, &schema_ref(DELETE_OPTIONS), false));
    let mut delete_collection_params = delete_params();
    delete_collection_params.extend(list_params(false));
    let coll_ops = vec![
        list_op(format!("list{gv}{scope}{kind}")),
        create,
        Op {
            rt,
            verb: "delete",
            action: "deletecollection",
            id: format!("delete{gv}Collection{scope}{kind}"),
            params: delete_collection_params,
            body: delete_body(),
            responses: responses(&[("200", &schema_ref(STATUS))]),
        },
    ];
    paths.insert(collection.clone(), path_item(&scope_params, coll_ops));
    if rt.namespaced {
        paths.insert(
            format!("{base}/{}", rt.plural),
            path_item(&[pretty()], vec![list_op(format!("list{gv}{kind}ForAllNamespaces"))]),
        );
    }

    // A delete answers with the object while finalizers hold it, and with a Status once it is gone.
    let deleted = json!({"anyOf": [obj, schema_ref(STATUS)]});
    let item_ops = vec![
        Op {
            rt,
            verb: "get",
            action: "get",
            id: format!("read{gv}{scope}{kind}"),
            params: vec![],
            body: None,
            responses: responses(&[("200", &obj)]),
        },
        Op {
            rt,
            verb: "put",
            action: "put",
            id: format!("replace{gv}{scope}{kind}"),
            params: write_params(false),
            body: Some(body(BODY_TYPES, &obj, true)),
            responses: responses(&[("200", &obj), ("201", &obj)]),
        },
        Op {
            rt,
            verb: "patch",
            action: "patch",
            id: format!("patch{gv}{scope}{kind}"),
            params: write_params(true),
            body: Some(body(PATCH_TYPES, &schema_ref(PATCH), true)),
            responses: responses(&[("200", &obj), ("201", &obj)]),
        },
        Op {
            rt,
            verb: "delete",
            action: "delete",
            id: format!("delete{gv}{scope}{kind}"),
            params: delete_params(),
            body: delete_body(),
            responses: responses(&[("200", &deleted), ("202", &deleted)]),
        },
    ];
    let item = format!("{collection}/{{name}}");
    paths.insert(item.clone(), path_item(&item_params, item_ops));

    for sub in rt.subresources {
        let word = upper_first(sub);
        let id = |verb: &str| format!("{verb}{gv}{scope}{kind}{word}");
        let ops = match *sub {
            "status" | "scale" => {
                let s = if *sub == "scale" { schema_ref(SCALE) } else { obj.clone() };
                vec![
                    Op {
                        rt,
                        verb: "get",
                        action: "get",
                        id: id("read"),
                        params: vec![],
                        body: None,
                        responses: responses(&[("200", &s)]),
                    },
                    Op {
                        rt,
                        verb: "put",
                        action: "put",
                        id: id("replace"),
                        params: write_params(false),
                        body: Some(body(BODY_TYPES, &s, true)),
                        responses: responses(&[("200", &s), ("201", &s)]),
                    },
                    Op {
                        rt,
                        verb: "patch",
                        action: "patch",
                        id: id("patch"),
                        params: write_params(true),
                        body: Some(body(PATCH_TYPES, &schema_ref(PATCH), true)),
                        responses: responses(&[("200", &s), ("201", &s)]),
                    },
                ]
            }
            "finalize" => vec![Op {
                rt,
                verb: "put",
                action: "put",
                id: id("replace"),
                params: write_params(false),
                body: Some(body(BODY_TYPES, &obj, true)),
                responses: responses(&[("200", &obj), ("201", &obj)]),
            }],
            _ => {
                // binding, token, adminkubeconfig, viewerkubeconfig: a request object in, its answer out.
                let s = if *sub == "token" { schema_ref(TOKEN_REQUEST) } else { json!({"type": "object"}) };
                vec![Op {
                    rt,
                    verb: "post",
                    action: "post",
                    id: id("create"),
                    params: write_params(false),
                    body: Some(body(BODY_TYPES, &s, true)),
                    responses: responses(&[("200", &s), ("201", &s), ("202", &s)]),
                }]
            }
        };
        paths.insert(format!("{item}/{sub}"), path_item(&item_params, ops));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_words_are_kubes() {
        assert_eq!(group_version_word("", "v1"), "CoreV1");
        assert_eq!(group_version_word("rbac.authorization.k8s.io", "v1"), "RbacAuthorizationV1");
        assert_eq!(group_version_word("core.gardener.cloud", "v1beta1"), "CoreGardenerCloudV1beta1");
        assert_eq!(group_version_word("apps", "v1"), "AppsV1");
    }
}
