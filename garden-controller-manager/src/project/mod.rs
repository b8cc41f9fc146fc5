//! The project controller (Gardener's `project` reconciler): per Project a namespace and the
//! member RBAC, a `gardener` finalizer, and on deletion the release of the namespace once no
//! Shoots are left in it.
//!
//! Every step reads the current state from the API server and writes only the difference, so the
//! reconcile is idempotent and resumable from any point.

pub mod namespace;
pub mod rbac;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use garden_api::constants::LABEL_PROJECT_NAME;
use garden_api::core::v1beta1::{Project, Shoot, PROJECT_FAILED, PROJECT_PENDING, PROJECT_READY, PROJECT_TERMINATING};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, RoleBinding};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{self, Action};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{watcher, Controller};
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::error::{backoff, Error};
use namespace::Release;
use rbac::BindingUpdate;

/// The finalizer the controller puts on Projects.
pub const FINALIZER: &str = "gardener";
/// Name of the controller (event source, field manager).
pub const CONTROLLER_NAME: &str = "project-controller";
/// Namespace events about cluster-scoped Projects go to (as kube-apiserver does).
const EVENT_NAMESPACE: &str = "default";
/// Periodic resync of healthy projects.
const RESYNC: Duration = Duration::from_secs(600);
/// Recheck interval while waiting for Shoots or the namespace to go away.
const DELETION_RECHECK: Duration = Duration::from_secs(5);

/// Event reasons (Gardener's `ProjectEvent*`).
mod reason {
    pub const NAMESPACE_RECONCILE_FAILED: &str = "NamespaceReconcileFailed";
    pub const NAMESPACE_RECONCILE_SUCCESSFUL: &str = "NamespaceReconcileSuccessful";
    pub const NAMESPACE_NOT_EMPTY: &str = "NamespaceNotEmpty";
    pub const NAMESPACE_DELETION_FAILED: &str = "NamespaceDeletionFailed";
    pub const NAMESPACE_MARKED_FOR_DELETION: &str = "NamespaceMarkedForDeletion";
}

/// Shared state of the reconcilers.
pub struct Context {
    client: Client,
    /// Consecutive failures per project, for the error backoff.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    /// A context talking to the API server through `client`.
    pub fn new(client: Client) -> Self {
        Self { client, failures: Mutex::new(HashMap::new()) }
    }

    fn projects(&self) -> Api<Project> {
        Api::all(self.client.clone())
    }

    fn namespaces(&self) -> Api<Namespace> {
        Api::all(self.client.clone())
    }

    fn reset_failures(&self, project: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(project);
    }

    fn record_failure(&self, project: &str) -> u32 {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(project.to_string()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    /// Records a core/v1 Event about `project` (best effort: failures are logged).
    async fn event(&self, project: &Project, type_: &str, reason: &str, action: &str, message: &str) {
        let e = component_base::events::EventRecord { type_, reason, action, message, component: CONTROLLER_NAME };
        component_base::events::record(&self.client, project, EVENT_NAMESPACE, e).await;
    }

    /// Patches `status.phase` and `status.observedGeneration` unless they already have these values.
    async fn set_phase(&self, project: &Project, phase: &str) -> Result<(), Error> {
        let generation = project.metadata.generation.unwrap_or_default();
        let status = project.status.clone().unwrap_or_default();
        if status.phase == phase && status.observed_generation == generation {
            return Ok(());
        }
        let name = project.name_any();
        let patch = json!({"status": {"phase": phase, "observedGeneration": generation}});
        self.projects()
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|source| Error::PatchStatus { project: name.clone(), source })?;
        info!(project = %name, %phase, "project phase updated");
        Ok(())
    }
}

fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == code)
}

fn is_not_found(err: &kube::Error) -> bool {
    is_status(err, 404)
}

fn ignore_not_found<T>(res: Result<T, kube::Error>) -> Result<Option<T>, kube::Error> {
    match res {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the error is a write conflict (someone else changed the object): just retry.
fn is_conflict(err: &Error) -> bool {
    use std::error::Error as _;
    err.source().and_then(|s| s.downcast_ref::<kube::Error>()).is_some_and(|e| is_status(e, 409))
}

/// Reconciles one Project.
pub async fn reconcile(project: Arc<Project>, ctx: Arc<Context>) -> Result<Action, Error> {
    let name = project.name_any();
    let result = if project.metadata.deletion_timestamp.is_some() {
        delete(&project, &ctx).await
    } else {
        apply(&project, &ctx).await
    };
    match &result {
        Ok(_) => ctx.reset_failures(&name),
        Err(err) => warn!(project = %name, error = %err, "reconcile failed"),
    }
    result
}

/// The error policy: exponential backoff per project.
pub fn error_policy(project: Arc<Project>, _err: &Error, ctx: Arc<Context>) -> Action {
    let n = ctx.record_failure(&project.name_any());
    Action::requeue(backoff(n))
}

async fn apply(project: &Project, ctx: &Context) -> Result<Action, Error> {
    let name = project.name_any();
    info!(project = %name, "reconciling project");
    let project = ensure_finalizer(project, ctx).await?;
    if project.status.as_ref().is_none_or(|s| s.phase.is_empty()) {
        ctx.set_phase(&project, PROJECT_PENDING).await?;
    }
    match apply_resources(&project, ctx).await {
        Ok(project) => {
            ctx.set_phase(&project, PROJECT_READY).await?;
            Ok(Action::requeue(RESYNC))
        }
        Err(err) if is_conflict(&err) => Err(err),
        Err(err) => {
            ctx.event(&project, "Warning", reason::NAMESPACE_RECONCILE_FAILED, "Reconcile", &err.to_string()).await;
            if let Err(status_err) = ctx.set_phase(&project, PROJECT_FAILED).await {
                warn!(project = %name, error = %status_err, "failed to mark project Failed");
            }
            Err(err)
        }
    }
}

/// Adds the finalizer if missing; returns the up-to-date Project.
async fn ensure_finalizer(project: &Project, ctx: &Context) -> Result<Project, Error> {
    if project.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(project.clone());
    }
    let name = project.name_any();
    info!(project = %name, "adding finalizer");
    let mut updated = project.clone();
    updated.finalizers_mut().push(FINALIZER.into());
    ctx.projects()
        .replace(&name, &PostParams::default(), &updated)
        .await
        .map_err(|source| Error::UpdateFinalizer { project: name, source })
}

/// Namespace, spec.namespace and RBAC; returns the up-to-date Project.
async fn apply_resources(project: &Project, ctx: &Context) -> Result<Project, Error> {
    let name = project.name_any();
    let ns_name = namespace::namespace_name(project);
    ensure_namespace(project, &ns_name, ctx).await?;

    let mut project = project.clone();
    if project.spec.namespace.as_deref().unwrap_or_default().is_empty() {
        info!(project = %name, namespace = %ns_name, "setting spec.namespace");
        project.spec.namespace = Some(ns_name.clone());
        project = ctx
            .projects()
            .replace(&name, &PostParams::default(), &project)
            .await
            .map_err(|source| Error::UpdateProjectNamespace { project: name.clone(), source })?;
    }

    let desired = rbac::desired_rbac(&project, &ns_name);
    let client = &ctx.client;
    for obj in &desired.cluster_roles {
        apply_cluster_role(client, obj).await?;
    }
    for obj in &desired.cluster_role_bindings {
        apply_cluster_role_binding(client, obj).await?;
    }
    for obj in &desired.role_bindings {
        apply_role_binding(client, &ns_name, obj).await?;
    }
    delete_stale(client, &name, Some(&ns_name), &desired).await?;
    Ok(project)
}

async fn ensure_namespace(project: &Project, ns_name: &str, ctx: &Context) -> Result<(), Error> {
    let name = project.name_any();
    let api = ctx.namespaces();
    let ns_err = |source| Error::ReconcileNamespace { namespace: ns_name.to_string(), source };
    match ignore_not_found(api.get(ns_name).await).map_err(ns_err)? {
        None => {
            info!(project = %name, namespace = %ns_name, "creating project namespace");
            api.create(&PostParams::default(), &namespace::desired_namespace(project)).await.map_err(ns_err)?;
            ctx.event(
                project,
                "Normal",
                reason::NAMESPACE_RECONCILE_SUCCESSFUL,
                "Reconcile",
                &format!("Successfully reconciled namespace {ns_name:?} for project"),
            )
            .await;
        }
        Some(existing) => {
            if existing.metadata.deletion_timestamp.is_some() {
                return Err(Error::NamespaceNotAdoptable {
                    namespace: ns_name.into(),
                    project: name,
                    reason: "namespace is being deleted".into(),
                });
            }
            match namespace::adopt_namespace(&existing, project) {
                Err(reason) => {
                    return Err(Error::NamespaceNotAdoptable { namespace: ns_name.into(), project: name, reason })
                }
                Ok(None) => debug!(project = %name, namespace = %ns_name, "namespace up to date"),
                Ok(Some(updated)) => {
                    info!(project = %name, namespace = %ns_name, "adopting namespace");
                    api.replace(ns_name, &PostParams::default(), &updated).await.map_err(ns_err)?;
                    ctx.event(
                        project,
                        "Normal",
                        reason::NAMESPACE_RECONCILE_SUCCESSFUL,
                        "Reconcile",
                        &format!("Successfully reconciled namespace {ns_name:?} for project"),
                    )
                    .await;
                }
            }
        }
    }
    Ok(())
}

async fn apply_cluster_role(client: &Client, desired: &ClusterRole) -> Result<(), Error> {
    let api: Api<ClusterRole> = Api::all(client.clone());
    let name = desired.name_any();
    let err = |source| Error::ApplyRbac { kind: "ClusterRole", name: name.clone(), source };
    match ignore_not_found(api.get(&name).await).map_err(err)? {
        None => {
            info!(clusterrole = %name, "creating");
            api.create(&PostParams::default(), desired).await.map_err(err)?;
        }
        Some(existing) => {
            if let Some(updated) = rbac::merge_cluster_role(&existing, desired) {
                info!(clusterrole = %name, "updating");
                api.replace(&name, &PostParams::default(), &updated).await.map_err(err)?;
            }
        }
    }
    Ok(())
}

async fn apply_cluster_role_binding(client: &Client, desired: &ClusterRoleBinding) -> Result<(), Error> {
    let api: Api<ClusterRoleBinding> = Api::all(client.clone());
    let name = desired.name_any();
    let err = |source| Error::ApplyRbac { kind: "ClusterRoleBinding", name: name.clone(), source };
    match ignore_not_found(api.get(&name).await).map_err(err)? {
        None => {
            info!(clusterrolebinding = %name, "creating");
            api.create(&PostParams::default(), desired).await.map_err(err)?;
        }
        Some(existing) => match rbac::merge_cluster_role_binding(&existing, desired) {
            BindingUpdate::None => {}
            BindingUpdate::Replace(updated) => {
                info!(clusterrolebinding = %name, "updating");
                api.replace(&name, &PostParams::default(), &updated).await.map_err(err)?;
            }
            BindingUpdate::Recreate => {
                info!(clusterrolebinding = %name, "recreating (roleRef changed)");
                ignore_not_found(api.delete(&name, &DeleteParams::default()).await).map_err(err)?;
                api.create(&PostParams::default(), desired).await.map_err(err)?;
            }
        },
    }
    Ok(())
}

async fn apply_role_binding(client: &Client, namespace: &str, desired: &RoleBinding) -> Result<(), Error> {
    let api: Api<RoleBinding> = Api::namespaced(client.clone(), namespace);
    let name = desired.name_any();
    let err = |source| Error::ApplyRbac { kind: "RoleBinding", name: format!("{namespace}/{name}"), source };
    match ignore_not_found(api.get(&name).await).map_err(err)? {
        None => {
            info!(namespace, rolebinding = %name, "creating");
            api.create(&PostParams::default(), desired).await.map_err(err)?;
        }
        Some(existing) => match rbac::merge_role_binding(&existing, desired) {
            BindingUpdate::None => {}
            BindingUpdate::Replace(updated) => {
                info!(namespace, rolebinding = %name, "updating");
                api.replace(&name, &PostParams::default(), &updated).await.map_err(err)?;
            }
            BindingUpdate::Recreate => {
                info!(namespace, rolebinding = %name, "recreating (roleRef changed)");
                ignore_not_found(api.delete(&name, &DeleteParams::default()).await).map_err(err)?;
                api.create(&PostParams::default(), desired).await.map_err(err)?;
            }
        },
    }
    Ok(())
}

/// Deletes the project's labelled RBAC objects that `desired` does not want. RoleBindings are
/// only looked at in `namespace` (None: skip them).
async fn delete_stale(
    client: &Client,
    project: &str,
    namespace: Option<&str>,
    desired: &rbac::DesiredRbac,
) -> Result<(), Error> {
    let lp = ListParams::default().labels(&format!("{LABEL_PROJECT_NAME}={project}"));
    let list_err = |kind| move |source| Error::ListRbac { kind, project: project.to_string(), source };

    if let Some(ns) = namespace {
        let api: Api<RoleBinding> = Api::namespaced(client.clone(), ns);
        let existing = api.list(&lp).await.map_err(list_err("RoleBinding"))?;
        let metas: Vec<_> = existing.items.iter().map(|o| &o.metadata).collect();
        for name in rbac::stale_names(metas, &desired.role_binding_names(), project) {
            info!(namespace = ns, rolebinding = %name, "deleting stale");
            ignore_not_found(api.delete(&name, &DeleteParams::default()).await)
                .map_err(|source| Error::DeleteRbac { kind: "RoleBinding", name: format!("{ns}/{name}"), source })?;
        }
    }

    let api: Api<ClusterRoleBinding> = Api::all(client.clone());
    let existing = api.list(&lp).await.map_err(list_err("ClusterRoleBinding"))?;
    let metas: Vec<_> = existing.items.iter().map(|o| &o.metadata).collect();
    for name in rbac::stale_names(metas, &desired.cluster_role_binding_names(), project) {
        info!(clusterrolebinding = %name, "deleting stale");
        ignore_not_found(api.delete(&name, &DeleteParams::default()).await).map_err(|source| Error::DeleteRbac {
            kind: "ClusterRoleBinding",
            name: name.clone(),
            source,
        })?;
    }

    let api: Api<ClusterRole> = Api::all(client.clone());
    let existing = api.list(&lp).await.map_err(list_err("ClusterRole"))?;
    let metas: Vec<_> = existing.items.iter().map(|o| &o.metadata).collect();
    for name in rbac::stale_names(metas, &desired.cluster_role_names(), project) {
        info!(clusterrole = %name, "deleting stale");
        ignore_not_found(api.delete(&name, &DeleteParams::default()).await).map_err(|source| Error::DeleteRbac {
            kind: "ClusterRole",
            name: name.clone(),
            source,
        })?;
    }
    Ok(())
}

async fn delete(project: &Project, ctx: &Context) -> Result<Action, Error> {
    let name = project.name_any();
    if !project.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    info!(project = %name, "deleting project");
    ctx.set_phase(project, PROJECT_TERMINATING).await?;

    let ns_name = project.spec.namespace.clone().filter(|n| !n.is_empty());
    // Whether the namespace still exists after release (kept, or not ours): its bindings must go.
    let mut namespace_remains = false;
    if let Some(ns_name) = &ns_name {
        let shoots: Api<Shoot> = Api::namespaced(ctx.client.clone(), ns_name);
        let list = shoots
            .list_metadata(&ListParams::default().limit(1))
            .await
            .map_err(|source| Error::ListShoots { namespace: ns_name.clone(), source })?;
        if !list.items.is_empty() {
            info!(project = %name, namespace = %ns_name, "cannot release project namespace: it still contains Shoots");
            ctx.event(
                project,
                "Warning",
                reason::NAMESPACE_NOT_EMPTY,
                "Delete",
                &format!("Cannot release namespace {ns_name:?} because it still contains Shoots"),
            )
            .await;
            return Ok(Action::requeue(Duration::from_secs(30)));
        }

        let api = ctx.namespaces();
        let release_err = |source| Error::ReleaseNamespace { namespace: ns_name.clone(), source };
        let released = match ignore_not_found(api.get(ns_name).await).map_err(release_err) {
            Err(err) => Err(err),
            Ok(None) => Ok(true),
            Ok(Some(existing)) => match namespace::release_namespace(&existing, project) {
                Release::Terminating => {
                    debug!(project = %name, namespace = %ns_name, "namespace is terminating");
                    Ok(false)
                }
                Release::NotOurs => {
                    info!(project = %name, namespace = %ns_name, "namespace does not belong to the project, leaving it");
                    namespace_remains = true;
                    Ok(true)
                }
                Release::Keep(updated) => {
                    info!(project = %name, namespace = %ns_name, "keeping namespace, removing project marks");
                    namespace_remains = true;
                    api.replace(ns_name, &PostParams::default(), &updated).await.map(|_| true).map_err(release_err)
                }
                Release::Delete => {
                    info!(project = %name, namespace = %ns_name, "deleting project namespace");
                    match ignore_not_found(api.delete(ns_name, &DeleteParams::default()).await) {
                        Ok(Some(either)) if either.is_right() => Ok(true),
                        Ok(None) => Ok(true),
                        Ok(Some(_)) => {
                            ctx.event(
                                project,
                                "Normal",
                                reason::NAMESPACE_MARKED_FOR_DELETION,
                                "Delete",
                                &format!("Successfully marked project namespace {ns_name:?} for deletion"),
                            )
                            .await;
                            Ok(false)
                        }
                        Err(source) => Err(release_err(source)),
                    }
                }
            },
        };
        match released {
            Err(err) => {
                ctx.event(
                    project,
                    "Warning",
                    reason::NAMESPACE_DELETION_FAILED,
                    "Delete",
                    &format!("Failed to release project namespace {ns_name:?}: {err}"),
                )
                .await;
                if !is_conflict(&err) {
                    if let Err(status_err) = ctx.set_phase(project, PROJECT_FAILED).await {
                        warn!(project = %name, error = %status_err, "failed to mark project Failed");
                    }
                }
                return Err(err);
            }
            Ok(false) => return Ok(Action::requeue(DELETION_RECHECK)),
            Ok(true) => {}
        }
    }

    // The namespace is gone (with its RoleBindings) or released: remove the project-wide RBAC.
    let nothing = rbac::DesiredRbac::default();
    let rb_namespace = if namespace_remains { ns_name.as_deref() } else { None };
    delete_stale(&ctx.client, &name, rb_namespace, &nothing).await?;

    info!(project = %name, "removing finalizer");
    let mut updated = project.clone();
    updated.finalizers_mut().retain(|f| f != FINALIZER);
    match ctx.projects().replace(&name, &PostParams::default(), &updated).await {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => {}
        Err(source) => return Err(Error::UpdateFinalizer { project: name, source }),
    }
    Ok(Action::await_change())
}

/// Maps an object labelled `project.gardener.cloud/name` to its Project.
fn project_of_label<K: Resource>(obj: K) -> Option<ObjectRef<Project>> {
    obj.labels().get(LABEL_PROJECT_NAME).filter(|n| !n.is_empty()).map(|n| ObjectRef::new(n))
}

/// Runs the project controller until `shutdown` completes; `ready` turns true once the Project
/// cache is synced.
pub async fn run(
    client: Client,
    concurrency: u16,
    ready: Arc<AtomicBool>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let ctx = Arc::new(Context::new(client.clone()));
    let labelled = watcher::Config::default().labels(LABEL_PROJECT_NAME);
    let controller = Controller::new(Api::<Project>::all(client.clone()), watcher::Config::default());
    let store = controller.store();
    let ready_store = store.clone();
    tokio::spawn(async move {
        // Re-poll periodically: kube-runtime's readiness future keeps only the latest waker, and
        // the controller itself waits on the same store.
        loop {
            match tokio::time::timeout(Duration::from_millis(500), ready_store.wait_until_ready()).await {
                Ok(Ok(())) => {
                    ready.store(true, Ordering::SeqCst);
                    info!("project cache synced");
                    return;
                }
                Ok(Err(_)) => return,
                Err(_) => continue,
            }
        }
    });

    controller
        .watches(Api::<Namespace>::all(client.clone()), labelled.clone(), project_of_label)
        .watches(Api::<RoleBinding>::all(client.clone()), labelled.clone(), project_of_label)
        .watches(Api::<ClusterRoleBinding>::all(client.clone()), labelled.clone(), project_of_label)
        .watches(Api::<ClusterRole>::all(client.clone()), labelled, project_of_label)
        // Shoot deletions unblock the deletion of their project.
        .watches(Api::<Shoot>::all(client.clone()), watcher::Config::default(), move |shoot: Shoot| {
            let ns = shoot.metadata.namespace.unwrap_or_default();
            store
                .state()
                .into_iter()
                .filter(|p| p.metadata.deletion_timestamp.is_some() && p.spec.namespace.as_deref() == Some(&ns))
                .map(|p| ObjectRef::from_obj(&*p))
                .collect::<Vec<_>>()
        })
        .with_config(controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            match res {
                Ok((obj, _)) => debug!(project = %obj.name, "reconciled"),
                Err(controller::Error::ReconcilerFailed(..)) => {} // logged by reconcile
                // A label or Shoot pointed at a Project that does not exist (any more).
                Err(controller::Error::ObjectNotFound(obj)) => debug!(project = %obj.name, "not found"),
                Err(err) => warn!(error = %err, "project controller"),
            }
        })
        .await;
    info!("project controller stopped");
}
