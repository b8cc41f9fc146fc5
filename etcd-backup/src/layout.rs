//! Gardener's object layout: `<prefix>/v2/Full-<startRev>-<endRev>-<unix>` and
//! `<prefix>/v2/Incr-<startRev>-<endRev>-<unix>` (revisions zero-padded to 8 digits, wider when they grow).
//!
//! A full snapshot's start revision is 0 and its end revision the etcd revision it contains at least (see
//! [`crate::full`]). A delta holds the events of revisions `startRev..=endRev`. We never write Gardener's
//! optional compression suffix (`.gz`, `.zlib`, ...) or `.final` marker; objects carrying one are treated as
//! foreign (not ours to read or delete) and skipped with a warning, like every other name that does not parse.

use std::fmt;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::ObjectStore;
use tracing::warn;

use crate::error::{Error, Result};

/// Full snapshot or delta ("incremental") snapshot. Orders `Incr` before `Full`: at the same end revision the
/// full snapshot supersedes the delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Kind {
    /// Events of a range of revisions.
    Incr,
    /// The whole database.
    Full,
}

impl Kind {
    /// `Full` or `Incr`, as in object names.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Full => "Full",
            Kind::Incr => "Incr",
        }
    }
}

/// One snapshot object, as named in the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Full or delta.
    pub kind: Kind,
    /// First revision (0 for full snapshots).
    pub start_revision: i64,
    /// Last revision.
    pub end_revision: i64,
    /// Creation time, unix seconds.
    pub created_unix: i64,
}

impl Snapshot {
    /// A full snapshot containing (at least) revision `revision`.
    pub fn full(revision: i64, created_unix: i64) -> Self {
        Snapshot { kind: Kind::Full, start_revision: 0, end_revision: revision, created_unix }
    }

    /// A delta snapshot of the revisions `first..=last`.
    pub fn delta(first: i64, last: i64, created_unix: i64) -> Self {
        Snapshot { kind: Kind::Incr, start_revision: first, end_revision: last, created_unix }
    }

    /// The object name without prefix, e.g. `Full-00000000-00001234-1700000000`.
    pub fn name(&self) -> String {
        format!("{}-{:08}-{:08}-{}", self.kind.as_str(), self.start_revision, self.end_revision, self.created_unix)
    }

    /// Parses an object name (the last path segment); `None` for anything that is not ours.
    pub fn parse(name: &str) -> Option<Self> {
        let mut parts = name.split('-');
        let kind = match parts.next()? {
            "Full" => Kind::Full,
            "Incr" => Kind::Incr,
            _ => return None,
        };
        let mut number = |min_len: usize| -> Option<i64> {
            let s = parts.next()?;
            if s.len() < min_len || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        };
        let start_revision = number(8)?;
        let end_revision = number(8)?;
        let created_unix = number(1)?;
        if parts.next().is_some() || end_revision < start_revision {
            return None;
        }
        Some(Snapshot { kind, start_revision, end_revision, created_unix })
    }

    /// The object path under `prefix`.
    pub fn path(&self, prefix: &str) -> Path {
        dir(prefix).child(self.name())
    }

    /// Sort key: by end revision, then deltas before fulls, then creation time.
    fn key(&self) -> (i64, Kind, i64, i64) {
        (self.end_revision, self.kind, self.created_unix, self.start_revision)
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl PartialOrd for Snapshot {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Snapshot {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// `<prefix>/v2`.
pub fn dir(prefix: &str) -> Path {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        Path::from("v2")
    } else {
        Path::from(prefix).child("v2")
    }
}

/// All snapshots under `<prefix>/v2/`, sorted (see [`Snapshot`]'s order); foreign objects are skipped.
pub async fn list(store: &dyn ObjectStore, prefix: &str) -> Result<Vec<Snapshot>> {
    let dir = dir(prefix);
    let objects: Vec<_> =
        store.list(Some(&dir)).try_collect().await.map_err(|e| Error::store("list", dir.to_string(), e))?;
    let mut out = Vec::with_capacity(objects.len());
    for meta in objects {
        let Some(name) = meta.location.filename() else { continue };
        // Only direct children of v2/.
        if meta.location.prefix_match(&dir).map(|rest| rest.count()) != Some(1) {
            continue;
        }
        match Snapshot::parse(name) {
            Some(s) => out.push(s),
            None if name.starts_with("Full-") || name.starts_with("Incr-") => {
                warn!(object = %meta.location, "skipping a snapshot object whose name this tool does not read")
            }
            None => {}
        }
    }
    out.sort();
    Ok(out)
}

/// A full snapshot and the deltas after it, in order: what a restore applies.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chain {
    /// The base.
    pub full: Snapshot,
    /// Deltas sorted after the full snapshot.
    pub deltas: Vec<Snapshot>,
}

impl Chain {
    /// The last revision the chain covers.
    pub fn end_revision(&self) -> i64 {
        self.deltas.last().map_or(self.full.end_revision, |d| d.end_revision).max(self.full.end_revision)
    }
}

/// The latest full snapshot of a sorted list plus every delta sorted after it; `None` without a full snapshot.
pub fn latest_chain(sorted: &[Snapshot]) -> Option<Chain> {
    let index = sorted.iter().rposition(|s| s.kind == Kind::Full)?;
    Some(Chain {
        full: sorted[index].clone(),
        deltas: sorted[index + 1..].iter().filter(|s| s.kind == Kind::Incr).cloned().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in [
            Snapshot::full(1234, 1_700_000_000),
            Snapshot::delta(1235, 1300, 1_700_000_010),
            Snapshot::delta(123_456_789, 123_456_799, 5),
        ] {
            assert_eq!(Snapshot::parse(&s.name()), Some(s.clone()), "{}", s.name());
        }
        assert_eq!(Snapshot::full(1234, 1_700_000_000).name(), "Full-00000000-00001234-1700000000");
        assert_eq!(Snapshot::delta(7, 9, 3).name(), "Incr-00000007-00000009-3");
    }

    #[test]
    fn foreign_names_do_not_parse() {
        for name in [
            "Full-00000000-00001234-1700000000.gz",
            "Full-00000000-00001234-1700000000.final",
            "Full-0-1-2",
            "Snap-00000000-00000001-2",
            "Incr-00000009-00000007-3",
            "Incr-00000007-00000009",
            "Incr-00000007-00000009-x",
            "Full-00000000-00001234-1700000000#1",
            "",
        ] {
            assert_eq!(Snapshot::parse(name), None, "{name}");
        }
    }

    #[test]
    fn sorting_puts_deltas_before_a_full_of_the_same_revision() {
        let mut v = vec![
            Snapshot::full(20, 100),
            Snapshot::delta(11, 20, 90),
            Snapshot::full(10, 50),
            Snapshot::delta(21, 30, 110),
        ];
        v.sort();
        let names: Vec<_> = v.iter().map(|s| (s.kind, s.end_revision)).collect();
        assert_eq!(names, vec![(Kind::Full, 10), (Kind::Incr, 20), (Kind::Full, 20), (Kind::Incr, 30)]);
        let chain = latest_chain(&v).unwrap();
        assert_eq!(chain.full, Snapshot::full(20, 100));
        assert_eq!(chain.deltas, vec![Snapshot::delta(21, 30, 110)]);
        assert_eq!(chain.end_revision(), 30);
        assert_eq!(latest_chain(&[Snapshot::delta(1, 2, 3)]), None);
    }

    #[test]
    fn paths_live_under_prefix_v2() {
        assert_eq!(Snapshot::full(1, 2).path("a/b/").to_string(), "a/b/v2/Full-00000000-00000001-2");
        assert_eq!(Snapshot::full(1, 2).path("").to_string(), "v2/Full-00000000-00000001-2");
    }
}
