//! The seed lifecycle controller (Gardener's `seed/lifecycle` reconciler): watches the gardenlet
//! heartbeats. Gardenlets renew the Lease `gardener-system-seed-lease/<seed>` and keep the Seed
//! condition `GardenletReady` True. Every monitor period this controller lists all Seeds and their
//! Leases; for a Seed whose Lease is missing or was not renewed within the seed grace period it
//! sets `GardenletReady` to `Unknown`. Once that condition has been `Unknown` for the shoot
//! monitor grace period, the health conditions of every Shoot on the seed become `Unknown` too:
//! nobody checks them any more.
//!
//! Seeds without any status condition are skipped (the gardenlet has not reported yet; Gardener
//! waits as well). All writes are merge patches on the `status` subresource carrying
//! `metadata.resourceVersion`, so a concurrent heartbeat wins; the next period retries.
//!
//! The decisions are pure functions ([`lease_expired`], [`seed_conditions`], [`shoots_due`],
//! [`shoot_conditions`]); [`run`] lists, decides and patches.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use garden_api::core::v1beta1::{Condition, Seed, Shoot, CONDITION_UNKNOWN};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::error::Error;

/// Namespace of the seed heartbeat Leases (Gardener's name; written by the gardenlet).
pub const LEASE_NAMESPACE: &str = "gardener-system-seed-lease";
/// Seed condition kept True by the gardenlet heartbeat.
pub const GARDENLET_READY: &str = "GardenletReady";
/// Reason of `GardenletReady` once the heartbeat stopped.
pub const SEED_REASON: &str = "SeedStatusUnknown";
/// Message of `GardenletReady` once the heartbeat stopped.
pub const SEED_MESSAGE: &str = "Gardenlet stopped posting seed status.";
/// Reason of the shoot conditions set to `Unknown`.
pub const SHOOT_REASON: &str = "StatusUnknown";
/// Message of the shoot conditions set to `Unknown`.
pub const SHOOT_MESSAGE: &str = "Gardenlet stopped sending heartbeats.";
/// The Shoot health conditions maintained by the gardenlet.
pub const SHOOT_CONDITIONS: [&str; 5] = [
    "APIServerAvailable",
    "ControlPlaneHealthy",
    "ObservabilityComponentsHealthy",
    "EveryNodeReady",
    "SystemComponentsHealthy",
];
/// Field manager of the status patches.
const FIELD_MANAGER: &str = "gardener-controller-manager-seed-lifecycle";

/// Timing of the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// How often all Seeds are checked.
    pub monitor_period: Duration,
    /// How long after its last renewal a Lease counts as expired.
    pub seed_grace_period: Duration,
    /// How long `GardenletReady` must have been `Unknown` before the shoots are marked.
    pub shoot_grace_period: Duration,
}

/// Parses a duration flag: a number with unit `ms`, `s`, `m` or `h` (e.g. `2s`, `500ms`, `1m`),
/// or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("invalid duration {s:?}: expected e.g. 2s, 500ms, 1m"))?;
    let ms = match unit {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(format!("invalid duration {s:?}: unit must be ms, s, m or h")),
    };
    ms.map(Duration::from_millis).ok_or_else(|| format!("duration {s:?} too large"))
}

/// Whether `since + period` is not after `now` (i.e. the period has fully passed).
fn elapsed(since: Timestamp, period: Duration, now: Timestamp) -> bool {
    let passed = i128::from(now.as_millisecond()) - i128::from(since.as_millisecond());
    passed >= i128::try_from(period.as_millis()).unwrap_or(i128::MAX)
}

/// Whether the gardenlet heartbeat is overdue: no Lease, no `renewTime`, or `renewTime + grace`
/// is not in the future.
pub fn lease_expired(lease: Option<&Lease>, grace: Duration, now: Timestamp) -> bool {
    match lease.and_then(|l| l.spec.as_ref()).and_then(|s| s.renew_time.as_ref()) {
        Some(renew) => elapsed(renew.0, grace, now),
        None => true,
    }
}

/// The condition `type_` set to `Unknown` with `reason` and `message`; `lastTransitionTime` is kept
/// from `old` unless its status differs (or it has none), `lastUpdateTime = now`.
fn unknown_condition(type_: &str, old: Option<&Condition>, reason: &str, message: &str, now: Timestamp) -> Condition {
    let last_transition_time = match old {
        Some(o) if o.status == CONDITION_UNKNOWN && o.last_transition_time.is_some() => o.last_transition_time.clone(),
        _ => Some(Time(now)),
    };
    Condition {
        type_: type_.into(),
        status: CONDITION_UNKNOWN.into(),
        last_transition_time,
        last_update_time: Some(Time(now)),
        reason: reason.into(),
        message: message.into(),
        codes: old.map(|o| o.codes.clone()).unwrap_or_default(),
    }
}

/// The Seed conditions after the heartbeat stopped, or `None` if `GardenletReady` already says so
/// (Unknown, with our reason and message). Other conditions are kept in place.
pub fn seed_conditions(conditions: &[Condition], now: Timestamp) -> Option<Vec<Condition>> {
    let old = conditions.iter().find(|c| c.type_ == GARDENLET_READY);
    if old.is_some_and(|o| {
        o.status == CONDITION_UNKNOWN
            && o.reason == SEED_REASON
            && o.message == SEED_MESSAGE
            && o.last_transition_time.is_some()
    }) {
        return None;
    }
    let new = unknown_condition(GARDENLET_READY, old, SEED_REASON, SEED_MESSAGE, now);
    let mut out = conditions.to_vec();
    match out.iter_mut().find(|c| c.type_ == GARDENLET_READY) {
        Some(c) => *c = new,
        None => out.push(new),
    }
    Some(out)
}

/// Whether the shoots of a seed are to be marked: its `GardenletReady` condition has been
/// `Unknown` since at least `grace` ago.
pub fn shoots_due(conditions: &[Condition], grace: Duration, now: Timestamp) -> bool {
    conditions
        .iter()
        .find(|c| c.type_ == GARDENLET_READY && c.status == CONDITION_UNKNOWN)
        .and_then(|c| c.last_transition_time.as_ref())
        .is_some_and(|since| elapsed(since.0, grace, now))
}

/// The Shoot conditions with the health conditions set to `Unknown`, or `None` if nothing changes.
/// Only the health conditions the shoot has are touched (all five are added if it has none of
/// them); ones already `Unknown` are left as they are; other conditions are kept.
pub fn shoot_conditions(conditions: &[Condition], now: Timestamp) -> Option<Vec<Condition>> {
    let has_any = conditions.iter().any(|c| SHOOT_CONDITIONS.contains(&c.type_.as_str()));
    let mut changed = false;
    let mut out: Vec<Condition> = conditions
        .iter()
        .map(|c| {
            if SHOOT_CONDITIONS.contains(&c.type_.as_str()) && c.status != CONDITION_UNKNOWN {
                changed = true;
                unknown_condition(&c.type_, Some(c), SHOOT_REASON, SHOOT_MESSAGE, now)
            } else {
                c.clone()
            }
        })
        .collect();
    if !has_any {
        changed = true;
        out.extend(SHOOT_CONDITIONS.iter().map(|t| unknown_condition(t, None, SHOOT_REASON, SHOOT_MESSAGE, now)));
    }
    changed.then_some(out)
}

/// The seed a shoot runs on: `status.seedName`, else `spec.seedName`.
pub fn shoot_seed(shoot: &Shoot) -> Option<&str> {
    shoot
        .status
        .as_ref()
        .and_then(|s| s.seed_name.as_deref())
        .filter(|s| !s.is_empty())
        .or_else(|| shoot.spec.seed_name.as_deref().filter(|s| !s.is_empty()))
}

/// A status merge patch replacing `conditions`, guarded by the object's resourceVersion.
fn conditions_patch(resource_version: Option<&String>, conditions: &[Condition]) -> serde_json::Value {
    json!({
        "metadata": {"resourceVersion": resource_version},
        "status": {"conditions": conditions},
    })
}

fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 409)
}

/// One pass over all Seeds. Returns the first error after trying every seed.
pub async fn check(client: &Client, config: &Config) -> Result<(), Error> {
    let seeds_api: Api<Seed> = Api::all(client.clone());
    let seeds = seeds_api.list(&ListParams::default()).await.map_err(|source| Error::ListSeeds { source })?;
    let leases_api: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let leases: HashMap<String, Lease> = match leases_api.list(&ListParams::default()).await {
        Ok(list) => list.items.into_iter().map(|l| (l.name_any(), l)).collect(),
        // No lease namespace yet: no gardenlet ever registered.
        Err(kube::Error::Api(s)) if s.code == 404 => HashMap::new(),
        Err(source) => return Err(Error::ListLeases { namespace: LEASE_NAMESPACE.into(), source }),
    };
    let pp = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    let mut first_err = None;
    let mut offline = Vec::new();
    for seed in &seeds.items {
        let name = seed.name_any();
        let conditions = seed.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
        let now = Timestamp::now();
        if conditions.is_empty() || !lease_expired(leases.get(&name), config.seed_grace_period, now) {
            continue;
        }
        let conditions = match seed_conditions(conditions, now) {
            Some(new) => {
                info!(seed = %name, "gardenlet stopped renewing its lease, setting GardenletReady to Unknown");
                let patch = conditions_patch(seed.metadata.resource_version.as_ref(), &new);
                match seeds_api.patch_status(&name, &pp, &Patch::Merge(&patch)).await {
                    Ok(_) => {}
                    Err(e) if is_conflict(&e) => {
                        debug!(seed = %name, "seed changed concurrently, retrying next period");
                        continue;
                    }
                    Err(source) => {
                        first_err.get_or_insert(Error::PatchSeedStatus { seed: name, source });
                        continue;
                    }
                }
                new
            }
            None => conditions.to_vec(),
        };
        if shoots_due(&conditions, config.shoot_grace_period, now) {
            offline.push(name);
        }
    }
    if !offline.is_empty() {
        if let Err(err) = mark_shoots(client, &offline, &pp).await {
            first_err.get_or_insert(err);
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Sets the health conditions of all shoots on the `offline` seeds to `Unknown`.
async fn mark_shoots(client: &Client, offline: &[String], pp: &PatchParams) -> Result<(), Error> {
    let all: Api<Shoot> = Api::all(client.clone());
    let shoots = all.list(&ListParams::default()).await.map_err(|source| Error::ListAllShoots { source })?;
    let mut first_err = None;
    for shoot in &shoots.items {
        if !shoot_seed(shoot).is_some_and(|s| offline.iter().any(|o| o == s)) {
            continue;
        }
        let conditions = shoot.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
        let Some(new) = shoot_conditions(conditions, Timestamp::now()) else {
            continue;
        };
        let ns = shoot.namespace().unwrap_or_default();
        let name = shoot.name_any();
        info!(shoot = %format!("{ns}/{name}"), seed = ?shoot_seed(shoot), "setting shoot conditions to Unknown");
        let api: Api<Shoot> = Api::namespaced(client.clone(), &ns);
        let patch = conditions_patch(shoot.metadata.resource_version.as_ref(), &new);
        match api.patch_status(&name, pp, &Patch::Merge(&patch)).await {
            Ok(_) => {}
            Err(e) if is_conflict(&e) => debug!(shoot = %format!("{ns}/{name}"), "shoot changed concurrently"),
            Err(source) => {
                first_err.get_or_insert(Error::PatchShootStatus { shoot: format!("{ns}/{name}"), source });
            }
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Runs the controller until `shutdown` completes.
pub async fn run(client: Client, config: Config, shutdown: impl Future<Output = ()> + Send) {
    info!(?config, "starting seed lifecycle controller");
    // `interval` panics on a zero period.
    let mut tick = tokio::time::interval(config.monitor_period.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {
                if let Err(err) = check(&client, &config).await {
                    warn!(error = %err, "seed lifecycle check failed");
                }
            }
        }
    }
    info!("seed lifecycle controller stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use garden_api::core::v1beta1::{ShootStatus, CONDITION_TRUE};
    use k8s_openapi::api::coordination::v1::LeaseSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    fn cond(type_: &str, status: &str, at: i64) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            last_transition_time: Some(Time(ts(at))),
            last_update_time: Some(Time(ts(at))),
            reason: "R".into(),
            message: "M".into(),
            codes: Vec::new(),
        }
    }

    fn lease(renew: Option<i64>) -> Lease {
        Lease {
            spec: Some(LeaseSpec {
                renew_time: renew.map(|s| MicroTime(ts(s))),
                lease_duration_seconds: Some(10),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        for bad in ["", "s", "2x", "-1s", "1.5s", "99999999999999999999s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lease_expiry() {
        let grace = Duration::from_secs(10);
        assert!(lease_expired(None, grace, ts(0)));
        assert!(lease_expired(Some(&lease(None)), grace, ts(0)));
        assert!(lease_expired(Some(&Lease::default()), grace, ts(0)));
        assert!(!lease_expired(Some(&lease(Some(0))), grace, ts(9)));
        assert!(lease_expired(Some(&lease(Some(0))), grace, ts(10)));
        assert!(lease_expired(Some(&lease(Some(0))), grace, ts(60)));
        // A renewal in the future (clock skew) is fresh.
        assert!(!lease_expired(Some(&lease(Some(30))), grace, ts(0)));
    }

    #[test]
    fn seed_condition_goes_unknown_once() {
        let other = cond("SeedSystemComponentsHealthy", CONDITION_TRUE, 0);
        let ready = cond(GARDENLET_READY, CONDITION_TRUE, 0);
        let new = seed_conditions(&[other.clone(), ready], ts(20)).unwrap();
        assert_eq!(new.len(), 2);
        assert_eq!(new[0], other);
        let g = &new[1];
        assert_eq!(
            (g.type_.as_str(), g.status.as_str(), g.reason.as_str(), g.message.as_str()),
            (GARDENLET_READY, "Unknown", SEED_REASON, SEED_MESSAGE)
        );
        assert_eq!(g.last_transition_time, Some(Time(ts(20))));
        assert_eq!(g.last_update_time, Some(Time(ts(20))));
        // Already Unknown with our reason: no rewrite.
        assert_eq!(seed_conditions(&new, ts(30)), None);
        // Unknown for another reason: reason/message updated, transition time kept.
        let foreign = cond(GARDENLET_READY, CONDITION_UNKNOWN, 5);
        let fixed = seed_conditions(&[foreign], ts(30)).unwrap();
        assert_eq!(fixed[0].last_transition_time, Some(Time(ts(5))));
        assert_eq!(fixed[0].reason, SEED_REASON);
        // Missing condition is appended.
        let appended = seed_conditions(std::slice::from_ref(&other), ts(40)).unwrap();
        assert_eq!(appended.len(), 2);
        assert_eq!(appended[1].type_, GARDENLET_READY);
    }

    #[test]
    fn shoots_due_after_grace_of_unknown() {
        let grace = Duration::from_secs(20);
        assert!(!shoots_due(&[], grace, ts(100)));
        assert!(!shoots_due(&[cond(GARDENLET_READY, CONDITION_TRUE, 0)], grace, ts(100)));
        let unknown = [cond(GARDENLET_READY, CONDITION_UNKNOWN, 0)];
        assert!(!shoots_due(&unknown, grace, ts(19)));
        assert!(shoots_due(&unknown, grace, ts(20)));
    }

    #[test]
    fn shoot_conditions_only_existing_or_all() {
        // None of the five: all five appended, others kept.
        let other = cond("Foo", CONDITION_TRUE, 0);
        let all = shoot_conditions(std::slice::from_ref(&other), ts(10)).unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(all[0], other);
        let types: Vec<&str> = all[1..].iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, SHOOT_CONDITIONS);
        assert!(all[1..].iter().all(|c| c.status == "Unknown"
            && c.reason == SHOOT_REASON
            && c.message == SHOOT_MESSAGE
            && c.last_transition_time == Some(Time(ts(10)))));
        assert_eq!(shoot_conditions(&[], ts(10)).map(|c| c.len()), Some(5));

        // Only the present ones; already-Unknown ones untouched.
        let api = cond("APIServerAvailable", CONDITION_TRUE, 0);
        let nodes = cond("EveryNodeReady", CONDITION_UNKNOWN, 3);
        let new = shoot_conditions(&[api, nodes.clone(), other.clone()], ts(10)).unwrap();
        assert_eq!(new.len(), 3);
        assert_eq!((new[0].status.as_str(), new[0].reason.as_str()), ("Unknown", SHOOT_REASON));
        assert_eq!(new[1], nodes);
        assert_eq!(new[2], other);
        // Nothing left to change: no rewrite.
        assert_eq!(shoot_conditions(&new, ts(20)), None);
    }

    #[test]
    fn shoot_seed_prefers_status() {
        let mut s = Shoot::default();
        assert_eq!(shoot_seed(&s), None);
        s.spec.seed_name = Some("spec-seed".into());
        assert_eq!(shoot_seed(&s), Some("spec-seed"));
        s.status = Some(ShootStatus { seed_name: Some(String::new()), ..Default::default() });
        assert_eq!(shoot_seed(&s), Some("spec-seed"));
        s.status = Some(ShootStatus { seed_name: Some("status-seed".into()), ..Default::default() });
        assert_eq!(shoot_seed(&s), Some("status-seed"));
    }

    #[test]
    fn patch_is_guarded() {
        let rv = "42".to_string();
        let p = conditions_patch(Some(&rv), &[cond(GARDENLET_READY, CONDITION_UNKNOWN, 0)]);
        assert_eq!(p["metadata"]["resourceVersion"], "42");
        assert_eq!(p["status"]["conditions"][0]["type"], GARDENLET_READY);
        assert_eq!(p["status"]["conditions"][0]["status"], "Unknown");
    }
}
