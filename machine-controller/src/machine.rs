//! One machine's lifecycle (MCM's machine controller):
//!
//! - create: ensure the machine's bootstrap token in the shoot, `GetMachineStatus` first (a VM that exists,
//!   e.g. after a crash, is adopted), `CreateMachine` on NotFound (`InitializeMachine` on Uninitialized),
//!   record `spec.providerID` and the `node` label, phase Pending;
//! - health, from the Node in the shoot: Pending -> Running when it is Ready; Running -> Unknown when it is
//!   gone, not ready, stale or has a bad condition; Unknown -> Running when it recovers, -> Failed after the
//!   health timeout (meltdown protection: at most `maxSurge` machines of a deployment in replacement at
//!   once); Pending -> Failed after the creation timeout. Nothing moves while the shoot API cannot be
//!   reached. Failed machines are replaced by their MachineSet;
//! - delete: phase Terminating, cordon and drain the node (deleting its pods, up to the drain timeout),
//!   `DeleteMachine`, delete the Node and the bootstrap token, drop the finalizer.
//!
//! Every step is idempotent: the driver is asked before it is told, and the controller can die between any
//! two steps.

use std::sync::Arc;
use std::time::Duration;

use garden_api::machine::v1alpha1::{
    operation, phase, state, Machine, MachineClass, MachineDeployment, MachineSet, NODE_LABEL_KEY,
};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::ResourceExt;
use machine_driver::{render_user_data, Code, DriverError, MachineIdentity, MachineRequest, USER_DATA_KEY};
use serde_json::json;
use tracing::{info, warn};

use crate::health::{node_health, NodeHealth};
use crate::order::phase_of;
use crate::shoots::ShootConnection;
use crate::{add_finalizer, controller_name, event, has_finalizer, now, remove_finalizer, Ctx, Error};

/// Reconciles one Machine.
pub async fn reconcile(machine: Arc<Machine>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let _timer = ctx.metrics.time("machine");
    let ns = machine.namespace().unwrap_or_default();
    let api: Api<Machine> = Api::namespaced(ctx.seed.clone(), &ns);
    if !ctx.handles(&ns, &machine.spec.class.name).await? {
        return Ok(Action::await_change());
    }
    if machine.metadata.deletion_timestamp.is_some() {
        return delete(&machine, &api, &ctx).await;
    }
    if !has_finalizer(&*machine) {
        add_finalizer(&api, &machine).await?;
        return Ok(Action::await_change());
    }
    let class_name = &machine.spec.class.name;
    let Some(class) = ctx.class(&ns, class_name).await? else {
        let msg = format!("machine class {class_name} does not exist");
        set_status(&api, &machine, None, operation::CREATE, state::FAILED, &msg, None).await?;
        return Ok(Action::requeue(ctx.periods.retry_medium));
    };
    // A recorded provider ID means the VM was created: only health checks from here on (a machine whose phase
    // is not written yet counts as Pending), so the driver is not asked again.
    let no_vm_yet = machine.spec.provider_id.as_deref().unwrap_or_default().is_empty()
        || phase_of(&machine) == phase::CRASH_LOOP_BACK_OFF;
    if no_vm_yet {
        create(&machine, &class, &api, &ctx).await
    } else {
        check_health(&machine, &api, &ctx).await
    }
}

/// Requeue on errors.
pub fn error_policy(machine: Arc<Machine>, err: &Error, ctx: Arc<Ctx>) -> Action {
    if err.is_conflict() {
        // Someone wrote the object meanwhile: its new version comes with the next event.
        return Action::requeue(std::time::Duration::from_millis(200));
    }
    warn!(machine = %machine.name_any(), namespace = %machine.namespace().unwrap_or_default(), error = %err, "machine reconcile failed");
    Action::requeue(ctx.periods.retry_short)
}

/// Writes phase (when `phase` is Some and differs) and lastOperation, only if something changed.
async fn set_status(
    api: &Api<Machine>,
    machine: &Machine,
    new_phase: Option<&str>,
    op_type: &str,
    op_state: &str,
    description: &str,
    error_code: Option<Code>,
) -> Result<(), kube::Error> {
    let status = machine.status.clone().unwrap_or_default();
    let phase_changes = new_phase.is_some_and(|p| p != status.current_status.phase);
    let op = &status.last_operation;
    let op_changes = op.type_ != op_type
        || op.state != op_state
        || op.description != description
        || op.error_code.as_deref() != error_code.map(Code::as_str);
    if !phase_changes && !op_changes {
        return Ok(());
    }
    let mut patch = json!({"status": {"lastOperation": {
        "type": op_type, "state": op_state, "description": description,
        "errorCode": error_code.map(Code::as_str), "lastUpdateTime": now(),
    }}});
    if let (true, Some(p)) = (phase_changes, new_phase) {
        let timeout_active = matches!(p, phase::PENDING | phase::UNKNOWN | phase::CRASH_LOOP_BACK_OFF);
        patch["status"]["currentStatus"] =
            json!({"phase": p, "timeoutActive": timeout_active, "lastUpdateTime": now()});
    }
    api.patch_status(&machine.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(|_| ())
}

/// When the machine entered its current phase (its creation for a machine without a phase yet).
fn phase_since(machine: &Machine) -> Timestamp {
    machine
        .status
        .as_ref()
        .and_then(|s| s.current_status.last_update_time.as_ref())
        .or(machine.metadata.creation_timestamp.as_ref())
        .map(|t| t.0)
        .unwrap_or_else(Timestamp::now)
}

fn elapsed_since(t: Timestamp) -> Duration {
    Timestamp::now().duration_since(t).unsigned_abs()
}

fn node_name(machine: &Machine) -> String {
    machine.labels().get(NODE_LABEL_KEY).cloned().unwrap_or_else(|| machine.name_any())
}

/// How long a machine this process created counts as recently created (see `Ctx::recently_created`).
const WATCH_LAG: Duration = Duration::from_secs(10);

async fn create(machine: &Machine, class: &MachineClass, api: &Api<Machine>, ctx: &Ctx) -> Result<Action, Error> {
    let (ns, name) = (machine.namespace().unwrap_or_default(), machine.name_any());
    let key = (ns.clone(), name.clone());
    {
        let mut recent = ctx.recently_created.lock().unwrap_or_else(|e| e.into_inner());
        recent.retain(|_, at| at.elapsed() < WATCH_LAG);
        if recent.contains_key(&key) && phase_of(machine) != phase::CRASH_LOOP_BACK_OFF {
            return Ok(Action::requeue(Duration::from_millis(500)));
        }
    }
    let timeouts = ctx.timeouts.for_machine(&machine.spec.machine_configuration);
    if elapsed_since(phase_since(machine)) > timeouts.creation && !phase_of(machine).is_empty() {
        // Creation kept failing for the whole creation timeout.
        let msg = format!("machine creation did not succeed within {}s", timeouts.creation.as_secs());
        set_status(api, machine, Some(phase::FAILED), operation::CREATE, state::FAILED, &msg, None).await?;
        event(ctx, machine, "Warning", "CreationTimedOut", &msg).await;
        return Ok(Action::await_change());
    }
    let Some(shoot) = ctx.shoots.get(&ns).await? else {
        let msg = format!("waiting for access to the shoot API (secret {ns}/{})", crate::shoots::ACCESS_SECRET);
        set_status(api, machine, None, operation::CREATE, state::PROCESSING, &msg, None).await?;
        return Ok(Action::requeue(ctx.periods.retry_short));
    };
    let token = match crate::bootstrap::ensure(&shoot.client, &ns, &name).await {
        Ok(t) => t,
        Err(e) => {
            let msg = format!("failed to create the bootstrap token in the shoot: {e}");
            set_status(api, machine, None, operation::CREATE, state::PROCESSING, &msg, Some(Code::Unavailable)).await?;
            return Ok(Action::requeue(ctx.periods.retry_short));
        }
    };
    let mut secret = ctx.class_secret(class).await?;
    if let Some(user_data) = secret.get(USER_DATA_KEY) {
        let rendered = render_user_data(&String::from_utf8_lossy(user_data), &name, &token);
        secret.insert(USER_DATA_KEY.to_string(), rendered.into_bytes());
    }
    let req = MachineRequest { machine, class, secret: &secret };
    let identity: Result<MachineIdentity, DriverError> = match ctx.driver.get_machine_status(&req).await {
        Ok(id) => Ok(id),
        Err(e) if e.code == Code::NotFound => ctx.driver.create_machine(&req).await,
        Err(e) if e.code == Code::Uninitialized => ctx.driver.initialize_machine(&req).await,
        Err(e) => Err(e),
    };
    let identity = match identity {
        Ok(id) => id,
        Err(e) => {
            let msg = format!("cloud provider message - {e}");
            set_status(
                api,
                machine,
                Some(phase::CRASH_LOOP_BACK_OFF),
                operation::CREATE,
                state::FAILED,
                &msg,
                Some(e.code),
            )
            .await?;
            event(ctx, machine, "Warning", "CreateFailed", &msg).await;
            return Ok(Action::requeue(ctx.periods.retry(e.code)));
        }
    };
    let patch = json!({
        "metadata": {"labels": {NODE_LABEL_KEY: identity.node_name}},
        "spec": {"providerID": identity.provider_id},
    });
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    ctx.recently_created.lock().unwrap_or_else(|e| e.into_inner()).insert(key, std::time::Instant::now());
    let msg = "Creating machine on cloud provider";
    set_status(api, machine, Some(phase::PENDING), operation::CREATE, state::PROCESSING, msg, None).await?;
    info!(namespace = %ns, machine = %name, provider_id = %identity.provider_id, "machine created");
    event(ctx, machine, "Normal", "Created", &format!("created VM {}", identity.provider_id)).await;
    Ok(Action::requeue(ctx.periods.retry_short))
}

async fn check_health(machine: &Machine, api: &Api<Machine>, ctx: &Ctx) -> Result<Action, Error> {
    let (ns, name) = (machine.namespace().unwrap_or_default(), machine.name_any());
    let current = phase_of(machine).to_string();
    if current == phase::FAILED {
        return Ok(Action::await_change());
    }
    let current = if current.is_empty() { phase::PENDING.to_string() } else { current };
    let resync = ctx.periods.machine_resync;
    let Some(shoot) = ctx.shoots.get(&ns).await? else {
        return Ok(Action::requeue(ctx.periods.retry_short));
    };
    if !shoot.watching() {
        // Blind: freeze rather than replace machines whose nodes cannot be seen.
        return Ok(Action::requeue(ctx.periods.retry_short));
    }
    let timeouts = ctx.timeouts.for_machine(&machine.spec.machine_configuration);
    let node = node_name(machine);
    let node_obj = shoot.node(&node);
    let health =
        node_health(node_obj.as_deref(), shoot.lease(&node).as_deref(), Timestamp::now(), timeouts.node_monitor_grace);
    if let NodeHealth::Stale(reason) = &health {
        if shoot.reachable().await {
            mark_node_unknown(&shoot, &node, reason).await;
        } else {
            return Ok(Action::requeue(ctx.periods.retry_short));
        }
    }
    // The node's conditions go into the machine's status (with a phase change, in the same write).
    let ready_now = matches!(health, NodeHealth::Ready);
    let phase_moves = ready_now && matches!(current.as_str(), phase::PENDING | phase::AVAILABLE | phase::UNKNOWN);
    if let (Some(n), false) = (&node_obj, phase_moves) {
        sync_conditions(api, machine, n).await?;
    }
    let since = elapsed_since(phase_since(machine));
    match (current.as_str(), &health) {
        (phase::PENDING | phase::AVAILABLE, NodeHealth::Ready) | (phase::UNKNOWN, NodeHealth::Ready) => {
            let (op, msg) = if current == phase::UNKNOWN {
                (operation::HEALTH_CHECK, format!("Machine {name} is healthy again"))
            } else {
                (operation::CREATE, format!("Machine {name} successfully joined the cluster"))
            };
            let conditions = node_obj.as_ref().and_then(|n| n.status.as_ref()).and_then(|s| s.conditions.clone());
            let patch = json!({"status": {
                "currentStatus": {"phase": phase::RUNNING, "timeoutActive": false, "lastUpdateTime": now()},
                "lastOperation": {"type": op, "state": state::SUCCESSFUL, "description": msg, "errorCode": null, "lastUpdateTime": now()},
                "conditions": conditions.unwrap_or_default(),
            }});
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
            event(ctx, machine, "Normal", "Running", &msg).await;
            Ok(Action::requeue(resync))
        }
        (phase::PENDING | phase::AVAILABLE, _) => {
            if phase_of(machine).is_empty() {
                // Killed between recording the VM and its phase.
                let msg = "Creating machine on cloud provider";
                set_status(api, machine, Some(phase::PENDING), operation::CREATE, state::PROCESSING, msg, None).await?;
            }
            if since > timeouts.creation {
                if !shoot.reachable().await {
                    return Ok(Action::requeue(ctx.periods.retry_short));
                }
                let msg = format!(
                    "Machine {name} did not join the cluster within the creation timeout ({}s)",
                    timeouts.creation.as_secs()
                );
                set_status(api, machine, Some(phase::FAILED), operation::CREATE, state::FAILED, &msg, None).await?;
                event(ctx, machine, "Warning", "CreationTimedOut", &msg).await;
                return Ok(Action::await_change());
            }
            Ok(Action::requeue(remaining(timeouts.creation, since).min(resync)))
        }
        (phase::RUNNING, NodeHealth::Ready) => Ok(Action::requeue(resync)),
        (phase::RUNNING, unhealthy) => {
            if !shoot.reachable().await {
                return Ok(Action::requeue(ctx.periods.retry_short));
            }
            let msg =
                format!("Machine {name} is unhealthy - changing MachineState to Unknown: {}", describe(unhealthy));
            set_status(api, machine, Some(phase::UNKNOWN), operation::HEALTH_CHECK, state::PROCESSING, &msg, None)
                .await?;
            event(ctx, machine, "Warning", "Unhealthy", &msg).await;
            Ok(Action::requeue(timeouts.health.min(resync)))
        }
        (phase::UNKNOWN, unhealthy) => {
            if since <= timeouts.health {
                return Ok(Action::requeue(remaining(timeouts.health, since).min(resync)));
            }
            if !shoot.reachable().await {
                return Ok(Action::requeue(ctx.periods.retry_short));
            }
            let _guard = ctx.lock_namespace(&ns).await;
            if !within_replacement_budget(machine, ctx).await? {
                let msg = format!(
                    "Machine {name} is unhealthy ({}); meltdown protection holds its replacement until others are replaced",
                    describe(unhealthy)
                );
                set_status(api, machine, None, operation::HEALTH_CHECK, state::PROCESSING, &msg, None).await?;
                return Ok(Action::requeue(ctx.periods.retry_short));
            }
            let msg = format!(
                "Machine {name} did not recover within the health timeout ({}s): {}",
                timeouts.health.as_secs(),
                describe(unhealthy)
            );
            set_status(api, machine, Some(phase::FAILED), operation::HEALTH_CHECK, state::FAILED, &msg, None).await?;
            event(ctx, machine, "Warning", "HealthTimedOut", &msg).await;
            Ok(Action::await_change())
        }
        _ => Ok(Action::requeue(resync)),
    }
}

fn remaining(timeout: Duration, elapsed: Duration) -> Duration {
    timeout.saturating_sub(elapsed) + Duration::from_millis(100)
}

fn describe(h: &NodeHealth) -> String {
    match h {
        NodeHealth::Ready => "node is ready".into(),
        NodeHealth::Missing => "its node does not exist".into(),
        NodeHealth::NotReady(r) | NodeHealth::Stale(r) => r.clone(),
    }
}

/// Copies the node's conditions into the machine's status when their types or statuses changed.
async fn sync_conditions(api: &Api<Machine>, machine: &Machine, node: &Node) -> Result<(), kube::Error> {
    let node_conds: Vec<NodeCondition> = node.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
    let key = |c: &[NodeCondition]| {
        let mut v: Vec<(String, String)> = c.iter().map(|c| (c.type_.clone(), c.status.clone())).collect();
        v.sort();
        v
    };
    let mine = machine.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    if key(&mine) == key(&node_conds) {
        return Ok(());
    }
    let patch = json!({"status": {"conditions": node_conds}});
    api.patch_status(&machine.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(|_| ())
}

/// Sets the node's Ready condition to Unknown (kube's node lifecycle controller's job; shoots here have none).
async fn mark_node_unknown(shoot: &ShootConnection, node: &str, reason: &str) {
    let Some(n) = shoot.node(node) else { return };
    let mut conds: Vec<NodeCondition> = n.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
    let mut changed = false;
    for c in conds.iter_mut().filter(|c| c.type_ == "Ready" && c.status != "Unknown") {
        c.status = "Unknown".into();
        c.reason = Some("NodeStatusUnknown".into());
        c.message = Some(format!("Kubelet stopped posting node status: {reason}"));
        c.last_transition_time = Some(now());
        changed = true;
    }
    if !changed {
        return;
    }
    let api: Api<Node> = Api::all(shoot.client.clone());
    let patch = json!({"status": {"conditions": conds}});
    if let Err(e) = api.patch_status(node, &PatchParams::default(), &Patch::Merge(&patch)).await {
        warn!(node, error = %e, "failed to mark the node's Ready condition Unknown");
    }
}

/// Meltdown protection: whether another machine of this machine's deployment may be failed (and so
/// replaced) now. At most `maxSurge` (at least 1) machines of a deployment are in replacement at once:
/// Failed, terminating, or new and not Running yet. Call with the namespace lock held.
async fn within_replacement_budget(machine: &Machine, ctx: &Ctx) -> Result<bool, Error> {
    let ns = machine.namespace().unwrap_or_default();
    let Some(set_name) = controller_name(machine, "MachineSet") else { return Ok(true) };
    let sets: Api<MachineSet> = Api::namespaced(ctx.seed.clone(), &ns);
    let Some(set) = sets.get_opt(&set_name).await? else { return Ok(true) };
    let Some(md_name) = controller_name(&set, "MachineDeployment") else { return Ok(true) };
    let mds: Api<MachineDeployment> = Api::namespaced(ctx.seed.clone(), &ns);
    let Some(md) = mds.get_opt(&md_name).await? else { return Ok(true) };
    let sibling_sets: Vec<String> = sets
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|s| controller_name(s, "MachineDeployment").as_deref() == Some(md_name.as_str()))
        .map(|s| s.name_any())
        .collect();
    let machines: Api<Machine> = Api::namespaced(ctx.seed.clone(), &ns);
    let in_replacement = machines
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|m| m.name_any() != machine.name_any())
        .filter(|m| controller_name(m, "MachineSet").is_some_and(|s| sibling_sets.contains(&s)))
        .filter(|m| {
            m.metadata.deletion_timestamp.is_some()
                || matches!(
                    phase_of(m),
                    phase::FAILED | phase::TERMINATING | phase::PENDING | phase::CRASH_LOOP_BACK_OFF | ""
                )
        })
        .count();
    let rolling = md.spec.strategy.rolling_update.as_ref();
    let (surge, _) = crate::rollout::resolve_surge_unavailable(
        rolling.and_then(|r| r.max_surge.as_ref()),
        rolling.and_then(|r| r.max_unavailable.as_ref()),
        md.spec.replicas,
    );
    let max_replacements = usize::try_from(surge.max(1)).unwrap_or(1);
    Ok(in_replacement < max_replacements)
}

async fn delete(machine: &Machine, api: &Api<Machine>, ctx: &Ctx) -> Result<Action, Error> {
    let (ns, name) = (machine.namespace().unwrap_or_default(), machine.name_any());
    if !has_finalizer(machine) {
        return Ok(Action::await_change());
    }
    if phase_of(machine) != phase::TERMINATING {
        set_status(
            api,
            machine,
            Some(phase::TERMINATING),
            operation::DELETE,
            state::PROCESSING,
            "Draining the node",
            None,
        )
        .await?;
    }
    let timeouts = ctx.timeouts.for_machine(&machine.spec.machine_configuration);
    let deleting_for = machine.metadata.deletion_timestamp.as_ref().map(|t| elapsed_since(t.0)).unwrap_or_default();
    let drain_over = deleting_for > timeouts.drain;
    let node = node_name(machine);
    let shoot = ctx.shoots.get(&ns).await?;
    let reachable = match &shoot {
        Some(s) => s.reachable().await,
        None => false,
    };
    if let (Some(shoot), true) = (&shoot, reachable) {
        if let Some(n) = shoot.node(&node) {
            let ready = matches!(
                node_health(Some(&n), shoot.lease(&node).as_deref(), Timestamp::now(), timeouts.node_monitor_grace),
                NodeHealth::Ready
            );
            // An unhealthy node's pods cannot be evicted gracefully: they go with the VM (MCM's force delete).
            if ready && !drain_over && !drain(shoot, &node).await? {
                return Ok(Action::requeue(ctx.periods.retry_short));
            }
        }
    } else if !drain_over && shoot.is_some() {
        let msg = "waiting for the shoot API to drain the node (until the drain timeout)";
        set_status(api, machine, None, operation::DELETE, state::PROCESSING, msg, None).await?;
        return Ok(Action::requeue(ctx.periods.retry_short));
    }
    // Always asked, even for a machine without a provider ID: a controller killed right after starting the VM
    // never recorded it.
    {
        let class = ctx.class(&ns, &machine.spec.class.name).await?.unwrap_or_else(|| {
            // The class is gone: the driver still deletes by the machine's tags.
            let mut c = MachineClass::default();
            c.metadata.namespace = Some(ns.clone());
            c
        });
        let secret = ctx.class_secret(&class).await.unwrap_or_default();
        let req = MachineRequest { machine, class: &class, secret: &secret };
        if let Err(e) = ctx.driver.delete_machine(&req).await {
            let msg = format!("cloud provider message - {e}");
            set_status(api, machine, None, operation::DELETE, state::FAILED, &msg, Some(e.code)).await?;
            return Ok(Action::requeue(ctx.periods.retry(e.code)));
        }
    }
    if let (Some(shoot), true) = (&shoot, reachable) {
        let nodes: Api<Node> = Api::all(shoot.client.clone());
        component_base::api::delete_if_exists(&nodes, &node).await?;
        crate::bootstrap::delete(&shoot.client, &ns, &name).await?;
    }
    remove_finalizer(api, machine).await?;
    info!(namespace = %ns, machine = %name, "machine deleted");
    Ok(Action::await_change())
}

/// Cordons `node` and deletes its pods (DaemonSet and mirror pods stay, as `kubectl drain` leaves them).
/// True once no such pod is left.
async fn drain(shoot: &ShootConnection, node: &str) -> Result<bool, Error> {
    let nodes: Api<Node> = Api::all(shoot.client.clone());
    if shoot.node(node).and_then(|n| n.spec.as_ref().and_then(|s| s.unschedulable)) != Some(true) {
        let patch = json!({"spec": {"unschedulable": true}});
        match nodes.patch(node, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => {}
            Err(e) if component_base::api::is_status(&e, 404) => return Ok(true),
            Err(e) => return Err(e.into()),
        }
    }
    let pods: Api<Pod> = Api::all(shoot.client.clone());
    let on_node: Vec<Pod> = pods
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
        .filter(|p| {
            let daemon = p.owner_references().iter().any(|r| r.kind == "DaemonSet");
            let mirror = p.annotations().contains_key("kubernetes.io/config.mirror");
            !daemon && !mirror
        })
        .collect();
    for p in &on_node {
        let api: Api<Pod> = Api::namespaced(shoot.client.clone(), &p.namespace().unwrap_or_default());
        match api.delete(&p.name_any(), &DeleteParams::default()).await {
            Ok(_) => {}
            Err(e) if component_base::api::is_status(&e, 404) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(on_node.is_empty())
}
