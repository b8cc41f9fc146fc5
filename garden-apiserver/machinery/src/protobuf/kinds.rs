//! The kinds this server speaks protobuf for: each a k8s-openapi type with its k8s-pb message.

use std::marker::PhantomData;
use std::sync::LazyLock;

use prost::Message;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::convert::Elem;
use k8s_openapi::api::{apps, authentication, authorization, autoscaling, coordination, core, networking, rbac};
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;

/// One kind's two representations.
pub trait ProtoKind: Send + Sync {
    /// `apps/v1`, `v1`, ...
    fn api_version(&self) -> &'static str;
    fn kind(&self) -> &'static str;
    /// The object's message bytes (no envelope) from its JSON.
    fn encode(&self, json: &[u8]) -> Result<Vec<u8>, String>;
    /// The same from an already parsed JSON value.
    fn encode_value(&self, json: &Value) -> Result<Vec<u8>, String>;
    /// The object's JSON (as kube writes it, with apiVersion and kind where the type has them) from its message.
    fn decode(&self, raw: &[u8]) -> Result<Value, String>;
}

struct Typed<T> {
    api_version: &'static str,
    kind: &'static str,
    _type: PhantomData<fn() -> T>,
}

impl<T> ProtoKind for Typed<T>
where
    T: Elem + DeserializeOwned + Serialize,
    T::Pb: Message,
{
    fn api_version(&self) -> &'static str {
        self.api_version
    }
    fn kind(&self) -> &'static str {
        self.kind
    }
    fn encode(&self, json: &[u8]) -> Result<Vec<u8>, String> {
        let typed: T =
            serde_json::from_slice(json).map_err(|e| format!("{} is not a valid {}: {e}", self.kind, self.kind))?;
        Ok(typed.to_pb().encode_to_vec())
    }
    fn encode_value(&self, json: &Value) -> Result<Vec<u8>, String> {
        let typed = T::deserialize(json).map_err(|e| format!("{} is not a valid {}: {e}", self.kind, self.kind))?;
        Ok(typed.to_pb().encode_to_vec())
    }
    fn decode(&self, raw: &[u8]) -> Result<Value, String> {
        let pb = T::Pb::decode(raw).map_err(|e| format!("invalid protobuf {}: {e}", self.kind))?;
        serde_json::to_value(T::from_pb(pb)).map_err(|e| format!("invalid {}: {e}", self.kind))
    }
}

fn typed<T>(api_version: &'static str, kind: &'static str) -> Box<dyn ProtoKind>
where
    T: Elem + DeserializeOwned + Serialize + 'static,
    T::Pb: Message,
{
    Box::new(Typed::<T> { api_version, kind, _type: PhantomData })
}

/// Every kind with a protobuf form (the roots of `hack/gen-protobuf-mapping.py`).
static KINDS: LazyLock<Vec<Box<dyn ProtoKind>>> = LazyLock::new(|| {
    macro_rules! resources {
        ($($t:ty),* $(,)?) => {
            vec![$(typed::<$t>(<$t as k8s_openapi::Resource>::API_VERSION, <$t as k8s_openapi::Resource>::KIND)),*]
        };
    }
    let mut kinds = resources![
        core::v1::Namespace,
        core::v1::ConfigMap,
        core::v1::Secret,
        core::v1::ServiceAccount,
        core::v1::Event,
        core::v1::Node,
        core::v1::Pod,
        core::v1::Service,
        core::v1::Endpoints,
        apps::v1::Deployment,
        apps::v1::StatefulSet,
        apps::v1::DaemonSet,
        apps::v1::ReplicaSet,
        rbac::v1::Role,
        rbac::v1::ClusterRole,
        rbac::v1::RoleBinding,
        rbac::v1::ClusterRoleBinding,
        coordination::v1::Lease,
        networking::v1::NetworkPolicy,
        authorization::v1::SelfSubjectAccessReview,
        authorization::v1::SelfSubjectRulesReview,
        authentication::v1::TokenRequest,
        authentication::v1::SelfSubjectReview,
        autoscaling::v1::Scale,
        meta::Status,
    ];
    // DeleteOptions is sent with the apiVersion of the group it is sent to, or meta.k8s.io/v1.
    kinds.push(typed::<meta::DeleteOptions>("meta.k8s.io/v1", "DeleteOptions"));
    kinds
});

/// The kind named by an envelope's TypeMeta. An empty apiVersion matches by kind alone.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static dyn ProtoKind> {
    KINDS
        .iter()
        .find(|k| k.kind() == kind && (api_version.is_empty() || k.api_version() == api_version))
        .map(|k| k.as_ref())
}

/// DeleteOptions (any group version: kube registers it in each).
pub fn delete_options() -> &'static dyn ProtoKind {
    KINDS.iter().find(|k| k.kind() == "DeleteOptions").map(|k| k.as_ref()).expect("DeleteOptions is in KINDS")
}

static LIST_META: LazyLock<Box<dyn ProtoKind>> =
    LazyLock::new(|| typed::<meta::ListMeta>("meta.k8s.io/v1", "ListMeta"));

/// ListMeta (the first field of every list message).
pub fn list_meta() -> &'static dyn ProtoKind {
    LIST_META.as_ref()
}
