//! The everyday verbs on shoots: create from a manifest, hibernate, wake, reconcile, retry, delete.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use garden_api::core::v1beta1::Shoot;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::garden::Garden;
use crate::picker;
use crate::UsageError;

/// Gardener's annotations.
const OPERATION_ANNOTATION: &str = "gardener.cloud/operation";
const CONFIRM_DELETION_ANNOTATION: &str = "confirmation.gardener.cloud/deletion";

/// The documents of a manifest file (`-` for stdin), every one checked to be an object with apiVersion, kind and
/// name before anything is sent.
pub fn read_manifest(path: &Path) -> Result<Vec<Value>> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading the manifest from stdin")?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let mut docs = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(&text).enumerate() {
        let value = Value::deserialize(doc)
            .with_context(|| format!("{}: document {} is not valid YAML", path.display(), i + 1))?;
        if value.is_null() {
            continue;
        }
        let obj =
            value.as_object().with_context(|| format!("{}: document {} is not an object", path.display(), i + 1))?;
        for field in ["apiVersion", "kind"] {
            if obj.get(field).and_then(Value::as_str).unwrap_or_default().is_empty() {
                bail!("{}: document {} has no {field}", path.display(), i + 1);
            }
        }
        if value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().is_empty() {
            bail!(
                "{}: document {} ({}) has no metadata.name",
                path.display(),
                i + 1,
                value["kind"].as_str().unwrap_or_default()
            );
        }
        docs.push(value);
    }
    let shoots = docs.iter().filter(|d| d["kind"] == "Shoot").count();
    if shoots != 1 {
        bail!("{} holds {shoots} Shoots; create shoot takes a manifest with exactly one", path.display());
    }
    Ok(docs)
}

/// Creates the documents, in their order, in `namespace` where they name none. Objects other than the Shoot that
/// exist already are left as they are. When one is refused, the ones this call created are deleted again, so a
/// refused manifest leaves nothing half-created. Returns the Shoot's namespace and name.
pub async fn create(garden: &Garden, docs: Vec<Value>, namespace: Option<&str>) -> Result<(String, String)> {
    let mut planned = Vec::new();
    for mut doc in docs {
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        let ns = match doc.pointer("/metadata/namespace").and_then(Value::as_str).filter(|n| !n.is_empty()) {
            Some(ns) => ns.to_string(),
            None => {
                let ns = namespace.with_context(|| {
                    format!("{kind} {name} names no namespace and no project is targeted: run gardenctl target project NAME")
                })?;
                doc["metadata"]["namespace"] = json!(ns);
                ns.to_string()
            }
        };
        let (group, version) = match doc["apiVersion"].as_str().unwrap_or_default().split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), doc["apiVersion"].as_str().unwrap_or_default().to_string()),
        };
        let gvk = GroupVersionKind::gvk(&group, &version, &kind);
        let (resource, caps) = kube::discovery::pinned_kind(&garden.client, &gvk).await.map_err(|e| match e {
            kube::Error::Discovery(_) => {
                anyhow::anyhow!("the garden does not serve kind {kind} of {}", doc["apiVersion"])
            }
            other => garden.error(other, &format!("looking up kind {kind}")),
        })?;
        let api: Api<DynamicObject> = if caps.scope == kube::discovery::Scope::Namespaced {
            Api::namespaced_with(garden.client.clone(), &ns, &resource)
        } else {
            Api::all_with(garden.client.clone(), &resource)
        };
        let object: DynamicObject = serde_json::from_value(doc).with_context(|| format!("{kind} {name}"))?;
        planned.push((kind, name, ns, api, object));
    }
    let mut created: Vec<(&str, &str, &str, &Api<DynamicObject>)> = Vec::new();
    let mut shoot = None;
    for (kind, name, ns, api, object) in &planned {
        match api.create(&PostParams::default(), object).await {
            Ok(_) => {
                eprintln!("{} {ns}/{name} created", kind.to_lowercase());
                created.push((kind, name, ns, api));
                if kind == "Shoot" {
                    shoot = Some((ns.clone(), name.clone()));
                }
            }
            Err(kube::Error::Api(e)) if e.code == 409 && kind != "Shoot" => {
                eprintln!("{} {ns}/{name} exists, left unchanged", kind.to_lowercase());
            }
            Err(e) => {
                let error = match e {
                    kube::Error::Api(e) if e.code == 409 => {
                        anyhow::anyhow!("shoot {ns}/{name} exists already (gardenctl wait shoot {name} follows it)")
                    }
                    e => garden.error(e, &format!("{kind} {ns}/{name} is refused")),
                };
                for (kind, name, ns, api) in created.iter().rev() {
                    if *kind == "Shoot" {
                        let confirm = json!({"metadata": {"annotations": {CONFIRM_DELETION_ANNOTATION: "true"}}});
                        let _ = api.patch(name, &PatchParams::default(), &Patch::Merge(&confirm)).await;
                    }
                    match api.delete(name, &DeleteParams::default()).await {
                        Ok(_) => eprintln!("{} {ns}/{name} deleted again", kind.to_lowercase()),
                        Err(e) => {
                            eprintln!("warning: {}", garden.error(e, &format!("deleting {kind} {ns}/{name} again")))
                        }
                    }
                }
                return Err(error);
            }
        }
    }
    shoot.context("the manifest's Shoot was not created")
}

/// The verbs that change a shoot's spec or annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Hibernate,
    Wake,
    Reconcile,
    Retry,
}

/// Applies `verb` to the shoot.
pub async fn apply(garden: &Garden, shoot: &Shoot, verb: Verb) -> Result<()> {
    let ns = shoot.metadata.namespace.clone().unwrap_or_default();
    let name = shoot.metadata.name.clone().unwrap_or_default();
    let patch = match verb {
        Verb::Hibernate => json!({"spec": {"hibernation": {"enabled": true}}}),
        Verb::Wake => json!({"spec": {"hibernation": {"enabled": false}}}),
        Verb::Reconcile => json!({"metadata": {"annotations": {OPERATION_ANNOTATION: "reconcile"}}}),
        Verb::Retry => {
            let state = shoot.status.as_ref().and_then(|s| s.last_operation.as_ref()).map(|o| o.state.as_str());
            if !matches!(state, Some("Failed") | Some("Error")) {
                bail!(
                    "shoot {ns}/{name} has no failed operation to retry (last operation: {}); gardenctl reconcile \
                     shoot {name} reconciles it anyway",
                    state.unwrap_or("none")
                );
            }
            json!({"metadata": {"annotations": {OPERATION_ANNOTATION: "retry"}}})
        }
    };
    let api: Api<Shoot> = Api::namespaced(garden.client.clone(), &ns);
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| garden.error(e, &format!("updating shoot {ns}/{name}")))?;
    Ok(())
}

/// Deletes the shoot after confirmation (`yes`, else typing its name on a terminal): sets Gardener's deletion
/// confirmation annotation, then deletes.
pub async fn delete(garden: &Garden, shoot: &Shoot, yes: bool) -> Result<()> {
    let ns = shoot.metadata.namespace.clone().unwrap_or_default();
    let name = shoot.metadata.name.clone().unwrap_or_default();
    if !yes {
        if !picker::interactive() {
            return Err(UsageError(format!(
                "deleting shoot {ns}/{name} needs confirmation: pass --yes (no terminal to ask on)"
            ))
            .into());
        }
        let typed: String = dialoguer::Input::new()
            .with_prompt(format!("Delete shoot {ns}/{name} and everything in it? Type its name to confirm"))
            .allow_empty(true)
            .interact_text()?;
        if typed.trim() != name {
            bail!("not confirmed: shoot {ns}/{name} was not deleted");
        }
    }
    let api: Api<Shoot> = Api::namespaced(garden.client.clone(), &ns);
    let patch = json!({"metadata": {"annotations": {CONFIRM_DELETION_ANNOTATION: "true"}}});
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| garden.error(e, &format!("confirming the deletion of shoot {ns}/{name}")))?;
    api.delete(&name, &DeleteParams::default())
        .await
        .map_err(|e| garden.error(e, &format!("deleting shoot {ns}/{name}")))?;
    Ok(())
}
