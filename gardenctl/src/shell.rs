//! What gardenctl prints for shells to evaluate: variable assignments (quoted per shell), the rc lines (session
//! id, completion, aliases) and the completion registration.

use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::Shell;

/// `NAME=value` for the shell, quoted so that any value stays one word.
pub fn export(shell: Shell, name: &str, value: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => format!("export {name}='{}';", value.replace('\'', r"'\''")),
        Shell::Fish => format!("set -gx {name} '{}';", value.replace('\\', r"\\").replace('\'', r"\'")),
        Shell::Powershell => format!("$Env:{name} = '{}';", value.replace('\'', "''")),
    }
}

/// Removes `NAME` from the environment.
pub fn unset(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => format!("unset {name};"),
        Shell::Fish => format!("set -e {name};"),
        Shell::Powershell => format!("Remove-Item -ErrorAction SilentlyContinue Env:\\{name};"),
    }
}

/// The comment telling how to use the output of `command` (e.g. `kubectl-env`).
pub fn eval_hint(shell: Shell, command: &str) -> String {
    let name = shell_name(shell);
    let line = match shell {
        Shell::Bash | Shell::Zsh => format!("eval \"$(gardenctl {command} {name})\""),
        Shell::Fish => format!("eval (gardenctl {command} {name})"),
        Shell::Powershell => format!("& gardenctl {command} {name} | Invoke-Expression"),
    };
    format!("# Run this command to configure your shell:\n# {line}")
}

pub fn shell_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Powershell => "powershell",
    }
}

/// The short aliases `rc` defines, `<prefix><suffix>` -> command.
const ALIASES: [(&str, &str); 8] = [
    ("", "gardenctl"),
    ("t", "gardenctl target"),
    ("tv", "gardenctl target view"),
    ("tc", "gardenctl target control-plane"),
    ("th", "gardenctl target history"),
    ("ls", "gardenctl ls shoots"),
    ("k", "eval_kubectl_env"),
    ("p", "eval_provider_env"),
];

/// The lines for the shell's rc file: a session id unless one is set, completion, short aliases.
pub fn rc(shell: Shell, prefix: &str, completion: bool) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let name = shell_name(shell);
    let mut out = String::new();
    let evaluated = |command: &str| match shell {
        Shell::Bash | Shell::Zsh => format!("eval \"$(gardenctl {command} {name})\""),
        Shell::Fish => format!("eval (gardenctl {command} {name})"),
        Shell::Powershell => format!("gardenctl {command} {name} | Invoke-Expression"),
    };
    match shell {
        Shell::Bash | Shell::Zsh => {
            out.push_str(&format!(
                "if [ -z \"${{GCTL_SESSION_ID:-}}\" ] && [ -z \"${{TERM_SESSION_ID:-}}\" ]; then\n  export GCTL_SESSION_ID={id}\nfi\n"
            ));
        }
        Shell::Fish => {
            out.push_str(&format!(
                "if test -z \"$GCTL_SESSION_ID\"; and test -z \"$TERM_SESSION_ID\"\n  set -gx GCTL_SESSION_ID {id}\nend\n"
            ));
        }
        Shell::Powershell => {
            out.push_str(&format!(
                "if (-not $Env:GCTL_SESSION_ID -and -not $Env:TERM_SESSION_ID) {{ $Env:GCTL_SESSION_ID = '{id}' }}\n"
            ));
        }
    }
    for (suffix, command) in ALIASES {
        let command = match command {
            "eval_kubectl_env" => evaluated("kubectl-env"),
            "eval_provider_env" => evaluated("provider-env"),
            c => c.to_string(),
        };
        let alias = format!("{prefix}{suffix}");
        out.push_str(&match shell {
            Shell::Bash | Shell::Zsh => format!("alias {alias}='{}'\n", command.replace('\'', r"'\''")),
            Shell::Fish => format!("alias {alias} '{}'\n", command.replace('\'', r"\'")),
            Shell::Powershell => format!("function {alias} {{ {command} @args }}\n"),
        });
    }
    if completion {
        let mut script = Vec::new();
        registration(shell, &mut script)?;
        out.push_str(&String::from_utf8(script)?);
        if shell == Shell::Bash && !prefix.is_empty() {
            // The alias of gardenctl itself completes like it.
            out.push_str(&format!(
                "complete -o nospace -o bashdefault -o nosort -F _clap_complete_gardenctl {prefix}\n"
            ));
        }
    }
    Ok(out)
}

/// The completion script of `shell`: clap_complete's registration, calling back into this binary for candidates
/// (names of gardens, projects, seeds and shoots included).
pub fn registration(shell: Shell, out: &mut dyn Write) -> Result<()> {
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells.completer(shell_name(shell)).context("no completion for this shell")?;
    let bin =
        std::env::current_exe().ok().and_then(|p| p.to_str().map(str::to_string)).unwrap_or_else(|| "gardenctl".into());
    completer.write_registration("COMPLETE", "gardenctl", "gardenctl", &bin, out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_values_whole() {
        assert_eq!(export(Shell::Bash, "A", "it's $HOME"), r"export A='it'\''s $HOME';");
        assert_eq!(export(Shell::Fish, "A", r"it's \x"), r"set -gx A 'it\'s \\x';");
        assert_eq!(export(Shell::Powershell, "A", "it's"), "$Env:A = 'it''s';");
        assert_eq!(unset(Shell::Zsh, "A"), "unset A;");
    }

    #[test]
    fn rc_sets_a_session_and_aliases() {
        let text = rc(Shell::Bash, "g", false).unwrap();
        assert!(text.contains("export GCTL_SESSION_ID="), "{text}");
        assert!(text.contains("alias gk='eval \"$(gardenctl kubectl-env bash)\"'"), "{text}");
        assert!(text.contains("alias gtv='gardenctl target view'"), "{text}");
    }
}
