//! MachineClassReference: a MachineDeployment, MachineSet or Machine (MCM's `machine.sapcloud.io`) must name a
//! MachineClass that exists in its own namespace, as MCM's controllers would otherwise only report a missing
//! class later. Checked on create and, when the reference changes, on update of the main resource.
//!
//! Only references of kind `MachineClass` (the one class kind MCM still has) are resolved; the provider-specific
//! class kinds MCM used to have (`AWSMachineClass`, ...) are not served here and are left alone, so MCM's old
//! example manifests still apply. A missing class is refused with 422 Invalid, the cause naming the reference's
//! `name` field (`spec.template.spec.class.name`, for Machines `spec.class.name`): `Not found: "<name>"`.
//! Like the other plugins this reads the watch caches, which may trail etcd by a few milliseconds.

use garden_api::machine::v1alpha1::{self as machine, ClassSpec, Machine, MachineDeployment, MachineSet};
use serde::de::DeserializeOwned;
use serde_json::Value;

use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::{ApiError, FieldError};

pub struct MachineClassReference;

impl Plugin for MachineClassReference {
    fn name(&self) -> &'static str {
        "MachineClassReference"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if a.resource.group != machine::GROUP || !a.subresource.is_empty() {
            return Ok(());
        }
        if !matches!(a.operation, Operation::Create | Operation::Update) {
            return Ok(());
        }
        let (class, old, field) = match a.resource.plural {
            machine::MACHINE_DEPLOYMENTS => {
                let class = |d: &MachineDeployment| d.spec.template.spec.class.clone();
                (new_class(a, class)?, old_class(a, class)?, "spec.template.spec.class")
            }
            machine::MACHINE_SETS => {
                let class = |s: &MachineSet| s.spec.template.spec.class.clone();
                (new_class(a, class)?, old_class(a, class)?, "spec.template.spec.class")
            }
            machine::MACHINES => {
                let class = |m: &Machine| m.spec.class.clone();
                (new_class(a, class)?, old_class(a, class)?, "spec.class")
            }
            _ => return Ok(()),
        };
        let Some(class) = class else { return Ok(()) };
        if old.as_ref() == Some(&class) || being_deleted(a.obj.as_deref()) {
            return Ok(());
        }
        let resolvable = class.kind == machine::MACHINE_CLASS_KIND
            && class.api_group.as_deref().is_none_or(|g| g.is_empty() || g == machine::GROUP);
        if !resolvable || class.name.is_empty() {
            return Ok(());
        }
        if lookup.get(machine::GROUP, machine::MACHINE_CLASSES, a.namespace, &class.name).is_some() {
            return Ok(());
        }
        let cause = FieldError::not_found(format!("{field}.name"), &Value::String(class.name.clone()));
        Err(ApiError::invalid(a.resource.group, a.resource.kind, a.name, &[cause]))
    }
}

fn new_class<T: DeserializeOwned + Send + Sync + 'static>(
    a: &Attributes<'_>,
    class: impl Fn(&T) -> ClassSpec,
) -> Result<Option<ClassSpec>, ApiError> {
    Ok(a.new_as::<T>()?.map(class))
}

fn old_class<T: DeserializeOwned + Send + Sync + 'static>(
    a: &Attributes<'_>,
    class: impl Fn(&T) -> ClassSpec,
) -> Result<Option<ClassSpec>, ApiError> {
    if a.operation != Operation::Update {
        return Ok(None);
    }
    Ok(a.old_as::<T>()?.map(class))
}

/// An object whose deletion is pending (finalizers running) is not re-checked.
fn being_deleted(obj: Option<&Value>) -> bool {
    obj.and_then(|o| o.pointer("/metadata/deletionTimestamp")).is_some_and(|t| !t.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::json;

    const G: &str = machine::GROUP;

    fn class(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "ns"}, "providerSpec": {}})
    }

    fn deployment(kind: &str, class: &str) -> Value {
        json!({"metadata": {"name": "md", "namespace": "ns"},
               "spec": {"template": {"spec": {"class": {"kind": kind, "name": class}}}}})
    }

    fn machine(class: &str) -> Value {
        json!({"metadata": {"name": "m", "namespace": "ns"}, "spec": {"class": {"kind": "MachineClass", "name": class}}})
    }

    #[test]
    fn missing_classes_are_refused_on_create() {
        let l = FakeLookup::default().with(G, "machineclasses", class("mc"));
        let create = |plural: &str, obj: Value| {
            admit(&MachineClassReference, &l, Operation::Create, G, plural, "", Some(obj), None)
        };
        create("machinedeployments", deployment("MachineClass", "mc")).unwrap();
        create("machinesets", deployment("MachineClass", "mc")).unwrap();
        create("machines", machine("mc")).unwrap();

        let e = create("machinedeployments", deployment("MachineClass", "nope")).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            r#"MachineDeployment.machine.sapcloud.io "md" is invalid: spec.template.spec.class.name: Not found: "nope""#
        );
        let causes = e.details.unwrap()["causes"].clone();
        assert_eq!(causes[0]["field"], json!("spec.template.spec.class.name"));
        assert_eq!(causes[0]["reason"], json!("FieldValueNotFound"));

        let e = create("machinesets", deployment("MachineClass", "nope")).unwrap_err();
        assert!(e.message.contains("spec.template.spec.class.name: Not found"), "{}", e.message);
        let e = create("machines", machine("nope")).unwrap_err();
        assert!(e.message.contains("spec.class.name: Not found"), "{}", e.message);

        // A class of the same name in another namespace does not count.
        let other =
            FakeLookup::default().with(G, "machineclasses", json!({"metadata": {"name": "mc", "namespace": "other"}}));
        admit(&MachineClassReference, &other, Operation::Create, G, "machines", "", Some(machine("mc")), None)
            .unwrap_err();
    }

    #[test]
    fn other_class_kinds_and_unchanged_references_are_not_resolved() {
        let l = FakeLookup::default();
        admit(
            &MachineClassReference,
            &l,
            Operation::Create,
            G,
            "machinedeployments",
            "",
            Some(deployment("AWSMachineClass", "x")),
            None,
        )
        .unwrap();
        let old = deployment("MachineClass", "gone");
        let mut new = old.clone();
        new["spec"]["replicas"] = json!(3);
        admit(&MachineClassReference, &l, Operation::Update, G, "machinedeployments", "", Some(new), Some(old.clone()))
            .unwrap();
        let changed = deployment("MachineClass", "other");
        admit(&MachineClassReference, &l, Operation::Update, G, "machinedeployments", "", Some(changed), Some(old))
            .unwrap_err();
        // Status writes and deletes are never checked.
        let obj = deployment("MachineClass", "gone");
        admit(
            &MachineClassReference,
            &l,
            Operation::Update,
            G,
            "machinedeployments",
            "status",
            Some(obj.clone()),
            Some(obj.clone()),
        )
        .unwrap();
        admit(&MachineClassReference, &l, Operation::Delete, G, "machinedeployments", "", None, Some(obj)).unwrap();
    }
}
