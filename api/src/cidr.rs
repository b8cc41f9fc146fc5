//! CIDR parsing and overlap checks.

use std::net::IpAddr;

/// A parsed CIDR (`address/prefix`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// Address as written (host bits may be set).
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `ipv6/n`.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let err = || format!("invalid CIDR address: {s}");
        let (addr, prefix) = s.split_once('/').ok_or_else(err)?;
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let prefix: u8 = prefix.parse().map_err(|_| err())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(err());
        }
        Ok(Cidr { addr, prefix })
    }

    /// Whether this is an IPv4 CIDR.
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    fn bits(&self) -> (u128, u32) {
        match self.addr {
            IpAddr::V4(a) => (u32::from(a) as u128, 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        }
    }

    fn network(&self, prefix: u8) -> u128 {
        let (bits, width) = self.bits();
        let host = width - u32::from(prefix);
        if host >= 128 {
            0
        } else {
            (bits >> host) << host
        }
    }

    /// Whether the two networks share any address (false for different families).
    pub fn overlaps(&self, other: &Cidr) -> bool {
        if self.is_ipv4() != other.is_ipv4() {
            return false;
        }
        let p = self.prefix.min(other.prefix);
        self.network(p) == other.network(p)
    }

    /// Whether every address of `other` is in this network (false for different families).
    pub fn contains(&self, other: &Cidr) -> bool {
        self.is_ipv4() == other.is_ipv4()
            && self.prefix <= other.prefix
            && self.network(self.prefix) == other.network(self.prefix)
    }

    /// Whether the address is the network address, i.e. no host bits are set (`10.0.0.0/16`, not `10.0.0.1/16`).
    pub fn is_canonical(&self) -> bool {
        self.network(self.prefix) == self.bits().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_overlap() {
        let a = Cidr::parse("10.0.0.0/16").unwrap();
        let b = Cidr::parse("10.0.128.0/24").unwrap();
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("fd00::/8").unwrap().overlaps(&Cidr::parse("fd00:1::/64").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().overlaps(&a));
    }

    #[test]
    fn containment_and_canonical_form() {
        let vpc = Cidr::parse("10.250.0.0/16").unwrap();
        let workers = Cidr::parse("10.250.0.0/19").unwrap();
        assert!(vpc.contains(&workers) && !workers.contains(&vpc));
        assert!(vpc.contains(&vpc));
        assert!(!vpc.contains(&Cidr::parse("10.251.0.0/24").unwrap()));
        // Overlapping but sticking out is not contained.
        assert!(!workers.contains(&Cidr::parse("10.250.0.0/18").unwrap()));
        assert!(!vpc.contains(&Cidr::parse("fd00::/64").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(&vpc));
        assert!(Cidr::parse("::/0").unwrap().contains(&Cidr::parse("fd00::/64").unwrap()));
        assert!(vpc.is_canonical() && Cidr::parse("0.0.0.0/0").unwrap().is_canonical());
        assert!(!Cidr::parse("10.250.0.1/16").unwrap().is_canonical());
        assert!(Cidr::parse("10.250.0.1/32").unwrap().is_canonical());
        assert!(Cidr::parse("fd00:1::/64").unwrap().is_canonical());
        assert!(!Cidr::parse("fd00::1/64").unwrap().is_canonical());
    }
}
