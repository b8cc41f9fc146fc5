//! The core kube subset a standalone garden needs: v1 namespaces, secrets, configmaps, serviceaccounts, events;
//! RBAC; leases; SelfSubjectAccessReview.

use k8s_openapi::api::{authorization::v1 as authz, coordination::v1 as coord, core::v1 as core, rbac::v1 as rbac};
use serde_json::{json, Value};

use super::{str_at, Column, Plain, ResourceType, Strategy, TypedCodec};
use crate::error::FieldError;

fn rt(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    codec: Box<dyn super::Codec>,
    strategy: Box<dyn Strategy>,
) -> ResourceType {
    ResourceType {
        group,
        version: "v1",
        kind,
        plural,
        singular: Box::leak(kind.to_lowercase().into_boxed_str()),
        namespaced,
        short_names,
        categories: &[],
        subresources: &[],
        create_only: false,
        codec,
        strategy,
    }
}

pub fn types() -> Vec<ResourceType> {
    const RBAC: &str = "rbac.authorization.k8s.io";
    let mut namespaces = rt(
        "",
        "Namespace",
        "namespaces",
        false,
        &["ns"],
        TypedCodec::<core::Namespace>::boxed(),
        Box::new(NamespaceStrategy),
    );
    namespaces.subresources = &["status", "finalize"];
    let mut ssar = rt(
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        false,
        &[],
        TypedCodec::<authz::SelfSubjectAccessReview>::boxed(),
        Box::new(Plain),
    );
    ssar.create_only = true;
    let mut ssrr = rt(
        "authorization.k8s.io",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        false,
        &[],
        TypedCodec::<authz::SelfSubjectRulesReview>::boxed(),
        Box::new(Plain),
    );
    ssrr.create_only = true;
    let mut sa = rt(
        "",
        "ServiceAccount",
        "serviceaccounts",
        true,
        &["sa"],
        TypedCodec::<core::ServiceAccount>::boxed(),
        Box::new(Plain),
    );
    sa.subresources = &["token"];
    vec![
        namespaces,
        rt("", "Secret", "secrets", true, &[], TypedCodec::<core::Secret>::boxed(), Box::new(SecretStrategy)),
        rt(
            "",
            "ConfigMap",
            "configmaps",
            true,
            &["cm"],
            TypedCodec::<core::ConfigMap>::boxed(),
            Box::new(ConfigMapStrategy),
        ),
        sa,
        rt("", "Event", "events", true, &["ev"], TypedCodec::<core::Event>::boxed(), Box::new(EventStrategy)),
        rt(RBAC, "Role", "roles", true, &[], TypedCodec::<rbac::Role>::boxed(), Box::new(RoleStrategy)),
        rt(
            RBAC,
            "ClusterRole",
            "clusterroles",
            false,
            &[],
            TypedCodec::<rbac::ClusterRole>::boxed(),
            Box::new(RoleStrategy),
        ),
        rt(
            RBAC,
            "RoleBinding",
            "rolebindings",
            true,
            &[],
            TypedCodec::<rbac::RoleBinding>::boxed(),
            Box::new(BindingStrategy),
        ),
        rt(
            RBAC,
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
            &[],
            TypedCodec::<rbac::ClusterRoleBinding>::boxed(),
            Box::new(BindingStrategy),
        ),
        rt(
            "coordination.k8s.io",
            "Lease",
            "leases",
            true,
            &[],
            TypedCodec::<coord::Lease>::boxed(),
            Box::new(LeaseStrategy),
        ),
        ssar,
        ssrr,
    ]
}

struct NamespaceStrategy;
impl Strategy for NamespaceStrategy {
    fn default(&self, obj: &mut Value) {
        if obj.pointer("/spec/finalizers").is_none() {
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
        }
        if obj.pointer("/status/phase").is_none() {
            obj["status"] = json!({"phase": "Active"});
        }
    }
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        garden_api::names::validate_object_name(name, "metadata.name", true)
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Status", "The status of the namespace")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![json!(str_at(obj, "/status/phase").unwrap_or("Active"))]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "status.phase").then(|| str_at(obj, "/status/phase").unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &["status.phase"]
    }
}

struct SecretStrategy;
impl Strategy for SecretStrategy {
    /// `stringData` is a write-only convenience: fold it into `data` (base64) as kube does.
    fn default(&self, obj: &mut Value) {
        use base64::Engine;
        if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|o| o.remove("stringData")) {
            let data = obj
                .as_object_mut()
                .map(|o| o.entry("data").or_insert_with(|| json!({})))
                .and_then(Value::as_object_mut);
            if let Some(data) = data {
                for (k, v) in sd {
                    let s = v.as_str().unwrap_or_default();
                    data.insert(k, json!(base64::engine::general_purpose::STANDARD.encode(s)));
                }
            }
        }
        if obj.get("type").is_none() {
            obj["type"] = json!("Opaque");
        }
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Type", "The type of the secret"), Column::new("Data", "The number of entries in data")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let n = obj.get("data").and_then(Value::as_object).map_or(0, |m| m.len());
        vec![json!(str_at(obj, "/type").unwrap_or("Opaque")), json!(n)]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "type").then(|| str_at(obj, "/type").unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &["type"]
    }
}

struct ConfigMapStrategy;
impl Strategy for ConfigMapStrategy {
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Data", "The number of entries in data and binaryData")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let count = |k: &str| obj.get(k).and_then(Value::as_object).map_or(0, |m| m.len());
        vec![json!(count("data") + count("binaryData"))]
    }
}

struct EventStrategy;
impl Strategy for EventStrategy {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Type", "Type of the event"),
            Column::new("Reason", "Why the event happened"),
            Column::new("Object", "The object the event is about"),
            Column::new("Message", "Human-readable description"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let object = format!(
            "{}/{}",
            str_at(obj, "/involvedObject/kind").unwrap_or_default().to_lowercase(),
            str_at(obj, "/involvedObject/name").unwrap_or_default()
        );
        vec![
            json!(str_at(obj, "/type").unwrap_or_default()),
            json!(str_at(obj, "/reason").unwrap_or_default()),
            json!(object),
            json!(str_at(obj, "/message").unwrap_or_default()),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        let pointer = match field {
            "involvedObject.kind" => "/involvedObject/kind",
            "involvedObject.name" => "/involvedObject/name",
            "involvedObject.namespace" => "/involvedObject/namespace",
            "involvedObject.uid" => "/involvedObject/uid",
            "reason" => "/reason",
            "type" => "/type",
            _ => return None,
        };
        Some(str_at(obj, pointer).unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &[
            "involvedObject.kind",
            "involvedObject.name",
            "involvedObject.namespace",
            "involvedObject.uid",
            "reason",
            "type",
        ]
    }
}

struct RoleStrategy;
impl Strategy for RoleStrategy {
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        super::validate_path_segment_name(name)
    }
}

struct BindingStrategy;
impl Strategy for BindingStrategy {
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        super::validate_path_segment_name(name)
    }
    fn validate(&self, obj: &Value) -> Vec<FieldError> {
        let mut errs = Vec::new();
        for (field, ptr) in [("roleRef.kind", "/roleRef/kind"), ("roleRef.name", "/roleRef/name")] {
            if str_at(obj, ptr).unwrap_or_default().is_empty() {
                errs.push(FieldError::required(field, ""));
            }
        }
        if let Some(kind) = str_at(obj, "/roleRef/kind") {
            if !["Role", "ClusterRole"].contains(&kind) {
                errs.push(FieldError::not_supported(
                    "roleRef.kind",
                    &json!(kind),
                    &["ClusterRole".into(), "Role".into()],
                ));
            }
        }
        errs
    }
    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        if new.get("roleRef") != old.get("roleRef") {
            return vec![FieldError::invalid(
                "roleRef",
                new.get("roleRef").unwrap_or(&Value::Null),
                "cannot change roleRef",
            )];
        }
        Vec::new()
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Role", "The role this binding grants"),
            Column::wide("Users", "Users bound"),
            Column::wide("Groups", "Groups bound"),
            Column::wide("ServiceAccounts", "Service accounts bound"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let role = format!(
            "{}/{}",
            str_at(obj, "/roleRef/kind").unwrap_or_default(),
            str_at(obj, "/roleRef/name").unwrap_or_default()
        );
        let subjects = obj.get("subjects").and_then(Value::as_array).cloned().unwrap_or_default();
        let of_kind = |k: &str| {
            subjects
                .iter()
                .filter(|s| str_at(s, "/kind") == Some(k))
                .map(|s| match (k, str_at(s, "/namespace")) {
                    ("ServiceAccount", Some(ns)) => {
                        format!("{ns}/{}", str_at(s, "/name").unwrap_or_default())
                    }
                    _ => str_at(s, "/name").unwrap_or_default().to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        vec![json!(role), json!(of_kind("User")), json!(of_kind("Group")), json!(of_kind("ServiceAccount"))]
    }
}

struct LeaseStrategy;
impl Strategy for LeaseStrategy {
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Holder", "The holder of the lease")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![json!(str_at(obj, "/spec/holderIdentity").unwrap_or_default())]
    }
}
