//! The `Project` kind: a tenant with a namespace and members.

use super::common::*;
use crate::macros::impl_resource;
use k8s_openapi::api::rbac::v1::Subject;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Role `owner`.
pub const ROLE_OWNER: &str = "owner";
/// Role `admin`.
pub const ROLE_ADMIN: &str = "admin";
/// Role `viewer`.
pub const ROLE_VIEWER: &str = "viewer";
/// Role `uam` (user access manager).
pub const ROLE_UAM: &str = "uam";
/// Role `serviceaccountmanager`.
pub const ROLE_SERVICE_ACCOUNT_MANAGER: &str = "serviceaccountmanager";
/// Prefix of extension roles.
pub const ROLE_EXTENSION_PREFIX: &str = "extension:";
/// Built-in member roles.
pub const SUPPORTED_ROLES: &[&str] = &[ROLE_ADMIN, ROLE_OWNER, ROLE_SERVICE_ACCOUNT_MANAGER, ROLE_UAM, ROLE_VIEWER];

/// Phase `Pending`.
pub const PROJECT_PENDING: &str = "Pending";
/// Phase `Ready`.
pub const PROJECT_READY: &str = "Ready";
/// Phase `Terminating`.
pub const PROJECT_TERMINATING: &str = "Terminating";
/// Phase `Failed`.
pub const PROJECT_FAILED: &str = "Failed";

/// A tenant of the garden.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `Project`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: ProjectSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProjectStatus>,
}

impl_resource!(
    Project,
    "core.gardener.cloud",
    "v1beta1",
    "Project",
    super::PROJECTS,
    k8s_openapi::ClusterResourceScope
);

/// Desired state of a Project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSpec {
    /// Who created the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Subject>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Subject>,
    /// Purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<ProjectMember>,
    /// Project namespace (`garden-<name>` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Tolerations for shoots of this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<ProjectTolerations>,
    /// Resources requiring dual approval for deletion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dual_approval_for_deletion: Vec<DualApprovalForDeletion>,
}

/// A project member (rbac Subject is inlined).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectMember {
    /// API group of the subject (`rbac.authorization.k8s.io` for users/groups, empty for service accounts).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_group: String,
    /// `User`, `Group` or `ServiceAccount`.
    #[serde(default)]
    pub kind: String,
    /// Subject name.
    #[serde(default)]
    pub name: String,
    /// Namespace of a service account.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Primary role.
    #[serde(default)]
    pub role: String,
    /// Additional roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

impl ProjectMember {
    /// The member as an rbac Subject.
    pub fn subject(&self) -> Subject {
        Subject {
            api_group: (!self.api_group.is_empty()).then(|| self.api_group.clone()),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: (!self.namespace.is_empty()).then(|| self.namespace.clone()),
        }
    }

    /// All roles: `role` followed by `roles`.
    pub fn all_roles(&self) -> Vec<&str> {
        let mut out = Vec::new();
        if !self.role.is_empty() {
            out.push(self.role.as_str());
        }
        out.extend(self.roles.iter().map(String::as_str));
        out
    }
}

/// Tolerations of a Project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectTolerations {
    /// Added to every shoot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_key)]
    pub defaults: Vec<Toleration>,
    /// Allowed tolerations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_key)]
    pub whitelist: Vec<Toleration>,
}

/// Dual approval for deletion of selected resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DualApprovalForDeletion {
    /// Resource (e.g. `shoots`).
    #[serde(default)]
    pub resource: String,
    /// Selector of affected objects.
    #[serde(default)]
    pub selector: LabelSelector,
    /// Whether service accounts need approval too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_service_accounts: Option<bool>,
}

/// Observed state of a Project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectStatus {
    /// Most recent observed generation.
    #[serde(default, skip_serializing_if = "super::shoot::is_zero_i64")]
    pub observed_generation: i64,
    /// `Pending`, `Ready`, `Terminating` or `Failed`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
    /// Since when the project is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_since_timestamp: Option<Time>,
    /// When a stale project gets deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_auto_delete_timestamp: Option<Time>,
    /// Last activity in the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_timestamp: Option<Time>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_type)]
    pub conditions: Vec<Condition>,
}
