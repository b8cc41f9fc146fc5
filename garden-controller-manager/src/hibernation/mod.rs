//! Hibernation schedules: shoots with `spec.hibernation.schedules` (cron `start`/`end` in a `location` time
//! zone) are hibernated and woken by flipping `spec.hibernation.enabled` at the scheduled minutes; the gardenlet
//! does the rest. Gardener's shoot hibernation controller, as a periodic sweep.

use std::time::Duration;

use garden_api::core::v1beta1::{HibernationSchedule, Shoot};
use jiff::{tz::TimeZone, Timestamp, ToSpan};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use serde_json::json;
use tracing::{debug, info, warn};

/// Never look back further than this (after a long outage only the last day's schedule counts).
const MAX_LOOKBACK_MINUTES: i64 = 24 * 60;

/// What the schedules ask for in the minutes `(since, until]`: the latest start (`true`) or end (`false`) that
/// fired, if any. Invalid cron specs or unknown locations are skipped (validation refuses them on write).
pub fn decide(schedules: &[HibernationSchedule], since: Timestamp, until: Timestamp) -> Option<bool> {
    let first = since.as_second() / 60 + 1;
    let last = until.as_second() / 60;
    let first = first.max(last - MAX_LOOKBACK_MINUTES);
    let mut latest: Option<(i64, bool)> = None;
    for s in schedules {
        let tz = match s.location.as_deref().filter(|l| !l.is_empty()) {
            Some(l) => match TimeZone::get(l) {
                Ok(tz) => tz,
                Err(_) => continue,
            },
            None => TimeZone::UTC,
        };
        for minute in first..=last {
            let Ok(t) = Timestamp::from_second(minute * 60) else { continue };
            let z = t.to_zoned(tz.clone());
            let dow = z.weekday().to_sunday_zero_offset() as u32;
            let (m, h, d, mo) = (z.minute() as u32, z.hour() as u32, z.day() as u32, z.month() as u32);
            for (spec, want) in [(&s.start, true), (&s.end, false)] {
                let Some(spec) = spec.as_deref() else { continue };
                if garden_api::cron::matches(spec, m, h, d, mo, dow).unwrap_or(false)
                    && latest.is_none_or(|(at, _)| minute >= at)
                {
                    latest = Some((minute, want));
                }
            }
        }
    }
    latest.map(|(_, want)| want)
}

/// Sweep all shoots every `period` until `shutdown` resolves.
pub async fn run(client: Client, period: Duration, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let shoots: Api<Shoot> = Api::all(client.clone());
    let mut since = Timestamp::now() - 1.minute();
    let mut tick = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = &mut shutdown => return,
        }
        let now = Timestamp::now();
        let list = match shoots.list(&ListParams::default()).await {
            Ok(l) => l,
            Err(e) => {
                warn!(error = %e, "failed to list shoots for hibernation schedules");
                continue;
            }
        };
        for shoot in list.items {
            let Some(h) = shoot.spec.hibernation.as_ref().filter(|h| !h.schedules.is_empty()) else { continue };
            let Some(want) = decide(&h.schedules, since, now) else { continue };
            if h.enabled == Some(want) || shoot.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let (ns, name) = (shoot.namespace().unwrap_or_default(), shoot.name_any());
            let api: Api<Shoot> = Api::namespaced(client.clone(), &ns);
            let patch = json!({"spec": {"hibernation": {"enabled": want}}});
            match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => info!(shoot = %format!("{ns}/{name}"), hibernate = want, "hibernation schedule applied"),
                Err(e) => {
                    debug!(shoot = %format!("{ns}/{name}"), error = %e, "hibernation schedule not applied; next sweep retries")
                }
            }
        }
        since = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(start: Option<&str>, end: Option<&str>, location: Option<&str>) -> HibernationSchedule {
        HibernationSchedule {
            start: start.map(Into::into),
            end: end.map(Into::into),
            location: location.map(Into::into),
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn start_and_end_fire_in_their_time_zone() {
        // Weekdays 20:00 hibernate, 08:00 wake, Berlin time (UTC+1 in January).
        let s = [sched(Some("00 20 * * 1,2,3,4,5"), Some("00 08 * * 1,2,3,4,5"), Some("Europe/Berlin"))];
        // Wednesday 2026-01-07 19:00 UTC = 20:00 Berlin.
        assert_eq!(decide(&s, ts("2026-01-07T18:58:00Z"), ts("2026-01-07T19:00:30Z")), Some(true));
        assert_eq!(decide(&s, ts("2026-01-07T19:00:30Z"), ts("2026-01-07T19:05:00Z")), None, "nothing new");
        // Thursday 07:00 UTC = 08:00 Berlin.
        assert_eq!(decide(&s, ts("2026-01-08T06:59:00Z"), ts("2026-01-08T07:00:00Z")), Some(false));
        // Saturday: no weekday schedule.
        assert_eq!(decide(&s, ts("2026-01-10T18:00:00Z"), ts("2026-01-10T20:00:00Z")), None);
    }

    #[test]
    fn latest_event_wins_and_bad_specs_are_skipped() {
        let s =
            [sched(Some("0 1 * * *"), Some("0 2 * * *"), None), sched(Some("not cron"), None, Some("Nowhere/Land"))];
        assert_eq!(decide(&s, ts("2026-01-01T00:30:00Z"), ts("2026-01-01T03:00:00Z")), Some(false));
        assert_eq!(decide(&s, ts("2026-01-01T00:30:00Z"), ts("2026-01-01T01:30:00Z")), Some(true));
    }
}
