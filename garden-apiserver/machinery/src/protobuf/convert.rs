//! Conversion between the k8s-openapi structs (the server's JSON side) and the k8s-pb messages (the wire).
//!
//! Both crates come from the same Kubernetes types, so the conversion is field by field: `mapping.rs` (generated
//! by `hack/gen-protobuf-mapping.py`) lists which field goes to which, and the `messages!` macro below turns each
//! entry into an [`Elem`] impl. How a field converts follows from its two Rust types alone ([`Field`]): proto2
//! makes every protobuf field optional, where k8s-openapi has required fields, optional fields and optional
//! lists/maps. The few types whose JSON form is not an object of their message's fields (times, quantities,
//! int-or-string, raw JSON, byte strings) are converted by hand here.
//!
//! What the wire cannot say is read the way kube's Go decoder reads it: an empty string is an unset string (the
//! Go encoder writes non-pointer strings even when empty), an empty list or map is an absent one, and an empty
//! Time message is the zero time, that is no time.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, MicroTime, Time};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;
use k8s_pb::apimachinery::pkg as pb;

/// A value with one protobuf form: a message, a scalar, or a hand-converted type.
pub trait Elem: Sized {
    type Pb: Default;
    fn to_pb(&self) -> Self::Pb;
    fn from_pb(p: Self::Pb) -> Self;
    /// The wire form of "not set" for a field that is optional on the JSON side.
    fn unset(_p: &Self::Pb) -> bool {
        false
    }
}

/// One struct field: the k8s-openapi field type (`Self`) against the k8s-pb field type (`P`).
pub trait Field<P>: Sized {
    fn to_pb(&self) -> P;
    fn from_pb(p: P) -> Self;
}

/// A required field (optional on the wire: absent reads as the zero value).
impl<A: Elem> Field<Option<A::Pb>> for A {
    fn to_pb(&self) -> Option<A::Pb> {
        Some(Elem::to_pb(self))
    }
    fn from_pb(p: Option<A::Pb>) -> Self {
        A::from_pb(p.unwrap_or_default())
    }
}

impl<A: Elem> Field<Option<A::Pb>> for Option<A> {
    fn to_pb(&self) -> Option<A::Pb> {
        self.as_ref().map(Elem::to_pb)
    }
    fn from_pb(p: Option<A::Pb>) -> Self {
        p.filter(|p| !A::unset(p)).map(A::from_pb)
    }
}

impl<A: Elem> Field<Vec<A::Pb>> for Vec<A> {
    fn to_pb(&self) -> Vec<A::Pb> {
        self.iter().map(Elem::to_pb).collect()
    }
    fn from_pb(p: Vec<A::Pb>) -> Self {
        p.into_iter().map(A::from_pb).collect()
    }
}

impl<A: Elem> Field<Vec<A::Pb>> for Option<Vec<A>> {
    fn to_pb(&self) -> Vec<A::Pb> {
        self.as_deref().unwrap_or_default().iter().map(Elem::to_pb).collect()
    }
    fn from_pb(p: Vec<A::Pb>) -> Self {
        (!p.is_empty()).then(|| p.into_iter().map(A::from_pb).collect())
    }
}

impl<A: Elem> Field<BTreeMap<String, A::Pb>> for BTreeMap<String, A> {
    fn to_pb(&self) -> BTreeMap<String, A::Pb> {
        self.iter().map(|(k, v)| (k.clone(), v.to_pb())).collect()
    }
    fn from_pb(p: BTreeMap<String, A::Pb>) -> Self {
        p.into_iter().map(|(k, v)| (k, A::from_pb(v))).collect()
    }
}

impl<A: Elem> Field<BTreeMap<String, A::Pb>> for Option<BTreeMap<String, A>> {
    fn to_pb(&self) -> BTreeMap<String, A::Pb> {
        self.as_ref().map(Field::to_pb).unwrap_or_default()
    }
    fn from_pb(p: BTreeMap<String, A::Pb>) -> Self {
        (!p.is_empty()).then(|| Field::from_pb(p))
    }
}

macro_rules! scalars {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            type Pb = $t;
            fn to_pb(&self) -> $t {
                self.clone()
            }
            fn from_pb(p: $t) -> Self {
                p
            }
        }
    )*};
}
scalars!(bool, i32, i64, f64);

impl Elem for String {
    type Pb = String;
    fn to_pb(&self) -> String {
        self.clone()
    }
    fn from_pb(p: String) -> Self {
        p
    }
    fn unset(p: &String) -> bool {
        p.is_empty()
    }
}

impl Elem for ByteString {
    type Pb = Vec<u8>;
    fn to_pb(&self) -> Vec<u8> {
        self.0.clone()
    }
    fn from_pb(p: Vec<u8>) -> Self {
        ByteString(p)
    }
}

/// `authentication/v1` UserInfo.extra values: a list of strings, wrapped in a message on the wire.
impl Elem for Vec<String> {
    type Pb = k8s_pb::api::authentication::v1::ExtraValue;
    fn to_pb(&self) -> Self::Pb {
        Self::Pb { items: self.clone() }
    }
    fn from_pb(p: Self::Pb) -> Self {
        p.items
    }
}

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) in Unix seconds: how some encoders write "no time".
const GO_ZERO_TIME: i64 = -62_135_596_800;

fn timestamp(seconds: Option<i64>, nanos: Option<i32>) -> jiff::Timestamp {
    let (s, n) = (seconds.unwrap_or_default(), nanos.unwrap_or_default());
    jiff::Timestamp::new(s, n).unwrap_or(if s < 0 { jiff::Timestamp::MIN } else { jiff::Timestamp::MAX })
}

fn no_time(seconds: Option<i64>, nanos: Option<i32>) -> bool {
    nanos.unwrap_or_default() == 0 && seconds.is_none_or(|s| s == GO_ZERO_TIME)
}

impl Elem for Time {
    type Pb = pb::apis::meta::v1::Time;
    fn to_pb(&self) -> Self::Pb {
        Self::Pb { seconds: Some(self.0.as_second()), nanos: Some(self.0.subsec_nanosecond()) }
    }
    fn from_pb(p: Self::Pb) -> Self {
        Time(timestamp(p.seconds, p.nanos))
    }
    fn unset(p: &Self::Pb) -> bool {
        no_time(p.seconds, p.nanos)
    }
}

impl Elem for MicroTime {
    type Pb = pb::apis::meta::v1::MicroTime;
    fn to_pb(&self) -> Self::Pb {
        Self::Pb { seconds: Some(self.0.as_second()), nanos: Some(self.0.subsec_nanosecond()) }
    }
    fn from_pb(p: Self::Pb) -> Self {
        MicroTime(timestamp(p.seconds, p.nanos))
    }
    fn unset(p: &Self::Pb) -> bool {
        no_time(p.seconds, p.nanos)
    }
}

impl Elem for Quantity {
    type Pb = pb::api::resource::Quantity;
    fn to_pb(&self) -> Self::Pb {
        Self::Pb { string: Some(self.0.clone()) }
    }
    fn from_pb(p: Self::Pb) -> Self {
        Quantity(p.string.unwrap_or_default())
    }
}

/// `type` 0 is an int, 1 a string (intstr.Type).
impl Elem for IntOrString {
    type Pb = pb::util::intstr::IntOrString;
    fn to_pb(&self) -> Self::Pb {
        match self {
            IntOrString::Int(i) => Self::Pb { r#type: Some(0), int_val: Some(*i), str_val: Some(String::new()) },
            IntOrString::String(s) => Self::Pb { r#type: Some(1), int_val: Some(0), str_val: Some(s.clone()) },
        }
    }
    fn from_pb(p: Self::Pb) -> Self {
        match p.r#type {
            Some(1) => IntOrString::String(p.str_val.unwrap_or_default()),
            _ => IntOrString::Int(p.int_val.unwrap_or_default()),
        }
    }
}

/// Raw JSON carried as bytes (RawExtension, FieldsV1). Bytes that are not JSON read as null.
fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn json_value(raw: Option<Vec<u8>>) -> serde_json::Value {
    raw.and_then(|r| serde_json::from_slice(&r).ok()).unwrap_or_default()
}

impl Elem for RawExtension {
    type Pb = pb::runtime::RawExtension;
    fn to_pb(&self) -> Self::Pb {
        Self::Pb { raw: Some(json_bytes(&self.0)) }
    }
    fn from_pb(p: Self::Pb) -> Self {
        RawExtension(json_value(p.raw))
    }
}

impl Elem for FieldsV1 {
    type Pb = pb::apis::meta::v1::FieldsV1;
    fn to_pb(&self) -> Self::Pb {
        Self::Pb { raw: Some(json_bytes(&self.0)) }
    }
    fn from_pb(p: Self::Pb) -> Self {
        FieldsV1(json_value(p.raw))
    }
}

/// One [`Elem`] impl per `mapping.rs` entry:
/// `(module) OpenapiType = PbType { openapi_field: pb_field, .. } inline { pb_field: pb::Path { .. } } [openapi-only]`.
/// `inline` lists Go structs embedded in JSON (their fields flattened) that protobuf nests as a message.
macro_rules! messages {
    ($(
        ($($m:ident)::+) $oa:ident = $pb:ident { $($f:ident: $pf:ident),* }
        inline { $($inl:ident: $($ipath:ident)::+ { $($if:ident: $ipf:ident),* })* }
        [$($only:ident),*];
    )*) => {$(
        impl Elem for k8s_openapi::$($m)::+::$oa {
            type Pb = k8s_pb::$($m)::+::$pb;
            #[allow(clippy::needless_update)]
            fn to_pb(&self) -> Self::Pb {
                Self::Pb {
                    $($pf: Field::to_pb(&self.$f),)*
                    $($inl: Some(k8s_pb::$($ipath)::+ { $($ipf: Field::to_pb(&self.$if),)* ..Default::default() }),)*
                    ..Default::default()
                }
            }
            fn from_pb(p: Self::Pb) -> Self {
                $(let $inl = p.$inl.unwrap_or_default();)*
                Self {
                    $($f: Field::from_pb(p.$pf),)*
                    $($($if: Field::from_pb($inl.$ipf),)*)*
                    $($only: Default::default(),)*
                }
            }
        }
    )*};
}

include!("mapping.rs");
