//! Kubernetes protobuf (`application/vnd.kubernetes.protobuf`): request bodies in, responses out.
//!
//! client-go prefers protobuf for the built-in kinds (kubectl's typed requests such as `create deployment`,
//! controllers' informers), so the server reads and writes it for every kind that has a protobuf form
//! ([`kinds`]). The server itself speaks JSON: a protobuf body becomes the JSON object of the same kind, and a
//! JSON response becomes protobuf at the edge, both through the kind's k8s-openapi struct and its k8s-pb message
//! ([`convert`]).
//!
//! Wire format (k8s.io/apimachinery `runtime/serializer/protobuf`): the 4 magic bytes `k8s\0`, then a
//! `runtime.Unknown` envelope whose `typeMeta` names the apiVersion/kind and whose `raw` holds the object's own
//! message. A list is the `<Kind>List` message (ListMeta, then the items). A watch stream is a sequence of frames,
//! each a 4-byte big-endian length and a bare `WatchEvent` message whose `object.raw` is an enveloped object.

mod convert;
mod kinds;

use bytes::Bytes;
use prost::Message;
use serde_json::Value;

use k8s_pb::apimachinery::pkg::apis::meta::v1 as pb_meta;
use k8s_pb::apimachinery::pkg::runtime as pb_runtime;

pub use kinds::{lookup, ProtoKind};

/// The media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The media type of a protobuf watch stream.
pub const WATCH_CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf;stream=watch";

/// The magic prefix of every Kubernetes protobuf body (`k8s` followed by a NUL byte).
pub const MAGIC: [u8; 4] = [0x6b, 0x38, 0x73, 0x00];

/// True for `application/vnd.kubernetes.protobuf` (with or without parameters).
pub fn is_protobuf(content_type: &str) -> bool {
    content_type.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case(CONTENT_TYPE)
}

/// Decode a kube protobuf body (magic `k8s\0` + runtime.Unknown envelope) into the JSON object kube would
/// produce for it. Errors: messages naming what is wrong (the caller answers 400).
///
/// An envelope without apiVersion is accepted when its kind alone identifies a supported type. DeleteOptions is
/// accepted under any apiVersion (kube registers it in every group version).
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
    let unk =
        pb_runtime::Unknown::decode(data).map_err(|e| format!("invalid protobuf envelope (runtime.Unknown): {e}"))?;
    if let Some(enc) = unk.content_encoding.as_deref().filter(|e| !e.is_empty()) {
        return Err(format!("protobuf bodies with contentEncoding {enc:?} are not supported"));
    }
    let tm = unk.type_meta.unwrap_or_default();
    let api_version = tm.api_version.unwrap_or_default();
    let kind = tm.kind.unwrap_or_default();
    if kind.is_empty() {
        return Err("the protobuf envelope (runtime.Unknown) names no kind".into());
    }
    let proto = if kind == "DeleteOptions" { Some(kinds::delete_options()) } else { lookup(&api_version, &kind) };
    let proto =
        proto.ok_or_else(|| format!("protobuf bodies are not supported for {api_version}/{kind}; send JSON"))?;
    proto.decode(&unk.raw.unwrap_or_default())
}

/// `k8s\0` + runtime.Unknown{typeMeta, raw}: a whole protobuf body.
pub fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unk = pb_runtime::Unknown {
        type_meta: Some(pb_runtime::TypeMeta { api_version: Some(api_version.into()), kind: Some(kind.into()) }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut out = Vec::with_capacity(MAGIC.len() + unk.encoded_len());
    out.extend_from_slice(&MAGIC);
    unk.encode(&mut out).expect("a Vec grows as needed");
    out
}

#[derive(serde::Deserialize)]
struct TypeMeta {
    #[serde(rename = "apiVersion", default)]
    api_version: String,
    #[serde(default)]
    kind: String,
}

/// The protobuf form of an object given as JSON (it names its apiVersion and kind). None when that kind has no
/// protobuf form (the caller answers JSON).
pub fn proto_kind_of(json: &Value) -> Option<&'static dyn ProtoKind> {
    let av = json.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = json.get("kind").and_then(Value::as_str).unwrap_or_default();
    (!kind.is_empty()).then(|| lookup(av, kind)).flatten()
}

/// A whole protobuf body for an object given as JSON bytes; None when the kind has no protobuf form.
pub fn encode_json(json: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let tm: TypeMeta = serde_json::from_slice(json).ok()?;
    let proto = lookup(&tm.api_version, &tm.kind).filter(|_| !tm.kind.is_empty())?;
    Some(proto.encode(json).map(|raw| envelope(proto.api_version(), proto.kind(), raw)))
}

/// The same for a parsed JSON value.
pub fn encode_value(json: &Value) -> Option<Result<Vec<u8>, String>> {
    let proto = proto_kind_of(json)?;
    Some(proto.encode_value(json).map(|raw| envelope(proto.api_version(), proto.kind(), raw)))
}

/// A `<Kind>List` body: the list metadata (JSON ListMeta) and the items' message bytes (no envelopes).
pub fn encode_list<'a>(
    api_version: &str,
    list_kind: &str,
    list_meta: &Value,
    items: impl ExactSizeIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, String> {
    let meta = kinds::list_meta().encode_value(list_meta)?;
    let mut raw = Vec::new();
    length_delimited(1, &meta, &mut raw);
    for item in items {
        length_delimited(2, item, &mut raw);
    }
    Ok(envelope(api_version, list_kind, raw))
}

fn length_delimited(tag: u32, bytes: &[u8], buf: &mut Vec<u8>) {
    prost::encoding::encode_key(tag, prost::encoding::WireType::LengthDelimited, buf);
    prost::encoding::encode_varint(bytes.len() as u64, buf);
    buf.extend_from_slice(bytes);
}

/// One frame of a protobuf watch stream: the length, then a WatchEvent whose object is the enveloped `object`.
pub fn watch_frame(event_type: &str, object: Vec<u8>) -> Bytes {
    let ev = pb_meta::WatchEvent {
        r#type: Some(event_type.into()),
        object: Some(pb_runtime::RawExtension { raw: Some(object) }),
    };
    let len = ev.encoded_len();
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    ev.encode(&mut out).expect("a Vec grows as needed");
    Bytes::from(out)
}

/// A Status (JSON, as errors are built) as a protobuf body.
pub fn encode_status(status: &Value) -> Vec<u8> {
    match encode_value(status) {
        Some(Ok(b)) => b,
        // A Status the server built always converts; keep the reason if it somehow does not.
        _ => envelope("v1", "Status", Vec::new()),
    }
}

#[cfg(test)]
mod tests;
