//! The project namespace as a pure function of the Project, and Gardener's rules for adopting
//! and releasing an existing namespace.

use std::collections::BTreeMap;

use garden_api::constants::{LABEL_PROJECT_NAME, LABEL_ROLE, PROJECT_NAMESPACE_PREFIX, ROLE_PROJECT};
use garden_api::core::v1beta1::Project;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::rbac::{merge_owner_reference, owner_reference};

/// Annotation holding the UID of the Project using the namespace.
pub const ANNOTATION_PROJECT: &str = "namespace.gardener.cloud/project";
/// Annotation: keep the namespace (release it) when the Project is deleted. Set on adoption.
pub const ANNOTATION_KEEP_AFTER_PROJECT_DELETION: &str = "namespace.gardener.cloud/keep-after-project-deletion";
/// Annotation marking namespaces the project controller created itself.
pub const ANNOTATION_CREATED_BY_PROJECT_CONTROLLER: &str = "namespace.gardener.cloud/created-by-project-controller";

/// The namespace name of `project`: `spec.namespace`, else `garden-<name>`.
pub fn namespace_name(project: &Project) -> String {
    match project.spec.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => ns.to_string(),
        _ => format!("{PROJECT_NAMESPACE_PREFIX}{}", project.metadata.name.as_deref().unwrap_or_default()),
    }
}

/// Labels a project namespace must carry.
pub fn namespace_labels(project: &Project) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_ROLE.to_string(), ROLE_PROJECT.to_string()),
        (LABEL_PROJECT_NAME.to_string(), project.metadata.name.clone().unwrap_or_default()),
    ])
}

fn namespace_annotations(project: &Project) -> BTreeMap<String, String> {
    BTreeMap::from([(ANNOTATION_PROJECT.to_string(), project.metadata.uid.clone().unwrap_or_default())])
}

/// The namespace to create for `project` when none exists.
pub fn desired_namespace(project: &Project) -> Namespace {
    let mut annotations = namespace_annotations(project);
    annotations.insert(ANNOTATION_CREATED_BY_PROJECT_CONTROLLER.into(), "true".into());
    Namespace {
        metadata: ObjectMeta {
            name: Some(namespace_name(project)),
            labels: Some(namespace_labels(project)),
            annotations: Some(annotations),
            owner_references: Some(vec![owner_reference(project)]),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn has_all(have: &Option<BTreeMap<String, String>>, want: &BTreeMap<String, String>) -> bool {
    want.iter().all(|(k, v)| have.as_ref().and_then(|h| h.get(k)) == Some(v))
}

/// Gardener's adoption rule for an existing namespace. `Err(reason)`: the namespace may not be
/// used by this project; `Ok(None)`: nothing to change; `Ok(Some(ns))`: update it to this.
///
/// The namespace must already carry the project labels (`gardener.cloud/role=project`,
/// `project.gardener.cloud/name=<name>`), so nobody can take over an arbitrary namespace by
/// naming it in `spec.namespace`, and must not be annotated as used by a Project with another UID.
/// Adopting adds the ownerReference and annotations; a namespace not created by the controller
/// gets `keep-after-project-deletion=true`.
pub fn adopt_namespace(existing: &Namespace, project: &Project) -> Result<Option<Namespace>, String> {
    let name = project.metadata.name.clone().unwrap_or_default();
    let labels = namespace_labels(project);
    if !has_all(&existing.metadata.labels, &labels) {
        let owner = existing.metadata.labels.as_ref().and_then(|l| l.get(LABEL_PROJECT_NAME));
        return Err(match owner {
            Some(other) if *other != name => {
                format!("namespace is already in-use by another project ({LABEL_PROJECT_NAME}={other})")
            }
            _ => format!(
                "namespace cannot be used as it needs the project labels {}",
                labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
            ),
        });
    }
    let annotations = namespace_annotations(project);
    let annotated = existing.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(ANNOTATION_PROJECT));
    if annotated && !has_all(&existing.metadata.annotations, &annotations) {
        return Err("namespace is already in-use by another project".into());
    }

    let mut out = existing.clone();
    let mut changed = merge_owner_reference(&mut out.metadata, &owner_reference(project));
    let ann = out.metadata.annotations.get_or_insert_with(BTreeMap::new);
    for (k, v) in annotations {
        if ann.get(&k) != Some(&v) {
            ann.insert(k, v);
            changed = true;
        }
    }
    if !ann.contains_key(ANNOTATION_CREATED_BY_PROJECT_CONTROLLER)
        && ann.get(ANNOTATION_KEEP_AFTER_PROJECT_DELETION).map(String::as_str) != Some("true")
    {
        ann.insert(ANNOTATION_KEEP_AFTER_PROJECT_DELETION.into(), "true".into());
        changed = true;
    }
    Ok(changed.then_some(out))
}

/// What deleting the project does to its namespace.
#[derive(Clone, Debug, PartialEq)]
pub enum Release {
    /// The namespace does not belong to the project (labels differ): leave it alone.
    NotOurs,
    /// The namespace is already being deleted: wait.
    Terminating,
    /// Keep the namespace: update it to this (project labels, annotations and ownerReference removed).
    Keep(Box<Namespace>),
    /// Delete the namespace.
    Delete,
}

/// Gardener's rule for releasing the namespace of a deleted project.
pub fn release_namespace(existing: &Namespace, project: &Project) -> Release {
    if existing.metadata.deletion_timestamp.is_some() {
        return Release::Terminating;
    }
    if !has_all(&existing.metadata.labels, &namespace_labels(project)) {
        return Release::NotOurs;
    }
    let keep = existing
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_KEEP_AFTER_PROJECT_DELETION))
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    if !keep {
        return Release::Delete;
    }
    let mut out = existing.clone();
    if let Some(a) = out.metadata.annotations.as_mut() {
        for k in [ANNOTATION_PROJECT, ANNOTATION_KEEP_AFTER_PROJECT_DELETION, ANNOTATION_CREATED_BY_PROJECT_CONTROLLER]
        {
            a.remove(k);
        }
    }
    if let Some(l) = out.metadata.labels.as_mut() {
        l.remove(LABEL_PROJECT_NAME);
        l.remove(LABEL_ROLE);
    }
    let owner = owner_reference(project);
    if let Some(refs) = out.metadata.owner_references.as_mut() {
        refs.retain(|r| !(r.kind == owner.kind && r.api_version == owner.api_version && r.uid == owner.uid));
    }
    Release::Keep(Box::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use garden_api::core::v1beta1::ProjectSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn project(name: &str, namespace: Option<&str>) -> Project {
        Project {
            metadata: ObjectMeta { name: Some(name.into()), uid: Some(format!("uid-{name}")), ..Default::default() },
            spec: ProjectSpec { namespace: namespace.map(str::to_string), ..Default::default() },
            ..Default::default()
        }
    }

    fn ns(name: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Namespace {
        let map = |kv: &[(&str, &str)]| {
            (!kv.is_empty()).then(|| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        };
        Namespace {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: map(labels),
                annotations: map(annotations),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn namespace_defaults_to_garden_name() {
        assert_eq!(namespace_name(&project("dev", None)), "garden-dev");
        assert_eq!(namespace_name(&project("dev", Some(""))), "garden-dev");
        assert_eq!(namespace_name(&project("dev", Some("custom"))), "custom");
    }

    #[test]
    fn desired_namespace_is_labelled_annotated_and_owned() {
        let d = desired_namespace(&project("dev", None));
        assert_eq!(d.metadata.name.as_deref(), Some("garden-dev"));
        let labels = d.metadata.labels.unwrap();
        assert_eq!(labels[LABEL_PROJECT_NAME], "dev");
        assert_eq!(labels[LABEL_ROLE], "project");
        let ann = d.metadata.annotations.unwrap();
        assert_eq!(ann[ANNOTATION_PROJECT], "uid-dev");
        assert_eq!(ann[ANNOTATION_CREATED_BY_PROJECT_CONTROLLER], "true");
        assert!(!ann.contains_key(ANNOTATION_KEEP_AFTER_PROJECT_DELETION));
        let owner = &d.metadata.owner_references.unwrap()[0];
        assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()), ("Project", "dev", "uid-dev"));
    }

    #[test]
    fn own_namespace_is_unchanged() {
        let p = project("dev", None);
        assert_eq!(adopt_namespace(&desired_namespace(&p), &p), Ok(None));
    }

    #[test]
    fn namespace_of_another_project_is_refused() {
        let p = project("dev", Some("shared"));
        let other = ns("shared", &[(LABEL_PROJECT_NAME, "other"), (LABEL_ROLE, "project")], &[]);
        let err = adopt_namespace(&other, &p).unwrap_err();
        assert!(err.contains("in-use by another project"), "{err}");
        assert!(err.contains("other"), "{err}");

        // Same labels but annotated with another project's UID (a deleted and recreated project
        // of the same name is a different project).
        let taken =
            ns("shared", &[(LABEL_PROJECT_NAME, "dev"), (LABEL_ROLE, "project")], &[(ANNOTATION_PROJECT, "uid-old")]);
        assert!(adopt_namespace(&taken, &p).unwrap_err().contains("in-use by another project"));
    }

    #[test]
    fn unlabelled_namespace_is_refused() {
        let p = project("dev", Some("kube-system"));
        let err = adopt_namespace(&ns("kube-system", &[], &[]), &p).unwrap_err();
        assert!(err.contains("needs the project labels"), "{err}");
    }

    #[test]
    fn labelled_namespace_is_adopted_and_kept() {
        let p = project("dev", Some("pre"));
        let existing = ns("pre", &[(LABEL_PROJECT_NAME, "dev"), (LABEL_ROLE, "project"), ("x", "y")], &[]);
        let adopted = adopt_namespace(&existing, &p).unwrap().expect("update");
        let ann = adopted.metadata.annotations.as_ref().unwrap();
        assert_eq!(ann[ANNOTATION_PROJECT], "uid-dev");
        assert_eq!(ann[ANNOTATION_KEEP_AFTER_PROJECT_DELETION], "true");
        assert_eq!(adopted.metadata.labels.as_ref().unwrap()["x"], "y");
        assert_eq!(adopted.metadata.owner_references.as_ref().unwrap().len(), 1);
        // Idempotent.
        assert_eq!(adopt_namespace(&adopted, &p), Ok(None));

        // On deletion the adopted namespace is kept, stripped of the project's marks.
        match release_namespace(&adopted, &p) {
            Release::Keep(kept) => {
                let labels = kept.metadata.labels.as_ref().unwrap();
                assert!(!labels.contains_key(LABEL_PROJECT_NAME));
                assert_eq!(labels["x"], "y");
                assert!(kept.metadata.annotations.as_ref().unwrap().is_empty());
                assert!(kept.metadata.owner_references.as_ref().unwrap().is_empty());
            }
            other => panic!("expected keep, got {other:?}"),
        }
    }

    #[test]
    fn release_rules() {
        let p = project("dev", None);
        let own = desired_namespace(&p);
        assert_eq!(release_namespace(&own, &p), Release::Delete);
        let mut terminating = own.clone();
        terminating.metadata.deletion_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH));
        assert_eq!(release_namespace(&terminating, &p), Release::Terminating);
        let foreign = ns("garden-dev", &[(LABEL_PROJECT_NAME, "other"), (LABEL_ROLE, "project")], &[]);
        assert_eq!(release_namespace(&foreign, &p), Release::NotOurs);
    }
}
