//! ClusterRole aggregation (kube-controller-manager's `clusterrole-aggregation` controller): a ClusterRole
//! with an `aggregationRule` gets, as its `rules`, the rules of every other ClusterRole one of its
//! `clusterRoleSelectors` matches, taken in name order with duplicates dropped. The authorizer reads only
//! `rules`, so this is what makes aggregated roles grant anything: Gardener's project extension roles
//! (`gardener.cloud:extension:project:<project>:<role>`, which the project controller creates with an
//! aggregation rule only) and any aggregated ClusterRole a user creates. Chains (A aggregates B, which
//! aggregates C) settle because every update of a role is a watch event that triggers the next pass.
//!
//! The computation is `garden_api::rbac::aggregate_cluster_roles`, which the API server also uses to write its
//! bootstrap aggregated roles (admin, edit, view, Gardener's project member and viewer roles) already filled in.

use futures::StreamExt;
use garden_api::rbac::aggregate_cluster_roles;
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kube::Client;
use serde_json::json;
use tracing::{info, warn};

/// Keeps aggregated ClusterRoles up to date until `shutdown` resolves. A pass runs once the initial list is
/// in (a partial list would aggregate too little) and after every batch of changes; a failed update is
/// retried after [`RETRY`].
pub async fn run(client: Client, shutdown: impl std::future::Future<Output = ()>) {
    let api: Api<ClusterRole> = Api::all(client);
    let (reader, writer) = reflector::store();
    let events = reflector(writer, watcher(api.clone(), watcher::Config::default())).default_backoff();
    tokio::pin!(shutdown);
    tokio::pin!(events);
    let mut synced = false;
    let mut retry_at: Option<tokio::time::Instant> = None;
    loop {
        let retry = async {
            match retry_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = events.next() => match event {
                Some(event) => track(&mut synced, event),
                None => return,
            },
            () = retry => {}
            () = &mut shutdown => return,
        }
        // Everything that arrived together is one pass.
        while let Some(Some(event)) = futures::FutureExt::now_or_never(events.next()) {
            track(&mut synced, event);
        }
        if !synced {
            continue;
        }
        retry_at = None;
        let roles = reader.state();
        let (changed, invalid) = aggregate_cluster_roles(&roles.iter().map(|r| r.as_ref()).collect::<Vec<_>>());
        for (name, reason) in invalid {
            warn!(clusterrole = %name, error = %reason, "aggregation rule has an invalid selector");
        }
        for (name, rules) in changed {
            let patch = json!({"rules": rules});
            match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => info!(clusterrole = %name, rules = rules.len(), "aggregated clusterrole rules"),
                Err(e) => {
                    warn!(clusterrole = %name, error = %e, "failed to update aggregated clusterrole");
                    retry_at = Some(tokio::time::Instant::now() + RETRY);
                }
            }
        }
    }
}

/// How long after a failed update the pass runs again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// Follows the watch: passes wait for the (re)list to complete.
fn track(synced: &mut bool, event: Result<watcher::Event<ClusterRole>, watcher::Error>) {
    match event {
        Ok(watcher::Event::Init) => *synced = false,
        Ok(watcher::Event::InitDone) => *synced = true,
        Ok(_) => {}
        Err(e) => warn!(error = %e, "clusterrole watch failed"),
    }
}
