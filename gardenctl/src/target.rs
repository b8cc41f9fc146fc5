//! Targeting: finding the garden, project, seed or shoot a name (or a pattern) means, and writing the session's
//! target and kubeconfig.

use anyhow::{bail, Context, Result};
use garden_api::core::v1beta1::Shoot;
use kube::config::Kubeconfig;

use crate::cli::AccessLevel;
use crate::config::{self, Config};
use crate::garden::{self, Garden};
use crate::kubeconfig;
use crate::picker::{self, Item};
use crate::session::{Session, Target};

/// Runs what the commands share: the configuration, the session, and connections to gardens.
pub struct App {
    pub config: Config,
    pub access: AccessLevel,
}

impl App {
    pub fn session(&self) -> Result<Session> {
        Session::current()
    }

    pub async fn connect(&self, identity: &str) -> Result<Garden> {
        Garden::connect(self.config.garden(identity)?).await
    }

    /// The session's target and a connection to its garden (an error telling what to do when none is targeted).
    pub async fn targeted(&self) -> Result<(Session, Target, Garden)> {
        let session = self.session()?;
        let target = session.target()?;
        if target.garden.is_empty() {
            return Err(crate::UsageError(
                "no garden targeted: run gardenctl target garden NAME (gardenctl config view lists them)".into(),
            )
            .into());
        }
        let garden = self.connect(&target.garden).await?;
        Ok((session, target, garden))
    }

    /// Sets the garden: every level below is cleared.
    pub fn set_garden(&self, t: &mut Target, query: &str) -> Result<()> {
        let items: Vec<Item> = self.config.gardens.iter().map(|g| Item::named(&g.identity)).collect();
        if items.is_empty() {
            bail!(
                "no garden is configured in {}: add one with gardenctl config set-garden NAME --kubeconfig PATH",
                config::path().display()
            );
        }
        let i = picker::choose("garden", query, "in the configuration", &items, "gardenctl config view")?;
        *t = Target { garden: items[i].name.clone(), ..Default::default() };
        Ok(())
    }
}

/// Sets the project: seed and shoot are cleared.
pub async fn set_project(garden: &Garden, t: &mut Target, query: &str) -> Result<()> {
    let names = match garden.projects().await {
        Ok(projects) => projects.into_iter().filter_map(|p| p.metadata.name).collect(),
        // Members may read their project but not list every project: only the exact name can be checked.
        Err(_) => vec![garden.project(query).await?.metadata.name.unwrap_or_default()],
    };
    let items: Vec<Item> = names.iter().map(|n| Item::named(n)).collect();
    let scope = format!("in garden {}", garden.identity);
    let i = picker::choose("project", query, &scope, &items, "gardenctl ls projects")?;
    *t = Target { garden: t.garden.clone(), project: items[i].name.clone(), ..Default::default() };
    Ok(())
}

/// Sets the seed: project and shoot are cleared.
pub async fn set_seed(garden: &Garden, t: &mut Target, query: &str) -> Result<()> {
    let seeds = garden.seeds().await?;
    let items: Vec<Item> = seeds.iter().filter_map(|s| s.metadata.name.as_deref()).map(Item::named).collect();
    let scope = format!("in garden {}", garden.identity);
    let i = picker::choose("seed", query, &scope, &items, "gardenctl ls seeds")?;
    *t = Target { garden: t.garden.clone(), seed: items[i].name.clone(), ..Default::default() };
    Ok(())
}

/// Sets the shoot `query` means: in the targeted project, else on the targeted seed, else in any project (then
/// its project becomes the targeted one).
pub async fn set_shoot(garden: &Garden, t: &mut Target, query: &str) -> Result<Shoot> {
    let shoot = find_shoot(garden, t, query).await?;
    let project = project_of(garden, t, &shoot).await?;
    *t = Target {
        garden: t.garden.clone(),
        project,
        shoot: shoot.metadata.name.clone().unwrap_or_default(),
        ..Default::default()
    };
    Ok(shoot)
}

/// The project name of a shoot (the targeted one when the shoot was looked for in it).
async fn project_of(garden: &Garden, t: &Target, shoot: &Shoot) -> Result<String> {
    let ns = shoot.metadata.namespace.clone().unwrap_or_default();
    if !t.project.is_empty() && project_namespace(garden, &t.project).await? == ns {
        return Ok(t.project.clone());
    }
    Ok(garden.project_of_namespace(&ns).await?.metadata.name.unwrap_or_default())
}

/// The namespace of project `name`.
pub async fn project_namespace(garden: &Garden, name: &str) -> Result<String> {
    Ok(garden::namespace_of(&garden.project(name).await?))
}

/// The shoot `query` means (see [`set_shoot`]) without changing the target.
pub async fn find_shoot(garden: &Garden, t: &Target, query: &str) -> Result<Shoot> {
    let (shoots, scope, qualified) = if !t.project.is_empty() {
        let ns = project_namespace(garden, &t.project).await?;
        let shoots = match garden.shoots(Some(&ns)).await {
            Ok(s) => s,
            Err(_) => vec![garden.shoot(&ns, query).await?],
        };
        (shoots, format!("in project {}", t.project), false)
    } else {
        let all = garden.shoots(None).await.context(
            "looking for the shoot in every project; target its project first (gardenctl target project NAME)",
        )?;
        if t.seed.is_empty() {
            (all, "in any project".to_string(), true)
        } else {
            let on_seed = all.into_iter().filter(|s| seed_of(s).as_deref() == Some(t.seed.as_str())).collect();
            (on_seed, format!("on seed {}", t.seed), true)
        }
    };
    let items: Vec<Item> = shoots
        .iter()
        .map(|s| {
            let name = s.metadata.name.clone().unwrap_or_default();
            let ns = s.metadata.namespace.clone().unwrap_or_default();
            let label = if qualified { format!("{name} (namespace {ns})") } else { name.clone() };
            Item { name, label }
        })
        .collect();
    let i = picker::choose("shoot", query, &scope, &items, "gardenctl ls shoots -A")?;
    Ok(shoots[i].clone())
}

/// The seed a shoot runs on.
pub fn seed_of(shoot: &Shoot) -> Option<String> {
    shoot
        .status
        .as_ref()
        .and_then(|s| s.seed_name.clone())
        .or_else(|| shoot.spec.seed_name.clone())
        .filter(|s| !s.is_empty())
}

/// The shoot's seed namespace (`status.technicalID`, else Gardener's `shoot--<project>--<name>`).
pub fn technical_id(shoot: &Shoot, project: &str) -> String {
    shoot
        .status
        .as_ref()
        .map(|s| s.technical_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("shoot--{project}--{}", shoot.metadata.name.as_deref().unwrap_or_default()))
}

/// The session kubeconfig of a target: the garden's context (in the project's namespace when one is targeted),
/// and per targeted level the seed's, the shoot's and its control plane's, the lowest level current. A shoot
/// kubeconfig that cannot be had is returned as the problem next to the kubeconfig (which then lacks it).
pub async fn session_kubeconfig(
    garden: &Garden,
    t: &Target,
    access: AccessLevel,
) -> Result<(Kubeconfig, Option<anyhow::Error>)> {
    let garden_ctx = garden::context_name(&garden.identity);
    let project_ns = match t.project.as_str() {
        "" => None,
        p => Some(project_namespace(garden, p).await?),
    };
    let mut parts = vec![kubeconfig::renamed(&garden.kubeconfig, &garden_ctx, project_ns.as_deref())];
    let mut current = garden_ctx;
    let mut problem = None;
    // The garden keeps no seed kubeconfigs: the seeds of this system keep their objects in the garden's own API
    // (see docs/usage/gardenctl.md), so a seed's context is the garden's credentials on that API.
    if !t.seed.is_empty() && t.shoot.is_empty() {
        let name = kubeconfig::seed_context(&t.seed);
        parts.push(kubeconfig::renamed(&garden.kubeconfig, &name, None));
        current = name;
    }
    if !t.shoot.is_empty() {
        let ns = project_ns.clone().context("a shoot is targeted without its project")?;
        let shoot = garden.shoot(&ns, &t.shoot).await?;
        match kubeconfig::shoot(garden, &shoot, access).await {
            Ok((k, _)) => {
                let name = kubeconfig::shoot_context(&t.project, &t.shoot);
                parts.push(kubeconfig::renamed(&k, &name, None));
                current = name;
            }
            Err(e) => problem = Some(e),
        }
        match seed_of(&shoot) {
            Some(_) => {
                let name = kubeconfig::control_plane_context(&t.project, &t.shoot);
                let id = technical_id(&shoot, &t.project);
                parts.push(kubeconfig::renamed(&garden.kubeconfig, &name, Some(&id)));
                if t.control_plane {
                    current = name;
                }
            }
            None if t.control_plane => {
                bail!("shoot {ns}/{} is not scheduled to a seed yet: its control plane runs nowhere", t.shoot)
            }
            None => {}
        }
    }
    Ok((kubeconfig::merge(parts, &current), problem))
}

/// Makes `t` the session's target: writes its kubeconfig (0600; `kubeconfig.yaml` points at it) and the target,
/// and records it in the history. Returns the problem with the shoot kubeconfig, if any.
pub async fn commit(
    app: &App,
    session: &Session,
    t: &Target,
    garden: Option<&Garden>,
) -> Result<Option<anyhow::Error>> {
    let mut problem = None;
    if t.is_empty() {
        session.remove_kubeconfig();
    } else {
        let connected;
        let garden = match garden {
            Some(g) if g.identity == t.garden => g,
            _ => {
                connected = app.connect(&t.garden).await?;
                &connected
            }
        };
        let (k, p) = session_kubeconfig(garden, t, app.access).await?;
        session.write_kubeconfig(&kubeconfig::to_yaml(&k)?, app.config.link_kubeconfig())?;
        problem = p;
    }
    session.save_target(t)?;
    Ok(problem)
}

/// The messages the configuration attaches to the shoot's access restrictions.
pub fn access_restriction_messages(config: &Config, garden: &str, shoot: &Shoot) -> Vec<String> {
    let Ok(g) = config.garden(garden) else { return Vec::new() };
    let mut out = Vec::new();
    for r in &shoot.spec.access_restrictions {
        for known in g.access_restrictions.iter().filter(|k| k.key == r.name && k.notify_if) {
            out.push(if known.msg.is_empty() { format!("access restriction {}", r.name) } else { known.msg.clone() });
            for o in &known.options {
                let set = r.options.get(&o.key).map(|v| v == "true").unwrap_or(false);
                if set == o.notify_if && !o.msg.is_empty() {
                    out.push(format!("  {}", o.msg));
                }
            }
        }
    }
    out
}
