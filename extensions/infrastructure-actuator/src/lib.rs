//! The Infrastructure controller every provider shares (Gardener's generic infrastructure actuator): it keeps
//! the finalizer `extensions.gardener.cloud/<type>` on the `Infrastructure`s of its provider's type, reads the
//! credentials Secret they name and the shoot's CloudProfile (from the `Cluster`), runs the provider's
//! [`Actuator`] (reconcile or delete) and reports it: `lastOperation` with the running task, `providerStatus` on
//! success, `lastError` with Gardener's error codes on failure. Failures back off exponentially per object (5 s
//! doubling up to 5 min), so wrong credentials do not turn into a storm of API calls; a changed spec or
//! credentials Secret is tried at once.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use futures::StreamExt;
use garden_api::core::v1beta1::CloudProfile;
use garden_api::extensions::v1alpha1::{Cluster, Infrastructure};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{watcher, Controller};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use tracing::{info, warn};

/// How often a healthy infrastructure is checked again (things deleted behind its back come back).
const RESYNC: Duration = Duration::from_secs(600);
const BACKOFF_FIRST: Duration = Duration::from_secs(5);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Gardener's code for a spec or Secret the provider cannot work with.
pub const ERR_CONFIGURATION_PROBLEM: &str = "ERR_CONFIGURATION_PROBLEM";

/// What a provider's flow runs on.
pub struct Request<'a> {
    pub infra: &'a Infrastructure,
    /// The shoot's technical ID (the Infrastructure's namespace): names or tags what the flow creates.
    pub technical_id: &'a str,
    /// The data of the credentials Secret.
    pub credentials: &'a BTreeMap<String, Vec<u8>>,
    /// The shoot's CloudProfile, when its `Cluster` exists.
    pub cloud_profile: Option<&'a CloudProfile>,
    /// `spec.sshPublicKey` decoded (an OpenSSH line), if the shoot has one.
    pub ssh_public_key: Option<&'a str>,
    /// Called with the name of each task as it starts.
    pub progress: &'a (dyn Fn(&str) + Send + Sync),
}

/// What failed, as the Infrastructure reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The task that failed (`lastError.taskID`).
    pub task: String,
    pub description: String,
    /// Gardener's error codes (`ERR_INFRA_UNAUTHENTICATED`, ...).
    pub codes: Vec<&'static str>,
}

impl Failure {
    /// A spec or Secret the provider cannot work with.
    pub fn configuration(task: &str, description: String) -> Self {
        Failure { task: task.into(), description, codes: vec![ERR_CONFIGURATION_PROBLEM] }
    }
}

/// A provider's infrastructure flows.
#[async_trait::async_trait]
pub trait Actuator: Send + Sync + 'static {
    /// The `spec.type` of the Infrastructures it handles; also names the finalizer.
    fn infrastructure_type(&self) -> &'static str;
    /// Creates or repairs what the Infrastructure asks for; its `providerStatus`.
    async fn reconcile(&self, req: &Request<'_>) -> Result<Value, Failure>;
    /// Deletes what the flow created, tolerant of what is already gone.
    async fn delete(&self, req: &Request<'_>) -> Result<(), Failure>;
}

/// A reconcile failure that is not the flow's (the API server).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API call failed: {0}")]
    Kube(#[from] kube::Error),
}

/// What the controller shares between reconciles.
pub struct Ctx {
    pub client: Client,
    pub actuator: Arc<dyn Actuator>,
    /// The last failure per Infrastructure (namespace, name).
    failures: Mutex<HashMap<(String, String), Failed>>,
}

/// A failed attempt: the next one waits `5 s * 2^(count-1)` (at most 5 min) unless what it ran on changed.
struct Failed {
    count: u32,
    retry_at: Instant,
    inputs: Inputs,
}

/// What a flow run depends on besides the cloud: the spec, whether it is a delete, the credentials.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Inputs {
    generation: i64,
    deleting: bool,
    secret_version: Option<String>,
}

impl Ctx {
    pub fn new(client: Client, actuator: Arc<dyn Actuator>) -> Self {
        Ctx { client, actuator, failures: Mutex::new(HashMap::new()) }
    }

    fn finalizer(&self) -> String {
        format!("extensions.gardener.cloud/{}", self.actuator.infrastructure_type())
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Failed>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a failure on `inputs`; how long until the next attempt.
    fn backoff(&self, key: &(String, String), inputs: Inputs) -> Duration {
        let mut failures = self.failures();
        let count = failures.get(key).map_or(0, |f| f.count);
        let wait = BACKOFF_FIRST.saturating_mul(1 << count.min(10)).min(BACKOFF_MAX);
        failures.insert(key.clone(), Failed { count: count + 1, retry_at: Instant::now() + wait, inputs });
        wait
    }

    /// How long a failed Infrastructure still waits; None when it is due (no failure, the pause is over, or
    /// its inputs changed since).
    fn still_backing_off(&self, key: &(String, String), inputs: &Inputs) -> Option<Duration> {
        let failures = self.failures();
        let failed = failures.get(key).filter(|f| &f.inputs == inputs)?;
        failed.retry_at.checked_duration_since(Instant::now()).filter(|w| !w.is_zero())
    }

    fn succeeded(&self, key: &(String, String)) {
        self.failures().remove(key);
    }
}

/// Runs the controller until SIGTERM/SIGINT. Besides its own objects it watches Secrets: a changed credentials
/// Secret wakes the Infrastructures that name it.
pub async fn run(ctx: Arc<Ctx>) {
    let api = Api::<Infrastructure>::all(ctx.client.clone());
    let controller = Controller::new(api, watcher::Config::default());
    let infras = controller.store();
    let run = controller
        .watches(Api::<Secret>::all(ctx.client.clone()), watcher::Config::default(), move |secret: Secret| {
            let (ns, name) = (secret.namespace().unwrap_or_default(), secret.name_any());
            infras
                .state()
                .into_iter()
                .filter(|i| {
                    let r = &i.spec.secret_ref;
                    r.name.as_deref() == Some(name.as_str())
                        && r.namespace.clone().or_else(|| i.namespace()).as_deref() == Some(ns.as_str())
                })
                .map(|i| ObjectRef::from_obj(&*i))
                .collect::<Vec<_>>()
        })
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|_| futures::future::ready(()));
    component_base::run_until_signalled(run).await;
}

/// The credentials Secret the Infrastructure names: its namespace, name and (when it exists) itself.
async fn credentials_secret(
    client: &Client,
    infra: &Infrastructure,
) -> Result<(String, String, Option<Secret>), Error> {
    let ns = infra.spec.secret_ref.namespace.clone().or_else(|| infra.namespace()).unwrap_or_default();
    let name = infra.spec.secret_ref.name.clone().unwrap_or_default();
    let secret = Api::<Secret>::namespaced(client.clone(), &ns).get_opt(&name).await?;
    Ok((ns, name, secret))
}

fn credentials((ns, name, secret): &(String, String, Option<Secret>)) -> Result<BTreeMap<String, Vec<u8>>, Failure> {
    let Some(secret) = secret else {
        return Err(Failure {
            task: "Reading credentials".into(),
            description: format!("the credentials Secret {ns}/{name} does not exist"),
            codes: vec!["ERR_INFRA_DEPENDENCIES"],
        });
    };
    Ok(secret.data.clone().unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// `spec.sshPublicKey`: base64 on the wire (Gardener's []byte), an OpenSSH line inside.
fn ssh_public_key(infra: &Infrastructure) -> Result<Option<String>, Failure> {
    let Some(raw) = infra.spec.ssh_public_key.as_deref() else { return Ok(None) };
    base64::engine::general_purpose::STANDARD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(|k| Some(k.trim().to_string()))
        .ok_or_else(|| {
            Failure::configuration(
                "Reading sshPublicKey",
                "spec.sshPublicKey is not base64 of an OpenSSH public key".into(),
            )
        })
}

/// The shoot's CloudProfile from its `Cluster` (named after the Infrastructure's namespace), if that exists.
async fn cloud_profile(client: &Client, namespace: &str) -> Result<Result<Option<CloudProfile>, Failure>, Error> {
    let Some(cluster) = Api::<Cluster>::all(client.clone()).get_opt(namespace).await? else { return Ok(Ok(None)) };
    Ok(cluster.cloud_profile().map(Some).map_err(|e| {
        Failure::configuration(
            "Reading the CloudProfile",
            format!("the CloudProfile in Cluster {namespace} is invalid: {e}"),
        )
    }))
}

async fn patch_status(api: &Api<Infrastructure>, name: &str, status: Value) -> Result<(), kube::Error> {
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&json!({"status": status}))).await.map(|_| ())
}

fn last_operation(infra: &Infrastructure, state: &str, progress: i32, description: &str) -> Value {
    let kind = if infra.metadata.deletion_timestamp.is_some() { "Delete" } else { "Reconcile" };
    json!({"type": kind, "state": state, "progress": progress, "description": description,
        "lastUpdateTime": jiff::Timestamp::now().to_string()})
}

/// Reconciles (or deletes) one Infrastructure of the actuator's type.
pub async fn reconcile(infra: Arc<Infrastructure>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    if infra.spec.type_ != ctx.actuator.infrastructure_type() {
        return Ok(Action::await_change());
    }
    let finalizer = ctx.finalizer();
    let ns = infra.namespace().unwrap_or_default();
    let name = infra.name_any();
    let key = (ns.clone(), name.clone());
    let api: Api<Infrastructure> = Api::namespaced(ctx.client.clone(), &ns);
    let finalizers = infra.metadata.finalizers.clone().unwrap_or_default();
    let has_finalizer = finalizers.contains(&finalizer);
    let deleting = infra.metadata.deletion_timestamp.is_some();
    if deleting && !has_finalizer {
        return Ok(Action::await_change());
    }
    if !deleting && !has_finalizer {
        let mut with = finalizers;
        with.push(finalizer);
        let patch = json!({"metadata": {"finalizers": with, "resourceVersion": infra.resource_version()}});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        return Ok(Action::await_change());
    }

    // Up to date (its own status writes wake the controller too): checked again after RESYNC only.
    if !deleting {
        if let Some(wait) = time_to_resync(&infra) {
            return Ok(Action::requeue(wait));
        }
    }
    // Failed before on the same inputs: not again before the pause is over.
    let secret = credentials_secret(&ctx.client, &infra).await?;
    let inputs = Inputs {
        generation: infra.metadata.generation.unwrap_or(0),
        deleting,
        secret_version: secret.2.as_ref().and_then(|s| s.metadata.resource_version.clone()),
    };
    if let Some(wait) = ctx.still_backing_off(&key, &inputs) {
        return Ok(Action::requeue(wait));
    }
    let profile = cloud_profile(&ctx.client, &ns).await?;
    let outcome = match (credentials(&secret), ssh_public_key(&infra), profile) {
        (Ok(creds), Ok(key), Ok(profile)) => {
            run_flow(&ctx, &api, &infra, &ns, &creds, profile.as_ref(), key.as_deref()).await
        }
        (Err(f), _, _) | (_, Err(f), _) | (_, _, Err(f)) => Err(f),
    };
    match outcome {
        Ok(status) => {
            ctx.succeeded(&key);
            if deleting {
                // Read again: the flow's status writes moved the resourceVersion on.
                let Some(fresh) = api.get_opt(&name).await? else { return Ok(Action::await_change()) };
                let rest: Vec<String> = fresh.finalizers().iter().filter(|f| **f != ctx.finalizer()).cloned().collect();
                let patch = json!({"metadata": {"finalizers": rest, "resourceVersion": fresh.resource_version()}});
                api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
                info!(namespace = %ns, infrastructure = %name, "infrastructure deleted");
                return Ok(Action::await_change());
            }
            let status = json!({
                "lastOperation": last_operation(&infra, "Succeeded", 100, "Infrastructure reconciled"),
                "lastError": null,
                "providerStatus": status,
                "observedGeneration": infra.metadata.generation.unwrap_or(0),
            });
            patch_status(&api, &name, status).await?;
            Ok(Action::requeue(RESYNC))
        }
        Err(failure) => {
            let wait = ctx.backoff(&key, inputs);
            let description = format!("{} (retrying in {}s)", failure.description, wait.as_secs());
            warn!(namespace = %ns, infrastructure = %name, task = %failure.task, error = %failure.description, "infrastructure flow failed");
            let status = json!({
                "lastOperation": last_operation(&infra, "Error", 50, &description),
                "lastError": {"description": failure.description, "taskID": failure.task, "codes": failure.codes,
                    "lastUpdateTime": jiff::Timestamp::now().to_string()},
                "observedGeneration": infra.metadata.generation.unwrap_or(0),
            });
            patch_status(&api, &name, status).await?;
            Ok(Action::requeue(wait))
        }
    }
}

/// How long until an Infrastructure whose current generation succeeded is due again; None when it is due now.
fn time_to_resync(infra: &Infrastructure) -> Option<Duration> {
    let status = infra.status.as_ref()?;
    let op = status.last_operation.as_ref()?;
    if op.state != "Succeeded" || status.observed_generation < infra.metadata.generation.unwrap_or(0) {
        return None;
    }
    let at = op.last_update_time.as_ref()?.0;
    let age = jiff::Timestamp::now().duration_since(at).unsigned_abs();
    RESYNC.checked_sub(age).filter(|w| !w.is_zero())
}

/// Runs the actuator's flow: Ok(providerStatus) when it completed (null after a delete).
async fn run_flow(
    ctx: &Ctx,
    api: &Api<Infrastructure>,
    infra: &Infrastructure,
    technical_id: &str,
    credentials: &BTreeMap<String, Vec<u8>>,
    cloud_profile: Option<&CloudProfile>,
    ssh_public_key: Option<&str>,
) -> Result<Value, Failure> {
    // The running task, reported at most once a second (the flow calls back per task).
    let (tx, mut rx) = tokio::sync::watch::channel(String::new());
    let reporter = {
        let (api, infra) = (api.clone(), infra.clone());
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let task = rx.borrow_and_update().clone();
                let status = json!({"lastOperation": last_operation(&infra, "Processing", 50, &task)});
                let _ = patch_status(&api, &infra.name_any(), status).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let progress = move |task: &str| {
        let _ = tx.send(task.to_string());
    };
    let req = Request { infra, technical_id, credentials, cloud_profile, ssh_public_key, progress: &progress };
    let result = if infra.metadata.deletion_timestamp.is_some() {
        ctx.actuator.delete(&req).await.map(|()| Value::Null)
    } else {
        ctx.actuator.reconcile(&req).await
    };
    // The sender goes with the closure: the reporter ends once it reported the last task.
    drop(progress);
    let _ = reporter.await;
    result
}

/// Requeue on API errors (flow errors are handled in [`reconcile`]).
pub fn error_policy(infra: Arc<Infrastructure>, err: &Error, _ctx: Arc<Ctx>) -> Action {
    warn!(infrastructure = %infra.name_any(), namespace = %infra.namespace().unwrap_or_default(), error = %err, "infrastructure reconcile failed");
    Action::requeue(Duration::from_secs(5))
}
