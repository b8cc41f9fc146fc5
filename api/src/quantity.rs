//! Kubernetes resource quantities (`2`, `500m`, `8Gi`, `1.5G`, `1e3`) as numbers.

/// A Kubernetes quantity (`2`, `500m`, `8Gi`, `1.5G`, `1e3`) as a number.
pub fn parse(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-'))).unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let n: f64 = number.parse().ok()?;
    let binary = |p: i32| 1024f64.powi(p);
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        e if e.len() > 1 && (e.starts_with('e') || e.starts_with('E')) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * factor)
}

/// A size such as `50Gi` or `20G` in whole GiB, rounded up (a disk is never smaller than asked for); `None` when it
/// is not a positive size that fits an `i32`.
pub fn whole_gib(size: &str) -> Option<i32> {
    let gib = parse(size)? / f64::from(1u32 << 30);
    (gib > 0.0 && gib <= f64::from(i32::MAX)).then(|| gib.ceil() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(whole_gib("50Gi"), Some(50));
        assert_eq!(whole_gib("20G"), Some(19));
        assert_eq!(whole_gib("0"), None);
        assert_eq!(parse("8Gi"), Some(8.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("1.5k"), Some(1500.0));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("3"), Some(3.0));
        assert_eq!(parse("x"), None);
    }
}
