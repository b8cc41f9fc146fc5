//! The shoot scheduler (Gardener's `scheduler` shoot reconciler): every Shoot without
//! `spec.seedName` that is not being deleted gets a Seed, written through the `shoots/binding`
//! subresource. The decision itself is pure (see [`filter`]); this module reads its inputs from
//! caches and the API server and writes the result.
//!
//! A Shoot no seed fits gets a `SchedulingFailed` Warning event and `status.lastOperation`
//! `Create`/`Pending` naming why (both only when the reason changes), and is retried with
//! exponential backoff. Any Seed change
//! (a seed becoming ready, gaining capacity, ...) requeues all Shoots; scheduled ones are no-ops.

pub mod filter;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::{future, StreamExt};
use garden_api::core::v1beta1::{
    CloudProfile, NamespacedCloudProfile, Seed, SeedSelector, Shoot, API_VERSION, LAST_OPERATION_STATE_PENDING,
    LAST_OPERATION_TYPE_CREATE,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::controller::{self, Action};
use kube::runtime::reflector::{self, reflector, Store};
use kube::runtime::{watcher, Controller, WatchStreamExt};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::error::{backoff, Error};
pub use filter::Strategy;
use filter::{schedule, Inputs};

/// Name of the controller (event source).
pub const CONTROLLER_NAME: &str = "gardener-scheduler";
/// Event reason for shoots no seed fits.
pub const REASON_SCHEDULING_FAILED: &str = "SchedulingFailed";
/// Event reason for a successful binding.
pub const REASON_SCHEDULING_SUCCESSFUL: &str = "SchedulingSuccessful";

/// Shared state of the reconcilers.
pub struct Context {
    client: Client,
    strategy: Strategy,
    seeds: Store<Seed>,
    shoots: Store<Shoot>,
    /// Consecutive failures per shoot (`namespace/name`), for the error backoff.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    fn reset_failures(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    fn record_failure(&self, key: &str) -> u32 {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(key.to_string()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    /// Number of shoots per seed by `spec.seedName`, from the shoot cache.
    fn shoots_per_seed(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for shoot in self.shoots.state() {
            if let Some(seed) = shoot.spec.seed_name.as_deref().filter(|s| !s.is_empty()) {
                *counts.entry(seed.to_string()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// The `spec.seedSelector` of the shoot's (Namespaced)CloudProfile, if any.
    async fn cloud_profile_selector(&self, shoot: &Shoot) -> Result<Option<SeedSelector>, Error> {
        let Some(reference) = shoot.cloud_profile_ref() else {
            return Ok(None);
        };
        let err =
            |source| Error::GetCloudProfile { kind: reference.kind.clone(), name: reference.name.clone(), source };
        if reference.kind == "NamespacedCloudProfile" {
            let ns = shoot.namespace().unwrap_or_default();
            let api: Api<NamespacedCloudProfile> = Api::namespaced(self.client.clone(), &ns);
            let profile = api.get(&reference.name).await.map_err(err)?;
            Ok(profile.status.and_then(|s| s.cloud_profile_spec.seed_selector))
        } else {
            let api: Api<CloudProfile> = Api::all(self.client.clone());
            let profile = api.get(&reference.name).await.map_err(err)?;
            Ok(profile.spec.seed_selector)
        }
    }

    /// Records a core/v1 Event about `shoot` in its namespace (best effort: failures are logged).
    async fn event(&self, shoot: &Shoot, type_: &str, reason: &str, message: &str) {
        let e = component_base::events::EventRecord {
            type_,
            reason,
            action: "Scheduling",
            message,
            component: CONTROLLER_NAME,
        };
        component_base::events::record(&self.client, shoot, &shoot.namespace().unwrap_or_default(), e).await;
    }
}

/// `namespace/name` of a shoot.
fn key(shoot: &Shoot) -> String {
    format!("{}/{}", shoot.namespace().unwrap_or_default(), shoot.name_any())
}

/// Whether the scheduler has to act on the shoot.
pub fn needs_scheduling(shoot: &Shoot) -> bool {
    shoot.metadata.deletion_timestamp.is_none() && shoot.spec.seed_name.as_deref().is_none_or(str::is_empty)
}

/// The body of `POST shoots/{name}/binding`.
pub fn binding(shoot: &Shoot, seed: &str) -> serde_json::Value {
    json!({
        "apiVersion": API_VERSION,
        "kind": "Binding",
        "metadata": {"name": shoot.name_any(), "namespace": shoot.namespace().unwrap_or_default()},
        "target": {"kind": "Seed", "name": seed},
    })
}

/// Whether `status.lastOperation` already records this scheduling failure (then it is not
/// rewritten: a new `lastUpdateTime` would trigger another reconcile right away).
fn failure_recorded(shoot: &Shoot, description: &str) -> bool {
    shoot.status.as_ref().and_then(|s| s.last_operation.as_ref()).is_some_and(|op| {
        op.type_ == LAST_OPERATION_TYPE_CREATE
            && op.state == LAST_OPERATION_STATE_PENDING
            && op.description == description
    })
}

/// Reconciles one Shoot.
pub async fn reconcile(shoot: Arc<Shoot>, ctx: Arc<Context>) -> Result<Action, Error> {
    if !needs_scheduling(&shoot) {
        return Ok(Action::await_change());
    }
    let key = key(&shoot);
    let result = schedule_shoot(&shoot, &ctx).await;
    match &result {
        Ok(_) => ctx.reset_failures(&key),
        Err(err @ Error::Unschedulable { .. }) => info!(shoot = %key, reason = %err, "shoot not scheduled"),
        Err(err) => warn!(shoot = %key, error = %err, "scheduling failed"),
    }
    result
}

/// The error policy: exponential backoff per shoot.
pub fn error_policy(shoot: Arc<Shoot>, _err: &Error, ctx: Arc<Context>) -> Action {
    let n = ctx.record_failure(&key(&shoot));
    Action::requeue(backoff(n))
}

async fn schedule_shoot(shoot: &Shoot, ctx: &Context) -> Result<Action, Error> {
    let key = key(shoot);
    let selector = ctx.cloud_profile_selector(shoot).await?;
    let seeds = ctx.seeds.state();
    let seed_refs: Vec<&Seed> = seeds.iter().map(|s| &**s).collect();
    let counts = ctx.shoots_per_seed();
    let inputs = Inputs { cloud_profile_selector: selector.as_ref(), shoots_per_seed: &counts, strategy: ctx.strategy };
    match schedule(shoot, &seed_refs, &inputs) {
        Ok(seed) => {
            bind(shoot, &seed, ctx).await?;
            info!(shoot = %key, %seed, "shoot scheduled");
            ctx.event(
                shoot,
                "Normal",
                REASON_SCHEDULING_SUCCESSFUL,
                &format!("Scheduled to seed '{seed}' using the {:?} strategy", ctx.strategy),
            )
            .await;
            Ok(Action::await_change())
        }
        Err(why) => {
            let description = format!("Failed to schedule Shoot: {why}");
            // Event and status only when the reason changed: seed heartbeats requeue pending
            // shoots often, and the backoff retries would otherwise repeat the same event.
            if !failure_recorded(shoot, &description) {
                ctx.event(shoot, "Warning", REASON_SCHEDULING_FAILED, &why).await;
                let patch = json!({"status": {"lastOperation": {
                    "type": LAST_OPERATION_TYPE_CREATE,
                    "state": LAST_OPERATION_STATE_PENDING,
                    "progress": 0,
                    "description": description,
                    "lastUpdateTime": Time(Timestamp::now()),
                }}});
                shoots_in(ctx, shoot)
                    .patch_status(&shoot.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(|source| Error::PatchShootStatus { shoot: key.clone(), source })?;
            }
            Err(Error::Unschedulable { shoot: key, reason: why })
        }
    }
}

fn shoots_in(ctx: &Context, shoot: &Shoot) -> Api<Shoot> {
    Api::namespaced(ctx.client.clone(), &shoot.namespace().unwrap_or_default())
}

async fn bind(shoot: &Shoot, seed: &str, ctx: &Context) -> Result<(), Error> {
    shoots_in(ctx, shoot)
        .create_subresource::<_, Shoot>("binding", &shoot.name_any(), &PostParams::default(), &binding(shoot, seed))
        .await
        .map_err(|source| Error::BindShoot { shoot: key(shoot), seed: seed.into(), source })?;
    Ok(())
}

/// Runs the scheduler until `shutdown` completes.
pub async fn run(
    client: Client,
    strategy: Strategy,
    concurrency: u16,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let (seeds, seed_writer) = reflector::store();
    // Every applied or deleted Seed, after the seed cache saw it: reconcile all shoots.
    let seed_changes = reflector(seed_writer, watcher(Api::<Seed>::all(client.clone()), watcher::Config::default()))
        .default_backoff()
        .touched_objects()
        .filter_map(|res| {
            future::ready(match res {
                Ok(_) => Some(()),
                Err(err) => {
                    warn!(error = %err, "seed watch");
                    None
                }
            })
        });

    let controller = Controller::new(Api::<Shoot>::all(client.clone()), watcher::Config::default());
    let ctx =
        Arc::new(Context { client, strategy, seeds, shoots: controller.store(), failures: Mutex::new(HashMap::new()) });
    info!(?strategy, "starting scheduler");
    controller
        .reconcile_all_on(seed_changes)
        .with_config(controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            match res {
                Ok((obj, _)) => debug!(shoot = %obj.name, "scheduler reconciled"),
                Err(controller::Error::ReconcilerFailed(..)) => {} // logged by reconcile
                Err(controller::Error::ObjectNotFound(obj)) => debug!(shoot = %obj.name, "not found"),
                Err(err) => warn!(error = %err, "scheduler"),
            }
        })
        .await;
    info!("scheduler stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use garden_api::core::v1beta1::{LastOperation, ShootStatus};

    fn shoot() -> Shoot {
        let mut s = Shoot::default();
        s.metadata.name = Some("s".into());
        s.metadata.namespace = Some("garden-p".into());
        s
    }

    #[test]
    fn only_unscheduled_live_shoots_need_scheduling() {
        let mut s = shoot();
        assert!(needs_scheduling(&s));
        s.spec.seed_name = Some(String::new());
        assert!(needs_scheduling(&s));
        s.spec.seed_name = Some("seed".into());
        assert!(!needs_scheduling(&s));
        let mut deleting = shoot();
        deleting.metadata.deletion_timestamp = Some(Time(Timestamp::UNIX_EPOCH));
        assert!(!needs_scheduling(&deleting));
    }

    #[test]
    fn binding_body() {
        assert_eq!(
            binding(&shoot(), "aws-eu"),
            json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Binding",
                   "metadata": {"name": "s", "namespace": "garden-p"},
                   "target": {"kind": "Seed", "name": "aws-eu"}})
        );
    }

    #[test]
    fn unchanged_failure_is_not_rewritten() {
        let mut s = shoot();
        assert!(!failure_recorded(&s, "Failed to schedule Shoot: x"));
        s.status = Some(ShootStatus {
            last_operation: Some(LastOperation {
                type_: LAST_OPERATION_TYPE_CREATE.into(),
                state: LAST_OPERATION_STATE_PENDING.into(),
                description: "Failed to schedule Shoot: x".into(),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert!(failure_recorded(&s, "Failed to schedule Shoot: x"));
        assert!(!failure_recorded(&s, "Failed to schedule Shoot: y"));
    }
}
