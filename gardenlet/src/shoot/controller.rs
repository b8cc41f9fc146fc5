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

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use component_base::api::delete_if_exists;
use futures::StreamExt;
use garden_api::constants::ANNOTATION_FORCE_RESTORE;
use garden_api::core::v1beta1::{helper::shoot_technical_id, Condition, Project, Shoot};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::clock::now_rfc3339;
use crate::error::Error;
use crate::flow::{Flow, Retry, Severe};
use crate::runtime::{BackupStatus, ControlPlaneRuntime, ControlPlaneSpec, EtcdBackupSpec};
use crate::seed::next_condition;
use crate::shoot::hibernation;

/// Finalizer the gardenlet keeps on shoots it manages (Gardener's name).
pub const FINALIZER: &str = "gardener";
const STATUS_LABEL: &str = "shoot.gardener.cloud/status";
const OPERATION_ANNOTATION: &str = "gardener.cloud/operation";
/// Pause between a failed reconcile and the next attempt (unless the spec changes or `retry` is requested).
const ERROR_RETRY_BACKOFF: Duration = Duration::from_secs(10);
/// How long a flow waits for worker pools to get or lose their machines.
const WORKER_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Label (and value `shoot`) of the seed namespaces of shoots.
const SEED_NAMESPACE_ROLE_LABEL: &str = "gardener.cloud/role";
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

/// The shoot behind each seed namespace (technical ID) this gardenlet manages: events of the namespace and
/// of the Secrets in it lead back to the shoot.
fn shoot_of_namespace() -> &'static Mutex<HashMap<String, ObjectRef<Shoot>>> {
    static MAP: OnceLock<Mutex<HashMap<String, ObjectRef<Shoot>>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(HashMap::new()))
}

fn remember_namespace(technical_id: &str, shoot: &Shoot) {
    let mut map = shoot_of_namespace().lock().unwrap_or_else(|e| e.into_inner());
    map.insert(technical_id.to_string(), ObjectRef::from_obj(shoot));
}

fn forget_namespace(technical_id: &str) {
    shoot_of_namespace().lock().unwrap_or_else(|e| e.into_inner()).remove(technical_id);
}

fn shoot_in(namespace: Option<&str>) -> Option<ObjectRef<Shoot>> {
    let map = shoot_of_namespace().lock().unwrap_or_else(|e| e.into_inner());
    map.get(namespace?).cloned()
}

/// Technical IDs of shoots on other seeds this gardenlet already checked for a left-behind control plane
/// (once per shoot and gardenlet start is enough: a plane is only left behind while this gardenlet is away).
fn first_look_at_foreign(technical_id: &str) -> bool {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(technical_id.to_string())
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
    /// etcd backups of this seed: its BackupBucket (None: no backups) and the snapshot schedules.
    pub backup: BackupSettings,
}

/// How this seed backs up shoot etcds.
#[derive(Clone, Debug)]
pub struct BackupSettings {
    /// Name of the seed's BackupBucket; None when the seed has no `spec.backup`.
    pub bucket: Option<String>,
    /// Cron schedule of full snapshots.
    pub full_snapshot_schedule: String,
    /// Period of delta snapshots.
    pub delta_snapshot_period: Duration,
}

/// The part this seed plays for a shoot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Neither scheduled nor running here.
    None,
    /// Scheduled and (or about to be) running here.
    Owner,
    /// Running here but scheduled elsewhere: migrate the control plane away.
    Source,
    /// Scheduled here but still running elsewhere: restore once the source has migrated it away.
    Target,
}

/// This seed's role from the shoot's `spec.seedName` and `status.seedName`.
pub fn role(me: &str, spec_seed: Option<&str>, status_seed: Option<&str>) -> Role {
    match (spec_seed == Some(me), status_seed.filter(|s| !s.is_empty())) {
        (true, Some(s)) if s != me => Role::Target,
        (true, _) => Role::Owner,
        (false, Some(s)) if s == me => Role::Source,
        _ => Role::None,
    }
}

/// Run the controller until the stream ends.
pub async fn run(ctx: Arc<Ctx>) {
    // Shoots scheduled here (spec.seedName) and shoots still running here (status.seedName, during a migration
    // away) both matter, and one field selector cannot say "or": watch all, `role` filters.
    let shoots: Api<Shoot> = Api::all(ctx.client.clone());
    // Seed namespaces and the Secrets the gardenlet keeps in them: deleting one (by anyone) reconciles its
    // shoot, whose care notices what is missing and re-creates it.
    let seed_namespaces = watcher::Config::default().labels(&format!("{SEED_NAMESPACE_ROLE_LABEL}=shoot"));
    let (label, value) = crate::shoot::secrets::MANAGED_BY_LABEL;
    let kept_secrets = watcher::Config::default().labels(&format!("{label}={value}"));
    Controller::new(shoots, watcher::Config::default())
        .watches(Api::<Namespace>::all(ctx.client.clone()), seed_namespaces, |ns: Namespace| {
            shoot_in(ns.metadata.name.as_deref())
        })
        .watches(Api::<Secret>::all(ctx.client.clone()), kept_secrets, |s: Secret| {
            shoot_in(s.metadata.namespace.as_deref())
        })
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
    let status_seed = shoot.status.as_ref().and_then(|s| s.seed_name.as_deref());
    let role = role(&ctx.seed, shoot.spec.seed_name.as_deref(), status_seed);
    if role == Role::None {
        remove_left_behind_control_plane(&ctx, &shoot).await;
        return Ok(Action::await_change());
    }
    let technical_id = shoot_technical_id(&project_of(&ctx.client, &ns).await, &name);
    remember_namespace(&technical_id, &shoot);
    let has_finalizer = shoot.finalizers().iter().any(|f| f == FINALIZER);
    let (op_type, op_state) = last_operation(&shoot);
    if let Some(wait) = error_backoff(&shoot) {
        if matches!(role, Role::Source | Role::Target) {
            return Ok(Action::requeue(wait));
        }
    }
    match role {
        Role::Source => {
            // Done once migrated; the target's Restore follows (status.seedName moves when it succeeds).
            if (op_type == "Migrate" && op_state == "Succeeded") || op_type == "Restore" {
                return Ok(Action::await_change());
            }
            // The target restores without us: no final snapshot (it would race the restore), just go away.
            if force_restore_requested(&shoot) {
                set_supervised(&technical_id, false);
                ctx.runtime.destroy(&technical_id).await.map_err(|e| failed("destroy control plane", &name, e))?;
                return Ok(Action::await_change());
            }
            set_supervised(&technical_id, false);
            return migrate_flow(&ctx, &api, &shoot, &technical_id).await;
        }
        Role::Target => {
            let source_done = (op_type == "Migrate" && op_state == "Succeeded") || op_type == "Restore";
            if !source_done && !force_restore_requested(&shoot) {
                return Ok(Action::requeue(Duration::from_secs(5)));
            }
            if shoot.metadata.deletion_timestamp.is_none() && has_finalizer {
                let generation = shoot.metadata.generation.unwrap_or(0);
                return reconcile_flow(&ctx, &api, &shoot, &technical_id, "Restore", generation).await;
            }
        }
        Role::Owner | Role::None => {}
    }

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
        forget_namespace(&technical_id);
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
    // A finished Restore is followed by an ordinary Reconcile on the new seed.
    let up_to_date = observed == generation && last_state == "Succeeded" && operation.is_none() && op_type != "Restore";
    if up_to_date {
        return care(&ctx, &api, &shoot, &technical_id).await;
    }
    // A failed operation is retried with a backoff, not on every status change it caused.
    if observed == generation && operation.is_none() {
        if let Some(wait) = error_backoff(&shoot) {
            return Ok(Action::requeue(wait));
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

/// `status.lastOperation` type and state (empty when unset).
fn last_operation(shoot: &Shoot) -> (String, String) {
    let op = shoot.status.as_ref().and_then(|s| s.last_operation.as_ref());
    op.map(|o| (o.type_.clone(), o.state.clone())).unwrap_or_default()
}

/// After a failed operation: how long to wait before the next attempt (None: no failure, or waited enough).
fn error_backoff(shoot: &Shoot) -> Option<Duration> {
    let op = shoot.status.as_ref().and_then(|s| s.last_operation.as_ref())?;
    if op.state != "Error" {
        return None;
    }
    let updated = op.last_update_time.as_ref()?.0;
    let elapsed = Duration::from_secs(now().as_second().saturating_sub(updated.as_second()).max(0) as u64);
    ERROR_RETRY_BACKOFF.checked_sub(elapsed).filter(|d| !d.is_zero())
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
                "description": description, "lastUpdateTime": now_rfc3339()}}});
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
        // A namespace deleted behind our back takes a moment to go away before it can be created again.
        let until_gone =
            Retry { attempts: 60, initial_backoff: Duration::from_millis(200), max_backoff: Duration::from_secs(1) };
        flow.add("Deploying seed namespace", &[], move || ensure_namespace(client.clone(), id.clone()))
            .retry(until_gone);
    }
    let mut secrets_after = vec!["Deploying seed namespace"];
    if kind == "Restore" {
        // The CAs and keys the source seed saved: the restored cluster keeps its identity.
        let (client, id) = (ctx.client.clone(), technical_id.to_string());
        let (ns, shoot_name) = (shoot.namespace().unwrap_or_default(), name.clone());
        flow.add("Restoring control plane state", &["Deploying seed namespace"], move || {
            let (client, id, ns, shoot_name) = (client.clone(), id.clone(), ns.clone(), shoot_name.clone());
            async move {
                let n = crate::shoot::state::restore(&client, &ns, &shoot_name, &id).await?;
                tracing::info!(shoot = %shoot_name, secrets = n, "restored control plane secrets from the ShootState");
                Ok(())
            }
        })
        .retry(quick);
        secrets_after.push("Restoring control plane state");
    }
    let backup = Arc::new(tokio::sync::OnceCell::new());
    {
        let (ctx2, id, desired, backup) =
            (ctx.clone(), technical_id.to_string(), Arc::new(shoot.clone()), backup.clone());
        flow.add("Deploying backup entry", &["Deploying seed namespace"], move || {
            let (ctx, id, desired, backup) = (ctx2.clone(), id.clone(), desired.clone(), backup.clone());
            async move {
                let _ = backup.set(backup_spec(&ctx, &desired, &id).await?);
                Ok(())
            }
        })
        .retry(quick);
    }
    let secrets = Arc::new(tokio::sync::OnceCell::new());
    {
        let (client, id, secrets, runtime, desired) = (
            ctx.client.clone(),
            technical_id.to_string(),
            secrets.clone(),
            ctx.runtime.clone(),
            Arc::new(shoot.clone()),
        );
        flow.add("Deploying control plane secrets", &secrets_after, move || {
            let (client, id, secrets, runtime, desired) =
                (client.clone(), id.clone(), secrets.clone(), runtime.clone(), desired.clone());
            async move {
                let kept = runtime.kept_roots(&id).await?;
                let (s, new_ca) =
                    crate::shoot::secrets::ensure_secrets(&client, &id, &api_server_hosts(&id), kept.as_ref()).await?;
                if new_ca && kind != "Create" {
                    report_ca_regenerated(&client, &desired).await;
                }
                let _ = secrets.set(s);
                Ok(())
            }
        })
        .retry(quick);
    }
    let url = Arc::new(std::sync::Mutex::new(String::new()));
    // How long worker pools may take to get (or lose) their machines.
    let machines_wait = |flow: &mut Flow, task: &'static str, deps: &[&str], hibernated: bool| {
        let (client, id, desired, shoots) =
            (ctx.client.clone(), technical_id.to_string(), Arc::new(shoot.clone()), api.clone());
        flow.add(task, deps, move || {
            let (client, id, desired, shoots) = (client.clone(), id.clone(), desired.clone(), shoots.clone());
            async move {
                crate::shoot::worker::ensure_worker(&client, &desired, &id, hibernated).await?;
                let result = crate::shoot::worker::wait_worker_ready(&client, &id, &desired.name_any()).await;
                if let Err(e) = &result {
                    // The Worker's own progress ("2/3 machines Running") in the shoot's description meanwhile.
                    let detail = format!("{e:#}");
                    let detail = detail.split_once(" is not ready: ").map_or(detail.as_str(), |(_, d)| d);
                    let patch = json!({"status": {"lastOperation": {"description": format!("{task} ({detail})")}}});
                    let _ =
                        shoots.patch_status(&desired.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await;
                }
                result
            }
        })
        .retry(Retry::until_deadline(Duration::from_millis(250), Duration::from_secs(2)))
        .timeout(WORKER_TIMEOUT);
    };
    if workers > 0 {
        let (client, id, desired, seed) =
            (ctx.client.clone(), technical_id.to_string(), Arc::new(shoot.clone()), ctx.seed.clone());
        flow.add("Deploying cluster resource and credentials", &["Deploying seed namespace"], move || {
            let (client, id, desired, seed) = (client.clone(), id.clone(), desired.clone(), seed.clone());
            async move {
                crate::shoot::worker::ensure_cluster(&client, &desired, &id, &seed).await?;
                crate::shoot::worker::ensure_cloud_provider_secret(&client, &desired, &id).await
            }
        })
        .retry(quick);
    }
    // The pools' machines wait for the cluster resource, the credentials and (but for local) the infrastructure.
    let mut workers_after = vec!["Deploying cluster resource and credentials"];
    if crate::shoot::infrastructure::needed(shoot) {
        let (client, id, desired) = (ctx.client.clone(), technical_id.to_string(), Arc::new(shoot.clone()));
        // Errors the extension reports from this run on count (whole seconds: its timestamps have no more).
        let since = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap_or_default();
        flow.add("Deploying infrastructure", &["Deploying cluster resource and credentials"], move || {
            let (client, id, desired) = (client.clone(), id.clone(), desired.clone());
            async move {
                crate::shoot::infrastructure::ensure(&client, &desired, &id).await?;
                crate::shoot::infrastructure::provider_status(&client, &id, &desired.name_any(), since)
                    .await
                    .map(|_| ())
            }
        })
        .retry(Retry::until_deadline(Duration::from_millis(250), Duration::from_secs(2)))
        .timeout(WORKER_TIMEOUT);
        workers_after.push("Deploying infrastructure");
    }
    if hibernate {
        let mut control_plane_after = vec!["Deploying control plane secrets"];
        if workers > 0 {
            // The machines go first, while the shoot API can still drain and delete their nodes.
            machines_wait(&mut flow, "Hibernating worker pools", &workers_after, true);
            control_plane_after.push("Hibernating worker pools");
        }
        // Gardener scales the control plane to zero and keeps etcd's data; here: stop the processes.
        let (runtime, id) = (ctx.runtime.clone(), technical_id.to_string());
        flow.add("Hibernating control plane", &control_plane_after, move || {
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
            let (runtime, id, secrets, url, backup) =
                (ctx.runtime.clone(), technical_id.to_string(), secrets.clone(), url.clone(), backup.clone());
            let version = shoot.spec.kubernetes.version.clone();
            flow.add(deploy, &["Deploying control plane secrets", "Deploying backup entry"], move || {
                let (runtime, id, secrets, url, version, backup) =
                    (runtime.clone(), id.clone(), secrets.clone(), url.clone(), version.clone(), backup.clone());
                async move {
                    let secrets =
                        secrets.get().ok_or_else(|| anyhow::anyhow!("control plane secrets are missing"))?.clone();
                    let backup = backup.get().cloned().flatten();
                    let spec = ControlPlaneSpec { technical_id: id, secrets, kubernetes_version: version, backup };
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
                    let why = s.not_ready.as_deref().map(|w| format!(": {w}")).unwrap_or_default();
                    anyhow::ensure!(s.ready, "kube-apiserver is not ready yet{why}");
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
            // The Worker goes to the seed's provider extension, whose machine controller reaches the shoot
            // through its access kubeconfig and hands the pools' user data to every machine; the shoot is
            // ready once the Worker reports every machine available.
            let (client, id, secrets, url, desired) =
                (ctx.client.clone(), technical_id.to_string(), secrets.clone(), url.clone(), Arc::new(shoot.clone()));
            flow.add(
                "Deploying machine controller access",
                &["Waiting until the kube-apiserver is ready"],
                move || {
                    let (client, id, secrets, url, desired) =
                        (client.clone(), id.clone(), secrets.clone(), url.clone(), desired.clone());
                    async move {
                        let secrets =
                            secrets.get().ok_or_else(|| anyhow::anyhow!("control plane secrets are missing"))?.clone();
                        let url = url.lock().map(|u| u.clone()).unwrap_or_default();
                        crate::shoot::worker::ensure_node_access(&client, &id, &secrets, &url, &desired).await
                    }
                },
            )
            .retry(quick);
            let mut after = workers_after.clone();
            after.push("Deploying machine controller access");
            machines_wait(&mut flow, "Waiting until worker pools are ready", &after, false);
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
            write_success(&ctx.client, api, shoot, technical_id, kind, generation, &url, hibernate).await?;
            if kind == "Restore" {
                let ns = shoot.namespace().unwrap_or_default();
                if let Err(e) = crate::shoot::state::delete(&ctx.client, &ns, &name).await {
                    tracing::warn!(shoot = %name, error = %format!("{e:#}"), "deleting the ShootState failed");
                }
            }
            Ok(Action::requeue(Duration::from_secs(30)))
        }
        Err(e) => {
            let errors: Vec<Value> = e
                .failed
                .iter()
                .map(|(task, err)| {
                    let description = format!("{err:#}");
                    json!({"taskID": task, "description": description, "codes": error_codes(&description), "lastUpdateTime": now_rfc3339()})
                })
                .collect();
            let description = format!("{e}");
            let patch = json!({"status": {
                "lastOperation": {"type": kind, "state": "Error", "progress": 0, "description": description, "lastUpdateTime": now_rfc3339()},
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
/// Gardener's error codes (`ErrorCode` of core.gardener.cloud).
const KNOWN_ERROR_CODES: [&str; 11] = [
    "ERR_INFRA_UNAUTHENTICATED",
    "ERR_INFRA_UNAUTHORIZED",
    "ERR_INFRA_QUOTA_EXCEEDED",
    "ERR_INFRA_RATE_LIMITS_EXCEEDED",
    "ERR_INFRA_DEPENDENCIES",
    "ERR_RETRYABLE_INFRA_DEPENDENCIES",
    "ERR_INFRA_RESOURCES_DEPLETED",
    "ERR_CLEANUP_CLUSTER_RESOURCES",
    "ERR_CONFIGURATION_PROBLEM",
    "ERR_RETRYABLE_CONFIGURATION_PROBLEM",
    "ERR_PROBLEMATIC_WEBHOOK",
];

fn error_codes(description: &str) -> Vec<&'static str> {
    let d = description.to_lowercase();
    // Codes an extension reported (`Infrastructure ... failed [ERR_INFRA_UNAUTHENTICATED]: ...`) carry over.
    let words: Vec<&str> = description.split(|c: char| !(c.is_ascii_uppercase() || c == '_')).collect();
    let mut codes: Vec<&'static str> = KNOWN_ERROR_CODES.iter().copied().filter(|c| words.contains(c)).collect();
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
    let mut seen = std::collections::BTreeSet::new();
    codes.retain(|c| seen.insert(*c));
    codes
}

/// Creates the seed namespace unless it exists. One that is being deleted (behind the gardenlet's back) is an
/// error until it is gone, so the flow retries and creates it again.
async fn ensure_namespace(client: Client, name: String) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(client);
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name, "labels": {SEED_NAMESPACE_ROLE_LABEL: "shoot"}}}))?;
    match api.create(&PostParams::default(), &ns).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let terminating = api.get_opt(&name).await?.is_some_and(|n| n.metadata.deletion_timestamp.is_some());
            anyhow::ensure!(
                !terminating,
                "seed namespace {name} is being deleted; it is created again once it is gone"
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// What the gardenlet keeps in the seed for this shoot and is missing (or being deleted), as `kind name`.
async fn missing_objects(ctx: &Ctx, shoot: &Shoot, technical_id: &str) -> anyhow::Result<Vec<String>> {
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    let ns = namespaces.get_opt(technical_id).await?;
    if ns.as_ref().is_none_or(|n| n.metadata.deletion_timestamp.is_some()) {
        return Ok(vec![format!("namespace {technical_id}")]);
    }
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), technical_id);
    let present: HashSet<String> =
        secrets.list(&ListParams::default()).await?.items.iter().map(|s| s.name_any()).collect();
    let workers =
        if shoot.spec.provider.workers.is_empty() { &[][..] } else { &crate::shoot::worker::WORKER_SECRETS[..] };
    Ok(crate::shoot::secrets::CONTROL_PLANE_SECRETS
        .iter()
        .chain(workers)
        .filter(|n| !present.contains(**n))
        .map(|n| format!("secret {technical_id}/{n}"))
        .collect())
}

/// The shoot's health conditions; `nodes` is (ready, all) of the shoot's Nodes when they could be listed.
fn conditions(shoot: &Shoot, healthy: bool, message: &str, nodes: Option<(usize, usize)>) -> Vec<Condition> {
    let old: Vec<Condition> = shoot.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let workers = shoot.spec.provider.workers.len();
    let minimum: usize = shoot.spec.provider.workers.iter().map(|w| usize::try_from(w.minimum).unwrap_or(0)).sum();
    HEALTH_CONDITIONS
        .iter()
        .map(|ty| {
            let prev = old.iter().find(|c| c.type_ == *ty);
            let (status, reason, msg) = match (*ty, healthy) {
                ("EveryNodeReady", _) if workers == 0 => {
                    ("True", "NoWorkers", "The shoot has no worker pools.".to_string())
                }
                ("EveryNodeReady", _) => every_node_ready(nodes, minimum),
                (_, true) => ("True", "HealthCheckSucceeded", message.to_string()),
                (_, false) => ("False", "HealthCheckFailed", message.to_string()),
            };
            next_condition(ty, prev, status, reason, &msg, now())
        })
        // Conditions with their own writers (BackupReady) stay as they are.
        .chain(old.iter().filter(|c| !HEALTH_CONDITIONS.contains(&c.type_.as_str())).cloned())
        .collect()
}

/// `EveryNodeReady` from the shoot's Nodes: all of them Ready, and at least the pools' minimum.
fn every_node_ready(nodes: Option<(usize, usize)>, minimum: usize) -> (&'static str, &'static str, String) {
    match nodes {
        None => ("Unknown", "NodesUnknown", "The shoot's nodes cannot be listed.".to_string()),
        Some((ready, all)) if ready < all => {
            ("False", "NodesNotReady", format!("{} of {all} nodes are not ready.", all - ready))
        }
        Some((ready, _)) if ready < minimum => {
            ("False", "MissingNodes", format!("{ready} nodes are ready, the worker pools ask for at least {minimum}."))
        }
        Some((ready, _)) => ("True", "EveryNodeReady", format!("All {ready} nodes are ready.")),
    }
}

#[allow(clippy::too_many_arguments)]
async fn write_success(
    client: &Client,
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
        let nodes = if shoot.spec.provider.workers.is_empty() {
            None
        } else {
            crate::shoot::worker::node_readiness(client, technical_id).await
        };
        conditions(shoot, true, "The kube-apiserver answers /readyz.", nodes)
    };
    let addresses = if url.is_empty() { Value::Null } else { json!([{"name": "external", "url": url}]) };
    let done = match kind {
        "Create" => "created",
        "Restore" => "restored",
        _ => "reconciled",
    };
    // After a Restore the observed generation stays behind, so an ordinary Reconcile follows on the new seed.
    let observed =
        if kind == "Restore" { shoot.status.as_ref().map(|s| s.observed_generation) } else { Some(generation) };
    let patch = json!({"status": {
        "lastOperation": {"type": kind, "state": "Succeeded", "progress": 100, "description": format!("Shoot cluster has been successfully {done}."), "lastUpdateTime": now_rfc3339()},
        "lastErrors": null,
        "observedGeneration": observed,
        "technicalID": technical_id,
        "seedName": shoot.spec.seed_name,
        "advertisedAddresses": addresses,
        "conditions": conditions,
        "hibernated": hibernated,
    }});
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| failed("write status", &name, e))?;
    let mut meta = json!({"labels": {STATUS_LABEL: "healthy"}});
    if kind == "Restore" && force_restore_requested(shoot) {
        meta["annotations"] = json!({ANNOTATION_FORCE_RESTORE: null});
    }
    let label = json!({ "metadata": meta });
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
    // Deleted seed objects come back first, also for a hibernated shoot (its flow keeps it hibernated).
    match missing_objects(ctx, shoot, technical_id).await {
        Ok(missing) if !missing.is_empty() => {
            let message = format!("Missing in the seed: {}. Reconciling to create them again.", missing.join(", "));
            tracing::warn!(shoot = %name, %message, "objects of the shoot were deleted");
            let prev = old.iter().find(|c| c.type_ == "ControlPlaneHealthy");
            let cond = next_condition("ControlPlaneHealthy", prev, "False", "ObjectsMissing", &message, now());
            let patch = json!({"status": {"conditions": crate::seed::merge_condition(&old, cond)}});
            // The flow's final conditions follow this one (so the transition back to True is recorded).
            let shoot = api
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| failed("write conditions", &name, e))?;
            let generation = shoot.metadata.generation.unwrap_or(0);
            return reconcile_flow(ctx, api, &shoot, technical_id, "Reconcile", generation).await;
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(shoot = %name, error = %format!("{e:#}"), "checking the shoot's seed objects failed"),
    }
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
    if let Err(e) = report_backups(ctx, api, shoot, technical_id).await {
        tracing::debug!(shoot = %name, error = %format!("{e:#}"), "reporting the backup state failed");
    }
    let was = old.iter().find(|c| c.type_ == "APIServerAvailable").map(|c| c.status == "True");
    let has_workers = !shoot.spec.provider.workers.is_empty();
    let nodes =
        if has_workers && ready { crate::shoot::worker::node_readiness(&ctx.client, technical_id).await } else { None };
    let minimum: usize = shoot.spec.provider.workers.iter().map(|w| usize::try_from(w.minimum).unwrap_or(0)).sum();
    let nodes_were = old.iter().find(|c| c.type_ == "EveryNodeReady").map(|c| c.status.clone());
    let nodes_changed = has_workers && nodes_were.as_deref() != Some(every_node_ready(nodes, minimum).0);
    if was == Some(ready) && !nodes_changed {
        return Ok(requeue);
    }
    let message = match probed.as_ref().and_then(|s| s.not_ready.as_deref()) {
        _ if ready => "The kube-apiserver answers /readyz.".to_string(),
        Some(why) => format!("The kube-apiserver does not answer /readyz: {why}."),
        None => "The kube-apiserver does not answer /readyz.".to_string(),
    };
    let patch = json!({"status": {"conditions": conditions(shoot, ready, &message, nodes)}});
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| failed("write conditions", &name, e))?;
    let nodes_ready = !has_workers || every_node_ready(nodes, minimum).0 == "True";
    let healthy = ready && nodes_ready;
    let label = json!({"metadata": {"labels": {STATUS_LABEL: if healthy { "healthy" } else { "unhealthy" }}}});
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&label))
        .await
        .map_err(|e| failed("write status label", &name, e))?;
    Ok(requeue)
}

/// The snapshotter's state as the shoot's `BackupReady` condition and the BackupEntry's status (written only
/// when they change).
async fn report_backups(ctx: &Ctx, api: &Api<Shoot>, shoot: &Shoot, technical_id: &str) -> anyhow::Result<()> {
    let Some(st) = ctx.runtime.backup_status(technical_id).await? else { return Ok(()) };
    let (healthy, reason, message) = backup_condition(&st);
    let old: Vec<Condition> = shoot.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let prev = old.iter().find(|c| c.type_ == "BackupReady");
    let status = if healthy { "True" } else { "False" };
    if prev.is_none_or(|p| p.status != status || p.reason != reason) {
        let cond = next_condition("BackupReady", prev, status, reason, &message, now());
        let patch = json!({"status": {"conditions": crate::seed::merge_condition(&old, cond)}});
        api.patch_status(&shoot.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    let entries: Api<garden_api::core::v1beta1::BackupEntry> =
        Api::namespaced(ctx.client.clone(), &shoot.namespace().unwrap_or_default());
    if let Some(entry) = entries.get_opt(&crate::backup::entry::name(technical_id, shoot)).await? {
        let current = entry.status.as_ref().and_then(|s| s.last_operation.as_ref()).map(|o| o.description.as_str());
        if current != Some(message.as_str()) {
            crate::backup::entry::write_status(&ctx.client, &entry, &ctx.seed, healthy, &message).await?;
        }
    }
    Ok(())
}

/// Whether the shoot carries `shoot.gardener.cloud/force-restore: "true"`: its old seed is gone, so the new seed
/// restores it from the backups without the old seed's Migrate (no final snapshot, no saved state: what the
/// last delta snapshot holds comes back).
fn force_restore_requested(shoot: &Shoot) -> bool {
    shoot.annotations().get(ANNOTATION_FORCE_RESTORE).is_some_and(|v| v == "true")
}

/// A shoot that moved away from this seed without this seed's Migrate (a force-restore elsewhere while this
/// seed was gone) may have left its control plane here: once the shoot runs on its new seed, it is destroyed
/// (processes and data), so two control planes never run, nor write into one backup entry. The seed namespace
/// stays: local seeds share the garden as their seed cluster, and the new seed uses the same namespace.
async fn remove_left_behind_control_plane(ctx: &Ctx, shoot: &Shoot) {
    let Some(status) = shoot.status.as_ref() else { return };
    let moved_on = status.seed_name.as_deref().is_some_and(|s| !s.is_empty() && s != ctx.seed)
        && shoot.spec.seed_name.as_deref() != Some(ctx.seed.as_str());
    let id = status.technical_id.as_str();
    if !moved_on || id.is_empty() || !first_look_at_foreign(id) {
        return;
    }
    match ctx.runtime.probe(id).await {
        Ok(found) if found.running || !found.etcd_url.is_empty() => {
            tracing::warn!(shoot = %shoot.name_any(), technical_id = id, "destroying a control plane left behind by a forced restore elsewhere");
            set_supervised(id, false);
            if let Err(e) = ctx.runtime.destroy(id).await {
                tracing::warn!(technical_id = id, error = %e, "failed to destroy a left-behind control plane");
            }
        }
        _ => {}
    }
}

/// The `BackupReady` condition (healthy, reason, message) for a snapshotter's status: ready once a full
/// snapshot exists and while the latest attempt did not fail; a failure that a later upload already made
/// good is only mentioned.
fn backup_condition(st: &BackupStatus) -> (bool, &'static str, String) {
    let snapshots = st.last_full.as_ref().map(|(full, rev)| {
        let delta = st.last_delta.as_ref().map(|(d, r)| format!("; latest delta snapshot {d} (revision {r})"));
        format!("Latest full snapshot {full} (revision {rev}){}.", delta.unwrap_or_default())
    });
    match (&st.failing, snapshots) {
        (Some(e), snapshots) => {
            (false, "BackupFailed", format!("Backups are failing: {e}. {}", snapshots.unwrap_or_default()))
        }
        (None, Some(snapshots)) => {
            let earlier = st.last_error.as_ref().map(|e| format!(" Earlier failure: {e}")).unwrap_or_default();
            (true, "BackupSucceeded", format!("{snapshots}{earlier}"))
        }
        (None, None) => (false, "NoFullSnapshot", "No full etcd snapshot has been taken yet.".to_string()),
    }
}

/// A cluster CA generated anew for a shoot that had one (its Secret and the runtime's copy were both lost) is a
/// CA rotation nobody asked for: kubeconfigs issued before stop working. Said in a Warning Event and in
/// `status.credentials.rotation.certificateAuthorities`, as Gardener reports a completed rotation (best effort).
async fn report_ca_regenerated(client: &Client, shoot: &Shoot) {
    let now = now_rfc3339();
    let message = "The cluster CA was lost (its Secret and the control plane's copy) and generated anew: \
                   kubeconfigs and service account tokens issued before no longer verify; fetch new ones.";
    tracing::warn!(shoot = %shoot.name_any(), namespace = %shoot.namespace().unwrap_or_default(), "{message}");
    let e = component_base::events::EventRecord {
        type_: "Warning",
        reason: "CertificateAuthorityRegenerated",
        action: "Reconcile",
        message,
        component: "gardenlet",
    };
    component_base::events::record(client, shoot, &shoot.namespace().unwrap_or_default(), e).await;
    let api: Api<Shoot> = Api::namespaced(client.clone(), &shoot.namespace().unwrap_or_default());
    let patch = json!({"status": {"credentials": {"rotation": {"certificateAuthorities": {
        "phase": "Completed", "lastInitiationTime": now, "lastCompletionTime": now}}}}});
    if let Err(e) = api.patch_status(&shoot.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
        tracing::warn!(shoot = %shoot.name_any(), error = %e, "recording the CA rotation failed");
    }
}

/// `ensure` outside a flow (care): adopts running processes, restarts dead ones, (re)starts the supervisor.
async fn heal(ctx: &Arc<Ctx>, shoot: &Shoot, technical_id: &str) -> anyhow::Result<()> {
    let kept = ctx.runtime.kept_roots(technical_id).await?;
    let (secrets, new_ca) = crate::shoot::secrets::ensure_secrets(
        &ctx.client,
        technical_id,
        &api_server_hosts(technical_id),
        kept.as_ref(),
    )
    .await?;
    if new_ca {
        report_ca_regenerated(&ctx.client, shoot).await;
    }
    let spec = ControlPlaneSpec {
        technical_id: technical_id.to_string(),
        secrets,
        kubernetes_version: shoot.spec.kubernetes.version.clone(),
        backup: backup_spec(ctx, shoot, technical_id).await?,
    };
    ctx.runtime.ensure(&spec).await?;
    Ok(())
}

/// The shoot's BackupEntry (created in this seed's bucket, or taken over after a migration) as the runtime's
/// backup spec; None when there is neither an entry nor a bucket of this seed.
async fn backup_spec(ctx: &Ctx, shoot: &Shoot, technical_id: &str) -> anyhow::Result<Option<EtcdBackupSpec>> {
    let entry =
        crate::backup::entry::ensure(&ctx.client, shoot, technical_id, &ctx.seed, ctx.backup.bucket.as_deref()).await?;
    let Some(entry) = entry else { return Ok(None) };
    Ok(Some(EtcdBackupSpec {
        store: crate::backup::entry::store_of(&ctx.client, &entry).await?,
        full_snapshot_schedule: ctx.backup.full_snapshot_schedule.clone(),
        delta_snapshot_period: ctx.backup.delta_snapshot_period,
    }))
}

async fn delete_flow(ctx: &Arc<Ctx>, api: &Api<Shoot>, shoot: &Shoot, technical_id: &str) -> Result<(), Error> {
    let name = shoot.name_any();
    let mut flow = Flow::new(format!("Delete Shoot {name}"));
    // Machines go before the control plane: their nodes are drained and deleted through the shoot API.
    {
        let (client, id, worker) = (ctx.client.clone(), technical_id.to_string(), name.clone());
        flow.add("Deleting worker pools", &[], move || {
            let (client, id, worker) = (client.clone(), id.clone(), worker.clone());
            async move { crate::shoot::worker::delete_worker(&client, &id, &worker).await }
        })
        .retry(Retry::until_deadline(Duration::from_millis(250), Duration::from_secs(2)))
        .timeout(WORKER_TIMEOUT);
    }
    {
        let (client, id) = (ctx.client.clone(), technical_id.to_string());
        flow.add("Deleting cluster resource", &["Deleting worker pools"], move || {
            let (client, id) = (client.clone(), id.clone());
            async move { crate::shoot::worker::delete_cluster(&client, &id).await }
        });
    }
    {
        // After the machines: the network they lived in goes last (the extension deletes in reverse order).
        let (client, id, name) = (ctx.client.clone(), technical_id.to_string(), name.clone());
        flow.add("Deleting infrastructure", &["Deleting worker pools"], move || {
            let (client, id, name) = (client.clone(), id.clone(), name.clone());
            async move { crate::shoot::infrastructure::delete(&client, &id, &name).await }
        })
        .retry(Retry::until_deadline(Duration::from_millis(250), Duration::from_secs(2)))
        .timeout(WORKER_TIMEOUT);
    }
    {
        let (runtime, id) = (ctx.runtime.clone(), technical_id.to_string());
        flow.add("Destroying etcd and kube-apiserver", &["Deleting worker pools"], move || {
            let (runtime, id) = (runtime.clone(), id.clone());
            async move { runtime.destroy(&id).await.map_err(anyhow::Error::from) }
        });
    }
    {
        let (client, id) = (ctx.client.clone(), technical_id.to_string());
        flow.add(
            "Deleting seed namespace",
            &["Destroying etcd and kube-apiserver", "Deleting infrastructure"],
            move || delete_namespace(client.clone(), id.clone()),
        );
    }
    {
        // The seed of the entry deletes the snapshots once its grace period has passed.
        let (client, id, desired) = (ctx.client.clone(), technical_id.to_string(), Arc::new(shoot.clone()));
        flow.add("Deleting backup entry", &["Destroying etcd and kube-apiserver"], move || {
            let (client, id, desired) = (client.clone(), id.clone(), desired.clone());
            async move {
                crate::backup::entry::delete(&client, &desired, &id).await?;
                crate::shoot::state::delete(&client, &desired.namespace().unwrap_or_default(), &desired.name_any())
                    .await
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

/// Deletes a seed namespace and waits until it (and its secrets) is gone.
async fn delete_namespace(client: Client, name: String) -> anyhow::Result<()> {
    let nss: Api<Namespace> = Api::all(client);
    if !delete_if_exists(&nss, &name).await? {
        return Ok(());
    }
    for _ in 0..100 {
        match nss.get_opt(&name).await? {
            None => return Ok(()),
            Some(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    anyhow::bail!("namespace {name} is still terminating")
}

/// The source seed's half of a control plane migration: a final full etcd snapshot into the shoot's backup
/// entry, the control plane's secrets into the ShootState, then the control plane and its seed namespace are
/// removed here and `lastOperation` says `Migrate Succeeded`, which lets the target seed restore. Re-running it
/// after a crash is safe: once the ShootState is saved and nothing runs here any more, the snapshot is not
/// retaken (it was taken before the state was saved).
async fn migrate_flow(ctx: &Arc<Ctx>, api: &Api<Shoot>, shoot: &Shoot, technical_id: &str) -> Result<Action, Error> {
    let name = shoot.name_any();
    let ns = shoot.namespace().unwrap_or_default();
    let target = shoot.spec.seed_name.clone().unwrap_or_default();
    let mut flow = Flow::new(format!("Migrate Shoot {name}"));
    let quick = Retry { attempts: 5, initial_backoff: Duration::from_millis(200), max_backoff: Duration::from_secs(2) };
    // Deleting the seed namespace would take the shoot's Infrastructure, and with it its cloud network, along:
    // moving such a shoot needs the extension's migrate operation, which does not exist yet.
    let mut snapshot_after = Vec::new();
    if crate::shoot::infrastructure::needed(shoot) {
        let provider = shoot.spec.provider.type_.clone();
        snapshot_after.push("Checking that the shoot can move");
        flow.add("Checking that the shoot can move", &[], move || {
            let provider = provider.clone();
            async move {
                Err(Severe(format!(
                    "shoots of provider type {provider} with workers cannot move between seeds yet (their \
                     infrastructure would be deleted with the seed namespace)"
                ))
                .into())
            }
        });
    }
    {
        let (ctx2, id, desired) = (ctx.clone(), technical_id.to_string(), Arc::new(shoot.clone()));
        flow.add("Taking a final etcd snapshot", &snapshot_after, move || {
            let (ctx, id, desired) = (ctx2.clone(), id.clone(), desired.clone());
            async move {
                let (ns, name) = (desired.namespace().unwrap_or_default(), desired.name_any());
                let running = ctx.runtime.probe(&id).await?.running;
                if !running && crate::shoot::state::exists(&ctx.client, &ns, &name).await? {
                    tracing::info!(shoot = %name, "control plane already gone after its final snapshot");
                    return Ok(());
                }
                anyhow::ensure!(
                    backup_spec(&ctx, &desired, &id).await?.is_some(),
                    "the shoot's etcd has no backups (seed {} has no spec.backup): its data cannot move",
                    ctx.seed
                );
                // Also wakes a hibernated control plane: the snapshot needs a running etcd.
                heal(&ctx, &desired, &id).await?;
                let snapshot = ctx.runtime.final_snapshot(&id).await?;
                tracing::info!(shoot = %name, %snapshot, "final full snapshot before migration");
                Ok(())
            }
        })
        .retry(quick);
    }
    {
        let (client, id, ns2, shoot_name) = (ctx.client.clone(), technical_id.to_string(), ns.clone(), name.clone());
        flow.add("Saving control plane state", &["Taking a final etcd snapshot"], move || {
            let (client, id, ns, shoot_name) = (client.clone(), id.clone(), ns2.clone(), shoot_name.clone());
            async move {
                // Saved by an earlier attempt of this migration: the namespace may already be half deleted, so
                // the first save is the one that counts (the state is deleted once the target restored it).
                if crate::shoot::state::exists(&client, &ns, &shoot_name).await? {
                    return Ok(());
                }
                crate::shoot::state::save(&client, &ns, &shoot_name, &id).await.map(|_| ())
            }
        })
        .retry(quick);
    }
    {
        let (runtime, id) = (ctx.runtime.clone(), technical_id.to_string());
        flow.add("Destroying etcd and kube-apiserver", &["Saving control plane state"], move || {
            let (runtime, id) = (runtime.clone(), id.clone());
            async move { runtime.destroy(&id).await.map_err(anyhow::Error::from) }
        });
    }
    {
        let (client, id) = (ctx.client.clone(), technical_id.to_string());
        flow.add("Deleting seed namespace", &["Destroying etcd and kube-apiserver"], move || {
            delete_namespace(client.clone(), id.clone())
        });
    }
    let graph = flow.build().map_err(|e| failed("build flow", &name, e))?;
    let (progress, writer) = progress_writer(api.clone(), name.clone(), "Migrate");
    let result = graph
        .run(|p| {
            let _ = progress.send((p.percent, p.running.join(", ")));
        })
        .await;
    drop(progress);
    let _ = writer.await;
    let (state, progress, description) = match &result {
        Ok(()) => ("Succeeded", 100, format!("Control plane migrated away from seed {} to seed {target}.", ctx.seed)),
        Err(e) => ("Error", 0, format!("{e}")),
    };
    let patch = json!({"status": {"lastOperation": {"type": "Migrate", "state": state, "progress": progress,
        "description": description, "lastUpdateTime": now_rfc3339()}}});
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| failed("write status", &name, e))?;
    Ok(if result.is_ok() { Action::await_change() } else { Action::requeue(ERROR_RETRY_BACKOFF) })
}

#[cfg(test)]
mod tests {
    use super::{backup_condition, error_codes, role, BackupStatus, Role};

    #[test]
    fn backup_ready_follows_the_latest_attempt() {
        let none = BackupStatus::default();
        assert_eq!(backup_condition(&none).1, "NoFullSnapshot");
        let full = Some(("v2/Full-00000000-00000010-1".to_string(), 10));
        let ok = BackupStatus { last_full: full.clone(), ..Default::default() };
        let (healthy, reason, message) = backup_condition(&ok);
        assert!(healthy && reason == "BackupSucceeded", "{message}");
        assert!(message.contains("revision 10"), "{message}");
        // A failure that a later upload made good is mentioned, but the backups are ready.
        let recovered = BackupStatus { last_error: Some("delta: timeout".into()), ..ok.clone() };
        let (healthy, _, message) = backup_condition(&recovered);
        assert!(healthy && message.contains("Earlier failure: delta: timeout"), "{message}");
        // Failing right now: not ready, even with an older full snapshot.
        let failing = BackupStatus { failing: Some("full: store unreachable".into()), ..recovered.clone() };
        let (healthy, reason, message) = backup_condition(&failing);
        assert!(!healthy && reason == "BackupFailed", "{message}");
        assert!(message.contains("store unreachable") && message.contains("revision 10"), "{message}");
    }

    #[test]
    fn roles_during_a_migration() {
        assert_eq!(role("a", Some("a"), None), Role::Owner);
        assert_eq!(role("a", Some("a"), Some("a")), Role::Owner);
        assert_eq!(role("a", Some("b"), Some("a")), Role::Source);
        assert_eq!(role("b", Some("b"), Some("a")), Role::Target);
        assert_eq!(role("c", Some("b"), Some("a")), Role::None);
        assert_eq!(role("a", None, None), Role::None);
        assert_eq!(role("a", Some("a"), Some("")), Role::Owner);
    }

    #[test]
    fn failures_map_to_gardener_error_codes() {
        assert_eq!(
            error_codes("Worker shoot--dev--a/a is not ready (state \"<none>\"): no provider extension ..."),
            ["ERR_RETRYABLE_INFRA_DEPENDENCIES"]
        );
        assert_eq!(error_codes("failed to listen: Address already in use"), ["ERR_INFRA_RESOURCES_DEPLETED"]);
        assert!(error_codes("kube-apiserver is not ready yet").is_empty());
        assert_eq!(
            error_codes("Infrastructure shoot--dev--a/a failed [ERR_INFRA_UNAUTHENTICATED]: Ensuring VPC: AuthFailure"),
            ["ERR_INFRA_UNAUTHENTICATED"]
        );
    }
}
