//! gardenctl's configuration file, shaped like gardenctl-v2's: `$GCTL_HOME/$GCTL_CONFIG_NAME.yaml`
//! (default `~/.garden/gardenctl-v2.yaml`) with the gardens one can target.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::files;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    pub gardens: Vec<Garden>,
    /// Keep `kubeconfig.yaml` in the session directory pointing at the current target's kubeconfig
    /// (default true; kubectl-env then names that stable path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_kubeconfig: Option<bool>,
}

/// One garden.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Garden {
    /// The name it is targeted by.
    pub identity: String,
    /// Path of its kubeconfig (`~` expands to the home directory).
    pub kubeconfig: String,
    /// Context of that kubeconfig (default: its current context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Regular expressions `target VALUE` matches, with named groups garden, project, namespace, seed, shoot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<String>,
    /// Messages shown (and confirmations asked) for shoots carrying these access restrictions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_restrictions: Vec<AccessRestriction>,
}

/// An access restriction a shoot may carry (`spec.accessRestrictions[].name`), and what to tell the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRestriction {
    pub key: String,
    #[serde(default = "yes")]
    pub notify_if: bool,
    #[serde(default)]
    pub msg: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<AccessRestrictionOption>,
}

/// An option of an access restriction (`spec.accessRestrictions[].options`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRestrictionOption {
    pub key: String,
    #[serde(default = "yes")]
    pub notify_if: bool,
    #[serde(default)]
    pub msg: String,
}

fn yes() -> bool {
    true
}

/// gardenctl's home: `$GCTL_HOME`, else `~/.garden`.
pub fn home() -> PathBuf {
    match std::env::var_os("GCTL_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => user_home().join(".garden"),
    }
}

fn user_home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/"))
}

/// The configuration file: `<home>/$GCTL_CONFIG_NAME.yaml` (default `gardenctl-v2`).
pub fn path() -> PathBuf {
    let name = std::env::var("GCTL_CONFIG_NAME").ok().filter(|v| !v.is_empty());
    home().join(format!("{}.yaml", name.as_deref().unwrap_or("gardenctl-v2")))
}

/// `~/x` -> `$HOME/x`.
pub fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => user_home().join(rest),
        None if path == "~" => user_home(),
        None => PathBuf::from(path),
    }
}

impl Config {
    /// Reads the file; a missing file is an empty configuration.
    pub fn load() -> Result<Config> {
        Self::load_from(&path())
    }

    pub fn load_from(path: &Path) -> Result<Config> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml::from_str(&text)
                .with_context(|| format!("{} is not a valid gardenctl config", path.display()))?
        };
        config.validate().with_context(|| format!("in {}", path.display()))?;
        Ok(config)
    }

    /// Identities unique and non-empty, patterns valid regular expressions.
    pub fn validate(&self) -> Result<()> {
        let mut seen = std::collections::BTreeSet::new();
        for (i, g) in self.gardens.iter().enumerate() {
            if g.identity.is_empty() {
                bail!("gardens[{i}].identity is empty");
            }
            if !seen.insert(&g.identity) {
                bail!("gardens[{i}].identity: garden '{}' is listed twice", g.identity);
            }
            if g.kubeconfig.is_empty() {
                bail!("gardens[{i}].kubeconfig is empty (garden '{}')", g.identity);
            }
            for (j, p) in g.patterns.iter().enumerate() {
                Regex::new(p).with_context(|| format!("gardens[{i}].patterns[{j}] is not a regular expression"))?;
            }
        }
        Ok(())
    }

    /// Writes the file (0600, atomically).
    pub fn save(&self) -> Result<()> {
        self.validate()?;
        let text = serde_yaml::to_string(self)?;
        files::write_private(&path(), text.as_bytes())
    }

    pub fn garden(&self, identity: &str) -> Result<&Garden> {
        self.gardens.iter().find(|g| g.identity == identity).with_context(|| {
            format!("garden '{identity}' is not configured in {} (gardenctl config view lists them)", path().display())
        })
    }

    pub fn link_kubeconfig(&self) -> bool {
        self.link_kubeconfig.unwrap_or(true)
    }
}

impl Garden {
    pub fn kubeconfig_path(&self) -> PathBuf {
        expand_home(&self.kubeconfig)
    }
}

/// What one of a garden's patterns took out of a value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternMatch {
    pub garden: String,
    pub project: Option<String>,
    pub namespace: Option<String>,
    pub seed: Option<String>,
    pub shoot: Option<String>,
}

/// The first pattern matching `value`, trying the gardens in the order given (the current one first).
pub fn match_patterns<'a>(gardens: impl IntoIterator<Item = &'a Garden>, value: &str) -> Option<PatternMatch> {
    for garden in gardens {
        for pattern in &garden.patterns {
            let Ok(re) = Regex::new(pattern) else { continue };
            let Some(caps) = re.captures(value) else { continue };
            let group = |name: &str| caps.name(name).map(|m| m.as_str().to_string()).filter(|s| !s.is_empty());
            return Some(PatternMatch {
                garden: group("garden").unwrap_or_else(|| garden.identity.clone()),
                project: group("project"),
                namespace: group("namespace"),
                seed: group("seed"),
                shoot: group("shoot"),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn garden(patterns: &[&str]) -> Garden {
        Garden {
            identity: "local".into(),
            kubeconfig: "/k".into(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn patterns_give_their_named_groups() {
        let g = garden(&[
            r"^shoot--(?P<project>[a-z0-9-]+?)--(?P<shoot>[a-z0-9-]+)$",
            r"^https://dashboard\.local/namespace/(?P<namespace>[^/]+)/shoots/(?P<shoot>[^/]+)$",
        ]);
        let m = match_patterns([&g], "shoot--dev--local").unwrap();
        assert_eq!((m.project.as_deref(), m.shoot.as_deref()), (Some("dev"), Some("local")));
        let m = match_patterns([&g], "https://dashboard.local/namespace/garden-dev/shoots/web").unwrap();
        assert_eq!(
            (m.namespace.as_deref(), m.shoot.as_deref(), m.garden.as_str()),
            (Some("garden-dev"), Some("web"), "local")
        );
        assert!(match_patterns([&g], "nothing").is_none());
    }

    #[test]
    fn bad_configs_are_named() {
        let mut c = Config { gardens: vec![garden(&["("])], link_kubeconfig: None };
        assert!(format!("{:#}", c.validate().unwrap_err()).contains("gardens[0].patterns[0]"));
        c.gardens = vec![garden(&[]), garden(&[])];
        assert!(format!("{:#}", c.validate().unwrap_err()).contains("listed twice"));
    }

    #[test]
    fn gardenctl_v2_files_parse() {
        let text = "gardens:\n- identity: landscape\n  kubeconfig: ~/k.yaml\n  patterns: ['^x$']\n  \
                    accessRestrictions:\n  - key: eu-access-only\n    msg: EU only\nlinkKubeconfig: false\n";
        let c: Config = serde_yaml::from_str(text).unwrap();
        assert!(!c.link_kubeconfig());
        assert!(c.gardens[0].access_restrictions[0].notify_if);
        assert!(c.gardens[0].kubeconfig_path().ends_with("k.yaml"));
    }
}
