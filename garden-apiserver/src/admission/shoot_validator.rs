//! ShootValidator: checks a Shoot against its Project and CloudProfile.
//!
//! - the namespace must belong to a Project (403 otherwise); no new shoots in a Project being deleted;
//! - `len(project) + len(shoot) <= 21` on create;
//! - against the effective CloudProfile (NamespacedCloudProfile-aware): provider type, region, Kubernetes
//!   versions, machine types/images, volumes, zones — on create and on updates that change the spec, where only
//!   new or changed values are checked (so expiring versions never block unrelated updates);
//! - a change of `spec.seedName` of a scheduled shoot is a control plane migration: the target seed must have the
//!   source seed's provider type, and no other migration may be in progress (`status.seedName` still differing
//!   from the old `spec.seedName`). Gardener today only accepts the change through `shoots/binding`; like its
//!   former `SeedChange` feature we accept a plain patch too, which is what `kubectl patch` users expect.
//!
//! Field problems are one 422 Invalid naming the fields (`spec.provider.workers[0].machine.type`, ...). The seed's
//! provider/region/taints are not checked here (the scheduler and the gardenlet do that).

use garden_api::core::v1beta1::validation::{validate_shoot_against_cloudprofile, validate_shoot_name_length};
use garden_api::core::v1beta1::Shoot;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::resource_reference_manager::{effective_profile_spec, project_of_namespace, CORE};
use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::{ApiError, FieldError};

pub struct ShootValidator;

impl Plugin for ShootValidator {
    fn name(&self) -> &'static str {
        "ShootValidator"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if !a.is(CORE, "shoots") || !matches!(a.subresource, "" | "binding") {
            return Ok(());
        }
        if !matches!(a.operation, Operation::Create | Operation::Update) {
            return Ok(());
        }
        let Some(shoot) = a.new_as::<Shoot>()? else { return Ok(()) };
        let old: Option<&Shoot> = match a.operation {
            Operation::Update => a.old_as()?,
            _ => None,
        };
        let forbidden = |why: String| ApiError::forbidden(CORE, "shoots", a.name, &why);

        let Some(project) = project_of_namespace(lookup, a.namespace) else {
            return Err(forbidden(format!("could not find project for namespace {:?}", a.namespace)));
        };
        let project_name = project.metadata.name.clone().unwrap_or_default();
        if a.operation == Operation::Create && project.metadata.deletion_timestamp.is_some() {
            return Err(forbidden(format!(
                "cannot create shoot '{}' in project '{project_name}' already marked for deletion",
                a.name
            )));
        }

        let mut errs: Vec<FieldError> = Vec::new();
        if let Some(old) = &old {
            errs.extend(seed_change(lookup, old, shoot));
            // Finalizer removal, status-like updates etc. of a shoot in deletion are not re-validated.
            if shoot.metadata.deletion_timestamp.is_some() && errs.is_empty() {
                return Ok(());
            }
        } else {
            errs.extend(validate_shoot_name_length(&project_name, a.name));
        }

        let spec_changed = old.as_ref().is_none_or(|o| o.spec != shoot.spec);
        if a.subresource.is_empty() && spec_changed {
            if let Some(profile) = effective_profile_spec(lookup, a.namespace, &shoot.spec) {
                errs.extend(validate_shoot_against_cloudprofile(shoot, old, &profile, Timestamp::now()));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(CORE, "Shoot", a.name, &errs))
        }
    }
}

/// Rules for moving a scheduled shoot to another seed (the unset case is refused by the shoot's own validation).
fn seed_change(lookup: &dyn Lookup, old: &Shoot, new: &Shoot) -> Vec<FieldError> {
    let set = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(from), Some(to)) = (set(&old.spec.seed_name), set(&new.spec.seed_name)) else { return vec![] };
    if from == to {
        return vec![];
    }
    let running_on = old.status.as_ref().and_then(|s| set(&s.seed_name));
    if let Some(running_on) = running_on.filter(|r| *r != from) {
        return vec![FieldError::forbidden(
            "spec.seedName",
            &format!("a control plane migration from seed {running_on:?} to {from:?} is still in progress"),
        )];
    }
    let provider = |seed: &str| {
        lookup
            .get(CORE, "seeds", "", seed)
            .and_then(|s| s.pointer("/spec/provider/type").and_then(Value::as_str).map(str::to_string))
    };
    match (provider(&from), provider(&to)) {
        (Some(a), Some(b)) if a != b => vec![FieldError::forbidden(
            "spec.seedName",
            &format!("cannot move the control plane from seed {from:?} (provider {a:?}) to seed {to:?} (provider {b:?}): migration needs the same provider type"),
        )],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::json;

    fn lookup() -> FakeLookup {
        FakeLookup::default()
            .with(CORE, "projects", json!({"metadata": {"name": "dev"}, "spec": {"namespace": "garden-dev"}}))
            .with(
                CORE,
                "projects",
                json!({"metadata": {"name": "old", "deletionTimestamp": "2025-01-01T00:00:00Z"}, "spec": {"namespace": "garden-old"}}),
            )
            .with(
                CORE,
                "cloudprofiles",
                json!({"metadata": {"name": "local"}, "spec": {
                    "type": "local",
                    "kubernetes": {"versions": [{"version": "1.33.4"}, {"version": "1.32.9", "expirationDate": "2020-01-01T00:00:00Z"}]},
                    "machineImages": [{"name": "local", "versions": [{"version": "1.0.0"}]}],
                    "machineTypes": [{"name": "small", "cpu": "1", "gpu": "0", "memory": "2Gi", "architecture": "amd64"}],
                    "regions": [{"name": "local"}]
                }}),
            )
            .with(CORE, "seeds", json!({"metadata": {"name": "seed-a"}, "spec": {"provider": {"type": "local"}}}))
            .with(CORE, "seeds", json!({"metadata": {"name": "seed-b"}, "spec": {"provider": {"type": "local"}}}))
            .with(CORE, "seeds", json!({"metadata": {"name": "seed-aws"}, "spec": {"provider": {"type": "aws"}}}))
    }

    fn shoot(ns: &str, name: &str) -> Value {
        json!({
            "apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "cloudProfile": {"kind": "CloudProfile", "name": "local"}, "region": "local",
                "provider": {"type": "local", "workers": [{"name": "w", "minimum": 1, "maximum": 2,
                    "machine": {"type": "small", "architecture": "amd64", "image": {"name": "local", "version": "1.0.0"}}}]},
                "kubernetes": {"version": "1.33.4"}
            }
        })
    }

    fn create(obj: Value) -> Result<Option<Value>, ApiError> {
        admit(&ShootValidator, &lookup(), Operation::Create, CORE, "shoots", "", Some(obj), None)
    }

    fn update(sub: &str, new: Value, old: Value) -> Result<Option<Value>, ApiError> {
        admit(&ShootValidator, &lookup(), Operation::Update, CORE, "shoots", sub, Some(new), Some(old))
    }

    fn fields(e: &ApiError) -> Vec<String> {
        e.details.as_ref().unwrap()["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn valid_shoot_admitted() {
        create(shoot("garden-dev", "s1")).unwrap();
    }

    #[test]
    fn project_must_exist_and_not_be_deleting() {
        let e = create(shoot("garden-nope", "s1")).unwrap_err();
        assert_eq!(e.code, 403);
        assert!(e.message.contains("could not find project"), "{e}");
        let e = create(shoot("garden-old", "s1")).unwrap_err();
        assert_eq!(e.code, 403);
        assert!(e.message.contains("already marked for deletion"), "{e}");
    }

    #[test]
    fn name_length_limited() {
        let e = create(shoot("garden-dev", "a-very-long-shoot-name")).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(fields(&e), ["metadata.name"]);
    }

    #[test]
    fn unknown_machine_type_refused_with_field_path() {
        let mut s = shoot("garden-dev", "s1");
        s["spec"]["provider"]["workers"][0]["machine"]["type"] = json!("huge");
        let e = create(s).unwrap_err();
        assert_eq!(e.code, 422);
        assert!(fields(&e).contains(&"spec.provider.workers[0].machine.type".to_string()), "{e}");
        assert!(e.message.starts_with(r#"Shoot.core.gardener.cloud "s1" is invalid"#), "{e}");
    }

    #[test]
    fn unknown_version_refused_but_unchanged_expired_version_kept() {
        let mut s = shoot("garden-dev", "s1");
        s["spec"]["kubernetes"]["version"] = json!("1.29.0");
        let e = create(s).unwrap_err();
        assert!(fields(&e).contains(&"spec.kubernetes.version".to_string()), "{e}");

        // An already running (now expired) version does not block other changes.
        let mut old = shoot("garden-dev", "s1");
        old["spec"]["kubernetes"]["version"] = json!("1.32.9");
        let mut new = old.clone();
        new["spec"]["provider"]["workers"][0]["maximum"] = json!(3);
        update("", new, old.clone()).unwrap();
        // Changed values are checked: an unknown version, an unknown machine type.
        let mut new = shoot("garden-dev", "s1");
        new["spec"]["kubernetes"]["version"] = json!("1.33.9");
        let e = update("", new, shoot("garden-dev", "s1")).unwrap_err();
        assert_eq!(fields(&e), ["spec.kubernetes.version"]);
        let mut new = shoot("garden-dev", "s1");
        new["spec"]["provider"]["workers"][0]["machine"]["type"] = json!("huge");
        let e = update("", new, shoot("garden-dev", "s1")).unwrap_err();
        assert_eq!(fields(&e), ["spec.provider.workers[0].machine.type"]);
    }

    #[test]
    fn seed_changes_are_migrations_between_seeds_of_one_provider() {
        let mut old = shoot("garden-dev", "s1");
        old["spec"]["seedName"] = json!("seed-a");
        let mut new = old.clone();
        new["spec"]["seedName"] = json!("seed-b");
        update("", new.clone(), old.clone()).unwrap();
        update("binding", new.clone(), old.clone()).unwrap();

        let mut other = old.clone();
        other["spec"]["seedName"] = json!("seed-aws");
        let e = update("", other, old.clone()).unwrap_err();
        assert_eq!(fields(&e), ["spec.seedName"]);
        assert!(e.message.contains("same provider type"), "{e}");

        // Still running on seed-0 while scheduled to seed-a: a second move waits for the first.
        let mut moving = old.clone();
        moving["status"] = json!({"seedName": "seed-0"});
        let e = update("", new, moving).unwrap_err();
        assert!(e.message.contains("still in progress"), "{e}");

        // Setting it the first time by a plain update is fine (the scheduler uses binding, but so may admins).
        let mut unset = old.clone();
        unset["spec"]["seedName"] = Value::Null;
        update("", old, unset).unwrap();
    }
}
