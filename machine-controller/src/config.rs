//! Timeouts and periods of the machine controller: flags with MCM's defaults, overridable per machine by
//! `spec.machineConfiguration` (`creationTimeout`, `healthTimeout`, `drainTimeout`, as Go durations).

use std::time::Duration;

use garden_api::machine::v1alpha1::validation::parse_duration;
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
        let pick = |v: &Option<String>, default: Duration| {
            v.as_deref().and_then(|d| parse_duration(d).ok()).unwrap_or(default)
        };
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

#[cfg(test)]
mod tests {
    use super::*;

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
