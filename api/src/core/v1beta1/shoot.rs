//! The `Shoot` kind: a user's Kubernetes cluster.

use super::common::*;
use crate::macros::impl_resource;
use k8s_openapi::api::autoscaling::v1::CrossVersionObjectReference;
use k8s_openapi::api::core::v1::{ObjectReference, Taint};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Purpose `evaluation` (the default).
pub const PURPOSE_EVALUATION: &str = "evaluation";
/// Purpose `testing`.
pub const PURPOSE_TESTING: &str = "testing";
/// Purpose `development`.
pub const PURPOSE_DEVELOPMENT: &str = "development";
/// Purpose `production`.
pub const PURPOSE_PRODUCTION: &str = "production";
/// Purpose `infrastructure` (only in the garden namespace).
pub const PURPOSE_INFRASTRUCTURE: &str = "infrastructure";
/// CRI name `containerd`.
pub const CRI_CONTAINERD: &str = "containerd";
/// Architecture `amd64`.
pub const ARCH_AMD64: &str = "amd64";
/// Architecture `arm64`.
pub const ARCH_ARM64: &str = "arm64";
/// Valid machine architectures.
pub const VALID_ARCHITECTURES: &[&str] = &[ARCH_AMD64, ARCH_ARM64];

/// A Gardener-managed Kubernetes cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Shoot {
    /// `core.gardener.cloud/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// `Shoot`.
    #[serde(default)]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default)]
    pub spec: ShootSpec,
    /// Observed state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ShootStatus>,
}

impl_resource!(Shoot, "core.gardener.cloud", "v1beta1", "Shoot", super::SHOOTS, k8s_openapi::NamespaceResourceScope);

/// Desired state of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShootSpec {
    /// Addons (dashboard, nginx-ingress).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addons: Option<Addons>,
    /// Deprecated: use `cloudProfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_profile_name: Option<String>,
    /// DNS settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Dns>,
    /// Extensions to enable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// Hibernation settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hibernation: Option<Hibernation>,
    /// Kubernetes version and component configuration.
    #[serde(default)]
    pub kubernetes: Kubernetes,
    /// Networking settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networking: Option<Networking>,
    /// Maintenance settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<Maintenance>,
    /// Monitoring settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// Infrastructure provider settings and worker pools.
    #[serde(default)]
    pub provider: Provider,
    /// `evaluation`, `testing`, `development`, `production` or `infrastructure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Region of the cluster.
    #[serde(default)]
    pub region: String,
    /// Name of the SecretBinding with the infrastructure credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_binding_name: Option<String>,
    /// Seed hosting the control plane (set by the scheduler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_name: Option<String>,
    /// Restricts the seeds the scheduler may choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_selector: Option<SeedSelector>,
    /// Resources referenced by extensions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<NamedResourceReference>,
    /// Tolerations of seed taints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_key)]
    pub tolerations: Vec<Toleration>,
    /// ExposureClass for the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_class_name: Option<String>,
    /// System component settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_components: Option<SystemComponents>,
    /// Control plane settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<ControlPlane>,
    /// Scheduler responsible for this shoot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// Reference to a CloudProfile or NamespacedCloudProfile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_profile: Option<CloudProfileReference>,
    /// Name of the CredentialsBinding with the infrastructure credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_binding_name: Option<String>,
    /// Access restrictions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_restrictions: Vec<AccessRestrictionWithOptions>,
}

/// Addons of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Addons {
    /// Kubernetes dashboard addon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_dashboard: Option<KubernetesDashboard>,
    /// Nginx ingress addon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nginx_ingress: Option<NginxIngress>,
}

/// Kubernetes dashboard addon.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesDashboard {
    /// Whether the addon is enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Authentication mode (`token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_mode: Option<String>,
}

/// Nginx ingress addon.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NginxIngress {
    /// Whether the addon is enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Allowed source ranges of the load balancer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_source_ranges: Vec<String>,
    /// Nginx configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,
    /// `Cluster` or `Local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_traffic_policy: Option<String>,
}

/// Control plane settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlane {
    /// High-availability settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_availability: Option<HighAvailability>,
    /// Zones the control plane is pinned to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
}

/// DNS settings of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dns {
    /// External domain of the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// DNS providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<DnsProvider>,
}

/// A DNS provider of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnsProvider {
    /// Domain filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<DnsIncludeExclude>,
    /// Whether this is the primary provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// Deprecated: secret with provider credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// Provider type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Zone filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<DnsIncludeExclude>,
    /// Credentials reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_ref: Option<CrossVersionObjectReference>,
}

/// Include/exclude lists.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DnsIncludeExclude {
    /// Included entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Excluded entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// Hibernation settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hibernation {
    /// Whether the cluster is (to be) hibernated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Cron schedules for hibernation/wake-up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<HibernationSchedule>,
}

/// A hibernation schedule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HibernationSchedule {
    /// Cron spec for hibernation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Cron spec for wake-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// Kubernetes version and component settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Kubernetes {
    /// Cluster autoscaler settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_autoscaler: Option<serde_json::Value>,
    /// kube-apiserver settings.
    #[serde(rename = "kubeAPIServer", default, skip_serializing_if = "Option::is_none")]
    pub kube_api_server: Option<KubeApiServerConfig>,
    /// kube-controller-manager settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_controller_manager: Option<KubeControllerManagerConfig>,
    /// kube-scheduler settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_scheduler: Option<KubeSchedulerConfig>,
    /// kube-proxy settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_proxy: Option<KubeProxyConfig>,
    /// kubelet settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet: Option<KubeletConfig>,
    /// Kubernetes version (`1.33.2`, or `1.33` to be defaulted).
    #[serde(default)]
    pub version: String,
    /// VPA settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_pod_autoscaler: Option<serde_json::Value>,
    /// Removed in newer Gardener versions; accepted for compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_static_token_kubeconfig: Option<bool>,
    /// etcd settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etcd: Option<serde_json::Value>,
}

/// kube-apiserver settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeApiServerConfig {
    /// Feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// Admission plugins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub admission_plugins: Vec<AdmissionPlugin>,
    /// API audiences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_audiences: Vec<String>,
    /// Audit settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_config: Option<serde_json::Value>,
    /// Runtime config (API groups to enable/disable).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runtime_config: BTreeMap<String, bool>,
    /// Service account token settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_config: Option<serde_json::Value>,
    /// Watch cache sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch_cache_sizes: Option<serde_json::Value>,
    /// In-flight request limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<ApiServerRequests>,
    /// Anonymous authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_anonymous_authentication: Option<bool>,
    /// Event TTL (Go duration).
    #[serde(rename = "eventTTL", default, skip_serializing_if = "Option::is_none")]
    pub event_ttl: Option<String>,
    /// Logging settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<ApiServerLogging>,
    /// Default not-ready toleration seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_not_ready_toleration_seconds: Option<i64>,
    /// Default unreachable toleration seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_unreachable_toleration_seconds: Option<i64>,
    /// Encryption-at-rest settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_config: Option<serde_json::Value>,
    /// Structured authentication settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_authentication: Option<serde_json::Value>,
    /// Structured authorization settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_authorization: Option<serde_json::Value>,
    /// Autoscaling settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<serde_json::Value>,
    /// Minimum TLS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_min_version: Option<String>,
}

/// An admission plugin setting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionPlugin {
    /// Plugin name.
    #[serde(default)]
    pub name: String,
    /// Plugin configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    /// Disables the plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Secret with a kubeconfig for the plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig_secret_name: Option<String>,
}

/// In-flight request limits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerRequests {
    /// Max non-mutating requests in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_non_mutating_inflight: Option<i32>,
    /// Max mutating requests in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_mutating_inflight: Option<i32>,
}

/// kube-apiserver logging.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerLogging {
    /// Log verbosity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<i32>,
    /// HTTP access log verbosity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_access_verbosity: Option<i32>,
}

/// kube-controller-manager settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeControllerManagerConfig {
    /// Feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// HPA settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal_pod_autoscaler: Option<serde_json::Value>,
    /// Node CIDR mask size (IPv4).
    #[serde(rename = "nodeCIDRMaskSize", default, skip_serializing_if = "Option::is_none")]
    pub node_cidr_mask_size: Option<i32>,
    /// Pod eviction timeout (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_eviction_timeout: Option<String>,
    /// Node monitor grace period (Go duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_monitor_grace_period: Option<String>,
    /// Node CIDR mask size (IPv6).
    #[serde(rename = "nodeCIDRMaskSizeIPv6", default, skip_serializing_if = "Option::is_none")]
    pub node_cidr_mask_size_ipv6: Option<i32>,
}

/// kube-scheduler settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeSchedulerConfig {
    /// Feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// Deprecated max PD volumes.
    #[serde(rename = "kubeMaxPDVols", default, skip_serializing_if = "Option::is_none")]
    pub kube_max_pd_vols: Option<String>,
    /// `balanced` or `bin-packing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// kube-proxy settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeProxyConfig {
    /// Feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// `IPTables` or `IPVS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Whether kube-proxy is deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// kubelet settings (the most used fields typed; the rest as raw JSON values).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeletConfig {
    /// Feature gates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_gates: BTreeMap<String, bool>,
    /// CPU CFS quota enforcement.
    #[serde(rename = "cpuCFSQuota", default, skip_serializing_if = "Option::is_none")]
    pub cpu_cfs_quota: Option<bool>,
    /// CPU manager policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_manager_policy: Option<String>,
    /// Hard eviction thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_hard: Option<serde_json::Value>,
    /// Max pod grace period on soft eviction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_max_pod_grace_period: Option<i32>,
    /// Minimum reclaim on eviction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_minimum_reclaim: Option<serde_json::Value>,
    /// Eviction pressure transition period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_pressure_transition_period: Option<String>,
    /// Soft eviction thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_soft: Option<serde_json::Value>,
    /// Soft eviction grace periods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_soft_grace_period: Option<serde_json::Value>,
    /// Max pods per node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<i32>,
    /// PID limit per pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_pids_limit: Option<i64>,
    /// Fail if swap is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_swap_on: Option<bool>,
    /// Resources reserved for Kubernetes components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_reserved: Option<serde_json::Value>,
    /// Image GC high threshold (percent).
    #[serde(rename = "imageGCHighThresholdPercent", default, skip_serializing_if = "Option::is_none")]
    pub image_gc_high_threshold_percent: Option<i32>,
    /// Image GC low threshold (percent).
    #[serde(rename = "imageGCLowThresholdPercent", default, skip_serializing_if = "Option::is_none")]
    pub image_gc_low_threshold_percent: Option<i32>,
    /// Pull images one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialize_image_pulls: Option<bool>,
    /// Registry pull QPS.
    #[serde(rename = "registryPullQPS", default, skip_serializing_if = "Option::is_none")]
    pub registry_pull_qps: Option<i32>,
    /// Registry burst.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_burst: Option<i32>,
    /// Use the default seccomp profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp_default: Option<bool>,
    /// Max container log size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_size: Option<Quantity>,
    /// Max container log files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_files: Option<i32>,
    /// Protect kernel defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protect_kernel_defaults: Option<bool>,
    /// Streaming connection idle timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming_connection_idle_timeout: Option<String>,
    /// Memory swap settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_swap: Option<serde_json::Value>,
    /// Max parallel image pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_parallel_image_pulls: Option<i32>,
    /// Minimum image age before GC.
    #[serde(rename = "imageMinimumGCAge", default, skip_serializing_if = "Option::is_none")]
    pub image_minimum_gc_age: Option<String>,
    /// Maximum unused image age before GC.
    #[serde(rename = "imageMaximumGCAge", default, skip_serializing_if = "Option::is_none")]
    pub image_maximum_gc_age: Option<String>,
    /// Single-process OOM kill.
    #[serde(rename = "singleProcessOOMKill", default, skip_serializing_if = "Option::is_none")]
    pub single_process_oom_kill: Option<bool>,
}

/// Networking settings of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Networking {
    /// Network plugin type (e.g. `calico`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Network plugin configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Pod CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<String>,
    /// Node CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<String>,
    /// Service CIDR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<String>,
    /// `IPv4` and/or `IPv6`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_families: Vec<String>,
}

/// Maintenance settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Maintenance {
    /// Automatic version updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_update: Option<MaintenanceAutoUpdate>,
    /// Daily maintenance window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_window: Option<MaintenanceTimeWindow>,
    /// Only roll out spec changes in the maintenance window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confine_spec_update_rollout: Option<bool>,
    /// Automatic credentials rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_rotation: Option<serde_json::Value>,
}

/// Automatic version updates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceAutoUpdate {
    /// Update the Kubernetes patch version.
    #[serde(default)]
    pub kubernetes_version: bool,
    /// Update machine image versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_image_version: Option<bool>,
}

/// Maintenance time window, `HHMMSS+ZZZZ` format.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceTimeWindow {
    /// Begin, e.g. `220000+0100`.
    #[serde(default)]
    pub begin: String,
    /// End, e.g. `230000+0100`.
    #[serde(default)]
    pub end: String,
}

/// Monitoring settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Monitoring {
    /// Alerting settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerting: Option<Alerting>,
}

/// Alerting settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alerting {
    /// E-mail receivers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_receivers: Vec<String>,
}

/// Infrastructure provider settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    /// Provider type (e.g. `aws`, `local`).
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Provider control plane configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane_config: Option<serde_json::Value>,
    /// Provider infrastructure configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infrastructure_config: Option<serde_json::Value>,
    /// Worker pools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub workers: Vec<Worker>,
    /// Settings for all workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers_settings: Option<WorkersSettings>,
}

/// A worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Worker {
    /// Annotations for the nodes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// CA bundle to trust on the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
    /// Container runtime settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cri: Option<Cri>,
    /// Kubernetes settings of this pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<WorkerKubernetes>,
    /// Labels for the nodes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Pool name.
    #[serde(default)]
    pub name: String,
    /// Machine type and image.
    #[serde(default)]
    pub machine: Machine,
    /// Maximum node count.
    #[serde(default)]
    pub maximum: i32,
    /// Minimum node count.
    #[serde(default)]
    pub minimum: i32,
    /// Max surge during rolling updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
    /// Max unavailable during rolling updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// Provider-specific worker configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Taints for the nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    /// Root volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<Volume>,
    /// Additional data volumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_volumes: Vec<DataVolume>,
    /// Data volume used for kubelet state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet_data_volume_name: Option<String>,
    /// Availability zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Whether system components may run on this pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_components: Option<WorkerSystemComponents>,
    /// Machine controller manager settings.
    #[serde(rename = "machineControllerManager", default, skip_serializing_if = "Option::is_none")]
    pub machine_controller_manager_settings: Option<serde_json::Value>,
    /// Sysctls for the nodes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// Per-pool autoscaler options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_autoscaler: Option<serde_json::Value>,
    /// Scale-up priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// `AutoRollingUpdate`, `AutoInPlaceUpdate` or `ManualInPlaceUpdate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_strategy: Option<String>,
    /// Self-hosted control plane settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<serde_json::Value>,
}

/// Machine type and image of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    /// Machine type from the cloud profile.
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Machine image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ShootMachineImage>,
    /// CPU architecture (`amd64`, `arm64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

/// Machine image of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShootMachineImage {
    /// Image name.
    #[serde(default)]
    pub name: String,
    /// Image-specific configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
    /// Image version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Root volume of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Volume name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Volume type from the cloud profile.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Size, e.g. `50Gi`.
    #[serde(default)]
    pub size: String,
    /// Whether the volume is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
}

/// A data volume of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataVolume {
    /// Volume name.
    #[serde(default)]
    pub name: String,
    /// Volume type from the cloud profile.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Size, e.g. `50Gi`.
    #[serde(default)]
    pub size: String,
    /// Whether the volume is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
}

/// Container runtime interface settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cri {
    /// CRI name (`containerd`).
    #[serde(default)]
    pub name: String,
    /// Additional container runtimes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_runtimes: Vec<ContainerRuntime>,
}

/// An additional container runtime.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRuntime {
    /// Runtime type (e.g. `gvisor`).
    #[serde(rename = "type", default)]
    pub type_: String,
    /// Runtime configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
}

/// Kubernetes settings of a worker pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerKubernetes {
    /// kubelet settings of this pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet: Option<KubeletConfig>,
    /// Kubernetes version of this pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Whether system components may run on a pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerSystemComponents {
    /// Allow system components.
    #[serde(default)]
    pub allow: bool,
}

/// Settings for all worker pools.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkersSettings {
    /// SSH access to nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_access: Option<SshAccess>,
}

/// SSH access to nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SshAccess {
    /// Whether SSH access is enabled.
    #[serde(default)]
    pub enabled: bool,
}

/// System component settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemComponents {
    /// CoreDNS settings.
    #[serde(rename = "coreDNS", default, skip_serializing_if = "Option::is_none")]
    pub core_dns: Option<CoreDns>,
    /// NodeLocalDNS settings.
    #[serde(rename = "nodeLocalDNS", default, skip_serializing_if = "Option::is_none")]
    pub node_local_dns: Option<NodeLocalDns>,
}

/// CoreDNS settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoreDns {
    /// Autoscaling mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<CoreDnsAutoscaling>,
    /// Query rewriting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewriting: Option<CoreDnsRewriting>,
}

/// CoreDNS autoscaling.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoreDnsAutoscaling {
    /// `horizontal` or `cluster-proportional`.
    #[serde(default)]
    pub mode: String,
}

/// CoreDNS rewriting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoreDnsRewriting {
    /// Common suffixes to rewrite.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub common_suffixes: Vec<String>,
}

/// NodeLocalDNS settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeLocalDns {
    /// Whether NodeLocalDNS is enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Force TCP to the cluster DNS.
    #[serde(rename = "forceTCPToClusterDNS", default, skip_serializing_if = "Option::is_none")]
    pub force_tcp_to_cluster_dns: Option<bool>,
    /// Force TCP to upstream DNS.
    #[serde(rename = "forceTCPToUpstreamDNS", default, skip_serializing_if = "Option::is_none")]
    pub force_tcp_to_upstream_dns: Option<bool>,
    /// Do not forward to upstream DNS.
    #[serde(rename = "disableForwardToUpstreamDNS", default, skip_serializing_if = "Option::is_none")]
    pub disable_forward_to_upstream_dns: Option<bool>,
}

/// Observed state of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShootStatus {
    /// Health conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_type)]
    pub conditions: Vec<Condition>,
    /// Constraints (e.g. HibernationPossible).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_type)]
    pub constraints: Vec<Condition>,
    /// Gardener instance that last reconciled.
    #[serde(default)]
    pub gardener: Gardener,
    /// Whether the cluster is hibernated.
    #[serde(default)]
    pub hibernated: bool,
    /// Last operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<LastOperation>,
    /// Errors of the last operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_errors: Vec<LastError>,
    /// Most recent observed generation.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub observed_generation: i64,
    /// Start of the current retry cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_cycle_start_time: Option<Time>,
    /// Seed the shoot is (or was last) hosted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_name: Option<String>,
    /// Technical ID (`shoot--<project>--<name>`).
    #[serde(rename = "technicalID", default)]
    pub technical_id: String,
    /// Unique ID of the shoot.
    #[serde(default)]
    pub uid: String,
    /// Cluster identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_identity: Option<String>,
    /// Advertised API server addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(transform = crate::markers::list_map_by_name)]
    pub advertised_addresses: Vec<ShootAdvertisedAddress>,
    /// Start of a control plane migration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_start_time: Option<Time>,
    /// Credentials rotation and encryption status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<serde_json::Value>,
    /// Last time hibernation was triggered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_hibernation_trigger_time: Option<Time>,
    /// Last maintenance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_maintenance: Option<LastMaintenance>,
    /// Observed networking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networking: Option<NetworkingStatus>,
    /// In-place update status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_place_updates: Option<serde_json::Value>,
    /// Manual worker pool rollout status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_worker_pool_rollout: Option<serde_json::Value>,
    /// Live migration status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_migration: Option<serde_json::Value>,
}

pub(crate) fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

/// An advertised API server address.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShootAdvertisedAddress {
    /// Address name (`external`, `internal`, `service-account-issuer`).
    #[serde(default)]
    pub name: String,
    /// URL.
    #[serde(default)]
    pub url: String,
    /// Application served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
}

/// Last maintenance of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastMaintenance {
    /// What was done.
    #[serde(default)]
    pub description: String,
    /// When it was triggered.
    #[serde(default)]
    pub triggered_time: Option<Time>,
    /// Outcome state.
    #[serde(default)]
    pub state: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// Observed networking of a Shoot.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkingStatus {
    /// Pod CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<String>,
    /// Node CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// Service CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Egress CIDRs.
    #[serde(rename = "egressCIDRs", default, skip_serializing_if = "Vec::is_empty")]
    pub egress_cidrs: Vec<String>,
}

/// Audit policy reference (kept for typed access by controllers).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPolicy {
    /// ConfigMap with the audit policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_ref: Option<ObjectReference>,
}

impl Shoot {
    /// Effective cloud profile reference: `spec.cloudProfile`, else `spec.cloudProfileName` as a CloudProfile.
    pub fn cloud_profile_ref(&self) -> Option<CloudProfileReference> {
        if let Some(r) = &self.spec.cloud_profile {
            return Some(r.clone());
        }
        self.spec
            .cloud_profile_name
            .as_ref()
            .map(|n| CloudProfileReference { kind: "CloudProfile".into(), name: n.clone() })
    }
}
