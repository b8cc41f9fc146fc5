//! Helpers over core types: version lifecycles, time windows, technical IDs.

use super::cloudprofile::*;
use crate::semver::Version;
use k8s_openapi::jiff::Timestamp;

/// Current classification of a version at `now`: lifecycle stages win, else
/// `classification` (default `supported`) turning `expired` at `expirationDate`.
pub fn current_classification(v: &ExpirableVersion, now: Timestamp) -> String {
    if v.lifecycle.is_empty() {
        if v.expiration_date.as_ref().is_some_and(|t| t.0 < now) {
            return CLASSIFICATION_EXPIRED.into();
        }
        return v.classification.clone().unwrap_or_else(|| CLASSIFICATION_SUPPORTED.into());
    }
    let mut current = CLASSIFICATION_UNAVAILABLE.to_string();
    for stage in &v.lifecycle {
        if stage.start_time.as_ref().is_none_or(|t| t.0 < now) {
            current = stage.classification.clone();
        }
    }
    current
}

/// Not expired and not unavailable.
pub fn version_is_active(v: &ExpirableVersion, now: Timestamp) -> bool {
    let c = current_classification(v, now);
    c != CLASSIFICATION_EXPIRED && c != CLASSIFICATION_UNAVAILABLE
}

/// Classified `supported` right now.
pub fn version_is_supported(v: &ExpirableVersion, now: Timestamp) -> bool {
    current_classification(v, now) == CLASSIFICATION_SUPPORTED
}

/// Classified `preview` right now.
pub fn version_is_preview(v: &ExpirableVersion, now: Timestamp) -> bool {
    current_classification(v, now) == CLASSIFICATION_PREVIEW
}

/// Latest `supported` version matching the optional major/minor.
pub fn latest_supported_version(
    versions: &[ExpirableVersion],
    major: Option<u64>,
    minor: Option<u64>,
    now: Timestamp,
) -> Option<Version> {
    versions
        .iter()
        .filter(|v| version_is_supported(v, now))
        .filter_map(|v| Version::parse(&v.version))
        .filter(|v| major.is_none_or(|m| v.major == m) && minor.is_none_or(|m| v.minor == m))
        .max()
}

/// Latest machine image version among `versions` (preview excluded), preferring non-deprecated ones.
pub fn latest_machine_image_version<'a>(
    versions: &[&'a MachineImageVersion],
    now: Timestamp,
) -> Option<&'a MachineImageVersion> {
    let candidates: Vec<(&MachineImageVersion, Version, String)> = versions
        .iter()
        .filter_map(|v| Version::parse(&v.version).map(|p| (*v, p, current_classification(&v.expirable(), now))))
        .filter(|(_, _, c)| {
            c != CLASSIFICATION_PREVIEW && c != CLASSIFICATION_EXPIRED && c != CLASSIFICATION_UNAVAILABLE
        })
        .collect();
    let best = |allow_deprecated: bool| {
        candidates
            .iter()
            .filter(|(_, _, c)| allow_deprecated || c != CLASSIFICATION_DEPRECATED)
            .max_by(|a, b| a.1.cmp(&b.1))
            .map(|(v, _, _)| *v)
    };
    best(false).or_else(|| best(true))
}

/// Technical ID of a shoot: `shoot--<project>--<name>`.
pub fn shoot_technical_id(project_name: &str, shoot_name: &str) -> String {
    format!("shoot--{project_name}--{shoot_name}")
}

/// Parses `HHMMSS+HHMM` into seconds of the day in UTC.
pub fn parse_maintenance_time(s: &str) -> Result<u32, String> {
    let err = || {
        format!("could not parse the value into the maintenanceTime format: parsing time {s:?} as \"150405-0700\": cannot parse")
    };
    let b = s.as_bytes();
    if b.len() != 11
        || !(b[6] == b'+' || b[6] == b'-')
        || !b.iter().enumerate().all(|(i, c)| i == 6 || c.is_ascii_digit())
    {
        return Err(err());
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap_or(0);
    let (h, m, sec, oh, om) = (num(0..2), num(2..4), num(4..6), num(7..9), num(9..11));
    if h > 23 || m > 59 || sec > 59 || oh > 23 || om > 59 {
        return Err(err());
    }
    let offset = (oh * 3600 + om * 60) * if b[6] == b'-' { -1 } else { 1 };
    Ok((h * 3600 + m * 60 + sec - offset).rem_euclid(86_400) as u32)
}

/// Duration in seconds of a maintenance window (wrapping over midnight).
pub fn maintenance_window_duration(begin: &str, end: &str) -> Result<u32, String> {
    let b = parse_maintenance_time(begin)?;
    let e = parse_maintenance_time(end)?;
    Ok(if e >= b { e - b } else { e + 86_400 - b })
}

/// A deterministic one-hour maintenance window derived from `seed` (`HH0000+0000`).
pub fn derived_maintenance_window(seed: &str) -> (String, String) {
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let hour = (hash % 24) as u32;
    (format!("{hour:02}0000+0000"), format!("{:02}0000+0000", (hour + 1) % 24))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn classification_and_lifecycle() {
        let now = ts("2025-06-01T00:00:00Z");
        let mut v = ExpirableVersion { version: "1.2.3".into(), ..Default::default() };
        assert_eq!(current_classification(&v, now), "supported");
        v.expiration_date = Some(Time(ts("2025-01-01T00:00:00Z")));
        assert_eq!(current_classification(&v, now), "expired");
        v.expiration_date = None;
        v.lifecycle = vec![
            LifecycleStage { classification: "preview".into(), start_time: None },
            LifecycleStage { classification: "supported".into(), start_time: Some(Time(ts("2025-07-01T00:00:00Z"))) },
        ];
        assert_eq!(current_classification(&v, now), "preview");
        v.lifecycle[0].start_time = Some(Time(ts("2025-06-15T00:00:00Z")));
        assert_eq!(current_classification(&v, now), "unavailable");
    }

    #[test]
    fn time_windows() {
        assert_eq!(parse_maintenance_time("220000+0100").unwrap(), 21 * 3600);
        assert_eq!(parse_maintenance_time("003000+0100").unwrap(), 23 * 3600 + 1800);
        assert!(parse_maintenance_time("22:00:00+01").is_err());
        assert!(parse_maintenance_time("250000+0000").is_err());
        assert_eq!(maintenance_window_duration("230000+0000", "010000+0000").unwrap(), 7200);
        let (b, e) = derived_maintenance_window("garden-dev/my-shoot");
        assert_eq!(maintenance_window_duration(&b, &e).unwrap(), 3600);
        assert_eq!(derived_maintenance_window("x"), derived_maintenance_window("x"));
        assert_eq!(shoot_technical_id("dev", "a"), "shoot--dev--a");
    }
}
