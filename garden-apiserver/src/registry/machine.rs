//! MCM's kinds (gardener/machine-controller-manager): `machine.sapcloud.io/v1alpha1` MachineClass,
//! MachineDeployment, MachineSet and Machine, served as MCM's CRDs serve them: the same names, short names,
//! status and scale subresources and printer columns.

use garden_api::machine::v1alpha1 as machine;
use serde_json::Value;

use api_machinery::error::FieldError;
use api_machinery::registry::{Column, ResourceType, ScalePaths, Strategy, TypedCodec};

use super::with_typed;

const GROUP: &str = machine::GROUP;

#[allow(clippy::too_many_arguments)]
fn rt(
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    short_name: &'static [&'static str],
    subresources: &'static [&'static str],
    scale: Option<ScalePaths>,
    codec: Box<dyn api_machinery::registry::Codec>,
    strategy: Box<dyn Strategy>,
) -> ResourceType {
    ResourceType {
        group: GROUP,
        version: machine::VERSION,
        kind,
        plural,
        singular,
        namespaced: true,
        short_names: short_name,
        categories: &[],
        subresources,
        actions: &[],
        create_only: false,
        scale,
        codec,
        strategy,
    }
}

pub fn types() -> Vec<ResourceType> {
    vec![
        rt(
            "MachineClass",
            machine::MACHINE_CLASSES,
            "machineclass",
            &["mcc"],
            &[],
            None,
            TypedCodec::<machine::MachineClass>::boxed(),
            Box::new(MachineClassStrategy),
        ),
        rt(
            "MachineDeployment",
            machine::MACHINE_DEPLOYMENTS,
            "machinedeployment",
            &["mcd"],
            &["status", "scale"],
            Some(ScalePaths::REPLICAS),
            TypedCodec::<machine::MachineDeployment>::with_defaults(machine::default_machine_deployment),
            Box::new(MachineDeploymentStrategy),
        ),
        rt(
            "MachineSet",
            machine::MACHINE_SETS,
            "machineset",
            &["mcs"],
            &["status", "scale"],
            Some(ScalePaths::REPLICAS),
            TypedCodec::<machine::MachineSet>::boxed(),
            Box::new(MachineSetStrategy),
        ),
        rt(
            "Machine",
            machine::MACHINES,
            "machine",
            &["mc"],
            &["status"],
            None,
            TypedCodec::<machine::Machine>::boxed(),
            Box::new(MachineStrategy),
        ),
    ]
}

/// The value at `pointer`, or null (kubectl prints `<none>`), as kube's CRD printer columns do.
fn at(obj: &Value, pointer: &str) -> Value {
    obj.pointer(pointer).cloned().unwrap_or(Value::Null)
}

const AGE: Column =
    Column::date("Age", "CreationTimestamp is a timestamp representing the server time when this object was created.");

/// MCM's CRD has no printer columns: NAME and AGE.
struct MachineClassStrategy;
impl Strategy for MachineClassStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed(obj, machine::validation::validate_machine_class)
    }
}

struct MachineDeploymentStrategy;
impl Strategy for MachineDeploymentStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed(obj, machine::validation::validate_machine_deployment)
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::integer("Ready", "Total number of ready machines targeted by this machine deployment."),
            Column::integer("Desired", "Number of desired machines."),
            Column::integer(
                "Up-to-date",
                "Total number of non-terminated machines targeted by this machine deployment that have the desired template spec.",
            ),
            Column::integer(
                "Available",
                "Total number of available machines (ready for at least minReadySeconds) targeted by this machine deployment.",
            ),
            AGE,
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            at(obj, "/status/readyReplicas"),
            at(obj, "/spec/replicas"),
            at(obj, "/status/updatedReplicas"),
            at(obj, "/status/availableReplicas"),
            at(obj, "/metadata/creationTimestamp"),
        ]
    }
}

struct MachineSetStrategy;
impl Strategy for MachineSetStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed(obj, machine::validation::validate_machine_set)
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::integer("Desired", "Number of desired replicas."),
            Column::integer("Current", "Number of actual replicas."),
            Column::integer("Ready", "Number of ready replicas for this machine set."),
            AGE,
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            at(obj, "/spec/replicas"),
            at(obj, "/status/replicas"),
            at(obj, "/status/readyReplicas"),
            at(obj, "/metadata/creationTimestamp"),
        ]
    }
}

struct MachineStrategy;
impl Strategy for MachineStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed(obj, machine::validation::validate_machine)
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Status", "Current status of the machine."),
            AGE,
            Column::new("Node", "Node backing the machine object"),
            Column::wide("ProviderID", "ProviderID of the infra instance backing the machine object"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let node = obj.pointer("/metadata/labels").and_then(|l| l.get(machine::NODE_LABEL_KEY)).cloned();
        vec![
            at(obj, "/status/currentStatus/phase"),
            at(obj, "/metadata/creationTimestamp"),
            node.unwrap_or(Value::Null),
            at(obj, "/spec/providerID"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use api_machinery::registry::table;

    use crate::profiles::ApiProfile;

    fn served(plural: &str) -> std::sync::Arc<ResourceType> {
        ApiProfile::Garden.registry().lookup(GROUP, "v1alpha1", plural).cloned().expect("served")
    }

    #[test]
    fn served_in_the_standard_profile_only() {
        for plural in ["machineclasses", "machinedeployments", "machinesets", "machines"] {
            assert!(ApiProfile::Garden.registry().lookup(GROUP, "v1alpha1", plural).is_some(), "{plural}");
            assert!(ApiProfile::Shoot.registry().lookup(GROUP, "v1alpha1", plural).is_none(), "{plural}");
        }
        let md = served("machinedeployments");
        assert_eq!((md.short_names, md.subresources), (&["mcd"][..], &["status", "scale"][..]));
        assert_eq!(md.scale, Some(ScalePaths::REPLICAS));
        assert_eq!(served("machines").short_names, &["mc"]);
        assert_eq!(served("machineclasses").scale, None);
    }

    #[test]
    fn strategy_defaults_run_in_the_codec() {
        let md = served("machinedeployments");
        let (obj, unknown) = md
            .codec
            .decode(json!({"apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "MachineDeployment",
                "metadata": {"name": "a"}, "spec": {"template": {"spec": {"class": {"kind": "MachineClass", "name": "c"}}}}}))
            .unwrap();
        assert!(unknown.is_empty());
        assert_eq!(
            obj["spec"]["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
        );
    }

    #[test]
    fn unknown_fields_are_found_beside_the_inlined_configuration() {
        let m = served("machines");
        let (obj, unknown) = m
            .codec
            .decode(json!({"apiVersion": "machine.sapcloud.io/v1alpha1", "kind": "Machine", "metadata": {"name": "a"},
                "spec": {"class": {"kind": "MachineClass", "name": "c"}, "drainTimeout": "5m", "bogus": 1}}))
            .unwrap();
        assert_eq!(obj["spec"]["drainTimeout"], json!("5m"));
        assert!(obj["spec"].get("bogus").is_none());
        assert_eq!(unknown, vec!["spec.bogus".to_string()]);
    }

    #[test]
    fn machine_columns_follow_mcm_with_age_in_the_middle() {
        let m = served("machines");
        let obj = json!({"metadata": {"name": "m1", "creationTimestamp": "2020-01-01T00:00:00Z", "labels": {"node": "n1"}},
            "spec": {"providerID": "p"}, "status": {"currentStatus": {"phase": "Running"}}});
        let t = table::table(&m, &[&obj], table::IncludeObject::None, json!({}));
        let names: Vec<&str> =
            t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["Name", "Status", "Age", "Node", "ProviderID"]);
        let cells = t["rows"][0]["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 5);
        assert_eq!((cells[1].clone(), cells[3].clone(), cells[4].clone()), (json!("Running"), json!("n1"), json!("p")));
        assert!(cells[2].as_str().unwrap().ends_with('y') || cells[2].as_str().unwrap().contains('y'), "{}", cells[2]);

        let md = served("machinedeployments");
        let obj =
            json!({"metadata": {"name": "d", "creationTimestamp": "2020-01-01T00:00:00Z"}, "spec": {"replicas": 3}});
        let t = table::table(&md, &[&obj], table::IncludeObject::None, json!({}));
        let names: Vec<&str> =
            t["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["Name", "Ready", "Desired", "Up-to-date", "Available", "Age"]);
        assert_eq!(t["rows"][0]["cells"][2], json!(3));
        assert_eq!(t["rows"][0]["cells"][1], Value::Null);
    }
}
