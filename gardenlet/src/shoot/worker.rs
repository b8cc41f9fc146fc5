//! The worker side of a shoot in its seed namespace: the `Worker` extension resource (the pools, handed to
//! the provider extension, whose machine controller makes nodes of them), the `Cluster` resource extensions
//! read the shoot's CloudProfile from, the user data of the pools' machines (a kubeconfig for the shoot API
//! with a `<<BOOTSTRAP_TOKEN>>` placeholder the machine controller fills per machine) and the machine
//! controller's own kubeconfig for the shoot. Hibernation keeps the pools with zero machines.

use std::time::Duration;

use garden_api::core::v1beta1::{CloudProfile, SecretBinding, Seed, Shoot};
use garden_api::extensions::v1alpha1::{Cluster, ClusterSpec, MachineImage, Volume, Worker, WorkerPool, WorkerSpec};
use garden_api::security::v1alpha1::CredentialsBinding;
use k8s_openapi::api::core::v1::{Node, Secret, SecretKeySelector, SecretReference};
use k8s_openapi::ByteString;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::runtime::kubernetes::{kubeconfig_cluster, kubeconfig_yaml, KUBECONFIG_KEY};
use crate::shoot::secrets::{sign_client, CertPair, ControlPlaneSecrets};

/// The Secret with the pools' user data (key [`USER_DATA_KEY`]).
pub const USER_DATA_SECRET: &str = "worker-user-data";
/// Key of the user data.
pub const USER_DATA_KEY: &str = "userData";
/// The machine controller's kubeconfig for the shoot (key `kubeconfig`).
pub const MACHINE_CONTROLLER_ACCESS_SECRET: &str = "shoot-access-machine-controller";
/// The identity of the machine controller in the shoot.
const MACHINE_CONTROLLER_USER: &str = "system:machine-controller";
const LEAF_VALIDITY_DAYS: i32 = 365;

/// The Worker the shoot's pools ask for (named after the shoot, like Gardener's); `hibernated` keeps every
/// pool at zero machines; `infrastructure` is the Infrastructure's `providerStatus` (none for `local`).
pub fn desired_worker(
    shoot: &Shoot,
    technical_id: &str,
    hibernated: bool,
    infrastructure: Option<serde_json::Value>,
) -> Worker {
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
            minimum: if hibernated { 0 } else { w.minimum },
            maximum: if hibernated { 0 } else { w.maximum },
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
            user_data_secret_ref: Some(SecretKeySelector {
                name: USER_DATA_SECRET.into(),
                key: USER_DATA_KEY.into(),
                optional: None,
            }),
            machine_controller_manager: None,
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
                name: Some(CLOUD_PROVIDER_SECRET.into()),
                namespace: Some(technical_id.to_string()),
            },
            pools,
            infrastructure_provider_status: infrastructure,
            ..Default::default()
        },
        ..Default::default()
    };
    worker.ensure_type_meta();
    worker
}

/// Create the Worker, or update its spec when the shoot's pools changed.
pub async fn ensure_worker(client: &Client, shoot: &Shoot, technical_id: &str, hibernated: bool) -> anyhow::Result<()> {
    let api: Api<Worker> = Api::namespaced(client.clone(), technical_id);
    let infrastructure = if crate::shoot::infrastructure::needed(shoot) {
        // Ready by now (the Worker waits for it): any error here is retried, never severe.
        let never = jiff::Timestamp::MAX;
        Some(crate::shoot::infrastructure::provider_status(client, technical_id, &shoot.name_any(), never).await?)
    } else {
        None
    };
    let desired = desired_worker(shoot, technical_id, hibernated, infrastructure);
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

/// Ok once the extension reported the Worker's current generation `Succeeded`; a [`crate::flow::Severe`] error
/// when it reported this generation's machines failing with a code waiting does not fix; an error with the
/// Worker's own progress (`2/3 machines Running`) otherwise (the flow retries it).
pub async fn wait_worker_ready(client: &Client, technical_id: &str, name: &str) -> anyhow::Result<()> {
    let api: Api<Worker> = Api::namespaced(client.clone(), technical_id);
    let worker = api.get(name).await?;
    let generation = worker.metadata.generation.unwrap_or(0);
    let status = worker.status.unwrap_or_default();
    let op = status.last_operation.as_ref();
    let state = op.map(|o| o.state.as_str()).unwrap_or("");
    if state == "Succeeded" && status.observed_generation >= generation {
        return Ok(());
    }
    // An error of this generation that waiting does not fix (machines the cloud refuses): the flow stops waiting.
    if let Some(e) = status.last_error.as_ref().filter(|_| state == "Error" && status.observed_generation >= generation)
    {
        if e.codes.iter().any(|c| crate::shoot::infrastructure::SEVERE_CODES.contains(&c.as_str())) {
            let codes = e.codes.join(", ");
            return Err(crate::flow::Severe(format!(
                "Worker {technical_id}/{name} failed [{codes}]: {}",
                e.description
            ))
            .into());
        }
    }
    match op.filter(|o| !o.description.is_empty()) {
        Some(o) => anyhow::bail!("Worker {technical_id}/{name} is not ready: {}", o.description),
        None => anyhow::bail!(
            "Worker {technical_id}/{name} is not ready (state {:?}): no provider extension on this seed has reconciled it yet",
            if state.is_empty() { "<none>" } else { state }
        ),
    }
}

/// Deletes the Worker and waits until the extension let it go (every machine and VM gone).
pub async fn delete_worker(client: &Client, technical_id: &str, name: &str) -> anyhow::Result<()> {
    let api: Api<Worker> = Api::namespaced(client.clone(), technical_id);
    component_base::api::delete_if_exists(&api, name).await?;
    match api.get_opt(name).await? {
        None => Ok(()),
        Some(w) => {
            let progress = w.status.and_then(|s| s.last_operation).map(|o| o.description).unwrap_or_default();
            anyhow::bail!("Worker {technical_id}/{name} is still being deleted: {progress}")
        }
    }
}

/// Writes the `Cluster` resource of the shoot (its CloudProfile, Seed and the Shoot itself).
pub async fn ensure_cluster(client: &Client, shoot: &Shoot, technical_id: &str, seed: &str) -> anyhow::Result<()> {
    let profile_ref = shoot.cloud_profile_ref().ok_or_else(|| anyhow::anyhow!("the shoot names no CloudProfile"))?;
    let profile = Api::<CloudProfile>::all(client.clone()).get(&profile_ref.name).await?;
    let seed = Api::<Seed>::all(client.clone()).get(seed).await?;
    let api: Api<Cluster> = Api::all(client.clone());
    let mut cluster = Cluster {
        metadata: kube::api::ObjectMeta { name: Some(technical_id.to_string()), ..Default::default() },
        spec: ClusterSpec {
            cloud_profile: serde_json::to_value(&profile)?,
            seed: serde_json::to_value(&seed)?,
            shoot: serde_json::to_value(shoot)?,
        },
        ..Default::default()
    };
    cluster.ensure_type_meta();
    match api.get_opt(technical_id).await? {
        None => match api.create(&PostParams::default(), &cluster).await {
            Ok(_) => Ok(()),
            Err(e) if component_base::api::is_status(&e, 409) => Ok(()),
            Err(e) => Err(e.into()),
        },
        Some(current)
            if current.spec.cloud_profile != cluster.spec.cloud_profile || current.spec.shoot != cluster.spec.shoot =>
        {
            let patch = json!({"spec": cluster.spec});
            api.patch(technical_id, &PatchParams::default(), &Patch::Merge(&patch)).await?;
            Ok(())
        }
        Some(_) => Ok(()),
    }
}

/// The Secret in the seed namespace with the shoot's cloud credentials (Gardener's name).
pub const CLOUD_PROVIDER_SECRET: &str = "cloudprovider";

/// Copies the credentials the shoot's CredentialsBinding (or SecretBinding) names into the seed namespace as
/// [`CLOUD_PROVIDER_SECRET`], where the provider extension and the machine controller read them.
pub async fn ensure_cloud_provider_secret(client: &Client, shoot: &Shoot, technical_id: &str) -> anyhow::Result<()> {
    let ns = shoot.namespace().unwrap_or_default();
    let (secret_ns, secret_name) = if let Some(b) = &shoot.spec.credentials_binding_name {
        let binding = Api::<CredentialsBinding>::namespaced(client.clone(), &ns).get(b).await?;
        let r = binding.credentials_ref;
        (r.namespace.unwrap_or_else(|| ns.clone()), r.name.unwrap_or_default())
    } else if let Some(b) = &shoot.spec.secret_binding_name {
        let binding = Api::<SecretBinding>::namespaced(client.clone(), &ns).get(b).await?;
        let r = binding.secret_ref;
        (r.namespace.unwrap_or_else(|| ns.clone()), r.name.unwrap_or_default())
    } else {
        // A shoot without credentials (workerless): an empty secret keeps the references valid.
        (String::new(), String::new())
    };
    let data = if secret_name.is_empty() {
        Default::default()
    } else {
        Api::<Secret>::namespaced(client.clone(), &secret_ns).get(&secret_name).await?.data.unwrap_or_default()
    };
    let api: Api<Secret> = Api::namespaced(client.clone(), technical_id);
    if api.get_opt(CLOUD_PROVIDER_SECRET).await?.is_some_and(|s| s.data.unwrap_or_default() == data) {
        return Ok(());
    }
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(CLOUD_PROVIDER_SECRET.into()),
            labels: Some(managed_by()),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(data),
        ..Default::default()
    };
    match api.get_opt(CLOUD_PROVIDER_SECRET).await? {
        None => api.create(&PostParams::default(), &secret).await.map(|_| ())?,
        Some(_) => api.replace(CLOUD_PROVIDER_SECRET, &PostParams::default(), &secret).await.map(|_| ())?,
    }
    Ok(())
}

/// Deletes the shoot's `Cluster` resource.
pub async fn delete_cluster(client: &Client, technical_id: &str) -> anyhow::Result<()> {
    component_base::api::delete_if_exists(&Api::<Cluster>::all(client.clone()), technical_id).await?;
    Ok(())
}

/// Writes the machine controller's kubeconfig for the shoot and the pools' user data, both for the API
/// server at `url` (rewritten only when the address or CA changed, so the machine controller keeps its
/// connection across reconciles).
pub async fn ensure_node_access(
    client: &Client,
    technical_id: &str,
    secrets: &ControlPlaneSecrets,
    url: &str,
    shoot: &Shoot,
) -> anyhow::Result<()> {
    anyhow::ensure!(!url.is_empty(), "the shoot API server has no address yet");
    let api: Api<Secret> = Api::namespaced(client.clone(), technical_id);
    let current = |s: Option<Secret>, key: &str| {
        s.and_then(|s| s.data).and_then(|d| d.get(key).and_then(|v| String::from_utf8(v.0.clone()).ok()))
    };
    let up_to_date = |kc: &Option<String>| {
        kc.as_deref().and_then(kubeconfig_cluster).is_some_and(|(server, ca)| server == url && ca == secrets.ca_cert)
    };
    let access = current(api.get_opt(MACHINE_CONTROLLER_ACCESS_SECRET).await?, KUBECONFIG_KEY);
    if !up_to_date(&access) {
        let ca = CertPair { cert: secrets.client_ca_cert.clone(), key: secrets.client_ca_key.clone() };
        let cert = sign_client(&ca, MACHINE_CONTROLLER_USER, &["system:masters".to_string()], LEAF_VALIDITY_DAYS)?;
        let kubeconfig = kubeconfig_yaml(url, &secrets.ca_cert, &cert);
        put_secret(&api, MACHINE_CONTROLLER_ACCESS_SECRET, KUBECONFIG_KEY, &kubeconfig).await?;
    }
    let user_data = crate::shoot::user_data::user_data(
        &shoot.spec.provider.type_,
        url,
        &secrets.ca_cert,
        &shoot.spec.kubernetes.version,
    );
    if current(api.get_opt(USER_DATA_SECRET).await?, USER_DATA_KEY).as_deref() != Some(user_data.as_str()) {
        put_secret(&api, USER_DATA_SECRET, USER_DATA_KEY, &user_data).await?;
    }
    Ok(())
}

/// The label of the Secrets the gardenlet keeps (its shoot controller watches them to re-create deleted ones).
fn managed_by() -> std::collections::BTreeMap<String, String> {
    let (k, v) = crate::shoot::secrets::MANAGED_BY_LABEL;
    [(k.to_string(), v.to_string())].into()
}

/// Names of the Secrets the worker side keeps in the seed namespace of a shoot with worker pools.
pub const WORKER_SECRETS: [&str; 3] = [CLOUD_PROVIDER_SECRET, MACHINE_CONTROLLER_ACCESS_SECRET, USER_DATA_SECRET];

async fn put_secret(api: &Api<Secret>, name: &str, key: &str, value: &str) -> anyhow::Result<()> {
    let secret = Secret {
        metadata: kube::api::ObjectMeta { name: Some(name.into()), labels: Some(managed_by()), ..Default::default() },
        type_: Some("Opaque".into()),
        data: Some([(key.to_string(), ByteString(value.as_bytes().to_vec()))].into()),
        ..Default::default()
    };
    match api.get_opt(name).await? {
        None => {
            api.create(&PostParams::default(), &secret).await?;
        }
        Some(_) => {
            api.replace(name, &PostParams::default(), &secret).await?;
        }
    }
    Ok(())
}

/// Ready and all Nodes of the shoot, seen through the machine controller's kubeconfig; None while the shoot
/// cannot be asked.
pub async fn node_readiness(client: &Client, technical_id: &str) -> Option<(usize, usize)> {
    let api: Api<Secret> = Api::namespaced(client.clone(), technical_id);
    let secret = api.get_opt(MACHINE_CONTROLLER_ACCESS_SECRET).await.ok()??;
    let yaml = String::from_utf8(secret.data?.get(KUBECONFIG_KEY)?.0.clone()).ok()?;
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).ok()?;
    let mut config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.ok()?;
    config.connect_timeout = Some(Duration::from_secs(3));
    config.read_timeout = Some(Duration::from_secs(5));
    let shoot = component_base::client_from_config(config).ok()?;
    let nodes = Api::<Node>::all(shoot).list(&Default::default()).await.ok()?;
    let ready = nodes
        .items
        .iter()
        .filter(|n| {
            n.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .count();
    Some((ready, nodes.items.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shoot() -> Shoot {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "namespace": "garden-dev"},
            "spec": {"region": "local", "kubernetes": {"version": "1.33.2"}, "provider": {"type": "local", "workers": [
                {"name": "a", "minimum": 1, "maximum": 3, "machine": {"type": "m", "image": {"name": "i", "version": "1.0"}}, "zones": ["0"]},
                {"name": "b", "minimum": 0, "maximum": 1, "machine": {"type": "n"}}
            ]}}
        }))
        .unwrap()
    }

    #[test]
    fn desired_worker_carries_every_pool() {
        let w = desired_worker(&shoot(), "shoot--dev--s", false, None);
        assert_eq!(w.metadata.namespace.as_deref(), Some("shoot--dev--s"));
        assert_eq!(w.spec.type_, "local");
        assert_eq!(w.spec.pools.len(), 2);
        assert_eq!(w.spec.pools[0].machine_image, MachineImage { name: "i".into(), version: "1.0".into() });
        assert_eq!((w.spec.pools[0].minimum, w.spec.pools[0].maximum), (1, 3));
        assert_eq!(w.spec.pools[1].kubernetes_version.as_deref(), Some("1.33.2"));
        assert_eq!(w.spec.pools[0].user_data_secret_ref.as_ref().map(|r| r.name.as_str()), Some(USER_DATA_SECRET));
        assert_eq!(w.kind, "Worker");
    }

    #[test]
    fn hibernation_keeps_pools_at_zero() {
        let w = desired_worker(&shoot(), "shoot--dev--s", true, None);
        assert!(w.spec.pools.iter().all(|p| p.minimum == 0 && p.maximum == 0));
    }
}
