//! `gardenctl ls projects|shoots|seeds`: Gardener's printer columns, or the objects with `-o json|yaml`.

use anyhow::Result;
use garden_api::core::v1beta1::{Project, Seed, Shoot};
use serde::Serialize;

use crate::cli::{Listable, LsArgs};
use crate::garden::{self, Garden};
use crate::output::{self, age};
use crate::session::Target;
use crate::target;

/// The shoot status label the gardenlet maintains.
const STATUS_LABEL: &str = "shoot.gardener.cloud/status";

pub async fn run(garden: &Garden, t: &Target, args: &LsArgs) -> Result<()> {
    match args.what {
        Listable::Projects => {
            let projects = garden.projects().await?;
            print(&projects, args, project_table)
        }
        Listable::Seeds => {
            let seeds = garden.seeds().await?;
            print(&seeds, args, seed_table)
        }
        Listable::Shoots => {
            let ns = match (args.all_projects, t.project.as_str()) {
                (false, p) if !p.is_empty() => Some(target::project_namespace(garden, p).await?),
                _ => None,
            };
            let mut shoots = garden.shoots(ns.as_deref()).await?;
            if ns.is_none() && !t.seed.is_empty() && !args.all_projects {
                shoots.retain(|s| target::seed_of(s).as_deref() == Some(t.seed.as_str()));
            }
            let all = ns.is_none();
            print(&shoots, args, |s| shoot_table(s, all))
        }
    }
}

fn print<T: Serialize>(items: &[T], args: &LsArgs, table: impl Fn(&[T]) -> String) -> Result<()> {
    match args.output.output {
        Some(format) => output::print(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}), format),
        None if items.is_empty() => {
            eprintln!("No resources found.");
            Ok(())
        }
        None => {
            print!("{}", table(items));
            Ok(())
        }
    }
}

fn project_table(projects: &[Project]) -> String {
    let rows: Vec<Vec<String>> = projects
        .iter()
        .map(|p| {
            let subject =
                |s: Option<&k8s_openapi::api::rbac::v1::Subject>| s.map(|s| s.name.clone()).unwrap_or_default();
            vec![
                p.metadata.name.clone().unwrap_or_default(),
                garden::namespace_of(p),
                p.status.as_ref().map(|s| s.phase.clone()).unwrap_or_default(),
                subject(p.spec.owner.as_ref()),
                subject(p.spec.created_by.as_ref()),
                age(p.metadata.creation_timestamp.as_ref()),
            ]
        })
        .collect();
    output::table(&["NAME", "NAMESPACE", "STATUS", "OWNER", "CREATOR", "AGE"], &rows)
}

fn seed_table(seeds: &[Seed]) -> String {
    let rows: Vec<Vec<String>> = seeds
        .iter()
        .map(|s| {
            let status = s.status.clone().unwrap_or_default();
            let ready = status.conditions.iter().find(|c| c.type_ == "GardenletReady").map(|c| c.status.as_str());
            vec![
                s.metadata.name.clone().unwrap_or_default(),
                match ready {
                    Some("True") => "Ready".to_string(),
                    Some(_) => "NotReady".to_string(),
                    None => "Unknown".to_string(),
                },
                s.spec.provider.type_.clone(),
                s.spec.provider.region.clone(),
                age(s.metadata.creation_timestamp.as_ref()),
                status.gardener.map(|g| g.version).unwrap_or_default(),
                status.kubernetes_version.unwrap_or_default(),
            ]
        })
        .collect();
    output::table(&["NAME", "STATUS", "PROVIDER", "REGION", "AGE", "VERSION", "K8S VERSION"], &rows)
}

fn shoot_table(shoots: &[Shoot], with_namespace: bool) -> String {
    let rows: Vec<Vec<String>> = shoots
        .iter()
        .map(|s| {
            let status = s.status.clone().unwrap_or_default();
            let op = status
                .last_operation
                .map(|o| format!("{} {} ({}%)", o.type_, o.state, o.progress))
                .unwrap_or_else(|| "Pending".into());
            let hibernation =
                match (s.spec.hibernation.as_ref().and_then(|h| h.enabled).unwrap_or(false), status.hibernated) {
                    (true, true) => "Hibernated",
                    (true, false) => "Hibernating",
                    (false, true) => "Waking Up",
                    (false, false) => "Awake",
                };
            let label = s.metadata.labels.as_ref().and_then(|l| l.get(STATUS_LABEL)).cloned().unwrap_or_default();
            let mut row = Vec::new();
            if with_namespace {
                row.push(s.metadata.namespace.clone().unwrap_or_default());
            }
            row.extend([
                s.metadata.name.clone().unwrap_or_default(),
                s.spec
                    .cloud_profile
                    .as_ref()
                    .map(|c| c.name.clone())
                    .or(s.spec.cloud_profile_name.clone())
                    .unwrap_or_default(),
                s.spec.provider.type_.clone(),
                s.spec.region.clone(),
                s.spec.kubernetes.version.clone(),
                hibernation.to_string(),
                op,
                label,
                age(s.metadata.creation_timestamp.as_ref()),
            ]);
            row
        })
        .collect();
    let mut headers = vec![];
    if with_namespace {
        headers.push("NAMESPACE");
    }
    headers.extend([
        "NAME",
        "CLOUDPROFILE",
        "PROVIDER",
        "REGION",
        "K8S VERSION",
        "HIBERNATION",
        "LAST OPERATION",
        "STATUS",
        "AGE",
    ]);
    output::table(&headers, &rows)
}
