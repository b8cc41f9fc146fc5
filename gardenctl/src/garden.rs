//! A connection to one garden: its kube-rs client, the kubeconfig it came from, and the reads every command shares
//! (projects, shoots, seeds, a project's namespace), with errors that say what to do next.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use garden_api::core::v1beta1::{Project, Seed, Shoot};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};
use kube::Client;

use crate::config;

/// A connected garden.
#[derive(Clone)]
pub struct Garden {
    pub identity: String,
    pub client: Client,
    /// The garden's kubeconfig reduced to the one context used, named `garden-<identity>` (file references
    /// absolute, not inlined).
    pub kubeconfig: Kubeconfig,
}

/// The name of the garden's context in session kubeconfigs.
pub fn context_name(identity: &str) -> String {
    format!("garden-{identity}")
}

impl Garden {
    pub async fn connect(garden: &config::Garden) -> Result<Garden> {
        let path = garden.kubeconfig_path();
        let full = Kubeconfig::read_from(&path).map_err(|e| {
            anyhow!(
                "cannot read the kubeconfig of garden '{}' ({}): {e}; fix it with gardenctl config set-garden {} \
                 --kubeconfig PATH",
                garden.identity,
                path.display(),
                garden.identity
            )
        })?;
        let kubeconfig = reduce(&full, garden.context.as_deref(), &context_name(&garden.identity))
            .with_context(|| format!("kubeconfig of garden '{}' ({})", garden.identity, path.display()))?;
        let mut cfg = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &KubeConfigOptions::default())
            .await
            .with_context(|| format!("kubeconfig of garden '{}' ({})", garden.identity, path.display()))?;
        cfg.connect_timeout = Some(Duration::from_secs(5));
        let client = component_base::client_from_config(cfg).context("building the garden client")?;
        Ok(Garden { identity: garden.identity.clone(), client, kubeconfig })
    }

    /// The API server's URL.
    pub fn server(&self) -> String {
        self.kubeconfig
            .clusters
            .first()
            .and_then(|c| c.cluster.as_ref())
            .and_then(|c| c.server.clone())
            .unwrap_or_default()
    }

    pub async fn projects(&self) -> Result<Vec<Project>> {
        let api: Api<Project> = Api::all(self.client.clone());
        Ok(api.list(&ListParams::default()).await.map_err(|e| self.error(e, "listing projects"))?.items)
    }

    /// The project `name`; names listed for fuzzy matching come from [`Garden::projects`].
    pub async fn project(&self, name: &str) -> Result<Project> {
        let api: Api<Project> = Api::all(self.client.clone());
        api.get_opt(name).await.map_err(|e| self.error(e, &format!("reading project '{name}'")))?.with_context(|| {
            format!("project '{name}' not found in garden '{}' (gardenctl ls projects lists them)", self.identity)
        })
    }

    /// The project whose namespace is `namespace`.
    pub async fn project_of_namespace(&self, namespace: &str) -> Result<Project> {
        if let Some(name) = namespace.strip_prefix("garden-") {
            if let Ok(p) = self.project(name).await {
                if namespace_of(&p) == namespace {
                    return Ok(p);
                }
            }
        }
        self.projects()
            .await?
            .into_iter()
            .find(|p| namespace_of(p) == namespace)
            .with_context(|| format!("no project of garden '{}' has namespace '{namespace}'", self.identity))
    }

    /// Shoots of `namespace`, or of every namespace.
    pub async fn shoots(&self, namespace: Option<&str>) -> Result<Vec<Shoot>> {
        let api: Api<Shoot> = match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        let what = match namespace {
            Some(ns) => format!("listing the shoots of namespace {ns}"),
            None => "listing the shoots of every project".to_string(),
        };
        Ok(api.list(&ListParams::default()).await.map_err(|e| self.error(e, &what))?.items)
    }

    pub async fn shoot(&self, namespace: &str, name: &str) -> Result<Shoot> {
        self.shoot_opt(namespace, name).await?.with_context(|| {
            format!("shoot '{name}' not found in namespace {namespace} (gardenctl ls shoots lists them)")
        })
    }

    pub async fn shoot_opt(&self, namespace: &str, name: &str) -> Result<Option<Shoot>> {
        let api: Api<Shoot> = Api::namespaced(self.client.clone(), namespace);
        api.get_opt(name).await.map_err(|e| self.error(e, &format!("reading shoot {namespace}/{name}")))
    }

    pub async fn seeds(&self) -> Result<Vec<Seed>> {
        let api: Api<Seed> = Api::all(self.client.clone());
        Ok(api.list(&ListParams::default()).await.map_err(|e| self.error(e, "listing seeds"))?.items)
    }

    pub async fn seed(&self, name: &str) -> Result<Seed> {
        let api: Api<Seed> = Api::all(self.client.clone());
        api.get_opt(name).await.map_err(|e| self.error(e, &format!("reading seed '{name}'")))?.with_context(|| {
            format!("seed '{name}' not found in garden '{}' (gardenctl ls seeds lists them)", self.identity)
        })
    }

    /// A kube-rs error as a message saying what failed and, where it helps, what to do.
    pub fn error(&self, e: kube::Error, what: &str) -> anyhow::Error {
        match e {
            // RBAC's refusals say who "cannot" do what; admission's 403s say what is wrong with the object.
            kube::Error::Api(s) if s.code == 403 && s.message.contains(" cannot ") => anyhow!(
                "{what}: forbidden: {} (ask a project admin or the garden's operator for access)",
                s.message
            ),
            kube::Error::Api(s) if s.code == 401 => anyhow!(
                "{what}: the garden '{}' does not accept your credentials ({}); renew the garden kubeconfig",
                self.identity,
                s.message
            ),
            kube::Error::Api(s) => anyhow!("{what}: {}", s.message),
            other => anyhow!(
                "{what}: cannot reach garden '{}' at {}: {other} (is it running? hack/local-up.sh starts the local one)",
                self.identity,
                self.server()
            ),
        }
    }
}

/// The namespace of a project (`spec.namespace`, else Gardener's default `garden-<name>`).
pub fn namespace_of(project: &Project) -> String {
    project
        .spec
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("garden-{}", project.metadata.name.clone().unwrap_or_default()))
}

/// Whether a kube error is a 403.
pub fn is_forbidden(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 403)
}

/// `full` reduced to `context` (default: its current context) and what that context uses, each renamed `name`.
pub fn reduce(full: &Kubeconfig, context: Option<&str>, name: &str) -> Result<Kubeconfig> {
    let context_name = context
        .map(str::to_string)
        .or_else(|| full.current_context.clone())
        .filter(|c| !c.is_empty())
        .context("it has no current-context and no context was configured")?;
    let ctx = full
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.clone())
        .with_context(|| format!("it has no context '{context_name}'"))?;
    let cluster = full
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)
        .and_then(|c| c.cluster.clone())
        .with_context(|| format!("context '{context_name}' names cluster '{}', which it lacks", ctx.cluster))?;
    let user = ctx.user.as_deref().unwrap_or_default();
    let auth = full.auth_infos.iter().find(|a| a.name == user).and_then(|a| a.auth_info.clone()).unwrap_or_default();
    Ok(Kubeconfig {
        clusters: vec![NamedCluster { name: name.to_string(), cluster: Some(cluster), ..Default::default() }],
        auth_infos: vec![NamedAuthInfo { name: name.to_string(), auth_info: Some(auth), ..Default::default() }],
        contexts: vec![NamedContext {
            name: name.to_string(),
            context: Some(kube::config::Context {
                cluster: name.to_string(),
                user: Some(name.to_string()),
                namespace: ctx.namespace.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        current_context: Some(name.to_string()),
        api_version: Some("v1".into()),
        kind: Some("Config".into()),
        ..Default::default()
    })
}
