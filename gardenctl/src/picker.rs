//! Choosing one of several names: an exact name wins; otherwise fuzzy matches (skim's algorithm), taken when only
//! one fits, offered in an interactive fuzzy picker when several do and a terminal is attached, and listed in the
//! error otherwise.

use std::io::IsTerminal;

use anyhow::{bail, Result};
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

/// Something to choose: the name it is known by and how it is shown (e.g. with its project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    pub label: String,
}

impl Item {
    pub fn named(name: &str) -> Item {
        Item { name: name.to_string(), label: name.to_string() }
    }
}

/// Whether both the keyboard and the screen are a terminal (the picker and confirmations need both).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Index into `items` of the one `query` means. `kind` names the items in messages ("shoot"), `scope` where they
/// were looked for ("in project dev"), `list_hint` the command listing them.
pub fn choose(kind: &str, query: &str, scope: &str, items: &[Item], list_hint: &str) -> Result<usize> {
    let exact: Vec<usize> = (0..items.len()).filter(|&i| items[i].name == query).collect();
    let candidates = match exact.len() {
        1 => return Ok(exact[0]),
        0 => fuzzy(query, items),
        _ => exact,
    };
    match candidates.len() {
        0 => bail!("{kind} '{query}' not found {scope} ({list_hint} lists them)"),
        1 => {
            eprintln!("'{query}' matched {kind} '{}'", items[candidates[0]].label);
            Ok(candidates[0])
        }
        _ if interactive() => pick(kind, query, items, &candidates),
        _ => {
            let labels: Vec<&str> = candidates.iter().map(|&i| items[i].label.as_str()).collect();
            bail!(
                "{kind} '{query}' is ambiguous {scope}: it matches {}; give a name only one has{}",
                labels.join(", "),
                if kind == "shoot" { ", or target the project first (gardenctl target project NAME)" } else { "" }
            )
        }
    }
}

/// Indices of the items whose name `query` fuzzy-matches, best first.
pub fn fuzzy(query: &str, items: &[Item]) -> Vec<usize> {
    let matcher = SkimMatcherV2::default();
    let mut scored: Vec<(i64, usize)> =
        items.iter().enumerate().filter_map(|(i, it)| matcher.fuzzy_match(&it.name, query).map(|s| (s, i))).collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

fn pick(kind: &str, query: &str, items: &[Item], candidates: &[usize]) -> Result<usize> {
    let labels: Vec<&str> = candidates.iter().map(|&i| items[i].label.as_str()).collect();
    let chosen = dialoguer::FuzzySelect::new()
        .with_prompt(format!("Several {kind}s match '{query}'; type to narrow, Enter to choose, Esc to cancel"))
        .items(&labels)
        .default(0)
        .interact_opt()?;
    match chosen {
        Some(i) => Ok(candidates[i]),
        None => bail!("cancelled: no {kind} chosen"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(names: &[&str]) -> Vec<Item> {
        names.iter().map(|n| Item::named(n)).collect()
    }

    #[test]
    fn exact_wins_then_a_single_fuzzy_match() {
        let list = items(&["local", "local-ha", "aws"]);
        assert_eq!(choose("shoot", "local", "here", &list, "ls").unwrap(), 0);
        assert_eq!(choose("shoot", "aw", "here", &list, "ls").unwrap(), 2);
        assert_eq!(choose("shoot", "lha", "here", &list, "ls").unwrap(), 1);
    }

    #[test]
    fn no_match_and_ambiguity_are_named_without_a_terminal() {
        let list = items(&["web-a", "web-b"]);
        let missing =
            format!("{:#}", choose("shoot", "db", "in project dev", &list, "gardenctl ls shoots").unwrap_err());
        assert!(missing.contains("shoot 'db' not found in project dev (gardenctl ls shoots lists them)"), "{missing}");
        if !interactive() {
            let ambiguous = format!("{:#}", choose("shoot", "web", "in project dev", &list, "ls").unwrap_err());
            assert!(ambiguous.contains("matches web-a, web-b"), "{ambiguous}");
        }
    }
}
