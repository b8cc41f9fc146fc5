//! The core kube subset a standalone garden needs: v1 namespaces, secrets, configmaps, serviceaccounts, events;
//! RBAC; leases; SelfSubjectAccessReview. `shoot_types` adds what a shoot cluster's API server serves on top:
//! nodes, pods, services, endpoints, the apps/v1 workloads, NetworkPolicies, PodDisruptionBudgets and
//! PriorityClasses (stored objects only, no controllers).

use k8s_openapi::api::{
    apps::v1 as apps, authorization::v1 as authz, coordination::v1 as coord, core::v1 as core, rbac::v1 as rbac,
};
use serde_json::{json, Value};

use api_machinery::error::FieldError;
use api_machinery::registry::{str_at, Column, Plain, ResourceType, Strategy, TypedCodec};

use crate::validation;
use crate::validation::apps::Workload;

pub(crate) fn rt(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    codec: Box<dyn api_machinery::registry::Codec>,
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
        actions: &[],
        create_only: false,
        scale: None,
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
        rt(
            RBAC,
            "Role",
            "roles",
            true,
            &[],
            TypedCodec::<rbac::Role>::boxed(),
            Box::new(RoleStrategy { namespaced: true }),
        ),
        rt(
            RBAC,
            "ClusterRole",
            "clusterroles",
            false,
            &[],
            TypedCodec::<rbac::ClusterRole>::boxed(),
            Box::new(RoleStrategy { namespaced: false }),
        ),
        rt(
            RBAC,
            "RoleBinding",
            "rolebindings",
            true,
            &[],
            TypedCodec::<rbac::RoleBinding>::boxed(),
            Box::new(BindingStrategy { namespaced: true }),
        ),
        rt(
            RBAC,
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
            &[],
            TypedCodec::<rbac::ClusterRoleBinding>::boxed(),
            Box::new(BindingStrategy { namespaced: false }),
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
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        validation::core::namespace(obj)
    }
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
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        validation::core::secret(obj, old)
    }
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
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        validation::core::config_map(obj, old)
    }
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
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        validation::core::event(obj)
    }
    /// kube checks only the path-segment rule for Event names.
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        api_machinery::registry::validate_path_segment_name(name)
    }
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

/// Roles (`namespaced`) and ClusterRoles.
struct RoleStrategy {
    namespaced: bool,
}
impl Strategy for RoleStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        validation::rbac::role(obj, self.namespaced)
    }
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        api_machinery::registry::validate_path_segment_name(name)
    }
}

/// RoleBindings (`namespaced`) and ClusterRoleBindings.
struct BindingStrategy {
    namespaced: bool,
}
impl Strategy for BindingStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        validation::rbac::binding(obj, old, self.namespaced)
    }
    fn default(&self, obj: &mut Value) {
        validation::rbac::default_binding(obj);
    }
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        api_machinery::registry::validate_path_segment_name(name)
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
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        validation::coordination::lease(obj)
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Holder", "The holder of the lease")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![json!(str_at(obj, "/spec/holderIdentity").unwrap_or_default())]
    }
}

/// A shoot cluster's API: the garden's core subset plus nodes, pods, services, endpoints and apps/v1 workloads.
pub fn shoot_types() -> Vec<ResourceType> {
    const APPS: &str = "apps";
    const ALL: &[&str] = &["all"];
    let with = |mut t: ResourceType, subresources: &'static [&'static str], categories: &'static [&'static str]| {
        t.subresources = subresources;
        t.categories = categories;
        t
    };
    let mut types = self::types();
    types.extend([
        with(
            rt("", "Node", "nodes", false, &["no"], TypedCodec::<core::Node>::boxed(), Box::new(NodeStrategy)),
            &["status"],
            &[],
        ),
        with(
            rt("", "Pod", "pods", true, &["po"], TypedCodec::<core::Pod>::boxed(), Box::new(PodStrategy)),
            &["status"],
            ALL,
        ),
        with(
            rt(
                "",
                "Service",
                "services",
                true,
                &["svc"],
                TypedCodec::<core::Service>::boxed(),
                Box::new(ServiceStrategy),
            ),
            &["status"],
            ALL,
        ),
        rt(
            "",
            "Endpoints",
            "endpoints",
            true,
            &["ep"],
            TypedCodec::<core::Endpoints>::boxed(),
            Box::new(EndpointsStrategy),
        ),
        with(
            rt(
                APPS,
                "Deployment",
                "deployments",
                true,
                &["deploy"],
                TypedCodec::<apps::Deployment>::boxed(),
                Box::new(Workload::Deployment),
            ),
            &["status"],
            ALL,
        ),
        with(
            rt(
                APPS,
                "StatefulSet",
                "statefulsets",
                true,
                &["sts"],
                TypedCodec::<apps::StatefulSet>::boxed(),
                Box::new(Workload::StatefulSet),
            ),
            &["status"],
            ALL,
        ),
        with(
            rt(
                APPS,
                "DaemonSet",
                "daemonsets",
                true,
                &["ds"],
                TypedCodec::<apps::DaemonSet>::boxed(),
                Box::new(Workload::DaemonSet),
            ),
            &["status"],
            ALL,
        ),
        with(
            rt(
                APPS,
                "ReplicaSet",
                "replicasets",
                true,
                &["rs"],
                TypedCodec::<apps::ReplicaSet>::boxed(),
                Box::new(Workload::ReplicaSet),
            ),
            &["status"],
            ALL,
        ),
        rt(
            "networking.k8s.io",
            "NetworkPolicy",
            "networkpolicies",
            true,
            &["netpol"],
            TypedCodec::<k8s_openapi::api::networking::v1::NetworkPolicy>::boxed(),
            Box::new(NetworkPolicyStrategy),
        ),
        with(
            rt(
                "policy",
                "PodDisruptionBudget",
                "poddisruptionbudgets",
                true,
                &["pdb"],
                TypedCodec::<k8s_openapi::api::policy::v1::PodDisruptionBudget>::boxed(),
                Box::new(PodDisruptionBudgetStrategy),
            ),
            &["status"],
            &[],
        ),
        rt(
            "scheduling.k8s.io",
            "PriorityClass",
            "priorityclasses",
            false,
            &["pc"],
            TypedCodec::<k8s_openapi::api::scheduling::v1::PriorityClass>::boxed(),
            Box::new(PriorityClassStrategy),
        ),
    ]);
    types
}

struct NetworkPolicyStrategy;
impl Strategy for NetworkPolicyStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        validation::networking::network_policy(obj)
    }
}

/// kube's PodDisruptionBudget rules: minAvailable or maxUnavailable, not both.
struct PodDisruptionBudgetStrategy;
impl Strategy for PodDisruptionBudgetStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        let set = |p: &str| obj.pointer(p).is_some_and(|v| !v.is_null());
        if set("/spec/minAvailable") && set("/spec/maxUnavailable") {
            return vec![FieldError::invalid(
                "spec",
                obj.get("spec").unwrap_or(&Value::Null),
                "minAvailable and maxUnavailable cannot be both set",
            )];
        }
        Vec::new()
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Min Available", "minAvailable"), Column::new("Max Unavailable", "maxUnavailable")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let cell = |p: &str| {
            obj.pointer(p).filter(|v| !v.is_null()).map_or(json!("N/A"), |v| json!(v.to_string().trim_matches('"')))
        };
        vec![cell("/spec/minAvailable"), cell("/spec/maxUnavailable")]
    }
}

/// kube's PriorityClass rules: at most 1,000,000,000 and no `system-` name for user classes; value and
/// preemptionPolicy immutable.
struct PriorityClassStrategy;
impl Strategy for PriorityClassStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let name = str_at(obj, "/metadata/name").unwrap_or_default();
        if name.starts_with("system-") {
            errs.push(FieldError::invalid(
                "metadata.name",
                &json!(name),
                "priority class names with 'system-' prefix are reserved",
            ));
        }
        if int_at(obj, "/value") > 1_000_000_000 {
            errs.push(FieldError::forbidden("value", "maximum allowed value of a user defined priority is 1000000000"));
        }
        if let Some(old) = old {
            errs.extend(
                ["value", "preemptionPolicy"]
                    .into_iter()
                    .filter(|f| obj.get(*f) != old.get(*f))
                    .map(|f| FieldError::forbidden(f, "may not be changed in an update.")),
            );
        }
        errs
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Value", "value"), Column::new("Global-Default", "globalDefault")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let global = obj.get("globalDefault").and_then(Value::as_bool).unwrap_or(false);
        vec![json!(int_at(obj, "/value").to_string()), json!(global.to_string())]
    }
}

fn int_at(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn array_at<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Sets `obj[key]` when absent (or null); `obj` must be an object.
fn default_key(obj: &mut Value, key: &str, value: Value) {
    if let Some(o) = obj.as_object_mut() {
        let slot = o.entry(key).or_insert(Value::Null);
        if slot.is_null() {
            *slot = value;
        }
    }
}

/// kube's update strategy defaults, field by field (an empty `strategy: {}`, as kubectl sends it, is defaulted
/// too): type RollingUpdate, and for that type each unset `rollingUpdate` field from `rolling`.
fn default_strategy(spec: &mut Value, key: &str, rolling: Value) {
    let Some(strategy) = child(spec, key) else { return };
    default_key(strategy, "type", json!("RollingUpdate"));
    if strategy["type"] != "RollingUpdate" {
        return;
    }
    if let (Some(r), Value::Object(defaults)) = (child(strategy, "rollingUpdate"), rolling) {
        for (k, v) in defaults {
            default_key(r, &k, v);
        }
    }
}

/// The object at `obj[key]`, created when absent.
fn child<'a>(obj: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    default_key(obj, key, json!({}));
    obj.get_mut(key).filter(|v| v.is_object())
}

/// kube's pod spec defaults (SetDefaults_PodSpec and of its containers).
fn default_pod_spec(spec: &mut Value) {
    default_key(spec, "restartPolicy", json!("Always"));
    default_key(spec, "dnsPolicy", json!("ClusterFirst"));
    default_key(spec, "schedulerName", json!("default-scheduler"));
    default_key(spec, "terminationGracePeriodSeconds", json!(30));
    default_key(spec, "securityContext", json!({}));
    for list in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for c in cs {
                default_key(c, "terminationMessagePath", json!("/dev/termination-log"));
                default_key(c, "terminationMessagePolicy", json!("File"));
                let always = c.get("image").and_then(Value::as_str).is_some_and(|i| {
                    let tag = i.rsplit('/').next().unwrap_or(i);
                    !i.contains('@') && (!tag.contains(':') || tag.ends_with(":latest"))
                });
                default_key(c, "imagePullPolicy", json!(if always { "Always" } else { "IfNotPresent" }));
                if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports {
                        default_key(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

struct NodeStrategy;
impl Strategy for NodeStrategy {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Status", "The status of the node"),
            Column::new("Roles", "The roles of the node"),
            Column::new("Version", "Kubelet version"),
            Column::wide("Internal-IP", "Internal IP of the node"),
            Column::wide("External-IP", "External IP of the node"),
            Column::wide("OS-Image", "OS image reported by the node"),
            Column::wide("Kernel-Version", "Kernel version reported by the node"),
            Column::wide("Container-Runtime", "Container runtime reported by the node"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let ready = array_at(obj, "/status/conditions")
            .iter()
            .find(|c| str_at(c, "/type") == Some("Ready"))
            .and_then(|c| str_at(c, "/status"));
        let mut status = match ready {
            Some("True") => "Ready".to_string(),
            Some(_) => "NotReady".to_string(),
            None => "Unknown".to_string(),
        };
        if obj.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
            status.push_str(",SchedulingDisabled");
        }
        let mut roles: Vec<&str> = obj
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
                        Some(role) if !role.is_empty() => Some(role),
                        _ if k == "kubernetes.io/role" => v.as_str().filter(|r| !r.is_empty()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        roles.sort_unstable();
        roles.dedup();
        let roles = if roles.is_empty() { "<none>".to_string() } else { roles.join(",") };
        let address = |kind: &str| {
            array_at(obj, "/status/addresses")
                .iter()
                .find(|a| str_at(a, "/type") == Some(kind))
                .and_then(|a| str_at(a, "/address"))
                .unwrap_or("<none>")
                .to_string()
        };
        let info = |key: &str| str_at(obj, &format!("/status/nodeInfo/{key}")).unwrap_or("<unknown>").to_string();
        vec![
            json!(status),
            json!(roles),
            json!(str_at(obj, "/status/nodeInfo/kubeletVersion").unwrap_or_default()),
            json!(address("InternalIP")),
            json!(address("ExternalIP")),
            json!(info("osImage")),
            json!(info("kernelVersion")),
            json!(info("containerRuntimeVersion")),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "spec.unschedulable")
            .then(|| obj.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false).to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &["spec.unschedulable"]
    }
}

struct PodStrategy;
impl PodStrategy {
    /// kubectl's STATUS column: the phase, or the reason a container is waiting/terminated, or Terminating.
    fn status(obj: &Value) -> String {
        let mut reason =
            str_at(obj, "/status/reason").or(str_at(obj, "/status/phase")).unwrap_or("Pending").to_string();
        for c in array_at(obj, "/status/containerStatuses") {
            if let Some(r) = str_at(c, "/state/waiting/reason").filter(|r| !r.is_empty()) {
                reason = r.to_string();
            } else if let Some(r) = str_at(c, "/state/terminated/reason").filter(|r| !r.is_empty()) {
                reason = r.to_string();
            }
        }
        if obj.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
            reason = "Terminating".to_string();
        }
        reason
    }
}
impl Strategy for PodStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        validation::core::pod(obj, old)
    }
    fn default(&self, obj: &mut Value) {
        if let Some(spec) = child(obj, "spec") {
            default_pod_spec(spec);
        }
        if let Some(status) = child(obj, "status") {
            default_key(status, "phase", json!("Pending"));
        }
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Ready", "The aggregate readiness state of this pod for accepting traffic"),
            Column::new("Status", "The aggregate status of the containers in this pod"),
            Column::new("Restarts", "The number of times the containers in this pod have been restarted"),
            Column::wide("IP", "The IP address assigned to the pod"),
            Column::wide("Node", "The node the pod is assigned to"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let total = array_at(obj, "/spec/containers").len();
        let statuses = array_at(obj, "/status/containerStatuses");
        let ready = statuses.iter().filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true)).count();
        let restarts: i64 = statuses.iter().map(|c| int_at(c, "/restartCount")).sum();
        vec![
            json!(format!("{ready}/{total}")),
            json!(Self::status(obj)),
            json!(restarts),
            json!(str_at(obj, "/status/podIP").unwrap_or("<none>")),
            json!(str_at(obj, "/spec/nodeName").unwrap_or("<none>")),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        let pointer = match field {
            "spec.nodeName" => "/spec/nodeName",
            "spec.restartPolicy" => "/spec/restartPolicy",
            "spec.schedulerName" => "/spec/schedulerName",
            "spec.serviceAccountName" => "/spec/serviceAccountName",
            "status.phase" => "/status/phase",
            "status.podIP" => "/status/podIP",
            "status.nominatedNodeName" => "/status/nominatedNodeName",
            _ => return None,
        };
        Some(str_at(obj, pointer).unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ]
    }
}

struct ServiceStrategy;
impl Strategy for ServiceStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        validation::networking::service(obj, old)
    }
    fn default(&self, obj: &mut Value) {
        let Some(spec) = child(obj, "spec") else { return };
        default_key(spec, "type", json!("ClusterIP"));
        default_key(spec, "sessionAffinity", json!("None"));
        if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                default_key(p, "protocol", json!("TCP"));
                let port = p.get("port").cloned().unwrap_or(Value::Null);
                // 0 and "" are unset too (what a protobuf body carries for a targetPort not given).
                if p.get("targetPort").is_some_and(|t| *t == json!(0) || *t == json!("")) {
                    p["targetPort"] = port.clone();
                }
                default_key(p, "targetPort", port);
            }
        }
    }
    /// Service names are DNS-1035 labels (start with a letter).
    fn validate_name(&self, name: &str) -> Vec<FieldError> {
        if name.is_empty() {
            return vec![FieldError::required("metadata.name", "name or generateName is required")];
        }
        garden_api::names::is_dns1035_label(name)
            .iter()
            .map(|m| FieldError::invalid("metadata.name", &json!(name), m))
            .collect()
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Type", "The type of the service"),
            Column::new("Cluster-IP", "The cluster IP of the service"),
            Column::new("External-IP", "The external IPs of the service"),
            Column::new("Port(s)", "The ports of the service"),
            Column::wide("Selector", "The label selector of the service"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let ty = str_at(obj, "/spec/type").unwrap_or("ClusterIP");
        let mut external: Vec<String> =
            array_at(obj, "/spec/externalIPs").iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        for ingress in array_at(obj, "/status/loadBalancer/ingress") {
            if let Some(a) = str_at(ingress, "/ip").or(str_at(ingress, "/hostname")) {
                external.push(a.to_string());
            }
        }
        let external = match (ty, external.is_empty()) {
            ("ExternalName", _) => str_at(obj, "/spec/externalName").unwrap_or("<none>").to_string(),
            ("LoadBalancer", true) => "<pending>".to_string(),
            (_, true) => "<none>".to_string(),
            (_, false) => external.join(","),
        };
        let ports: Vec<String> = array_at(obj, "/spec/ports")
            .iter()
            .map(|p| {
                let proto = str_at(p, "/protocol").unwrap_or("TCP");
                match int_at(p, "/nodePort") {
                    0 => format!("{}/{proto}", int_at(p, "/port")),
                    np => format!("{}:{np}/{proto}", int_at(p, "/port")),
                }
            })
            .collect();
        let selector = obj
            .pointer("/spec/selector")
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
            .map(|m| {
                m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(",")
            })
            .unwrap_or_else(|| "<none>".to_string());
        vec![
            json!(ty),
            json!(str_at(obj, "/spec/clusterIP").filter(|s| !s.is_empty()).unwrap_or("<none>")),
            json!(external),
            json!(if ports.is_empty() { "<none>".to_string() } else { ports.join(",") }),
            json!(selector),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        let pointer = match field {
            "spec.clusterIP" => "/spec/clusterIP",
            "spec.type" => "/spec/type",
            _ => return None,
        };
        Some(str_at(obj, pointer).unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &["spec.clusterIP", "spec.type"]
    }
}

struct EndpointsStrategy;
impl Strategy for EndpointsStrategy {
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Endpoints", "The endpoints (address:port)")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        for subset in array_at(obj, "/subsets") {
            for a in array_at(subset, "/addresses") {
                let ip = str_at(a, "/ip").unwrap_or_default();
                let ports = array_at(subset, "/ports");
                if ports.is_empty() {
                    out.push(ip.to_string());
                }
                out.extend(ports.iter().map(|p| format!("{ip}:{}", int_at(p, "/port"))));
            }
        }
        let cell = match out.len() {
            0 => "<none>".to_string(),
            n if n > 3 => format!("{} + {} more...", out[..3].join(","), n - 3),
            _ => out.join(","),
        };
        vec![json!(cell)]
    }
}

/// apps/v1 workloads: defaulting, selector/template validation and kubectl's columns.
impl Strategy for Workload {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        validation::apps::workload(*self, obj, old)
    }
    fn default(&self, obj: &mut Value) {
        let kind = *self;
        let Some(spec) = child(obj, "spec") else { return };
        if kind != Workload::DaemonSet {
            default_key(spec, "replicas", json!(1));
        }
        match kind {
            Workload::Deployment => {
                default_strategy(spec, "strategy", json!({"maxUnavailable": "25%", "maxSurge": "25%"}));
                default_key(spec, "revisionHistoryLimit", json!(10));
                default_key(spec, "progressDeadlineSeconds", json!(600));
            }
            Workload::StatefulSet => {
                default_key(spec, "podManagementPolicy", json!("OrderedReady"));
                default_strategy(spec, "updateStrategy", json!({"partition": 0}));
                default_key(spec, "revisionHistoryLimit", json!(10));
            }
            Workload::DaemonSet => {
                default_strategy(spec, "updateStrategy", json!({"maxUnavailable": 1, "maxSurge": 0}));
                default_key(spec, "revisionHistoryLimit", json!(10));
            }
            Workload::ReplicaSet => {}
        }
        // A strategy given without a type is a rolling update (kube's defaults).
        let strategy_key = if kind == Workload::Deployment { "strategy" } else { "updateStrategy" };
        if let Some(strategy) = spec.get_mut(strategy_key).filter(|s| s.is_object()) {
            default_key(strategy, "type", json!("RollingUpdate"));
        }
        if let Some(pod_spec) = child(spec, "template").and_then(|t| child(t, "spec")) {
            default_pod_spec(pod_spec);
        }
    }
    fn columns(&self) -> Vec<Column> {
        let mut cols = match self {
            Workload::Deployment => vec![
                Column::new("Ready", "Number of the pod with ready state"),
                Column::new("Up-to-date", "Total number of non-terminated pods that have the desired template spec"),
                Column::new("Available", "Number of available pods (ready for at least minReadySeconds)"),
            ],
            Workload::StatefulSet => vec![Column::new("Ready", "Number of the pod with ready state")],
            Workload::DaemonSet => vec![
                Column::new("Desired", "The number of nodes that should be running the daemon pod"),
                Column::new("Current", "The number of nodes running at least one daemon pod"),
                Column::new("Ready", "The number of nodes with a ready daemon pod"),
                Column::new("Up-to-date", "The number of nodes running the updated daemon pod"),
                Column::new("Available", "The number of nodes with an available daemon pod"),
                Column::new("Node Selector", "The node selector of the daemon pod"),
            ],
            Workload::ReplicaSet => vec![
                Column::new("Desired", "Number of desired pods"),
                Column::new("Current", "Number of actually running pods"),
                Column::new("Ready", "Number of ready pods"),
            ],
        };
        cols.push(Column::wide("Containers", "Names of each container in the template"));
        cols.push(Column::wide("Images", "Images referenced by each container in the template"));
        cols
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let n = |p: &str| int_at(obj, p);
        let mut cells = match self {
            Workload::Deployment => vec![
                json!(format!("{}/{}", n("/status/readyReplicas"), n("/spec/replicas"))),
                json!(n("/status/updatedReplicas")),
                json!(n("/status/availableReplicas")),
            ],
            Workload::StatefulSet => vec![json!(format!("{}/{}", n("/status/readyReplicas"), n("/spec/replicas")))],
            Workload::DaemonSet => {
                let selector = obj
                    .pointer("/spec/template/spec/nodeSelector")
                    .and_then(Value::as_object)
                    .filter(|m| !m.is_empty())
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_else(|| "<none>".to_string());
                vec![
                    json!(n("/status/desiredNumberScheduled")),
                    json!(n("/status/currentNumberScheduled")),
                    json!(n("/status/numberReady")),
                    json!(n("/status/updatedNumberScheduled")),
                    json!(n("/status/numberAvailable")),
                    json!(selector),
                ]
            }
            Workload::ReplicaSet => {
                vec![json!(n("/spec/replicas")), json!(n("/status/replicas")), json!(n("/status/readyReplicas"))]
            }
        };
        let containers = array_at(obj, "/spec/template/spec/containers");
        let join = |key: &str| containers.iter().filter_map(|c| str_at(c, key)).collect::<Vec<_>>().join(",");
        cells.push(json!(join("/name")));
        cells.push(json!(join("/image")));
        cells
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use api_machinery::registry::Registry;

    #[test]
    fn shoot_registry_serves_core_kube_without_gardener_groups() {
        let shoot = Registry::new(shoot_types());
        for (g, p) in [("", "pods"), ("", "nodes"), ("", "services"), ("apps", "deployments"), ("", "namespaces")] {
            assert!(shoot.lookup(g, "v1", p).is_some(), "{g}/{p}");
        }
        assert!(shoot.groups().iter().all(|(g, _)| !g.ends_with("gardener.cloud")));
        let garden = Registry::new(types());
        assert!(garden.lookup("", "v1", "pods").is_none() && garden.lookup("apps", "v1", "deployments").is_none());
    }

    #[test]
    fn pod_and_workload_defaulting_validation_and_cells() {
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}});
        PodStrategy.default(&mut pod);
        assert_eq!(pod["status"]["phase"], "Pending");
        assert_eq!(pod["spec"]["containers"][0]["imagePullPolicy"], "Always");
        assert!(PodStrategy.validate(&pod, None).is_empty());
        assert_eq!(PodStrategy.cells(&pod)[..3], [json!("0/1"), json!("Pending"), json!(0)]);
        assert_eq!(PodStrategy.field(&pod, "spec.nodeName").as_deref(), Some("n1"));
        let mut moved = pod.clone();
        moved["spec"]["nodeName"] = json!("n2");
        assert_eq!(PodStrategy.validate(&moved, Some(&pod)).len(), 1);

        let mut svc = json!({"spec": {"ports": [{"port": 80}]}});
        ServiceStrategy.default(&mut svc);
        assert_eq!(svc["spec"]["type"], "ClusterIP");
        assert_eq!(ServiceStrategy.cells(&svc)[3], json!("80/TCP"));
        assert!(!ServiceStrategy.validate_name("1web").is_empty());

        let mut d = json!({"spec": {"selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        Workload::Deployment.default(&mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert!(Workload::Deployment.validate(&d, None).is_empty());
        assert_eq!(Workload::Deployment.cells(&d)[..3], [json!("0/1"), json!(0), json!(0)]);
        d["spec"]["template"]["metadata"]["labels"]["app"] = json!("b");
        assert_eq!(Workload::Deployment.validate(&d, None).len(), 1);
    }

    #[test]
    fn node_status_and_roles() {
        let node = json!({"metadata": {"labels": {"node-role.kubernetes.io/worker": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "False"}], "nodeInfo": {"kubeletVersion": "v1.33.0"}}});
        assert_eq!(
            NodeStrategy.cells(&node)[..3],
            [json!("NotReady,SchedulingDisabled"), json!("worker"), json!("v1.33.0")]
        );
        assert_eq!(NodeStrategy.field(&node, "spec.unschedulable").as_deref(), Some("true"));
    }
}
