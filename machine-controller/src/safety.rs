//! The safety controller: VMs the driver lists for a shoot (by their tags) that no Machine in the shoot's
//! seed namespace names are orphans (a crash between creating a VM and recording it, a Machine removed by
//! hand, a VM started outside the system) and are deleted. VMs are listed before Machines, so a machine
//! created in between is never taken for an orphan (its Machine object exists before its VM).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use garden_api::machine::v1alpha1::{Machine, MachineClass};
use kube::api::{Api, ListParams};
use kube::ResourceExt;
use machine_driver::MachineRequest;
use tracing::{info, warn};

use crate::{Ctx, Error};

/// Runs the orphan collection every `ctx.periods.safety_orphans`, forever.
pub async fn run(ctx: Arc<Ctx>) {
    let mut tick = tokio::time::interval(ctx.periods.safety_orphans);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match collect_orphans(&ctx).await {
            Ok(0) => {}
            Ok(n) => info!(deleted = n, "deleted orphan VMs"),
            Err(e) => warn!(error = %e, "orphan collection failed"),
        }
    }
}

/// One pass: deletes orphan VMs, returns how many.
pub async fn collect_orphans(ctx: &Ctx) -> Result<usize, Error> {
    let classes: Api<MachineClass> = Api::all(ctx.seed.clone());
    // One listing per namespace and credentials: that is what a driver's list is scoped by.
    let mut by_scope: BTreeMap<(String, String), MachineClass> = BTreeMap::new();
    for class in classes.list(&ListParams::default()).await?.items {
        if !ctx.serves(&class) {
            continue;
        }
        let ns = class.namespace().unwrap_or_default();
        let creds = class.credentials_secret_ref.as_ref().and_then(|r| r.name.clone()).unwrap_or_default();
        by_scope.entry((ns, creds)).or_insert(class);
    }
    // Connections to shoots whose seed namespace has no machine class any more (deleted shoots) are dropped.
    let with_classes: BTreeSet<&String> = by_scope.keys().map(|(ns, _)| ns).collect();
    for ns in ctx.shoots.namespaces() {
        if !with_classes.contains(&ns) {
            ctx.shoots.forget(&ns);
        }
    }
    let mut deleted = 0;
    for ((ns, _), class) in by_scope {
        let secret = match ctx.class_secret(&class).await {
            Ok(s) => s,
            Err(e) => {
                warn!(namespace = %ns, error = %e, "cannot list VMs without the class secret");
                continue;
            }
        };
        let vms = match ctx.driver.list_machines(&class, &secret).await {
            Ok(vms) => vms,
            Err(e) => {
                warn!(namespace = %ns, error = %e, "listing VMs failed");
                continue;
            }
        };
        if vms.is_empty() {
            continue;
        }
        let machines: Api<Machine> = Api::namespaced(ctx.seed.clone(), &ns);
        let known: BTreeSet<String> =
            machines.list(&ListParams::default()).await?.items.iter().map(ResourceExt::name_any).collect();
        for (provider_id, name) in vms.into_iter().filter(|(_, name)| !known.contains(name)) {
            let mut orphan = Machine::default();
            orphan.metadata.name = Some(name.clone());
            orphan.metadata.namespace = Some(ns.clone());
            orphan.spec.provider_id = Some(provider_id.clone());
            let req = MachineRequest { machine: &orphan, class: &class, secret: &secret };
            match ctx.driver.delete_machine(&req).await {
                Ok(()) => {
                    warn!(namespace = %ns, machine = %name, provider_id = %provider_id, "deleted orphan VM");
                    deleted += 1;
                }
                Err(e) => warn!(namespace = %ns, machine = %name, error = %e, "deleting orphan VM failed"),
            }
        }
    }
    Ok(deleted)
}
