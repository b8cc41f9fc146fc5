//! Syntax check of standard 5-field cron specs (as used by hibernation schedules).

const DESCRIPTORS: &[&str] = &["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
const MONTHS: &[&str] = &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Checks a cron spec (`minute hour day-of-month month day-of-week`, or an `@` descriptor).
pub fn validate_cron(spec: &str) -> Result<(), String> {
    let spec = spec.trim();
    if spec.starts_with('@') {
        if DESCRIPTORS.contains(&spec) || spec.strip_prefix("@every ").is_some_and(|d| !d.trim().is_empty()) {
            return Ok(());
        }
        return Err(format!("unrecognized descriptor: {spec}"));
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: {spec}", fields.len()));
    }
    let bounds: [(u32, u32, &[&str]); 5] = [(0, 59, &[]), (0, 23, &[]), (1, 31, &[]), (1, 12, MONTHS), (0, 7, DAYS)];
    for (field, (min, max, names)) in fields.iter().zip(bounds) {
        for item in field.split(',') {
            check_item(item, min, max, names)?;
        }
    }
    Ok(())
}

fn check_item(item: &str, min: u32, max: u32, names: &[&str]) -> Result<(), String> {
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    if let Some(s) = step {
        match s.parse::<u32>() {
            Ok(n) if n > 0 => {}
            _ => return Err(format!("invalid step: {item}")),
        }
    }
    if range == "*" || range == "?" {
        return Ok(());
    }
    let (lo, hi) = match range.split_once('-') {
        Some((a, b)) => (value(a, min, max, names)?, value(b, min, max, names)?),
        None => {
            let v = value(range, min, max, names)?;
            (v, v)
        }
    };
    if lo > hi {
        return Err(format!("beginning of range ({lo}) beyond end of range ({hi}): {item}"));
    }
    Ok(())
}

fn value(s: &str, min: u32, max: u32, names: &[&str]) -> Result<u32, String> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(i as u32 + min);
    }
    let v: u32 = s.parse().map_err(|_| format!("failed to parse int from {s}"))?;
    if v < min || v > max {
        return Err(format!("value ({v}) out of range [{min}, {max}]: {s}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_specs() {
        assert!(validate_cron("00 17 * * 1,2,3,4,5").is_ok());
        assert!(validate_cron("0 8 * * MON-FRI").is_ok());
        assert!(validate_cron("*/15 0-6 1 JAN *").is_ok());
        assert!(validate_cron("@daily").is_ok());
        assert!(validate_cron("0 25 * * *").is_err());
        assert!(validate_cron("0 8 * *").is_err());
        assert!(validate_cron("0 8 * * MON-XYZ").is_err());
        assert!(validate_cron("@sometimes").is_err());
        assert!(validate_cron("5-1 * * * *").is_err());
    }
}
