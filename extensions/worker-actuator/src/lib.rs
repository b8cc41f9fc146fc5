//! The Worker actuator every provider extension shares (Gardener's generic actuator): each pool x zone of a
//! `Worker` becomes a MachineClass and a MachineDeployment in the shoot's seed namespace (Gardener's naming:
//! deployment `<namespace>-<pool>-z<n>`, class `<deployment>-<hash of what makes a machine>`, so a change of
//! machine type, image or Kubernetes version yields a new class and the deployment rolls). Replicas stay where
//! they are within the pool's minimum and maximum (split over the zones like Gardener's), so scaling by hand or
//! by an autoscaler survives reconciles. The Worker reports its deployments and `N/M machines Running`, and
//! `Succeeded` once every deployment has all its machines available and no old ones. Deleting the Worker
//! deletes the deployments, waits until their machines (and VMs) are gone, then deletes the classes.
//!
//! A provider brings a [`Delegate`]: the class's `providerSpec` for a pool in a zone (image, network, ...) and
//! the Worker's `status.providerStatus`.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use garden_api::core::v1beta1::CloudProfile;
use garden_api::extensions::v1alpha1::{Cluster, Worker, WorkerPool};
use garden_api::machine::v1alpha1::{Machine, MachineClass, MachineDeployment, MachineSet};
use garden_api::provider::ProviderKind;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::runtime::{watcher, Controller};
use kube::{Client, Resource, ResourceExt};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

/// Label on the machine objects of a Worker.
pub const WORKER_LABEL: &str = "worker.gardener.cloud/name";
/// Label on a node (and its machine objects) naming its pool.
pub const POOL_LABEL: &str = "worker.gardener.cloud/pool";

/// A reconcile failure (the Worker is retried).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API call failed: {0}")]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Invalid(String),
}

/// The CloudProfile's `providerConfig` decoded as the provider's `CloudProfileConfig` (`what` says what the
/// provider needs from it, for the error).
pub fn cloud_profile_config<T: ProviderKind>(profile: &CloudProfile, what: &str) -> Result<T, Error> {
    let raw =
        profile.spec.provider_config.as_ref().ok_or_else(|| {
            Error::Invalid(format!("CloudProfile {} has no providerConfig ({what})", profile.name_any()))
        })?;
    garden_api::provider::decode(raw, "spec.providerConfig")
        .map_err(|e| Error::Invalid(format!("CloudProfile {}: {}: {}", profile.name_any(), e.field, e.message)))
}

/// The Worker's `infrastructureProviderStatus` decoded as the provider's `InfrastructureStatus`.
pub fn infrastructure_status<T: ProviderKind>(worker: &Worker) -> Result<T, Error> {
    let raw = worker.spec.infrastructure_provider_status.as_ref().ok_or_else(|| {
        Error::Invalid("the Worker has no infrastructureProviderStatus (the Infrastructure is not ready yet)".into())
    })?;
    garden_api::provider::decode(raw, "spec.infrastructureProviderStatus")
        .map_err(|e| Error::Invalid(format!("{}: {}", e.field, e.message)))
}

/// The pool's `providerConfig` decoded as the provider's `WorkerConfig` (its default when the pool has none).
pub fn pool_config<T: ProviderKind + Default>(pool: &WorkerPool) -> Result<T, Error> {
    match &pool.provider_config {
        Some(raw) => garden_api::provider::decode(raw, "providerConfig")
            .map_err(|e| Error::Invalid(format!("pool {}: {}: {}", pool.name, e.field, e.message))),
        None => Ok(T::default()),
    }
}

/// The pool's CPU architecture (`amd64` when it names none).
pub fn architecture(pool: &WorkerPool) -> &str {
    pool.architecture.as_deref().unwrap_or(garden_api::core::v1beta1::ARCH_AMD64)
}

/// What a provider adds to the generic actuator.
pub trait Delegate: Send + Sync + 'static {
    /// The `spec.type` of the Workers it handles (`local`, `aws`); also names the finalizer
    /// `extensions.gardener.cloud/<type>`.
    fn worker_type(&self) -> &'static str;
    /// The MachineClass `provider` (the machine driver's name).
    fn class_provider(&self) -> &'static str;
    /// The MachineClass `providerSpec` of `pool`'s machines in `zone`. An [`Error::Invalid`] is reported on the
    /// Worker (a configuration problem), not retried quickly.
    fn provider_spec(
        &self,
        worker: &Worker,
        pool: &WorkerPool,
        zone: &str,
        profile: &CloudProfile,
    ) -> Result<Value, Error>;
    /// The Worker's `status.providerStatus` (for example the images its machines use).
    fn provider_status(&self, _worker: &Worker, _profile: &CloudProfile) -> Result<Option<Value>, Error> {
        Ok(None)
    }
}

/// What the actuator shares between reconciles.
pub struct Ctx {
    pub client: Client,
    pub delegate: Arc<dyn Delegate>,
}

fn finalizer(delegate: &dyn Delegate) -> String {
    format!("extensions.gardener.cloud/{}", delegate.worker_type())
}

/// Runs the actuator until SIGTERM/SIGINT; `ready` turns true once its caches are synced.
pub async fn run(client: Client, delegate: Arc<dyn Delegate>, ready: Arc<std::sync::atomic::AtomicBool>) {
    let controller = Controller::new(Api::<Worker>::all(client.clone()), watcher::Config::default())
        .owns(Api::<MachineDeployment>::all(client.clone()), watcher::Config::default());
    let store = controller.store();
    tokio::spawn(async move {
        if store.wait_until_ready().await.is_ok() {
            ready.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let run = controller
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Ctx { client, delegate }))
        .for_each(|_| futures::future::ready(()));
    // Bounded: in-flight reconciles against an unreachable API must not hold up a stop.
    component_base::run_until_signalled(run).await;
}

/// One pool in one zone, as machine objects.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredDeployment {
    pub class: MachineClass,
    pub deployment: MachineDeployment,
    pub minimum: i32,
    pub maximum: i32,
}

/// Gardener's split of a pool-wide number over its zones: zone `i` of `n` gets `value / n`, plus one of the
/// remainder for the first zones.
pub fn distribute(value: i32, zones: usize, i: usize) -> i32 {
    let n = i32::try_from(zones.max(1)).unwrap_or(1);
    let i = i32::try_from(i).unwrap_or(0);
    value / n + i32::from(i < value % n)
}

fn distribute_int_or_percent(v: Option<&IntOrString>, zones: usize, i: usize) -> Option<IntOrString> {
    match v? {
        IntOrString::Int(x) => Some(IntOrString::Int(distribute(*x, zones, i))),
        s @ IntOrString::String(_) => Some(s.clone()),
    }
}

fn short_hash(v: &Value) -> String {
    let digest = Sha256::digest(serde_json::to_vec(v).unwrap_or_default());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

fn owner(worker: &Worker) -> OwnerReference {
    OwnerReference {
        api_version: Worker::api_version(&()).into_owned(),
        kind: Worker::kind(&()).into_owned(),
        name: worker.name_any(),
        uid: worker.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The machine objects `worker` asks for, given its shoot's CloudProfile.
pub fn desired(
    worker: &Worker,
    profile: &CloudProfile,
    delegate: &dyn Delegate,
) -> Result<Vec<DesiredDeployment>, Error> {
    let ns = worker.namespace().unwrap_or_default();
    let mut out = Vec::new();
    for pool in &worker.spec.pools {
        let machine_type =
            profile.spec.machine_types.iter().find(|m| m.name == pool.machine_type).ok_or_else(|| {
                Error::Invalid(format!(
                    "pool {}: machine type {:?} is not in CloudProfile {}",
                    pool.name,
                    pool.machine_type,
                    profile.name_any()
                ))
            })?;
        let user_data = pool
            .user_data_secret_ref
            .as_ref()
            .ok_or_else(|| Error::Invalid(format!("pool {}: no userDataSecretRef", pool.name)))?;
        let zones: Vec<String> = if pool.zones.is_empty() { vec![String::new()] } else { pool.zones.clone() };
        for (i, zone) in zones.iter().enumerate() {
            let name = format!("{ns}-{}-z{}", pool.name, i + 1);
            let provider_spec = delegate.provider_spec(worker, pool, zone, profile)?;
            let zone = Zone { name: zone, index: i, count: zones.len() };
            out.push(desired_deployment(
                worker,
                pool,
                &name,
                &zone,
                machine_type,
                &user_data.name,
                provider_spec,
                delegate,
            )?);
        }
    }
    Ok(out)
}

/// A zone of a pool: its name, and its place among the pool's zones.
struct Zone<'a> {
    name: &'a str,
    index: usize,
    count: usize,
}

#[allow(clippy::too_many_arguments)]
fn desired_deployment(
    worker: &Worker,
    pool: &WorkerPool,
    name: &str,
    zone: &Zone<'_>,
    machine_type: &garden_api::core::v1beta1::MachineType,
    user_data_secret: &str,
    provider_spec: Value,
    delegate: &dyn Delegate,
) -> Result<DesiredDeployment, Error> {
    let (zone_index, zones) = (zone.index, zone.count);
    let ns = worker.namespace().unwrap_or_default();
    let version = pool.kubernetes_version.clone().unwrap_or_default();
    let mut capacity = json!({"cpu": machine_type.cpu.0, "memory": machine_type.memory.0, "pods": "110"});
    if machine_type.gpu.0 != "0" && !machine_type.gpu.0.is_empty() {
        capacity["nvidia.com/gpu"] = json!(machine_type.gpu.0);
    }
    let node_template = json!({
        "capacity": capacity,
        "instanceType": pool.machine_type,
        "region": worker.spec.region,
        "zone": zone.name,
        "architecture": pool.architecture.clone().unwrap_or_else(|| "amd64".into()),
    });
    let mut node_labels: BTreeMap<String, String> = pool.labels.clone();
    node_labels.insert(POOL_LABEL.into(), pool.name.clone());
    node_labels.insert("worker.gardener.cloud/image-name".into(), pool.machine_image.name.clone());
    node_labels.insert("worker.gardener.cloud/image-version".into(), pool.machine_image.version.clone());
    node_labels.insert("worker.gardener.cloud/kubernetes-version".into(), version.clone());
    node_labels.insert("node.kubernetes.io/role".into(), "node".into());
    // What makes a machine: a change here replaces the machines (a new class name rolls the deployment).
    let identity = json!({"nodeTemplate": node_template, "providerSpec": provider_spec, "userData": user_data_secret,
        "labels": node_labels, "taints": pool.taints, "volume": pool.volume});
    let class_name = format!("{name}-{}", short_hash(&identity));
    let labels = json!({WORKER_LABEL: worker.name_any(), POOL_LABEL: pool.name});
    let class: MachineClass = serde_json::from_value(json!({
        "apiVersion": "machine.sapcloud.io/v1alpha1",
        "kind": "MachineClass",
        "metadata": {"name": class_name, "namespace": ns, "labels": labels},
        "nodeTemplate": node_template,
        "providerSpec": provider_spec,
        "provider": delegate.class_provider(),
        "secretRef": {"name": user_data_secret, "namespace": ns},
        "credentialsSecretRef": {"name": worker.spec.secret_ref.name, "namespace": worker.spec.secret_ref.namespace.clone().unwrap_or_else(|| ns.clone())},
    }))
    .map_err(|e| Error::Invalid(format!("machine class of pool {}: {e}", pool.name)))?;
    let settings = pool.machine_controller_manager.clone().unwrap_or_default();
    let (max_surge, max_unavailable) = rolling_update(pool, zones, zone_index);
    let minimum = distribute(pool.minimum, zones, zone_index);
    let maximum = distribute(pool.maximum, zones, zone_index);
    let mut deployment: MachineDeployment = serde_json::from_value(json!({
        "apiVersion": "machine.sapcloud.io/v1alpha1",
        "kind": "MachineDeployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": minimum,
            "minReadySeconds": 0,
            "selector": {"matchLabels": {"name": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                "maxSurge": max_surge,
                "maxUnavailable": max_unavailable,
            }},
            "template": {
                "metadata": {"labels": {"name": name, WORKER_LABEL: worker.name_any(), POOL_LABEL: pool.name}},
                "spec": {
                    "class": {"kind": "MachineClass", "name": class_name},
                    "nodeTemplate": {"metadata": {"labels": node_labels}, "spec": {"taints": pool.taints}},
                    "creationTimeout": settings.machine_creation_timeout,
                    "healthTimeout": settings.machine_health_timeout,
                    "drainTimeout": settings.machine_drain_timeout,
                    "maxEvictRetries": settings.max_evict_retries,
                },
            },
        },
    }))
    .map_err(|e| Error::Invalid(format!("machine deployment of pool {}: {e}", pool.name)))?;
    deployment.metadata.owner_references = Some(vec![owner(worker)]);
    Ok(DesiredDeployment { class, deployment, minimum, maximum })
}

/// The pool's maxSurge and maxUnavailable for zone `i` of `zones` (numbers split like the bounds). A zone whose
/// shares are both 0 (maxSurge 1 over 2 zones, maxUnavailable 0) could never roll: it surges by one.
fn rolling_update(pool: &WorkerPool, zones: usize, i: usize) -> (IntOrString, IntOrString) {
    let surge = distribute_int_or_percent(pool.max_surge.as_ref(), zones, i).unwrap_or(IntOrString::Int(1));
    let unavailable = distribute_int_or_percent(pool.max_unavailable.as_ref(), zones, i).unwrap_or(IntOrString::Int(0));
    match (&surge, &unavailable) {
        (IntOrString::Int(0), IntOrString::Int(0)) => (IntOrString::Int(1), unavailable),
        _ => (surge, unavailable),
    }
}

/// Replicas for a deployment: what it has now, within the pool's bounds in this zone.
pub fn replicas(current: Option<i32>, minimum: i32, maximum: i32) -> i32 {
    current.unwrap_or(minimum).clamp(minimum, maximum.max(minimum))
}

async fn cloud_profile(client: &Client, namespace: &str) -> Result<CloudProfile, Error> {
    let clusters: Api<Cluster> = Api::all(client.clone());
    let cluster = clusters
        .get_opt(namespace)
        .await?
        .ok_or_else(|| Error::Invalid(format!("Cluster {namespace} does not exist yet")))?;
    cluster
        .cloud_profile()
        .map_err(|e| Error::Invalid(format!("the CloudProfile in Cluster {namespace} is invalid: {e}")))
}

async fn write_status(
    api: &Api<Worker>,
    worker: &Worker,
    state: &str,
    description: &str,
    extra: Value,
) -> Result<(), kube::Error> {
    let mut status = json!({"lastOperation": {"type": if worker.metadata.deletion_timestamp.is_some() { "Delete" } else { "Reconcile" },
        "state": state, "description": description, "progress": if state == "Succeeded" { 100 } else { 50 },
        "lastUpdateTime": jiff::Timestamp::now().to_string()}});
    if let (Value::Object(s), Value::Object(e)) = (&mut status, extra) {
        s.extend(e);
    }
    let old = worker.status.as_ref().and_then(|s| s.last_operation.as_ref());
    if old.is_some_and(|o| o.state == state && o.description == description)
        && status.get("observedGeneration").is_none()
    {
        return Ok(());
    }
    api.patch_status(&worker.name_any(), &PatchParams::default(), &Patch::Merge(&json!({"status": status})))
        .await
        .map(|_| ())
}

/// Reconciles one Worker of the delegate's type.
pub async fn reconcile(worker: Arc<Worker>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let delegate = ctx.delegate.as_ref();
    if worker.spec.type_ != delegate.worker_type() {
        return Ok(Action::await_change());
    }
    let finalizer_name = finalizer(delegate);
    let finalizer_name = finalizer_name.as_str();
    let ns = worker.namespace().unwrap_or_default();
    let workers: Api<Worker> = Api::namespaced(ctx.client.clone(), &ns);
    let mds: Api<MachineDeployment> = Api::namespaced(ctx.client.clone(), &ns);
    let classes: Api<MachineClass> = Api::namespaced(ctx.client.clone(), &ns);
    let selector = ListParams::default().labels(&format!("{WORKER_LABEL}={}", worker.name_any()));
    let finalizers = worker.metadata.finalizers.clone().unwrap_or_default();

    if worker.metadata.deletion_timestamp.is_some() {
        if !finalizers.iter().any(|f| f == finalizer_name) {
            return Ok(Action::await_change());
        }
        let existing = mds.list(&selector).await?.items;
        for md in existing.iter().filter(|m| m.metadata.deletion_timestamp.is_none()) {
            component_base::api::delete_if_exists(&mds, &md.name_any()).await?;
        }
        if !existing.is_empty() {
            let machines = Api::<Machine>::namespaced(ctx.client.clone(), &ns).list(&selector).await?.items.len();
            let msg = format!("Waiting until {machines} machines are deleted");
            write_status(&workers, &worker, "Processing", &msg, json!({})).await?;
            return Ok(Action::requeue(Duration::from_secs(2)));
        }
        for c in classes.list(&selector).await?.items {
            component_base::api::delete_if_exists(&classes, &c.name_any()).await?;
        }
        let rest: Vec<String> = finalizers.into_iter().filter(|f| f != finalizer_name).collect();
        let patch = json!({"metadata": {"finalizers": rest, "resourceVersion": worker.resource_version()}});
        workers.patch(&worker.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
        info!(namespace = %ns, worker = %worker.name_any(), "worker deleted");
        return Ok(Action::await_change());
    }
    if !finalizers.iter().any(|f| f == finalizer_name) {
        let mut with = finalizers;
        with.push(finalizer_name.into());
        let patch = json!({"metadata": {"finalizers": with, "resourceVersion": worker.resource_version()}});
        workers.patch(&worker.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
        return Ok(Action::await_change());
    }

    let planned = cloud_profile(&ctx.client, &ns).await.and_then(|p| {
        let status = delegate.provider_status(&worker, &p)?;
        Ok((desired(&worker, &p, delegate)?, status))
    });
    let (desired, provider_status) = match planned {
        Ok(d) => d,
        Err(Error::Invalid(msg)) => {
            write_status(&workers, &worker, "Error", &msg, json!({})).await?;
            return Ok(Action::requeue(Duration::from_secs(10)));
        }
        Err(e) => return Err(e),
    };
    for d in &desired {
        apply_class(&classes, &d.class).await?;
        apply_deployment(&mds, d).await?;
    }
    // Deployments of pools or zones that are gone.
    let wanted: BTreeSet<String> = desired.iter().map(|d| d.deployment.name_any()).collect();
    let existing = mds.list(&selector).await?.items;
    for md in existing.iter().filter(|m| !wanted.contains(&m.name_any()) && m.metadata.deletion_timestamp.is_none()) {
        info!(namespace = %ns, deployment = %md.name_any(), "deleting machine deployment of a removed pool");
        component_base::api::delete_if_exists(&mds, &md.name_any()).await?;
    }
    // Classes nothing uses any more (old machines of a rollout still need theirs).
    let machines = Api::<Machine>::namespaced(ctx.client.clone(), &ns).list(&selector).await?.items;
    let sets = Api::<MachineSet>::namespaced(ctx.client.clone(), &ns).list(&ListParams::default()).await?.items;
    let mut used: BTreeSet<String> = desired.iter().map(|d| d.class.name_any()).collect();
    used.extend(machines.iter().map(|m| m.spec.class.name.clone()));
    used.extend(sets.iter().map(|s| s.spec.template.spec.class.name.clone()));
    for c in classes.list(&selector).await?.items.iter().filter(|c| !used.contains(&c.name_any())) {
        component_base::api::delete_if_exists(&classes, &c.name_any()).await?;
    }

    // Readiness.
    let current: BTreeMap<String, MachineDeployment> =
        mds.list(&selector).await?.items.into_iter().map(|m| (m.name_any(), m)).collect();
    let mut want_total = 0;
    let mut running = 0;
    let mut ready = existing.len() == desired.len();
    for d in &desired {
        let Some(md) = current.get(&d.deployment.name_any()) else {
            ready = false;
            continue;
        };
        let st = md.status.clone().unwrap_or_default();
        let want = md.spec.replicas;
        want_total += want;
        running += st.ready_replicas.min(want);
        let settled = st.observed_generation >= md.metadata.generation.unwrap_or(0)
            && st.updated_replicas == want
            && st.available_replicas == want
            && st.replicas == want;
        ready &= settled;
    }
    let old_machines = machines.iter().any(|m| !desired.iter().any(|d| d.class.name_any() == m.spec.class.name));
    ready &= !old_machines;
    let deployments: Vec<Value> = desired
        .iter()
        .map(|d| json!({"name": d.deployment.name_any(), "minimum": d.minimum, "maximum": d.maximum}))
        .collect();
    let mut description = format!("{running}/{want_total} machines Running");
    // A machine of the current classes whose create failed (old classes' machines are on their way out).
    let current_machines: Vec<Machine> =
        machines.iter().filter(|m| desired.iter().any(|d| d.class.name_any() == m.spec.class.name)).cloned().collect();
    let failure = if ready { None } else { machine_failure(&current_machines) };
    if let Some((failure, _)) = &failure {
        description = format!("{description}; {failure}");
    }
    let condition = json!({"type": "EveryNodeReady", "status": if ready { "True" } else { "False" },
        "reason": if ready { "EveryNodeReady" } else { "MachinesProgressing" }, "message": description,
        "lastTransitionTime": jiff::Timestamp::now().to_string(), "lastUpdateTime": jiff::Timestamp::now().to_string()});
    let mut extra = json!({"machineDeployments": deployments, "conditions": [condition], "lastError": null});
    if let Some(status) = provider_status {
        extra["providerStatus"] = status;
    }
    let generation = worker.metadata.generation.unwrap_or(0);
    if ready {
        extra["observedGeneration"] = json!(generation);
        write_status(&workers, &worker, "Succeeded", &description, extra).await?;
        Ok(Action::requeue(Duration::from_secs(60)))
    } else if let Some((_, Some(code))) = failure {
        // What waiting does not fix (a flavor nova lacks, refused credentials): an error of this generation with
        // Gardener's code, so the shoot stops waiting and says what to change. Still watched: it may heal.
        extra["observedGeneration"] = json!(generation);
        extra["lastError"] = json!({"description": description, "codes": [code],
            "lastUpdateTime": jiff::Timestamp::now().to_string()});
        write_status(&workers, &worker, "Error", &description, extra).await?;
        Ok(Action::requeue(Duration::from_secs(5)))
    } else {
        write_status(&workers, &worker, "Processing", &description, extra).await?;
        Ok(Action::requeue(Duration::from_secs(5)))
    }
}

/// The first machine whose last operation failed, as `machine <name>: <description> [<Gardener's code>]` (the code
/// when the driver's maps to one, also returned), so that the Worker, and through it the shoot, says why machines
/// do not come.
fn machine_failure(machines: &[Machine]) -> Option<(String, Option<&'static str>)> {
    let (machine, op) = machines
        .iter()
        .filter_map(|m| Some((m, &m.status.as_ref()?.last_operation)))
        .find(|(_, op)| op.state == garden_api::machine::v1alpha1::state::FAILED)?;
    let code = match op.error_code.as_deref() {
        Some("InvalidArgument") => Some("ERR_CONFIGURATION_PROBLEM"),
        Some("Unauthenticated") => Some("ERR_INFRA_UNAUTHENTICATED"),
        Some("PermissionDenied") => Some("ERR_INFRA_UNAUTHORIZED"),
        Some("ResourceExhausted") if op.description.to_ascii_lowercase().contains("quota") => {
            Some("ERR_INFRA_QUOTA_EXCEEDED")
        }
        Some("ResourceExhausted") => Some("ERR_INFRA_RESOURCES_DEPLETED"),
        _ => None,
    };
    let suffix = code.map(|c| format!(" [{c}]")).unwrap_or_default();
    Some((format!("machine {}: {}{suffix}", machine.name_any(), op.description), code))
}

/// Requeue on errors.
pub fn error_policy(worker: Arc<Worker>, err: &Error, _ctx: Arc<Ctx>) -> Action {
    warn!(worker = %worker.name_any(), namespace = %worker.namespace().unwrap_or_default(), error = %err, "worker reconcile failed");
    Action::requeue(Duration::from_secs(5))
}

async fn apply_class(api: &Api<MachineClass>, class: &MachineClass) -> Result<(), kube::Error> {
    match api.get_opt(&class.name_any()).await? {
        // The name carries the hash of everything that matters: an existing class is the same class.
        Some(_) => Ok(()),
        None => match api.create(&PostParams::default(), class).await {
            Ok(_) => Ok(()),
            Err(e) if component_base::api::is_status(&e, 409) => Ok(()),
            Err(e) => Err(e),
        },
    }
}

async fn apply_deployment(api: &Api<MachineDeployment>, d: &DesiredDeployment) -> Result<(), kube::Error> {
    let name = d.deployment.name_any();
    match api.get_opt(&name).await? {
        None => {
            let mut md = d.deployment.clone();
            md.spec.replicas = replicas(None, d.minimum, d.maximum);
            match api.create(&PostParams::default(), &md).await {
                Ok(_) => Ok(()),
                Err(e) if component_base::api::is_status(&e, 409) => Ok(()),
                Err(e) => Err(e),
            }
        }
        Some(current) => {
            let mut next = current.clone();
            next.spec.template = d.deployment.spec.template.clone();
            next.spec.strategy = d.deployment.spec.strategy.clone();
            next.spec.selector = d.deployment.spec.selector.clone();
            next.spec.replicas = replicas(Some(current.spec.replicas), d.minimum, d.maximum);
            next.metadata.labels = d.deployment.metadata.labels.clone();
            if serde_json::to_value(&next.spec).ok() == serde_json::to_value(&current.spec).ok()
                && next.metadata.labels == current.metadata.labels
            {
                return Ok(());
            }
            api.replace(&name, &PostParams::default(), &next).await.map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Test;

    impl Delegate for Test {
        fn worker_type(&self) -> &'static str {
            "local"
        }
        fn class_provider(&self) -> &'static str {
            "local"
        }
        fn provider_spec(&self, _: &Worker, pool: &WorkerPool, zone: &str, _: &CloudProfile) -> Result<Value, Error> {
            Ok(json!({"image": pool.machine_image.name, "zone": zone}))
        }
    }

    fn worker(machine_type: &str, zones: &[&str]) -> Worker {
        serde_json::from_value(json!({
            "metadata": {"name": "local", "namespace": "shoot--dev--local", "uid": "w1"},
            "spec": {"type": "local", "region": "local", "secretRef": {"name": "cloudprovider", "namespace": "shoot--dev--local"},
                "pools": [{"name": "pool", "machineType": machine_type, "machineImage": {"name": "local", "version": "1.1.0"},
                    "minimum": 3, "maximum": 5, "maxSurge": 1, "maxUnavailable": 0, "zones": zones, "kubernetesVersion": "1.33.2",
                    "userDataSecretRef": {"name": "user-data-pool", "key": "userData"}}]}
        }))
        .unwrap()
    }

    fn profile() -> CloudProfile {
        serde_json::from_value(json!({"metadata": {"name": "local"}, "spec": {"type": "local", "kubernetes": {"versions": []},
            "machineImages": [], "regions": [],
            "machineTypes": [{"name": "local", "cpu": "2", "gpu": "0", "memory": "4Gi"}, {"name": "large", "cpu": "4", "gpu": "0", "memory": "8Gi"}]}}))
        .unwrap()
    }

    #[test]
    fn pools_times_zones_become_classes_and_deployments() {
        let d = desired(&worker("local", &["0", "1"]), &profile(), &Test).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].deployment.name_any(), "shoot--dev--local-pool-z1");
        assert_eq!(d[1].deployment.name_any(), "shoot--dev--local-pool-z2");
        assert_eq!((d[0].minimum, d[0].maximum, d[1].minimum, d[1].maximum), (2, 3, 1, 2));
        // maxSurge 1 split over 2 zones leaves the second 0 with maxUnavailable 0: it still surges by one.
        for dd in &d {
            let ru = dd.deployment.spec.strategy.rolling_update.as_ref().unwrap();
            assert_eq!(ru.max_surge, Some(IntOrString::Int(1)));
            assert_eq!(ru.max_unavailable, Some(IntOrString::Int(0)));
        }
        let nt = d[0].class.node_template.as_ref().unwrap();
        assert_eq!((nt.zone.as_str(), nt.instance_type.as_str()), ("0", "local"));
        assert_eq!(nt.capacity.get("memory").unwrap().0, "4Gi");
        assert!(d[0].class.name_any().starts_with("shoot--dev--local-pool-z1-"));
        let labels =
            d[0].deployment.spec.template.spec.node_template.as_ref().unwrap().metadata.labels.clone().unwrap();
        assert_eq!(labels.get(POOL_LABEL).map(String::as_str), Some("pool"));
    }

    #[test]
    fn a_machine_type_change_makes_a_new_class() {
        let a = desired(&worker("local", &["0"]), &profile(), &Test).unwrap();
        let b = desired(&worker("large", &["0"]), &profile(), &Test).unwrap();
        assert_ne!(a[0].class.name_any(), b[0].class.name_any());
        assert_eq!(a[0].deployment.name_any(), b[0].deployment.name_any());
    }

    #[test]
    fn unknown_machine_types_are_named() {
        let err = desired(&worker("huge", &["0"]), &profile(), &Test).unwrap_err();
        assert!(err.to_string().contains("machine type \"huge\""), "{err}");
    }

    #[test]
    fn a_failed_machine_is_named_with_gardeners_code() {
        let machine = |name: &str, state: &str, code: &str| -> Machine {
            serde_json::from_value(json!({"metadata": {"name": name}, "spec": {"class": {"name": "c"}},
                "status": {"lastOperation": {"state": state, "errorCode": code, "type": "Create",
                    "description": "cloud provider message - InvalidArgument: flavor \"m1.large\" does not exist"}}}))
            .unwrap()
        };
        let machines = [machine("a", "Processing", "Unavailable"), machine("b", "Failed", "InvalidArgument")];
        let (failure, code) = machine_failure(&machines).unwrap();
        assert_eq!(code, Some("ERR_CONFIGURATION_PROBLEM"));
        assert!(failure.starts_with("machine b: cloud provider message"), "{failure}");
        assert!(failure.ends_with("[ERR_CONFIGURATION_PROBLEM]"), "{failure}");
        assert_eq!(machine_failure(&machines[..1]), None);
    }

    #[test]
    fn replicas_stay_within_bounds() {
        assert_eq!(replicas(None, 1, 3), 1);
        assert_eq!(replicas(Some(2), 1, 3), 2);
        assert_eq!(replicas(Some(5), 1, 3), 3);
        assert_eq!(replicas(Some(2), 0, 0), 0);
        assert_eq!(distribute(5, 2, 0), 3);
        assert_eq!(distribute(5, 2, 1), 2);
    }
}
