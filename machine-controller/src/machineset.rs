//! MachineSets: keep `spec.replicas` machines (a ReplicaSet for machines). Failed machines are deleted and so
//! replaced; surplus machines go in MCM's deletion order ([`crate::order`]). Machines are created with the
//! controller's finalizer already set, so none is ever deleted without its VM being deleted first.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use garden_api::machine::v1alpha1::{phase, Machine, MachineSet, MachineSummary};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::ResourceExt;
use serde_json::json;
use tracing::{info, warn};

use crate::order::{phase_of, pick_for_deletion};
use crate::{
    add_finalizer, controlled_by, controller_ref, event, has_finalizer, remove_finalizer, Ctx, Error, FINALIZER,
};

/// Machine creates or deletes of one set in flight at once (kube's ReplicaSet batches them too).
const PARALLEL_WRITES: usize = 32;

/// Reconciles one MachineSet.
pub async fn reconcile(set: Arc<MachineSet>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let _timer = ctx.metrics.time("machineset");
    let ns = set.namespace().unwrap_or_default();
    let sets: Api<MachineSet> = Api::namespaced(ctx.seed.clone(), &ns);
    let machines: Api<Machine> = Api::namespaced(ctx.seed.clone(), &ns);
    if !ctx.handles(&ns, &set.spec.template.spec.class.name).await? {
        return Ok(Action::await_change());
    }
    let _guard = ctx.lock_namespace(&ns).await;
    let uid = set.uid().unwrap_or_default();
    let owned: Vec<Machine> =
        machines.list(&ListParams::default()).await?.items.into_iter().filter(|m| controlled_by(m, &uid)).collect();

    if set.metadata.deletion_timestamp.is_some() {
        for m in owned.iter().filter(|m| m.metadata.deletion_timestamp.is_none()) {
            delete_machine(&machines, &m.name_any()).await?;
        }
        if owned.is_empty() && has_finalizer(&*set) {
            remove_finalizer(&sets, &set).await?;
        }
        return Ok(Action::await_change());
    }
    if !has_finalizer(&*set) {
        add_finalizer(&sets, &set).await?;
        return Ok(Action::await_change());
    }

    let active: Vec<&Machine> = owned.iter().filter(|m| m.metadata.deletion_timestamp.is_none()).collect();
    let (failed, alive): (Vec<&Machine>, Vec<&Machine>) = active.iter().partition(|m| phase_of(m) == phase::FAILED);
    for m in &failed {
        info!(namespace = %ns, machine = %m.name_any(), "replacing failed machine");
        event(&ctx, &*set, "Normal", "ReplacingFailedMachine", &format!("deleting failed machine {}", m.name_any()))
            .await;
        delete_machine(&machines, &m.name_any()).await?;
    }
    let want = usize::try_from(set.spec.replicas.max(0)).unwrap_or(0);
    if alive.len() < want {
        let n = want - alive.len();
        let (template, params) = (new_machine(&set), PostParams::default());
        let created: Vec<Result<Machine, kube::Error>> = futures::stream::iter(0..n)
            .map(|_| {
                let (machines, params, template) = (machines.clone(), params.clone(), template.clone());
                async move { machines.create(&params, &template).await }
            })
            .buffer_unordered(PARALLEL_WRITES)
            .collect()
            .await;
        let done = created.iter().filter(|r| r.is_ok()).count();
        info!(namespace = %ns, set = %set.name_any(), created = done, "scaled up");
        created.into_iter().find_map(Result::err).map_or(Ok(()), Err)?;
    } else if alive.len() > want {
        let alive_owned: Vec<Machine> = alive.iter().map(|m| (*m).clone()).collect();
        let victims = pick_for_deletion(&alive_owned, alive.len() - want);
        let names: Vec<String> = victims.iter().map(|m| m.name_any()).collect();
        let deleted: Vec<Result<(), kube::Error>> = futures::stream::iter(names)
            .map(|name| {
                let machines = machines.clone();
                async move { delete_machine(&machines, &name).await }
            })
            .buffer_unordered(PARALLEL_WRITES)
            .collect()
            .await;
        info!(namespace = %ns, set = %set.name_any(), deleted = victims.len(), "scaled down");
        deleted.into_iter().find_map(Result::err).map_or(Ok(()), Err)?;
    }

    let (status, recheck) = status_of(&set, &owned);
    let current = set.status.clone().unwrap_or_default();
    if serde_json::to_value(&current).ok() != serde_json::to_value(&status).ok() {
        let patch = json!({ "status": status });
        sets.patch_status(&set.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    Ok(recheck.map(Action::requeue).unwrap_or_else(Action::await_change))
}

/// Requeue on errors.
pub fn error_policy(set: Arc<MachineSet>, err: &Error, ctx: Arc<Ctx>) -> Action {
    if err.is_conflict() {
        // Someone wrote the object meanwhile: its new version comes with the next event.
        return Action::requeue(std::time::Duration::from_millis(200));
    }
    warn!(set = %set.name_any(), namespace = %set.namespace().unwrap_or_default(), error = %err, "machine set reconcile failed");
    Action::requeue(ctx.periods.retry_short)
}

async fn delete_machine(api: &Api<Machine>, name: &str) -> Result<(), kube::Error> {
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(e) if component_base::api::is_status(&e, 404) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A new machine of `set` from its template (named `<set>-<random>` by the API server).
pub fn new_machine(set: &MachineSet) -> Machine {
    let template = &set.spec.template;
    let mut spec = template.spec.clone();
    if spec.class.name.is_empty() {
        spec.class = set.spec.machine_class.clone();
    }
    let mut m = Machine {
        metadata: kube::api::ObjectMeta {
            generate_name: Some(format!("{}-", set.name_any())),
            namespace: set.namespace(),
            labels: template.metadata.labels.clone(),
            annotations: template.metadata.annotations.clone(),
            owner_references: Some(vec![controller_ref(set)]),
            finalizers: Some(vec![FINALIZER.to_string()]),
            ..Default::default()
        },
        spec,
        ..Default::default()
    };
    m.ensure_type_meta();
    m
}

/// The set's status from its machines, and when to look again (a Running machine becomes available after
/// `minReadySeconds`).
pub fn status_of(
    set: &MachineSet,
    owned: &[Machine],
) -> (garden_api::machine::v1alpha1::MachineSetStatus, Option<Duration>) {
    let min_ready = Duration::from_secs(u64::try_from(set.spec.min_ready_seconds.max(0)).unwrap_or(0));
    let now = jiff::Timestamp::now();
    let mut recheck: Option<Duration> = None;
    let alive: Vec<&Machine> =
        owned.iter().filter(|m| m.metadata.deletion_timestamp.is_none() && phase_of(m) != phase::FAILED).collect();
    let running: Vec<&&Machine> = alive.iter().filter(|m| phase_of(m) == phase::RUNNING).collect();
    let available = running
        .iter()
        .filter(|m| {
            let since = m.status.as_ref().and_then(|s| s.current_status.last_update_time.as_ref()).map(|t| t.0);
            let up_for = since.map(|t| now.duration_since(t).unsigned_abs()).unwrap_or(min_ready);
            if up_for >= min_ready {
                true
            } else {
                let wait = min_ready - up_for + Duration::from_millis(100);
                recheck = Some(recheck.map_or(wait, |r| r.min(wait)));
                false
            }
        })
        .count();
    let failed_machines: Vec<MachineSummary> = owned
        .iter()
        .filter(|m| phase_of(m) == phase::FAILED)
        .map(|m| MachineSummary {
            name: m.name_any(),
            provider_id: m.spec.provider_id.clone().unwrap_or_default(),
            last_operation: m.status.as_ref().map(|s| s.last_operation.clone()).unwrap_or_default(),
            owner_ref: set.name_any(),
        })
        .collect();
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let old = set.status.clone().unwrap_or_default();
    let status = garden_api::machine::v1alpha1::MachineSetStatus {
        replicas: count(alive.len()),
        fully_labeled_replicas: count(alive.len()),
        ready_replicas: count(running.len()),
        available_replicas: count(available),
        observed_generation: set.metadata.generation.unwrap_or(0),
        machine_set_condition: old.machine_set_condition,
        last_operation: old.last_operation,
        failed_machines,
    };
    (status, recheck)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> MachineSet {
        serde_json::from_value(json!({
            "metadata": {"name": "s", "namespace": "ns", "uid": "u1", "generation": 2},
            "spec": {"replicas": 3, "minReadySeconds": 0, "machineClass": {"kind": "MachineClass", "name": "c"},
                "template": {"metadata": {"labels": {"pool": "a"}}, "spec": {"class": {"kind": "MachineClass", "name": ""}}}}
        }))
        .unwrap()
    }

    fn machine(name: &str, phase: &str) -> Machine {
        serde_json::from_value(json!({
            "metadata": {"name": name},
            "status": {"currentStatus": {"phase": phase, "lastUpdateTime": "2026-01-01T00:00:00Z"}}
        }))
        .unwrap()
    }

    #[test]
    fn new_machines_carry_owner_finalizer_labels_and_class() {
        let m = new_machine(&set());
        assert_eq!(m.metadata.generate_name.as_deref(), Some("s-"));
        assert_eq!(m.metadata.finalizers.as_deref(), Some(&[FINALIZER.to_string()][..]));
        assert_eq!(m.metadata.owner_references.as_ref().unwrap()[0].uid, "u1");
        assert_eq!(m.labels().get("pool").map(String::as_str), Some("a"));
        assert_eq!(m.spec.class.name, "c", "the set's machineClass fills an empty template class");
    }

    #[test]
    fn status_counts_running_and_failed() {
        let owned = [machine("a", "Running"), machine("b", "Pending"), machine("c", "Failed")];
        let (s, recheck) = status_of(&set(), &owned);
        assert_eq!((s.replicas, s.ready_replicas, s.available_replicas), (2, 1, 1));
        assert_eq!(s.failed_machines.len(), 1);
        assert_eq!(s.observed_generation, 2);
        assert_eq!(recheck, None);
    }
}
