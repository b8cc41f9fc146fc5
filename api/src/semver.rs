//! Minimal semantic versions (`[v]MAJOR.MINOR.PATCH[-pre][+build]`).

use std::cmp::Ordering;
use std::fmt;

/// A parsed semantic version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
    /// Pre-release part (without `-`), empty for releases.
    pub pre: String,
}

impl Version {
    /// Parses a full `MAJOR.MINOR.PATCH` version, optional `v` prefix, pre-release and build.
    pub fn parse(s: &str) -> Option<Version> {
        let v = Self::parse_lenient(s)?;
        let core = s.trim_start_matches('v').split(['-', '+']).next()?;
        (core.split('.').count() == 3).then_some(v)
    }

    /// Like [`Version::parse`] but also accepts `MAJOR` and `MAJOR.MINOR` (missing parts are 0).
    pub fn parse_lenient(s: &str) -> Option<Version> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let s = s.split('+').next()?;
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, p.to_string()),
            Some(_) => return None,
            None => (s, String::new()),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut nums = [0u64; 3];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nums[i] = p.parse().ok()?;
        }
        Some(Version { major: nums[0], minor: nums[1], patch: nums[2], pre })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch)).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_order() {
        let v = Version::parse("v1.33.2").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 33, 2));
        assert!(Version::parse("1.33").is_none());
        assert_eq!(Version::parse_lenient("1.33").unwrap().to_string(), "1.33.0");
        assert!(Version::parse("1.x.0").is_none());
        assert!(Version::parse("1.10.0").unwrap() > Version::parse("1.9.9").unwrap());
        assert!(Version::parse("1.0.0-rc1").unwrap() < Version::parse("1.0.0").unwrap());
    }
}
