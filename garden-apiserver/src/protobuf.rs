//! Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into JSON.
//!
//! Typed client-go clients (and so `kubectl create namespace|secret|role|token|...` and `kubectl auth can-i`)
//! send their bodies as protobuf. The server speaks JSON internally, so a protobuf body is turned into the JSON
//! object kube's own JSON encoder would produce for the same object, and the request then takes the JSON path.
//!
//! Wire format (k8s.io/apimachinery `runtime/serializer/protobuf`): the 4 magic bytes `k8s\0`, then a
//! `runtime.Unknown` envelope whose `typeMeta` names the apiVersion/kind and whose `raw` holds the object's own
//! message (from the type's `generated.proto`; the object message carries no TypeMeta of its own).
//!
//! The message structs below are written by hand from the upstream `generated.proto` files (proto2: `optional`
//! becomes `Option`). Only the kinds clients send as protobuf request bodies to this server are modelled; fields
//! not modelled are skipped by the decoder, as upstream skips unknown fields.
//!
//! JSON rendering follows the Go types' `json` tags: `omitempty` fields are left out when empty, pointer fields are
//! written whenever set, and a few fields without `omitempty` that decoders need (`roleRef`, `verbs`, `spec` of the
//! review kinds, ...) are always written. Unlike Go, empty non-pointer structs and unset times are left out rather
//! than written as `{}` / `null`.

use std::collections::BTreeMap;

use base64::Engine as _;
use prost::Message;
use serde_json::{Map, Value};

/// The media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The magic prefix of every Kubernetes protobuf body (`k8s` followed by a NUL byte).
pub const MAGIC: [u8; 4] = [0x6b, 0x38, 0x73, 0x00];

/// True for `application/vnd.kubernetes.protobuf` (with or without parameters).
pub fn is_protobuf(content_type: &str) -> bool {
    content_type.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case(CONTENT_TYPE)
}

/// Decode a kube protobuf body (magic `k8s\0` + runtime.Unknown envelope) into the JSON object kube would
/// produce for it (camelCase field names, `apiVersion`/`kind` from the envelope's TypeMeta, maps as JSON objects,
/// `bytes` fields (Secret.data, ConfigMap.binaryData) as base64 strings, absent/empty fields omitted, timestamps
/// as RFC3339 strings). Errors: String messages naming what is wrong (the caller turns them into 400/415).
///
/// An envelope without apiVersion is accepted when its kind alone identifies a supported type; the JSON then has
/// no `apiVersion`, so the request path's defaulting applies (as kube defaults it from the URL).
pub fn decode_to_json(body: &[u8]) -> Result<Value, String> {
    let data = match body.strip_prefix(&MAGIC[..]) {
        Some(d) => d,
        None if body.is_empty() => return Err("the protobuf request body is empty".into()),
        None => {
            return Err(format!(
                "the request body does not look like a Kubernetes protobuf message: expected the prefix {MAGIC:?} (\"k8s\\0\")"
            ))
        }
    };
    if data.is_empty() {
        return Err("the protobuf request body has no object after the \"k8s\\0\" prefix".into());
    }
    let unk = Unknown::decode(data).map_err(|e| format!("invalid protobuf envelope (runtime.Unknown): {e}"))?;
    if let Some(enc) = unk.content_encoding.as_deref().filter(|e| !e.is_empty()) {
        return Err(format!("protobuf bodies with contentEncoding {enc:?} are not supported"));
    }
    let tm = unk.type_meta.unwrap_or_default();
    let api_version = tm.api_version.unwrap_or_default();
    let kind = tm.kind.unwrap_or_default();
    if kind.is_empty() {
        return Err("the protobuf envelope (runtime.Unknown) names no kind".into());
    }
    let raw = unk.raw.unwrap_or_default();
    let raw = raw.as_slice();
    let group = match api_version.rsplit_once('/') {
        Some((g, v)) => Some((g, v)),
        None if api_version.is_empty() => None,
        None => Some(("", api_version.as_str())),
    };
    let unsupported = || format!("protobuf bodies are not supported for {api_version}/{kind}; send JSON");
    let group = match group {
        Some((g, "v1")) => Some(g),
        Some(_) => return Err(unsupported()),
        None => None,
    };
    let fields = match (group, kind.as_str()) {
        (None | Some(""), "Namespace") => namespace(&decode::<Namespace>(raw, &kind)?)?,
        (None | Some(""), "ConfigMap") => config_map(&decode::<ConfigMap>(raw, &kind)?)?,
        (None | Some(""), "Secret") => secret(&decode::<Secret>(raw, &kind)?)?,
        (None | Some(""), "ServiceAccount") => service_account(&decode::<ServiceAccount>(raw, &kind)?)?,
        (None | Some(RBAC), "Role") => role(&decode::<Role>(raw, &kind)?)?,
        (None | Some(RBAC), "ClusterRole") => cluster_role(&decode::<ClusterRole>(raw, &kind)?)?,
        (None | Some(RBAC), "RoleBinding" | "ClusterRoleBinding") => binding(&decode::<RoleBinding>(raw, &kind)?)?,
        (None | Some(AUTHZ), "SelfSubjectAccessReview") => {
            self_subject_access_review(&decode::<SelfSubjectAccessReview>(raw, &kind)?)?
        }
        (None | Some(AUTHZ), "SelfSubjectRulesReview") => {
            self_subject_rules_review(&decode::<SelfSubjectRulesReview>(raw, &kind)?)?
        }
        (None | Some(AUTHN), "TokenRequest") => token_request(&decode::<TokenRequest>(raw, &kind)?)?,
        (None | Some(AUTHN), "SelfSubjectReview") => self_subject_review(&decode::<SelfSubjectReview>(raw, &kind)?)?,
        _ => return Err(unsupported()),
    };
    let mut out = Map::new();
    if !api_version.is_empty() {
        out.insert("apiVersion".into(), Value::String(api_version));
    }
    out.insert("kind".into(), Value::String(kind));
    out.extend(fields);
    Ok(Value::Object(out))
}

const RBAC: &str = "rbac.authorization.k8s.io";
const AUTHZ: &str = "authorization.k8s.io";
const AUTHN: &str = "authentication.k8s.io";

fn decode<M: Message + Default>(raw: &[u8], kind: &str) -> Result<M, String> {
    M::decode(raw).map_err(|e| format!("invalid protobuf {kind}: {e}"))
}

// ---------------------------------------------------------------------------------------------------------------
// Messages (k8s.io/apimachinery pkg/runtime and pkg/apis/meta/v1 generated.proto)
// ---------------------------------------------------------------------------------------------------------------

/// runtime.Unknown: the envelope of every protobuf body.
#[derive(Clone, PartialEq, Message)]
struct Unknown {
    #[prost(message, optional, tag = "1")]
    type_meta: Option<TypeMeta>,
    #[prost(bytes = "vec", optional, tag = "2")]
    raw: Option<Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    content_encoding: Option<String>,
    #[prost(string, optional, tag = "4")]
    content_type: Option<String>,
}

/// runtime.TypeMeta.
#[derive(Clone, PartialEq, Message)]
struct TypeMeta {
    #[prost(string, optional, tag = "1")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
}

/// meta.v1.Time (wire-compatible with google.protobuf.Timestamp).
#[derive(Clone, PartialEq, Message)]
struct Time {
    #[prost(int64, optional, tag = "1")]
    seconds: Option<i64>,
    #[prost(int32, optional, tag = "2")]
    nanos: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct ObjectMeta {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    generate_name: Option<String>,
    #[prost(string, optional, tag = "3")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "4")]
    self_link: Option<String>,
    #[prost(string, optional, tag = "5")]
    uid: Option<String>,
    #[prost(string, optional, tag = "6")]
    resource_version: Option<String>,
    #[prost(int64, optional, tag = "7")]
    generation: Option<i64>,
    #[prost(message, optional, tag = "8")]
    creation_timestamp: Option<Time>,
    #[prost(message, optional, tag = "9")]
    deletion_timestamp: Option<Time>,
    #[prost(int64, optional, tag = "10")]
    deletion_grace_period_seconds: Option<i64>,
    #[prost(btree_map = "string, string", tag = "11")]
    labels: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "12")]
    annotations: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "13")]
    owner_references: Vec<OwnerReference>,
    #[prost(string, repeated, tag = "14")]
    finalizers: Vec<String>,
    #[prost(message, repeated, tag = "17")]
    managed_fields: Vec<ManagedFieldsEntry>,
}

#[derive(Clone, PartialEq, Message)]
struct OwnerReference {
    #[prost(string, optional, tag = "5")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    uid: Option<String>,
    #[prost(bool, optional, tag = "6")]
    controller: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    block_owner_deletion: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct ManagedFieldsEntry {
    #[prost(string, optional, tag = "1")]
    manager: Option<String>,
    #[prost(string, optional, tag = "2")]
    operation: Option<String>,
    #[prost(string, optional, tag = "3")]
    api_version: Option<String>,
    #[prost(message, optional, tag = "4")]
    time: Option<Time>,
    #[prost(string, optional, tag = "6")]
    fields_type: Option<String>,
    #[prost(message, optional, tag = "7")]
    fields_v1: Option<FieldsV1>,
    #[prost(string, optional, tag = "8")]
    subresource: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct FieldsV1 {
    /// The JSON encoding of the field set.
    #[prost(bytes = "vec", optional, tag = "1")]
    raw: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct LabelSelector {
    #[prost(btree_map = "string, string", tag = "1")]
    match_labels: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "2")]
    match_expressions: Vec<SelectorRequirement>,
}

/// meta.v1.LabelSelectorRequirement and meta.v1.FieldSelectorRequirement (same fields and numbers).
#[derive(Clone, PartialEq, Message)]
struct SelectorRequirement {
    #[prost(string, optional, tag = "1")]
    key: Option<String>,
    #[prost(string, optional, tag = "2")]
    operator: Option<String>,
    #[prost(string, repeated, tag = "3")]
    values: Vec<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// core/v1
// ---------------------------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, Message)]
struct Namespace {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<NamespaceSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<NamespaceStatus>,
}

#[derive(Clone, PartialEq, Message)]
struct NamespaceSpec {
    #[prost(string, repeated, tag = "1")]
    finalizers: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
struct NamespaceStatus {
    #[prost(string, optional, tag = "1")]
    phase: Option<String>,
    #[prost(message, repeated, tag = "2")]
    conditions: Vec<NamespaceCondition>,
}

#[derive(Clone, PartialEq, Message)]
struct NamespaceCondition {
    #[prost(string, optional, tag = "1")]
    r#type: Option<String>,
    #[prost(string, optional, tag = "2")]
    status: Option<String>,
    #[prost(message, optional, tag = "4")]
    last_transition_time: Option<Time>,
    #[prost(string, optional, tag = "5")]
    reason: Option<String>,
    #[prost(string, optional, tag = "6")]
    message: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct ConfigMap {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(bool, optional, tag = "4")]
    immutable: Option<bool>,
    #[prost(btree_map = "string, string", tag = "2")]
    data: BTreeMap<String, String>,
    #[prost(btree_map = "string, bytes", tag = "3")]
    binary_data: BTreeMap<String, Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct Secret {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(bool, optional, tag = "5")]
    immutable: Option<bool>,
    #[prost(btree_map = "string, bytes", tag = "2")]
    data: BTreeMap<String, Vec<u8>>,
    #[prost(btree_map = "string, string", tag = "4")]
    string_data: BTreeMap<String, String>,
    #[prost(string, optional, tag = "3")]
    r#type: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct ServiceAccount {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, repeated, tag = "2")]
    secrets: Vec<ObjectReference>,
    #[prost(message, repeated, tag = "3")]
    image_pull_secrets: Vec<LocalObjectReference>,
    #[prost(bool, optional, tag = "4")]
    automount_service_account_token: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
struct ObjectReference {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "2")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    uid: Option<String>,
    #[prost(string, optional, tag = "5")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "6")]
    resource_version: Option<String>,
    #[prost(string, optional, tag = "7")]
    field_path: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct LocalObjectReference {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// rbac.authorization.k8s.io/v1
// ---------------------------------------------------------------------------------------------------------------

/// rbac.v1.Role; also ClusterRole, which adds `aggregationRule`.
#[derive(Clone, PartialEq, Message)]
struct Role {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, repeated, tag = "2")]
    rules: Vec<PolicyRule>,
}

#[derive(Clone, PartialEq, Message)]
struct ClusterRole {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, repeated, tag = "2")]
    rules: Vec<PolicyRule>,
    #[prost(message, optional, tag = "3")]
    aggregation_rule: Option<AggregationRule>,
}

#[derive(Clone, PartialEq, Message)]
struct PolicyRule {
    #[prost(string, repeated, tag = "1")]
    verbs: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    api_groups: Vec<String>,
    #[prost(string, repeated, tag = "3")]
    resources: Vec<String>,
    #[prost(string, repeated, tag = "4")]
    resource_names: Vec<String>,
    #[prost(string, repeated, tag = "5")]
    non_resource_urls: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
struct AggregationRule {
    #[prost(message, repeated, tag = "1")]
    cluster_role_selectors: Vec<LabelSelector>,
}

/// rbac.v1.RoleBinding and rbac.v1.ClusterRoleBinding (same fields and numbers).
#[derive(Clone, PartialEq, Message)]
struct RoleBinding {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, repeated, tag = "2")]
    subjects: Vec<Subject>,
    #[prost(message, optional, tag = "3")]
    role_ref: Option<RoleRef>,
}

#[derive(Clone, PartialEq, Message)]
struct Subject {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "2")]
    api_group: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    namespace: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct RoleRef {
    #[prost(string, optional, tag = "1")]
    api_group: Option<String>,
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// authorization.k8s.io/v1
// ---------------------------------------------------------------------------------------------------------------

#[derive(Clone, PartialEq, Message)]
struct SelfSubjectAccessReview {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<SelfSubjectAccessReviewSpec>,
    #[prost(message, optional, tag = "3")]
    status: Option<SubjectAccessReviewStatus>,
}

#[derive(Clone, PartialEq, Message)]
struct SelfSubjectAccessReviewSpec {
    #[prost(message, optional, tag = "1")]
    resource_attributes: Option<ResourceAttributes>,
    #[prost(message, optional, tag = "2")]
    non_resource_attributes: Option<NonResourceAttributes>,
}

#[derive(Clone, PartialEq, Message)]
struct ResourceAttributes {
    #[prost(string, optional, tag = "1")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
    #[prost(string, optional, tag = "3")]
    group: Option<String>,
    #[prost(string, optional, tag = "4")]
    version: Option<String>,
    #[prost(string, optional, tag = "5")]
    resource: Option<String>,
    #[prost(string, optional, tag = "6")]
    subresource: Option<String>,
    #[prost(string, optional, tag = "7")]
    name: Option<String>,
    #[prost(message, optional, tag = "8")]
    field_selector: Option<SelectorAttributes>,
    #[prost(message, optional, tag = "9")]
    label_selector: Option<SelectorAttributes>,
}

/// authorization.v1.FieldSelectorAttributes and LabelSelectorAttributes (same fields and numbers).
#[derive(Clone, PartialEq, Message)]
struct SelectorAttributes {
    #[prost(string, optional, tag = "1")]
    raw_selector: Option<String>,
    #[prost(message, repeated, tag = "2")]
    requirements: Vec<SelectorRequirement>,
}

#[derive(Clone, PartialEq, Message)]
struct NonResourceAttributes {
    #[prost(string, optional, tag = "1")]
    path: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct SubjectAccessReviewStatus {
    #[prost(bool, optional, tag = "1")]
    allowed: Option<bool>,
    #[prost(bool, optional, tag = "4")]
    denied: Option<bool>,
    #[prost(string, optional, tag = "2")]
    reason: Option<String>,
    #[prost(string, optional, tag = "3")]
    evaluation_error: Option<String>,
}

/// authorization.v1.SelfSubjectRulesReview; its status is server-filled and not modelled.
#[derive(Clone, PartialEq, Message)]
struct SelfSubjectRulesReview {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<SelfSubjectRulesReviewSpec>,
}

#[derive(Clone, PartialEq, Message)]
struct SelfSubjectRulesReviewSpec {
    #[prost(string, optional, tag = "1")]
    namespace: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// authentication.k8s.io/v1
// ---------------------------------------------------------------------------------------------------------------

/// authentication.v1.TokenRequest; `spec.attestations` (5) and the server-filled status are not modelled.
#[derive(Clone, PartialEq, Message)]
struct TokenRequest {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<TokenRequestSpec>,
}

#[derive(Clone, PartialEq, Message)]
struct TokenRequestSpec {
    #[prost(string, repeated, tag = "1")]
    audiences: Vec<String>,
    #[prost(int64, optional, tag = "4")]
    expiration_seconds: Option<i64>,
    #[prost(message, optional, tag = "3")]
    bound_object_ref: Option<BoundObjectReference>,
}

#[derive(Clone, PartialEq, Message)]
struct BoundObjectReference {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "2")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    uid: Option<String>,
}

/// authentication.v1.SelfSubjectReview (`kubectl auth whoami`); its status is server-filled and not modelled.
#[derive(Clone, PartialEq, Message)]
struct SelfSubjectReview {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
}

// ---------------------------------------------------------------------------------------------------------------
// JSON rendering
// ---------------------------------------------------------------------------------------------------------------

/// A JSON object under construction, with one adder per Go json-tag flavour.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    /// `string` with `omitempty`.
    fn str(mut self, key: &str, v: &Option<String>) -> Self {
        if let Some(s) = v.as_deref().filter(|s| !s.is_empty()) {
            self.0.insert(key.into(), Value::String(s.into()));
        }
        self
    }

    /// `string` without `omitempty`: always written.
    fn str_always(mut self, key: &str, v: &Option<String>) -> Self {
        self.0.insert(key.into(), Value::String(v.clone().unwrap_or_default()));
        self
    }

    /// `[]string` with `omitempty`.
    fn strs(mut self, key: &str, v: &[String]) -> Self {
        if !v.is_empty() {
            self.0.insert(key.into(), strings(v));
        }
        self
    }

    /// A required `[]string`: always written, as `[]` when empty (Go would write `null`).
    fn strs_always(mut self, key: &str, v: &[String]) -> Self {
        self.0.insert(key.into(), strings(v));
        self
    }

    /// `*bool` / `*int64` / a value that is written whenever it is set.
    fn set(mut self, key: &str, v: Option<Value>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.into(), v);
        }
        self
    }

    /// `bool` with `omitempty`.
    fn flag(mut self, key: &str, v: Option<bool>) -> Self {
        if v == Some(true) {
            self.0.insert(key.into(), Value::Bool(true));
        }
        self
    }

    /// `int64` with `omitempty`.
    fn int(mut self, key: &str, v: Option<i64>) -> Self {
        if let Some(n) = v.filter(|n| *n != 0) {
            self.0.insert(key.into(), n.into());
        }
        self
    }

    /// `map[string]string` with `omitempty`.
    fn str_map(mut self, key: &str, m: &BTreeMap<String, String>) -> Self {
        if !m.is_empty() {
            let o = m.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            self.0.insert(key.into(), Value::Object(o));
        }
        self
    }

    /// `map[string][]byte` with `omitempty`: values as standard base64, as Go's encoding/json writes `[]byte`.
    fn bytes_map(mut self, key: &str, m: &BTreeMap<String, Vec<u8>>) -> Self {
        if !m.is_empty() {
            let b64 = base64::engine::general_purpose::STANDARD;
            let o = m.iter().map(|(k, v)| (k.clone(), Value::String(b64.encode(v)))).collect();
            self.0.insert(key.into(), Value::Object(o));
        }
        self
    }

    /// A list of objects with `omitempty`.
    fn list(mut self, key: &str, items: Vec<Value>) -> Self {
        if !items.is_empty() {
            self.0.insert(key.into(), Value::Array(items));
        }
        self
    }

    /// A nested non-pointer struct: left out when it has nothing to say.
    fn nested(mut self, key: &str, o: Obj) -> Self {
        if !o.0.is_empty() {
            self.0.insert(key.into(), Value::Object(o.0));
        }
        self
    }

    fn value(self) -> Value {
        Value::Object(self.0)
    }
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().cloned().map(Value::String).collect())
}

/// meta.v1.Time as JSON: RFC 3339 in UTC with whole seconds (kube drops the nanoseconds), `None` for the zero time
/// (an empty message, or Go's `time.Time{}`), which kube writes as `null`.
fn time(t: &Option<Time>, path: &str) -> Result<Option<Value>, String> {
    /// Seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z) since the Unix epoch.
    const GO_ZERO_TIME: i64 = -62_135_596_800;
    let Some(t) = t else { return Ok(None) };
    if t.seconds.is_none() && t.nanos.is_none() {
        return Ok(None);
    }
    let secs = t.seconds.unwrap_or(0);
    if secs == GO_ZERO_TIME {
        return Ok(None);
    }
    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: Go's RFC 3339 formatting refuses years outside 0-9999.
    const RANGE: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;
    if !RANGE.contains(&secs) {
        return Err(format!("{path}: the timestamp {secs} s is outside the years 0000-9999"));
    }
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    Ok(Some(Value::String(format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", sod / 3600, sod % 3600 / 60, sod % 60))))
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn object_meta(m: &Option<ObjectMeta>) -> Result<Obj, String> {
    let Some(m) = m else { return Ok(Obj::default()) };
    let owner_references = m
        .owner_references
        .iter()
        .map(|r| {
            Obj::default()
                .str_always("apiVersion", &r.api_version)
                .str_always("kind", &r.kind)
                .str_always("name", &r.name)
                .str_always("uid", &r.uid)
                .set("controller", r.controller.map(Value::Bool))
                .set("blockOwnerDeletion", r.block_owner_deletion.map(Value::Bool))
                .value()
        })
        .collect();
    let managed_fields =
        m.managed_fields
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let path = format!("metadata.managedFields[{i}]");
                let fields_v1 = match &e.fields_v1 {
                    None => None,
                    Some(f) => Some(match f.raw.as_deref() {
                        None | Some([]) => Value::Null,
                        Some(raw) => serde_json::from_slice(raw)
                            .map_err(|err| format!("{path}.fieldsV1: not valid JSON: {err}"))?,
                    }),
                };
                Ok(Obj::default()
                    .str("manager", &e.manager)
                    .str("operation", &e.operation)
                    .str("apiVersion", &e.api_version)
                    .set("time", time(&e.time, &format!("{path}.time"))?)
                    .str("fieldsType", &e.fields_type)
                    .set("fieldsV1", fields_v1)
                    .str("subresource", &e.subresource)
                    .value())
            })
            .collect::<Result<Vec<_>, String>>()?;
    Ok(Obj::default()
        .str("name", &m.name)
        .str("generateName", &m.generate_name)
        .str("namespace", &m.namespace)
        .str("selfLink", &m.self_link)
        .str("uid", &m.uid)
        .str("resourceVersion", &m.resource_version)
        .int("generation", m.generation)
        .set("creationTimestamp", time(&m.creation_timestamp, "metadata.creationTimestamp")?)
        .set("deletionTimestamp", time(&m.deletion_timestamp, "metadata.deletionTimestamp")?)
        .set("deletionGracePeriodSeconds", m.deletion_grace_period_seconds.map(Value::from))
        .str_map("labels", &m.labels)
        .str_map("annotations", &m.annotations)
        .list("ownerReferences", owner_references)
        .strs("finalizers", &m.finalizers)
        .list("managedFields", managed_fields))
}

/// The top-level fields of an object: `metadata` first, then `rest`.
fn top(metadata: &Option<ObjectMeta>, rest: Obj) -> Result<Map<String, Value>, String> {
    let mut o = Obj::default().nested("metadata", object_meta(metadata)?);
    o.0.extend(rest.0);
    Ok(o.0)
}

fn namespace(ns: &Namespace) -> Result<Map<String, Value>, String> {
    let spec = ns.spec.clone().unwrap_or_default();
    let status = ns.status.clone().unwrap_or_default();
    let conditions = status
        .conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(Obj::default()
                .str_always("type", &c.r#type)
                .str_always("status", &c.status)
                .set(
                    "lastTransitionTime",
                    time(&c.last_transition_time, &format!("status.conditions[{i}].lastTransitionTime"))?,
                )
                .str("reason", &c.reason)
                .str("message", &c.message)
                .value())
        })
        .collect::<Result<Vec<_>, String>>()?;
    top(
        &ns.metadata,
        Obj::default()
            .nested("spec", Obj::default().strs("finalizers", &spec.finalizers))
            .nested("status", Obj::default().str("phase", &status.phase).list("conditions", conditions)),
    )
}

fn config_map(cm: &ConfigMap) -> Result<Map<String, Value>, String> {
    top(
        &cm.metadata,
        Obj::default()
            .set("immutable", cm.immutable.map(Value::Bool))
            .str_map("data", &cm.data)
            .bytes_map("binaryData", &cm.binary_data),
    )
}

fn secret(s: &Secret) -> Result<Map<String, Value>, String> {
    top(
        &s.metadata,
        Obj::default()
            .set("immutable", s.immutable.map(Value::Bool))
            .bytes_map("data", &s.data)
            .str_map("stringData", &s.string_data)
            .str("type", &s.r#type),
    )
}

fn service_account(sa: &ServiceAccount) -> Result<Map<String, Value>, String> {
    let secrets = sa
        .secrets
        .iter()
        .map(|r| {
            Obj::default()
                .str("kind", &r.kind)
                .str("namespace", &r.namespace)
                .str("name", &r.name)
                .str("uid", &r.uid)
                .str("apiVersion", &r.api_version)
                .str("resourceVersion", &r.resource_version)
                .str("fieldPath", &r.field_path)
                .value()
        })
        .collect();
    let image_pull_secrets =
        sa.image_pull_secrets.iter().map(|r| Obj::default().str("name", &r.name).value()).collect();
    top(
        &sa.metadata,
        Obj::default()
            .list("secrets", secrets)
            .list("imagePullSecrets", image_pull_secrets)
            .set("automountServiceAccountToken", sa.automount_service_account_token.map(Value::Bool)),
    )
}

fn policy_rules(rules: &[PolicyRule]) -> Vec<Value> {
    rules
        .iter()
        .map(|r| {
            Obj::default()
                .strs_always("verbs", &r.verbs)
                .strs("apiGroups", &r.api_groups)
                .strs("resources", &r.resources)
                .strs("resourceNames", &r.resource_names)
                .strs("nonResourceURLs", &r.non_resource_urls)
                .value()
        })
        .collect()
}

fn selector_requirements(reqs: &[SelectorRequirement]) -> Vec<Value> {
    reqs.iter()
        .map(|r| {
            Obj::default()
                .str_always("key", &r.key)
                .str_always("operator", &r.operator)
                .strs("values", &r.values)
                .value()
        })
        .collect()
}

fn role(r: &Role) -> Result<Map<String, Value>, String> {
    top(&r.metadata, Obj::default().list("rules", policy_rules(&r.rules)))
}

fn cluster_role(r: &ClusterRole) -> Result<Map<String, Value>, String> {
    let aggregation_rule = r.aggregation_rule.as_ref().map(|a| {
        let selectors = a
            .cluster_role_selectors
            .iter()
            .map(|s| {
                Obj::default()
                    .str_map("matchLabels", &s.match_labels)
                    .list("matchExpressions", selector_requirements(&s.match_expressions))
                    .value()
            })
            .collect();
        Obj::default().list("clusterRoleSelectors", selectors).value()
    });
    top(&r.metadata, Obj::default().list("rules", policy_rules(&r.rules)).set("aggregationRule", aggregation_rule))
}

fn binding(b: &RoleBinding) -> Result<Map<String, Value>, String> {
    let subjects = b
        .subjects
        .iter()
        .map(|s| {
            Obj::default()
                .str_always("kind", &s.kind)
                .str("apiGroup", &s.api_group)
                .str_always("name", &s.name)
                .str("namespace", &s.namespace)
                .value()
        })
        .collect();
    let role_ref = b.role_ref.clone().unwrap_or_default();
    let role_ref = Obj::default()
        .str_always("apiGroup", &role_ref.api_group)
        .str_always("kind", &role_ref.kind)
        .str_always("name", &role_ref.name)
        .value();
    top(&b.metadata, Obj::default().list("subjects", subjects).set("roleRef", Some(role_ref)))
}

fn self_subject_access_review(r: &SelfSubjectAccessReview) -> Result<Map<String, Value>, String> {
    let spec = r.spec.clone().unwrap_or_default();
    let selector = |s: &Option<SelectorAttributes>| {
        s.as_ref().map(|s| {
            Obj::default()
                .str("rawSelector", &s.raw_selector)
                .list("requirements", selector_requirements(&s.requirements))
                .value()
        })
    };
    let resource_attributes = spec.resource_attributes.as_ref().map(|a| {
        Obj::default()
            .str("namespace", &a.namespace)
            .str("verb", &a.verb)
            .str("group", &a.group)
            .str("version", &a.version)
            .str("resource", &a.resource)
            .str("subresource", &a.subresource)
            .str("name", &a.name)
            .set("fieldSelector", selector(&a.field_selector))
            .set("labelSelector", selector(&a.label_selector))
            .value()
    });
    let non_resource_attributes =
        spec.non_resource_attributes.as_ref().map(|a| Obj::default().str("path", &a.path).str("verb", &a.verb).value());
    let spec = Obj::default()
        .set("resourceAttributes", resource_attributes)
        .set("nonResourceAttributes", non_resource_attributes)
        .value();
    // `allowed` has no omitempty, but an all-default status is what every client sends: leave it out then.
    let st = r.status.clone().unwrap_or_default();
    let status =
        Obj::default().flag("denied", st.denied).str("reason", &st.reason).str("evaluationError", &st.evaluation_error);
    let status = if st.allowed == Some(true) || !status.0.is_empty() {
        status.set("allowed", Some(Value::Bool(st.allowed.unwrap_or(false))))
    } else {
        status
    };
    top(&r.metadata, Obj::default().set("spec", Some(spec)).nested("status", status))
}

fn self_subject_rules_review(r: &SelfSubjectRulesReview) -> Result<Map<String, Value>, String> {
    let spec = r.spec.clone().unwrap_or_default();
    top(&r.metadata, Obj::default().set("spec", Some(Obj::default().str("namespace", &spec.namespace).value())))
}

fn token_request(r: &TokenRequest) -> Result<Map<String, Value>, String> {
    let spec = r.spec.clone().unwrap_or_default();
    let bound = spec.bound_object_ref.as_ref().map(|b| {
        Obj::default()
            .str("kind", &b.kind)
            .str("apiVersion", &b.api_version)
            .str("name", &b.name)
            .str("uid", &b.uid)
            .value()
    });
    let spec = Obj::default()
        .strs_always("audiences", &spec.audiences)
        .set("expirationSeconds", spec.expiration_seconds.map(Value::from))
        .set("boundObjectRef", bound)
        .value();
    top(&r.metadata, Obj::default().set("spec", Some(spec)))
}

fn self_subject_review(r: &SelfSubjectReview) -> Result<Map<String, Value>, String> {
    top(&r.metadata, Obj::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A kube protobuf body for `msg` of the given apiVersion/kind.
    fn body(api_version: &str, kind: &str, msg: &impl Message) -> Vec<u8> {
        envelope(api_version, kind, msg.encode_to_vec())
    }

    fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let unk = Unknown {
            type_meta: Some(TypeMeta { api_version: Some(api_version.into()), kind: Some(kind.into()) }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        let mut out = MAGIC.to_vec();
        out.extend(unk.encode_to_vec());
        out
    }

    fn s(v: &str) -> Option<String> {
        Some(v.into())
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// ObjectMeta as client-go's gogo encoder writes it: every non-pointer string present, even when empty, and
    /// an empty creationTimestamp message.
    fn meta(name: &str, namespace: &str) -> Option<ObjectMeta> {
        Some(ObjectMeta {
            name: s(name),
            generate_name: s(""),
            namespace: s(namespace),
            self_link: s(""),
            uid: s(""),
            resource_version: s(""),
            generation: Some(0),
            creation_timestamp: Some(Time::default()),
            ..Default::default()
        })
    }

    #[test]
    fn content_type() {
        assert!(is_protobuf("application/vnd.kubernetes.protobuf"));
        assert!(is_protobuf("Application/VND.Kubernetes.Protobuf; charset=utf-8"));
        assert!(is_protobuf(" application/vnd.kubernetes.protobuf ;stream=watch"));
        assert!(!is_protobuf("application/json"));
        assert!(!is_protobuf("application/vnd.kubernetes.protobuf+json"));
        assert!(!is_protobuf(""));
    }

    #[test]
    fn magic_is_k8s_nul() {
        assert_eq!(&MAGIC, b"k8s\0");
    }

    #[test]
    fn namespace_as_kubectl_sends_it() {
        let ns = Namespace {
            metadata: meta("dev", ""),
            spec: Some(NamespaceSpec::default()),
            status: Some(NamespaceStatus { phase: s(""), conditions: vec![] }),
        };
        assert_eq!(
            decode_to_json(&body("v1", "Namespace", &ns)).unwrap(),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})
        );
    }

    #[test]
    fn namespace_full() {
        let ns = Namespace {
            metadata: Some(ObjectMeta {
                name: s("dev"),
                uid: s("0b1c"),
                resource_version: s("42"),
                generation: Some(3),
                creation_timestamp: Some(Time { seconds: Some(1_700_000_000), nanos: Some(123) }),
                deletion_timestamp: Some(Time { seconds: Some(0), nanos: Some(0) }),
                deletion_grace_period_seconds: Some(0),
                labels: [("a".to_string(), "b".to_string())].into(),
                annotations: [("x/y".to_string(), "".to_string())].into(),
                owner_references: vec![OwnerReference {
                    api_version: s("v1"),
                    kind: s("ConfigMap"),
                    name: s("owner"),
                    uid: s("u1"),
                    controller: Some(false),
                    block_owner_deletion: None,
                }],
                finalizers: strs(&["f1", "f2"]),
                managed_fields: vec![ManagedFieldsEntry {
                    manager: s("kubectl-create"),
                    operation: s("Update"),
                    api_version: s("v1"),
                    time: Some(Time { seconds: Some(86_400), nanos: None }),
                    fields_type: s("FieldsV1"),
                    fields_v1: Some(FieldsV1 { raw: Some(br#"{"f:metadata":{}}"#.to_vec()) }),
                    subresource: s(""),
                }],
                ..Default::default()
            }),
            spec: Some(NamespaceSpec { finalizers: strs(&["kubernetes"]) }),
            status: Some(NamespaceStatus {
                phase: s("Active"),
                conditions: vec![NamespaceCondition {
                    r#type: s("NamespaceDeletionDiscoveryFailure"),
                    status: s("False"),
                    last_transition_time: None,
                    reason: s(""),
                    message: s("ok"),
                }],
            }),
        };
        assert_eq!(
            decode_to_json(&body("v1", "Namespace", &ns)).unwrap(),
            json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": "dev",
                    "uid": "0b1c",
                    "resourceVersion": "42",
                    "generation": 3,
                    "creationTimestamp": "2023-11-14T22:13:20Z",
                    "deletionTimestamp": "1970-01-01T00:00:00Z",
                    "deletionGracePeriodSeconds": 0,
                    "labels": {"a": "b"},
                    "annotations": {"x/y": ""},
                    "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "u1", "controller": false}],
                    "finalizers": ["f1", "f2"],
                    "managedFields": [{
                        "manager": "kubectl-create",
                        "operation": "Update",
                        "apiVersion": "v1",
                        "time": "1970-01-02T00:00:00Z",
                        "fieldsType": "FieldsV1",
                        "fieldsV1": {"f:metadata": {}}
                    }]
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active", "conditions": [{"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "message": "ok"}]}
            })
        );
    }

    #[test]
    fn config_map() {
        let cm = ConfigMap {
            metadata: meta("cfg", "default"),
            immutable: Some(false),
            data: [("k".to_string(), "v".to_string()), ("empty".to_string(), String::new())].into(),
            binary_data: [("bin".to_string(), vec![0, 159, 146, 150])].into(),
        };
        assert_eq!(
            decode_to_json(&body("v1", "ConfigMap", &cm)).unwrap(),
            json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cfg", "namespace": "default"},
                "immutable": false,
                "data": {"k": "v", "empty": ""},
                "binaryData": {"bin": "AJ+Slg=="}
            })
        );
    }

    #[test]
    fn secret() {
        let sec = Secret {
            metadata: meta("creds", "garden-dev"),
            immutable: None,
            data: [("password".to_string(), b"s3cr3t\n".to_vec()), ("none".to_string(), vec![])].into(),
            string_data: [("user".to_string(), "admin".to_string())].into(),
            r#type: s("Opaque"),
        };
        assert_eq!(
            decode_to_json(&body("v1", "Secret", &sec)).unwrap(),
            json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "creds", "namespace": "garden-dev"},
                "data": {"password": "czNjcjN0Cg==", "none": ""},
                "stringData": {"user": "admin"},
                "type": "Opaque"
            })
        );
        let empty_type = Secret { metadata: meta("x", "ns"), r#type: s(""), ..Default::default() };
        assert_eq!(
            decode_to_json(&body("v1", "Secret", &empty_type)).unwrap(),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "ns"}})
        );
    }

    #[test]
    fn service_account() {
        let sa = ServiceAccount {
            metadata: meta("robot", "garden-dev"),
            secrets: vec![ObjectReference { name: s("robot-token"), kind: s(""), ..Default::default() }],
            image_pull_secrets: vec![LocalObjectReference { name: s("pull") }],
            automount_service_account_token: Some(false),
        };
        assert_eq!(
            decode_to_json(&body("v1", "ServiceAccount", &sa)).unwrap(),
            json!({
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "robot", "namespace": "garden-dev"},
                "secrets": [{"name": "robot-token"}],
                "imagePullSecrets": [{"name": "pull"}],
                "automountServiceAccountToken": false
            })
        );
    }

    #[test]
    fn role_and_cluster_role() {
        let rule = PolicyRule {
            verbs: strs(&["get", "list"]),
            api_groups: strs(&[""]),
            resources: strs(&["configmaps"]),
            resource_names: strs(&["a"]),
            non_resource_urls: vec![],
        };
        let role = Role { metadata: meta("reader", "ns"), rules: vec![rule.clone(), PolicyRule::default()] };
        assert_eq!(
            decode_to_json(&body("rbac.authorization.k8s.io/v1", "Role", &role)).unwrap(),
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "reader", "namespace": "ns"},
                "rules": [
                    {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]},
                    {"verbs": []}
                ]
            })
        );
        let cr = ClusterRole {
            metadata: meta("agg", ""),
            rules: vec![PolicyRule {
                verbs: strs(&["get"]),
                non_resource_urls: strs(&["/healthz"]),
                ..Default::default()
            }],
            aggregation_rule: Some(AggregationRule {
                cluster_role_selectors: vec![LabelSelector {
                    match_labels: [("rbac.example.com/aggregate".to_string(), "true".to_string())].into(),
                    match_expressions: vec![SelectorRequirement {
                        key: s("tier"),
                        operator: s("Exists"),
                        values: vec![],
                    }],
                }],
            }),
        };
        assert_eq!(
            decode_to_json(&body("rbac.authorization.k8s.io/v1", "ClusterRole", &cr)).unwrap(),
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "agg"},
                "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
                "aggregationRule": {"clusterRoleSelectors": [{
                    "matchLabels": {"rbac.example.com/aggregate": "true"},
                    "matchExpressions": [{"key": "tier", "operator": "Exists"}]
                }]}
            })
        );
        let no_rules = ClusterRole {
            metadata: meta("empty", ""),
            rules: vec![],
            aggregation_rule: Some(AggregationRule::default()),
        };
        assert_eq!(
            decode_to_json(&body("rbac.authorization.k8s.io/v1", "ClusterRole", &no_rules)).unwrap(),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "empty"}, "aggregationRule": {}})
        );
    }

    #[test]
    fn bindings() {
        let rb = RoleBinding {
            metadata: meta("bind", "ns"),
            subjects: vec![
                Subject {
                    kind: s("User"),
                    api_group: s("rbac.authorization.k8s.io"),
                    name: s("alice"),
                    namespace: s(""),
                },
                Subject { kind: s("ServiceAccount"), api_group: s(""), name: s("robot"), namespace: s("ns") },
            ],
            role_ref: Some(RoleRef { api_group: s("rbac.authorization.k8s.io"), kind: s("Role"), name: s("reader") }),
        };
        assert_eq!(
            decode_to_json(&body("rbac.authorization.k8s.io/v1", "RoleBinding", &rb)).unwrap(),
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "bind", "namespace": "ns"},
                "subjects": [
                    {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                    {"kind": "ServiceAccount", "name": "robot", "namespace": "ns"}
                ],
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
            })
        );
        let crb = RoleBinding { metadata: meta("crb", ""), subjects: vec![], role_ref: None };
        assert_eq!(
            decode_to_json(&body("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &crb)).unwrap(),
            json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "crb"},
                "roleRef": {"apiGroup": "", "kind": "", "name": ""}
            })
        );
    }

    #[test]
    fn self_subject_access_review() {
        let ssar = SelfSubjectAccessReview {
            metadata: Some(ObjectMeta { creation_timestamp: Some(Time::default()), ..Default::default() }),
            spec: Some(SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: s("garden-dev"),
                    verb: s("create"),
                    group: s("core.gardener.cloud"),
                    version: s(""),
                    resource: s("shoots"),
                    subresource: s(""),
                    name: s(""),
                    field_selector: None,
                    label_selector: Some(SelectorAttributes {
                        raw_selector: s("a=b"),
                        requirements: vec![SelectorRequirement {
                            key: s("a"),
                            operator: s("In"),
                            values: strs(&["b"]),
                        }],
                    }),
                }),
                non_resource_attributes: None,
            }),
            status: Some(SubjectAccessReviewStatus {
                allowed: Some(false),
                denied: None,
                reason: s(""),
                evaluation_error: s(""),
            }),
        };
        assert_eq!(
            decode_to_json(&body("authorization.k8s.io/v1", "SelfSubjectAccessReview", &ssar)).unwrap(),
            json!({
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {
                    "namespace": "garden-dev",
                    "verb": "create",
                    "group": "core.gardener.cloud",
                    "resource": "shoots",
                    "labelSelector": {"rawSelector": "a=b", "requirements": [{"key": "a", "operator": "In", "values": ["b"]}]}
                }}
            })
        );
        let non_resource = SelfSubjectAccessReview {
            metadata: None,
            spec: Some(SelfSubjectAccessReviewSpec {
                resource_attributes: None,
                non_resource_attributes: Some(NonResourceAttributes { path: s("/logs"), verb: s("get") }),
            }),
            status: Some(SubjectAccessReviewStatus {
                allowed: None,
                denied: Some(true),
                reason: s("no"),
                evaluation_error: None,
            }),
        };
        assert_eq!(
            decode_to_json(&body("authorization.k8s.io/v1", "SelfSubjectAccessReview", &non_resource)).unwrap(),
            json!({
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"nonResourceAttributes": {"path": "/logs", "verb": "get"}},
                "status": {"allowed": false, "denied": true, "reason": "no"}
            })
        );
        let rules =
            SelfSubjectRulesReview { metadata: None, spec: Some(SelfSubjectRulesReviewSpec { namespace: s("ns") }) };
        assert_eq!(
            decode_to_json(&body("authorization.k8s.io/v1", "SelfSubjectRulesReview", &rules)).unwrap(),
            json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "ns"}})
        );
    }

    #[test]
    fn token_request_and_self_subject_review() {
        let tr = TokenRequest {
            metadata: meta("robot", "garden-dev"),
            spec: Some(TokenRequestSpec {
                audiences: strs(&["https://garden"]),
                expiration_seconds: Some(3600),
                bound_object_ref: Some(BoundObjectReference {
                    kind: s("Secret"),
                    api_version: s("v1"),
                    name: s("s"),
                    uid: s("u"),
                }),
            }),
        };
        assert_eq!(
            decode_to_json(&body("authentication.k8s.io/v1", "TokenRequest", &tr)).unwrap(),
            json!({
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "metadata": {"name": "robot", "namespace": "garden-dev"},
                "spec": {
                    "audiences": ["https://garden"],
                    "expirationSeconds": 3600,
                    "boundObjectRef": {"kind": "Secret", "apiVersion": "v1", "name": "s", "uid": "u"}
                }
            })
        );
        let bare = TokenRequest::default();
        assert_eq!(
            decode_to_json(&body("authentication.k8s.io/v1", "TokenRequest", &bare)).unwrap(),
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"audiences": []}})
        );
        let ssr = SelfSubjectReview { metadata: meta("", "") };
        assert_eq!(
            decode_to_json(&body("authentication.k8s.io/v1", "SelfSubjectReview", &ssr)).unwrap(),
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        );
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// Bodies captured from kubectl v1.32 (`kubectl <command>` against a recording server), with what they decode to.
    #[test]
    fn real_kubectl_bodies() {
        let cases: &[(&str, &str, Value)] = &[
            (
                "create namespace dev",
                "6b3873000a0f0a02763112094e616d657370616365121b0a130a0364657612001a0022002a0032003800420012001a020a001a002200",
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}),
            ),
            (
                "create secret generic creds -n ns --from-literal=password=s3cr3t --type=Opaque",
                "6b3873000a0c0a027631120653656372657412350a170a05637265647312001a026e7322002a0032003800420012120a0870617373776f726412067333637233741a064f70617175651a002200",
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "ns"}, "data": {"password": "czNjcjN0"}, "type": "Opaque"}),
            ),
            (
                "create serviceaccount robot -n ns",
                "6b3873000a140a027631120e536572766963654163636f756e7412190a170a05726f626f7412001a026e7322002a003200380042001a002200",
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot", "namespace": "ns"}}),
            ),
            (
                "create role reader -n ns --verb=get,list --resource=configmaps --resource-name=a",
                "6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c6512380a180a0672656164657212001a026e7322002a00320038004200121c0a036765740a046c69737412001a0a636f6e6669676d6170732201611a002200",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader", "namespace": "ns"}, "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}]}),
            ),
            (
                "create clusterrole cr --verb=get --non-resource-url=/healthz",
                "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c6512250a120a02637212001a0022002a00320038004200120f0a036765742a082f6865616c74687a1a002200",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}),
            ),
            (
                "create rolebinding rb -n ns --role=reader --user=alice --serviceaccount=ns:robot",
                "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e67128c010a140a02726212001a026e7322002a00320038004200122a0a04557365721219726261632e617574686f72697a6174696f6e2e6b38732e696f1a05616c6963652200121d0a0e536572766963654163636f756e7412001a05726f626f7422026e731a290a19726261632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a067265616465721a002200",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb", "namespace": "ns"}, "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}, {"kind": "ServiceAccount", "name": "robot", "namespace": "ns"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}}),
            ),
            (
                "create clusterrolebinding crb --clusterrole=cr --group=devs",
                "6b3873000a320a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311212436c7573746572526f6c6542696e64696e67126f0a130a0363726212001a0022002a00320038004200122a0a0547726f75701219726261632e617574686f72697a6174696f6e2e6b38732e696f1a046465767322001a2c0a19726261632e617574686f72697a6174696f6e2e6b38732e696f120b436c7573746572526f6c651a0263721a002200",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"}, "subjects": [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cr"}}),
            ),
            (
                "create token robot -n ns --audience=https://garden --duration=1h",
                "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374122d0a100a0012001a0022002a0032003800420012130a0e68747470733a2f2f67617264656e20901c1a040a0012001a002200",
                json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"audiences": ["https://garden"], "expirationSeconds": 3600}}),
            ),
            (
                "auth can-i create configmaps -n garden-dev",
                "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365737352657669657712480a100a0012001a0022002a00320038004200122a0a280a0a67617264656e2d64657612066372656174651a0022002a0a636f6e6669676d61707332003a001a08080012001a0020001a002200",
                json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"namespace": "garden-dev", "verb": "create", "resource": "configmaps"}}}),
            ),
            (
                "auth can-i get /logs",
                "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577122c0a100a0012001a0022002a00320038004200120e120c0a052f6c6f677312036765741a08080012001a0020001a002200",
                json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"nonResourceAttributes": {"path": "/logs", "verb": "get"}}}),
            ),
            (
                "auth whoami",
                "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200",
                json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}),
            ),
            (
                "auth can-i --list -n ns",
                "6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c6573526576696577121e0a100a0012001a0022002a0032003800420012040a026e731a04180022001a002200",
                json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "ns"}}),
            ),
        ];
        for (command, hex, want) in cases {
            assert_eq!(&decode_to_json(&unhex(hex)).unwrap(), want, "kubectl {command}");
        }
    }

    /// Field numbers checked against hand-written wire bytes, independent of the prost structs.
    #[test]
    fn wire_bytes_by_hand() {
        // ConfigMap{metadata{name "a"}, data{"k": "v"}, binaryData{"b": [1]}, immutable true}
        let raw = vec![
            0x0a, 0x03, 0x0a, 0x01, b'a', // 1: metadata { 1: name "a" }
            0x12, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v', // 2: data entry
            0x1a, 0x06, 0x0a, 0x01, b'b', 0x12, 0x01, 0x01, // 3: binaryData entry
            0x20, 0x01, // 4: immutable
        ];
        assert_eq!(
            decode_to_json(&envelope("v1", "ConfigMap", raw)).unwrap(),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}, "binaryData": {"b": "AQ=="}, "immutable": true})
        );
        // Envelope: TypeMeta{apiVersion "v1", kind "Secret"}, raw: Secret{type "t" (3), stringData{"x": "y"} (4), immutable (5)}
        let mut b = MAGIC.to_vec();
        let raw = [0x1a, 0x01, b't', 0x22, 0x06, 0x0a, 0x01, b'x', 0x12, 0x01, b'y', 0x28, 0x00];
        b.extend([0x0a, 0x0c, 0x0a, 0x02, b'v', b'1', 0x12, 0x06]);
        b.extend(b"Secret");
        b.extend([0x12, raw.len() as u8]);
        b.extend(raw);
        b.extend([0x1a, 0x00, 0x22, 0x00]);
        assert_eq!(
            decode_to_json(&b).unwrap(),
            json!({"apiVersion": "v1", "kind": "Secret", "type": "t", "stringData": {"x": "y"}, "immutable": false})
        );
    }

    #[test]
    fn envelope_defaults_and_empty_object() {
        // No apiVersion: kind alone dispatches, and the JSON leaves apiVersion to the request path.
        let ns = Namespace { metadata: meta("dev", ""), ..Default::default() };
        assert_eq!(
            decode_to_json(&body("", "Namespace", &ns)).unwrap(),
            json!({"kind": "Namespace", "metadata": {"name": "dev"}})
        );
        // An empty raw is an empty object, as upstream decodes it.
        assert_eq!(
            decode_to_json(&envelope("v1", "ConfigMap", vec![])).unwrap(),
            json!({"apiVersion": "v1", "kind": "ConfigMap"})
        );
    }

    #[test]
    fn unsupported_kinds() {
        let err = decode_to_json(&envelope("apps/v1", "Deployment", vec![])).unwrap_err();
        assert_eq!(err, "protobuf bodies are not supported for apps/v1/Deployment; send JSON");
        let err = decode_to_json(&envelope("v1", "Role", vec![])).unwrap_err();
        assert_eq!(err, "protobuf bodies are not supported for v1/Role; send JSON");
        let err = decode_to_json(&envelope("rbac.authorization.k8s.io/v1beta1", "Role", vec![])).unwrap_err();
        assert_eq!(err, "protobuf bodies are not supported for rbac.authorization.k8s.io/v1beta1/Role; send JSON");
        let err = decode_to_json(&envelope("core.gardener.cloud/v1beta1", "Shoot", vec![])).unwrap_err();
        assert!(err.contains("core.gardener.cloud/v1beta1/Shoot"), "{err}");
    }

    #[test]
    fn malformed_bodies() {
        assert!(decode_to_json(b"").unwrap_err().contains("empty"));
        assert!(decode_to_json(b"k8s\0").unwrap_err().contains("no object"));
        assert!(decode_to_json(b"{\"kind\":\"Namespace\"}").unwrap_err().contains("prefix"));
        assert!(decode_to_json(b"k8s").unwrap_err().contains("prefix"));
        assert!(decode_to_json(&envelope("v1", "", vec![])).unwrap_err().contains("no kind"));
        let mut b = MAGIC.to_vec();
        b.extend([0xff, 0xff, 0xff]);
        assert!(decode_to_json(&b).unwrap_err().contains("runtime.Unknown"));
        // Invalid inner message: a length-delimited field running past the end.
        let err = decode_to_json(&envelope("v1", "Secret", vec![0x0a, 0x05, 0x0a])).unwrap_err();
        assert!(err.starts_with("invalid protobuf Secret"), "{err}");
        // Invalid UTF-8 in a string field.
        let err = decode_to_json(&envelope("v1", "ConfigMap", vec![0x0a, 0x03, 0x0a, 0x01, 0xff])).unwrap_err();
        assert!(err.starts_with("invalid protobuf ConfigMap"), "{err}");
        // Compressed envelopes are refused.
        let unk = Unknown {
            type_meta: Some(TypeMeta { api_version: s("v1"), kind: s("Namespace") }),
            raw: Some(vec![]),
            content_encoding: s("gzip"),
            content_type: None,
        };
        let mut b = MAGIC.to_vec();
        b.extend(unk.encode_to_vec());
        assert!(decode_to_json(&b).unwrap_err().contains("gzip"));
        // Bad managedFields JSON and out-of-range times.
        let bad_fields = Namespace {
            metadata: Some(ObjectMeta {
                managed_fields: vec![ManagedFieldsEntry {
                    fields_v1: Some(FieldsV1 { raw: Some(b"{".to_vec()) }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(decode_to_json(&body("v1", "Namespace", &bad_fields))
            .unwrap_err()
            .contains("managedFields[0].fieldsV1"));
        for secs in [i64::MAX, i64::MIN, 253_402_300_800, -62_167_219_201] {
            let ns = Namespace {
                metadata: Some(ObjectMeta {
                    creation_timestamp: Some(Time { seconds: Some(secs), nanos: None }),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let err = decode_to_json(&body("v1", "Namespace", &ns)).unwrap_err();
            assert!(err.contains("metadata.creationTimestamp"), "{secs}: {err}");
        }
    }

    #[test]
    fn time_edges() {
        let t = |seconds: Option<i64>, nanos: Option<i32>| time(&Some(Time { seconds, nanos }), "t").unwrap();
        assert_eq!(time(&None, "t").unwrap(), None);
        assert_eq!(t(None, None), None);
        assert_eq!(t(Some(-62_135_596_800), None), None);
        assert_eq!(t(None, Some(5)), Some(json!("1970-01-01T00:00:00Z")));
        assert_eq!(t(Some(253_402_300_799), Some(999_999_999)), Some(json!("9999-12-31T23:59:59Z")));
        assert_eq!(t(Some(-62_167_219_200), None), Some(json!("0000-01-01T00:00:00Z")));
        assert_eq!(t(Some(-62_135_596_799), None), Some(json!("0001-01-01T00:00:01Z")));
        assert_eq!(t(Some(951_782_400), None), Some(json!("2000-02-29T00:00:00Z")));
        assert_eq!(t(Some(-1), None), Some(json!("1969-12-31T23:59:59Z")));
        assert_eq!(t(Some(4_107_542_399), None), Some(json!("2100-02-28T23:59:59Z")));
        assert_eq!(t(Some(4_107_542_400), None), Some(json!("2100-03-01T00:00:00Z")));
    }

    /// Truncations and byte flips of valid bodies, and pseudo-random garbage, never panic.
    #[test]
    fn fuzz_never_panics() {
        let samples = vec![
            body(
                "v1",
                "Secret",
                &Secret {
                    metadata: meta("creds", "ns"),
                    data: [("k".to_string(), vec![1, 2, 3])].into(),
                    r#type: s("Opaque"),
                    ..Default::default()
                },
            ),
            body(
                "rbac.authorization.k8s.io/v1",
                "ClusterRole",
                &ClusterRole {
                    metadata: meta("cr", ""),
                    rules: vec![PolicyRule { verbs: strs(&["*"]), ..Default::default() }],
                    aggregation_rule: Some(AggregationRule { cluster_role_selectors: vec![LabelSelector::default()] }),
                },
            ),
            body(
                "authentication.k8s.io/v1",
                "TokenRequest",
                &TokenRequest {
                    metadata: meta("sa", "ns"),
                    spec: Some(TokenRequestSpec {
                        audiences: strs(&["a"]),
                        expiration_seconds: Some(600),
                        bound_object_ref: None,
                    }),
                },
            ),
        ];
        for b in &samples {
            assert!(decode_to_json(b).is_ok());
            for n in 0..b.len() {
                let _ = decode_to_json(&b[..n]);
            }
            for i in 0..b.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut c = b.clone();
                    c[i] ^= flip;
                    let _ = decode_to_json(&c);
                }
            }
        }
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let len = (next() % 64) as usize;
            let mut b = MAGIC.to_vec();
            b.extend((0..len).map(|_| next() as u8));
            let _ = decode_to_json(&b);
            // Garbage inside a well-formed envelope, for every supported kind.
            let raw: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            for (av, kind) in [
                ("v1", "Namespace"),
                ("v1", "ConfigMap"),
                ("v1", "Secret"),
                ("v1", "ServiceAccount"),
                ("rbac.authorization.k8s.io/v1", "Role"),
                ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                ("rbac.authorization.k8s.io/v1", "RoleBinding"),
                ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
                ("authentication.k8s.io/v1", "TokenRequest"),
            ] {
                let _ = decode_to_json(&envelope(av, kind, raw.clone()));
            }
        }
    }
}
