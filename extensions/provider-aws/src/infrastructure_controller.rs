//! The Infrastructure controller of AWS shoots: keeps its finalizer on `Infrastructure`s of type `aws`, reads
//! the shoot's credentials from the Secret the Infrastructure names, runs the [`crate::infrastructure`] flow
//! (reconcile or delete) and reports it: `lastOperation` with the running task, `providerStatus` (what exists)
//! on success, `lastError` with Gardener's error codes on failure. Failures back off exponentially per object
//! (5 s doubling up to 5 min), so wrong credentials do not turn into a storm of API calls.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use futures::StreamExt;
use garden_api::extensions::v1alpha1::Infrastructure;
use garden_api::provider::aws::v1alpha1::{self as aws, InfrastructureConfig};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{watcher, Controller};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use tracing::{info, warn};

use crate::ec2::Clients;
use crate::infrastructure::{self, InfraError, InfraRequest};
use crate::spec::AccessKey;
use crate::worker::WORKER_TYPE;

/// The finalizer on AWS Infrastructures.
pub const FINALIZER: &str = "extensions.gardener.cloud/aws";
/// How often a healthy infrastructure is checked again (things deleted behind its back come back).
const RESYNC: Duration = Duration::from_secs(600);
const BACKOFF_FIRST: Duration = Duration::from_secs(5);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// A reconcile failure that is not the flow's (the API server, a missing Secret).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("API call failed: {0}")]
    Kube(#[from] kube::Error),
}

/// What the controller shares between reconciles.
pub struct Ctx {
    pub client: Client,
    pub clients: Clients,
    /// The last failure per Infrastructure (namespace, name).
    failures: Mutex<HashMap<(String, String), Failed>>,
}

/// A failed attempt: the next one waits `5 s * 2^(count-1)` (at most 5 min) unless what it ran on changed.
struct Failed {
    count: u32,
    retry_at: Instant,
    inputs: Inputs,
}

/// What a flow run depends on besides AWS: the spec, whether it is a delete, the credentials.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Inputs {
    generation: i64,
    deleting: bool,
    secret_version: Option<String>,
}

impl Ctx {
    pub fn new(client: Client, clients: Clients) -> Self {
        Ctx { client, clients, failures: Mutex::new(HashMap::new()) }
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
    /// its inputs changed since: a fixed spec or credentials are tried at once).
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

/// What went wrong before or in the flow, as the Infrastructure reports it.
struct Failure {
    task: String,
    description: String,
    codes: Vec<&'static str>,
}

impl From<InfraError> for Failure {
    fn from(e: InfraError) -> Self {
        // The AWS code too: what a tenant searches AWS's documentation for.
        let description = match &e.aws_code {
            Some(code) => format!("{e} (AWS error {code})"),
            None => e.to_string(),
        };
        Failure { codes: e.gardener_code().into_iter().collect(), task: e.task.clone(), description }
    }
}

fn configuration_problem(task: &str, description: String) -> Failure {
    Failure { task: task.into(), description, codes: vec!["ERR_CONFIGURATION_PROBLEM"] }
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

fn credentials((ns, name, secret): &(String, String, Option<Secret>)) -> Result<AccessKey, Failure> {
    let Some(secret) = secret else {
        return Err(Failure {
            task: "Reading credentials".into(),
            description: format!("the credentials Secret {ns}/{name} does not exist"),
            codes: vec!["ERR_INFRA_DEPENDENCIES"],
        });
    };
    let data: BTreeMap<String, Vec<u8>> =
        secret.data.clone().unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect();
    AccessKey::from_secret(&data)
        .map_err(|e| configuration_problem("Reading credentials", format!("Secret {ns}/{name}: {}", e.message)))
}

fn config(infra: &Infrastructure) -> Result<InfrastructureConfig, Failure> {
    let raw = infra.spec.provider_config.as_ref().ok_or_else(|| {
        configuration_problem("Reading providerConfig", "spec.providerConfig is required (the networks)".into())
    })?;
    aws::decode(raw, "spec.providerConfig")
        .map_err(|e| configuration_problem("Reading providerConfig", format!("{}: {}", e.field, e.message)))
}

async fn patch_status(api: &Api<Infrastructure>, name: &str, status: Value) -> Result<(), kube::Error> {
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&json!({"status": status}))).await.map(|_| ())
}

fn last_operation(infra: &Infrastructure, state: &str, progress: i32, description: &str) -> Value {
    let kind = if infra.metadata.deletion_timestamp.is_some() { "Delete" } else { "Reconcile" };
    json!({"type": kind, "state": state, "progress": progress, "description": description,
        "lastUpdateTime": jiff::Timestamp::now().to_string()})
}

/// Reconciles (or deletes) one Infrastructure of type `aws`.
pub async fn reconcile(infra: Arc<Infrastructure>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    if infra.spec.type_ != WORKER_TYPE {
        return Ok(Action::await_change());
    }
    let ns = infra.namespace().unwrap_or_default();
    let name = infra.name_any();
    let key = (ns.clone(), name.clone());
    let api: Api<Infrastructure> = Api::namespaced(ctx.client.clone(), &ns);
    let finalizers = infra.metadata.finalizers.clone().unwrap_or_default();
    let has_finalizer = finalizers.iter().any(|f| f == FINALIZER);
    let deleting = infra.metadata.deletion_timestamp.is_some();
    if deleting && !has_finalizer {
        return Ok(Action::await_change());
    }
    if !deleting && !has_finalizer {
        let mut with = finalizers;
        with.push(FINALIZER.into());
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
    let outcome = run_flow(&ctx, &api, &infra, &ns, &secret).await?;
    match outcome {
        Ok(status) => {
            ctx.succeeded(&key);
            if deleting {
                // Read again: the flow's status writes moved the resourceVersion on.
                let Some(fresh) = api.get_opt(&name).await? else { return Ok(Action::await_change()) };
                let rest: Vec<String> =
                    fresh.finalizers().iter().filter(|f| f.as_str() != FINALIZER).cloned().collect();
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

/// Runs the flow: Ok(Ok(providerStatus)) when it completed (providerStatus is null after a delete).
async fn run_flow(
    ctx: &Ctx,
    api: &Api<Infrastructure>,
    infra: &Infrastructure,
    technical_id: &str,
    secret: &(String, String, Option<Secret>),
) -> Result<Result<Value, Failure>, Error> {
    let key = match credentials(secret) {
        Ok(k) => k,
        Err(f) => return Ok(Err(f)),
    };
    let config = match config(infra) {
        Ok(c) => c,
        Err(f) => return Ok(Err(f)),
    };
    // Base64 on the wire (Gardener's []byte), an OpenSSH line inside.
    let ssh_public_key = match infra
        .spec
        .ssh_public_key
        .as_deref()
        .map(|k| base64::engine::general_purpose::STANDARD.decode(k).ok().and_then(|b| String::from_utf8(b).ok()))
    {
        None => None,
        Some(Some(k)) => Some(k),
        Some(None) => {
            let why = "spec.sshPublicKey is not base64 of an OpenSSH public key".to_string();
            return Ok(Err(configuration_problem("Reading sshPublicKey", why)));
        }
    };
    let region = infra.spec.region.as_str();
    let ec2 = ctx.clients.get(&key, region);
    let iam = ctx.clients.iam(&key, region);
    let req = InfraRequest {
        technical_id,
        region,
        config: &config,
        ssh_public_key: ssh_public_key.as_deref().map(str::trim),
    };
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
    let result = if infra.metadata.deletion_timestamp.is_some() {
        infrastructure::delete(&ec2, &iam, &req, &progress).await.map(|()| Value::Null)
    } else {
        infrastructure::reconcile(&ec2, &iam, &req, &progress).await.map(|s| aws::encode(&s))
    };
    drop(progress);
    let _ = reporter.await;
    Ok(result.map_err(Failure::from))
}

/// Requeue on API errors (flow errors are handled in [`reconcile`]).
pub fn error_policy(infra: Arc<Infrastructure>, err: &Error, _ctx: Arc<Ctx>) -> Action {
    warn!(infrastructure = %infra.name_any(), namespace = %infra.namespace().unwrap_or_default(), error = %err, "infrastructure reconcile failed");
    Action::requeue(Duration::from_secs(5))
}
