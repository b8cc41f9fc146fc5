//! One function per command: parse results in, effects and output out.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use garden_api::core::v1beta1::Shoot;
use serde_json::json;

use crate::cli::*;
use crate::config::{self, Config};
use crate::garden::Garden;
use crate::session::{self, Session, Target};
use crate::target::{self, App};
use crate::wait::Until;
use crate::{kubeconfig, ls, ops, output, picker, provider_env, shell, wait, UsageError};

pub async fn run(cli: Cli) -> Result<()> {
    let app = App { config: Config::load()?, access: cli.access_level };
    match cli.command {
        Command::Target(args) => target_command(&app, args).await,
        Command::Config(c) => config_command(app.config, c),
        Command::Session(c) => session_command(c),
        Command::Kubeconfig(args) => kubeconfig_command(&app, args).await,
        Command::KubectlEnv(args) => kubectl_env(&app, args).await,
        Command::ProviderEnv(args) => provider_env_command(&app, args).await,
        Command::Rc(args) => {
            print!("{}", shell::rc(args.shell, &args.prefix, !args.no_completion)?);
            Ok(())
        }
        Command::Completion(args) => shell::registration(args.shell, &mut std::io::stdout()),
        Command::Ls(args) => {
            let (_, t, garden) = app.targeted().await?;
            ls::run(&garden, &t, &args).await
        }
        Command::Create(CreateCommand::Shoot { filename, wait }) => create_shoot(&app, &filename, wait).await,
        Command::Wait(WaitCommand::Shoot { name, timeout }) => {
            let (garden, shoot) = shoot_for_verb(&app, name).await?;
            let (ns, name) = names(&shoot);
            wait::follow(&garden, (&ns, &name), Until::Succeeded, None, timeout).await
        }
        Command::Hibernate(ShootVerb::Shoot { name, wait }) => verb(&app, name, wait, ops::Verb::Hibernate).await,
        Command::Wake(ShootVerb::Shoot { name, wait }) => verb(&app, name, wait, ops::Verb::Wake).await,
        Command::Reconcile(ShootVerb::Shoot { name, wait }) => verb(&app, name, wait, ops::Verb::Reconcile).await,
        Command::Retry(ShootVerb::Shoot { name, wait }) => verb(&app, name, wait, ops::Verb::Retry).await,
        Command::Delete(DeleteCommand::Shoot { name, yes, wait }) => {
            let (garden, shoot) = shoot_for_verb(&app, name).await?;
            let (ns, name) = names(&shoot);
            ops::delete(&garden, &shoot, yes).await?;
            println!("shoot {ns}/{name} is being deleted");
            if wait.wait {
                wait::follow(&garden, (&ns, &name), Until::Deleted, None, wait.timeout).await?;
            }
            Ok(())
        }
        Command::Resolve(args) => resolve(&app, args).await,
        Command::Version(args) => version(&app, args).await,
    }
}

fn names(shoot: &Shoot) -> (String, String) {
    (shoot.metadata.namespace.clone().unwrap_or_default(), shoot.metadata.name.clone().unwrap_or_default())
}

// --- target ----------------------------------------------------------------------------------------------------

async fn target_command(app: &App, args: TargetArgs) -> Result<()> {
    let session = app.session()?;
    let current = session.target()?;
    let mut t = current.clone();
    let mut garden: Option<Garden> = None;
    let mut shoot: Option<Shoot> = None;
    let what: String;
    match args.level {
        Some(TargetCommand::View(o)) => return output::print(&current, o.output.unwrap_or(Output::Yaml)),
        Some(TargetCommand::History(o)) => return history(&session, &current, o.output),
        Some(TargetCommand::Unset { level }) => {
            let (name, is_set) = match level {
                Level::Garden => ("garden", !t.garden.is_empty()),
                Level::Project => ("project", !t.project.is_empty()),
                Level::Seed => ("seed", !t.seed.is_empty()),
                Level::Shoot => ("shoot", !t.shoot.is_empty()),
                Level::ControlPlane => ("control plane", t.control_plane),
            };
            if !is_set {
                bail!("no {name} targeted (gardenctl target view shows the target)");
            }
            match level {
                Level::Garden => t = Target::default(),
                Level::Project => t = Target { garden: t.garden, ..Default::default() },
                Level::Seed => t = Target { garden: t.garden, project: t.project, ..Default::default() },
                Level::Shoot => t = Target { shoot: String::new(), control_plane: false, ..t },
                Level::ControlPlane => t.control_plane = false,
            }
            target::commit(app, &session, &t, None).await?;
            println!("Successfully unset targeted {name}");
            return Ok(());
        }
        Some(TargetCommand::Garden { name }) => {
            app.set_garden(&mut t, &name)?;
            what = format!("garden \"{}\"", t.garden);
        }
        Some(TargetCommand::Project { name }) => {
            let g = garden_of(app, &t).await?;
            target::set_project(&g, &mut t, &name).await?;
            what = format!("project \"{}\"", t.project);
            garden = Some(g);
        }
        Some(TargetCommand::Seed { name }) => {
            let g = garden_of(app, &t).await?;
            target::set_seed(&g, &mut t, &name).await?;
            what = format!("seed \"{}\"", t.seed);
            garden = Some(g);
        }
        Some(TargetCommand::Shoot { name }) => {
            let g = garden_of(app, &t).await?;
            shoot = Some(target::set_shoot(&g, &mut t, &name).await?);
            what = format!("shoot \"{}\"", t.shoot);
            garden = Some(g);
        }
        Some(TargetCommand::ControlPlane { name }) => {
            let g = garden_of(app, &t).await?;
            if let Some(name) = name {
                shoot = Some(target::set_shoot(&g, &mut t, &name).await?);
            }
            if t.shoot.is_empty() {
                return Err(UsageError(
                    "no shoot targeted: give the shoot's name or run gardenctl target shoot NAME first".into(),
                )
                .into());
            }
            t.control_plane = true;
            what = format!("control plane of shoot \"{}\"", t.shoot);
            garden = Some(g);
        }
        None => match args.value.as_deref() {
            Some("-") => {
                t = session.previous_target()?;
                what = format!("{} (the previous target)", t.path());
            }
            Some(value) => {
                let (g, s) = by_pattern(app, &current, &mut t, value).await?;
                what = t.path();
                garden = Some(g);
                shoot = s;
            }
            None if args.garden.is_none()
                && args.project.is_none()
                && args.seed.is_none()
                && args.shoot.is_none()
                && !args.control_plane =>
            {
                return output::print(&current, args.output.output.unwrap_or(Output::Yaml));
            }
            None => {
                if let Some(name) = &args.garden {
                    app.set_garden(&mut t, name)?;
                }
                let g = garden_of(app, &t).await?;
                t = Target { garden: t.garden.clone(), ..Default::default() };
                if let Some(name) = &args.project {
                    target::set_project(&g, &mut t, name).await?;
                }
                if let Some(name) = &args.seed {
                    target::set_seed(&g, &mut t, name).await?;
                }
                if let Some(name) = &args.shoot {
                    shoot = Some(target::set_shoot(&g, &mut t, name).await?);
                }
                if args.control_plane {
                    if t.shoot.is_empty() {
                        return Err(UsageError("--control-plane needs --shoot".into()).into());
                    }
                    t.control_plane = true;
                }
                what = t.path();
                garden = Some(g);
            }
        },
    }
    if let Some(s) = &shoot {
        for line in target::access_restriction_messages(&app.config, &t.garden, s) {
            eprintln!("{line}");
        }
    }
    if let Some(problem) = target::commit(app, &session, &t, garden.as_ref()).await? {
        eprintln!(
            "warning: no kubeconfig for the shoot: {problem:#}\n  kubectl uses the garden until the shoot's kubeconfig \
             can be had (gardenctl kubeconfig tries again)"
        );
    }
    match args.output.output {
        Some(format) => output::print(&t, format),
        None => {
            println!("Successfully targeted {what}");
            Ok(())
        }
    }
}

/// A connection to the garden of `t`.
async fn garden_of(app: &App, t: &Target) -> Result<Garden> {
    if t.garden.is_empty() {
        return Err(UsageError("no garden targeted: run gardenctl target garden NAME first".into()).into());
    }
    app.connect(&t.garden).await
}

/// Sets `t` from the first garden pattern matching `value` (the current garden's patterns first).
async fn by_pattern(app: &App, current: &Target, t: &mut Target, value: &str) -> Result<(Garden, Option<Shoot>)> {
    let gardens = app
        .config
        .gardens
        .iter()
        .filter(|g| g.identity == current.garden)
        .chain(app.config.gardens.iter().filter(|g| g.identity != current.garden));
    let Some(m) = config::match_patterns(gardens, value) else {
        return Err(UsageError(format!(
            "'{value}' matches no pattern of the configured gardens (gardens[].patterns in {}); to target by name \
             use gardenctl target garden|project|seed|shoot NAME",
            config::path().display()
        ))
        .into());
    };
    *t = Target { garden: app.config.garden(&m.garden)?.identity.clone(), ..Default::default() };
    let garden = app.connect(&t.garden).await?;
    if let Some(project) = &m.project {
        target::set_project(&garden, t, project).await?;
    } else if let Some(ns) = &m.namespace {
        let project = garden.project_of_namespace(ns).await?;
        t.project = project.metadata.name.unwrap_or_default();
    }
    if let Some(seed) = &m.seed {
        target::set_seed(&garden, t, seed).await?;
    }
    let shoot = match &m.shoot {
        Some(name) => Some(target::set_shoot(&garden, t, name).await?),
        None => None,
    };
    Ok((garden, shoot))
}

fn history(session: &Session, current: &Target, format: Option<Output>) -> Result<()> {
    let entries = session.history()?;
    if let Some(format) = format {
        return output::print(&entries, format);
    }
    if entries.is_empty() {
        eprintln!("No targets in this session yet.");
        return Ok(());
    }
    let last = entries.len() - 1;
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mark = if i == last && e.target == *current { "*" } else { "" };
            vec![mark.to_string(), e.time.clone(), e.target.path()]
        })
        .collect();
    print!("{}", output::table(&["", "TIME", "TARGET"], &rows));
    Ok(())
}

// --- config and sessions --------------------------------------------------------------------------------------

fn config_command(mut config: Config, command: ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::View(o) => output::print(&config, o.output.unwrap_or(Output::Yaml)),
        ConfigCommand::SetGarden(args) => {
            let existing = config.gardens.iter().position(|g| g.identity == args.identity);
            let mut garden = existing.map(|i| config.gardens[i].clone()).unwrap_or_default();
            garden.identity = args.identity.clone();
            if let Some(path) = &args.kubeconfig {
                let absolute = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
                if !absolute.is_file() {
                    bail!("--kubeconfig {}: no such file", path.display());
                }
                garden.kubeconfig = absolute.display().to_string();
            }
            if garden.kubeconfig.is_empty() {
                return Err(UsageError(format!("garden '{}' is new: --kubeconfig is required", args.identity)).into());
            }
            if args.context.is_some() {
                garden.context = args.context.clone();
            }
            if !args.patterns.is_empty() {
                garden.patterns = args.patterns.clone();
            }
            match existing {
                Some(i) => config.gardens[i] = garden,
                None => config.gardens.push(garden),
            }
            config.save()?;
            println!("Successfully configured garden \"{}\" ({})", args.identity, config::path().display());
            Ok(())
        }
        ConfigCommand::DeleteGarden { identity } => {
            let before = config.gardens.len();
            config.gardens.retain(|g| g.identity != identity);
            if config.gardens.len() == before {
                bail!("garden '{identity}' is not configured (gardenctl config view lists them)");
            }
            config.save()?;
            println!("Successfully deleted garden \"{identity}\"");
            Ok(())
        }
    }
}

fn session_command(command: SessionCommand) -> Result<()> {
    let current = Session::current().ok().map(|s| s.id);
    let sessions = session::list(current.as_deref())?;
    match command {
        SessionCommand::List(o) => {
            if let Some(format) = o.output {
                return output::print(&sessions, format);
            }
            let rows: Vec<Vec<String>> = sessions
                .iter()
                .map(|s| {
                    let mark = if s.current { "*" } else { "" };
                    vec![mark.into(), s.id.clone(), s.target.path(), s.last_used.clone()]
                })
                .collect();
            print!("{}", output::table(&["", "SESSION", "TARGET", "LAST USED"], &rows));
            Ok(())
        }
        SessionCommand::Clean { older_than, all } => {
            let mut removed = 0;
            for s in sessions.iter().filter(|s| (all || !s.current) && s.idle >= older_than) {
                std::fs::remove_dir_all(&s.dir).with_context(|| format!("removing {}", s.dir.display()))?;
                removed += 1;
            }
            println!("Removed {removed} session(s); {} left", sessions.len() - removed);
            Ok(())
        }
    }
}

// --- kubeconfigs and shells ------------------------------------------------------------------------------------

/// Builds and writes the session's kubeconfig for the current target; an unavailable shoot kubeconfig is an error.
async fn refresh_kubeconfig(app: &App) -> Result<(Session, kube::config::Kubeconfig, std::path::PathBuf)> {
    let (session, t, garden) = app.targeted().await?;
    let (k, problem) = target::session_kubeconfig(&garden, &t, app.access).await?;
    if let Some(problem) = problem {
        return Err(problem);
    }
    let path = session.write_kubeconfig(&kubeconfig::to_yaml(&k)?, app.config.link_kubeconfig())?;
    Ok((session, k, path))
}

async fn kubeconfig_command(app: &App, args: KubeconfigArgs) -> Result<()> {
    let (_, mut k, _) = refresh_kubeconfig(app).await?;
    if args.minify {
        k = kubeconfig::minify(&k)?;
    }
    if args.flatten {
        k = kubeconfig::flatten(&k)?;
    }
    if !args.raw {
        k = kubeconfig::redact(&k);
    }
    match args.output.output {
        Some(Output::Json) => output::print(&k, Output::Json),
        _ => {
            print!("{}", kubeconfig::to_yaml(&k)?);
            Ok(())
        }
    }
}

async fn kubectl_env(app: &App, args: ShellEnvArgs) -> Result<()> {
    if args.unset {
        println!("{}", shell::unset(args.shell, "KUBECONFIG"));
    } else {
        let (_, _, path) = refresh_kubeconfig(app).await?;
        println!("{}", shell::export(args.shell, "KUBECONFIG", &path.display().to_string()));
    }
    println!("\n{}", shell::eval_hint(args.shell, &format!("kubectl-env{}", if args.unset { " -u" } else { "" })));
    Ok(())
}

async fn provider_env_command(app: &App, args: ProviderEnvArgs) -> Result<()> {
    let hint = shell::eval_hint(args.shell, &format!("provider-env{}", if args.unset { " -u" } else { "" }));
    let targeted = app.targeted().await;
    if args.unset {
        let targeted_provider = match &targeted {
            Ok((_, t, g)) if !t.shoot.is_empty() => {
                let ns = target::project_namespace(g, &t.project).await?;
                Some(g.shoot(&ns, &t.shoot).await?.spec.provider.type_)
            }
            _ => None,
        };
        // A provider without variables (local) or no shoot: unset what any provider may have set.
        let variables: Vec<&str> = match targeted_provider.as_deref().map(provider_env::variables) {
            Some(Ok(vars)) => vars.to_vec(),
            _ => ["aws", "openstack"]
                .iter()
                .flat_map(|p| provider_env::variables(p).unwrap_or_default().iter().copied())
                .collect(),
        };
        for var in variables {
            println!("{}", shell::unset(args.shell, var));
        }
        println!("\n{hint}");
        return Ok(());
    }
    let (_, t, garden) = targeted?;
    if t.shoot.is_empty() {
        return Err(UsageError("no shoot targeted: run gardenctl target shoot NAME first".into()).into());
    }
    let ns = target::project_namespace(&garden, &t.project).await?;
    let shoot = garden.shoot(&ns, &t.shoot).await?;
    if std::io::stdout().is_terminal() && !args.raw {
        bail!(
            "provider-env prints the shoot's cloud credentials: evaluate it instead of showing it\n{hint}\n(--raw prints \
             them on the terminal)"
        );
    }
    confirm_access_restrictions(app, &t, &shoot, args.confirm_access_restriction)?;
    let values = provider_env::values(&garden, &shoot).await?;
    for (name, value) in values {
        println!("{}", shell::export(args.shell, name, &value));
    }
    println!("\n{hint}");
    Ok(())
}

/// A shoot with access restrictions needs them confirmed (flag, or a question on a terminal).
fn confirm_access_restrictions(app: &App, t: &Target, shoot: &Shoot, confirmed: bool) -> Result<()> {
    if shoot.spec.access_restrictions.is_empty() || confirmed {
        return Ok(());
    }
    let mut lines = target::access_restriction_messages(&app.config, &t.garden, shoot);
    if lines.is_empty() {
        lines = shoot.spec.access_restrictions.iter().map(|r| format!("access restriction {}", r.name)).collect();
    }
    for line in &lines {
        eprintln!("{line}");
    }
    if picker::interactive() {
        let ok = dialoguer::Confirm::new()
            .with_prompt("Do you confirm these access restrictions?")
            .default(false)
            .interact()?;
        if ok {
            return Ok(());
        }
        bail!("access restrictions not confirmed: no credentials printed");
    }
    Err(UsageError("the shoot has access restrictions: confirm them with --confirm-access-restriction".into()).into())
}

// --- shoots ------------------------------------------------------------------------------------------------------

/// The shoot a verb acts on: NAME (looked up as `target shoot` does), else the targeted shoot.
async fn shoot_for_verb(app: &App, name: Option<String>) -> Result<(Garden, Shoot)> {
    let (_, t, garden) = app.targeted().await?;
    let shoot = match name {
        Some(n) => target::find_shoot(&garden, &t, &n).await?,
        None if !t.shoot.is_empty() => {
            let ns = target::project_namespace(&garden, &t.project).await?;
            garden.shoot(&ns, &t.shoot).await?
        }
        None => {
            return Err(UsageError("no shoot targeted: give its NAME or run gardenctl target shoot NAME".into()).into())
        }
    };
    Ok((garden, shoot))
}

async fn verb(app: &App, name: Option<String>, wait: WaitArgs, verb: ops::Verb) -> Result<()> {
    let (garden, shoot) = shoot_for_verb(app, name).await?;
    let (ns, name) = names(&shoot);
    ops::apply(&garden, &shoot, verb).await?;
    let done = match verb {
        ops::Verb::Hibernate => "hibernation requested",
        ops::Verb::Wake => "wake-up requested",
        ops::Verb::Reconcile => "reconciliation requested",
        ops::Verb::Retry => "retry requested",
    };
    println!("shoot {ns}/{name}: {done}");
    if wait.wait {
        // Hibernate and wake change the generation; reconcile and retry only ask by annotation: then only an
        // operation updated after the request counts.
        let after =
            matches!(verb, ops::Verb::Reconcile | ops::Verb::Retry).then(|| wait::last_update(&shoot)).flatten();
        wait::follow(&garden, (&ns, &name), Until::Succeeded, after, wait.timeout).await?;
    }
    Ok(())
}

async fn create_shoot(app: &App, file: &std::path::Path, wait: WaitArgs) -> Result<()> {
    let docs = ops::read_manifest(file)?;
    let (_, t, garden) = app.targeted().await?;
    let ns = match t.project.as_str() {
        "" => None,
        p => Some(target::project_namespace(&garden, p).await?),
    };
    let (ns, name) = ops::create(&garden, docs, ns.as_deref()).await?;
    if wait.wait {
        wait::follow(&garden, (&ns, &name), Until::Succeeded, None, wait.timeout).await?;
    } else {
        eprintln!("gardenctl wait shoot {name} follows its creation");
    }
    Ok(())
}

// --- resolve and version ---------------------------------------------------------------------------------------

async fn resolve(app: &App, args: ResolveArgs) -> Result<()> {
    let (_, t, garden) = app.targeted().await?;
    let mut out = serde_json::Map::new();
    out.insert("garden".into(), json!({"identity": garden.identity, "server": garden.server()}));
    let mut project_ns = None;
    if !t.project.is_empty() {
        let ns = target::project_namespace(&garden, &t.project).await?;
        out.insert("project".into(), json!({"name": t.project, "namespace": ns}));
        project_ns = Some(ns);
    }
    if !t.seed.is_empty() {
        let seed = garden.seed(&t.seed).await?;
        out.insert(
            "seed".into(),
            json!({"name": t.seed, "provider": seed.spec.provider.type_, "region": seed.spec.provider.region}),
        );
    }
    if let (false, Some(ns)) = (t.shoot.is_empty(), project_ns) {
        let shoot = garden.shoot(&ns, &t.shoot).await?;
        let status = shoot.status.clone().unwrap_or_default();
        let seed = target::seed_of(&shoot);
        out.insert(
            "shoot".into(),
            json!({
                "name": t.shoot, "namespace": ns, "seed": seed, "provider": shoot.spec.provider.type_,
                "region": shoot.spec.region, "technicalID": target::technical_id(&shoot, &t.project),
                "apiServer": status.advertised_addresses.first().map(|a| a.url.clone()),
                "accessRestrictions": shoot.spec.access_restrictions.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
                "lastOperation": status.last_operation,
            }),
        );
        if let Some(seed) = seed {
            out.insert(
                "controlPlane".into(),
                json!({"seed": seed, "namespace": target::technical_id(&shoot, &t.project)}),
            );
        }
    }
    let value = match args.level {
        None => serde_json::Value::Object(out),
        Some(level) => {
            let key = match level {
                Level::Garden => "garden",
                Level::Project => "project",
                Level::Seed => "seed",
                Level::Shoot => "shoot",
                Level::ControlPlane => "controlPlane",
            };
            out.remove(key).with_context(|| format!("no {key} targeted (gardenctl target view shows the target)"))?
        }
    };
    output::print(&value, args.output.output.unwrap_or(Output::Yaml))
}

async fn version(app: &App, args: OutputArgs) -> Result<()> {
    let client = json!({"gitVersion": format!("v{}", env!("CARGO_PKG_VERSION")), "program": "gardenctl"});
    let server = match app.targeted().await {
        Ok((_, _, garden)) => tokio::time::timeout(Duration::from_secs(3), garden.client.apiserver_version())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|v| json!({"garden": garden.identity, "gitVersion": v.git_version})),
        Err(_) => None,
    };
    match args.output {
        Some(format) => output::print(&json!({"clientVersion": client, "serverVersion": server}), format),
        None => {
            println!("gardenctl v{}", env!("CARGO_PKG_VERSION"));
            if let Some(s) = server {
                println!(
                    "garden {}: {}",
                    s["garden"].as_str().unwrap_or_default(),
                    s["gitVersion"].as_str().unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}
