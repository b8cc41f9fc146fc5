//! Dynamic completion: the names of gardens (from the configuration), and of projects, seeds and shoots (read from
//! the targeted garden, within two seconds, with the user's own permissions). Called by clap_complete when the
//! shell asks (`COMPLETE=<shell> gardenctl -- ...`).

use std::ffi::OsStr;
use std::future::Future;
use std::time::Duration;

use clap_complete::engine::CompletionCandidate;

use crate::config::Config;
use crate::garden::Garden;
use crate::session::Session;
use crate::target;

pub fn gardens(current: &OsStr) -> Vec<CompletionCandidate> {
    let names = Config::load().map(|c| c.gardens.into_iter().map(|g| g.identity).collect()).unwrap_or_default();
    candidates(names, current)
}

pub fn projects(current: &OsStr) -> Vec<CompletionCandidate> {
    from_garden(current, |garden, _| async move {
        Ok(garden.projects().await?.into_iter().filter_map(|p| p.metadata.name).collect())
    })
}

pub fn seeds(current: &OsStr) -> Vec<CompletionCandidate> {
    from_garden(current, |garden, _| async move {
        Ok(garden.seeds().await?.into_iter().filter_map(|s| s.metadata.name).collect())
    })
}

/// Shoots of the targeted project, else of every project.
pub fn shoots(current: &OsStr) -> Vec<CompletionCandidate> {
    from_garden(current, |garden, project| async move {
        let ns = match project.as_str() {
            "" => None,
            p => Some(target::project_namespace(&garden, p).await?),
        };
        let mut names: Vec<String> =
            garden.shoots(ns.as_deref()).await?.into_iter().filter_map(|s| s.metadata.name).collect();
        names.sort();
        names.dedup();
        Ok(names)
    })
}

fn candidates(names: Vec<String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    names.into_iter().filter(|n| n.starts_with(prefix.as_ref())).map(CompletionCandidate::new).collect()
}

/// Names read from the session's garden; nothing when no garden is targeted or it does not answer in time.
fn from_garden<F, Fut>(current: &OsStr, list: F) -> Vec<CompletionCandidate>
where
    F: FnOnce(Garden, String) -> Fut,
    Fut: Future<Output = anyhow::Result<Vec<String>>>,
{
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return Vec::new() };
    let names = runtime.block_on(async {
        let session = Session::current().ok()?;
        let t = session.target().ok()?;
        let config = Config::load().ok()?;
        let garden = Garden::connect(config.garden(&t.garden).ok()?).await.ok()?;
        tokio::time::timeout(Duration::from_secs(2), list(garden, t.project)).await.ok()?.ok()
    });
    candidates(names.unwrap_or_default(), current)
}
