//! The `x-kubernetes-*` list markers of Gardener's published OpenAPI schemas, as schemars field transforms
//! (`#[schemars(transform = crate::markers::list_map_by_name)]`).
//!
//! Gardener tags these lists `patchMergeKey`/`patchStrategy=merge`; kube's structured merge treats such a list
//! as an associative list keyed by the merge key, so the schema says so explicitly too
//! (`x-kubernetes-list-type: map`, `x-kubernetes-list-map-keys`): server-side apply and strategic merge patch
//! read the same facts.

use schemars::Schema;
use serde_json::json;

fn list_map(schema: &mut Schema, key: &str) {
    schema.insert("x-kubernetes-list-type".into(), json!("map"));
    schema.insert("x-kubernetes-list-map-keys".into(), json!([key]));
    schema.insert("x-kubernetes-patch-merge-key".into(), json!(key));
    schema.insert("x-kubernetes-patch-strategy".into(), json!("merge"));
}

/// A list of objects merged by their `name`.
pub fn list_map_by_name(schema: &mut Schema) {
    list_map(schema, "name");
}

/// A list of objects merged by their `type` (conditions).
pub fn list_map_by_type(schema: &mut Schema) {
    list_map(schema, "type");
}

/// A list of objects merged by their `key` (tolerations).
pub fn list_map_by_key(schema: &mut Schema) {
    list_map(schema, "key");
}

/// A list of objects merged by their `version` (offered versions).
pub fn list_map_by_version(schema: &mut Schema) {
    list_map(schema, "version");
}

#[cfg(test)]
mod tests {
    use schemars::{schema_for, JsonSchema};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Item {
        name: String,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Holder {
        #[schemars(transform = super::list_map_by_name)]
        items: Vec<Item>,
    }

    #[test]
    fn field_carries_the_list_map_markers() {
        let s = serde_json::to_value(schema_for!(Holder)).unwrap();
        let items = &s["properties"]["items"];
        assert_eq!(items["type"], "array");
        assert_eq!(items["x-kubernetes-list-type"], "map");
        assert_eq!(items["x-kubernetes-list-map-keys"], serde_json::json!(["name"]));
        assert_eq!(items["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(items["x-kubernetes-patch-strategy"], "merge");
    }
}
