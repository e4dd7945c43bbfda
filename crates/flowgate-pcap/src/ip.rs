//! IPv4, IPv6 and UDP headers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bytes::{be16, be32};
use crate::Skip;

pub(crate) const UDP: u8 = 17;

/// Where a fragment's bytes go in the reassembled IP payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frag {
    pub id: u32,
    pub offset: usize,
    pub more: bool,
}

pub(crate) struct Ip<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The transport protocol, or for an IPv6 fragment the header that the
    /// fragmentable part starts with.
    pub proto: u8,
    /// Everything after the IP headers, up to the IP length or the end of the capture.
    pub body: &'a [u8],
    /// The capture holds fewer bytes than the IP header says the packet has.
    pub short: bool,
    pub frag: Option<Frag>,
}

pub(crate) fn v4(d: &[u8]) -> Result<Ip<'_>, Skip> {
    if d.len() < 20 {
        return Err(Skip::Truncated);
    }
    let ihl = usize::from(d[0] & 0x0f) * 4;
    if d[0] >> 4 != 4 || ihl < 20 {
        return Err(Skip::Malformed);
    }
    let total = match usize::from(be16(d, 2).unwrap_or(0)) {
        // Segmentation offload hands the capture a zero length; the frame is the packet.
        0 => d.len(),
        t => t,
    };
    if total < ihl {
        return Err(Skip::Malformed);
    }
    // The IP length, not the frame length, ends the packet: Ethernet pads short frames.
    let end = total.min(d.len());
    let body = d.get(ihl..end).ok_or(Skip::Truncated)?;
    let flags = be16(d, 6).unwrap_or(0);
    let more = flags & 0x2000 != 0;
    let offset = usize::from(flags & 0x1fff) * 8;
    Ok(Ip {
        src: IpAddr::V4(Ipv4Addr::new(d[12], d[13], d[14], d[15])),
        dst: IpAddr::V4(Ipv4Addr::new(d[16], d[17], d[18], d[19])),
        proto: d[9],
        body,
        short: d.len() < total,
        frag: (more || offset != 0).then(|| Frag {
            id: be16(d, 4).map_or(0, u32::from),
            offset,
            more,
        }),
    })
}

pub(crate) fn v6(d: &[u8]) -> Result<Ip<'_>, Skip> {
    if d.len() < 40 {
        return Err(Skip::Truncated);
    }
    if d[0] >> 4 != 6 {
        return Err(Skip::Malformed);
    }
    let total = match usize::from(be16(d, 4).unwrap_or(0)) {
        // Jumbogram or offload: trust the capture.
        0 => d.len(),
        p => 40 + p,
    };
    let short = d.len() < total;
    let payload = d.get(40..total.min(d.len())).ok_or(Skip::Truncated)?;
    let (proto, body, frag) =
        ext_headers(d[6], payload).map_err(|e| if short { e } else { Skip::Malformed })?;
    let addr = |at: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&d[at..at + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    Ok(Ip {
        src: addr(8),
        dst: addr(24),
        proto,
        body,
        short,
        frag,
    })
}

/// Walks IPv6 extension headers starting at `nh`, stopping at the first one
/// this crate does not skip, or at a fragment header that really fragments.
/// Running out of bytes is reported as `Truncated`.
pub(crate) fn ext_headers(mut nh: u8, mut d: &[u8]) -> Result<(u8, &[u8], Option<Frag>), Skip> {
    loop {
        match nh {
            // Hop-by-hop, routing, destination options: length in 8-byte units, not counting the first.
            0 | 43 | 60 => {
                let len = (usize::from(*d.get(1).ok_or(Skip::Truncated)?) + 1) * 8;
                nh = d[0];
                d = d.get(len..).ok_or(Skip::Truncated)?;
            }
            44 => {
                let fo = be16(d, 2).ok_or(Skip::Truncated)?;
                let id = be32(d, 4).ok_or(Skip::Truncated)?;
                nh = d[0];
                d = &d[8..];
                let offset = usize::from(fo & 0xfff8);
                let more = fo & 1 != 0;
                // An atomic fragment (RFC 6946) is a whole packet: keep walking.
                if offset != 0 || more {
                    return Ok((nh, d, Some(Frag { id, offset, more })));
                }
            }
            _ => return Ok((nh, d, None)),
        }
    }
}

pub(crate) struct Udp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
    /// The UDP length promised more than the capture holds.
    pub short: bool,
}

pub(crate) fn udp(d: &[u8], ip_short: bool) -> Result<Udp<'_>, Skip> {
    let (Some(src_port), Some(dst_port), Some(len)) = (be16(d, 0), be16(d, 2), be16(d, 4)) else {
        return Err(if ip_short {
            Skip::Truncated
        } else {
            Skip::Malformed
        });
    };
    let len = usize::from(len);
    if len < 8 {
        return Err(Skip::Malformed);
    }
    let end = len.min(d.len());
    Ok(Udp {
        src_port,
        dst_port,
        payload: d.get(8..end).ok_or(Skip::Malformed)?,
        short: len > d.len(),
    })
}
