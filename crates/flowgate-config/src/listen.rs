//! Listener URIs, goflow2 style: `netflow://:2055`, `sflow://127.0.0.1:6343`,
//! `ipfix://[::1]:4739?workers=2&receive_buffer=16MiB`. One string says
//! which protocols a UDP port accepts and where it binds, so the config
//! file, `FLOWGATE_LISTENERS` and `--listen` all take the same thing.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::units::ByteSize;

/// A family of wire protocols a listener accepts (chosen by the URI scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ListenProtocol {
    /// NetFlow v1/v5/v7/v9 and IPFIX, told apart by the version field (`netflow://`).
    Netflow,
    /// NetFlow v1/v5/v7 only (`nfl://`): the "legacy" port Open vSwitch's NetFlow table points at.
    NetflowLegacy,
    /// IPFIX only (`ipfix://`).
    Ipfix,
    /// sFlow v5 (`sflow://`).
    Sflow,
}

impl ListenProtocol {
    pub const ALL: [ListenProtocol; 4] = [
        ListenProtocol::Netflow,
        ListenProtocol::NetflowLegacy,
        ListenProtocol::Ipfix,
        ListenProtocol::Sflow,
    ];

    pub fn scheme(self) -> &'static str {
        match self {
            ListenProtocol::Netflow => "netflow",
            ListenProtocol::NetflowLegacy => "nfl",
            ListenProtocol::Ipfix => "ipfix",
            ListenProtocol::Sflow => "sflow",
        }
    }

    fn from_scheme(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.scheme() == s)
    }
}

/// One UDP listener: what it accepts, where it binds, and optional
/// per-listener overrides of the `receive` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenUri {
    /// Sorted, without duplicates, never empty.
    pub protocols: Vec<ListenProtocol>,
    pub addr: SocketAddr,
    pub workers: Option<usize>,
    pub receive_buffer: Option<ByteSize>,
}

const SCHEMES: &str = "netflow, nfl, ipfix or sflow (join several with '+')";

impl FromStr for ListenUri {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (scheme, rest) = s.split_once("://").ok_or_else(|| {
            format!(
                "'{s}' is not a listener URI; write e.g. netflow://:2055 or sflow://127.0.0.1:6343"
            )
        })?;
        let mut protocols = Vec::new();
        for name in scheme.split('+') {
            let p = ListenProtocol::from_scheme(name.trim())
                .ok_or_else(|| format!("'{s}': unknown protocol '{name}'; use {SCHEMES}"))?;
            protocols.push(p);
        }
        protocols.sort();
        protocols.dedup();
        let (addr, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let addr = parse_bind_addr(addr).map_err(|e| format!("'{s}': {e}"))?;
        let mut uri = ListenUri {
            protocols,
            addr,
            workers: None,
            receive_buffer: None,
        };
        for pair in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "workers" => {
                    let n = v.parse().map_err(|_| {
                        format!("'{s}': workers={v} is not a number; write e.g. ?workers=2")
                    })?;
                    uri.workers = Some(n);
                }
                "receive_buffer" => {
                    uri.receive_buffer = Some(v.parse().map_err(|e| format!("'{s}': {e}"))?);
                }
                _ => {
                    return Err(format!(
                        "'{s}': unknown option '{k}'; the options are workers and receive_buffer"
                    ))
                }
            }
        }
        Ok(uri)
    }
}

/// `:2055` (every address, IPv4 and IPv6), `0.0.0.0:2055`, `127.0.0.1:2055`,
/// `[::1]:2055`. Host names are refused: a collector binds addresses.
pub fn parse_bind_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Some(port) = s.strip_prefix(':') {
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("'{s}': port '{port}' is not a number from 0 to 65535"))?;
        return Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
    }
    s.parse().map_err(|_| {
        format!("'{s}' is not an address and port; write :PORT, IPv4:PORT or [IPv6]:PORT")
    })
}

/// The inverse of [`parse_bind_addr`]: `[::]:P` is written `:P`.
pub fn format_bind_addr(a: &SocketAddr) -> String {
    if a.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) {
        format!(":{}", a.port())
    } else {
        a.to_string()
    }
}

impl fmt::Display for ListenUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let schemes: Vec<&str> = self.protocols.iter().map(|p| p.scheme()).collect();
        write!(
            f,
            "{}://{}",
            schemes.join("+"),
            format_bind_addr(&self.addr)
        )?;
        let mut sep = '?';
        if let Some(n) = self.workers {
            write!(f, "{sep}workers={n}")?;
            sep = '&';
        }
        if let Some(b) = self.receive_buffer {
            write!(f, "{sep}receive_buffer={b}")?;
        }
        Ok(())
    }
}

impl Serialize for ListenUri {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ListenUri {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Splits `--listen a,b --listen c` style lists.
pub fn parse_uri_list(values: &[String]) -> Result<Vec<ListenUri>, String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goflow2_style_uris_parse_and_print_back() {
        let u: ListenUri = "netflow://:2055".parse().unwrap();
        assert_eq!(u.protocols, vec![ListenProtocol::Netflow]);
        assert_eq!(u.addr, "[::]:2055".parse().unwrap());
        assert_eq!(u.to_string(), "netflow://:2055");

        let u: ListenUri = "sflow+nfl://127.0.0.1:6343?workers=2&receive_buffer=16MiB"
            .parse()
            .unwrap();
        assert_eq!(
            u.protocols,
            vec![ListenProtocol::NetflowLegacy, ListenProtocol::Sflow]
        );
        assert_eq!(u.workers, Some(2));
        assert_eq!(
            u.to_string(),
            "nfl+sflow://127.0.0.1:6343?workers=2&receive_buffer=16MiB"
        );
        assert_eq!(
            "ipfix://[::1]:4739".parse::<ListenUri>().unwrap().addr,
            "[::1]:4739".parse().unwrap()
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = "netflw://:2055".parse::<ListenUri>().unwrap_err();
        assert!(
            e.contains("unknown protocol 'netflw'") && e.contains("sflow"),
            "{e}"
        );
        let e = "netflow://localhost:2055".parse::<ListenUri>().unwrap_err();
        assert!(e.contains("[IPv6]:PORT"), "{e}");
        let e = ":2055".parse::<ListenUri>().unwrap_err();
        assert!(e.contains("netflow://:2055"), "{e}");
        let e = "sflow://:6343?threads=2".parse::<ListenUri>().unwrap_err();
        assert!(e.contains("unknown option 'threads'"), "{e}");
        assert!("sflow://:99999".parse::<ListenUri>().is_err());
    }

    #[test]
    fn lists_split_on_commas_and_repeats() {
        let v = vec![
            "netflow://:1,sflow://:2".to_owned(),
            "ipfix://:3".to_owned(),
        ];
        assert_eq!(parse_uri_list(&v).unwrap().len(), 3);
    }
}
