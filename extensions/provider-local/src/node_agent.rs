//! The local node agent (`local-node`): the stand-in for a VM plus its kubelet on the local provider.
//!
//! The local machine driver starts one detached agent process per machine; killing the process is how a VM is
//! lost. Like a kubelet the agent registers its Node in the shoot's API server (or takes over an existing Node of
//! the same name: labels, providerID, capacity and allocatable, Ready) and then, every heartbeat interval, renews
//! its Lease `kube-node-lease/<node>` and refreshes the Node's conditions (`nodes/status`): a Node deleted
//! meanwhile is registered again, a Ready condition someone set to Unknown goes back to True. API errors are
//! retried with backoff for as long as it takes; SIGTERM ends the agent with exit code 0 and leaves the Node (the
//! machine controller deletes Nodes). Nothing else runs: no pods, no container runtime.
//!
//! The agent is cheap on purpose (a hundred fit on a two-core machine): one current-thread runtime, a few API
//! calls per heartbeat, sleeping in between.
//!
//! The pure parts (flag parsing, the Node, its status patch and the Lease built from the flags) are functions of
//! [`NodeConfig`] and the current time, tested without an API server.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use component_base::api::is_status;
use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo, Taint};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::Client;
use tracing::{debug, info, warn};

/// Namespace of the node Leases (kube's).
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// `spec.leaseDurationSeconds` of the node Lease (kubelet's default).
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// Field manager of the agent's writes.
pub const FIELD_MANAGER: &str = "local-node";
/// `status.nodeInfo.osImage`.
pub const OS_IMAGE: &str = "garden local-node";
/// `status.nodeInfo.containerRuntimeVersion`: there is no container runtime.
pub const CONTAINER_RUNTIME_VERSION: &str = "none://";
/// Capacity reported for resources `--capacity` does not name.
pub const DEFAULT_CAPACITY: &[(&str, &str)] = &[("cpu", "2"), ("memory", "4Gi"), ("pods", "110")];

const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
const OS_LABEL: &str = "kubernetes.io/os";
const ARCH_LABEL: &str = "kubernetes.io/arch";

/// The conditions the agent owns: (type, status, reason, message).
const CONDITIONS: &[(&str, &str, &str, &str)] = &[
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
];

/// The local provider's node agent: registers a Node in the shoot API and keeps it Ready with heartbeats
/// (Lease `kube-node-lease/<node>` and the Node's conditions), like a kubelet without pods. SIGTERM stops it
/// and leaves the Node in place.
#[derive(Parser, Debug, Clone)]
#[command(name = "local-node", version)]
pub struct Args {
    /// Kubeconfig of the shoot's API server (authenticating with a bootstrap token). Read again after 401s.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: PathBuf,
    /// Name of the Node (a DNS subdomain).
    #[arg(long, value_name = "NAME", value_parser = parse_node_name)]
    pub node_name: String,
    /// The Node's spec.providerID, e.g. local:///<shoot-namespace>/<machine-name>.
    #[arg(long, value_name = "ID", value_parser = parse_provider_id)]
    pub provider_id: String,
    /// Node labels, comma separated (repeatable). They win over the defaults kubernetes.io/hostname=<node-name>,
    /// kubernetes.io/os=linux and kubernetes.io/arch=amd64.
    #[arg(long, value_name = "KEY=VALUE,...", value_delimiter = ',', value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Taints the Node is registered with, comma separated (repeatable); an existing Node's taints are left
    /// alone, as by a kubelet's --register-with-taints. Effect: NoSchedule, PreferNoSchedule or NoExecute.
    #[arg(long, value_name = "KEY[=VALUE]:EFFECT,...", value_delimiter = ',', value_parser = parse_taint)]
    pub taints: Vec<Taint>,
    /// status.capacity (= status.allocatable), comma separated (repeatable). Resources not named keep their
    /// defaults cpu=2, memory=4Gi, pods=110.
    #[arg(long, value_name = "RESOURCE=QUANTITY,...", value_delimiter = ',', value_parser = parse_capacity)]
    pub capacity: Vec<(String, Quantity)>,
    /// How often the Lease is renewed and the Node's conditions refreshed (e.g. 10s, 500ms, 1m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub heartbeat_interval: Duration,
    /// status.nodeInfo.kubeletVersion.
    #[arg(long, value_name = "VERSION", default_value = "v1.33.2")]
    pub kubelet_version: String,
    /// Free KEY=VALUE tags (repeatable) by which the machine controller finds its agents again on their command
    /// lines (e.g. --tag shoot=shoot--dev--local --tag machine=<machine>). Ignored by the agent.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = component_base::LogFormat::Text)]
    pub log_format: component_base::LogFormat,
}

/// What the agent reports, derived from [`Args`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    pub node_name: String,
    pub provider_id: String,
    /// The defaults with the given labels over them.
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// Capacity and allocatable: the defaults with the given resources over them.
    pub capacity: BTreeMap<String, Quantity>,
    pub kubelet_version: String,
    pub heartbeat_interval: Duration,
    /// status.nodeInfo.kernelVersion (the host's, read at start; empty in tests).
    pub kernel_version: String,
    /// status.nodeInfo.bootID: changes with every start of the agent (a VM's boot).
    pub boot_id: String,
}

impl Args {
    /// The Node's configuration from the flags (kernel version and boot id left empty).
    pub fn node_config(&self) -> NodeConfig {
        let mut labels = BTreeMap::from([
            (HOSTNAME_LABEL.to_string(), self.node_name.clone()),
            (OS_LABEL.to_string(), "linux".to_string()),
            (ARCH_LABEL.to_string(), "amd64".to_string()),
        ]);
        labels.extend(self.labels.iter().cloned());
        let mut capacity: BTreeMap<String, Quantity> =
            DEFAULT_CAPACITY.iter().map(|(k, v)| (k.to_string(), Quantity(v.to_string()))).collect();
        capacity.extend(self.capacity.iter().cloned());
        NodeConfig {
            node_name: self.node_name.clone(),
            provider_id: self.provider_id.clone(),
            labels,
            taints: self.taints.clone(),
            capacity,
            kubelet_version: self.kubelet_version.clone(),
            heartbeat_interval: self.heartbeat_interval,
            kernel_version: String::new(),
            boot_id: String::new(),
        }
    }
}

// ----- flag parsing -----

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// A DNS-1123 subdomain: lowercase alphanumerics, `-` and `.`, starting and ending alphanumeric, ≤ 253.
fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| is_alnum(b) || b == b'-')
                && is_alnum(part.as_bytes()[0])
                && is_alnum(part.as_bytes()[part.len() - 1])
        })
}

/// kube's label value / qualified-name part: ≤ 63 of `[A-Za-z0-9_.-]`, alphanumeric at both ends.
fn is_label_part(s: &str, may_be_empty: bool) -> bool {
    if s.is_empty() {
        return may_be_empty;
    }
    let b = s.as_bytes();
    s.len() <= 63
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// kube's qualified name (label and taint keys): `[prefix/]name`, the prefix a DNS subdomain.
fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_label_part(name, false),
        None => is_label_part(s, false),
    }
}

/// `--node-name`.
pub fn parse_node_name(s: &str) -> Result<String, String> {
    if is_dns_subdomain(s) {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?} is not a DNS subdomain (lowercase alphanumerics, '-' and '.')"))
    }
}

/// `--provider-id`: `<scheme>://<rest>`.
pub fn parse_provider_id(s: &str) -> Result<String, String> {
    match s.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() && !rest.is_empty() && !s.contains(char::is_whitespace) => {
            Ok(s.to_string())
        }
        _ => Err(format!("{s:?} is not a provider ID like local:///<namespace>/<machine>")),
    }
}

/// One `KEY=VALUE` of `--labels`.
pub fn parse_label(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("label {s:?} is not KEY=VALUE"))?;
    if !is_qualified_name(k) {
        return Err(format!("label key {k:?} is not a qualified name ([prefix/]name)"));
    }
    if !is_label_part(v, true) {
        return Err(format!("label value {v:?} of {k} is invalid (at most 63 of [A-Za-z0-9_.-])"));
    }
    Ok((k.to_string(), v.to_string()))
}

/// One `KEY[=VALUE]:EFFECT` of `--taints` (kubectl's taint syntax).
pub fn parse_taint(s: &str) -> Result<Taint, String> {
    let (kv, effect) = s.rsplit_once(':').ok_or_else(|| format!("taint {s:?} is not KEY[=VALUE]:EFFECT"))?;
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Err(format!("taint effect {effect:?} is not NoSchedule, PreferNoSchedule or NoExecute"));
    }
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k, v),
        None => (kv, ""),
    };
    if !is_qualified_name(key) {
        return Err(format!("taint key {key:?} is not a qualified name ([prefix/]name)"));
    }
    if !is_label_part(value, true) {
        return Err(format!("taint value {value:?} of {key} is invalid (at most 63 of [A-Za-z0-9_.-])"));
    }
    Ok(Taint {
        key: key.to_string(),
        value: (!value.is_empty()).then(|| value.to_string()),
        effect: effect.to_string(),
        time_added: None,
    })
}

/// A kube quantity: a decimal number (optionally signed, with a fraction) and a suffix (binary `Ki`..`Ei`,
/// decimal `n u m k M G T P E`, or an exponent `e<int>` / `E<int>`).
fn is_quantity(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_end = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number != "."
        && number.matches('.').count() <= 1
        && number.bytes().any(|b| b.is_ascii_digit());
    let exponent = |e: &str| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    };
    let suffix_ok = matches!(suffix, "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G")
        || matches!(suffix, "T" | "P" | "E")
        || suffix.strip_prefix(['e', 'E']).is_some_and(exponent);
    number_ok && suffix_ok
}

/// One `RESOURCE=QUANTITY` of `--capacity`.
pub fn parse_capacity(s: &str) -> Result<(String, Quantity), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("capacity {s:?} is not RESOURCE=QUANTITY"))?;
    if !is_qualified_name(k) {
        return Err(format!("resource name {k:?} is not a qualified name"));
    }
    if !is_quantity(v) {
        return Err(format!("{v:?} (capacity of {k}) is not a quantity like 2, 500m or 4Gi"));
    }
    Ok((k.to_string(), Quantity(v.to_string())))
}

/// `--heartbeat-interval`: a positive duration like `10s`, `500ms`, `1m30s` (jiff's friendly format or ISO 8601).
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let d: jiff::SignedDuration = s.parse().map_err(|e| format!("{s:?} is not a duration like 10s: {e}"))?;
    match Duration::try_from(d) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("{s:?} must be a positive duration")),
    }
}

// ----- the objects -----

/// A stable hex digest (FNV-1a, 64 bit) for identifiers derived from names.
fn fnv64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A UUID-shaped identifier from a seed string (not random: the same seed gives the same id).
fn uuid_like(seed: &str) -> String {
    let (a, b) = (fnv64(&[seed, "a"]), fnv64(&[seed, "b"]));
    let hex = format!("{a:016x}{b:016x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// A boot id for an agent started now with process id `pid`.
pub fn new_boot_id(pid: u32, now: Timestamp) -> String {
    uuid_like(&format!("{pid}-{}", now.as_nanosecond()))
}

impl NodeConfig {
    fn meta(&self) -> ObjectMeta {
        ObjectMeta { name: Some(self.node_name.clone()), labels: Some(self.labels.clone()), ..Default::default() }
    }

    fn node_info(&self) -> NodeSystemInfo {
        let label = |k: &str, default: &str| self.labels.get(k).cloned().unwrap_or_else(|| default.to_string());
        let machine_id = uuid_like(&self.provider_id).replace('-', "");
        NodeSystemInfo {
            architecture: label(ARCH_LABEL, "amd64"),
            operating_system: label(OS_LABEL, "linux"),
            os_image: OS_IMAGE.to_string(),
            kernel_version: self.kernel_version.clone(),
            container_runtime_version: CONTAINER_RUNTIME_VERSION.to_string(),
            kubelet_version: self.kubelet_version.clone(),
            kube_proxy_version: String::new(),
            machine_id,
            system_uuid: uuid_like(&self.provider_id),
            boot_id: self.boot_id.clone(),
            swap: None,
        }
    }

    /// The Node this agent registers: labels, providerID, taints and the full status.
    pub fn node(&self, now: Timestamp) -> Node {
        Node {
            metadata: self.meta(),
            spec: Some(NodeSpec {
                provider_id: Some(self.provider_id.clone()),
                taints: (!self.taints.is_empty()).then(|| self.taints.clone()),
                ..Default::default()
            }),
            status: Some(self.status(None, now)),
        }
    }

    /// The status the agent reports, given the Node's current one: capacity = allocatable, node info, addresses,
    /// and its conditions with `lastHeartbeatTime` now and `lastTransitionTime` kept unless the status changes.
    pub fn status(&self, current: Option<&NodeStatus>, now: Timestamp) -> NodeStatus {
        let existing = current.and_then(|s| s.conditions.as_ref());
        let conditions = CONDITIONS
            .iter()
            .map(|(type_, status, reason, message)| {
                let before = existing.and_then(|cs| cs.iter().find(|c| c.type_ == *type_));
                let transition = match before {
                    Some(c) if c.status == *status && c.last_transition_time.is_some() => {
                        c.last_transition_time.clone()
                    }
                    _ => Some(Time(now)),
                };
                NodeCondition {
                    type_: type_.to_string(),
                    status: status.to_string(),
                    reason: Some(reason.to_string()),
                    message: Some(message.to_string()),
                    last_heartbeat_time: Some(Time(now)),
                    last_transition_time: transition,
                }
            })
            .collect();
        NodeStatus {
            capacity: Some(self.capacity.clone()),
            allocatable: Some(self.capacity.clone()),
            conditions: Some(conditions),
            addresses: Some(vec![
                NodeAddress { type_: "InternalIP".into(), address: "127.0.0.1".into() },
                NodeAddress { type_: "Hostname".into(), address: self.node_name.clone() },
            ]),
            node_info: Some(self.node_info()),
            ..Default::default()
        }
    }

    /// The strategic merge patch of `nodes/status` for a heartbeat on `current` (conditions merge by type, so
    /// conditions of others stay).
    pub fn status_patch(&self, current: &Node, now: Timestamp) -> serde_json::Value {
        serde_json::json!({ "status": self.status(current.status.as_ref(), now) })
    }

    /// The merge patch that takes an existing Node over: our labels (others stay) and providerID. Taints are
    /// only set at registration.
    pub fn takeover_patch(&self) -> serde_json::Value {
        serde_json::json!({
            "metadata": { "labels": self.labels },
            "spec": { "providerID": self.provider_id },
        })
    }

    /// The node Lease renewed now, owned by the Node (uid `node_uid`, when known).
    pub fn lease(&self, node_uid: Option<&str>, now: Timestamp) -> Lease {
        Lease {
            metadata: ObjectMeta {
                name: Some(self.node_name.clone()),
                namespace: Some(LEASE_NAMESPACE.to_string()),
                owner_references: node_uid.map(|uid| {
                    vec![OwnerReference {
                        api_version: "v1".into(),
                        kind: "Node".into(),
                        name: self.node_name.clone(),
                        uid: uid.to_string(),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(self.node_name.clone()),
                lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
                renew_time: Some(MicroTime(now)),
                ..Default::default()
            }),
        }
    }
}

/// The status of the Node's Ready condition, if it has one.
pub fn ready_status(node: &Node) -> Option<&str> {
    node.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "Ready").map(|c| c.status.as_str())
}

// ----- the loop -----

/// Exponential backoff with jitter: `base`, doubling up to `cap`, each wait ±20 %.
#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    next: Duration,
    seed: u64,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration, seed: u64) -> Self {
        Backoff { base, cap: cap.max(base), next: base, seed: seed | 1 }
    }

    /// The next wait.
    pub fn next_wait(&mut self) -> Duration {
        // xorshift64: cheap jitter, so many agents do not retry in lockstep after an API outage.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let factor = 0.8 + (self.seed % 1000) as f64 / 2500.0;
        let wait = self.next.mul_f64(factor);
        self.next = (self.next * 2).min(self.cap);
        wait
    }

    pub fn reset(&mut self) {
        self.next = self.base;
    }
}

struct Agent {
    cfg: NodeConfig,
    kubeconfig: PathBuf,
    client: Option<Client>,
    /// Whether this agent registered or took over its Node already (then an existing Node only gets heartbeats).
    registered: bool,
}

fn post_params() -> PostParams {
    PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() }
}

fn patch_params() -> PatchParams {
    PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() }
}

impl Agent {
    async fn client(&mut self) -> anyhow::Result<Client> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let path = self.kubeconfig.to_string_lossy();
        let client = component_base::kube_client(&path)
            .await
            .map_err(|e| anyhow::anyhow!("failed to load the kubeconfig {path}: {e}"))?;
        self.client = Some(client.clone());
        Ok(client)
    }

    /// One heartbeat (the first one registers or takes over the Node).
    async fn sync(&mut self) -> anyhow::Result<()> {
        let client = self.client().await?;
        let result = self.sync_with(client).await;
        if let Err(e) = &result {
            if is_status(e, 401) {
                // The token may have been replaced in the kubeconfig: read it again next time.
                self.client = None;
            }
        }
        Ok(result?)
    }

    async fn sync_with(&mut self, client: Client) -> Result<(), kube::Error> {
        let nodes: Api<Node> = Api::all(client.clone());
        let name = self.cfg.node_name.clone();
        let now = Timestamp::now();
        let node = match nodes.get_opt(&name).await? {
            None => {
                let created = nodes.create(&post_params(), &self.cfg.node(now)).await?;
                if self.registered {
                    warn!(node = %name, "the Node was deleted; registered it again");
                } else {
                    info!(node = %name, "registered the Node");
                }
                self.registered = true;
                // The API server keeps no status from a create: report it.
                nodes
                    .patch_status(&name, &patch_params(), &Patch::Strategic(self.cfg.status_patch(&created, now)))
                    .await?
            }
            Some(existing) => {
                let existing = if self.registered {
                    existing
                } else {
                    let patched = match nodes
                        .patch(&name, &patch_params(), &Patch::Merge(self.cfg.takeover_patch()))
                        .await
                    {
                        Ok(n) => n,
                        // Refused for good (e.g. a providerID that may not change): keep the Node as it is.
                        Err(e) if is_status(&e, 422) => {
                            warn!(node = %name, error = %e, "cannot update the existing Node's labels and providerID");
                            existing
                        }
                        Err(e) => return Err(e),
                    };
                    info!(node = %name, "took over the existing Node");
                    self.registered = true;
                    patched
                };
                match ready_status(&existing) {
                    Some("True") => {}
                    other => info!(node = %name, ready = other.unwrap_or("none"), "setting the Node Ready again"),
                }
                let patch = Patch::Strategic(self.cfg.status_patch(&existing, now));
                nodes.patch_status(&name, &patch_params(), &patch).await?
            }
        };
        self.renew_lease(client, node.metadata.uid.as_deref(), now).await?;
        debug!(node = %name, "heartbeat");
        Ok(())
    }

    async fn renew_lease(&self, client: Client, node_uid: Option<&str>, now: Timestamp) -> Result<(), kube::Error> {
        let leases: Api<Lease> = Api::namespaced(client, LEASE_NAMESPACE);
        let lease = self.cfg.lease(node_uid, now);
        match leases.patch(&self.cfg.node_name, &patch_params(), &Patch::Merge(&lease)).await {
            Ok(_) => Ok(()),
            Err(e) if is_status(&e, 404) => match leases.create(&post_params(), &lease).await {
                // Created concurrently: the next heartbeat renews it.
                Ok(_) => Ok(()),
                Err(e) if is_status(&e, 409) => Ok(()),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}

/// Heartbeats forever: every interval after a success, after a backoff (up to one interval) after a failure.
async fn heartbeats(mut agent: Agent) -> Infallible {
    let interval = agent.cfg.heartbeat_interval;
    // A hanging call must not stall the heartbeats for longer than this.
    let call_timeout = interval.max(Duration::from_secs(15));
    let seed = fnv64(&[&agent.cfg.node_name, &std::process::id().to_string()]);
    let mut backoff = Backoff::new(Duration::from_millis(500).min(interval), interval, seed);
    let mut failing = false;
    loop {
        let started = tokio::time::Instant::now();
        let result = match tokio::time::timeout(call_timeout, agent.sync()).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!("the heartbeat did not complete within {call_timeout:?}")),
        };
        match result {
            Ok(()) => {
                if failing {
                    info!(node = %agent.cfg.node_name, "heartbeats succeed again");
                    failing = false;
                }
                backoff.reset();
                tokio::time::sleep_until(started + interval).await;
            }
            Err(e) => {
                let wait = backoff.next_wait();
                warn!(node = %agent.cfg.node_name, error = %format!("{e:#}"), retry_in = ?wait, "heartbeat failed");
                failing = true;
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// The host's kernel release (`status.nodeInfo.kernelVersion`).
fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// Runs the agent until SIGTERM or SIGINT (then returns Ok: the Node is left in place).
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut cfg = args.node_config();
    cfg.kernel_version = kernel_release();
    cfg.boot_id = new_boot_id(std::process::id(), Timestamp::now());
    info!(
        node = %cfg.node_name,
        provider_id = %cfg.provider_id,
        heartbeat_interval = ?cfg.heartbeat_interval,
        kubeconfig = %args.kubeconfig.display(),
        "starting the local node agent"
    );
    let agent = Agent { cfg, kubeconfig: args.kubeconfig, client: None, registered: false };
    tokio::select! {
        () = component_base::shutdown_signal() => {
            info!("stopped; the Node stays (the machine controller deletes Nodes)");
            Ok(())
        }
        never = heartbeats(agent) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        let base =
            ["local-node", "--kubeconfig", "/m/kubeconfig", "--node-name", "n1", "--provider-id", "local:///ns/m1"];
        Args::try_parse_from(base.iter().chain(extra))
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn flags_have_defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.heartbeat_interval, Duration::from_secs(10));
        assert_eq!(a.kubelet_version, "v1.33.2");
        assert!(a.labels.is_empty() && a.taints.is_empty() && a.capacity.is_empty() && a.tags.is_empty());
        let cfg = a.node_config();
        assert_eq!(
            cfg.labels,
            BTreeMap::from([
                ("kubernetes.io/arch".to_string(), "amd64".to_string()),
                ("kubernetes.io/hostname".to_string(), "n1".to_string()),
                ("kubernetes.io/os".to_string(), "linux".to_string()),
            ])
        );
        let cap: Vec<(&str, &str)> = cfg.capacity.iter().map(|(k, v)| (k.as_str(), v.0.as_str())).collect();
        assert_eq!(cap, vec![("cpu", "2"), ("memory", "4Gi"), ("pods", "110")]);
    }

    #[test]
    fn flags_parse_like_the_machine_driver_writes_them() {
        let a = parse(&[
            "--labels=worker.gardener.cloud/pool=pool,kubernetes.io/arch=arm64,node-role.kubernetes.io/worker=",
            "--labels",
            "topology.kubernetes.io/zone=0",
            "--taints=k=v:NoSchedule,dedicated:NoExecute,x=:PreferNoSchedule",
            "--capacity=cpu=4,memory=8Gi,ephemeral-storage=20G,nvidia.com/gpu=1",
            "--heartbeat-interval",
            "500ms",
            "--kubelet-version=v1.32.1",
            "--tag=owner=/state/dir",
            "--tag",
            "shoot=shoot--dev--local",
            "--tag=machine=shoot--dev--local-worker-z1-abcde",
            "--log-format=json",
        ])
        .unwrap();
        assert_eq!(a.heartbeat_interval, Duration::from_millis(500));
        assert_eq!(
            a.tags,
            vec!["owner=/state/dir", "shoot=shoot--dev--local", "machine=shoot--dev--local-worker-z1-abcde"]
        );
        assert_eq!(a.log_format, component_base::LogFormat::Json);
        let cfg = a.node_config();
        assert_eq!(cfg.kubelet_version, "v1.32.1");
        // Given labels win over the defaults.
        assert_eq!(cfg.labels["kubernetes.io/arch"], "arm64");
        assert_eq!(cfg.labels["kubernetes.io/hostname"], "n1");
        assert_eq!(cfg.labels["worker.gardener.cloud/pool"], "pool");
        assert_eq!(cfg.labels["node-role.kubernetes.io/worker"], "");
        assert_eq!(cfg.labels["topology.kubernetes.io/zone"], "0");
        let taints: Vec<(&str, Option<&str>, &str)> =
            cfg.taints.iter().map(|t| (t.key.as_str(), t.value.as_deref(), t.effect.as_str())).collect();
        assert_eq!(
            taints,
            vec![("k", Some("v"), "NoSchedule"), ("dedicated", None, "NoExecute"), ("x", None, "PreferNoSchedule")]
        );
        let cap: Vec<(&str, &str)> = cfg.capacity.iter().map(|(k, v)| (k.as_str(), v.0.as_str())).collect();
        assert_eq!(
            cap,
            vec![
                ("cpu", "4"),
                ("ephemeral-storage", "20G"),
                ("memory", "8Gi"),
                ("nvidia.com/gpu", "1"),
                ("pods", "110")
            ]
        );
    }

    #[test]
    fn bad_flags_are_refused() {
        for bad in [
            &["--labels=novalue"][..],
            &["--labels=Bad Key=v"],
            &["--labels=k=" /* ok */, "--labels=k=-bad"],
            &["--taints=k=v"],
            &["--taints=k=v:Sometimes"],
            &["--taints=:NoSchedule"],
            &["--capacity=cpu"],
            &["--capacity=cpu=two"],
            &["--capacity=memory=4GiB"],
            &["--heartbeat-interval=0s"],
            &["--heartbeat-interval=often"],
            &["--log-format=xml"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let missing = Args::try_parse_from(["local-node", "--kubeconfig", "k", "--node-name", "n"]);
        assert!(missing.is_err(), "--provider-id is required");
        assert!(parse_node_name("Node_1").is_err() && parse_node_name("node-1.example").is_ok());
        assert!(parse_provider_id("local:///ns/m").is_ok() && parse_provider_id("m1").is_err());
        for q in ["1", "500m", "4Gi", "1.5", "20G", "1e3", "0.5Ki", "110"] {
            assert!(is_quantity(q), "{q}");
        }
        for q in ["", "Gi", ".", "1..2", "4GiB", "1x", "1e"] {
            assert!(!is_quantity(q), "{q}");
        }
        assert_eq!(parse_interval("1m30s").unwrap(), Duration::from_secs(90));
    }

    #[test]
    fn the_help_documents_every_flag() {
        use clap::CommandFactory;
        let help = Args::command().render_long_help().to_string();
        for flag in [
            "--kubeconfig",
            "--node-name",
            "--provider-id",
            "--labels",
            "--taints",
            "--capacity",
            "--heartbeat-interval",
            "--kubelet-version",
            "--tag",
            "--log-format",
        ] {
            assert!(help.contains(flag), "{flag} in\n{help}");
        }
    }

    fn config() -> NodeConfig {
        let mut cfg = parse(&["--labels=pool=a", "--taints=k=v:NoSchedule", "--capacity=cpu=4"]).unwrap().node_config();
        cfg.kernel_version = "6.1.0".into();
        cfg.boot_id = "boot".into();
        cfg
    }

    #[test]
    fn the_registered_node_is_built_from_the_flags() {
        let now = ts("2026-01-02T03:04:05Z");
        let node = serde_json::to_value(config().node(now)).unwrap();
        assert_eq!(node["metadata"]["name"], "n1");
        assert_eq!(node["metadata"]["labels"]["pool"], "a");
        assert_eq!(node["metadata"]["labels"]["kubernetes.io/hostname"], "n1");
        assert_eq!(node["spec"]["providerID"], "local:///ns/m1");
        assert_eq!(node["spec"]["taints"], serde_json::json!([{"key": "k", "value": "v", "effect": "NoSchedule"}]));
        let status = &node["status"];
        assert_eq!(status["capacity"], serde_json::json!({"cpu": "4", "memory": "4Gi", "pods": "110"}));
        assert_eq!(status["allocatable"], status["capacity"]);
        assert_eq!(status["nodeInfo"]["kubeletVersion"], "v1.33.2");
        assert_eq!(status["nodeInfo"]["osImage"], "garden local-node");
        assert_eq!(status["nodeInfo"]["containerRuntimeVersion"], "none://");
        assert_eq!(status["nodeInfo"]["operatingSystem"], "linux");
        assert_eq!(status["nodeInfo"]["architecture"], "amd64");
        assert_eq!(status["nodeInfo"]["kernelVersion"], "6.1.0");
        assert_eq!(status["nodeInfo"]["bootID"], "boot");
        assert_eq!(status["nodeInfo"]["systemUUID"].as_str().unwrap().len(), 36);
        assert_eq!(
            status["addresses"],
            serde_json::json!([{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "n1"}])
        );
        let conditions = status["conditions"].as_array().unwrap();
        let find = |t: &str| conditions.iter().find(|c| c["type"] == t).unwrap();
        assert_eq!(find("Ready")["status"], "True");
        assert_eq!(find("Ready")["reason"], "KubeletReady");
        for t in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
            assert_eq!(find(t)["status"], "False", "{t}");
        }
        for c in conditions {
            assert_eq!(c["lastHeartbeatTime"], "2026-01-02T03:04:05Z");
            assert_eq!(c["lastTransitionTime"], "2026-01-02T03:04:05Z");
        }
    }

    #[test]
    fn heartbeats_keep_transition_times_and_bring_ready_back() {
        let cfg = config();
        let t0 = ts("2026-01-02T03:04:05Z");
        let t1 = ts("2026-01-02T03:04:15Z");
        let mut node = cfg.node(t0);
        // Someone (a node lifecycle controller) set Ready to Unknown and added a condition of its own.
        let conditions = node.status.as_mut().unwrap().conditions.as_mut().unwrap();
        let ready = conditions.iter_mut().find(|c| c.type_ == "Ready").unwrap();
        ready.status = "Unknown".into();
        ready.reason = Some("NodeStatusUnknown".into());
        conditions.push(NodeCondition {
            type_: "NetworkUnavailable".into(),
            status: "False".into(),
            ..Default::default()
        });
        assert_eq!(ready_status(&node), Some("Unknown"));
        let patch = cfg.status_patch(&node, t1);
        let conditions = patch["status"]["conditions"].as_array().unwrap();
        assert_eq!(conditions.len(), 4, "only the agent's own conditions (merged by type on the server)");
        for c in conditions {
            assert_eq!(c["lastHeartbeatTime"], "2026-01-02T03:04:15Z");
            let expect_transition = if c["type"] == "Ready" { "2026-01-02T03:04:15Z" } else { "2026-01-02T03:04:05Z" };
            assert_eq!(c["lastTransitionTime"], expect_transition, "{}", c["type"]);
        }
        let ready = conditions.iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!((ready["status"].as_str(), ready["reason"].as_str()), (Some("True"), Some("KubeletReady")));
        assert_eq!(patch["status"]["capacity"]["cpu"], "4");
    }

    #[test]
    fn takeover_sets_labels_and_provider_id_but_no_taints() {
        let patch = config().takeover_patch();
        assert_eq!(patch["spec"], serde_json::json!({"providerID": "local:///ns/m1"}));
        assert_eq!(patch["metadata"]["labels"]["pool"], "a");
        assert_eq!(patch["metadata"]["labels"]["kubernetes.io/os"], "linux");
    }

    #[test]
    fn the_lease_is_held_by_the_node() {
        let now = ts("2026-01-02T03:04:05.123456Z");
        let lease = serde_json::to_value(config().lease(Some("uid-1"), now)).unwrap();
        assert_eq!(lease["metadata"]["name"], "n1");
        assert_eq!(lease["metadata"]["namespace"], "kube-node-lease");
        assert_eq!(
            lease["metadata"]["ownerReferences"],
            serde_json::json!([{"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "uid-1"}])
        );
        assert_eq!(lease["spec"]["holderIdentity"], "n1");
        assert_eq!(lease["spec"]["leaseDurationSeconds"], 40);
        assert_eq!(lease["spec"]["renewTime"], "2026-01-02T03:04:05.123456Z");
        let lease = serde_json::to_value(config().lease(None, now)).unwrap();
        assert!(lease["metadata"].get("ownerReferences").is_none());
    }

    #[test]
    fn ids_are_stable_per_machine_and_boot_ids_per_start() {
        let a = config().node(ts("2026-01-02T03:04:05Z")).status.unwrap().node_info.unwrap();
        let b = config().node(ts("2026-01-03T03:04:05Z")).status.unwrap().node_info.unwrap();
        assert_eq!(a.system_uuid, b.system_uuid);
        assert_eq!(a.machine_id.len(), 32);
        assert_ne!(new_boot_id(1, ts("2026-01-02T03:04:05Z")), new_boot_id(1, ts("2026-01-02T03:04:06Z")));
    }

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(10), 42);
        let waits: Vec<Duration> = (0..8).map(|_| b.next_wait()).collect();
        for (i, w) in waits.iter().enumerate() {
            let nominal = Duration::from_millis(500 * (1 << i)).min(Duration::from_secs(10));
            assert!(*w >= nominal.mul_f64(0.79) && *w <= nominal.mul_f64(1.21), "{i}: {w:?} vs {nominal:?}");
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(605));
    }
}
