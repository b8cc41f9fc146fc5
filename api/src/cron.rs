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

/// Whether a 5-field cron spec fires at the given wall-clock minute (`dow`: 0 = Sunday). Descriptors
/// (`@daily`, ...) are expanded; `@every` is not a wall-clock schedule and never matches. As in cron, when both
/// day-of-month and day-of-week are restricted, either may match.
pub fn matches(spec: &str, minute: u32, hour: u32, dom: u32, month: u32, dow: u32) -> Result<bool, String> {
    validate_cron(spec)?;
    let expanded = match spec.trim() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        s if s.starts_with('@') => return Ok(false),
        s => s,
    };
    let f: Vec<&str> = expanded.split_whitespace().collect();
    let field = |i: usize, v: u32, min: u32, max: u32, names: &[&str]| field_matches(f[i], v, min, max, names);
    let dom_restricted = !matches!(f[2], "*" | "?");
    let dow_restricted = !matches!(f[4], "*" | "?");
    let dom_ok = field(2, dom, 1, 31, &[])?;
    let dow_ok = field(4, dow, 0, 7, DAYS)? || (dow == 0 && field(4, 7, 0, 7, DAYS)?);
    let day_ok = if dom_restricted && dow_restricted { dom_ok || dow_ok } else { dom_ok && dow_ok };
    Ok(field(0, minute, 0, 59, &[])? && field(1, hour, 0, 23, &[])? && field(3, month, 1, 12, MONTHS)? && day_ok)
}

fn field_matches(field: &str, v: u32, min: u32, max: u32, names: &[&str]) -> Result<bool, String> {
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| format!("invalid step: {item}"))?),
            None => (item, 1),
        };
        let (lo, hi) = match range {
            "*" | "?" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a, min, max, names)?, value(b, min, max, names)?),
                None if item.contains('/') => (value(r, min, max, names)?, max),
                None => {
                    let x = value(r, min, max, names)?;
                    (x, x)
                }
            },
        };
        if v >= lo && v <= hi && (v - lo).is_multiple_of(step.max(1)) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_matching() {
        // Weekdays at 17:00.
        assert!(matches("00 17 * * 1,2,3,4,5", 0, 17, 3, 6, 1).unwrap());
        assert!(!matches("00 17 * * 1,2,3,4,5", 0, 17, 7, 6, 0).unwrap(), "not on Sunday");
        assert!(!matches("00 17 * * 1,2,3,4,5", 1, 17, 3, 6, 1).unwrap());
        assert!(matches("0 8 * * MON-FRI", 0, 8, 3, 6, 5).unwrap());
        assert!(matches("*/15 * * * *", 45, 3, 1, 1, 2).unwrap());
        assert!(!matches("*/15 * * * *", 46, 3, 1, 1, 2).unwrap());
        assert!(matches("0 0 * * 7", 0, 0, 5, 1, 0).unwrap(), "7 is Sunday too");
        assert!(matches("@daily", 0, 0, 9, 9, 3).unwrap());
        assert!(!matches("@every 1h", 0, 0, 9, 9, 3).unwrap());
        // Both day fields restricted: either matches.
        assert!(matches("0 0 1 * 1", 0, 0, 1, 5, 4).unwrap());
        assert!(matches("0 0 1 * 1", 0, 0, 9, 5, 1).unwrap());
        assert!(!matches("0 0 1 * 1", 0, 0, 9, 5, 2).unwrap());
        assert!(matches("0 25 * * *", 0, 0, 1, 1, 1).is_err());
    }

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
