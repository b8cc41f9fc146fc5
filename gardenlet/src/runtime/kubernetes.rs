//! The `kubernetes` runtime: each shoot control plane runs as workloads in the seed cluster, in the
//! seed namespace `<technical_id>`, rendered here and applied through kube-rs.
//!
//! [`KubernetesRuntime::render`] is pure: it turns a [`ControlPlaneSpec`] into the manifests
//! (`serde_json::Value`s) of
//! - the Namespace (`gardener.cloud/role: shoot`);
//! - the Secrets of [`crate::shoot::secrets`] under the same names and keys (`ca`, `ca-client`,
//!   `ca-etcd`, `kube-apiserver`, `etcd-server-cert`, `etcd-client-tls`, `service-account-key`) and
//!   the kubeconfig Secrets `kube-controller-manager-kubeconfig` and `kube-scheduler-kubeconfig`
//!   (key `kubeconfig`; client certificates `system:kube-controller-manager` /
//!   `system:kube-scheduler` signed by the client CA, talking to `https://kube-apiserver:443`);
//! - etcd: StatefulSet `etcd-main` (1 replica, TLS for clients, a 10Gi volume claim template) and the
//!   headless Service `etcd-main-client` (2379 client, 2380 peer); with backups (the shoot's BackupEntry), the
//!   `etcd-backup` image in the same pod: an init container `restore` that prepares the data directory from the
//!   backups (nothing for a valid one, the latest full snapshot plus deltas for a missing or stale one) and the
//!   sidecar `backup-restore` taking full and delta snapshots from etcd's loopback listener, the Secret
//!   `etcd-backup` (`store.yaml` without secrets, the credentials as Gardener-style files), the Service
//!   `etcd-main-backup` (8080: `/status`, `/snapshot/full`) and NetworkPolicies letting the pod reach the store
//!   and the gardenlet reach the snapshotter;
//! - Deployments `kube-apiserver`, `kube-controller-manager`, `kube-scheduler` with upstream flags
//!   and the Secrets mounted as volumes (CA Secrets only with the keys a component needs);
//! - Service `kube-apiserver` (ClusterIP, 443);
//! - a PodDisruptionBudget per component (`maxUnavailable: 1`: an eviction waits for the component to be back
//!   before the next one) and Gardener's PriorityClasses on the pods (`gardener-system-500` etcd and
//!   kube-apiserver, `-300` kube-controller-manager, `-200` kube-scheduler), the PriorityClasses themselves
//!   applied (cluster-scoped, shared by every control plane of the seed, never deleted with one);
//! - NetworkPolicies: `deny-all` (ingress and egress) plus the allowed paths: DNS, kube-apiserver to
//!   etcd (2379), anyone to kube-apiserver (443), controller-manager and scheduler to kube-apiserver.
//!
//! Memory requests of etcd and its backup sidecar are sized from measurements (`hack/bench-shoots.sh`,
//! `hack/bench-backup.sh`; see the constants); the kube components' requests are starting points, not
//! measurements (the shoot API server measured here is not the kube-apiserver image this runtime runs).
//!
//! Every object but the Namespace carries `gardener.cloud/role: controlplane` and `app: <component>`.
//! Like Gardener there are no ownerReferences: deleting the namespace deletes the control plane.
//!
//! [`ControlPlaneRuntime::ensure`] applies the manifests with server-side apply (field manager
//! `gardenlet`, forced), falling back to get + create/replace where apply is refused. The kubeconfig
//! Secrets are signed once: an existing one is reused (like [`crate::shoot::secrets::ensure_secrets`]).
//! Readiness ([`ControlPlaneRuntime::probe`]) is `status.readyReplicas >= 1` of the kube-apiserver
//! Deployment and of the etcd StatefulSet. [`ControlPlaneRuntime::stop`] (hibernation) scales the
//! workloads to 0 and keeps the volume; [`ControlPlaneRuntime::destroy`] deletes the namespace.

use component_base::api::{delete_if_exists, is_status};
use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace, Secret, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::ByteString;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::Api;
use serde_json::{json, Value};
use tracing::{debug, info};

use super::{ControlPlaneRuntime, ControlPlaneSpec, ControlPlaneStatus};
use crate::error::Error;
use crate::shoot::secrets::{sign_client, CertPair, ControlPlaneSecrets, Roots, LEAF_VALIDITY_DAYS, MANAGED_BY_LABEL};

/// Field manager of server-side apply.
pub const FIELD_MANAGER: &str = "gardenlet";
/// Label key of the role of an object (`controlplane`; `shoot` on the namespace).
pub const ROLE_LABEL: &str = "gardener.cloud/role";
/// Name of the etcd StatefulSet (and of its volume claim template and etcd member).
pub const ETCD: &str = "etcd-main";
/// Name of etcd's headless client Service.
pub const ETCD_CLIENT_SERVICE: &str = "etcd-main-client";
/// Name of the kube-apiserver Deployment and Service.
pub const KUBE_APISERVER: &str = "kube-apiserver";
/// Name of the kube-controller-manager Deployment.
pub const KUBE_CONTROLLER_MANAGER: &str = "kube-controller-manager";
/// Name of the kube-scheduler Deployment.
pub const KUBE_SCHEDULER: &str = "kube-scheduler";
/// Deployments of a control plane (scaled to 0 by [`ControlPlaneRuntime::stop`]).
pub const DEPLOYMENTS: [&str; 3] = [KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER];
/// The Secret with the backup store's configuration and credential files (only with backups).
pub const ETCD_BACKUP_SECRET: &str = "etcd-backup";
/// The Service in front of the etcd pod's snapshotter (the gardenlet asks it for status and final snapshots).
pub const ETCD_BACKUP_SERVICE: &str = "etcd-main-backup";
/// Port of the snapshotter's HTTP endpoint.
pub const BACKUP_PORT: u16 = 8080;
/// The user (and group) the `etcd-backup` image runs as (`hack/images.sh`'s nonroot).
const BACKUP_USER: u32 = 65532;
/// Where the backup Secret is mounted (`store.yaml`, `credentials/<file>`).
const BACKUP_MOUNT: &str = "/var/etcd/backup";
/// etcd's plain client listener on the pod's loopback, for the snapshotter next to it.
const ETCD_LOCAL_CLIENT: &str = "http://127.0.0.1:2378";
/// Key of the kubeconfig in the component kubeconfig Secrets.
pub const KUBECONFIG_KEY: &str = "kubeconfig";
/// Size of etcd's volume.
pub const ETCD_STORAGE: &str = "10Gi";
/// etcd's memory request: twice the median RSS of a workerless shoot's etcd (29.2 MiB, `etcd_rss_mib` of
/// `hack/bench-shoots.sh` in docs/benchmarks.md), room for a shoot with nodes and workloads.
const ETCD_MEMORY_REQUEST: &str = "64Mi";
/// The backup sidecar's memory request: above its measured peak while taking a full snapshot of a 250 MiB
/// database (38.9 MiB, `snapshotter_peak_rss_mib` of `hack/bench-backup.sh`; 10.5 MiB idle, `snapshotter_rss_mib`).
const SNAPSHOTTER_MEMORY_REQUEST: &str = "48Mi";
/// Service CIDR of shoots (Gardener's default).
pub const SERVICE_CIDR: &str = "100.64.0.0/13";

const APP_LABEL: &str = "app";
const CONTROLPLANE: &str = "controlplane";
const KUBECONFIG_MOUNT: &str = "/var/run/secrets/gardener.cloud/kubeconfig";

/// Container images of the control-plane components. The kube-* fields are repositories: the tag
/// is `v<kubernetes_version>` of the shoot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    /// etcd image (with tag).
    pub etcd: String,
    /// kube-apiserver repository (without tag).
    pub kube_apiserver: String,
    /// kube-controller-manager repository (without tag).
    pub kube_controller_manager: String,
    /// kube-scheduler repository (without tag).
    pub kube_scheduler: String,
    /// The `etcd-backup` image (with tag; `hack/images.sh` builds it, with etcd and etcdctl for restores).
    pub etcd_backup: String,
}

impl Images {
    /// The defaults with the configuration's overrides.
    pub fn with_overrides(o: &crate::config::RuntimeImages) -> Self {
        let d = Self::default();
        let pick = |over: &Option<String>, default: String| over.clone().filter(|s| !s.is_empty()).unwrap_or(default);
        Self {
            etcd: pick(&o.etcd, d.etcd),
            kube_apiserver: pick(&o.kube_apiserver, d.kube_apiserver),
            kube_controller_manager: pick(&o.kube_controller_manager, d.kube_controller_manager),
            kube_scheduler: pick(&o.kube_scheduler, d.kube_scheduler),
            etcd_backup: pick(&o.etcd_backup, d.etcd_backup),
        }
    }
}

impl Default for Images {
    fn default() -> Self {
        Self {
            etcd: "registry.k8s.io/etcd:3.5.21-0".into(),
            kube_apiserver: "registry.k8s.io/kube-apiserver".into(),
            kube_controller_manager: "registry.k8s.io/kube-controller-manager".into(),
            kube_scheduler: "registry.k8s.io/kube-scheduler".into(),
            etcd_backup: format!("garden/etcd-backup:{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Client certificates of the components that talk to the shoot API server through a kubeconfig.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentCredentials {
    /// `system:kube-controller-manager`.
    pub controller_manager: CertPair,
    /// `system:kube-scheduler`.
    pub scheduler: CertPair,
}

impl ComponentCredentials {
    /// Signs new client certificates with the client CA of `secrets`.
    pub fn sign(secrets: &ControlPlaneSecrets) -> Result<Self, Error> {
        let ca = CertPair { cert: secrets.client_ca_cert.clone(), key: secrets.client_ca_key.clone() };
        Ok(Self {
            controller_manager: sign_client(&ca, "system:kube-controller-manager", &[], LEAF_VALIDITY_DAYS)?,
            scheduler: sign_client(&ca, "system:kube-scheduler", &[], LEAF_VALIDITY_DAYS)?,
        })
    }
}

/// Runs shoot control planes as workloads in a seed cluster. See the module docs.
pub struct KubernetesRuntime {
    client: kube::Client,
    images: Images,
}

/// Base64 of `s` (as Kubernetes serializes `data` of Secrets).
fn b64(s: &str) -> Value {
    serde_json::to_value(ByteString(s.as_bytes().to_vec())).unwrap_or(Value::Null)
}

/// Decodes base64 `v` to a UTF-8 string.
fn unb64(v: &Value) -> Option<String> {
    let bytes: ByteString = serde_json::from_value(v.clone()).ok()?;
    String::from_utf8(bytes.0).ok()
}

fn labels(app: &str) -> Value {
    json!({ ROLE_LABEL: CONTROLPLANE, APP_LABEL: app })
}

fn meta(name: &str, namespace: &str, app: &str) -> Value {
    json!({ "name": name, "namespace": namespace, "labels": labels(app) })
}

/// A kubeconfig (YAML) for `server` trusting `ca` with a client certificate.
pub fn kubeconfig_yaml(server: &str, ca: &str, client: &CertPair) -> String {
    kubeconfig_for_user(
        server,
        ca,
        json!({ "client-certificate-data": b64(&client.cert), "client-key-data": b64(&client.key) }),
    )
}

/// A kubeconfig (YAML) for `server` trusting `ca` with a bearer token.
pub fn token_kubeconfig_yaml(server: &str, ca: &str, token: &str) -> String {
    kubeconfig_for_user(server, ca, json!({ "token": token }))
}

fn kubeconfig_for_user(server: &str, ca: &str, user: Value) -> String {
    let kc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "default",
        "clusters": [{ "name": "default", "cluster": { "server": server, "certificate-authority-data": b64(ca) } }],
        "users": [{ "name": "default", "user": user }],
        "contexts": [{ "name": "default", "context": { "cluster": "default", "user": "default" } }],
    });
    serde_yaml::to_string(&kc).unwrap_or_default()
}

/// The server URL and CA certificate of a kubeconfig rendered here.
pub fn kubeconfig_cluster(yaml: &str) -> Option<(String, String)> {
    let kc: Value = serde_yaml::from_str(yaml).ok()?;
    let cluster = kc.pointer("/clusters/0/cluster")?;
    Some((cluster.get("server")?.as_str()?.to_string(), unb64(cluster.get("certificate-authority-data")?)?))
}

/// The client certificate and key of a kubeconfig rendered by [`kubeconfig_yaml`].
pub fn kubeconfig_client(yaml: &str) -> Option<CertPair> {
    let kc: Value = serde_yaml::from_str(yaml).ok()?;
    let user = kc.pointer("/users/0/user")?;
    Some(CertPair { cert: unb64(user.get("client-certificate-data")?)?, key: unb64(user.get("client-key-data")?)? })
}

fn secret(ns: &str, name: &str, type_: &str, data: &[(&str, &str)]) -> Value {
    let data: serde_json::Map<String, Value> = data.iter().map(|(k, v)| (k.to_string(), b64(v))).collect();
    let mut m = meta(name, ns, "kubernetes");
    m["labels"][MANAGED_BY_LABEL.0] = json!(MANAGED_BY_LABEL.1);
    json!({ "apiVersion": "v1", "kind": "Secret", "metadata": m, "type": type_, "data": data })
}

/// A Secret volume, restricted to `keys` when not empty.
fn secret_volume(volume: &str, secret: &str, keys: &[&str]) -> Value {
    let mut v = json!({ "name": volume, "secret": { "secretName": secret, "defaultMode": 0o400 } });
    if !keys.is_empty() {
        v["secret"]["items"] = keys.iter().map(|k| json!({ "key": k, "path": k })).collect();
    }
    v
}

fn mount(volume: &str, path: &str) -> Value {
    json!({ "name": volume, "mountPath": path, "readOnly": true })
}

/// Gardener's PriorityClasses of control-plane pods (name, value), highest first.
pub const PRIORITY_CLASSES: [(&str, i32); 3] =
    [("gardener-system-500", 999_998_500), ("gardener-system-300", 999_998_300), ("gardener-system-200", 999_998_200)];

/// The PriorityClass of a component's pods: what must run first when a seed node is short of room.
fn priority_class(app: &str) -> &'static str {
    match app {
        KUBE_CONTROLLER_MANAGER => PRIORITY_CLASSES[1].0,
        KUBE_SCHEDULER => PRIORITY_CLASSES[2].0,
        _ => PRIORITY_CLASSES[0].0,
    }
}

fn priority_classes() -> Vec<Value> {
    PRIORITY_CLASSES
        .iter()
        .map(|(name, value)| {
            json!({
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": { "name": name, "labels": { ROLE_LABEL: CONTROLPLANE } },
                "value": value,
                "globalDefault": false,
                "description": "Shoot control planes (applied by the gardenlet's kubernetes runtime).",
            })
        })
        .collect()
}

fn disruption_budget(ns: &str, name: &str, app: &str) -> Value {
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, ns, app),
        "spec": { "maxUnavailable": 1, "selector": { "matchLabels": labels(app) } },
    })
}

fn deployment(ns: &str, app: &str, mut pod_spec: Value) -> Value {
    pod_spec["priorityClassName"] = json!(priority_class(app));
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(app, ns, app),
        "spec": {
            "replicas": 1,
            "revisionHistoryLimit": 2,
            "selector": { "matchLabels": labels(app) },
            "template": { "metadata": { "labels": labels(app) }, "spec": pod_spec },
        },
    })
}

fn network_policy(ns: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, ns, "kubernetes"),
        "spec": spec,
    })
}

fn tag(version: &str) -> String {
    format!("v{}", version.trim_start_matches('v'))
}

/// URL of the shoot API server inside the seed.
pub fn api_server_url(technical_id: &str) -> String {
    format!("https://{KUBE_APISERVER}.{technical_id}.svc:443")
}

/// URL of etcd inside the seed.
pub fn etcd_url(technical_id: &str) -> String {
    format!("https://{ETCD_CLIENT_SERVICE}.{technical_id}.svc:2379")
}

fn kubeconfig_secret_name(component: &str) -> String {
    format!("{component}-kubeconfig")
}

/// The manifests of a control plane (see the module docs), in apply order.
pub fn render(spec: &ControlPlaneSpec, images: &Images, creds: &ComponentCredentials) -> Vec<Value> {
    let ns = spec.technical_id.as_str();
    let s = &spec.secrets;
    let version = tag(&spec.kubernetes_version);
    let mut out = vec![json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": ns, "labels": { ROLE_LABEL: "shoot" } },
    })];

    // Secrets (names and keys of shoot/secrets.rs).
    const OPAQUE: &str = "Opaque";
    const TLS: &str = "kubernetes.io/tls";
    out.extend([
        secret(ns, "ca", OPAQUE, &[("ca.crt", &s.ca_cert), ("ca.key", &s.ca_key)]),
        secret(ns, "ca-client", OPAQUE, &[("ca.crt", &s.client_ca_cert), ("ca.key", &s.client_ca_key)]),
        secret(ns, "ca-etcd", OPAQUE, &[("ca.crt", &s.etcd_ca_cert), ("ca.key", &s.etcd_ca_key)]),
        secret(ns, KUBE_APISERVER, TLS, &[("tls.crt", &s.server_cert), ("tls.key", &s.server_key)]),
        secret(ns, "etcd-server-cert", TLS, &[("tls.crt", &s.etcd_server_cert), ("tls.key", &s.etcd_server_key)]),
        secret(ns, "etcd-client-tls", TLS, &[("tls.crt", &s.etcd_client_cert), ("tls.key", &s.etcd_client_key)]),
        secret(ns, "service-account-key", OPAQUE, &[("id_rsa", &s.service_account_key)]),
    ]);
    let in_cluster = format!("https://{KUBE_APISERVER}:443");
    for (component, client) in
        [(KUBE_CONTROLLER_MANAGER, &creds.controller_manager), (KUBE_SCHEDULER, &creds.scheduler)]
    {
        let kc = kubeconfig_yaml(&in_cluster, &s.ca_cert, client);
        out.push(secret(ns, &kubeconfig_secret_name(component), OPAQUE, &[(KUBECONFIG_KEY, &kc)]));
    }

    // Services.
    out.push(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(ETCD_CLIENT_SERVICE, ns, "etcd"),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": true,
            "selector": labels("etcd"),
            "ports": [
                { "name": "client", "port": 2379, "targetPort": 2379, "protocol": "TCP" },
                { "name": "peer", "port": 2380, "targetPort": 2380, "protocol": "TCP" },
            ],
        },
    }));
    out.push(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(KUBE_APISERVER, ns, KUBE_APISERVER),
        "spec": {
            "type": "ClusterIP",
            "selector": labels(KUBE_APISERVER),
            "ports": [{ "name": "https", "port": 443, "targetPort": 443, "protocol": "TCP" }],
        },
    }));

    // NetworkPolicies: deny everything, then allow the control plane's paths.
    let app = |a: &str| json!({ "matchLabels": { APP_LABEL: a } });
    out.extend([
        network_policy(ns, "deny-all", json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] })),
        network_policy(
            ns,
            "allow-to-dns",
            json!({
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{
                    "to": [{
                        "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "kube-system" } },
                        "podSelector": { "matchLabels": { "k8s-app": "kube-dns" } },
                    }],
                    "ports": [{ "protocol": "UDP", "port": 53 }, { "protocol": "TCP", "port": 53 }],
                }],
            }),
        ),
        network_policy(
            ns,
            "allow-etcd",
            json!({
                "podSelector": app("etcd"),
                "policyTypes": ["Ingress"],
                "ingress": [{ "from": [{ "podSelector": app(KUBE_APISERVER) }], "ports": [{ "protocol": "TCP", "port": 2379 }] }],
            }),
        ),
        network_policy(
            ns,
            "allow-kube-apiserver-to-etcd",
            json!({
                "podSelector": app(KUBE_APISERVER),
                "policyTypes": ["Egress"],
                "egress": [{ "to": [{ "podSelector": app("etcd") }], "ports": [{ "protocol": "TCP", "port": 2379 }] }],
            }),
        ),
        network_policy(
            ns,
            "allow-kube-apiserver",
            json!({
                "podSelector": app(KUBE_APISERVER),
                "policyTypes": ["Ingress"],
                "ingress": [{ "ports": [{ "protocol": "TCP", "port": 443 }] }],
            }),
        ),
        network_policy(
            ns,
            "allow-to-kube-apiserver",
            json!({
                "podSelector": { "matchExpressions": [{
                    "key": APP_LABEL, "operator": "In", "values": [KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER],
                }] },
                "policyTypes": ["Egress"],
                "egress": [{ "to": [{ "podSelector": app(KUBE_APISERVER) }], "ports": [{ "protocol": "TCP", "port": 443 }] }],
            }),
        ),
    ]);

    // Backups: the store's Secret, the snapshotter's Service and the paths it needs.
    if let Some(backup) = &spec.backup {
        let credentials_dir = std::path::Path::new(BACKUP_MOUNT).join("credentials");
        let store = super::backup_sidecar::without_secrets(&backup.store, &credentials_dir);
        let store_yaml = serde_yaml::to_string(&store).unwrap_or_default();
        let files = super::backup_sidecar::credential_files(&backup.store);
        let mut data: Vec<(&str, &str)> = vec![("store.yaml", store_yaml.as_str())];
        data.extend(files.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
        out.push(secret(ns, ETCD_BACKUP_SECRET, OPAQUE, &data));
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(ETCD_BACKUP_SERVICE, ns, "etcd"),
            "spec": {
                "type": "ClusterIP",
                "selector": labels("etcd"),
                "ports": [{ "name": "backup", "port": BACKUP_PORT, "targetPort": BACKUP_PORT, "protocol": "TCP" }],
            },
        }));
        out.extend([
            // The store may be anywhere (a cloud's object storage, an S3-compatible endpoint).
            network_policy(
                ns,
                "allow-etcd-backup-to-store",
                json!({ "podSelector": app("etcd"), "policyTypes": ["Egress"], "egress": [{}] }),
            ),
            // The gardenlet (in the seed's garden namespace) asks the snapshotter for status and final snapshots.
            network_policy(
                ns,
                "allow-gardenlet-to-etcd-backup",
                json!({
                    "podSelector": app("etcd"),
                    "policyTypes": ["Ingress"],
                    "ingress": [{
                        "from": [{ "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "garden" } } }],
                        "ports": [{ "protocol": "TCP", "port": BACKUP_PORT }],
                    }],
                }),
            ),
        ]);
    }

    // etcd.
    let peer = "http://localhost:2380";
    out.push(json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(ETCD, ns, "etcd"),
        "spec": {
            "replicas": 1,
            "serviceName": ETCD_CLIENT_SERVICE,
            "selector": { "matchLabels": labels("etcd") },
            "template": {
                "metadata": { "labels": labels("etcd") },
                "spec": {
                    "priorityClassName": priority_class(ETCD),
                    "containers": [{
                        "name": "etcd",
                        "image": images.etcd,
                        "command": ["/usr/local/bin/etcd"],
                        "args": [
                            format!("--name={ETCD}"),
                            "--data-dir=/var/etcd/data/new.etcd".to_string(),
                            if spec.backup.is_some() {
                                format!("--listen-client-urls=https://0.0.0.0:2379,{ETCD_LOCAL_CLIENT}")
                            } else {
                                "--listen-client-urls=https://0.0.0.0:2379".to_string()
                            },
                            format!("--advertise-client-urls={}", etcd_url(ns)),
                            format!("--listen-peer-urls={peer}"),
                            format!("--initial-advertise-peer-urls={peer}"),
                            format!("--initial-cluster={ETCD}={peer}"),
                            "--initial-cluster-state=new".to_string(),
                            "--cert-file=/var/etcd/ssl/server/tls.crt".to_string(),
                            "--key-file=/var/etcd/ssl/server/tls.key".to_string(),
                            "--trusted-ca-file=/var/etcd/ssl/ca/ca.crt".to_string(),
                            "--client-cert-auth=true".to_string(),
                            "--auto-compaction-mode=periodic".to_string(),
                            "--auto-compaction-retention=30m".to_string(),
                            "--quota-backend-bytes=8589934592".to_string(),
                        ],
                        "ports": [
                            { "name": "client", "containerPort": 2379, "protocol": "TCP" },
                            { "name": "peer", "containerPort": 2380, "protocol": "TCP" },
                        ],
                        "readinessProbe": { "tcpSocket": { "port": 2379 }, "periodSeconds": 5 },
                        "resources": { "requests": { "cpu": "100m", "memory": ETCD_MEMORY_REQUEST } },
                        "volumeMounts": [
                            { "name": ETCD, "mountPath": "/var/etcd/data" },
                            mount("ca", "/var/etcd/ssl/ca"),
                            mount("server", "/var/etcd/ssl/server"),
                        ],
                    }],
                    "volumes": [
                        secret_volume("ca", "ca-etcd", &["ca.crt"]),
                        secret_volume("server", "etcd-server-cert", &[]),
                    ],
                },
            },
            "volumeClaimTemplates": [{
                "metadata": { "name": ETCD },
                "spec": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": ETCD_STORAGE } } },
            }],
        },
    }));
    if let (Some(backup), Some(etcd)) = (&spec.backup, out.last_mut()) {
        add_backup_containers(&mut etcd["spec"]["template"]["spec"], &images.etcd_backup, backup, peer);
    }

    // kube-apiserver.
    let sa_key = "/srv/kubernetes/service-account-key/id_rsa";
    out.push(deployment(
        ns,
        KUBE_APISERVER,
        json!({
            "containers": [{
                "name": KUBE_APISERVER,
                "image": format!("{}:{version}", images.kube_apiserver),
                "command": ["/usr/local/bin/kube-apiserver"],
                "args": [
                    format!("--etcd-servers=https://{ETCD_CLIENT_SERVICE}:2379"),
                    "--etcd-cafile=/srv/kubernetes/etcd/ca/ca.crt".to_string(),
                    "--etcd-certfile=/srv/kubernetes/etcd/client/tls.crt".to_string(),
                    "--etcd-keyfile=/srv/kubernetes/etcd/client/tls.key".to_string(),
                    "--client-ca-file=/srv/kubernetes/ca-client/ca.crt".to_string(),
                    "--tls-cert-file=/srv/kubernetes/tls/tls.crt".to_string(),
                    "--tls-private-key-file=/srv/kubernetes/tls/tls.key".to_string(),
                    format!("--service-account-key-file={sa_key}"),
                    format!("--service-account-signing-key-file={sa_key}"),
                    format!("--service-account-issuer={}", api_server_url(ns)),
                    "--authorization-mode=Node,RBAC".to_string(),
                    "--enable-admission-plugins=NodeRestriction".to_string(),
                    "--allow-privileged=true".to_string(),
                    format!("--service-cluster-ip-range={SERVICE_CIDR}"),
                    "--secure-port=443".to_string(),
                    "--profiling=false".to_string(),
                ],
                "ports": [{ "name": "https", "containerPort": 443, "protocol": "TCP" }],
                "readinessProbe": { "httpGet": { "path": "/readyz", "port": 443, "scheme": "HTTPS" }, "periodSeconds": 5 },
                "livenessProbe": { "httpGet": { "path": "/livez", "port": 443, "scheme": "HTTPS" }, "initialDelaySeconds": 15, "periodSeconds": 10 },
                "resources": { "requests": { "cpu": "200m", "memory": "300Mi" } },
                "volumeMounts": [
                    mount("ca-client", "/srv/kubernetes/ca-client"),
                    mount("tls", "/srv/kubernetes/tls"),
                    mount("etcd-ca", "/srv/kubernetes/etcd/ca"),
                    mount("etcd-client", "/srv/kubernetes/etcd/client"),
                    mount("service-account-key", "/srv/kubernetes/service-account-key"),
                ],
            }],
            "volumes": [
                secret_volume("ca-client", "ca-client", &["ca.crt"]),
                secret_volume("tls", KUBE_APISERVER, &[]),
                secret_volume("etcd-ca", "ca-etcd", &["ca.crt"]),
                secret_volume("etcd-client", "etcd-client-tls", &[]),
                secret_volume("service-account-key", "service-account-key", &[]),
            ],
        }),
    ));

    // kube-controller-manager and kube-scheduler talk to kube-apiserver through their kubeconfigs.
    let kubeconfig_flags = || {
        let path = format!("{KUBECONFIG_MOUNT}/{KUBECONFIG_KEY}");
        vec![
            format!("--kubeconfig={path}"),
            format!("--authentication-kubeconfig={path}"),
            format!("--authorization-kubeconfig={path}"),
            "--leader-elect=true".to_string(),
        ]
    };
    let mut kcm_args = kubeconfig_flags();
    kcm_args.extend([
        format!("--cluster-name={ns}"),
        "--root-ca-file=/srv/kubernetes/ca/ca.crt".to_string(),
        format!("--service-account-private-key-file={sa_key}"),
        "--cluster-signing-cert-file=/srv/kubernetes/ca-client/ca.crt".to_string(),
        "--cluster-signing-key-file=/srv/kubernetes/ca-client/ca.key".to_string(),
        "--use-service-account-credentials=true".to_string(),
        "--controllers=*,bootstrapsigner,tokencleaner".to_string(),
        format!("--service-cluster-ip-range={SERVICE_CIDR}"),
        "--secure-port=10257".to_string(),
    ]);
    out.push(deployment(
        ns,
        KUBE_CONTROLLER_MANAGER,
        json!({
            "containers": [{
                "name": KUBE_CONTROLLER_MANAGER,
                "image": format!("{}:{version}", images.kube_controller_manager),
                "command": ["/usr/local/bin/kube-controller-manager"],
                "args": kcm_args,
                "ports": [{ "name": "metrics", "containerPort": 10257, "protocol": "TCP" }],
                "resources": { "requests": { "cpu": "100m", "memory": "128Mi" } },
                "volumeMounts": [
                    mount("kubeconfig", KUBECONFIG_MOUNT),
                    mount("ca", "/srv/kubernetes/ca"),
                    mount("ca-client", "/srv/kubernetes/ca-client"),
                    mount("service-account-key", "/srv/kubernetes/service-account-key"),
                ],
            }],
            "volumes": [
                secret_volume("kubeconfig", &kubeconfig_secret_name(KUBE_CONTROLLER_MANAGER), &[]),
                secret_volume("ca", "ca", &["ca.crt"]),
                secret_volume("ca-client", "ca-client", &[]),
                secret_volume("service-account-key", "service-account-key", &[]),
            ],
        }),
    ));
    let mut sched_args = kubeconfig_flags();
    sched_args.push("--secure-port=10259".to_string());
    out.push(deployment(
        ns,
        KUBE_SCHEDULER,
        json!({
            "containers": [{
                "name": KUBE_SCHEDULER,
                "image": format!("{}:{version}", images.kube_scheduler),
                "command": ["/usr/local/bin/kube-scheduler"],
                "args": sched_args,
                "ports": [{ "name": "metrics", "containerPort": 10259, "protocol": "TCP" }],
                "resources": { "requests": { "cpu": "50m", "memory": "64Mi" } },
                "volumeMounts": [mount("kubeconfig", KUBECONFIG_MOUNT)],
            }],
            "volumes": [secret_volume("kubeconfig", &kubeconfig_secret_name(KUBE_SCHEDULER), &[])],
        }),
    ));
    out.push(disruption_budget(ns, ETCD, "etcd"));
    for app in DEPLOYMENTS {
        out.push(disruption_budget(ns, app, app));
    }
    // Right after the Namespace: a pod naming a class that does not exist yet would be refused.
    out.splice(1..1, priority_classes());
    annotate_secret_checksums(&mut out);
    out
}

/// Adds the `etcd-backup` containers to etcd's pod spec: the init container `restore` (the data directory from the
/// backups when it is missing, invalid or older than them) and the sidecar `backup-restore` (snapshots, and the
/// HTTP endpoint behind the Service `etcd-main-backup`), both with the backup Secret mounted.
fn add_backup_containers(pod: &mut Value, image: &str, backup: &super::EtcdBackupSpec, peer: &str) {
    let store = format!("--store-config={BACKUP_MOUNT}/store.yaml");
    let mounts = json!([
        { "name": ETCD, "mountPath": "/var/etcd/data" },
        { "name": "backup", "mountPath": BACKUP_MOUNT, "readOnly": true },
    ]);
    let restore = json!({
        "name": "restore",
        "image": image,
        "command": ["/usr/local/bin/etcd-backup"],
        "args": [
            "restore",
            store,
            "--data-dir=/var/etcd/data/new.etcd",
            format!("--name={ETCD}"),
            format!("--initial-advertise-peer-urls={peer}"),
            "--etcd-bin=/usr/local/bin/etcd",
            "--etcdctl-bin=/usr/local/bin/etcdctl",
            "--temp-dir=/var/etcd/data/restore",
        ],
        "resources": { "requests": { "cpu": "50m", "memory": "64Mi" } },
        "volumeMounts": mounts.clone(),
    });
    let sidecar = json!({
        "name": "backup-restore",
        "image": image,
        "command": ["/usr/local/bin/etcd-backup"],
        "args": [
            "snapshot",
            format!("--endpoints={ETCD_LOCAL_CLIENT}"),
            store,
            format!("--full-snapshot-schedule={}", backup.full_snapshot_schedule),
            format!("--delta-snapshot-period={}s", backup.delta_snapshot_period.as_secs().max(1)),
            format!("--listen=0.0.0.0:{BACKUP_PORT}"),
        ],
        "ports": [{ "name": "backup", "containerPort": BACKUP_PORT, "protocol": "TCP" }],
        "readinessProbe": { "httpGet": { "path": "/healthz", "port": BACKUP_PORT }, "periodSeconds": 10 },
        "resources": { "requests": { "cpu": "50m", "memory": SNAPSHOTTER_MEMORY_REQUEST } },
        "volumeMounts": mounts,
    });
    pod["initContainers"] = json!([restore]);
    if let Some(containers) = pod["containers"].as_array_mut() {
        containers.push(sidecar);
    }
    let mut items = vec![json!({ "key": "store.yaml", "path": "store.yaml" })];
    for (file, value) in super::backup_sidecar::credential_files(&backup.store) {
        if value.is_some() {
            items.push(json!({ "key": file, "path": format!("credentials/{file}") }));
        }
    }
    if let Some(volumes) = pod["volumes"].as_array_mut() {
        volumes.push(json!({
            "name": "backup",
            "secret": { "secretName": ETCD_BACKUP_SECRET, "defaultMode": 0o440, "items": items },
        }));
    }
    // The etcd-backup image runs as its nonroot user: the Secret's files and etcd's volume belong to its group.
    pod["securityContext"]["fsGroup"] = json!(BACKUP_USER);
}

/// The pod template annotation that carries [`annotate_secret_checksums`]'s fingerprint.
const SECRETS_CHECKSUM: &str = "checksum/secrets";

/// Gives every pod template a fingerprint (SHA-256) of the rendered Secrets its volumes mount, so that new
/// certificates or kubeconfigs roll the workload out (its processes read them only at start).
fn annotate_secret_checksums(objs: &mut [Value]) {
    use sha2::{Digest, Sha256};
    let secrets: std::collections::BTreeMap<String, String> = objs
        .iter()
        .filter(|o| o["kind"] == "Secret")
        .filter_map(|o| Some((o["metadata"]["name"].as_str()?.to_string(), o["data"].to_string())))
        .collect();
    for obj in objs.iter_mut().filter(|o| matches!(o["kind"].as_str(), Some("Deployment" | "StatefulSet"))) {
        let template = &mut obj["spec"]["template"];
        let mut names: Vec<&str> = template["spec"]["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["secret"]["secretName"].as_str())
            .collect();
        names.sort();
        let mut h = Sha256::new();
        for name in names {
            h.update(name.as_bytes());
            h.update(secrets.get(name).map(String::as_str).unwrap_or_default().as_bytes());
        }
        let sum: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        template["metadata"]["annotations"][SECRETS_CHECKSUM] = Value::String(sum);
    }
}

/// The in-cluster name of a control plane's snapshotter Service.
fn backup_service_host(technical_id: &str) -> String {
    format!("{ETCD_BACKUP_SERVICE}.{technical_id}.svc")
}

/// The API resource of a rendered object and whether it is namespaced.
fn api_resource(obj: &Value) -> Option<(ApiResource, bool)> {
    Some(match obj.get("kind")?.as_str()? {
        "Namespace" => (ApiResource::erase::<Namespace>(&()), false),
        "Secret" => (ApiResource::erase::<Secret>(&()), true),
        "Service" => (ApiResource::erase::<Service>(&()), true),
        "Deployment" => (ApiResource::erase::<Deployment>(&()), true),
        "StatefulSet" => (ApiResource::erase::<StatefulSet>(&()), true),
        "NetworkPolicy" => (ApiResource::erase::<NetworkPolicy>(&()), true),
        "PodDisruptionBudget" => (ApiResource::erase::<PodDisruptionBudget>(&()), true),
        "PriorityClass" => (ApiResource::erase::<PriorityClass>(&()), false),
        _ => return None,
    })
}

impl KubernetesRuntime {
    /// A runtime applying control planes into the seed cluster of `client`.
    pub fn new(client: kube::Client, images: Images) -> Self {
        Self { client, images }
    }

    fn runtime_err(technical_id: &str, what: &str, e: impl std::fmt::Display) -> Error {
        Error::Runtime { technical_id: technical_id.to_string(), reason: format!("failed to {what}: {e}") }
    }

    /// The client certificate of the existing kubeconfig Secret of `component`, if readable.
    async fn existing_client(&self, technical_id: &str, component: &str) -> Result<Option<CertPair>, Error> {
        let name = kubeconfig_secret_name(component);
        let api: Api<Secret> = Api::namespaced(self.client.clone(), technical_id);
        let existing =
            api.get_opt(&name).await.map_err(|e| Self::runtime_err(technical_id, &format!("read secret {name}"), e))?;
        Ok(existing
            .and_then(|s| s.data)
            .and_then(|d| d.get(KUBECONFIG_KEY).cloned())
            .and_then(|b| String::from_utf8(b.0).ok())
            .and_then(|y| kubeconfig_client(&y)))
    }

    /// The CAs and service-account key of the Secrets applied into the seed cluster (None unless all are there
    /// and readable). With a seed cluster of its own these survive a deletion in the garden-side seed namespace;
    /// where the seed cluster is the garden itself they are the same Secrets.
    async fn kept_roots_impl(&self, technical_id: String) -> Result<Option<Roots>, Error> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &technical_id);
        // The values of `keys` in Secret `name`; None when it or one of them is missing or not UTF-8.
        let read = |name: &'static str, keys: &'static [&'static str]| {
            let api = api.clone();
            let technical_id = technical_id.clone();
            async move {
                let secret = api
                    .get_opt(name)
                    .await
                    .map_err(|e| Self::runtime_err(&technical_id, &format!("read secret {name}"), e))?;
                let data = secret.and_then(|s| s.data).unwrap_or_default();
                Ok::<_, Error>(
                    keys.iter()
                        .map(|k| data.get(*k).and_then(|v| String::from_utf8(v.0.clone()).ok()))
                        .collect::<Option<Vec<String>>>(),
                )
            }
        };
        let ca_pair = |values: Option<Vec<String>>| {
            values.map(|mut v| {
                let key = v.pop().unwrap_or_default();
                CertPair { cert: v.pop().unwrap_or_default(), key }
            })
        };
        const CA_KEYS: &[&str] = &["ca.crt", "ca.key"];
        let Some(ca) = ca_pair(read("ca", CA_KEYS).await?) else { return Ok(None) };
        let Some(client_ca) = ca_pair(read("ca-client", CA_KEYS).await?) else { return Ok(None) };
        let Some(etcd_ca) = ca_pair(read("ca-etcd", CA_KEYS).await?) else { return Ok(None) };
        let Some(mut sa) = read("service-account-key", &["id_rsa"]).await? else { return Ok(None) };
        Ok(Some(Roots { ca, client_ca, etcd_ca, service_account_key: sa.pop().unwrap_or_default() }))
    }

    /// The credentials in the existing kubeconfig Secrets, new ones where missing or unreadable.
    async fn credentials(&self, spec: &ControlPlaneSpec) -> Result<ComponentCredentials, Error> {
        let id = &spec.technical_id;
        let kcm = self.existing_client(id, KUBE_CONTROLLER_MANAGER).await?;
        let sched = self.existing_client(id, KUBE_SCHEDULER).await?;
        Ok(match (kcm, sched) {
            (Some(controller_manager), Some(scheduler)) => ComponentCredentials { controller_manager, scheduler },
            (kcm, sched) => {
                let fresh = ComponentCredentials::sign(&spec.secrets)?;
                ComponentCredentials {
                    controller_manager: kcm.unwrap_or(fresh.controller_manager),
                    scheduler: sched.unwrap_or(fresh.scheduler),
                }
            }
        })
    }

    /// Applies `obj` with server-side apply; where that is refused, creates or replaces it.
    async fn apply(&self, technical_id: &str, obj: &Value) -> Result<(), Error> {
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let what = format!("apply {kind} {name}");
        let (ar, namespaced) =
            api_resource(obj).ok_or_else(|| Self::runtime_err(technical_id, &what, "unknown kind"))?;
        let api: Api<DynamicObject> = if namespaced {
            Api::namespaced_with(self.client.clone(), technical_id, &ar)
        } else {
            Api::all_with(self.client.clone(), &ar)
        };
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        let ssa_err = match api.patch(name, &pp, &Patch::Apply(obj)).await {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(s)) if ![401, 403].contains(&s.code) => s,
            Err(e) => return Err(Self::runtime_err(technical_id, &what, e)),
        };
        debug!(kind, name, error = %ssa_err, "server-side apply refused, falling back to create/replace");
        let desired: DynamicObject =
            serde_json::from_value(obj.clone()).map_err(|e| Self::runtime_err(technical_id, &what, e))?;
        let fallback = async {
            match api.get_opt(name).await? {
                None => {
                    api.create(
                        &PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() },
                        &desired,
                    )
                    .await
                }
                Some(current) => {
                    let mut next = desired.clone();
                    next.metadata.resource_version = current.metadata.resource_version.clone();
                    // Keep what the server allocated (a Service's cluster IPs).
                    if let (Some(spec), Some(cur)) =
                        (next.data.get_mut("spec").and_then(Value::as_object_mut), current.data.get("spec"))
                    {
                        for key in ["clusterIP", "clusterIPs"] {
                            if let (false, Some(v)) = (spec.contains_key(key), cur.get(key)) {
                                spec.insert(key.to_string(), v.clone());
                            }
                        }
                    }
                    let mut labels = current.metadata.labels.clone().unwrap_or_default();
                    labels.extend(next.metadata.labels.take().unwrap_or_default());
                    next.metadata.labels = Some(labels);
                    api.replace(
                        name,
                        &PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() },
                        &next,
                    )
                    .await
                }
            }
        };
        fallback.await.map(|_| ()).map_err(|e| {
            Self::runtime_err(technical_id, &what, format!("{e} (after server-side apply failed: {ssa_err})"))
        })
    }

    async fn ensure_impl(&self, spec: ControlPlaneSpec) -> Result<ControlPlaneStatus, Error> {
        let id = spec.technical_id.as_str();
        let creds = self.credentials(&spec).await?;
        let objects = render(&spec, &self.images, &creds);
        for obj in &objects {
            self.apply(id, obj).await?;
        }
        info!(technical_id = id, objects = objects.len(), "applied control plane");
        Ok(ControlPlaneStatus {
            api_server_url: api_server_url(id),
            etcd_url: etcd_url(id),
            running: true,
            ready: false,
            not_ready: None,
        })
    }

    async fn probe_impl(&self, technical_id: String) -> Result<ControlPlaneStatus, Error> {
        let id = technical_id.as_str();
        let err = |what: &str, e: kube::Error| Self::runtime_err(id, what, e);
        let deploy = Api::<Deployment>::namespaced(self.client.clone(), id)
            .get_opt(KUBE_APISERVER)
            .await
            .map_err(|e| err("read deployment kube-apiserver", e))?;
        let etcd = Api::<StatefulSet>::namespaced(self.client.clone(), id)
            .get_opt(ETCD)
            .await
            .map_err(|e| err("read statefulset etcd-main", e))?;
        let (Some(deploy), Some(etcd)) = (deploy, etcd) else {
            return Ok(ControlPlaneStatus::default());
        };
        let wanted = deploy.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1) > 0
            && etcd.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1) > 0;
        let ready = deploy.status.and_then(|s| s.ready_replicas).unwrap_or(0) >= 1
            && etcd.status.and_then(|s| s.ready_replicas).unwrap_or(0) >= 1;
        let not_ready = (wanted && !ready).then(|| "its kube-apiserver or etcd has no ready replica".to_string());
        Ok(ControlPlaneStatus {
            api_server_url: api_server_url(id),
            etcd_url: etcd_url(id),
            running: wanted,
            ready: wanted && ready,
            not_ready,
        })
    }

    async fn stop_impl(&self, technical_id: String) -> Result<(), Error> {
        let id = technical_id.as_str();
        let scale = Patch::Merge(json!({ "spec": { "replicas": 0 } }));
        let pp = PatchParams::default();
        let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), id);
        for name in DEPLOYMENTS {
            match deployments.patch(name, &pp, &scale).await {
                Ok(_) => {}
                Err(e) if is_status(&e, 404) => {}
                Err(e) => return Err(Self::runtime_err(id, &format!("scale deployment {name} to 0"), e)),
            }
        }
        match Api::<StatefulSet>::namespaced(self.client.clone(), id).patch(ETCD, &pp, &scale).await {
            Ok(_) => {}
            Err(e) if is_status(&e, 404) => {}
            Err(e) => return Err(Self::runtime_err(id, "scale statefulset etcd-main to 0", e)),
        }
        info!(technical_id = id, "scaled control plane to 0");
        Ok(())
    }

    async fn destroy_impl(&self, technical_id: String) -> Result<(), Error> {
        let id = technical_id.as_str();
        match delete_if_exists(&Api::<Namespace>::all(self.client.clone()), id).await {
            Ok(true) => {
                info!(technical_id = id, "deleted control plane namespace");
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(e) => Err(Self::runtime_err(id, "delete namespace", e)),
        }
    }
}

impl ControlPlaneRuntime for KubernetesRuntime {
    fn ensure(&self, spec: &ControlPlaneSpec) -> BoxFuture<'_, Result<ControlPlaneStatus, Error>> {
        Box::pin(self.ensure_impl(spec.clone()))
    }
    fn probe(&self, technical_id: &str) -> BoxFuture<'_, Result<ControlPlaneStatus, Error>> {
        Box::pin(self.probe_impl(technical_id.to_string()))
    }
    fn stop(&self, technical_id: &str) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.stop_impl(technical_id.to_string()))
    }
    fn destroy(&self, technical_id: &str) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.destroy_impl(technical_id.to_string()))
    }
    /// `POST /snapshot/full` on the etcd pod's snapshotter, through the Service `etcd-main-backup` (reachable when
    /// the gardenlet runs in the seed cluster, as Gardener's does).
    fn final_snapshot(&self, technical_id: &str) -> BoxFuture<'_, Result<String, Error>> {
        let technical_id = technical_id.to_string();
        Box::pin(async move {
            let host = backup_service_host(&technical_id);
            super::backup_sidecar::request_full(&host, BACKUP_PORT)
                .await
                .map_err(|e| Self::runtime_err(&technical_id, "take a final full snapshot", e))
        })
    }
    /// The snapshotter's `/status` through the Service; None when the control plane runs without backups (no
    /// backup Secret).
    fn backup_status(&self, technical_id: &str) -> BoxFuture<'_, Result<Option<super::BackupStatus>, Error>> {
        let technical_id = technical_id.to_string();
        Box::pin(async move {
            let secrets = Api::<Secret>::namespaced(self.client.clone(), &technical_id);
            match secrets.get_opt(ETCD_BACKUP_SECRET).await {
                Ok(None) => return Ok(None),
                Ok(Some(_)) => {}
                Err(e) => return Err(Self::runtime_err(&technical_id, "read the backup Secret", e)),
            }
            let host = backup_service_host(&technical_id);
            Ok(Some(match super::backup_sidecar::status(&host, BACKUP_PORT).await {
                Ok(status) => status,
                Err(e) => super::BackupStatus {
                    failing: Some(format!("the snapshotter does not answer: {e}")),
                    ..Default::default()
                },
            }))
        })
    }
    fn kept_roots(&self, technical_id: &str) -> BoxFuture<'_, Result<Option<Roots>, Error>> {
        Box::pin(self.kept_roots_impl(technical_id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::*;
    use crate::runtime::process::ProcessRuntime;
    use crate::shoot::secrets::*;

    const ID: &str = "shoot--test--k8s";

    fn spec() -> ControlPlaneSpec {
        ControlPlaneSpec {
            backup: None,
            technical_id: ID.into(),
            secrets: crate::shoot::secrets::test_secrets(&["kube-apiserver", "127.0.0.1"]),
            kubernetes_version: "1.33.2".into(),
        }
    }

    /// A spec with backups into an S3 bucket (inline credentials, as the gardenlet builds it from the BackupEntry).
    fn spec_with_backup() -> ControlPlaneSpec {
        let mut store = etcd_backup::store::StoreConfig::local("bucket", "shoot--test--k8s--uid");
        store.provider = etcd_backup::store::Provider::S3;
        store.endpoint = Some("http://s3.example:4566".into());
        store.credentials.access_key_id = Some("AKIDEXAMPLE".into());
        store.credentials.secret_access_key = Some(etcd_backup::store::Secret::new("very-secret"));
        ControlPlaneSpec {
            backup: Some(super::super::EtcdBackupSpec {
                store,
                full_snapshot_schedule: "0 */1 * * *".into(),
                delta_snapshot_period: Duration::from_secs(20),
            }),
            ..spec()
        }
    }

    fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
        objs.iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name} not rendered"))
    }

    fn to_value<T: serde::Serialize>(o: &T) -> Value {
        serde_json::to_value(o).unwrap()
    }

    fn args(obj: &Value) -> Vec<String> {
        serde_json::from_value(obj.pointer("/spec/template/spec/containers/0/args").cloned().unwrap()).unwrap()
    }

    fn secret_data(obj: &Value, key: &str) -> String {
        unb64(&obj["data"][key]).unwrap_or_else(|| panic!("key {key} missing"))
    }

    const SECRET_KEYS: &[(&str, &[&str])] = &[
        ("ca", &["ca.crt", "ca.key"]),
        ("ca-client", &["ca.crt", "ca.key"]),
        ("ca-etcd", &["ca.crt", "ca.key"]),
        ("kube-apiserver", &["tls.crt", "tls.key"]),
        ("etcd-server-cert", &["tls.crt", "tls.key"]),
        ("etcd-client-tls", &["tls.crt", "tls.key"]),
        ("service-account-key", &["id_rsa"]),
        ("kube-controller-manager-kubeconfig", &["kubeconfig"]),
        ("kube-scheduler-kubeconfig", &["kubeconfig"]),
    ];

    #[test]
    fn renders_the_control_plane() {
        let spec = spec();
        let creds = ComponentCredentials::sign(&spec.secrets).unwrap();
        let objs = render(&spec, &Images::default(), &creds);
        assert_eq!(objs[0]["kind"], "Namespace");
        assert_eq!(objs[0]["metadata"]["labels"][ROLE_LABEL], "shoot");
        for o in objs[1..].iter().filter(|o| o["kind"] != "PriorityClass") {
            assert_eq!(o["metadata"]["namespace"], ID, "{o}");
            assert_eq!(o["metadata"]["labels"][ROLE_LABEL], CONTROLPLANE, "{o}");
            assert!(o["metadata"]["labels"][APP_LABEL].is_string(), "{o}");
            assert!(o["metadata"].get("ownerReferences").is_none());
            assert!(api_resource(o).is_some(), "{o}");
        }
        // Secrets: names and keys of shoot/secrets.rs, the material of the spec.
        for (name, keys) in SECRET_KEYS {
            let s = find(&objs, "Secret", name);
            let data = s["data"].as_object().unwrap();
            assert_eq!(data.keys().collect::<Vec<_>>(), keys.iter().collect::<Vec<_>>(), "{name}");
        }
        assert_eq!(secret_data(find(&objs, "Secret", "ca"), "ca.crt"), spec.secrets.ca_cert);
        assert_eq!(find(&objs, "Secret", "kube-apiserver")["type"], "kubernetes.io/tls");
        assert_eq!(secret_data(find(&objs, "Secret", "etcd-client-tls"), "tls.key"), spec.secrets.etcd_client_key);
        let kc = secret_data(find(&objs, "Secret", "kube-scheduler-kubeconfig"), KUBECONFIG_KEY);
        assert_eq!(kubeconfig_client(&kc).unwrap(), creds.scheduler);
        assert!(kc.contains("server: https://kube-apiserver:443"), "{kc}");

        // etcd.
        let etcd = find(&objs, "StatefulSet", ETCD);
        assert_eq!(etcd["spec"]["replicas"], 1);
        assert_eq!(etcd["spec"]["serviceName"], ETCD_CLIENT_SERVICE);
        let c = &etcd["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], "registry.k8s.io/etcd:3.5.21-0");
        let a = args(etcd);
        for flag in [
            "--cert-file=/var/etcd/ssl/server/tls.crt",
            "--key-file=/var/etcd/ssl/server/tls.key",
            "--trusted-ca-file=/var/etcd/ssl/ca/ca.crt",
            "--client-cert-auth=true",
        ] {
            assert!(a.contains(&flag.to_string()), "{flag} in {a:?}");
        }
        let ports: Vec<i64> =
            c["ports"].as_array().unwrap().iter().map(|p| p["containerPort"].as_i64().unwrap()).collect();
        assert_eq!(ports, [2379, 2380]);
        assert_eq!(etcd.pointer("/spec/volumeClaimTemplates/0/spec/resources/requests/storage").unwrap(), "10Gi");
        let svc = find(&objs, "Service", ETCD_CLIENT_SERVICE);
        assert_eq!(svc["spec"]["clusterIP"], "None");

        // kube-apiserver.
        let api = find(&objs, "Deployment", KUBE_APISERVER);
        assert_eq!(
            api.pointer("/spec/template/spec/containers/0/image").unwrap(),
            "registry.k8s.io/kube-apiserver:v1.33.2"
        );
        let a = args(api);
        for flag in [
            "--etcd-servers=https://etcd-main-client:2379",
            "--etcd-cafile=/srv/kubernetes/etcd/ca/ca.crt",
            "--etcd-certfile=/srv/kubernetes/etcd/client/tls.crt",
            "--etcd-keyfile=/srv/kubernetes/etcd/client/tls.key",
            "--client-ca-file=/srv/kubernetes/ca-client/ca.crt",
            "--tls-cert-file=/srv/kubernetes/tls/tls.crt",
            "--tls-private-key-file=/srv/kubernetes/tls/tls.key",
            "--service-account-key-file=/srv/kubernetes/service-account-key/id_rsa",
            "--service-account-signing-key-file=/srv/kubernetes/service-account-key/id_rsa",
            "--service-account-issuer=https://kube-apiserver.shoot--test--k8s.svc:443",
            "--authorization-mode=Node,RBAC",
            "--secure-port=443",
        ] {
            assert!(a.contains(&flag.to_string()), "{flag} in {a:?}");
        }
        // Every volume's Secret is rendered; CA keys are not mounted into kube-apiserver.
        for d in objs.iter().filter(|o| o["kind"] == "Deployment" || o["kind"] == "StatefulSet") {
            for v in d.pointer("/spec/template/spec/volumes").unwrap().as_array().unwrap() {
                let name = v["secret"]["secretName"].as_str().unwrap();
                find(&objs, "Secret", name);
                if d["metadata"]["name"] == KUBE_APISERVER && name.starts_with("ca") {
                    assert_eq!(v["secret"]["items"], json!([{ "key": "ca.crt", "path": "ca.crt" }]));
                }
            }
            let sel = d.pointer("/spec/selector/matchLabels").unwrap();
            assert_eq!(sel, d.pointer("/spec/template/metadata/labels").unwrap());
        }
        let svc = find(&objs, "Service", KUBE_APISERVER);
        assert_eq!(svc["spec"]["type"], "ClusterIP");
        assert_eq!(svc["spec"]["ports"][0]["port"], 443);

        // kube-controller-manager and kube-scheduler.
        for (name, image) in [
            (KUBE_CONTROLLER_MANAGER, "registry.k8s.io/kube-controller-manager:v1.33.2"),
            (KUBE_SCHEDULER, "registry.k8s.io/kube-scheduler:v1.33.2"),
        ] {
            let d = find(&objs, "Deployment", name);
            assert_eq!(d.pointer("/spec/template/spec/containers/0/image").unwrap(), image);
            assert!(args(d).contains(&format!("--kubeconfig={KUBECONFIG_MOUNT}/kubeconfig")));
            assert_eq!(
                d.pointer("/spec/template/spec/volumes/0/secret/secretName").unwrap(),
                &json!(format!("{name}-kubeconfig"))
            );
        }

        // NetworkPolicies.
        let deny = find(&objs, "NetworkPolicy", "deny-all");
        assert_eq!(deny["spec"], json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] }));
        let etcd_in = find(&objs, "NetworkPolicy", "allow-etcd");
        assert_eq!(etcd_in.pointer("/spec/ingress/0/from/0/podSelector/matchLabels/app").unwrap(), KUBE_APISERVER);
        assert_eq!(etcd_in.pointer("/spec/ingress/0/ports/0/port").unwrap(), 2379);
        let api_in = find(&objs, "NetworkPolicy", "allow-kube-apiserver");
        assert_eq!(api_in.pointer("/spec/ingress/0/ports/0/port").unwrap(), 443);
        find(&objs, "NetworkPolicy", "allow-kube-apiserver-to-etcd");

        // Typed round trip: every manifest is a valid object of its kind.
        for o in &objs {
            let ok = match o["kind"].as_str().unwrap() {
                "Namespace" => serde_json::from_value::<Namespace>(o.clone()).is_ok(),
                "Secret" => serde_json::from_value::<Secret>(o.clone()).is_ok(),
                "Service" => serde_json::from_value::<Service>(o.clone()).is_ok(),
                "Deployment" => serde_json::from_value::<Deployment>(o.clone()).is_ok(),
                "StatefulSet" => serde_json::from_value::<StatefulSet>(o.clone()).is_ok(),
                "NetworkPolicy" => serde_json::from_value::<NetworkPolicy>(o.clone()).is_ok(),
                "PodDisruptionBudget" => serde_json::from_value::<PodDisruptionBudget>(o.clone()).is_ok(),
                "PriorityClass" => serde_json::from_value::<PriorityClass>(o.clone()).is_ok(),
                _ => false,
            };
            assert!(ok, "{o}");
        }
    }

    /// New certificates roll out exactly the workloads that mount them.
    #[test]
    fn backups_put_the_etcd_backup_containers_into_the_etcd_pod() {
        let with_backup = spec_with_backup();
        let creds = ComponentCredentials::sign(&with_backup.secrets).unwrap();
        let objs = render(&with_backup, &Images::default(), &creds);
        // The store's Secret: the config without secrets, the credentials as files.
        let secret = find(&objs, "Secret", ETCD_BACKUP_SECRET);
        let store = secret_data(secret, "store.yaml");
        assert!(
            store.contains("credentialsDir: /var/etcd/backup/credentials") && !store.contains("very-secret"),
            "{store}"
        );
        assert_eq!(secret_data(secret, "secretAccessKey"), "very-secret");
        assert_eq!(secret_data(secret, "accessKeyID"), "AKIDEXAMPLE");
        // The pod: restore before etcd, the snapshotter next to it on etcd's loopback listener.
        let etcd = find(&objs, "StatefulSet", ETCD);
        let pod = &etcd["spec"]["template"]["spec"];
        assert!(args(etcd).contains(&"--listen-client-urls=https://0.0.0.0:2379,http://127.0.0.1:2378".to_string()));
        let restore = &pod["initContainers"][0];
        assert_eq!(restore["image"], format!("garden/etcd-backup:{}", env!("CARGO_PKG_VERSION")));
        let restore_args: Vec<String> = serde_json::from_value(restore["args"].clone()).unwrap();
        for a in [
            "restore",
            "--store-config=/var/etcd/backup/store.yaml",
            "--data-dir=/var/etcd/data/new.etcd",
            "--name=etcd-main",
        ] {
            assert!(restore_args.contains(&a.to_string()), "{a} in {restore_args:?}");
        }
        let sidecar = &pod["containers"][1];
        assert_eq!(sidecar["name"], "backup-restore");
        let sidecar_args: Vec<String> = serde_json::from_value(sidecar["args"].clone()).unwrap();
        for a in [
            "snapshot",
            "--endpoints=http://127.0.0.1:2378",
            "--full-snapshot-schedule=0 */1 * * *",
            "--delta-snapshot-period=20s",
            "--listen=0.0.0.0:8080",
        ] {
            assert!(sidecar_args.contains(&a.to_string()), "{a} in {sidecar_args:?}");
        }
        assert_eq!(pod.pointer("/securityContext/fsGroup").unwrap(), 65532);
        assert_eq!(pod.pointer("/containers/0/resources/requests/memory").unwrap(), ETCD_MEMORY_REQUEST);
        assert_eq!(sidecar.pointer("/resources/requests/memory").unwrap(), SNAPSHOTTER_MEMORY_REQUEST);
        let backup_volume = pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "backup").unwrap();
        assert_eq!(backup_volume.pointer("/secret/items/1/path").unwrap(), "credentials/accessKeyID");
        // The snapshotter's Service and the paths the NetworkPolicies open.
        let svc = find(&objs, "Service", ETCD_BACKUP_SERVICE);
        assert_eq!(svc.pointer("/spec/ports/0/port").unwrap(), BACKUP_PORT);
        find(&objs, "NetworkPolicy", "allow-etcd-backup-to-store");
        let gardenlet_in = find(&objs, "NetworkPolicy", "allow-gardenlet-to-etcd-backup");
        assert_eq!(gardenlet_in.pointer("/spec/ingress/0/ports/0/port").unwrap(), BACKUP_PORT);
        // Typed: the pod with both containers is a valid StatefulSet; without backups nothing of it is rendered.
        serde_json::from_value::<StatefulSet>(etcd.clone()).unwrap();
        let plain = render(&spec(), &Images::default(), &creds);
        assert!(plain
            .iter()
            .all(|o| o["metadata"]["name"] != ETCD_BACKUP_SECRET && o["metadata"]["name"] != ETCD_BACKUP_SERVICE));
        assert!(find(&plain, "StatefulSet", ETCD).pointer("/spec/template/spec/initContainers").is_none());
    }

    #[test]
    fn every_component_has_a_disruption_budget_and_a_priority_class() {
        let spec = spec();
        let creds = ComponentCredentials::sign(&spec.secrets).unwrap();
        let objs = render(&spec, &Images::default(), &creds);
        let workloads = [
            ("StatefulSet", ETCD),
            ("Deployment", KUBE_APISERVER),
            ("Deployment", KUBE_CONTROLLER_MANAGER),
            ("Deployment", KUBE_SCHEDULER),
        ];
        let classes: Vec<&str> = objs
            .iter()
            .filter(|o| o["kind"] == "PriorityClass")
            .filter_map(|o| o["metadata"]["name"].as_str())
            .collect();
        assert_eq!(classes, PRIORITY_CLASSES.iter().map(|(n, _)| *n).collect::<Vec<_>>());
        for (kind, name) in workloads {
            let w = find(&objs, kind, name);
            let pdb = find(&objs, "PodDisruptionBudget", name);
            assert_eq!(pdb["spec"]["selector"]["matchLabels"], w["spec"]["selector"]["matchLabels"], "{name}");
            assert_eq!(pdb["spec"]["maxUnavailable"], 1);
            serde_json::from_value::<PodDisruptionBudget>(pdb.clone()).unwrap();
            let class = w["spec"]["template"]["spec"]["priorityClassName"].as_str().unwrap();
            assert!(classes.contains(&class), "{name}: {class}");
        }
        assert_eq!(
            find(&objs, "Deployment", KUBE_APISERVER)["spec"]["template"]["spec"]["priorityClassName"],
            "gardener-system-500"
        );
        assert_eq!(
            find(&objs, "Deployment", KUBE_SCHEDULER)["spec"]["template"]["spec"]["priorityClassName"],
            "gardener-system-200"
        );
    }

    #[test]
    fn pod_templates_carry_the_checksum_of_their_secrets() {
        let spec = spec();
        let creds = ComponentCredentials::sign(&spec.secrets).unwrap();
        let checksum = |objs: &[Value], kind: &str, name: &str| {
            find(objs, kind, name)["spec"]["template"]["metadata"]["annotations"][SECRETS_CHECKSUM]
                .as_str()
                .unwrap()
                .to_string()
        };
        let before = render(&spec, &Images::default(), &creds);
        let again = render(&spec, &Images::default(), &creds);
        assert_eq!(checksum(&before, "Deployment", KUBE_APISERVER), checksum(&again, "Deployment", KUBE_APISERVER));
        let mut changed = spec.clone();
        let other = crate::shoot::secrets::test_secrets(&["127.0.0.1"]);
        changed.secrets.server_cert = other.server_cert.clone();
        changed.secrets.server_key = other.server_key.clone();
        let after = render(&changed, &Images::default(), &creds);
        assert_ne!(checksum(&before, "Deployment", KUBE_APISERVER), checksum(&after, "Deployment", KUBE_APISERVER));
        assert_eq!(checksum(&before, "StatefulSet", ETCD), checksum(&after, "StatefulSet", ETCD));
    }

    #[test]
    fn configured_images_override_the_defaults() {
        let o = crate::config::RuntimeImages {
            etcd_backup: Some("mirror.example/etcd-backup:1".into()),
            ..Default::default()
        };
        let images = Images::with_overrides(&o);
        assert_eq!(images.etcd_backup, "mirror.example/etcd-backup:1");
        assert_eq!(images.etcd, Images::default().etcd);
    }

    #[test]
    fn images_and_versions() {
        let spec = ControlPlaneSpec { kubernetes_version: "v1.32.0".into(), ..spec() };
        let images = Images { kube_apiserver: "example.com/kas".into(), ..Images::default() };
        let objs = render(&spec, &images, &ComponentCredentials::sign(&spec.secrets).unwrap());
        let api = find(&objs, "Deployment", KUBE_APISERVER);
        assert_eq!(api.pointer("/spec/template/spec/containers/0/image").unwrap(), "example.com/kas:v1.32.0");
        assert_eq!(api_server_url(ID), "https://kube-apiserver.shoot--test--k8s.svc:443");
        assert_eq!(etcd_url(ID), "https://etcd-main-client.shoot--test--k8s.svc:2379");
    }

    #[test]
    fn component_credentials_are_client_certs_of_the_client_ca() {
        let s = crate::shoot::secrets::test_secrets(&["kube-apiserver", "127.0.0.1"]);
        let creds = ComponentCredentials::sign(&s).unwrap();
        let pem = rustls_pemfile::certs(&mut creds.controller_manager.cert.as_bytes()).next().unwrap().unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&pem).unwrap();
        let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_string();
        assert_eq!(cn, "system:kube-controller-manager");
        let ca_pem = rustls_pemfile::certs(&mut s.client_ca_cert.as_bytes()).next().unwrap().unwrap();
        let (_, ca) = x509_parser::parse_x509_certificate(&ca_pem).unwrap();
        assert_eq!(cert.issuer(), ca.subject());
        let yaml = kubeconfig_yaml("https://x:443", &s.ca_cert, &creds.scheduler);
        assert_eq!(kubeconfig_client(&yaml).unwrap(), creds.scheduler);
        assert!(kubeconfig_client("users: []").is_none());
    }

    fn apiserver_bin() -> Option<PathBuf> {
        let candidates = [
            std::env::var_os("GARDEN_BIN_DIR").map(|d| PathBuf::from(d).join("garden-apiserver")),
            Some(PathBuf::from("/work/target/debug/garden-apiserver")),
            std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("debug/garden-apiserver")),
        ];
        candidates.into_iter().flatten().find(|p| p.is_file())
    }

    fn etcd_bin() -> Option<PathBuf> {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join("etcd")).find(|p| p.is_file())
    }

    /// Starts a seed: a real etcd and `garden-apiserver --api-profile shoot` (through the process
    /// runtime), and returns an admin client for it.
    async fn seed(state: &Path) -> Option<(ProcessRuntime, kube::Client)> {
        let (etcd, api) = (etcd_bin()?, apiserver_bin()?);
        let help = std::process::Command::new(&api).arg("--help").output().ok()?;
        if !String::from_utf8_lossy(&help.stdout).contains("--api-profile") {
            return None;
        }
        let seed = ProcessRuntime::new(state, &etcd, &api).with_api_profile(Some("shoot".into()));
        let secrets = crate::shoot::secrets::test_secrets(&["kube-apiserver", "127.0.0.1"]);
        let spec = ControlPlaneSpec {
            technical_id: "seed".into(),
            secrets: secrets.clone(),
            kubernetes_version: "1.33.2".into(),
            backup: None,
        };
        let st = seed.ensure(&spec).await.unwrap();
        for _ in 0..300 {
            if seed.probe("seed").await.unwrap().ready {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let ca = CertPair { cert: secrets.client_ca_cert.clone(), key: secrets.client_ca_key.clone() };
        let admin = sign_client(&ca, "admin", &["system:masters".into()], 1).unwrap();
        let kc = kube::config::Kubeconfig::from_yaml(&kubeconfig_yaml(&st.api_server_url, &secrets.ca_cert, &admin))
            .unwrap();
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.unwrap();
        Some((seed, component_base::client_from_config(config).unwrap()))
    }

    /// Applies a control plane into a seed served by our own API server, probes, stops, destroys.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn applies_into_a_seed_api_server() {
        let state = std::env::temp_dir().join(format!("gardenlet-k8s-runtime-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        let Some((seed, client)) = seed(&state).await else {
            println!(
                "skipping applies_into_a_seed_api_server: etcd on PATH or garden-apiserver --api-profile not found"
            );
            return;
        };
        let rt = KubernetesRuntime::new(client.clone(), Images::default());
        let spec = spec();

        let st = rt.ensure(&spec).await.unwrap();
        assert_eq!(
            st,
            ControlPlaneStatus {
                api_server_url: "https://kube-apiserver.shoot--test--k8s.svc:443".into(),
                etcd_url: "https://etcd-main-client.shoot--test--k8s.svc:2379".into(),
                running: true,
                ready: false,
                not_ready: None,
            }
        );
        let secrets: Api<Secret> = Api::namespaced(client.clone(), ID);
        let kcm_before = secrets.get("kube-controller-manager-kubeconfig").await.unwrap().data.unwrap();
        // Idempotent: a second ensure changes nothing (kubeconfigs reused).
        assert_eq!(rt.ensure(&spec).await.unwrap(), st);
        let kcm_after = secrets.get("kube-controller-manager-kubeconfig").await.unwrap().data.unwrap();
        assert_eq!(kcm_before, kcm_after);

        let ns = Api::<Namespace>::all(client.clone()).get(ID).await.unwrap();
        assert_eq!(ns.metadata.labels.unwrap()[ROLE_LABEL], "shoot");
        for (name, keys) in SECRET_KEYS {
            let s = secrets.get(name).await.unwrap();
            let data = s.data.unwrap_or_default();
            assert_eq!(data.keys().collect::<Vec<_>>(), keys.iter().collect::<Vec<_>>(), "{name}");
            assert_eq!(s.metadata.labels.unwrap()[ROLE_LABEL], CONTROLPLANE);
        }
        let ca = secrets.get("ca").await.unwrap().data.unwrap();
        assert_eq!(ca["ca.crt"].0, spec.secrets.ca_cert.as_bytes());
        // The disruption budgets and the priority classes the pods name are in the seed.
        let pdbs = Api::<PodDisruptionBudget>::namespaced(client.clone(), ID).list(&Default::default()).await.unwrap();
        let mut names: Vec<String> = pdbs.items.iter().filter_map(|p| p.metadata.name.clone()).collect();
        names.sort();
        assert_eq!(names, [ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER]);
        for (class, value) in PRIORITY_CLASSES {
            let pc = Api::<PriorityClass>::all(client.clone()).get(class).await.unwrap();
            assert_eq!(pc.value, value);
        }

        let sts = Api::<StatefulSet>::namespaced(client.clone(), ID).get(ETCD).await.unwrap();
        let sts_v = to_value(&sts);
        assert_eq!(sts_v.pointer("/spec/template/spec/containers/0/image").unwrap(), "registry.k8s.io/etcd:3.5.21-0");
        let a = args(&sts_v);
        assert!(a.contains(&"--client-cert-auth=true".to_string()), "{a:?}");
        assert!(a.contains(&"--trusted-ca-file=/var/etcd/ssl/ca/ca.crt".to_string()), "{a:?}");
        assert!(a.contains(&"--cert-file=/var/etcd/ssl/server/tls.crt".to_string()), "{a:?}");

        let deployments: Api<Deployment> = Api::namespaced(client.clone(), ID);
        let kas = to_value(&deployments.get(KUBE_APISERVER).await.unwrap());
        assert_eq!(
            kas.pointer("/spec/template/spec/containers/0/image").unwrap(),
            "registry.k8s.io/kube-apiserver:v1.33.2"
        );
        let a = args(&kas);
        for flag in [
            "--etcd-servers=https://etcd-main-client:2379",
            "--client-ca-file=/srv/kubernetes/ca-client/ca.crt",
            "--authorization-mode=Node,RBAC",
        ] {
            assert!(a.contains(&flag.to_string()), "{flag} in {a:?}");
        }
        for name in DEPLOYMENTS {
            deployments.get(name).await.unwrap();
        }
        let services: Api<Service> = Api::namespaced(client.clone(), ID);
        services.get(ETCD_CLIENT_SERVICE).await.unwrap();
        let svc = services.get(KUBE_APISERVER).await.unwrap();
        assert_eq!(svc.spec.unwrap().ports.unwrap()[0].port, 443);
        let policies: Vec<String> = Api::<NetworkPolicy>::namespaced(client.clone(), ID)
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect();
        for p in ["deny-all", "allow-etcd", "allow-kube-apiserver", "allow-kube-apiserver-to-etcd"] {
            assert!(policies.contains(&p.to_string()), "{p} in {policies:?}");
        }

        // No kubelet: not ready until the workloads report ready replicas.
        let st = rt.probe(ID).await.unwrap();
        assert!(st.running && !st.ready, "{st:?}");
        let ready = Patch::Merge(json!({ "status": { "replicas": 1, "readyReplicas": 1 } }));
        deployments.patch_status(KUBE_APISERVER, &PatchParams::default(), &ready).await.unwrap();
        let st = rt.probe(ID).await.unwrap();
        assert!(!st.ready, "etcd is not ready yet: {st:?}");
        Api::<StatefulSet>::namespaced(client.clone(), ID)
            .patch_status(ETCD, &PatchParams::default(), &ready)
            .await
            .unwrap();
        let st = rt.probe(ID).await.unwrap();
        assert!(st.running && st.ready, "{st:?}");

        // Stop (hibernation): everything scaled to 0, objects kept.
        rt.stop(ID).await.unwrap();
        for name in DEPLOYMENTS {
            assert_eq!(deployments.get(name).await.unwrap().spec.unwrap().replicas, Some(0), "{name}");
        }
        let sts = Api::<StatefulSet>::namespaced(client.clone(), ID).get(ETCD).await.unwrap();
        assert_eq!(sts.spec.unwrap().replicas, Some(0));
        let st = rt.probe(ID).await.unwrap();
        assert!(!st.running && !st.ready, "{st:?}");
        secrets.get("ca").await.unwrap();
        // Waking up: ensure scales back to 1.
        rt.ensure(&spec).await.unwrap();
        assert_eq!(deployments.get(KUBE_APISERVER).await.unwrap().spec.unwrap().replicas, Some(1));
        assert_eq!(rt.backup_status(ID).await.unwrap(), None, "no backups configured");

        // With backups: the seed accepts the etcd pod with the restore init container and the snapshotter, the
        // store's Secret and the snapshotter's Service. Its HTTP endpoint is reached through the Service's DNS name,
        // which only resolves inside a seed cluster: here the status says the snapshotter does not answer.
        rt.ensure(&spec_with_backup()).await.unwrap();
        let sts = to_value(&Api::<StatefulSet>::namespaced(client.clone(), ID).get(ETCD).await.unwrap());
        assert_eq!(sts.pointer("/spec/template/spec/initContainers/0/name").unwrap(), "restore");
        assert_eq!(sts.pointer("/spec/template/spec/containers/1/name").unwrap(), "backup-restore");
        assert!(secrets.get(ETCD_BACKUP_SECRET).await.unwrap().data.unwrap().contains_key("secretAccessKey"));
        services.get(ETCD_BACKUP_SERVICE).await.unwrap();
        let status = rt.backup_status(ID).await.unwrap().expect("backups are configured");
        assert!(status.failing.unwrap_or_default().contains("does not answer"));
        assert!(rt.final_snapshot(ID).await.is_err());

        // Destroy: the namespace and everything in it go away.
        rt.destroy(ID).await.unwrap();
        let namespaces = Api::<Namespace>::all(client.clone());
        let mut gone = false;
        for _ in 0..100 {
            if namespaces.get_opt(ID).await.unwrap().is_none() {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(gone, "namespace {ID} not deleted");
        assert!(rt.probe(ID).await.unwrap() == ControlPlaneStatus::default());
        rt.destroy(ID).await.unwrap();
        rt.stop(ID).await.unwrap();

        seed.destroy("seed").await.unwrap();
        let _ = std::fs::remove_dir_all(&state);
    }
}
