//! When full snapshots are due: a fixed period or a 5-field cron spec (UTC), as Gardener's `schedule`.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::error::{Error, Result};

/// The full-snapshot schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FullSchedule {
    /// A full snapshot `period` after the previous one.
    Period(Duration),
    /// At the minutes a cron spec matches (UTC), e.g. `0 */1 * * *`. `@every <duration>` is a period.
    Cron(String),
}

impl FullSchedule {
    /// Parses a cron spec; `@every 1h` becomes a period.
    pub fn cron(spec: &str) -> Result<Self> {
        if let Some(every) = spec.trim().strip_prefix("@every ") {
            return Ok(FullSchedule::Period(parse_duration(every)?));
        }
        garden_api::cron::validate_cron(spec)
            .map_err(|e| Error::InvalidConfig(format!("full snapshot schedule: {e}")))?;
        Ok(FullSchedule::Cron(spec.trim().to_string()))
    }

    /// The first time (unix seconds) strictly after `last_unix` a full snapshot is due; `None` if never
    /// (a cron spec that matches no minute within a year).
    pub fn next_after(&self, last_unix: i64) -> Option<i64> {
        match self {
            FullSchedule::Period(period) => Some(last_unix + period.as_secs().max(1) as i64),
            FullSchedule::Cron(spec) => {
                let mut minute = last_unix.div_euclid(60) * 60 + 60;
                for _ in 0..(366 * 24 * 60) {
                    let t = Timestamp::from_second(minute).ok()?.to_zoned(TimeZone::UTC);
                    let dow = t.weekday().to_sunday_zero_offset() as u32;
                    let hit = garden_api::cron::matches(
                        spec,
                        t.minute() as u32,
                        t.hour() as u32,
                        t.day() as u32,
                        t.month() as u32,
                        dow,
                    );
                    if hit.ok()? {
                        return Some(minute);
                    }
                    minute += 60;
                }
                None
            }
        }
    }
}

/// Parses `10s`, `5m`, `1h30m`, `500ms`, `2 hours`.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let d: jiff::SignedDuration =
        s.trim().parse().map_err(|e| Error::InvalidConfig(format!("invalid duration {s:?}: {e}")))?;
    Duration::try_from(d).map_err(|_| Error::InvalidConfig(format!("negative duration {s:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn cron_next_fire() {
        // 2024-03-15T14:30:00Z
        let now = 1_710_513_000;
        let hourly = FullSchedule::cron("0 */1 * * *").unwrap();
        assert_eq!(hourly.next_after(now), Some(now + 30 * 60));
        let daily = FullSchedule::cron("@daily").unwrap();
        assert_eq!(daily.next_after(now), Some(now - 14 * 3600 - 30 * 60 + 86400));
        assert_eq!(FullSchedule::cron("@every 2h").unwrap(), FullSchedule::Period(Duration::from_secs(7200)));
        assert_eq!(FullSchedule::Period(Duration::from_secs(60)).next_after(now), Some(now + 60));
        assert!(FullSchedule::cron("61 * * * *").is_err());
        // Feb 30 never comes.
        assert_eq!(FullSchedule::cron("0 0 30 2 *").unwrap().next_after(now), None);
    }
}
