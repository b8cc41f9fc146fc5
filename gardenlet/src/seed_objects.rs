//! What the gardenlet keeps for its Seed: the lease namespace `gardener-system-seed-lease` and the seed's
//! `BackupBucket`. A controller on the own Seed that also watches both objects: deleting either (by anyone)
//! makes it reconcile at once and create it again, and every reconcile is idempotent (an existing object is
//! left as it is, the bucket's status is written only when it changes).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use garden_api::core::v1beta1::{BackupBucket, Seed};
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};

use crate::error::Error;

/// Pause after a failed reconcile.
const RETRY: Duration = Duration::from_secs(5);
/// Periodic re-check even without events (a store that vanished, e.g. a deleted local directory).
const RESYNC: Duration = Duration::from_secs(60);

struct Ctx {
    client: Client,
    seed: String,
}

/// Runs until the watches end.
pub async fn run(client: Client, seed: String) {
    let by_name = |name: &str| watcher::Config::default().fields(&format!("metadata.name={name}"));
    let seeds: Api<Seed> = Api::all(client.clone());
    let own = seed.clone();
    let for_bucket = seed.clone();
    Controller::new(seeds, by_name(&seed))
        .watches(Api::<Namespace>::all(client.clone()), by_name(crate::seed::LEASE_NAMESPACE), move |_: Namespace| {
            Some(ObjectRef::<Seed>::new(&own))
        })
        .watches(Api::<BackupBucket>::all(client.clone()), watcher::Config::default(), move |b: BackupBucket| {
            (b.spec.seed_name.as_deref() == Some(for_bucket.as_str())).then(|| ObjectRef::<Seed>::new(&for_bucket))
        })
        .run(reconcile, error_policy, Arc::new(Ctx { client, seed }))
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "seed objects");
            }
        })
        .await;
}

async fn reconcile(seed: Arc<Seed>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    if seed.name_any() != ctx.seed || seed.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    crate::seed::ensure_lease_namespace(&ctx.client).await?;
    crate::backup::bucket::ensure(&ctx.client, &seed).await.map_err(|e| Error::BackupBucket(format!("{e:#}")))?;
    Ok(Action::requeue(RESYNC))
}

fn error_policy(_seed: Arc<Seed>, err: &Error, _ctx: Arc<Ctx>) -> Action {
    tracing::warn!(error = %err, "keeping the seed's objects failed");
    Action::requeue(RETRY)
}
