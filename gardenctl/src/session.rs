//! Per-shell state, as gardenctl-v2 keeps it: `$TMPDIR/garden/sessions/<GCTL_SESSION_ID>/` holds `target.yaml`,
//! the target's kubeconfig (`kubeconfig.<hash>.yaml`, with the stable symlink `kubeconfig.yaml`) and, beyond
//! gardenctl-v2, `history.yaml` (the targets of this session, for `target -` and `target history`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::files;

/// How many targets `history.yaml` keeps.
const HISTORY_LIMIT: usize = 100;

/// Where the user is: each level is empty when not targeted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub garden: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seed: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub shoot: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub control_plane: bool,
}

impl Target {
    pub fn is_empty(&self) -> bool {
        self.garden.is_empty()
    }

    /// `garden/local/project/dev/shoot/web` (kubectx-like one-line form).
    pub fn path(&self) -> String {
        if self.is_empty() {
            return "(nothing targeted)".into();
        }
        let mut parts = vec![format!("garden/{}", self.garden)];
        if !self.project.is_empty() {
            parts.push(format!("project/{}", self.project));
        }
        if !self.seed.is_empty() {
            parts.push(format!("seed/{}", self.seed));
        }
        if !self.shoot.is_empty() {
            parts.push(format!("shoot/{}", self.shoot));
        }
        if self.control_plane {
            parts.push("control-plane".into());
        }
        parts.join("/")
    }
}

/// One entry of the session's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub time: String,
    pub target: Target,
}

/// The current shell's session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub dir: PathBuf,
}

/// `$TMPDIR/garden/sessions`.
pub fn sessions_dir() -> PathBuf {
    std::env::temp_dir().join("garden").join("sessions")
}

impl Session {
    /// The session of `$GCTL_SESSION_ID` (else `$TERM_SESSION_ID`, which macOS terminals set).
    pub fn current() -> Result<Session> {
        let id =
            ["GCTL_SESSION_ID", "TERM_SESSION_ID"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        let Some(id) = id else {
            bail!(
                "no session: GCTL_SESSION_ID is not set. Run eval \"$(gardenctl rc bash)\" (or zsh, fish) in this \
                 shell, or export GCTL_SESSION_ID=<any id> to share a target between shells"
            );
        };
        if id.len() > 128 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) || id.starts_with('.')
        {
            bail!("GCTL_SESSION_ID '{id}' may only hold letters, digits, '-', '_', '.', ':' (at most 128)");
        }
        let dir = sessions_dir().join(&id);
        Ok(Session { id, dir })
    }

    pub fn target_path(&self) -> PathBuf {
        self.dir.join("target.yaml")
    }

    fn history_path(&self) -> PathBuf {
        self.dir.join("history.yaml")
    }

    /// The stable kubeconfig path (a symlink to the current target's kubeconfig).
    pub fn kubeconfig_link(&self) -> PathBuf {
        self.dir.join("kubeconfig.yaml")
    }

    pub fn target(&self) -> Result<Target> {
        read_yaml(&self.target_path())
    }

    pub fn history(&self) -> Result<Vec<HistoryEntry>> {
        read_yaml(&self.history_path())
    }

    /// Saves `target` as the current one and appends it to the history (unless it equals the last entry).
    pub fn save_target(&self, target: &Target) -> Result<()> {
        files::write_private(&self.target_path(), serde_yaml::to_string(target)?.as_bytes())?;
        let mut history = self.history()?;
        if history.last().map(|h| &h.target) != Some(target) {
            history.push(HistoryEntry { time: jiff::Timestamp::now().to_string(), target: target.clone() });
            let excess = history.len().saturating_sub(HISTORY_LIMIT);
            history.drain(..excess);
            files::write_private(&self.history_path(), serde_yaml::to_string(&history)?.as_bytes())?;
        }
        Ok(())
    }

    /// The target before the current one (for `target -`): the latest history entry that differs from it.
    pub fn previous_target(&self) -> Result<Target> {
        let current = self.target()?;
        let history = self.history()?;
        history
            .iter()
            .rev()
            .map(|h| &h.target)
            .find(|t| **t != current)
            .cloned()
            .context("no previous target in this session (gardenctl target history lists the targets of this session)")
    }

    /// Writes the kubeconfig of the current target (`kubeconfig.<hash>.yaml`, 0600), removes the session's older
    /// ones and, when `link`, points `kubeconfig.yaml` at it. Returns the path kubectl should use.
    pub fn write_kubeconfig(&self, content: &str, link: bool) -> Result<PathBuf> {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(content.as_bytes());
        let name = format!("kubeconfig.{}.yaml", &hex(&hash)[..16]);
        let path = self.dir.join(&name);
        files::write_private(&path, content.as_bytes())?;
        if link {
            files::replace_symlink(&name, &self.kubeconfig_link())?;
        }
        for entry in fs::read_dir(&self.dir)?.flatten() {
            let n = entry.file_name().to_string_lossy().to_string();
            if n.starts_with("kubeconfig.") && n.ends_with(".yaml") && n != name && n != "kubeconfig.yaml" {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(if link { self.kubeconfig_link() } else { path })
    }

    /// Forgets the kubeconfig (nothing targeted).
    pub fn remove_kubeconfig(&self) {
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("kubeconfig.") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// What `session list` shows of a session.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: String,
    pub current: bool,
    pub target: Target,
    /// When it was last written, RFC 3339.
    pub last_used: String,
    #[serde(skip)]
    pub idle: Duration,
    #[serde(skip)]
    pub dir: PathBuf,
}

/// Every session under [`sessions_dir`], the most recently used first.
pub fn list(current: Option<&str>) -> Result<Vec<SessionInfo>> {
    let dir = sessions_dir();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let id = entry.file_name().to_string_lossy().to_string();
        let modified = newest_mtime(&path);
        let idle = SystemTime::now().duration_since(modified).unwrap_or_default();
        let last_used = jiff::Timestamp::try_from(modified).map(|t| t.to_string()).unwrap_or_default();
        let target = read_yaml(&path.join("target.yaml")).unwrap_or_default();
        out.push(SessionInfo { current: current == Some(id.as_str()), id, target, last_used, idle, dir: path });
    }
    out.sort_by_key(|s| s.idle);
    Ok(out)
}

fn newest_mtime(dir: &Path) -> SystemTime {
    let own = fs::metadata(dir).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| fs::symlink_metadata(e.path()).and_then(|m| m.modified()).ok())
        .fold(own, |a, b| a.max(b))
}

fn read_yaml<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(T::default()),
        Ok(text) => serde_yaml::from_str(&text).with_context(|| {
            format!("{} is damaged; gardenctl target unset garden starts this session afresh", path.display())
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_paths_and_levels() {
        let t = Target { garden: "local".into(), project: "dev".into(), shoot: "web".into(), ..Default::default() };
        assert_eq!(t.path(), "garden/local/project/dev/shoot/web");
        assert_eq!(Target::default().path(), "(nothing targeted)");
        let yaml = serde_yaml::to_string(&t).unwrap();
        assert_eq!(yaml, "garden: local\nproject: dev\nshoot: web\n");
    }

    #[test]
    fn history_gives_the_previous_target() {
        let s =
            Session { id: "t".into(), dir: std::env::temp_dir().join(format!("gardenctl-s-{}", uuid::Uuid::new_v4())) };
        let a = Target { garden: "g".into(), ..Default::default() };
        let b = Target { garden: "g".into(), project: "p".into(), ..Default::default() };
        s.save_target(&a).unwrap();
        s.save_target(&b).unwrap();
        s.save_target(&b).unwrap();
        assert_eq!(s.history().unwrap().len(), 2);
        assert_eq!(s.previous_target().unwrap(), a);
        s.save_target(&a).unwrap();
        assert_eq!(s.previous_target().unwrap(), b);
        fs::remove_dir_all(&s.dir).unwrap();
    }
}
