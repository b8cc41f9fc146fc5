//! Garbage collection of old snapshots: a pure [`plan`] and an executor, [`collect_garbage`].
//!
//! Both policies always keep the latest full snapshot and every delta after it (the chain a restore needs)
//! and delete every delta that sorts before the latest full snapshot (unlike Gardener, without a delta
//! retention period: such deltas are never read again). For older full snapshots:
//!
//! - [`GcPolicy::LimitBased`] keeps the latest `max_backups` full snapshots.
//! - [`GcPolicy::Exponential`] follows Gardener's windows, counted back from the end of the current UTC day:
//!   every full snapshot of the current hour; the latest of each hour of the current day; the latest of each
//!   day of the 7 days before; the latest of each week of the 4 weeks before that (weeks end on the previous
//!   day); nothing older. "The latest of a window" means: a full snapshot is kept when the next newer full
//!   snapshot falls into another window of its granularity.

use object_store::ObjectStore;
use tracing::{info, warn};

use crate::error::Result;
use crate::layout::{self, Kind, Snapshot};

/// Which full snapshots to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcPolicy {
    /// Hourly / daily / weekly thinning (Gardener's `Exponential`).
    Exponential,
    /// Keep the latest `max_backups` full snapshots (at least one).
    LimitBased {
        /// How many full snapshots to keep.
        max_backups: usize,
    },
}

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

/// The snapshots to delete, in the store's order. Pure: `now_unix` is the clock.
pub fn plan(policy: GcPolicy, snapshots: &[Snapshot], now_unix: i64) -> Vec<Snapshot> {
    let mut sorted = snapshots.to_vec();
    sorted.sort();
    let Some(latest_full) = sorted.iter().rposition(|s| s.kind == Kind::Full) else {
        return Vec::new();
    };
    let mut delete: Vec<Snapshot> = sorted[..latest_full].iter().filter(|s| s.kind == Kind::Incr).cloned().collect();
    let fulls: Vec<&Snapshot> = sorted.iter().filter(|s| s.kind == Kind::Full).collect();
    match policy {
        GcPolicy::LimitBased { max_backups } => {
            let keep = max_backups.max(1);
            if fulls.len() > keep {
                delete.extend(fulls[..fulls.len() - keep].iter().map(|s| (*s).clone()));
            }
        }
        GcPolicy::Exponential => delete.extend(exponential(&fulls, now_unix)),
    }
    delete.sort();
    delete
}

/// Gardener's exponential thinning of full snapshots (oldest first in `fulls`); never returns the last one.
fn exponential(fulls: &[&Snapshot], now: i64) -> Vec<Snapshot> {
    let mut delete = Vec::new();
    let mut eod = now - now.rem_euclid(DAY) + DAY - 1;
    let mut tracking_week = false;
    for i in (1..fulls.len()).rev() {
        let newer = fulls[i].created_unix;
        let older = fulls[i - 1].created_unix;
        let age = eod - older;
        let threshold = if age < DAY {
            if older.rem_euclid(DAY) / HOUR == now.rem_euclid(DAY) / HOUR {
                0 // the current hour: keep them all
            } else {
                1
            }
        } else if age < 8 * DAY {
            24
        } else if age < 5 * WEEK {
            if !tracking_week {
                // Weeks end with the previous day.
                eod -= DAY;
                tracking_week = true;
            }
            24 * 7
        } else {
            i64::MAX
        };
        let window_change = |len: i64| (eod - older) / len - (eod - newer) / len;
        let keep = threshold == 0
            || window_change(HOUR) / threshold != 0
            || window_change(DAY) * 24 / threshold != 0
            || window_change(WEEK) * 24 * 7 / threshold != 0;
        if !keep {
            delete.push(fulls[i - 1].clone());
        }
    }
    delete
}

/// What a garbage collection run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Names of deleted snapshots.
    pub deleted: Vec<String>,
    /// Deletions that failed (retried on the next run).
    pub failed: usize,
}

/// Lists the store, plans and deletes. A failed deletion is logged and counted, the others go on.
pub async fn collect_garbage(
    store: &dyn ObjectStore,
    prefix: &str,
    policy: GcPolicy,
    now_unix: i64,
) -> Result<GcReport> {
    let snapshots = layout::list(store, prefix).await?;
    let mut report = GcReport::default();
    for snapshot in plan(policy, &snapshots, now_unix) {
        let path = snapshot.path(prefix);
        match store.delete(&path).await {
            Ok(()) => report.deleted.push(snapshot.name()),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => {
                warn!(snapshot = %snapshot, error = %e, "GC: failed to delete snapshot");
                report.failed += 1;
            }
        }
    }
    if !report.deleted.is_empty() || report.failed > 0 {
        info!(deleted = report.deleted.len(), failed = report.failed, "GC: garbage collection done");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// 2024-03-15T14:30:00Z
    const NOW: i64 = 1_710_513_000;

    fn full(created: i64) -> Snapshot {
        // Revisions grow with time.
        Snapshot::full(created / 10, created)
    }

    fn deltas_after(full: &Snapshot, n: i64) -> Vec<Snapshot> {
        (0..n)
            .map(|i| {
                let start = full.end_revision + 1 + i;
                Snapshot::delta(start, start, full.created_unix + 1 + i)
            })
            .collect()
    }

    fn kept(all: &[Snapshot], deleted: &[Snapshot]) -> Vec<Snapshot> {
        let deleted: BTreeSet<_> = deleted.iter().collect();
        let mut v: Vec<_> = all.iter().filter(|s| !deleted.contains(s)).cloned().collect();
        v.sort();
        v
    }

    #[test]
    fn limit_based_keeps_the_latest_n_fulls_and_the_latest_chain() {
        let mut all = Vec::new();
        for i in 0..5 {
            let f = full(NOW - (5 - i) * DAY);
            all.extend(deltas_after(&f, 2));
            all.push(f);
        }
        let deleted = plan(GcPolicy::LimitBased { max_backups: 2 }, &all, NOW);
        let kept = kept(&all, &deleted);
        let latest = full(NOW - DAY);
        let mut expected = vec![full(NOW - 2 * DAY), latest.clone()];
        expected.extend(deltas_after(&latest, 2));
        expected.sort();
        assert_eq!(kept, expected);
        // Zero means one: never the latest full.
        let deleted = plan(GcPolicy::LimitBased { max_backups: 0 }, &all, NOW);
        assert!(!deleted.contains(&latest));
        assert!(deleted.contains(&full(NOW - 2 * DAY)));
    }

    #[test]
    fn the_latest_full_and_its_deltas_are_always_kept() {
        // Everything is months old: the exponential policy deletes all older fulls but not the latest chain.
        let old = NOW - 100 * DAY;
        let mut all = vec![full(old - 2 * DAY), full(old - DAY)];
        let latest = full(old);
        all.extend(deltas_after(&all[0].clone(), 3));
        all.extend(deltas_after(&latest, 3));
        all.push(latest.clone());
        for policy in [GcPolicy::Exponential, GcPolicy::LimitBased { max_backups: 1 }] {
            let deleted = plan(policy, &all, NOW);
            let mut expected = vec![latest.clone()];
            expected.extend(deltas_after(&latest, 3));
            expected.sort();
            assert_eq!(kept(&all, &deleted), expected, "{policy:?}");
        }
    }

    #[test]
    fn nothing_is_deleted_without_a_full_snapshot() {
        let all = vec![Snapshot::delta(1, 2, NOW - 10 * DAY), Snapshot::delta(3, 4, NOW - 9 * DAY)];
        assert!(plan(GcPolicy::Exponential, &all, NOW).is_empty());
        assert!(plan(GcPolicy::LimitBased { max_backups: 1 }, &all, NOW).is_empty());
    }

    #[test]
    fn exponential_thins_hourly_daily_weekly() {
        // A full snapshot every 10 minutes for 50 days up to now.
        let all: Vec<Snapshot> = (0..(50 * DAY / 600)).map(|i| full(NOW - i * 600)).collect();
        let deleted = plan(GcPolicy::Exponential, &all, NOW);
        let kept = kept(&all, &deleted);
        let start_of_today = NOW - NOW.rem_euclid(DAY);
        let start_of_hour = NOW - NOW.rem_euclid(HOUR);

        // Every snapshot of the current hour.
        let current_hour: Vec<_> = all.iter().filter(|s| s.created_unix >= start_of_hour).collect();
        assert_eq!(current_hour.len(), 4);
        assert!(current_hour.iter().all(|s| kept.contains(s)));

        // One per earlier hour of today: the latest of that hour.
        let mut per_hour: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for s in kept.iter().filter(|s| s.created_unix >= start_of_today && s.created_unix < start_of_hour) {
            per_hour.entry(s.created_unix / HOUR).or_default().push(s.created_unix);
        }
        assert_eq!(per_hour.len(), 14, "hours 00..13 of today: {per_hour:?}");
        for (hour, times) in &per_hour {
            assert_eq!(times, &vec![hour * HOUR + 50 * 60], "latest of hour {hour}");
        }

        // One per day for the 7 days before today: the last of that day.
        let week_start = start_of_today - 7 * DAY;
        let daily: Vec<_> =
            kept.iter().filter(|s| s.created_unix >= week_start && s.created_unix < start_of_today).collect();
        assert_eq!(daily.len(), 7, "{daily:?}");
        for s in daily {
            assert_eq!(s.created_unix.rem_euclid(DAY), DAY - 600, "{s}");
        }

        // Weekly before that, nothing older than 5 weeks.
        let weekly: Vec<_> = kept.iter().filter(|s| s.created_unix < week_start).collect();
        assert!((3..=5).contains(&weekly.len()), "{weekly:?}");
        for pair in weekly.windows(2) {
            assert!(pair[1].created_unix - pair[0].created_unix >= 6 * DAY, "{pair:?}");
        }
        assert!(weekly.iter().all(|s| s.created_unix > start_of_today + DAY - 5 * WEEK), "{weekly:?}");
    }

    #[test]
    fn exponential_deletes_deltas_of_older_chains_only() {
        let f1 = full(NOW - 3 * HOUR);
        let f2 = full(NOW - 2 * HOUR);
        let mut all = vec![f1.clone(), f2.clone()];
        all.extend(deltas_after(&f1, 2));
        all.extend(deltas_after(&f2, 2));
        let deleted = plan(GcPolicy::Exponential, &all, NOW);
        assert_eq!(deleted, deltas_after(&f1, 2));
    }
}
