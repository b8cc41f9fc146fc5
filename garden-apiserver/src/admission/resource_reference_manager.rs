//! ResourceReferenceManager: objects may only reference objects that exist, and referenced objects may not
//! disappear while in use.
//!
//! - Shoot create/update (main resource and `binding`): the CloudProfile / NamespacedCloudProfile, Seed,
//!   SecretBinding, CredentialsBinding, DNS provider secrets and `spec.resources` (Secrets/ConfigMaps) exist. On
//!   update only references that changed are checked, and nothing when the spec is unchanged (labels and
//!   annotations can always be changed).
//! - SecretBinding / CredentialsBinding create (update: when the references change): the referenced secret and
//!   quotas exist, at most one quota per scope (project, secret).
//! - CloudProfile delete: refused while Shoots or NamespacedCloudProfiles reference it; update: Kubernetes and
//!   machine image versions still used by Shoots may not be removed. NamespacedCloudProfile delete: refused while
//!   Shoots reference it.
//!
//! Refusals are 403 `<plural> "<name>" is forbidden: <what> "<ref>" not found`, like Gardener's
//! `admission.NewForbidden(a, apierrors.NewNotFound(...))`. Not done here: Gardener's authorization checks that
//! the requesting user may read the referenced secrets/quotas (the admission `Lookup` has no authorizer).
//! The helpers at the bottom (profile resolution, project of a namespace) are shared by the other plugins.

use api_machinery::admission::decode;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use garden_api::core::v1beta1::{
    CloudProfile, CloudProfileSpec, NamespacedCloudProfile, NamespacedCloudProfileSpec, Project, SecretBinding, Shoot,
    ShootSpec,
};
use garden_api::security::v1alpha1::CredentialsBinding;
use k8s_openapi::api::core::v1::ObjectReference;
use serde_json::Value;

use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::{qualified, ApiError};

pub(crate) const CORE: &str = "core.gardener.cloud";
pub(crate) const SECURITY: &str = "security.gardener.cloud";

pub struct ResourceReferenceManager;

impl Plugin for ResourceReferenceManager {
    fn name(&self) -> &'static str {
        "ResourceReferenceManager"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        let result = if a.is(CORE, "shoots") {
            shoot_references(a, lookup)
        } else if a.is(CORE, "secretbindings") {
            secret_binding_references(a, lookup)
        } else if a.is(SECURITY, "credentialsbindings") {
            credentials_binding_references(a, lookup)
        } else if a.is(CORE, "cloudprofiles") {
            cloud_profile_in_use(a, lookup)
        } else if a.is(CORE, "namespacedcloudprofiles") {
            namespaced_cloud_profile_in_use(a, lookup)
        } else {
            Ok(())
        };
        result.map_err(|why| ApiError::forbidden(a.resource.group, a.resource.plural, a.name, &why))
    }
}

/// `<plural>.<group> "<name>" not found`, the message of kube's NotFound error.
pub(crate) fn not_found(group: &str, plural: &str, name: &str) -> String {
    format!("{} \"{name}\" not found", qualified(group, plural))
}

fn exists(lookup: &dyn Lookup, group: &str, plural: &str, ns: &str, name: &str) -> Result<(), String> {
    lookup.get(group, plural, ns, name).map(|_| ()).ok_or_else(|| not_found(group, plural, name))
}

/// Objects being deleted (finalizers running) are not re-checked on update, as Gardener's `SkipVerification`.
fn being_deleted(v: &Value) -> bool {
    v.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null())
}

fn shoot_references(a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), String> {
    if !matches!(a.operation, Operation::Create | Operation::Update) || !matches!(a.subresource, "" | "binding") {
        return Ok(());
    }
    let Some(obj) = a.obj.as_deref() else { return Ok(()) };
    if a.operation == Operation::Update && being_deleted(obj) {
        return Ok(());
    }
    let shoot: &Shoot = a.new_as().map_err(|e| e.message)?.ok_or("no object")?;
    let no_old = Shoot::default();
    let old: &Shoot = match a.operation {
        Operation::Update => a.old_as().map_err(|e| e.message)?.unwrap_or(&no_old),
        _ => &no_old,
    };
    if a.operation == Operation::Update && old.spec == shoot.spec {
        return Ok(());
    }
    let (spec, old_spec) = (&shoot.spec, &old.spec);

    if profile_ref(spec) != profile_ref(old_spec) {
        if let Some((kind, name)) = profile_ref(spec) {
            if kind == "NamespacedCloudProfile" {
                exists(lookup, CORE, "namespacedcloudprofiles", a.namespace, &name)?;
            } else {
                exists(lookup, CORE, "cloudprofiles", "", &name)?;
            }
        }
    }
    if let Some(seed) = spec.seed_name.as_deref().filter(|s| !s.is_empty()) {
        if old_spec.seed_name != spec.seed_name {
            exists(lookup, CORE, "seeds", "", seed)?;
        }
    }
    if let Some(b) = spec.secret_binding_name.as_deref().filter(|s| !s.is_empty()) {
        if old_spec.secret_binding_name != spec.secret_binding_name {
            exists(lookup, CORE, "secretbindings", a.namespace, b)?;
        }
    }
    if let Some(b) = spec.credentials_binding_name.as_deref().filter(|s| !s.is_empty()) {
        if old_spec.credentials_binding_name != spec.credentials_binding_name {
            exists(lookup, SECURITY, "credentialsbindings", a.namespace, b)?;
        }
    }
    if old_spec.resources != spec.resources {
        for r in &spec.resources {
            let plural = match (r.resource_ref.api_version.as_deref().unwrap_or(""), r.resource_ref.kind.as_str()) {
                ("v1", "Secret") => "secrets",
                ("v1", "ConfigMap") => "configmaps",
                // Other kinds: not resolvable through the admission lookup; left to the gardenlet.
                _ => continue,
            };
            exists(lookup, "", plural, a.namespace, &r.resource_ref.name)
                .map_err(|e| format!("failed to resolve shoot resource reference {:?}: {e}", r.name))?;
        }
    }
    if old_spec.dns != spec.dns && shoot.metadata.deletion_timestamp.is_none() {
        for p in spec.dns.iter().flat_map(|d| &d.providers) {
            if let Some(secret) = p.secret_name.as_deref().filter(|s| !s.is_empty()) {
                exists(lookup, "", "secrets", a.namespace, secret)
                    .map_err(|e| format!("failed to reference DNS provider secret {e}"))?;
            }
        }
    }
    Ok(())
}

/// Checks the quotas of a binding: they exist and at most one per scope is referenced.
fn quota_references(lookup: &dyn Lookup, quotas: &[ObjectReference], binding_ns: &str) -> Result<(), String> {
    let mut per_scope: BTreeMap<&'static str, usize> = BTreeMap::new();
    for q in quotas {
        let ns = q.namespace.as_deref().filter(|s| !s.is_empty()).unwrap_or(binding_ns);
        let name = q.name.as_deref().unwrap_or("");
        let quota = lookup.get(CORE, "quotas", ns, name).ok_or_else(|| not_found(CORE, "quotas", name))?;
        let scope = quota_scope(&quota).ok_or_else(|| format!("unknown quota scope of quota {ns}/{name}"))?;
        let n = per_scope.entry(scope).or_default();
        *n += 1;
        if *n > 1 {
            return Err("only one quota per scope (project or secret) can be assigned".into());
        }
    }
    Ok(())
}

fn secret_binding_references(a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), String> {
    if !matches!(a.operation, Operation::Create | Operation::Update) || !a.subresource.is_empty() {
        return Ok(());
    }
    let Some(obj) = a.obj.as_deref() else { return Ok(()) };
    let binding: SecretBinding = decode(obj).map_err(|e| e.message)?;
    if a.operation == Operation::Update {
        let old: SecretBinding = a.old.map(decode).transpose().map_err(|e| e.message)?.unwrap_or_default();
        if being_deleted(obj) || (old.secret_ref == binding.secret_ref && old.quotas == binding.quotas) {
            return Ok(());
        }
    }
    let ns = binding.secret_ref.namespace.as_deref().filter(|s| !s.is_empty()).unwrap_or(a.namespace);
    let name = binding.secret_ref.name.as_deref().unwrap_or("");
    exists(lookup, "", "secrets", ns, name)?;
    quota_references(lookup, &binding.quotas, a.namespace)
}

fn credentials_binding_references(a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), String> {
    if !matches!(a.operation, Operation::Create | Operation::Update) || !a.subresource.is_empty() {
        return Ok(());
    }
    let Some(obj) = a.obj.as_deref() else { return Ok(()) };
    let binding: CredentialsBinding = decode(obj).map_err(|e| e.message)?;
    if a.operation == Operation::Update {
        let old: CredentialsBinding = a.old.map(decode).transpose().map_err(|e| e.message)?.unwrap_or_default();
        if being_deleted(obj) || (old.credentials_ref == binding.credentials_ref && old.quotas == binding.quotas) {
            return Ok(());
        }
    }
    let r = &binding.credentials_ref;
    if r.api_version.as_deref() == Some("v1") && r.kind.as_deref() == Some("Secret") {
        let ns = r.namespace.as_deref().filter(|s| !s.is_empty()).unwrap_or(a.namespace);
        exists(lookup, "", "secrets", ns, r.name.as_deref().unwrap_or(""))?;
    }
    quota_references(lookup, &binding.quotas, a.namespace)
}

/// Shoots (not being deleted) whose `spec.cloudProfile` points at `(kind, namespace, name)`.
fn shoots_using_profile(lookup: &dyn Lookup, kind: &str, namespace: &str, name: &str) -> Vec<Shoot> {
    lookup
        .list(CORE, "shoots", namespace)
        .iter()
        .filter_map(|v| serde_json::from_value::<Shoot>((**v).clone()).ok())
        .filter(|s| profile_ref(&s.spec).is_some_and(|(k, n)| k == kind && n == name))
        .collect()
}

fn shoot_names(shoots: &[Shoot]) -> String {
    shoots
        .iter()
        .map(|s| {
            format!("{}/{}", s.metadata.namespace.as_deref().unwrap_or(""), s.metadata.name.as_deref().unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cloud_profile_in_use(a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), String> {
    match a.operation {
        Operation::Delete => {
            let shoots = shoots_using_profile(lookup, "CloudProfile", "", a.name);
            if !shoots.is_empty() {
                return Err(format!(
                    "CloudProfile {:?} is still referenced by {} shoot(s): {}",
                    a.name,
                    shoots.len(),
                    shoot_names(&shoots)
                ));
            }
            let children: Vec<String> = lookup
                .list(CORE, "namespacedcloudprofiles", "")
                .iter()
                .filter_map(|v| serde_json::from_value::<NamespacedCloudProfile>((**v).clone()).ok())
                .filter(|p| p.spec.parent.name == a.name && p.spec.parent.kind != "NamespacedCloudProfile")
                .map(|p| {
                    format!("{}/{}", p.metadata.namespace.unwrap_or_default(), p.metadata.name.unwrap_or_default())
                })
                .collect();
            if !children.is_empty() {
                return Err(format!(
                    "CloudProfile {:?} is still referenced by NamespacedCloudProfile(s): {}",
                    a.name,
                    children.join(", ")
                ));
            }
            Ok(())
        }
        Operation::Update if a.subresource.is_empty() => {
            let (Some(obj), Some(old)) = (a.obj.as_deref(), a.old) else { return Ok(()) };
            let new: CloudProfile = decode(obj).map_err(|e| e.message)?;
            let old: CloudProfile = decode(old).map_err(|e| e.message)?;
            removed_versions_in_use(lookup, a.name, &old.spec, &new.spec)
        }
        _ => Ok(()),
    }
}

/// Kubernetes and machine image versions removed from a profile may not be in use by its shoots.
fn removed_versions_in_use(
    lookup: &dyn Lookup,
    profile: &str,
    old: &CloudProfileSpec,
    new: &CloudProfileSpec,
) -> Result<(), String> {
    let kept: BTreeSet<&str> = new.kubernetes.versions.iter().map(|v| v.version.as_str()).collect();
    let removed_k8s: BTreeSet<&str> =
        old.kubernetes.versions.iter().map(|v| v.version.as_str()).filter(|v| !kept.contains(v)).collect();
    let mut removed_images: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for image in &old.machine_images {
        let kept: BTreeSet<&str> = new
            .machine_images
            .iter()
            .filter(|i| i.name == image.name)
            .flat_map(|i| i.versions.iter().map(|v| v.version.as_str()))
            .collect();
        let gone: BTreeSet<&str> =
            image.versions.iter().map(|v| v.version.as_str()).filter(|v| !kept.contains(v)).collect();
        if !gone.is_empty() {
            removed_images.insert(image.name.as_str(), gone);
        }
    }
    if removed_k8s.is_empty() && removed_images.is_empty() {
        return Ok(());
    }
    let mut errs = Vec::new();
    for shoot in shoots_using_profile(lookup, "CloudProfile", "", profile) {
        if shoot.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let id = format!(
            "{}/{}",
            shoot.metadata.namespace.as_deref().unwrap_or(""),
            shoot.metadata.name.as_deref().unwrap_or("")
        );
        let v = shoot.spec.kubernetes.version.as_str();
        if removed_k8s.contains(v) {
            errs.push(format!(
                "unable to delete Kubernetes version {v:?} from CloudProfile {profile:?} - version is still in use by shoot '{id}'"
            ));
        }
        for w in &shoot.spec.provider.workers {
            let Some(img) = &w.machine.image else { continue };
            let version = img.version.as_deref().unwrap_or("");
            if removed_images.get(img.name.as_str()).is_some_and(|gone| gone.contains(version)) {
                errs.push(format!(
                    "unable to delete Machine image version '{}/{version}' from CloudProfile {profile:?} - version is still in use by shoot '{id}' by worker {:?}",
                    img.name, w.name
                ));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("; "))
    }
}

fn namespaced_cloud_profile_in_use(a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), String> {
    if a.operation != Operation::Delete {
        return Ok(());
    }
    let shoots = shoots_using_profile(lookup, "NamespacedCloudProfile", a.namespace, a.name);
    if shoots.is_empty() {
        return Ok(());
    }
    Err(format!(
        "NamespacedCloudProfile {:?} is still referenced by {} shoot(s): {}",
        a.name,
        shoots.len(),
        shoot_names(&shoots)
    ))
}

// ---- helpers shared by the admission plugins ----

/// The profile a shoot references as `(kind, name)`: `spec.cloudProfile` (kind defaults to `CloudProfile`), else
/// the deprecated `spec.cloudProfileName`.
pub(crate) fn profile_ref(spec: &ShootSpec) -> Option<(String, String)> {
    if let Some(r) = spec.cloud_profile.as_ref().filter(|r| !r.name.is_empty()) {
        let kind = if r.kind.is_empty() { "CloudProfile" } else { r.kind.as_str() };
        return Some((kind.to_string(), r.name.clone()));
    }
    spec.cloud_profile_name.as_ref().filter(|n| !n.is_empty()).map(|n| ("CloudProfile".to_string(), n.clone()))
}

/// The effective CloudProfile spec of a shoot in `namespace`: the CloudProfile's spec, or for a
/// NamespacedCloudProfile its rendered `status.cloudProfileSpec`, else its spec merged onto the parent's.
/// `None` when the profile (or the parent) does not exist.
pub(crate) fn effective_profile_spec(
    lookup: &dyn Lookup,
    namespace: &str,
    spec: &ShootSpec,
) -> Option<Arc<CloudProfileSpec>> {
    let (kind, name) = profile_ref(spec)?;
    if kind != "NamespacedCloudProfile" {
        return cloud_profile_spec(lookup, &name);
    }
    let v = lookup.get(CORE, "namespacedcloudprofiles", namespace, &name)?;
    let ncp: NamespacedCloudProfile = api_machinery::registry::from_json(&v).ok()?;
    if let Some(status) = ncp.status.as_ref().filter(|s| !s.cloud_profile_spec.type_.is_empty()) {
        return Some(Arc::new(status.cloud_profile_spec.clone()));
    }
    let parent = cloud_profile_spec(lookup, &ncp.spec.parent.name)?;
    Some(Arc::new(merge_namespaced((*parent).clone(), &ncp.spec)))
}

/// A CloudProfile's typed spec, decoded once per resourceVersion: every shoot write needs it, and decoding a
/// large profile per request dominated shoot admission.
fn cloud_profile_spec(lookup: &dyn Lookup, name: &str) -> Option<Arc<CloudProfileSpec>> {
    /// name -> (resourceVersion, decoded spec)
    type Decoded = HashMap<String, (String, Arc<CloudProfileSpec>)>;
    static DECODED: LazyLock<Mutex<Decoded>> = LazyLock::new(Default::default);
    let v = lookup.get(CORE, "cloudprofiles", "", name)?;
    let rv = v.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or_default().to_string();
    if let Some((cached_rv, spec)) = DECODED.lock().ok()?.get(name) {
        if !rv.is_empty() && *cached_rv == rv {
            return Some(spec.clone());
        }
    }
    let spec = Arc::new(api_machinery::registry::from_json::<CloudProfile>(&v).ok()?.spec);
    if !rv.is_empty() {
        DECODED.lock().ok()?.insert(name.to_string(), (rv, spec.clone()));
    }
    Some(spec)
}

/// Overlays a NamespacedCloudProfile onto its parent (what the NamespacedCloudProfile controller renders into
/// the status): entries with the same name/version are replaced, new ones appended.
fn merge_namespaced(mut spec: CloudProfileSpec, ncp: &NamespacedCloudProfileSpec) -> CloudProfileSpec {
    fn upsert<T: Clone>(list: &mut Vec<T>, extra: &[T], key: impl Fn(&T) -> &str) {
        for e in extra {
            match list.iter_mut().find(|x| key(x) == key(e)) {
                Some(slot) => *slot = e.clone(),
                None => list.push(e.clone()),
            }
        }
    }
    if let Some(k) = &ncp.kubernetes {
        upsert(&mut spec.kubernetes.versions, &k.versions, |v| v.version.as_str());
    }
    for image in &ncp.machine_images {
        match spec.machine_images.iter_mut().find(|i| i.name == image.name) {
            Some(existing) => upsert(&mut existing.versions, &image.versions, |v| v.version.as_str()),
            None => spec.machine_images.push(image.clone()),
        }
    }
    upsert(&mut spec.machine_types, &ncp.machine_types, |t| t.name.as_str());
    upsert(&mut spec.volume_types, &ncp.volume_types, |t| t.name.as_str());
    if ncp.ca_bundle.is_some() {
        spec.ca_bundle = ncp.ca_bundle.clone();
    }
    if ncp.provider_config.is_some() {
        spec.provider_config = ncp.provider_config.clone();
    }
    if ncp.limits.is_some() {
        spec.limits = ncp.limits.clone();
    }
    spec
}

/// The Project owning `namespace` (the one whose `spec.namespace` equals it).
pub(crate) fn project_of_namespace(lookup: &dyn Lookup, namespace: &str) -> Option<Project> {
    lookup
        .list(CORE, "projects", "")
        .iter()
        .filter_map(|v| serde_json::from_value::<Project>((**v).clone()).ok())
        .find(|p| p.spec.namespace.as_deref() == Some(namespace))
}

/// `project` or `secret` for a Quota object's `spec.scope`.
pub(crate) fn quota_scope(quota: &Value) -> Option<&'static str> {
    let api_version = quota.pointer("/spec/scope/apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = quota.pointer("/spec/scope/kind").and_then(Value::as_str).unwrap_or("");
    match (api_version, kind) {
        ("core.gardener.cloud/v1beta1", "Project") => Some("project"),
        ("v1", "Secret") => Some("secret"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::json;

    fn shoot(profile: Value) -> Value {
        json!({
            "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": "s1", "namespace": "garden-dev"},
            "spec": {
                "cloudProfile": profile, "region": "local", "credentialsBindingName": "creds",
                "provider": {"type": "local", "workers": []}, "kubernetes": {"version": "1.33.2"}
            }
        })
    }

    fn world() -> FakeLookup {
        FakeLookup::default()
            .with(CORE, "cloudprofiles", json!({"metadata": {"name": "local"}, "spec": {"type": "local"}}))
            .with(
                CORE,
                "namespacedcloudprofiles",
                json!({"metadata": {"name": "mine", "namespace": "garden-dev"}, "spec": {"parent": {"kind": "CloudProfile", "name": "local"}}}),
            )
            .with(SECURITY, "credentialsbindings", json!({"metadata": {"name": "creds", "namespace": "garden-dev"}}))
            .with("", "secrets", json!({"metadata": {"name": "s", "namespace": "garden-dev"}}))
            .with(
                CORE,
                "quotas",
                json!({"metadata": {"name": "q", "namespace": "garden-dev"}, "spec": {"scope": {"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Project"}}}),
            )
            .with(
                CORE,
                "quotas",
                json!({"metadata": {"name": "q2", "namespace": "garden-dev"}, "spec": {"scope": {"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Project"}}}),
            )
    }

    fn create_shoot(l: &FakeLookup, obj: Value) -> Result<Option<Value>, ApiError> {
        admit(&ResourceReferenceManager, l, Operation::Create, CORE, "shoots", "", Some(obj), None)
    }

    #[test]
    fn shoot_references_must_exist() {
        let l = world();
        create_shoot(&l, shoot(json!({"kind": "CloudProfile", "name": "local"}))).unwrap();
        create_shoot(&l, shoot(json!({"kind": "NamespacedCloudProfile", "name": "mine"}))).unwrap();

        let e = create_shoot(&l, shoot(json!({"kind": "CloudProfile", "name": "nope"}))).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            r#"shoots.core.gardener.cloud "s1" is forbidden: cloudprofiles.core.gardener.cloud "nope" not found"#
        );
        let e = create_shoot(&l, shoot(json!({"kind": "NamespacedCloudProfile", "name": "local"}))).unwrap_err();
        assert!(e.message.contains(r#"namespacedcloudprofiles.core.gardener.cloud "local" not found"#), "{e}");

        let mut s = shoot(json!({"kind": "CloudProfile", "name": "local"}));
        s["spec"]["seedName"] = json!("missing-seed");
        let e = create_shoot(&l, s).unwrap_err();
        assert!(e.message.ends_with(r#"seeds.core.gardener.cloud "missing-seed" not found"#), "{e}");

        let mut s = shoot(json!({"kind": "CloudProfile", "name": "local"}));
        s["spec"]["credentialsBindingName"] = json!("other");
        let e = create_shoot(&l, s).unwrap_err();
        assert!(e.message.contains(r#"credentialsbindings.security.gardener.cloud "other" not found"#), "{e}");

        let mut s = shoot(json!({"kind": "CloudProfile", "name": "local"}));
        s["spec"]["secretBindingName"] = json!("sb");
        let e = create_shoot(&l, s).unwrap_err();
        assert!(e.message.contains(r#"secretbindings.core.gardener.cloud "sb" not found"#), "{e}");
    }

    #[test]
    fn update_checks_only_changed_references() {
        let l = world();
        // The stored shoot references a profile that no longer exists: unchanged references are not re-checked.
        let old = shoot(json!({"kind": "CloudProfile", "name": "gone"}));
        let mut new = old.clone();
        new["spec"]["region"] = json!("other");
        admit(
            &ResourceReferenceManager,
            &l,
            Operation::Update,
            CORE,
            "shoots",
            "",
            Some(new.clone()),
            Some(old.clone()),
        )
        .unwrap();
        new["spec"]["seedName"] = json!("nope");
        let e =
            admit(&ResourceReferenceManager, &l, Operation::Update, CORE, "shoots", "binding", Some(new), Some(old))
                .unwrap_err();
        assert!(e.message.contains("seeds.core.gardener.cloud \"nope\" not found"), "{e}");
    }

    #[test]
    fn binding_references() {
        let l = world();
        let sb = |secret: &str, quotas: Value| json!({"metadata": {"name": "b", "namespace": "garden-dev"}, "secretRef": {"name": secret}, "quotas": quotas});
        let run =
            |obj| admit(&ResourceReferenceManager, &l, Operation::Create, CORE, "secretbindings", "", Some(obj), None);
        run(sb("s", json!([{"name": "q", "namespace": "garden-dev"}]))).unwrap();
        let e = run(sb("nope", json!([]))).unwrap_err();
        assert!(e.message.ends_with(r#"secrets "nope" not found"#), "{e}");
        let e = run(sb("s", json!([{"name": "missing", "namespace": "garden-dev"}]))).unwrap_err();
        assert!(e.message.ends_with(r#"quotas.core.gardener.cloud "missing" not found"#), "{e}");
        let e =
            run(sb("s", json!([{"name": "q", "namespace": "garden-dev"}, {"name": "q2", "namespace": "garden-dev"}])))
                .unwrap_err();
        assert!(e.message.contains("only one quota per scope"), "{e}");

        let cb = |secret: &str| {
            json!({"metadata": {"name": "c", "namespace": "garden-dev"}, "provider": {"type": "local"},
                   "credentialsRef": {"apiVersion": "v1", "kind": "Secret", "name": secret, "namespace": "garden-dev"}})
        };
        let run = |obj| {
            admit(
                &ResourceReferenceManager,
                &l,
                Operation::Create,
                SECURITY,
                "credentialsbindings",
                "",
                Some(obj),
                None,
            )
        };
        run(cb("s")).unwrap();
        let e = run(cb("nope")).unwrap_err();
        assert_eq!(e.code, 403);
        assert!(e.message.contains(r#"secrets "nope" not found"#), "{e}");
    }

    #[test]
    fn cloud_profile_deletion_refused_while_in_use() {
        let profile = json!({"metadata": {"name": "local"}, "spec": {"type": "local"}});
        let del = |l: &FakeLookup| {
            admit(
                &ResourceReferenceManager,
                l,
                Operation::Delete,
                CORE,
                "cloudprofiles",
                "",
                None,
                Some(profile.clone()),
            )
        };
        let l = FakeLookup::default();
        del(&l).unwrap();
        let l = l.with(CORE, "shoots", shoot(json!({"kind": "CloudProfile", "name": "local"})));
        let e = del(&l).unwrap_err();
        assert_eq!(e.code, 403);
        assert!(e.message.contains("still referenced by 1 shoot(s): garden-dev/s1"), "{e}");
    }

    #[test]
    fn removing_used_versions_refused() {
        let old = json!({"metadata": {"name": "local"}, "spec": {"type": "local",
            "kubernetes": {"versions": [{"version": "1.33.2"}, {"version": "1.32.5"}]}}});
        let mut new = old.clone();
        new["spec"]["kubernetes"]["versions"] = json!([{"version": "1.32.5"}]);
        let l = FakeLookup::default().with(CORE, "shoots", shoot(json!({"kind": "CloudProfile", "name": "local"})));
        let e = admit(
            &ResourceReferenceManager,
            &l,
            Operation::Update,
            CORE,
            "cloudprofiles",
            "",
            Some(new),
            Some(old.clone()),
        )
        .unwrap_err();
        assert!(e.message.contains(r#"unable to delete Kubernetes version "1.33.2""#), "{e}");
        let mut new = old.clone();
        new["spec"]["kubernetes"]["versions"] = json!([{"version": "1.33.2"}]);
        admit(&ResourceReferenceManager, &l, Operation::Update, CORE, "cloudprofiles", "", Some(new), Some(old))
            .unwrap();
    }

    #[test]
    fn namespaced_profile_merges_onto_parent() {
        let l = FakeLookup::default()
            .with(
                CORE,
                "cloudprofiles",
                json!({"metadata": {"name": "local"}, "spec": {"type": "local",
                    "machineTypes": [{"name": "a", "cpu": "1", "gpu": "0", "memory": "1Gi"}]}}),
            )
            .with(
                CORE,
                "namespacedcloudprofiles",
                json!({"metadata": {"name": "mine", "namespace": "garden-dev"}, "spec": {"parent": {"kind": "CloudProfile", "name": "local"},
                    "machineTypes": [{"name": "b", "cpu": "2", "gpu": "0", "memory": "2Gi"}]}}),
            );
        let s: Shoot =
            serde_json::from_value(shoot(json!({"kind": "NamespacedCloudProfile", "name": "mine"}))).unwrap();
        let spec = effective_profile_spec(&l, "garden-dev", &s.spec).unwrap();
        let names: Vec<&str> = spec.machine_types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(spec.type_, "local");
        assert!(effective_profile_spec(&l, "garden-other", &s.spec).is_none());
    }
}
