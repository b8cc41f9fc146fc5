//! The machine controller: MCM's MachineDeployment -> MachineSet -> Machine semantics for every shoot of a
//! seed in one process. It reads and writes machine objects in the seed API, reaches each shoot's API through
//! the kubeconfig Secret in the shoot's seed namespace, and knows VMs only through the
//! [`machine_driver::Driver`] trait.
//!
//! - [`deployment`]: rollouts (RollingUpdate, Recreate), rollback, pause, scaling, status.
//! - [`machineset`]: keeps a set's machine count, replaces Failed machines, deletes in MCM's order.
//! - [`machine`]: one machine's lifecycle (create through the driver, Pending -> Running -> Unknown ->
//!   Failed from its Node, drain and delete), meltdown protection.
//! - [`safety`]: orphan VM collection.
#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod config;
pub mod deployment;
pub mod health;
pub mod machine;
pub mod machineset;
pub mod metrics;
pub mod order;
pub mod rollout;
pub mod safety;
pub mod shoots;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use garden_api::machine::v1alpha1::MachineClass;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, Resource, ResourceExt};
use machine_driver::Driver;
use serde_json::json;

use crate::config::{Periods, Timeouts};
use crate::metrics::Metrics;
use crate::shoots::ShootConnections;

/// The finalizer the controller keeps on every object it must clean up after.
pub const FINALIZER: &str = "machine.sapcloud.io/machine-controller";
/// The component name in Events.
pub const COMPONENT: &str = "machine-controller";

/// A reconcile failure (the object is retried).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API call to the seed or a shoot failed.
    #[error("API call failed: {0}")]
    Kube(#[from] kube::Error),
    /// Anything else, with its explanation.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// A write lost a race with another writer (HTTP 409): retried at once, not worth a warning.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Kube(e) if component_base::api::is_status(e, 409))
    }
}

/// What every controller of the process shares.
pub struct Ctx {
    pub seed: Client,
    pub driver: Arc<dyn Driver>,
    pub timeouts: Timeouts,
    pub periods: Periods,
    pub shoots: ShootConnections,
    pub metrics: Arc<Metrics>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Class secrets read in the last [`SECRET_CACHE_TTL`], by (namespace, class): a scale-up of many machines
    /// reads them once, not once per machine.
    secrets: Mutex<HashMap<(String, String), (std::time::Instant, SecretData)>>,
    /// MachineClasses read in the last [`SECRET_CACHE_TTL`] (an edited class reaches new machines at most that
    /// late; provider-local names a changed pool's class anew anyway).
    classes: Mutex<HashMap<(String, String), (std::time::Instant, MachineClass)>>,
    /// Machines this process recorded a VM for in the last seconds: a reconcile that still sees such a machine
    /// without its provider ID (the watch lags behind the write) waits for the watch instead of asking the
    /// driver again. Lost on a restart, when the driver is asked as usual.
    pub recently_created: Mutex<HashMap<(String, String), std::time::Instant>>,
    /// The MachineClass `provider` this process's driver serves (`local`, `AWS`); machine objects of classes of
    /// another provider are left to that provider's controller (seeds whose API several providers share). None:
    /// every class.
    pub class_provider: Option<String>,
}

type SecretData = BTreeMap<String, Vec<u8>>;

/// How long a class and its secret data are reused.
const SECRET_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl Ctx {
    pub fn new(
        seed: Client,
        driver: Arc<dyn Driver>,
        timeouts: Timeouts,
        periods: Periods,
        shoots: ShootConnections,
        metrics: Arc<Metrics>,
    ) -> Self {
        Ctx {
            seed,
            driver,
            timeouts,
            periods,
            shoots,
            metrics,
            locks: Mutex::new(HashMap::new()),
            secrets: Mutex::new(HashMap::new()),
            classes: Mutex::new(HashMap::new()),
            recently_created: Mutex::new(HashMap::new()),
            class_provider: None,
        }
    }

    /// Whether machine objects of class `name` in `namespace` are this process's: a class of another provider
    /// is not (a missing class or one naming no provider is).
    pub async fn handles(&self, namespace: &str, name: &str) -> Result<bool, Error> {
        if self.class_provider.is_none() {
            return Ok(true);
        }
        Ok(self.class(namespace, name).await?.is_none_or(|c| self.serves(&c)))
    }

    /// Whether `class` is of this process's provider (or names none).
    pub fn serves(&self, class: &MachineClass) -> bool {
        match (&self.class_provider, class.provider.as_deref().filter(|p| !p.is_empty())) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        }
    }

    /// Serializes the decisions that count machines across objects of one namespace (set sizes, meltdown
    /// budgets), so two reconciles never both act on the same count.
    pub async fn lock_namespace(&self, namespace: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock =
            self.locks.lock().unwrap_or_else(|e| e.into_inner()).entry(namespace.to_string()).or_default().clone();
        lock.lock_owned().await
    }

    /// The MachineClass `name` of `namespace`; one read in the last [`SECRET_CACHE_TTL`] serves every machine of
    /// a scale-up.
    pub async fn class(&self, namespace: &str, name: &str) -> Result<Option<MachineClass>, Error> {
        let key = (namespace.to_string(), name.to_string());
        {
            let mut cache = self.classes.lock().unwrap_or_else(|e| e.into_inner());
            cache.retain(|_, (at, _)| at.elapsed() < SECRET_CACHE_TTL);
            if let Some((_, class)) = cache.get(&key) {
                return Ok(Some(class.clone()));
            }
        }
        let api: Api<MachineClass> = Api::namespaced(self.seed.clone(), namespace);
        let class = api.get_opt(name).await?;
        if let Some(c) = &class {
            let now = std::time::Instant::now();
            self.classes.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (now, c.clone()));
        }
        Ok(class)
    }

    /// The data of a class's secrets: `secretRef` (user data) and `credentialsSecretRef` (cloud
    /// credentials), the latter winning on equal keys.
    pub async fn class_secret(&self, class: &MachineClass) -> Result<BTreeMap<String, Vec<u8>>, Error> {
        let default_ns = class.namespace().unwrap_or_default();
        let key = (default_ns.clone(), class.name_any());
        {
            let mut cache = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
            cache.retain(|_, (at, _)| at.elapsed() < SECRET_CACHE_TTL);
            if let Some((_, data)) = cache.get(&key) {
                return Ok(data.clone());
            }
        }
        let mut out = BTreeMap::new();
        for r in [&class.secret_ref, &class.credentials_secret_ref].into_iter().flatten() {
            let ns = r.namespace.clone().unwrap_or_else(|| default_ns.clone());
            let name = r.name.clone().unwrap_or_default();
            let api: Api<Secret> = Api::namespaced(self.seed.clone(), &ns);
            let secret = api.get_opt(&name).await?.ok_or_else(|| {
                Error::Other(format!("secret {ns}/{name} of machine class {} does not exist", class.name_any()))
            })?;
            for (k, v) in secret.data.unwrap_or_default() {
                out.insert(k, v.0);
            }
        }
        let now = std::time::Instant::now();
        self.secrets.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (now, out.clone()));
        Ok(out)
    }
}

/// Now, as an API timestamp.
pub fn now() -> Time {
    Time(jiff::Timestamp::now())
}

/// Whether `obj` carries [`FINALIZER`].
pub fn has_finalizer<K: Resource>(obj: &K) -> bool {
    obj.meta().finalizers.as_ref().is_some_and(|f| f.iter().any(|x| x == FINALIZER))
}

/// Adds [`FINALIZER`] (a JSON patch guarded by the resourceVersion, so a concurrent change is not lost).
pub async fn add_finalizer<K>(api: &Api<K>, obj: &K) -> Result<(), kube::Error>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut finalizers = obj.meta().finalizers.clone().unwrap_or_default();
    finalizers.push(FINALIZER.to_string());
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": obj.resource_version()}});
    api.patch(&obj.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(|_| ())
}

/// Removes [`FINALIZER`]; an object already gone is fine.
pub async fn remove_finalizer<K>(api: &Api<K>, obj: &K) -> Result<(), kube::Error>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let finalizers: Vec<String> =
        obj.meta().finalizers.clone().unwrap_or_default().into_iter().filter(|f| f != FINALIZER).collect();
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": obj.resource_version()}});
    match api.patch(&obj.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
        Ok(_) => Ok(()),
        Err(e) if component_base::api::is_status(&e, 404) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The controller owner reference pointing at `owner`.
pub fn controller_ref<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    OwnerReference {
        api_version: K::api_version(&()).into_owned(),
        kind: K::kind(&()).into_owned(),
        name: owner.name_any(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Whether `obj`'s controller is the object with `uid`.
pub fn controlled_by<K: Resource>(obj: &K, uid: &str) -> bool {
    obj.meta()
        .owner_references
        .as_ref()
        .is_some_and(|refs| refs.iter().any(|r| r.controller == Some(true) && r.uid == uid))
}

/// The name of `obj`'s controller of kind `kind`.
pub fn controller_name<K: Resource>(obj: &K, kind: &str) -> Option<String> {
    obj.meta()
        .owner_references
        .as_ref()?
        .iter()
        .find(|r| r.controller == Some(true) && r.kind == kind)
        .map(|r| r.name.clone())
}

/// Records an Event about `obj` (best effort).
pub async fn event<K>(ctx: &Ctx, obj: &K, type_: &str, reason: &str, message: &str)
where
    K: Resource<DynamicType = ()>,
{
    let record = component_base::events::EventRecord { type_, reason, action: reason, message, component: COMPONENT };
    component_base::events::record(&ctx.seed, obj, &obj.namespace().unwrap_or_default(), record).await;
}
