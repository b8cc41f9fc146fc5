//! `/openapi/v2`: one Swagger 2.0 document of every group-version, converted from the OpenAPI v3 documents (the
//! form clients that predate v3 read, and the one aggregators merge): schemas become `definitions`, request
//! bodies `body` parameters, response contents `schema` plus `produces`, parameter schemas inline types.

use serde_json::{json, Map, Value};

const V3_REFS: &str = "#/components/schemas/";
pub const V2_REFS: &str = "#/definitions/";
const OPERATIONS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// The Swagger 2.0 document of the group-version documents `docs`.
pub fn convert<'a>(docs: impl IntoIterator<Item = &'a Value>) -> Value {
    let mut definitions = Map::new();
    let mut paths = Map::new();
    for doc in docs {
        if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
            for (name, schema) in schemas {
                definitions.entry(name.clone()).or_insert_with(|| schema_v2(schema));
            }
        }
        if let Some(ps) = doc.get("paths").and_then(Value::as_object) {
            for (path, item) in ps {
                paths.insert(path.clone(), path_item(item));
            }
        }
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "garden-apiserver", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "definitions": definitions,
        "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header",
            "description": "Bearer Token authentication"}},
        "security": [{"BearerToken": []}],
    })
}

/// A schema with v2's references and without v3-only keywords.
fn schema_v2(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => {
                        out.insert(k.clone(), json!(r.replacen(V3_REFS, V2_REFS, 1)));
                    }
                    // v2 has neither; kube's v2 documents leave nullable out and fold single-entry allOf.
                    ("nullable", _) => {}
                    ("allOf", Value::Array(all)) if all.len() == 1 => {
                        if let Value::Object(inner) = schema_v2(&all[0]) {
                            for (ik, iv) in inner {
                                out.entry(ik).or_insert(iv);
                            }
                        }
                    }
                    _ => {
                        out.insert(k.clone(), schema_v2(x));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(schema_v2).collect()),
        other => other.clone(),
    }
}

fn path_item(item: &Value) -> Value {
    let Some(m) = item.as_object() else { return item.clone() };
    let mut out = Map::new();
    for (k, v) in m {
        if k == "parameters" {
            out.insert(k.clone(), parameters(v));
        } else if OPERATIONS.contains(&k.as_str()) {
            out.insert(k.clone(), operation(v));
        } else {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Non-body parameters: the v3 `schema`'s type keywords inline.
fn parameters(v: &Value) -> Value {
    let list = v.as_array().cloned().unwrap_or_default();
    Value::Array(
        list.into_iter()
            .map(|p| {
                let mut p = p.as_object().cloned().unwrap_or_default();
                if let Some(Value::Object(schema)) = p.remove("schema") {
                    for (k, x) in schema {
                        p.insert(k, schema_v2(&x));
                    }
                }
                Value::Object(p)
            })
            .collect(),
    )
}

fn operation(v: &Value) -> Value {
    let Some(m) = v.as_object() else { return v.clone() };
    let mut out = Map::new();
    let mut params = m.get("parameters").map(parameters).and_then(|p| p.as_array().cloned()).unwrap_or_default();
    if let Some(body) = m.get("requestBody") {
        let content = body.get("content").and_then(Value::as_object).cloned().unwrap_or_default();
        out.insert("consumes".into(), json!(content.keys().collect::<Vec<_>>()));
        let schema = content.values().find_map(|c| c.get("schema")).map(schema_v2).unwrap_or(json!({}));
        let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
        params.push(json!({"name": "body", "in": "body", "required": required, "schema": schema}));
    }
    let mut produces: Vec<String> = Vec::new();
    let mut responses = Map::new();
    for (code, r) in m.get("responses").and_then(Value::as_object).cloned().unwrap_or_default() {
        let mut resp = json!({"description": r.get("description").cloned().unwrap_or(json!(""))});
        if let Some(content) = r.get("content").and_then(Value::as_object) {
            for t in content.keys() {
                if !produces.contains(t) {
                    produces.push(t.clone());
                }
            }
            if let Some(schema) = content.values().find_map(|c| c.get("schema")) {
                resp["schema"] = schema_v2(schema);
            }
        }
        responses.insert(code, resp);
    }
    for (k, x) in m {
        if !matches!(k.as_str(), "parameters" | "requestBody" | "responses") {
            out.insert(k.clone(), x.clone());
        }
    }
    if !params.is_empty() {
        out.insert("parameters".into(), Value::Array(params));
    }
    if !produces.is_empty() {
        out.insert("produces".into(), json!(produces));
    }
    out.insert("schemes".into(), json!(["https"]));
    out.insert("responses".into(), Value::Object(responses));
    Value::Object(out)
}
