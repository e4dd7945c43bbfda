//! Exact addresses and CIDR prefixes, IPv4 and IPv6, longest prefix wins.
//!
//! One hash map per prefix length present, probed from the longest: a
//! table of pod IPs is one probe, pod IPs plus a few subnets a handful.
//! Keys are integers hashed with a multiply-rotate hash (SipHash would be
//! most of the lookup's cost), and lookups allocate nothing.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::str::FromStr;

use flowgate_record::EndpointRef;

/// An address and prefix length, host bits zero. `10.0.0.1` is `10.0.0.1/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    pub addr: IpAddr,
    pub len: u8,
}

impl IpNet {
    pub fn host(addr: IpAddr) -> Self {
        let addr = addr.to_canonical();
        IpNet {
            addr,
            len: if addr.is_ipv4() { 32 } else { 128 },
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.len == full {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.len)
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (a, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or CIDR prefix"))?;
        let full = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            None => full,
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|&l| l <= full)
                .ok_or_else(|| format!("'{s}': prefix length must be 0 to {full}"))?,
        };
        let net = IpNet { addr, len };
        let masked = IpNet {
            addr: mask(addr, len),
            len,
        };
        if masked != net {
            return Err(format!("'{s}' has host bits set; fix: write {masked}"));
        }
        Ok(net)
    }
}

fn mask(a: IpAddr, len: u8) -> IpAddr {
    match a {
        IpAddr::V4(v4) => IpAddr::V4(mask4(u32::from(v4), len).into()),
        IpAddr::V6(v6) => IpAddr::V6(mask6(u128::from(v6), len).into()),
    }
}

#[inline]
fn mask4(a: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        a & (u32::MAX << (32 - len))
    }
}

#[inline]
fn mask6(a: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        a & (u128::MAX << (128 - len))
    }
}

/// FxHash's multiply, then a rotate so the well-mixed high bits pick the
/// bucket: masked prefixes have all-zero low bits.
#[derive(Default, Clone, Copy)]
pub struct IntHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl Hasher for IntHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(K);
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(K);
        self.0 = (self.0 ^ (n >> 64) as u64).wrapping_mul(K);
    }
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

type Map<K> = HashMap<K, EndpointRef, BuildHasherDefault<IntHasher>>;

/// Addresses and prefixes to endpoint metadata.
#[derive(Debug, Clone, Default)]
pub struct IpTable {
    /// By prefix length, longest first.
    v4: Vec<(u8, Map<u32>)>,
    v6: Vec<(u8, Map<u128>)>,
    len: usize,
}

impl IpTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Maps `net` (host bits are ignored); returns what it mapped before.
    pub fn insert(&mut self, net: IpNet, meta: EndpointRef) -> Option<EndpointRef> {
        let old = match net.addr.to_canonical() {
            IpAddr::V4(a) => {
                let len = net.len.min(32);
                slot(&mut self.v4, len).insert(mask4(a.into(), len), meta)
            }
            IpAddr::V6(a) => {
                let len = net.len.min(128);
                slot(&mut self.v6, len).insert(mask6(a.into(), len), meta)
            }
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// The entry of exactly `net`, if any.
    pub fn get_exact(&self, net: IpNet) -> Option<&EndpointRef> {
        match net.addr.to_canonical() {
            IpAddr::V4(a) => find(&self.v4, net.len)?.get(&mask4(a.into(), net.len)),
            IpAddr::V6(a) => find(&self.v6, net.len)?.get(&mask6(a.into(), net.len)),
        }
    }

    /// The longest prefix that holds `addr`. IPv4-mapped IPv6 addresses
    /// (`::ffff:10.0.0.1`) are looked up as IPv4.
    #[inline]
    pub fn get(&self, addr: IpAddr) -> Option<&EndpointRef> {
        match addr {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().find_map(|(len, m)| m.get(&mask4(a, *len)))
            }
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.get(IpAddr::V4(v4)),
                None => {
                    let a = u128::from(a);
                    self.v6.iter().find_map(|(len, m)| m.get(&mask6(a, *len)))
                }
            },
        }
    }
}

fn find<K>(v: &[(u8, Map<K>)], len: u8) -> Option<&Map<K>> {
    v.iter().find(|(l, _)| *l == len).map(|(_, m)| m)
}

fn slot<K>(v: &mut Vec<(u8, Map<K>)>, len: u8) -> &mut Map<K> {
    let i = match v.iter().position(|(l, _)| *l <= len) {
        Some(i) if v[i].0 == len => i,
        Some(i) => {
            v.insert(i, (len, Map::default()));
            i
        }
        None => {
            v.push((len, Map::default()));
            v.len() - 1
        }
    };
    &mut v[i].1
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use flowgate_record::EndpointMeta;

    use super::*;

    fn meta(name: &str) -> EndpointRef {
        Arc::new(EndpointMeta {
            name: name.into(),
            ..Default::default()
        })
    }

    fn name<'a>(t: &'a IpTable, a: &str) -> Option<&'a str> {
        t.get(a.parse().unwrap()).map(|m| &*m.name)
    }

    #[test]
    fn longest_prefix_wins_for_both_families() {
        let mut t = IpTable::new();
        for (net, n) in [
            ("10.0.0.0/8", "ten"),
            ("10.1.0.0/16", "ten-one"),
            ("10.1.2.3", "host"),
            ("0.0.0.0/0", "v4-default"),
            ("fd00::/8", "ula"),
            ("fd99::/64", "lab"),
            ("fd99::2", "p2"),
        ] {
            assert!(t.insert(net.parse().unwrap(), meta(n)).is_none());
        }
        assert_eq!(t.len(), 7);
        assert_eq!(name(&t, "10.1.2.3"), Some("host"));
        assert_eq!(name(&t, "10.1.2.4"), Some("ten-one"));
        assert_eq!(name(&t, "10.2.0.1"), Some("ten"));
        assert_eq!(name(&t, "192.0.2.1"), Some("v4-default"));
        assert_eq!(name(&t, "::ffff:10.1.2.3"), Some("host"));
        assert_eq!(name(&t, "fd99::2"), Some("p2"));
        assert_eq!(name(&t, "fd99::3"), Some("lab"));
        assert_eq!(name(&t, "fd12::1"), Some("ula"));
        assert_eq!(name(&t, "2001:db8::1"), None);
        let again = t.insert("10.1.2.3".parse().unwrap(), meta("again"));
        assert_eq!(again.map(|m| m.name.to_string()), Some("host".into()));
        assert_eq!(t.len(), 7);
    }

    #[test]
    fn prefixes_parse_strictly() {
        assert_eq!(
            "10.99.0.0/24".parse::<IpNet>().unwrap().to_string(),
            "10.99.0.0/24"
        );
        assert_eq!("fd99::1".parse::<IpNet>().unwrap().len, 128);
        let e = "10.99.0.1/24".parse::<IpNet>().unwrap_err();
        assert!(e.contains("fix: write 10.99.0.0/24"), "{e}");
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("pod-a".parse::<IpNet>().is_err());
    }

    #[test]
    fn many_prefixes_of_one_length_spread_over_buckets() {
        let mut t = IpTable::new();
        for i in 0..4096u32 {
            let net = IpNet {
                addr: IpAddr::V4((i << 16).into()),
                len: 16,
            };
            t.insert(net, meta("x"));
        }
        assert!(t.get("0.7.1.1".parse().unwrap()).is_some());
        assert_eq!(t.len(), 4096);
    }
}
