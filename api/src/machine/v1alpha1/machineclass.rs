//! `MachineClass`: reusable provider configuration for Machines, MachineSets and MachineDeployments.
//! Unlike most kinds it has no `spec`: MCM keeps its fields at the top level.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::SecretReference;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::macros::impl_resource;

/// Provider configuration shared by the machines that name this class.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MachineClass {
    /// `machine.sapcloud.io/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `MachineClass`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Node resources and other node information needed to scale a node group from zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<NodeTemplate>,
    /// Optional separate credentials (then `secretRef` need not hold them), useful when several classes share
    /// credentials but differ in user data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<SecretReference>,
    /// Provider-specific configuration used when a node is created.
    #[serde(default)]
    pub provider_spec: serde_json::Value,
    /// Name and location of the cloud-specific driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Secret with the necessary secrets such as credentials or user data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretReference>,
}

impl_resource!(
    MachineClass,
    "machine.sapcloud.io",
    "v1alpha1",
    "MachineClass",
    super::MACHINE_CLASSES,
    k8s_openapi::NamespaceResourceScope
);

/// What a node of this class looks like, for scaling a node group from zero.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeTemplate {
    /// Node resources (cpu, memory, gpu, ...).
    #[serde(default)]
    pub capacity: BTreeMap<String, Quantity>,
    /// Expected virtual capacity of the node (virtual extended resources).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub virtual_capacity: BTreeMap<String, Quantity>,
    /// Instance type of the node.
    #[serde(default)]
    pub instance_type: String,
    /// Region of the node.
    #[serde(default)]
    pub region: String,
    /// Zone of the node.
    #[serde(default)]
    pub zone: String,
    /// CPU architecture of the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}
