//! The command line: every command, flag and argument (clap derive). Parsing only; `main.rs` dispatches.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use crate::complete;

/// Target gardens, projects, seeds and shoots; get their kubeconfigs and set up your shell.
#[derive(Debug, Parser)]
#[command(name = "gardenctl", version, disable_help_subcommand = true)]
#[command(after_help = "Start with: eval \"$(gardenctl rc bash)\", then gardenctl target garden NAME.\n\
Exit codes: 0 ok, 1 error, 2 wrong usage.")]
pub struct Cli {
    /// Shoot kubeconfigs: `admin` (shoots/adminkubeconfig), `viewer` (shoots/viewerkubeconfig), or `auto`
    /// (admin, falling back to viewer when admin is forbidden).
    #[arg(long, global = true, value_enum, default_value_t = AccessLevel::Auto, env = "GCTL_ACCESS_LEVEL")]
    pub access_level: AccessLevel,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set the target: a garden, project, seed, shoot or a shoot's control plane (see `target --help`).
    Target(TargetArgs),
    /// Show and edit the configuration (~/.garden/gardenctl-v2.yaml).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The shell sessions' state ($TMPDIR/garden/sessions).
    #[command(subcommand)]
    Session(SessionCommand),
    /// Print the kubeconfig of the current target (secrets redacted unless --raw).
    Kubeconfig(KubeconfigArgs),
    /// Print the commands that point KUBECONFIG at the current target: eval "$(gardenctl kubectl-env bash)".
    KubectlEnv(ShellEnvArgs),
    /// Print the commands that set the targeted shoot's cloud credentials: eval "$(gardenctl provider-env bash)".
    ProviderEnv(ProviderEnvArgs),
    /// Print the shell start-up lines: session id, completion, short aliases (eval "$(gardenctl rc bash)").
    Rc(RcArgs),
    /// Print the completion script of a shell (names of gardens, projects, seeds and shoots complete too).
    Completion(CompletionArgs),
    /// List projects, shoots or seeds of the targeted garden.
    Ls(LsArgs),
    /// Create a shoot from a manifest (with the Secret and CredentialsBinding it names, when in the file).
    #[command(subcommand)]
    Create(CreateCommand),
    /// Wait for a shoot's current operation to finish, with a live progress bar.
    #[command(subcommand)]
    Wait(WaitCommand),
    /// Hibernate a shoot (its control plane and machines are scaled to zero; its etcd is kept).
    #[command(subcommand)]
    Hibernate(ShootVerb),
    /// Wake a hibernated shoot up.
    #[command(subcommand)]
    Wake(ShootVerb),
    /// Ask the gardenlet to reconcile a shoot now.
    #[command(subcommand)]
    Reconcile(ShootVerb),
    /// Retry a shoot's failed operation now.
    #[command(subcommand)]
    Retry(ShootVerb),
    /// Delete a shoot (asks for confirmation unless --yes; sets the deletion confirmation annotation).
    #[command(subcommand)]
    Delete(DeleteCommand),
    /// Show what the current target resolves to (namespaces, seed, technical ID, API server).
    Resolve(ResolveArgs),
    /// Print the version of gardenctl (and of the targeted garden's API server when reachable).
    Version(OutputArgs),
}

/// `-o json|yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Json,
    Yaml,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format for scripts.
    #[arg(short, long, value_enum)]
    pub output: Option<Output>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessLevel {
    Admin,
    Viewer,
    Auto,
}

/// A level of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    Garden,
    Project,
    Seed,
    Shoot,
    ControlPlane,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
#[command(after_help = "Examples:\n  gardenctl target garden local\n  gardenctl target --garden local --project dev \
--shoot local\n  gardenctl target --shoot local        # the shoot of that name, whichever project holds it\n  \
gardenctl target shoot loc             # fuzzy: picks among the matches when several fit\n  \
gardenctl target https://dashboard.example/namespace/garden-dev/shoots/local   # a configured pattern\n  \
gardenctl target -                     # back to the previous target\n  gardenctl target unset project")]
pub struct TargetArgs {
    #[command(subcommand)]
    pub level: Option<TargetCommand>,
    /// A value one of the gardens' patterns matches (a dashboard URL, a seed namespace shoot--PROJECT--NAME), or
    /// `-` for the previous target.
    pub value: Option<String>,
    /// Garden to target.
    #[arg(long, add = ArgValueCompleter::new(complete::gardens))]
    pub garden: Option<String>,
    /// Project to target.
    #[arg(long, add = ArgValueCompleter::new(complete::projects))]
    pub project: Option<String>,
    /// Seed to target.
    #[arg(long, add = ArgValueCompleter::new(complete::seeds))]
    pub seed: Option<String>,
    /// Shoot to target.
    #[arg(long, add = ArgValueCompleter::new(complete::shoots))]
    pub shoot: Option<String>,
    /// Target the control plane of the shoot.
    #[arg(long)]
    pub control_plane: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Target a garden (one of `gardenctl config view`).
    Garden {
        #[arg(add = ArgValueCompleter::new(complete::gardens))]
        name: String,
    },
    /// Target a project of the targeted garden.
    Project {
        #[arg(add = ArgValueCompleter::new(complete::projects))]
        name: String,
    },
    /// Target a seed of the targeted garden.
    Seed {
        #[arg(add = ArgValueCompleter::new(complete::seeds))]
        name: String,
    },
    /// Target a shoot: in the targeted project, on the targeted seed, or anywhere when its name is unique.
    Shoot {
        #[arg(add = ArgValueCompleter::new(complete::shoots))]
        name: String,
    },
    /// Target a shoot's control plane on its seed (the targeted shoot's when NAME is left out).
    ControlPlane {
        #[arg(add = ArgValueCompleter::new(complete::shoots))]
        name: Option<String>,
    },
    /// Clear a level of the target and every level below it.
    Unset { level: Level },
    /// Show the current target.
    View(OutputArgs),
    /// The targets of this session, newest last.
    History(OutputArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show the configuration.
    View(OutputArgs),
    /// Add a garden or change one.
    SetGarden(SetGardenArgs),
    /// Remove a garden.
    DeleteGarden {
        #[arg(add = ArgValueCompleter::new(complete::gardens))]
        identity: String,
    },
}

#[derive(Debug, Args)]
pub struct SetGardenArgs {
    /// The garden's identity (the name you target it by).
    pub identity: String,
    /// Kubeconfig of the garden.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Context of that kubeconfig (default: its current context).
    #[arg(long)]
    pub context: Option<String>,
    /// A regular expression with named groups (garden, project, namespace, seed, shoot) that `target VALUE`
    /// matches; repeat for several. Replaces the garden's patterns.
    #[arg(long = "pattern")]
    pub patterns: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// The sessions with their targets (the current one marked).
    List(OutputArgs),
    /// Remove other sessions unused for longer than --older-than.
    Clean {
        /// How long a session must have been unused (e.g. 30m, 12h, 7d; 0s: every other session).
        #[arg(long, default_value = "24h", value_parser = parse_duration)]
        older_than: Duration,
        /// Remove the current session too.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Args)]
pub struct KubeconfigArgs {
    /// Show secrets (certificate keys, tokens) instead of redacting them.
    #[arg(long)]
    pub raw: bool,
    /// Only the current target's context and what it uses.
    #[arg(long)]
    pub minify: bool,
    /// Inline the files the kubeconfig refers to.
    #[arg(long)]
    pub flatten: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct ShellEnvArgs {
    pub shell: Shell,
    /// Print the commands that undo it.
    #[arg(short, long)]
    pub unset: bool,
}

#[derive(Debug, Args)]
pub struct ProviderEnvArgs {
    pub shell: Shell,
    /// Print the commands that undo it.
    #[arg(short, long)]
    pub unset: bool,
    /// Confirm the shoot's access restrictions (asked interactively when a terminal is attached).
    #[arg(long)]
    pub confirm_access_restriction: bool,
    /// Print the credentials even when stdout is a terminal.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct RcArgs {
    pub shell: Shell,
    /// Prefix of the short aliases.
    #[arg(long, default_value = "g")]
    pub prefix: String,
    /// Leave out the completion.
    #[arg(long)]
    pub no_completion: bool,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Listable {
    Projects,
    Shoots,
    Seeds,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    pub what: Listable,
    /// Shoots of every project (the default when no project is targeted).
    #[arg(short = 'A', long)]
    pub all_projects: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Create the shoot of a manifest (and the other objects the file holds: Secret, CredentialsBinding, ...).
    Shoot {
        /// The manifest (YAML or JSON, several documents allowed; `-` for stdin).
        #[arg(short, long)]
        filename: PathBuf,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Follow the operation until it finished (exit code 0 only when it succeeded).
    #[arg(long)]
    pub wait: bool,
    /// How long to wait.
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Subcommand)]
pub enum WaitCommand {
    /// Wait for a shoot (the targeted one when NAME is left out).
    Shoot {
        #[arg(add = ArgValueCompleter::new(complete::shoots))]
        name: Option<String>,
        /// How long to wait.
        #[arg(long, default_value = "30m", value_parser = parse_duration)]
        timeout: Duration,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShootVerb {
    /// The shoot (the targeted one when NAME is left out).
    Shoot {
        #[arg(add = ArgValueCompleter::new(complete::shoots))]
        name: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeleteCommand {
    /// Delete a shoot (the targeted one when NAME is left out).
    Shoot {
        #[arg(add = ArgValueCompleter::new(complete::shoots))]
        name: Option<String>,
        /// Do not ask.
        #[arg(short, long)]
        yes: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The level to resolve (default: the lowest targeted one).
    pub level: Option<Level>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `90s`, `30m`, `12h`, `7d` (or plain seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("'{s}' is not a duration (like 90s, 30m, 12h, 7d)"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use s, m, h or d)")),
    };
    Ok(Duration::from_secs(n * factor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604800)));
        assert!(parse_duration("3w").unwrap_err().contains("unknown unit 'w'"));
        assert!(parse_duration("soon").is_err());
    }
}
