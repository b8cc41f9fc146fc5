//! `ShootState`: the control-plane secrets of a shoot while its control plane moves between seeds.
//!
//! The source seed saves every Secret of the shoot's seed namespace that the gardenlet manages (CAs, keys,
//! certificates: see [`super::secrets`]) into the `ShootState` named like the shoot in its project namespace
//! before it removes the control plane; the target seed recreates them from there before it starts the
//! control plane, so the cluster keeps its CAs (kubeconfigs and service account tokens stay valid). The
//! ShootState is deleted once the target has restored the control plane. Only the garden's administrators and
//! gardenlets may read ShootStates (project members have no RBAC rule for them).

use std::collections::BTreeMap;

use component_base::api::delete_if_exists;
use garden_api::core::v1beta1::{GardenerResourceData, ShootState, ShootStateSpec};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use super::secrets::MANAGED_BY_LABEL;

const SECRET_TYPE: &str = "secret";

/// Saves the managed Secrets of `seed_namespace` into the ShootState `namespace/name` (created or replaced).
pub async fn save(client: &Client, namespace: &str, name: &str, seed_namespace: &str) -> anyhow::Result<usize> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), seed_namespace);
    let selector = format!("{}={}", MANAGED_BY_LABEL.0, MANAGED_BY_LABEL.1);
    let list = secrets.list(&ListParams::default().labels(&selector)).await?;
    let gardener: Vec<GardenerResourceData> = list
        .items
        .iter()
        .map(|s| GardenerResourceData {
            name: s.name_any(),
            type_: SECRET_TYPE.into(),
            data: json!({"type": s.type_, "data": s.data}),
            labels: s.labels().clone(),
        })
        .collect();
    let count = gardener.len();
    let api: Api<ShootState> = Api::namespaced(client.clone(), namespace);
    let mut state = ShootState {
        api_version: "core.gardener.cloud/v1beta1".into(),
        kind: "ShootState".into(),
        spec: ShootStateSpec { gardener },
        ..Default::default()
    };
    state.metadata.name = Some(name.into());
    state.metadata.namespace = Some(namespace.into());
    match api.get_opt(name).await? {
        None => {
            api.create(&PostParams::default(), &state).await?;
        }
        Some(old) => {
            state.metadata.resource_version = old.metadata.resource_version.clone();
            api.replace(name, &PostParams::default(), &state).await?;
        }
    }
    Ok(count)
}

/// Whether a ShootState exists for the shoot.
pub async fn exists(client: &Client, namespace: &str, name: &str) -> anyhow::Result<bool> {
    let api: Api<ShootState> = Api::namespaced(client.clone(), namespace);
    Ok(api.get_opt(name).await?.is_some())
}

/// Recreates the saved Secrets in `seed_namespace` (existing ones are left alone). Returns how many it created;
/// 0 when there is no ShootState.
pub async fn restore(client: &Client, namespace: &str, name: &str, seed_namespace: &str) -> anyhow::Result<usize> {
    let api: Api<ShootState> = Api::namespaced(client.clone(), namespace);
    let Some(state) = api.get_opt(name).await? else { return Ok(0) };
    let secrets: Api<Secret> = Api::namespaced(client.clone(), seed_namespace);
    let mut created = 0;
    for item in state.spec.gardener.iter().filter(|i| i.type_ == SECRET_TYPE) {
        let mut secret: Secret = serde_json::from_value(item.data.clone())
            .map_err(|e| anyhow::anyhow!("ShootState {namespace}/{name}: item {:?} is not a secret: {e}", item.name))?;
        secret.metadata.name = Some(item.name.clone());
        secret.metadata.namespace = Some(seed_namespace.into());
        secret.metadata.labels = Some(item.labels.clone()).filter(|l: &BTreeMap<_, _>| !l.is_empty());
        match secrets.create(&PostParams::default(), &secret).await {
            Ok(_) => created += 1,
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(created)
}

/// Deletes the ShootState (absent is fine).
pub async fn delete(client: &Client, namespace: &str, name: &str) -> anyhow::Result<()> {
    let api: Api<ShootState> = Api::namespaced(client.clone(), namespace);
    delete_if_exists(&api, name).await?;
    Ok(())
}
