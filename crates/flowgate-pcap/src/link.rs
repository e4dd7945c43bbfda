//! Link-layer headers: find the IP packet inside a frame.

use crate::bytes::be16;
use crate::Skip;

pub(crate) enum L3<'a> {
    V4(&'a [u8]),
    V6(&'a [u8]),
}

const NULL: u32 = 0;
const ETHERNET: u32 = 1;
const RAW_BSD: u32 = 12;
const RAW_OPENBSD: u32 = 14;
const RAW: u32 = 101;
const LOOP: u32 = 108;
const LINUX_SLL: u32 = 113;
const IPV4: u32 = 228;
const IPV6: u32 = 229;
const LINUX_SLL2: u32 = 276;

/// Whether [`crate::PcapReader`] can find IP packets in frames of this link type.
pub fn link_type_supported(link_type: u32) -> bool {
    matches!(
        link_type,
        NULL | ETHERNET | RAW_BSD | RAW_OPENBSD | RAW | LOOP | LINUX_SLL | IPV4 | IPV6 | LINUX_SLL2
    )
}

pub(crate) fn decode(link_type: u32, f: &[u8]) -> Result<L3<'_>, Skip> {
    match link_type {
        // dst, src, EtherType
        ETHERNET => ethertype(field(f, 12)?, tail(f, 14)?),
        // packet type, ARPHRD, address length, 8 address bytes, protocol
        LINUX_SLL => ethertype(field(f, 14)?, tail(f, 16)?),
        // protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes
        LINUX_SLL2 => ethertype(field(f, 0)?, tail(f, 20)?),
        RAW | RAW_BSD | RAW_OPENBSD => match f.first().ok_or(Skip::Truncated)? >> 4 {
            4 => Ok(L3::V4(f)),
            6 => Ok(L3::V6(f)),
            _ => Err(Skip::NonIp),
        },
        IPV4 => Ok(L3::V4(f)),
        IPV6 => Ok(L3::V6(f)),
        NULL | LOOP => {
            let ip = tail(f, 4)?;
            let fam = [f[0], f[1], f[2], f[3]];
            // NULL stores the family in the capturing host's byte order, which the
            // file does not record; families are small, so the order with the high
            // bytes clear is the right one. LOOP is always big-endian.
            let fam = if link_type == LOOP {
                u32::from_be_bytes(fam)
            } else {
                let le = u32::from_le_bytes(fam);
                if le > 0xffff {
                    le.swap_bytes()
                } else {
                    le
                }
            };
            match fam {
                2 => Ok(L3::V4(ip)),
                // AF_INET6 differs per OS: Linux, NetBSD/OpenBSD, FreeBSD, macOS.
                10 | 24 | 28 | 30 => Ok(L3::V6(ip)),
                _ => Err(Skip::NonIp),
            }
        }
        _ => Err(Skip::UnsupportedLinkType),
    }
}

/// Dispatches on an EtherType, peeling any number of VLAN tags (802.1Q,
/// 802.1ad and the pre-standard QinQ values); each tag consumes four bytes,
/// so the loop ends.
fn ethertype(mut et: u16, mut rest: &[u8]) -> Result<L3<'_>, Skip> {
    loop {
        match et {
            0x0800 => return Ok(L3::V4(rest)),
            0x86dd => return Ok(L3::V6(rest)),
            0x8100 | 0x88a8 | 0x9100 | 0x9200 => {
                et = field(rest, 2)?;
                rest = tail(rest, 4)?;
            }
            _ => return Err(Skip::NonIp),
        }
    }
}

fn field(d: &[u8], at: usize) -> Result<u16, Skip> {
    be16(d, at).ok_or(Skip::Truncated)
}

fn tail(d: &[u8], from: usize) -> Result<&[u8], Skip> {
    d.get(from..).ok_or(Skip::Truncated)
}
