//! BackupEntryProtection: the BackupEntry of a living Shoot (named `<technicalID>--<shootUID>`, labelled with the
//! shoot's name) holds that shoot's etcd snapshots. It is deleted only together with the shoot (the gardenlet
//! deletes it once the shoot carries a deletionTimestamp, and its snapshots go after the backup grace period), so
//! a delete while the shoot lives is refused and nothing changes.

use serde_json::Value;

use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::ApiError;

/// The label tying an entry to its shoot (set by the gardenlet).
pub const SHOOT_NAME_LABEL: &str = "shoot.gardener.cloud/name";

pub struct BackupEntryProtection;

impl Plugin for BackupEntryProtection {
    fn name(&self) -> &'static str {
        "BackupEntryProtection"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if a.operation != Operation::Delete || !a.is("core.gardener.cloud", "backupentries") {
            return Ok(());
        }
        let Some(shoot_name) =
            a.old.and_then(|o| o.pointer(&format!("/metadata/labels/{}", SHOOT_NAME_LABEL.replace('/', "~1"))))
        else {
            return Ok(());
        };
        let Some(shoot_name) = shoot_name.as_str() else { return Ok(()) };
        let Some(shoot) = lookup.get("core.gardener.cloud", "shoots", a.namespace, shoot_name) else {
            return Ok(());
        };
        let uid = shoot.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default();
        let owned = !uid.is_empty() && a.name.ends_with(&format!("--{uid}"));
        let shoot_deleting = shoot.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null());
        if !owned || shoot_deleting {
            return Ok(());
        }
        Err(ApiError::forbidden(
            a.resource.group,
            a.resource.plural,
            a.name,
            &format!(
                "it holds the etcd backups of shoot {}/{shoot_name}, which still exists; it is deleted together \
                 with the shoot",
                a.namespace
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::admission::testing::{admit, FakeLookup};

    fn entry(name: &str) -> Value {
        json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "BackupEntry",
            "metadata": {"name": name, "namespace": "garden-dev", "labels": {SHOOT_NAME_LABEL: "web"}},
            "spec": {"bucketName": "b", "seedName": "local"}})
    }

    fn shoot(deleting: bool) -> Value {
        let mut s = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot",
            "metadata": {"name": "web", "namespace": "garden-dev", "uid": "u-1"}});
        if deleting {
            s["metadata"]["deletionTimestamp"] = json!("2026-12-05T00:00:00Z");
        }
        s
    }

    fn delete(lookup: &FakeLookup, name: &str) -> Result<Option<Value>, ApiError> {
        let old = Some(entry(name));
        admit(&BackupEntryProtection, lookup, Operation::Delete, "core.gardener.cloud", "backupentries", "", None, old)
    }

    #[test]
    fn the_entry_of_a_living_shoot_is_kept() {
        let lookup = FakeLookup::default().with("core.gardener.cloud", "shoots", shoot(false));
        let err = delete(&lookup, "shoot--dev--web--u-1").unwrap_err();
        assert_eq!(err.code, 403);
        assert!(err.message.contains("holds the etcd backups of shoot garden-dev/web"), "{}", err.message);
    }

    #[test]
    fn entries_of_deleted_or_other_shoots_may_go() {
        let deleting = FakeLookup::default().with("core.gardener.cloud", "shoots", shoot(true));
        delete(&deleting, "shoot--dev--web--u-1").unwrap();
        // A shoot of the same name created later has another uid: the old entry is not its.
        let living = FakeLookup::default().with("core.gardener.cloud", "shoots", shoot(false));
        delete(&living, "shoot--dev--web--u-0").unwrap();
        delete(&FakeLookup::default(), "shoot--dev--web--u-1").unwrap();
    }
}
