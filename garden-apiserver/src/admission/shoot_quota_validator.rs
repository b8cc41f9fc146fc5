//! ShootQuotaValidator: Shoots may not allocate more than the Quotas of their SecretBinding/CredentialsBinding
//! allow, and may not be kept alive longer than the quotas' `clusterLifetimeDays`.
//!
//! Like Gardener, the resources of a shoot are computed from its spec at the workers' maximum:
//! per worker `maximum * machine type {cpu, gpu, memory}` and `maximum * volume size` into `storage.standard` or
//! `storage.premium` (class of the machine type's storage, else of the volume type; workers without a volume use
//! the machine type's storage size), plus one `loadbalancer` (two with the nginx-ingress addon). The shoot's
//! requirement plus that of every other shoot using a binding that references the same quota (same namespace
//! for project-scoped quotas, all namespaces for secret-scoped ones) must fit each metric the quota limits.
//! Checked on create and on updates that add workers, change a worker's machine type, maximum or volume, or enable
//! nginx-ingress. An update setting `shoot.gardener.cloud/expiration-timestamp` may not exceed now + the smallest
//! `clusterLifetimeDays`.
//!
//! Simplifications: quantities are compared as f64 (exact for every realistic size); workers whose machine type
//! or volume class is unknown count nothing here (ShootValidator refuses them with a field error); missing
//! bindings, quotas and profiles are skipped (ResourceReferenceManager refuses them) instead of Gardener's 500.

use std::collections::{BTreeMap, BTreeSet};

use garden_api::core::v1beta1::{CloudProfileSpec, Shoot};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::resource_reference_manager::{effective_profile_spec, quota_scope, CORE, SECURITY};
use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::ApiError;

/// Annotation carrying the planned expiration of a (trial) shoot.
pub const ANNOTATION_EXPIRATION_TIMESTAMP: &str = "shoot.gardener.cloud/expiration-timestamp";

/// The metrics a Quota may limit, in Gardener's order.
pub const METRICS: &[&str] = &["cpu", "gpu", "memory", "storage.standard", "storage.premium", "loadbalancer"];

pub struct ShootQuotaValidator;

impl Plugin for ShootQuotaValidator {
    fn name(&self) -> &'static str {
        "ShootQuotaValidator"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if !a.is(CORE, "shoots") || !a.subresource.is_empty() {
            return Ok(());
        }
        if !matches!(a.operation, Operation::Create | Operation::Update) {
            return Ok(());
        }
        let Some(shoot) = a.new_as::<Shoot>()? else { return Ok(()) };
        if shoot.metadata.deletion_timestamp.is_some() {
            return Ok(());
        }
        let old: Option<&Shoot> = match a.old {
            Some(_) if a.operation == Operation::Update => a.old_as()?,
            _ => None,
        };
        let check_quota = old.as_ref().is_none_or(|o| quota_verification_needed(shoot, o));
        let planned_expiration = expiration(shoot);
        let check_lifetime =
            old.as_ref().is_some_and(|o| planned_expiration.is_some() && expiration(o) != planned_expiration);
        if !check_quota && !check_lifetime {
            return Ok(());
        }
        let forbidden = |why: String| ApiError::forbidden(CORE, "shoots", a.name, &why);

        let mut max_lifetime_days: Option<i64> = None;
        for quota_ref in binding_quotas(lookup, a.namespace, shoot) {
            let quota_ns = quota_ref.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| a.namespace.into());
            let quota_name = quota_ref.name.clone().unwrap_or_default();
            let Some(quota) = lookup.get(CORE, "quotas", &quota_ns, &quota_name) else { continue };
            if let Some(days) = quota.pointer("/spec/clusterLifetimeDays").and_then(Value::as_i64) {
                max_lifetime_days = Some(max_lifetime_days.map_or(days, |d| d.min(days)));
            }
            if !check_quota {
                continue;
            }
            let limits: BTreeMap<&str, f64> = METRICS
                .iter()
                .filter_map(|m| {
                    let q = quota.pointer("/spec/metrics")?.get(*m)?;
                    let q = q.as_str().map(str::to_string).unwrap_or_else(|| q.to_string());
                    Some((*m, garden_api::quantity::parse(&q)?))
                })
                .collect();
            if limits.is_empty() {
                continue;
            }
            let mut required = shoot_resources(lookup, a.namespace, shoot);
            for other in shoots_using_quota(lookup, &quota, &quota_ns, &quota_name, a.namespace, a.name) {
                let ns = other.metadata.namespace.clone().unwrap_or_default();
                for (m, v) in shoot_resources(lookup, &ns, &other) {
                    *required.entry(m).or_default() += v;
                }
            }
            let exceeded: Vec<&str> = limits
                .iter()
                .filter(|(m, limit)| {
                    let need = required.get(**m).copied().unwrap_or(0.0);
                    need > **limit + limit.abs() * 1e-9
                })
                .map(|(m, _)| *m)
                .collect();
            if !exceeded.is_empty() {
                let ordered: Vec<&str> = METRICS.iter().copied().filter(|m| exceeded.contains(m)).collect();
                return Err(forbidden(format!(
                    "quota limits exceeded. Unable to allocate further {} (quota {quota_ns}/{quota_name})",
                    ordered.join(" ")
                )));
            }
        }

        if let (true, Some(planned), Some(days)) = (check_lifetime, planned_expiration, max_lifetime_days) {
            let planned: Timestamp = planned.parse().map_err(|_| {
                forbidden(format!("annotation {ANNOTATION_EXPIRATION_TIMESTAMP} must be an RFC 3339 timestamp"))
            })?;
            if planned.as_second() > Timestamp::now().as_second() + days * 86_400 {
                return Err(forbidden(format!(
                    "requested shoot expiration time is too long. Can only be extended by {days} day(s)"
                )));
            }
        }
        Ok(())
    }
}

fn expiration(shoot: &Shoot) -> Option<String> {
    shoot.metadata.annotations.as_ref()?.get(ANNOTATION_EXPIRATION_TIMESTAMP).cloned()
}

fn nginx_ingress(shoot: &Shoot) -> bool {
    shoot.spec.addons.as_ref().and_then(|a| a.nginx_ingress.as_ref()).is_some_and(|n| n.enabled)
}

/// Whether an update changes what the shoot may allocate.
fn quota_verification_needed(new: &Shoot, old: &Shoot) -> bool {
    if nginx_ingress(new) && !nginx_ingress(old) {
        return true;
    }
    new.spec.provider.workers.iter().any(|w| match old.spec.provider.workers.iter().find(|o| o.name == w.name) {
        None => true,
        Some(o) => o.machine.type_ != w.machine.type_ || o.maximum != w.maximum || o.volume != w.volume,
    })
}

/// The quotas of the shoot's SecretBinding, else of its CredentialsBinding.
fn binding_quotas(lookup: &dyn Lookup, namespace: &str, shoot: &Shoot) -> Vec<ObjectReference> {
    let binding = if let Some(sb) = shoot.spec.secret_binding_name.as_deref().filter(|s| !s.is_empty()) {
        lookup.get(CORE, "secretbindings", namespace, sb)
    } else if let Some(cb) = shoot.spec.credentials_binding_name.as_deref().filter(|s| !s.is_empty()) {
        lookup.get(SECURITY, "credentialsbindings", namespace, cb)
    } else {
        None
    };
    binding
        .and_then(|b| b.get("quotas").cloned())
        .and_then(|q| serde_json::from_value::<Vec<ObjectReference>>(q).ok())
        .unwrap_or_default()
}

/// Other shoots (in scope of the quota) whose binding references the quota.
fn shoots_using_quota(
    lookup: &dyn Lookup,
    quota: &Value,
    quota_ns: &str,
    quota_name: &str,
    shoot_ns: &str,
    shoot_name: &str,
) -> Vec<Shoot> {
    let scope_ns = if quota_scope(quota) == Some("project") { shoot_ns } else { "" };
    let references_quota = |binding: &Value| {
        let ns = binding.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("");
        binding.get("quotas").and_then(Value::as_array).is_some_and(|qs| {
            qs.iter().any(|q| {
                let q_ns = q.get("namespace").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(ns);
                q.get("name").and_then(Value::as_str) == Some(quota_name) && q_ns == quota_ns
            })
        })
    };
    let key = |b: &Value| {
        (
            b.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_string(),
            b.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string(),
        )
    };
    let secret_bindings: BTreeSet<(String, String)> =
        lookup.list(CORE, "secretbindings", scope_ns).iter().filter(|b| references_quota(b)).map(|b| key(b)).collect();
    let credentials_bindings: BTreeSet<(String, String)> = lookup
        .list(SECURITY, "credentialsbindings", scope_ns)
        .iter()
        .filter(|b| references_quota(b))
        .map(|b| key(b))
        .collect();
    let namespaces: BTreeSet<&String> = secret_bindings.iter().chain(&credentials_bindings).map(|(ns, _)| ns).collect();

    let mut out = Vec::new();
    for ns in namespaces {
        for v in lookup.list(CORE, "shoots", ns) {
            let Ok(s) = serde_json::from_value::<Shoot>((*v).clone()) else { continue };
            if s.metadata.namespace.as_deref() == Some(shoot_ns) && s.metadata.name.as_deref() == Some(shoot_name) {
                continue;
            }
            let via = |name: &Option<String>, set: &BTreeSet<(String, String)>| {
                name.as_ref().is_some_and(|n| set.contains(&(ns.clone(), n.clone())))
            };
            if via(&s.spec.secret_binding_name, &secret_bindings)
                || via(&s.spec.credentials_binding_name, &credentials_bindings)
            {
                out.push(s);
            }
        }
    }
    out
}

/// What a shoot allocates, per metric (see the module docs).
fn shoot_resources(lookup: &dyn Lookup, namespace: &str, shoot: &Shoot) -> BTreeMap<&'static str, f64> {
    let mut res: BTreeMap<&'static str, f64> = BTreeMap::new();
    res.insert("loadbalancer", if nginx_ingress(shoot) { 2.0 } else { 1.0 });
    let Some(profile) = effective_profile_spec(lookup, namespace, &shoot.spec) else { return res };
    for (metric, amount) in worker_resources(shoot, &profile) {
        *res.entry(metric).or_default() += amount;
    }
    res
}

fn worker_resources(shoot: &Shoot, profile: &CloudProfileSpec) -> Vec<(&'static str, f64)> {
    let mut out = Vec::new();
    for w in &shoot.spec.provider.workers {
        let Some(mt) = profile.machine_types.iter().find(|t| t.name == w.machine.type_) else { continue };
        let max = f64::from(w.maximum.max(0));
        for (metric, q) in [("cpu", &mt.cpu), ("gpu", &mt.gpu), ("memory", &mt.memory)] {
            out.push((metric, garden_api::quantity::parse(&q.0).unwrap_or(0.0) * max));
        }
        let (size, class) = match &w.volume {
            Some(v) => {
                let class = match &mt.storage {
                    Some(s) => Some(s.class.clone()),
                    None => profile
                        .volume_types
                        .iter()
                        .find(|t| v.type_.as_deref() == Some(t.name.as_str()))
                        .map(|t| t.class.clone()),
                };
                (garden_api::quantity::parse(&v.size), class)
            }
            None => match &mt.storage {
                Some(s) => (s.size.as_ref().and_then(|q| garden_api::quantity::parse(&q.0)), Some(s.class.clone())),
                None => (None, None),
            },
        };
        match (size, class.as_deref()) {
            (Some(size), Some("standard")) => out.push(("storage.standard", size * max)),
            (Some(size), Some("premium")) => out.push(("storage.premium", size * max)),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::json;

    fn shoot(name: &str, ns: &str, max: i32) -> Value {
        json!({
            "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "cloudProfile": {"kind": "CloudProfile", "name": "local"}, "region": "local", "secretBindingName": "trial",
                "provider": {"type": "local", "workers": [{"name": "w", "minimum": 1, "maximum": max,
                    "machine": {"type": "small"}, "volume": {"type": "std", "size": "20Gi"}}]},
                "kubernetes": {"version": "1.33.4"}
            }
        })
    }

    fn lookup(metrics: Value) -> FakeLookup {
        FakeLookup::default()
            .with(
                CORE,
                "cloudprofiles",
                json!({"metadata": {"name": "local"}, "spec": {"type": "local",
                    "machineTypes": [{"name": "small", "cpu": "2", "gpu": "0", "memory": "4Gi"}],
                    "volumeTypes": [{"name": "std", "class": "standard"}]}}),
            )
            .with(
                CORE,
                "quotas",
                json!({"metadata": {"name": "trial", "namespace": "garden-trial"}, "spec": {
                    "clusterLifetimeDays": 7, "metrics": metrics,
                    "scope": {"apiVersion": "v1", "kind": "Secret"}}}),
            )
            .with(
                CORE,
                "secretbindings",
                json!({"metadata": {"name": "trial", "namespace": "garden-dev"}, "secretRef": {"name": "s"},
                    "quotas": [{"name": "trial", "namespace": "garden-trial"}]}),
            )
            .with(
                CORE,
                "secretbindings",
                json!({"metadata": {"name": "trial", "namespace": "garden-qa"}, "secretRef": {"name": "s"},
                    "quotas": [{"name": "trial", "namespace": "garden-trial"}]}),
            )
    }

    fn create(l: &FakeLookup, obj: Value) -> Result<Option<Value>, ApiError> {
        admit(&ShootQuotaValidator, l, Operation::Create, CORE, "shoots", "", Some(obj), None)
    }

    #[test]
    fn quota_counts_all_shoots_of_the_scope() {
        // 10 cpu allowed; each shoot allocates maximum(2) * 2 cpu = 4 cpu.
        let l = lookup(json!({"cpu": "10", "memory": "100Gi", "loadbalancer": "5"}));
        create(&l, shoot("a", "garden-dev", 2)).unwrap();
        let l = l.with(CORE, "shoots", shoot("a", "garden-dev", 2)).with(CORE, "shoots", shoot("b", "garden-qa", 2));
        // 4 + 4 + 4 = 12 > 10 (secret scope: shoots of other namespaces count too).
        let e = create(&l, shoot("c", "garden-dev", 2)).unwrap_err();
        assert_eq!(e.code, 403);
        assert!(e.message.contains("quota limits exceeded. Unable to allocate further cpu"), "{e}");
        assert!(!e.message.contains("memory"), "{e}");
        // 4 + 4 + 2 = 10 fits.
        create(&l, shoot("c", "garden-dev", 1)).unwrap();
        // The shoot's own stored version is not counted twice on update.
        let mut bigger = shoot("a", "garden-dev", 3);
        admit(
            &ShootQuotaValidator,
            &l,
            Operation::Update,
            CORE,
            "shoots",
            "",
            Some(bigger.clone()),
            Some(shoot("a", "garden-dev", 2)),
        )
        .unwrap();
        bigger["spec"]["provider"]["workers"][0]["maximum"] = json!(4);
        let e = admit(
            &ShootQuotaValidator,
            &l,
            Operation::Update,
            CORE,
            "shoots",
            "",
            Some(bigger),
            Some(shoot("a", "garden-dev", 2)),
        )
        .unwrap_err();
        assert!(e.message.contains("cpu"), "{e}");
    }

    #[test]
    fn storage_and_loadbalancers() {
        let l = lookup(json!({"storage.standard": "50Gi", "loadbalancer": "1"}));
        create(&l, shoot("a", "garden-dev", 2)).unwrap(); // 40Gi, 1 LB
        let e = create(&l, shoot("a", "garden-dev", 3)).unwrap_err(); // 60Gi
        assert!(e.message.contains("further storage.standard"), "{e}");
        let mut s = shoot("a", "garden-dev", 1);
        s["spec"]["addons"] = json!({"nginxIngress": {"enabled": true}});
        let e = create(&l, s).unwrap_err();
        assert!(e.message.contains("further loadbalancer"), "{e}");
    }

    #[test]
    fn lifetime_cannot_exceed_quota() {
        let l = lookup(json!({"cpu": "100"}));
        let old = shoot("a", "garden-dev", 1);
        let mut new = old.clone();
        let far = Timestamp::from_second(Timestamp::now().as_second() + 30 * 86_400).unwrap().to_string();
        new["metadata"]["annotations"] = json!({ANNOTATION_EXPIRATION_TIMESTAMP: far});
        let e = admit(
            &ShootQuotaValidator,
            &l,
            Operation::Update,
            CORE,
            "shoots",
            "",
            Some(new.clone()),
            Some(old.clone()),
        )
        .unwrap_err();
        assert!(e.message.contains("Can only be extended by 7 day(s)"), "{e}");
        let near = Timestamp::from_second(Timestamp::now().as_second() + 3 * 86_400).unwrap().to_string();
        new["metadata"]["annotations"] = json!({ANNOTATION_EXPIRATION_TIMESTAMP: near});
        admit(&ShootQuotaValidator, &l, Operation::Update, CORE, "shoots", "", Some(new), Some(old)).unwrap();
    }
}
