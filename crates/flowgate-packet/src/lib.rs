//! Parses the first bytes of a sampled packet (sFlow `raw_packet_header`,
//! IPFIX `dataLinkFrameSection`) into a [`FlowRecord`]: MACs, VLAN tags,
//! MPLS labels, IPv4/IPv6, TCP/UDP/SCTP ports, ICMP type/code, and the
//! GRE, VXLAN and Geneve tunnels around them.
//!
//! Rules the fields follow:
//!
//! * **Truncated input decodes as far as it goes.** Samplers cut packets at
//!   64-256 bytes, so a missing layer is normal, not an error: every field
//!   whose bytes are present is written, nothing is read past the slice and
//!   nothing panics. The functions return nothing for that reason.
//! * **The flow is the innermost packet.** Inside a tunnel, the addresses,
//!   protocol, ports, TTL/TOS and flags describe the encapsulated packet;
//!   MACs, VLANs and MPLS labels come from the innermost layer that carried
//!   them (an inner Ethernet frame replaces the outer MACs, an inner IP
//!   packet inside GRE keeps them).
//! * **The outermost tunnel goes to `tunnel_*`**: its IP addresses and
//!   protocol, its UDP ports (VXLAN, Geneve), its key (VNI, GRE key), its
//!   type as Open vSwitch numbers it (IPFIX IE 6876/891: 1 VXLAN, 2 GRE,
//!   7 Geneve), and for Geneve the raw options and OVN's logical ports. A
//!   tunnel is only entered when its header is complete and it carries
//!   Ethernet, IPv4 or IPv6; otherwise the outer packet stays the flow.
//! * **VLANs**: the outer (first) tag goes to `vlan_id` and `src_vlan`, the
//!   second tag of a QinQ frame to `inner_vlan`; `etype` is the EtherType
//!   after the tags (and IPv4/IPv6 after an MPLS stack, as goflow2 does).
//! * **Fragments**: only a first fragment (offset 0) has its ports parsed.
//! * **Bounds**: at most [`MAX_TUNNEL_DEPTH`] tunnels are entered, at most
//!   [`MAX_LABELS`] VLAN tags plus MPLS labels per frame, and at most
//!   [`MAX_EXT_HEADERS`] IPv6 extension headers.

mod ip;
mod l2;
mod l4;
mod tunnel;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flowgate_record::FlowRecord;

/// Tunnels entered at most (a third one is left as the flow's payload).
pub const MAX_TUNNEL_DEPTH: u8 = 2;
/// VLAN tags plus MPLS labels read at most in one frame.
pub const MAX_LABELS: usize = 8;
/// IPv6 extension headers walked at most.
pub const MAX_EXT_HEADERS: usize = 8;

/// `tunnel_type` values, as Open vSwitch's IPFIX tunnelType (PEN 6876, IE 891).
pub const TUNNEL_VXLAN: u8 = 1;
pub const TUNNEL_GRE: u8 = 2;
pub const TUNNEL_GENEVE: u8 = 7;

pub const VXLAN_PORT: u16 = 4789;
pub const GENEVE_PORT: u16 = 6081;

/// Parses an Ethernet frame (sFlow header protocol 1, IPFIX dataLinkFrameSection).
pub fn parse_ethernet(frame: &[u8], rec: &mut FlowRecord) {
    l2::ethernet(&mut Ctx::new(rec), frame);
}

/// Parses an IP packet, IPv4 or IPv6 by its version nibble.
pub fn parse_ip(packet: &[u8], rec: &mut FlowRecord) {
    match packet.first().map(|b| b >> 4) {
        Some(4) => parse_ipv4(packet, rec),
        Some(6) => parse_ipv6(packet, rec),
        _ => {}
    }
}

/// Parses an IPv4 packet (sFlow header protocol 11).
pub fn parse_ipv4(packet: &[u8], rec: &mut FlowRecord) {
    ip::ipv4(&mut Ctx::new(rec), packet);
}

/// Parses an IPv6 packet (sFlow header protocol 12).
pub fn parse_ipv6(packet: &[u8], rec: &mut FlowRecord) {
    ip::ipv6(&mut Ctx::new(rec), packet);
}

/// The record being filled and how many tunnels deep the parser is.
pub(crate) struct Ctx<'r> {
    pub rec: &'r mut FlowRecord,
    pub depth: u8,
}

impl<'r> Ctx<'r> {
    fn new(rec: &'r mut FlowRecord) -> Self {
        Ctx { rec, depth: 0 }
    }
}

// Checked big-endian reads: `None` when the bytes are not all there.

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..)?.get(..2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..)?.get(..4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn mac(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..)?.get(..6)?;
    Some(s.iter().fold(0u64, |m, &x| (m << 8) | x as u64))
}

pub(crate) fn ipv4_addr(b: &[u8], at: usize) -> Option<IpAddr> {
    let s: [u8; 4] = b.get(at..)?.get(..4)?.try_into().ok()?;
    Some(IpAddr::V4(Ipv4Addr::from(s)))
}

pub(crate) fn ipv6_addr(b: &[u8], at: usize) -> Option<IpAddr> {
    let s: [u8; 16] = b.get(at..)?.get(..16)?.try_into().ok()?;
    Some(IpAddr::V6(Ipv6Addr::from(s)))
}

/// The bytes from `at` on; empty when `at` is past the end.
pub(crate) fn tail(b: &[u8], at: usize) -> &[u8] {
    b.get(at..).unwrap_or(&[])
}
