//! MachineDeployments: one MachineSet per template revision (named `<deployment>-<template hash>`, labelled
//! `machine-template-hash`), rolled like kube's Deployments:
//!
//! - RollingUpdate: the new set grows while all sets together stay within `replicas + maxSurge`; old sets
//!   shrink (unavailable machines first, then the largest sets) while at least `replicas - maxUnavailable`
//!   machines stay available;
//! - Recreate: old sets go to zero, and the new set grows once their machines are gone;
//! - scaling mid-rollout scales every set proportionally; `paused` only scales; `rollbackTo` copies an
//!   earlier revision's template back (revision 0: the previous one); old sets beyond
//!   `revisionHistoryLimit` are deleted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use garden_api::machine::v1alpha1::{
    strategy, Machine, MachineDeployment, MachineDeploymentCondition, MachineDeploymentStatus, MachineSet,
    MachineSetSpec, MachineTemplateSpec, DEFAULT_MACHINE_DEPLOYMENT_UNIQUE_LABEL_KEY,
};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::ResourceExt;
use serde_json::json;
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::rollout::{
    new_set_target, old_scale_down_budget, proportional, resolve_surge_unavailable, scale_down_old, SetCounts,
};
use crate::{
    add_finalizer, controlled_by, controller_ref, event, has_finalizer, now, remove_finalizer, Ctx, Error, FINALIZER,
};

/// The revision annotation on MachineSets and MachineDeployments (kube's).
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
const DEFAULT_REVISION_HISTORY_LIMIT: usize = 10;

/// The hash of a template that names its MachineSet.
pub fn template_hash(template: &MachineTemplateSpec) -> String {
    let bytes = serde_json::to_vec(template).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

fn revision(set: &MachineSet) -> i64 {
    set.annotations().get(REVISION_ANNOTATION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

fn counts(set: &MachineSet) -> SetCounts {
    SetCounts { desired: set.spec.replicas, available: set.status.as_ref().map(|s| s.available_replicas).unwrap_or(0) }
}

/// Reconciles one MachineDeployment.
pub async fn reconcile(md: Arc<MachineDeployment>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let _timer = ctx.metrics.time("machinedeployment");
    let ns = md.namespace().unwrap_or_default();
    let mds: Api<MachineDeployment> = Api::namespaced(ctx.seed.clone(), &ns);
    let sets: Api<MachineSet> = Api::namespaced(ctx.seed.clone(), &ns);
    if !ctx.handles(&ns, &md.spec.template.spec.class.name).await? {
        return Ok(Action::await_change());
    }
    let _guard = ctx.lock_namespace(&ns).await;
    let uid = md.uid().unwrap_or_default();
    let owned: Vec<MachineSet> =
        sets.list(&ListParams::default()).await?.items.into_iter().filter(|s| controlled_by(s, &uid)).collect();

    if md.metadata.deletion_timestamp.is_some() {
        for s in owned.iter().filter(|s| s.metadata.deletion_timestamp.is_none()) {
            delete_set(&sets, s).await?;
        }
        if owned.is_empty() && has_finalizer(&*md) {
            remove_finalizer(&mds, &md).await?;
        }
        return Ok(Action::await_change());
    }
    if !has_finalizer(&*md) {
        add_finalizer(&mds, &md).await?;
        return Ok(Action::await_change());
    }
    if let Some(rollback) = &md.spec.rollback_to {
        roll_back(&ctx, &mds, &md, &owned, rollback.revision).await?;
        return Ok(Action::await_change());
    }

    let active: Vec<MachineSet> = owned.into_iter().filter(|s| s.metadata.deletion_timestamp.is_none()).collect();
    let hash = template_hash(&md.spec.template);
    let is_new = |s: &MachineSet| s.labels().get(DEFAULT_MACHINE_DEPLOYMENT_UNIQUE_LABEL_KEY) == Some(&hash);
    let mut new_set = active.iter().find(|s| is_new(s)).cloned();
    let olds: Vec<MachineSet> = active.iter().filter(|s| !is_new(s)).cloned().collect();
    let replicas = md.spec.replicas.max(0);
    let rolling = md.spec.strategy.rolling_update.as_ref();
    let (surge, unavailable) = resolve_surge_unavailable(
        rolling.and_then(|r| r.max_surge.as_ref()),
        rolling.and_then(|r| r.max_unavailable.as_ref()),
        replicas,
    );
    let recreate = md.spec.strategy.type_.as_deref() == Some(strategy::RECREATE);
    let old_desired: i32 = olds.iter().map(|s| s.spec.replicas).sum();
    let mut wait_for_old = false;

    if md.spec.paused {
        // Paused: no rollout, only scaling of what exists.
        let all: Vec<&MachineSet> = new_set.iter().chain(olds.iter()).collect();
        let desired: Vec<i32> = all.iter().map(|s| s.spec.replicas).collect();
        if desired.iter().sum::<i32>() != replicas && !all.is_empty() {
            let scaled = if desired.iter().filter(|d| **d > 0).count() <= 1 {
                let mut v = vec![0; all.len()];
                let i = desired.iter().position(|d| *d > 0).unwrap_or(0);
                v[i] = replicas;
                v
            } else {
                proportional(&desired, replicas)
            };
            for (s, d) in all.iter().zip(scaled) {
                scale_set(&sets, s, d).await?;
            }
        }
    } else if new_set.is_none() {
        let initial = if old_desired == 0 {
            replicas
        } else if recreate {
            0
        } else {
            new_set_target(replicas, surge, SetCounts::default(), old_desired)
        };
        let revision = active.iter().map(revision).max().unwrap_or(0) + 1;
        let created = create_set(&sets, &md, &hash, initial, revision).await?;
        info!(namespace = %ns, deployment = %md.name_any(), set = %created.name_any(), revision, "new machine set");
        event(
            &ctx,
            &*md,
            "Normal",
            "ScalingMachineSet",
            &format!("created machine set {} with {initial} replicas", created.name_any()),
        )
        .await;
        new_set = Some(created);
    } else if let Some(new) = &new_set {
        if recreate {
            if old_desired > 0 {
                for s in &olds {
                    scale_set(&sets, s, 0).await?;
                }
            } else if !old_machines_gone(&ctx, &ns, &olds).await? {
                // The old machines are still being deleted; their sets' status no longer changes, so look again.
                wait_for_old = true;
            } else {
                scale_set(&sets, new, replicas).await?;
            }
        } else {
            let all_desired = new.spec.replicas + old_desired;
            if all_desired > replicas + surge && old_desired > 0 {
                // Scaled down mid-rollout: every set keeps its share.
                let all: Vec<&MachineSet> = std::iter::once(new).chain(olds.iter()).collect();
                let desired: Vec<i32> = all.iter().map(|s| s.spec.replicas).collect();
                for (s, d) in all.iter().zip(proportional(&desired, replicas + surge)) {
                    scale_set(&sets, s, d).await?;
                }
            } else {
                let target = new_set_target(replicas, surge, counts(new), all_desired);
                scale_set(&sets, new, target).await?;
                let new_counts = SetCounts { desired: target, available: counts(new).available };
                let old_counts: Vec<SetCounts> = olds.iter().map(counts).collect();
                let budget = old_scale_down_budget(replicas, unavailable, new_counts, &old_counts);
                for (s, d) in olds.iter().zip(scale_down_old(&old_counts, budget, true)) {
                    scale_set(&sets, s, d).await?;
                }
            }
        }
        // A set taken back by a rollback carries the newest revision again.
        let newest = active.iter().map(revision).max().unwrap_or(0);
        if revision(new) < newest || (revision(new) == newest && olds.iter().any(|o| revision(o) == newest)) {
            let patch = json!({"metadata": {"annotations": {REVISION_ANNOTATION: (newest + 1).to_string()}}});
            sets.patch(&new.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
        }
    }

    clean_up_history(&sets, &md, &olds).await?;
    let fresh: Vec<MachineSet> = sets
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|s| controlled_by(s, &uid) && s.metadata.deletion_timestamp.is_none())
        .collect();
    let new_name = new_set.map(|s| s.name_any()).unwrap_or_default();
    let (status, recheck) = status_of(&md, &fresh, &new_name, unavailable);
    let old = md.status.clone().unwrap_or_default();
    if serde_json::to_value(&old).ok() != serde_json::to_value(&status).ok() {
        let patch = json!({ "status": status });
        mds.patch_status(&md.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    let revision = fresh.iter().map(revision).max().unwrap_or(0).to_string();
    if md.annotations().get(REVISION_ANNOTATION) != Some(&revision) {
        let patch = json!({"metadata": {"annotations": {REVISION_ANNOTATION: revision}}});
        mds.patch(&md.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    let recheck = if wait_for_old {
        Some(recheck.map_or(ctx.periods.retry_short, |r| r.min(ctx.periods.retry_short)))
    } else {
        recheck
    };
    Ok(recheck.map(Action::requeue).unwrap_or_else(Action::await_change))
}

/// Requeue on errors.
pub fn error_policy(md: Arc<MachineDeployment>, err: &Error, ctx: Arc<Ctx>) -> Action {
    if err.is_conflict() {
        // Someone wrote the object meanwhile: its new version comes with the next event.
        return Action::requeue(std::time::Duration::from_millis(200));
    }
    warn!(deployment = %md.name_any(), namespace = %md.namespace().unwrap_or_default(), error = %err, "machine deployment reconcile failed");
    Action::requeue(ctx.periods.retry_short)
}

async fn delete_set(api: &Api<MachineSet>, s: &MachineSet) -> Result<(), kube::Error> {
    component_base::api::delete_if_exists(api, &s.name_any()).await.map(|_| ())
}

async fn scale_set(api: &Api<MachineSet>, s: &MachineSet, replicas: i32) -> Result<(), kube::Error> {
    if s.spec.replicas == replicas {
        return Ok(());
    }
    let patch = json!({"spec": {"replicas": replicas}});
    api.patch(&s.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(|_| ())
}

/// The MachineSet of `md`'s current template.
pub fn desired_set(md: &MachineDeployment, hash: &str, replicas: i32, revision: i64) -> MachineSet {
    let mut template = md.spec.template.clone();
    template
        .metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(DEFAULT_MACHINE_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), hash.into());
    let mut selector = md.spec.selector.clone().unwrap_or_default();
    selector
        .match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(DEFAULT_MACHINE_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), hash.into());
    let mut s = MachineSet {
        metadata: kube::api::ObjectMeta {
            name: Some(format!("{}-{hash}", md.name_any())),
            namespace: md.namespace(),
            labels: template.metadata.labels.clone(),
            annotations: Some([(REVISION_ANNOTATION.to_string(), revision.to_string())].into()),
            owner_references: Some(vec![controller_ref(md)]),
            finalizers: Some(vec![FINALIZER.to_string()]),
            ..Default::default()
        },
        spec: MachineSetSpec {
            replicas,
            selector: Some(selector),
            machine_class: template.spec.class.clone(),
            template,
            min_ready_seconds: md.spec.min_ready_seconds,
        },
        ..Default::default()
    };
    s.ensure_type_meta();
    s
}

async fn create_set(
    api: &Api<MachineSet>,
    md: &MachineDeployment,
    hash: &str,
    replicas: i32,
    revision: i64,
) -> Result<MachineSet, Error> {
    let desired = desired_set(md, hash, replicas, revision);
    match api.create(&PostParams::default(), &desired).await {
        Ok(s) => Ok(s),
        Err(e) if component_base::api::is_status(&e, 409) => {
            // Created by an earlier run that died before it saw the answer: take it if it is ours.
            let existing = api.get(&desired.name_any()).await?;
            if controlled_by(&existing, &md.uid().unwrap_or_default()) {
                Ok(existing)
            } else {
                Err(Error::Other(format!("machine set {} exists and belongs to someone else", desired.name_any())))
            }
        }
        Err(e) => Err(e.into()),
    }
}

async fn old_machines_gone(ctx: &Ctx, ns: &str, olds: &[MachineSet]) -> Result<bool, Error> {
    let machines: Api<Machine> = Api::namespaced(ctx.seed.clone(), ns);
    let uids: Vec<String> = olds.iter().filter_map(|s| s.uid()).collect();
    let list = machines.list(&ListParams::default()).await?;
    Ok(!list.items.iter().any(|m| uids.iter().any(|u| controlled_by(m, u))))
}

async fn roll_back(
    ctx: &Ctx,
    api: &Api<MachineDeployment>,
    md: &MachineDeployment,
    owned: &[MachineSet],
    wanted: i64,
) -> Result<(), Error> {
    let mut revisions: Vec<i64> = owned.iter().map(revision).collect();
    revisions.sort_unstable();
    revisions.dedup();
    let target = if wanted == 0 { revisions.iter().rev().nth(1).copied() } else { Some(wanted) };
    let source = target.and_then(|r| owned.iter().find(|s| revision(s) == r));
    let mut next = md.clone();
    next.spec.rollback_to = None;
    match source {
        Some(s) => {
            let mut template = s.spec.template.clone();
            if let Some(labels) = template.metadata.labels.as_mut() {
                labels.remove(DEFAULT_MACHINE_DEPLOYMENT_UNIQUE_LABEL_KEY);
            }
            next.spec.template = template;
            api.replace(&md.name_any(), &PostParams::default(), &next).await?;
            let msg = format!("rolled back to revision {}", revision(s));
            event(ctx, md, "Normal", "DeploymentRollback", &msg).await;
        }
        None => {
            api.replace(&md.name_any(), &PostParams::default(), &next).await?;
            let msg = format!("unable to find the revision {wanted} to roll back to");
            event(ctx, md, "Warning", "DeploymentRollbackRevisionNotFound", &msg).await;
        }
    }
    Ok(())
}

async fn clean_up_history(
    api: &Api<MachineSet>,
    md: &MachineDeployment,
    olds: &[MachineSet],
) -> Result<(), kube::Error> {
    let limit = md
        .spec
        .revision_history_limit
        .map(|l| usize::try_from(l.max(0)).unwrap_or(0))
        .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT);
    let mut idle: Vec<&MachineSet> = olds
        .iter()
        .filter(|s| s.spec.replicas == 0 && s.status.as_ref().map(|st| st.replicas).unwrap_or(0) == 0)
        .collect();
    if idle.len() <= limit {
        return Ok(());
    }
    idle.sort_by_key(|s| revision(s));
    for s in &idle[..idle.len() - limit] {
        delete_set(api, s).await?;
    }
    Ok(())
}

fn condition(
    old: &[MachineDeploymentCondition],
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    progressed: bool,
) -> MachineDeploymentCondition {
    let prev = old.iter().find(|c| c.type_ == type_);
    let same = prev.is_some_and(|p| p.status == status);
    let same_reason = prev.is_some_and(|p| p.reason == reason && p.message == message);
    MachineDeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        last_update_time: if same && same_reason && !progressed {
            prev.and_then(|p| p.last_update_time.clone())
        } else {
            Some(now())
        },
        last_transition_time: if same { prev.and_then(|p| p.last_transition_time.clone()) } else { Some(now()) },
        reason: reason.into(),
        message,
    }
}

/// The deployment's status from its sets, and when to look again (for the progress deadline).
pub fn status_of(
    md: &MachineDeployment,
    sets: &[MachineSet],
    new_name: &str,
    max_unavailable: i32,
) -> (MachineDeploymentStatus, Option<Duration>) {
    let old = md.status.clone().unwrap_or_default();
    let sum = |f: fn(&garden_api::machine::v1alpha1::MachineSetStatus) -> i32| -> i32 {
        sets.iter().map(|s| s.status.as_ref().map(f).unwrap_or(0)).sum()
    };
    let replicas = sum(|s| s.replicas);
    let ready = sum(|s| s.ready_replicas);
    let available = sum(|s| s.available_replicas);
    let new = sets.iter().find(|s| s.name_any() == new_name);
    let updated = new.and_then(|s| s.status.as_ref()).map(|s| s.replicas).unwrap_or(0);
    let want = md.spec.replicas.max(0);
    let old_left = sets
        .iter()
        .filter(|s| s.name_any() != new_name)
        .any(|s| s.spec.replicas > 0 || s.status.as_ref().is_some_and(|st| st.replicas > 0));
    let complete = updated == want && available >= want && replicas == want && !old_left;
    let progressed = (old.updated_replicas, old.available_replicas, old.replicas) != (updated, available, replicas);
    let available_cond = if available >= want - max_unavailable {
        condition(
            &old.conditions,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".into(),
            false,
        )
    } else {
        condition(
            &old.conditions,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".into(),
            false,
        )
    };
    let deadline = md.spec.progress_deadline_seconds.map(|s| Duration::from_secs(u64::try_from(s.max(0)).unwrap_or(0)));
    let mut recheck = None;
    let progressing = if md.spec.paused {
        condition(&old.conditions, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused".into(), false)
    } else if complete {
        condition(
            &old.conditions,
            "Progressing",
            "True",
            "NewMachineSetAvailable",
            format!("MachineSet \"{new_name}\" has successfully progressed."),
            false,
        )
    } else {
        let running = condition(
            &old.conditions,
            "Progressing",
            "True",
            "MachineSetUpdated",
            format!("MachineSet \"{new_name}\" is progressing."),
            progressed,
        );
        let since = running
            .last_update_time
            .as_ref()
            .map(|t| jiff::Timestamp::now().duration_since(t.0).unsigned_abs())
            .unwrap_or_default();
        match deadline {
            Some(d) if since > d && !progressed => condition(
                &old.conditions,
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                format!("MachineSet \"{new_name}\" has timed out progressing."),
                false,
            ),
            Some(d) => {
                recheck = Some(d.saturating_sub(since) + Duration::from_secs(1));
                running
            }
            None => running,
        }
    };
    let failed_machines =
        sets.iter().flat_map(|s| s.status.as_ref().map(|st| st.failed_machines.clone()).unwrap_or_default()).collect();
    let status = MachineDeploymentStatus {
        observed_generation: md.metadata.generation.unwrap_or(0),
        replicas,
        updated_replicas: updated,
        ready_replicas: ready,
        available_replicas: available,
        unavailable_replicas: (want - available).max(0),
        conditions: vec![available_cond, progressing],
        collision_count: old.collision_count,
        failed_machines,
    };
    (status, recheck)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md() -> MachineDeployment {
        serde_json::from_value(json!({
            "metadata": {"name": "d", "namespace": "ns", "uid": "u"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"pool": "a"}},
                "template": {"metadata": {"labels": {"pool": "a"}}, "spec": {"class": {"kind": "MachineClass", "name": "c1"}}}}
        }))
        .unwrap()
    }

    #[test]
    fn template_changes_change_the_hash_and_the_set_name() {
        let a = md();
        let mut b = md();
        b.spec.template.spec.class.name = "c2".into();
        let (ha, hb) = (template_hash(&a.spec.template), template_hash(&b.spec.template));
        assert_ne!(ha, hb);
        assert_eq!(ha, template_hash(&md().spec.template), "stable");
        let s = desired_set(&a, &ha, 2, 1);
        assert_eq!(s.metadata.name.as_deref(), Some(format!("d-{ha}").as_str()));
        assert_eq!(
            s.spec
                .selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap()
                .get(DEFAULT_MACHINE_DEPLOYMENT_UNIQUE_LABEL_KEY),
            Some(&ha)
        );
        assert_eq!(s.spec.template.metadata.labels.as_ref().unwrap().get("pool").map(String::as_str), Some("a"));
        assert_eq!(s.spec.machine_class.name, "c1");
        assert_eq!(s.annotations().get(REVISION_ANNOTATION).map(String::as_str), Some("1"));
    }

    #[test]
    fn status_is_complete_only_without_old_machines() {
        let d = md();
        let set = |name: &str, spec: i32, replicas: i32, available: i32| -> MachineSet {
            serde_json::from_value(json!({"metadata": {"name": name}, "spec": {"replicas": spec},
                "status": {"replicas": replicas, "readyReplicas": available, "availableReplicas": available}}))
            .unwrap()
        };
        let (s, _) = status_of(&d, &[set("new", 2, 2, 2), set("old", 0, 1, 1)], "new", 0);
        assert_eq!((s.replicas, s.updated_replicas, s.available_replicas), (3, 2, 3));
        assert_eq!(s.conditions[1].reason, "MachineSetUpdated");
        let (s, _) = status_of(&d, &[set("new", 2, 2, 2)], "new", 0);
        assert_eq!(s.conditions[1].reason, "NewMachineSetAvailable");
        assert_eq!(s.conditions[0].status, "True");
        assert_eq!(s.unavailable_replicas, 0);
    }
}
