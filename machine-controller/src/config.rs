//! Timeouts and periods of the machine controller: flags with MCM's defaults, overridable per machine by
//! `spec.machineConfiguration` (`creationTimeout`, `healthTimeout`, `drainTimeout`, as Go durations).

use std::time::Duration;

use garden_api::machine::v1alpha1::MachineConfiguration;

/// How long the controller waits for machines before it acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Pending longer than this: Failed (MCM default 20 min).
    pub creation: Duration,
    /// Unknown longer than this: Failed (MCM default 10 min).
    pub health: Duration,
    /// Pods still on a node this long after deletion started are deleted without eviction (MCM default 2 h).
    pub drain: Duration,
    /// A Node whose Lease was not renewed for this long counts as not ready (kube's node monitor grace period).
    pub node_monitor_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            creation: Duration::from_secs(20 * 60),
            health: Duration::from_secs(10 * 60),
            drain: Duration::from_secs(2 * 60 * 60),
            node_monitor_grace: Duration::from_secs(40),
        }
    }
}

impl Timeouts {
    /// These timeouts with the machine's own overrides applied (unparsable values keep the default; the API
    /// server refuses them on write).
    pub fn for_machine(&self, config: &MachineConfiguration) -> Timeouts {
        let pick = |v: &Option<String>, default: Duration| v.as_deref().and_then(parse_duration).unwrap_or(default);
        Timeouts {
            creation: pick(&config.creation_timeout, self.creation),
            health: pick(&config.health_timeout, self.health),
            drain: pick(&config.drain_timeout, self.drain),
            node_monitor_grace: self.node_monitor_grace,
        }
    }
}

/// How often things happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Periods {
    /// Health re-check of a machine whose node did not change (node events trigger checks at once).
    pub machine_resync: Duration,
    /// Orphan VM collection (MCM's safety controller, default 15 min there; much cheaper here).
    pub safety_orphans: Duration,
    /// Retry after a driver error of class Short / Medium / Long.
    pub retry_short: Duration,
    pub retry_medium: Duration,
    pub retry_long: Duration,
}

impl Default for Periods {
    fn default() -> Self {
        Periods {
            machine_resync: Duration::from_secs(30),
            safety_orphans: Duration::from_secs(60),
            retry_short: Duration::from_secs(5),
            retry_medium: Duration::from_secs(30),
            retry_long: Duration::from_secs(5 * 60),
        }
    }
}

impl Periods {
    /// The pause after a driver error with `code`.
    pub fn retry(&self, code: machine_driver::Code) -> Duration {
        match code.retry() {
            machine_driver::Retry::Short => self.retry_short,
            machine_driver::Retry::Medium => self.retry_medium,
            machine_driver::Retry::Long => self.retry_long,
        }
    }
}

/// A Go duration (`1h30m`, `10m`, `90s`, `500ms`, `0`): what MCM's `metav1.Duration` fields hold.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * seconds;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5d"), None);
    }

    #[test]
    fn machine_overrides_win() {
        let t = Timeouts::default().for_machine(&MachineConfiguration {
            health_timeout: Some("30s".into()),
            creation_timeout: Some("bogus".into()),
            ..Default::default()
        });
        assert_eq!(t.health, Duration::from_secs(30));
        assert_eq!(t.creation, Duration::from_secs(1200));
    }
}
