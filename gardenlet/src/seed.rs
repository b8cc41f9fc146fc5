//! Seed registration and heartbeat (Gardener's `registerSeed` and the seed-lease controller).
//!
//! - [`register`] creates the Seed from `seedConfig` or brings an existing one in line: labels and
//!   annotations are merged (plus `gardener.cloud/role: seed`), the spec is replaced, the status is
//!   kept. Writes nothing when nothing differs.
//! - [`Heartbeat::beat`] renews the Lease `gardener-system-seed-lease/<seed>` and merge-patches
//!   `seeds/<seed>/status`: the `GardenletReady` condition, `gardener`, `observedGeneration` and
//!   `kubernetesVersion`.

use std::collections::BTreeMap;

use component_base::api::is_status;
use garden_api::constants::LABEL_ROLE;
use garden_api::core::v1beta1::{Condition, Gardener, Seed, CONDITION_TRUE};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use tracing::info;

use crate::config::GardenletConfiguration;
use crate::error::Error;

/// Namespace of the seed heartbeat Leases (Gardener's name).
pub const LEASE_NAMESPACE: &str = "gardener-system-seed-lease";
/// Value of `gardener.cloud/role` on Seeds.
pub const ROLE_SEED: &str = "seed";
/// Condition type written by the heartbeat.
pub const GARDENLET_READY: &str = "GardenletReady";
/// Message of the `GardenletReady` condition (Gardener's text).
pub const GARDENLET_READY_MESSAGE: &str = "Gardenlet is posting ready status.";
/// Field manager of the gardenlet's writes.
pub const FIELD_MANAGER: &str = "gardenlet";

/// The Seed as the configuration wants it: `existing` (if any) with merged labels and annotations
/// and the configured spec. `None` when `existing` already matches.
pub fn desired_seed(config: &GardenletConfiguration, existing: Option<&Seed>) -> Option<Seed> {
    let meta = &config.seed_config.metadata;
    let mut seed = existing.cloned().unwrap_or_else(|| Seed {
        api_version: "core.gardener.cloud/v1beta1".into(),
        kind: "Seed".into(),
        metadata: ObjectMeta { name: Some(meta.name.clone()), ..Default::default() },
        ..Default::default()
    });
    let labels = seed.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(LABEL_ROLE.into(), ROLE_SEED.into());
    labels.extend(meta.labels.clone());
    if !meta.annotations.is_empty() {
        seed.metadata.annotations.get_or_insert_with(BTreeMap::new).extend(meta.annotations.clone());
    }
    seed.spec = config.seed_spec();
    match existing {
        Some(old) if old.metadata == seed.metadata && old.spec == seed.spec => None,
        _ => Some(seed),
    }
}

/// Creates or updates the Seed; returns it as stored.
pub async fn register(client: &Client, config: &GardenletConfiguration) -> Result<Seed, Error> {
    let name = config.seed_name();
    let api: Api<Seed> = Api::all(client.clone());
    let err = |source| Error::RegisterSeed { seed: name.to_string(), source };
    let pp = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    // Retry on conflicts (someone else wrote the Seed between our read and our write).
    for _ in 0..5 {
        let existing = api.get_opt(name).await.map_err(err)?;
        let Some(desired) = desired_seed(config, existing.as_ref()) else {
            info!(seed = name, "seed is up to date");
            return Ok(existing.unwrap_or_default());
        };
        let result = match existing {
            None => api.create(&pp, &desired).await,
            Some(_) => api.replace(name, &pp, &desired).await,
        };
        match result {
            Ok(seed) => {
                info!(seed = name, "registered seed");
                return Ok(seed);
            }
            Err(e) if is_status(&e, 409) => continue,
            Err(e) => return Err(err(e)),
        }
    }
    Err(err(kube::Error::Service("too many conflicts registering the seed".into())))
}

/// Creates the Lease namespace unless it exists.
pub async fn ensure_lease_namespace(client: &Client) -> Result<(), Error> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: ObjectMeta { name: Some(LEASE_NAMESPACE.into()), ..Default::default() },
        ..Default::default()
    };
    let pp = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    match api.create(&pp, &ns).await {
        Ok(_) => {
            info!(namespace = LEASE_NAMESPACE, "created lease namespace");
            Ok(())
        }
        Err(e) if is_status(&e, 409) => Ok(()),
        Err(source) => Err(Error::EnsureNamespace { namespace: LEASE_NAMESPACE.into(), source }),
    }
}

/// The next value of a condition: status, reason and message as given, `lastUpdateTime = now`,
/// `lastTransitionTime` kept from `old` unless the status changes (or there is no old one).
pub fn next_condition(
    type_: &str,
    old: Option<&Condition>,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Condition {
    let last_transition_time = match old {
        Some(old) if old.status == status && old.last_transition_time.is_some() => old.last_transition_time.clone(),
        _ => Some(Time(now)),
    };
    Condition {
        type_: type_.into(),
        status: status.into(),
        last_transition_time,
        last_update_time: Some(Time(now)),
        reason: reason.into(),
        message: message.into(),
        codes: Vec::new(),
    }
}

/// Replaces (or appends) the condition of `new.type_` in `conditions`.
pub fn merge_condition(conditions: &[Condition], new: Condition) -> Vec<Condition> {
    let mut out = conditions.to_vec();
    match out.iter_mut().find(|c| c.type_ == new.type_) {
        Some(c) => *c = new,
        None => out.push(new),
    }
    out
}

/// Whether two conditions differ in more than their `lastUpdateTime`.
fn condition_changed(old: Option<&Condition>, new: &Condition) -> bool {
    old.is_none_or(|o| Condition { last_update_time: new.last_update_time.clone(), ..o.clone() } != *new)
}

/// The heartbeat of one seed.
pub struct Heartbeat {
    client: Client,
    seed: String,
    lease_duration_seconds: i32,
    gardener: Gardener,
    /// Renewals since the last status write.
    since_status: u32,
}

/// Status writes happen on change, and at least every this many renewals.
const STATUS_EVERY: u32 = 5;

impl Heartbeat {
    /// A heartbeat for the configured seed.
    pub fn new(client: Client, config: &GardenletConfiguration) -> Self {
        let hostname = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|s| s.trim().to_string()))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "gardenlet".into());
        Self {
            client,
            seed: config.seed_name().to_string(),
            lease_duration_seconds: i32::try_from(config.lease_duration_seconds).unwrap_or(i32::MAX),
            gardener: Gardener {
                id: format!("{hostname}-{}", std::process::id()),
                name: hostname,
                version: env!("CARGO_PKG_VERSION").into(),
            },
            since_status: STATUS_EVERY,
        }
    }

    /// One heartbeat: renew the Lease, then refresh the Seed status if due.
    pub async fn beat(&mut self) -> Result<(), Error> {
        let seeds: Api<Seed> = Api::all(self.client.clone());
        let status_err = |source| Error::UpdateSeedStatus { seed: self.seed.clone(), source };
        let seed = seeds.get(&self.seed).await.map_err(status_err)?;
        self.renew_lease(&seed).await?;

        let now = Timestamp::now();
        let status = seed.status.clone().unwrap_or_default();
        let old = status.conditions.iter().find(|c| c.type_ == GARDENLET_READY);
        let cond = next_condition(GARDENLET_READY, old, CONDITION_TRUE, GARDENLET_READY, GARDENLET_READY_MESSAGE, now);
        let generation = seed.metadata.generation.unwrap_or_default();
        let stale = condition_changed(old, &cond)
            || status.observed_generation != generation
            || status.gardener.as_ref() != Some(&self.gardener)
            || status.kubernetes_version.is_none();
        self.since_status += 1;
        if !stale && self.since_status < STATUS_EVERY {
            return Ok(());
        }
        let version = self.client.apiserver_version().await.map_err(|source| Error::ServerVersion { source })?;
        let patch = json!({
            "status": {
                "conditions": merge_condition(&status.conditions, cond),
                "gardener": self.gardener,
                "observedGeneration": generation,
                "kubernetesVersion": version.git_version,
            }
        });
        let pp = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        seeds.patch_status(&self.seed, &pp, &Patch::Merge(&patch)).await.map_err(status_err)?;
        self.since_status = 0;
        Ok(())
    }

    async fn renew_lease(&self, seed: &Seed) -> Result<(), Error> {
        let leases: Api<Lease> = Api::namespaced(self.client.clone(), LEASE_NAMESPACE);
        let err = |source| Error::RenewLease { namespace: LEASE_NAMESPACE.into(), name: self.seed.clone(), source };
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.seed.clone()),
                namespace: Some(LEASE_NAMESPACE.into()),
                owner_references: Some(vec![OwnerReference {
                    api_version: "core.gardener.cloud/v1beta1".into(),
                    kind: "Seed".into(),
                    name: self.seed.clone(),
                    uid: seed.metadata.uid.clone().unwrap_or_default(),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(self.seed.clone()),
                lease_duration_seconds: Some(self.lease_duration_seconds),
                renew_time: Some(MicroTime(Timestamp::now())),
                ..Default::default()
            }),
        };
        let pp = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        match leases.patch(&self.seed, &pp, &Patch::Merge(&lease)).await {
            Ok(_) => Ok(()),
            Err(e) if is_status(&e, 404) => {
                let post = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
                match leases.create(&post, &lease).await {
                    Ok(_) => Ok(()),
                    // Created concurrently: the next renewal patches it.
                    Err(e) if is_status(&e, 409) => Ok(()),
                    Err(e) => Err(err(e)),
                }
            }
            Err(e) => Err(err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SeedConfig, SeedMetadata};

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn condition_transition_time_moves_only_on_status_change() {
        let first = next_condition(GARDENLET_READY, None, "True", "GardenletReady", "m", ts(10));
        assert_eq!(first.last_transition_time, Some(Time(ts(10))));
        assert_eq!(first.last_update_time, Some(Time(ts(10))));
        assert_eq!((first.status.as_str(), first.reason.as_str()), ("True", "GardenletReady"));

        let same = next_condition(GARDENLET_READY, Some(&first), "True", "GardenletReady", "m2", ts(20));
        assert_eq!(same.last_transition_time, Some(Time(ts(10))));
        assert_eq!(same.last_update_time, Some(Time(ts(20))));
        assert_eq!(same.message, "m2");

        let unknown = Condition { status: "Unknown".into(), ..same.clone() };
        let back = next_condition(GARDENLET_READY, Some(&unknown), "True", "GardenletReady", "m", ts(30));
        assert_eq!(back.last_transition_time, Some(Time(ts(30))));

        let no_time = Condition { last_transition_time: None, ..first.clone() };
        let fixed = next_condition(GARDENLET_READY, Some(&no_time), "True", "r", "m", ts(40));
        assert_eq!(fixed.last_transition_time, Some(Time(ts(40))));
    }

    #[test]
    fn change_detection_ignores_update_time() {
        let a = next_condition(GARDENLET_READY, None, "True", "r", "m", ts(1));
        let b = next_condition(GARDENLET_READY, Some(&a), "True", "r", "m", ts(2));
        assert!(!condition_changed(Some(&a), &b));
        assert!(condition_changed(None, &b));
        let c = next_condition(GARDENLET_READY, Some(&a), "True", "r", "other", ts(2));
        assert!(condition_changed(Some(&a), &c));
    }

    #[test]
    fn merge_condition_replaces_or_appends() {
        let other = Condition { type_: "SeedSystemComponentsHealthy".into(), ..Default::default() };
        let ready = next_condition(GARDENLET_READY, None, "True", "r", "m", ts(1));
        let merged = merge_condition(std::slice::from_ref(&other), ready.clone());
        assert_eq!(merged, vec![other.clone(), ready.clone()]);
        let newer = next_condition(GARDENLET_READY, Some(&ready), "True", "r", "m", ts(2));
        assert_eq!(merge_condition(&merged, newer.clone()), vec![other, newer]);
    }

    fn config() -> GardenletConfiguration {
        let mut spec = garden_api::core::v1beta1::SeedSpec::default();
        spec.provider.type_ = "local".into();
        spec.provider.region = "local".into();
        GardenletConfiguration {
            api_version: None,
            kind: None,
            seed_config: SeedConfig {
                metadata: SeedMetadata {
                    name: "local".into(),
                    labels: [("base".to_string(), "local".to_string())].into(),
                    annotations: BTreeMap::new(),
                },
                spec,
            },
            lease_duration_seconds: 10,
            renew_interval_seconds: 2,
            state_dir: None,
            control_plane_runtime: Default::default(),
            etcd_backup: Default::default(),
            controllers: Default::default(),
        }
    }

    #[test]
    fn desired_seed_creates_updates_and_is_idempotent() {
        let c = config();
        let created = desired_seed(&c, None).unwrap();
        assert_eq!(created.metadata.name.as_deref(), Some("local"));
        assert_eq!(created.kind, "Seed");
        let labels = created.metadata.labels.clone().unwrap();
        assert_eq!(labels.get(LABEL_ROLE).map(String::as_str), Some("seed"));
        assert_eq!(labels.get("base").map(String::as_str), Some("local"));
        assert_eq!(created.spec.provider.region, "local");
        assert!(desired_seed(&c, Some(&created)).is_none());

        // A stored seed with a foreign label, an old spec and a status: spec replaced, rest kept.
        let mut stored = created.clone();
        stored.metadata.labels.as_mut().unwrap().insert("foreign".into(), "x".into());
        stored.spec.provider.region = "elsewhere".into();
        stored.status = Some(garden_api::core::v1beta1::SeedStatus { observed_generation: 3, ..Default::default() });
        let updated = desired_seed(&c, Some(&stored)).unwrap();
        assert_eq!(updated.spec.provider.region, "local");
        assert_eq!(updated.metadata.labels.as_ref().unwrap().get("foreign").map(String::as_str), Some("x"));
        assert_eq!(updated.status, stored.status);
    }

    #[test]
    fn process_seeds_back_up_into_their_state_dir_unless_configured() {
        let mut c = config();
        c.state_dir = Some("/state".into());
        let backup = desired_seed(&c, None).unwrap().spec.backup.expect("embedded default");
        assert_eq!(backup.provider, "local");
        assert_eq!(backup.provider_config, Some(serde_json::json!({"path": "/state/backups"})));
        c.seed_config.spec.backup =
            Some(garden_api::core::v1beta1::Backup { provider: "aws".into(), ..Default::default() });
        assert_eq!(desired_seed(&c, None).unwrap().spec.backup.unwrap().provider, "aws");
    }
}
