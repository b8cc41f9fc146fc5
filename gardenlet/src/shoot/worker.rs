//! The `Worker` extension resource of a shoot: the gardenlet writes the desired pools into the shoot's seed
//! namespace and waits until the provider extension / machine controller reports them ready.

use garden_api::core::v1beta1::Shoot;
use garden_api::extensions::v1alpha1::{MachineImage, Volume, Worker, WorkerPool, WorkerSpec};
use k8s_openapi::api::core::v1::SecretReference;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};

/// The Worker the shoot's pools ask for (named after the shoot, like Gardener's).
pub fn desired_worker(shoot: &Shoot, technical_id: &str) -> Worker {
    let pools = shoot
        .spec
        .provider
        .workers
        .iter()
        .map(|w| WorkerPool {
            name: w.name.clone(),
            machine_type: w.machine.type_.clone(),
            machine_image: w
                .machine
                .image
                .as_ref()
                .map(|i| MachineImage { name: i.name.clone(), version: i.version.clone().unwrap_or_default() })
                .unwrap_or_default(),
            minimum: w.minimum,
            maximum: w.maximum,
            max_surge: w.max_surge.clone(),
            max_unavailable: w.max_unavailable.clone(),
            labels: w.labels.clone(),
            annotations: w.annotations.clone(),
            taints: w.taints.clone(),
            zones: w.zones.clone(),
            provider_config: w.provider_config.clone(),
            volume: w.volume.as_ref().map(|v| Volume {
                type_: v.type_.clone(),
                size: v.size.clone(),
                encrypted: v.encrypted,
            }),
            architecture: w.machine.architecture.clone(),
            kubernetes_version: Some(shoot.spec.kubernetes.version.clone()),
        })
        .collect();
    let mut worker = Worker {
        metadata: kube::api::ObjectMeta {
            name: Some(shoot.name_any()),
            namespace: Some(technical_id.to_string()),
            ..Default::default()
        },
        spec: WorkerSpec {
            type_: shoot.spec.provider.type_.clone(),
            region: shoot.spec.region.clone(),
            secret_ref: SecretReference {
                name: Some("cloudprovider".into()),
                namespace: Some(technical_id.to_string()),
            },
            pools,
            ..Default::default()
        },
        ..Default::default()
    };
    worker.ensure_type_meta();
    worker
}

/// Create the Worker, or update its spec when the shoot's pools changed.
pub async fn ensure_worker(client: &Client, shoot: &Shoot, technical_id: &str) -> anyhow::Result<()> {
    let api: Api<Worker> = Api::namespaced(client.clone(), technical_id);
    let desired = desired_worker(shoot, technical_id);
    match api.get_opt(&shoot.name_any()).await? {
        None => {
            api.create(&PostParams::default(), &desired).await?;
        }
        Some(current) if current.spec != desired.spec => {
            let mut next = current.clone();
            next.spec = desired.spec;
            api.replace(&shoot.name_any(), &PostParams::default(), &next).await?;
        }
        Some(_) => {}
    }
    Ok(())
}

/// Ok once the extension reported the Worker's current generation `Succeeded`; an error naming what is missing
/// otherwise (the flow retries it).
pub async fn wait_worker_ready(client: &Client, technical_id: &str, name: &str) -> anyhow::Result<()> {
    let api: Api<Worker> = Api::namespaced(client.clone(), technical_id);
    let worker = api.get(name).await?;
    let generation = worker.metadata.generation.unwrap_or(0);
    let status = worker.status.unwrap_or_default();
    let state = status.last_operation.as_ref().map(|o| o.state.as_str()).unwrap_or("");
    if state == "Succeeded" && status.observed_generation >= generation {
        return Ok(());
    }
    anyhow::bail!(
        "Worker {technical_id}/{name} is not ready (state {:?}): no provider extension or machine controller on this seed has reconciled it yet",
        if state.is_empty() { "<none>" } else { state }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desired_worker_carries_every_pool() {
        let shoot: Shoot = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "namespace": "garden-dev"},
            "spec": {"region": "local", "kubernetes": {"version": "1.33.2"}, "provider": {"type": "local", "workers": [
                {"name": "a", "minimum": 1, "maximum": 3, "machine": {"type": "m", "image": {"name": "i", "version": "1.0"}}, "zones": ["0"]},
                {"name": "b", "minimum": 0, "maximum": 1, "machine": {"type": "n"}}
            ]}}
        }))
        .unwrap();
        let w = desired_worker(&shoot, "shoot--dev--s");
        assert_eq!(w.metadata.namespace.as_deref(), Some("shoot--dev--s"));
        assert_eq!(w.spec.type_, "local");
        assert_eq!(w.spec.pools.len(), 2);
        assert_eq!(w.spec.pools[0].machine_image, MachineImage { name: "i".into(), version: "1.0".into() });
        assert_eq!((w.spec.pools[0].minimum, w.spec.pools[0].maximum), (1, 3));
        assert_eq!(w.spec.pools[1].kubernetes_version.as_deref(), Some("1.33.2"));
        assert_eq!(w.kind, "Worker");
    }
}
