//! The shoot controller of a seed: for every Shoot bound to this seed it runs the reconcile flow (seed
//! namespace, control-plane secrets, etcd + kube-apiserver through the `ControlPlaneRuntime`, readiness) or the
//! delete flow, and reports progress the way Gardener does (`status.lastOperation`, conditions, technicalID,
//! the `shoot.gardener.cloud/status` label). A care loop keeps the conditions fresh between reconciles and
//! adopts/heals control planes (after a gardenlet restart it re-attaches the runtime's supervisor to the
//! processes still running).
//!
//! Hibernation (`spec.hibernation.enabled`, see [`super::hibernation`]) is a spec change, so it runs as a
//! `Reconcile` flow: with hibernation wanted the flow stops the control plane keeping its data and reports
//! `status.hibernated: true`; waking up is the ordinary flow (ensure, wait for readiness) that then reports
//! `status.hibernated: false`. The care loop leaves a hibernated control plane alone.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use garden_api::core::v1beta1::{helper::shoot_technical_id, Condition, Project, Shoot};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::error::Error;
use crate::flow::{Flow, Retry};
use crate::runtime::{ControlPlaneRuntime, ControlPlaneSpec};
use crate::seed::next_condition;
use crate::shoot::hibernation;

/// Finalizer the gardenlet keeps on shoots it manages (Gardener's name).
pub const FINALIZER: &str = "gardener";
const STATUS_LABEL: &str = "shoot.gardener.cloud/status";
const OPERATION_ANNOTATION: &str = "gardener.cloud/operation";
/// Pause between a failed reconcile and the next attempt (unless the spec changes or `retry` is requested).
const ERROR_RETRY_BACKOFF: Duration = Duration::from_secs(10);
const HEALTH_CONDITIONS: [&str; 4] =
    ["APIServerAvailable", "ControlPlaneHealthy", "EveryNodeReady", "SystemComponentsHealthy"];

/// Control planes this gardenlet process has ensured (so the runtime supervises them). A restarted gardenlet
/// starts empty: its care loop adopts the running processes once through `ensure`.
fn supervised() -> &'static Mutex<HashSet<String>> {
    static SET: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SET.get_or_init(|| Mutex::new(HashSet::new()))
}

fn set_supervised(technical_id: &str, on: bool) {
    let mut set = supervised().lock().unwrap_or_else(|e| e.into_inner());
    if on {
        set.insert(technical_id.to_string());
    } else {
        set.remove(technical_id);
    }
}

fn is_supervised(technical_id: &str) -> bool {
    supervised().lock().unwrap_or_else(|e| e.into_inner()).contains(technical_id)
}

/// DNS names and addresses of the shoot API server's serving certificate.
fn api_server_hosts(technical_id: &str) -> Vec<String> {
    vec!["localhost".to_string(), "127.0.0.1".to_string(), format!("kube-apiserver.{technical_id}")]
}

/// Shared state of the controller.
pub struct Ctx {
    pub client: Client,
    pub seed: String,
    pub runtime: Arc<dyn ControlPlaneRuntime>,
}

/// Run the controller until the stream ends.
pub async fn run(ctx: Arc<Ctx>) {
    let shoots: Api<Shoot> = Api::all(ctx.client.clone());
    let config = watcher::Config::default().fields(&format!("spec.seedName={}", ctx.seed));
    Controller::new(shoots, config)
        .run(reconcile, error_policy, ctx)
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "shoot reconcile");
            }
        })
        .await;
}

fn error_policy(_shoot: Arc<Shoot>, err: &Error, _ctx: Arc<Ctx>) -> Action {
    tracing::warn!(error = %err, "shoot reconcile failed");
    Action::requeue(Duration::from_secs(5))
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn now_str() -> String {
    now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}

fn failed(op: &'static str, shoot: &str, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::ShootReconcile { operation: op, shoot: shoot.to_string(), source: e.into() }
}

/// The project owning `namespace` (its `spec.namespace`), else the namespace without `garden-`.
async fn project_of(client: &Client, namespace: &str) -> String {
    let projects: Api<Project> = Api::all(client.clone());
    if let Ok(list) = projects.list(&ListParams::default()).await {
        if let Some(p) = list.items.iter().find(|p| p.spec.namespace.as_deref() == Some(namespace)) {
            return p.name_any();
        }
    }
    namespace.trim_start_matches("garden-").to_string()
}

async fn reconcile(shoot: Arc<Shoot>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let ns = shoot.namespace().unwrap_or_default();
    let name = shoot.name_any();
    let api: Api<Shoot> = Api::namespaced(ctx.client.clone(), &ns);
    let technical_id = shoot_technical_id(&project_of(&ctx.client, &ns).await, &name);
    let has_finalizer = shoot.finalizers().iter().any(|f| f == FINALIZER);

    if shoot.metadata.deletion_timestamp.is_some() {
        if !has_finalizer {
            return Ok(Action::await_change());
        }
        set_supervised(&technical_id, false);
        delete_flow(&ctx, &api, &shoot, &technical_id).await?;
        // The flow's progress updates moved the resourceVersion on: remove the finalizer from a fresh read (the
        // precondition still protects finalizers others add meanwhile).
        let fresh = api.get(&name).await.map_err(|e| failed("read shoot", &name, e))?;
        let rest: Vec<String> = fresh.finalizers().iter().filter(|f| *f != FINALIZER).cloned().collect();
        let patch = json!({"metadata": {"finalizers": rest, "resourceVersion": fresh.resource_version()}});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| failed("remove finalizer", &name, e))?;
        return Ok(Action::await_change());
    }
    if !has_finalizer {
        let mut all: Vec<String> = shoot.finalizers().to_vec();
        all.push(FINALIZER.into());
        let patch = json!({"metadata": {"finalizers": all, "resourceVersion": shoot.resource_version()}});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| failed("add finalizer", &name, e))?;
        return Ok(Action::requeue(Duration::ZERO));
    }

    let status = serde_json::to_value(&shoot.status).unwrap_or(Value::Null);
    let generation = shoot.metadata.generation.unwrap_or(0);
    let observed = status.get("observedGeneration").and_then(Value::as_i64).unwrap_or(-1);
    let last_state = status.pointer("/lastOperation/state").and_then(Value::as_str).unwrap_or_default();
    let operation = shoot.annotations().get(OPERATION_ANNOTATION).cloned();
    let up_to_date = observed == generation && last_state == "Succeeded" && operation.is_none();
    if up_to_date {
        return care(&ctx, &api, &shoot, &technical_id).await;
    }
    // A failed operation is retried with a backoff, not on every status change it caused.
    if last_state == "Error" && observed == generation && operation.is_none() {
        let updated = status
            .pointer("/lastOperation/lastUpdateTime")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        if let Some(updated) = updated {
            let elapsed = Duration::from_secs(now().as_second().saturating_sub(updated.as_second()).max(0) as u64);
            if elapsed < ERROR_RETRY_BACKOFF {
                return Ok(Action::requeue(ERROR_RETRY_BACKOFF - elapsed));
            }
        }
    }
    let kind = match status.pointer("/lastOperation") {
        None => "Create",
        Some(op) if op.get("type").and_then(Value::as_str) == Some("Create") && last_state != "Succeeded" => "Create",
        Some(_) => "Reconcile",
    };
    if operation.is_some() {
        let patch = json!({"metadata": {"annotations": {OPERATION_ANNOTATION: null}}});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| failed("remove operation annotation", &name, e))?;
    }
    reconcile_flow(&ctx, &api, &shoot, &technical_id, kind, generation).await
}

/// Status writer fed by the flow's progress callback (sync) through a channel. Close the sender and await the
/// handle before writing the final state, so no late progress update overwrites it.
fn progress_writer(
    api: Api<Shoot>,
    name: String,
    kind: &'static str,
) -> (mpsc::UnboundedSender<(u8, String)>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(u8, String)>();
    let handle = tokio::spawn(async move {
        while let Some(mut latest) = rx.recv().await {
            while let Ok(next) = rx.try_recv() {
                latest = next;
            }
            let (progress, description) = latest;
            let patch = json!({"status": {"lastOperation": {"type": kind, "state": "Processing", "progress": progress,
                "description": description, "lastUpdateTime": now_str()}}});
            if let Err(e) = api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                tracing::debug!(shoot = %name, error = %e, "progress update failed");
            }
        }
    });
    (tx, handle)
}

async fn reconcile_flow(
    ctx: &Arc<Ctx>,
    api: &Api<Shoot>,
    shoot: &Shoot,
    technical_id: &str,
    kind: &'static str,
    generation: i64,
) -> Result<Action, Error> {
    let name = shoot.name_any();
    let workers = shoot.spec.provider.workers.len();
    let hibernate = hibernation::wanted(shoot);
    let mut flow = Flow::new(format!("{kind} Shoot {name}"));
    let quick = Retry { attempts: 5, initial_backoff: Duration::from_millis(200), max_backoff: Duration::from_secs(2) };
    {
        let (client, id) = (ctx.client.clone(), technical_id.to_string());
        flow.add("Deploying seed namespace", &[], move || ensure_namespace(client.clone(), id.clone())).retry(quick);
    }
    let secrets = Arc::new(tokio::sync::OnceCell::new());
    {
        let (client, id, secrets) = (ctx.client.clone(), technical_id.to_string(), secrets.clone());
        flow.add("Deploying control plane secrets", &["Deploying seed namespace"], move || {
            let (client, id, secrets) = (client.clone(), id.clone(), secrets.clone());
            async move {
                let s = crate::shoot::secrets::ensure_secrets(&client, &id, &api_server_hosts(&id)).await?;
                let _ = secrets.set(s);
                Ok(())
            }
        })
        .retry(quick);
    }
    let url = Arc::new(std::sync::Mutex::new(String::new()));
    if hibernate {
        // Gardener scales the control plane to zero and keeps etcd's data; here: stop the processes.
        let (runtime, id) = (ctx.runtime.clone(), technical_id.to_string());
        flow.add("Hibernating control plane", &["Deploying control plane secrets"], move || {
            let (runtime, id) = (runtime.clone(), id.clone());
            async move { runtime.stop(&id).await.map_err(anyhow::Error::from) }
        })
        .retry(quick);
    } else {
        let deploy = if hibernation::hibernated(shoot) {
            "Waking up etcd and kube-apiserver"
        } else {
            "Deploying etcd and kube-apiserver"
        };
        {
            let (runtime, id, secrets, url) =
                (ctx.runtime.clone(), technical_id.to_string(), secrets.clone(), url.clone());
            let version = shoot.spec.kubernetes.version.clone();
            flow.add(deploy, &["Deploying control plane secrets"], move || {
                let (runtime, id, secrets, url, version) =
                    (runtime.clone(), id.clone(), secrets.clone(), url.clone(), version.clone());
                async move {
                    let secrets =
                        secrets.get().ok_or_else(|| anyhow::anyhow!("control plane secrets are missing"))?.clone();
                    let spec = ControlPlaneSpec { technical_id: id, secrets, kubernetes_version: version };
                    let status = runtime.ensure(&spec).await?;
                    if let Ok(mut u) = url.lock() {
                        *u = status.api_server_url;
                    }
                    Ok(())
                }
            })
            .retry(quick);
        }
        {
            let (runtime, id) = (ctx.runtime.clone(), technical_id.to_string());
            flow.add("Waiting until the kube-apiserver is ready", &[deploy], move || {
                let (runtime, id) = (runtime.clone(), id.clone());
                async move {
                    let s = runtime.probe(&id).await?;
                    anyhow::ensure!(s.ready, "kube-apiserver is not ready yet");
                    Ok(())
                }
            })
            .retry(Retry {
                attempts: 200,
                initial_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_millis(250),
            });
        }
        if workers > 0 {
            // The Worker extension resource goes to the provider extension / machine controller of the seed;
            // the shoot is ready once it reports the pools reconciled.
            let (client, id, desired) = (ctx.client.clone(), technical_id.to_string(), Arc::new(shoot.clone()));
            flow.add("Deploying worker pools", &["Waiting until the kube-apiserver is ready"], move || {
                let (client, id, desired) = (client.clone(), id.clone(), desired.clone());
                async move { crate::shoot::worker::ensure_worker(&client, &desired, &id).await }
            })
            .retry(quick);
            let (client, id, worker) = (ctx.client.clone(), technical_id.to_string(), name.clone());
            flow.add("Waiting until worker pools are ready", &["Deploying worker pools"], move || {
                let (client, id, worker) = (client.clone(), id.clone(), worker.clone());
                async move { crate::shoot::worker::wait_worker_ready(&client, &id, &worker).await }
            })
            .retry(Retry {
                attempts: 8,
                initial_backoff: Duration::from_millis(250),
                max_backoff: Duration::from_secs(1),
            });
        }
    }
    let graph = flow.build().map_err(|e| failed("build flow", &name, e))?;
    let (progress, writer) = progress_writer(api.clone(), name.clone(), kind);
    let result = graph
        .run(|p| {
            let description = if p.running.is_empty() { "Finishing".to_string() } else { p.running.join(", ") };
            let _ = progress.send((p.percent, description));
        })
        .await;
    drop(progress);
    let _ = writer.await;
    let mut url = url.lock().map(|u| u.clone()).unwrap_or_default();
    match result {
        Ok(()) => {
            set_supervised(technical_id, !hibernate);
            if url.is_empty() {
                // Hibernated: the address stays the one the control plane had (and gets again on wake-up).
                url = ctx.runtime.probe(technical_id).await.map(|s| s.api_server_url).unwrap_or_default();
            }
            write_success(api, shoot, technical_id, kind, generation, &url, hibernate).await?;
            Ok(Action::requeue(Duration::from_secs(30)))
        }
        Err(e) => {
            let errors: Vec<Value> = e
                .failed
                .iter()
                .map(|(task, err)| {
                    let description = format!("{err:#}");
                    json!({"taskID": task, "description": description, "codes": error_codes(&description), "lastUpdateTime": now_str()})
                })
                .collect();
            let description = format!("{e}");
            let patch = json!({"status": {
                "lastOperation": {"type": kind, "state": "Error", "progress": 0, "description": description, "lastUpdateTime": now_str()},
                "lastErrors": errors, "technicalID": technical_id, "observedGeneration": generation,
            }});
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| failed("write status", &name, e))?;
            let label = json!({"metadata": {"labels": {STATUS_LABEL: "unhealthy"}}});
            let _ = api.patch(&name, &PatchParams::default(), &Patch::Merge(&label)).await;
            Ok(Action::requeue(Duration::from_secs(15)))
        }
    }
}

/// Gardener's error codes for a task failure (`lastErrors[].codes`), from what the failure says.
fn error_codes(description: &str) -> Vec<&'static str> {
    let d = description.to_lowercase();
    let mut codes = Vec::new();
    if d.contains("worker") && d.contains("not ready") {
        // Waiting for an extension / machine controller of the seed: an infrastructure dependency that may appear.
        codes.push("ERR_RETRYABLE_INFRA_DEPENDENCIES");
    }
    if d.contains("address already in use") || d.contains("no space left") || d.contains("too many open files") {
        codes.push("ERR_INFRA_RESOURCES_DEPLETED");
    }
    if d.contains("forbidden") || d.contains("unauthorized") {
        codes.push("ERR_INFRA_UNAUTHORIZED");
    }
    codes
}

async fn ensure_namespace(client: Client, name: String) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(client);
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name, "labels": {"gardener.cloud/role": "shoot"}}}))?;
    match api.create(&PostParams::default(), &ns).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn conditions(shoot: &Shoot, healthy: bool, message: &str) -> Vec<Condition> {
    let old: Vec<Condition> = shoot.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let workers = shoot.spec.provider.workers.len();
    HEALTH_CONDITIONS
        .iter()
        .map(|ty| {
            let prev = old.iter().find(|c| c.type_ == *ty);
            let (status, reason, msg) = match (*ty, healthy) {
                ("EveryNodeReady", _) if workers == 0 => {
                    ("True", "NoWorkers", "The shoot has no worker pools.".to_string())
                }
                ("EveryNodeReady", _) => (
                    "False",
                    "MachinesNotProvisioned",
                    "No machine controller provisions the worker pools yet.".to_string(),
                ),
                (_, true) => ("True", "HealthCheckSucceeded", message.to_string()),
                (_, false) => ("False", "HealthCheckFailed", message.to_string()),
            };
            next_condition(ty, prev, status, reason, &msg, now())
        })
        .collect()
}

async fn write_success(
    api: &Api<Shoot>,
    shoot: &Shoot,
    technical_id: &str,
    kind: &str,
    generation: i64,
    url: &str,
    hibernated: bool,
) -> Result<(), Error> {
    let name = shoot.name_any();
    let conditions = if hibernated {
        let old = shoot.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
        hibernation::conditions(&old, &HEALTH_CONDITIONS, now())
    } else {
        conditions(shoot, true, "The kube-apiserver answers /readyz.")
    };
    let addresses = if url.is_empty() { Value::Null } else { json!([{"name": "external", "url": url}]) };
    let patch = json!({"status": {
        "lastOperation": {"type": kind, "state": "Succeeded", "progress": 100, "description": format!("Shoot cluster has been successfully {}.", if kind == "Create" { "created" } else { "reconciled" }), "lastUpdateTime": now_str()},
        "lastErrors": null,
        "observedGeneration": generation,
        "technicalID": technical_id,
        "seedName": shoot.spec.seed_name,
        "advertisedAddresses": addresses,
        "conditions": conditions,
        "hibernated": hibernated,
    }});
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| failed("write status", &name, e))?;
    let label = json!({"metadata": {"labels": {STATUS_LABEL: "healthy"}}});
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&label))
        .await
        .map_err(|e| failed("write status label", &name, e))?;
    Ok(())
}

/// Between reconciles: probe the control plane, adopt/heal it (`ensure` reuses running processes and keeps
/// the runtime's supervisor on them) and refresh conditions when health changed. A hibernated control plane
/// is left alone: its conditions say so and nothing is probed or started.
async fn care(ctx: &Arc<Ctx>, api: &Api<Shoot>, shoot: &Shoot, technical_id: &str) -> Result<Action, Error> {
    let name = shoot.name_any();
    let old: Vec<Condition> = shoot.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    if hibernation::leave_alone(shoot) {
        if !hibernation::conditions_current(&old, &HEALTH_CONDITIONS) {
            let patch = json!({"status": {"conditions": hibernation::conditions(&old, &HEALTH_CONDITIONS, now())}});
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| failed("write conditions", &name, e))?;
        }
        return Ok(Action::requeue(Duration::from_secs(30)));
    }
    let probed = ctx.runtime.probe(technical_id).await.ok();
    let ready = probed.as_ref().is_some_and(|s| s.ready);
    // The runtime may have moved the API server to another port (one taken meanwhile): keep the address true.
    let advertised = serde_json::to_value(&shoot.status)
        .ok()
        .and_then(|s| s.pointer("/advertisedAddresses/0/url").and_then(Value::as_str).map(str::to_string));
    if let Some(url) = probed.as_ref().filter(|s| s.ready).map(|s| s.api_server_url.clone()) {
        if advertised.as_deref() != Some(url.as_str()) {
            let patch = json!({"status": {"advertisedAddresses": [{"name": "external", "url": url}]}});
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| failed("write advertised addresses", &name, e))?;
        }
    }
    if !ready || !is_supervised(technical_id) {
        if !ready {
            tracing::info!(shoot = %name, "control plane not ready; ensuring it");
        }
        match heal(ctx, shoot, technical_id).await {
            Ok(()) => set_supervised(technical_id, true),
            Err(e) => tracing::warn!(shoot = %name, error = %format!("{e:#}"), "ensuring the control plane failed"),
        }
    }
    let requeue = Action::requeue(Duration::from_secs(if ready { 30 } else { 5 }));
    let was = old.iter().find(|c| c.type_ == "APIServerAvailable").map(|c| c.status == "True");
    if was == Some(ready) {
        return Ok(requeue);
    }
    let message =
        if ready { "The kube-apiserver answers /readyz." } else { "The kube-apiserver does not answer /readyz." };
    let patch = json!({"status": {"conditions": conditions(shoot, ready, message)}});
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| failed("write conditions", &name, e))?;
    let label = json!({"metadata": {"labels": {STATUS_LABEL: if ready { "healthy" } else { "unhealthy" }}}});
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&label))
        .await
        .map_err(|e| failed("write status label", &name, e))?;
    Ok(requeue)
}

/// `ensure` outside a flow (care): adopts running processes, restarts dead ones, (re)starts the supervisor.
async fn heal(ctx: &Arc<Ctx>, shoot: &Shoot, technical_id: &str) -> anyhow::Result<()> {
    let secrets =
        crate::shoot::secrets::ensure_secrets(&ctx.client, technical_id, &api_server_hosts(technical_id)).await?;
    let spec = ControlPlaneSpec {
        technical_id: technical_id.to_string(),
        secrets,
        kubernetes_version: shoot.spec.kubernetes.version.clone(),
    };
    ctx.runtime.ensure(&spec).await?;
    Ok(())
}

async fn delete_flow(ctx: &Arc<Ctx>, api: &Api<Shoot>, shoot: &Shoot, technical_id: &str) -> Result<(), Error> {
    let name = shoot.name_any();
    let mut flow = Flow::new(format!("Delete Shoot {name}"));
    {
        let (runtime, id) = (ctx.runtime.clone(), technical_id.to_string());
        flow.add("Destroying etcd and kube-apiserver", &[], move || {
            let (runtime, id) = (runtime.clone(), id.clone());
            async move { runtime.destroy(&id).await.map_err(anyhow::Error::from) }
        });
    }
    {
        let (client, id) = (ctx.client.clone(), technical_id.to_string());
        flow.add("Deleting seed namespace", &["Destroying etcd and kube-apiserver"], move || {
            let (client, id) = (client.clone(), id.clone());
            async move {
                let nss: Api<Namespace> = Api::all(client);
                match nss.delete(&id, &DeleteParams::default()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(e)) if e.code == 404 => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
                // Wait until the namespace (and its secrets) is gone.
                for _ in 0..100 {
                    match nss.get_opt(&id).await? {
                        None => return Ok(()),
                        Some(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
                anyhow::bail!("namespace {id} is still terminating")
            }
        });
    }
    let graph = flow.build().map_err(|e| failed("build flow", &name, e))?;
    let (progress, writer) = progress_writer(api.clone(), name.clone(), "Delete");
    let result = graph.run(|p| {
        let _ = progress.send((p.percent, p.running.join(", ")));
    });
    let result = result.await;
    drop(progress);
    let _ = writer.await;
    result.map_err(|e| failed("delete control plane", &name, e))
}

#[cfg(test)]
mod tests {
    use super::error_codes;

    #[test]
    fn failures_map_to_gardener_error_codes() {
        assert_eq!(
            error_codes("Worker shoot--dev--a/a is not ready (state \"<none>\"): no provider extension ..."),
            ["ERR_RETRYABLE_INFRA_DEPENDENCIES"]
        );
        assert_eq!(error_codes("failed to listen: Address already in use"), ["ERR_INFRA_RESOURCES_DEPLETED"]);
        assert!(error_codes("kube-apiserver is not ready yet").is_empty());
    }
}
