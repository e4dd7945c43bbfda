//! Writes one field value into a record: the innermost step of the hot loop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flowgate_record::{FlowRecord, FlowType};

use super::compile::{post, Op};
use super::fields::Target;
use super::sampling::Sampling;
use crate::bytes::uptime_to_ns;

/// Seconds from 1900 (NTP era 0) to 1970.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Everything a data set's records share.
pub(crate) struct SetCtx<'a> {
    pub flow_type: FlowType,
    pub received_ns: u64,
    pub sampler_address: IpAddr,
    pub sampler_port: u16,
    pub sequence: u32,
    pub domain: u32,
    pub export_ns: u64,
    pub uptime_ms: u32,
    pub init_ms: Option<u64>,
    pub domain_rate: u64,
    pub sampling: &'a Sampling,
}

impl SetCtx<'_> {
    #[inline(always)]
    pub(crate) fn init(&self, r: &mut FlowRecord) {
        r.flow_type = self.flow_type;
        r.time_received_ns = self.received_ns;
        r.sampler_address = Some(self.sampler_address);
        r.sampler_port = self.sampler_port;
        r.sequence_num = self.sequence;
        r.observation_domain_id = self.domain;
        r.sampling_rate = self.domain_rate;
    }
}

/// Values that are only meaningful once the whole record is read.
#[derive(Default)]
pub(crate) struct Scratch {
    start_uptime: Option<u32>,
    end_uptime: Option<u32>,
    init_ms: Option<u64>,
    rate: u64,
    sampler: Option<u64>,
}

/// An unsigned integer of 1 to 8 bytes; the common widths without a loop.
#[inline(always)]
pub(crate) fn uint(v: &[u8]) -> u64 {
    match *v {
        [a] => a as u64,
        [a, b] => u16::from_be_bytes([a, b]) as u64,
        [a, b, c, d] => u32::from_be_bytes([a, b, c, d]) as u64,
        [a, b, c, d, e, f, g, h] => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
        _ => crate::bytes::uint(v),
    }
}

/// 4 or 16 bytes (checked when the template was compiled).
#[inline(always)]
fn addr(v: &[u8]) -> Option<IpAddr> {
    match *v {
        [a, b, c, d] => Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d))),
        _ => <[u8; 16]>::try_from(v)
            .ok()
            .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    }
}

/// Templates that carry both IPv4 and IPv6 addresses (Nokia SR OS) send
/// the unused family as zeros: those do not replace an address already set.
#[inline(always)]
fn set_addr(slot: &mut Option<IpAddr>, v: &[u8]) {
    if slot.is_none() || v.iter().any(|&b| b != 0) {
        *slot = addr(v);
    }
}

/// A C-style string (fixed-length fields are NUL-padded), invalid UTF-8
/// replaced. Writes into the reused string: no allocation once warm.
fn set_str(s: &mut String, v: &[u8]) {
    s.clear();
    let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
    let v = &v[..end];
    // Interface names are short and ASCII: byte by byte beats the call to
    // the general UTF-8 check, which was a tenth of an OVS record's time.
    // The mask changes no ASCII byte; it tells the compiler each char
    // takes one byte.
    if v.is_ascii() {
        s.extend(v.iter().map(|&b| char::from(b & 0x7f)));
        return;
    }
    if let Ok(valid) = std::str::from_utf8(v) {
        s.push_str(valid);
        return;
    }
    for chunk in v.utf8_chunks() {
        s.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            s.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// NTP 64-bit timestamp to Unix ns. RFC 7011 §6.1.9: the 11 low fraction
/// bits of dateTimeMicroseconds must be ignored.
fn ntp_ns(v: u64, micros: bool) -> u64 {
    let secs = (v >> 32).saturating_sub(NTP_UNIX_OFFSET);
    let mut frac = v & 0xffff_ffff;
    if micros {
        frac &= !0x7ff;
    }
    secs * 1_000_000_000 + ((frac * 1_000_000_000) >> 32)
}

#[inline(always)]
fn scaled(v: &[u8], ns_per_unit: u64) -> u64 {
    uint(v).saturating_mul(ns_per_unit)
}

#[inline(always)]
fn before_export(ctx: &SetCtx, v: &[u8]) -> u64 {
    ctx.export_ns.saturating_sub(scaled(v, 1_000))
}

/// Whether `apply` may push an extra for this target (a plan without such
/// fields writes its extras' entries before reading any field). Keep in
/// step with `apply`: every arm that calls `push_extra` is listed here.
pub(crate) fn pushes_extra(t: Target) -> bool {
    matches!(t, Target::Extra | Target::TunnelKey)
}

#[inline(always)]
pub(crate) fn apply(op: &Op, v: &[u8], r: &mut FlowRecord, ctx: &SetCtx, s: &mut Scratch) {
    use Target::*;
    match op.target {
        Skip => {}
        Extra => r.push_extra(op.pen, op.id, v),
        // The frame's own headers become the flow's fields; softflowd's
        // zero padding after the frame is ignored because the parser follows
        // the IP total length.
        DataLinkFrame => flowgate_packet::parse_ethernet(v, r),
        Bytes => r.bytes = uint(v),
        Packets => r.packets = uint(v),
        BytesAndInitiator => {
            r.bytes = uint(v);
            r.ext_mut().initiator_bytes = Some(r.bytes);
        }
        InitiatorBytes => r.ext_mut().initiator_bytes = Some(uint(v)),
        ResponderBytes => r.ext_mut().responder_bytes = Some(uint(v)),
        ReverseBytes => r.ext_mut().reverse_bytes = Some(uint(v)),
        ReversePackets => r.ext_mut().reverse_packets = Some(uint(v)),
        DroppedBytes => r.ext_mut().dropped_bytes = Some(uint(v)),
        DroppedPackets => r.ext_mut().dropped_packets = Some(uint(v)),
        IpProto => r.proto = uint(v) as u8,
        IpTos => r.ip_tos = uint(v) as u8,
        TcpFlags => r.tcp_flags = uint(v) as u16,
        SrcPort => r.src_port = uint(v) as u16,
        DstPort => r.dst_port = uint(v) as u16,
        SrcAddr => set_addr(&mut r.src_addr, v),
        DstAddr => set_addr(&mut r.dst_addr, v),
        SrcNet => r.src_net = uint(v) as u8,
        DstNet => r.dst_net = uint(v) as u8,
        NextHop => set_addr(&mut r.next_hop, v),
        BgpNextHop => set_addr(&mut r.bgp_next_hop, v),
        InIf => r.in_if = uint(v) as u32,
        OutIf => r.out_if = uint(v) as u32,
        SrcAs => r.src_as = uint(v) as u32,
        DstAs => r.dst_as = uint(v) as u32,
        FlowLabel => r.ipv6_flow_label = uint(v) as u32,
        IcmpTypeCode => {
            let tc = uint(v);
            r.icmp_type = (tc >> 8) as u8;
            r.icmp_code = tc as u8;
        }
        IcmpType => r.icmp_type = uint(v) as u8,
        IcmpCode => r.icmp_code = uint(v) as u8,
        SrcMac => r.src_mac = uint(v),
        DstMac => r.dst_mac = uint(v),
        SrcVlan => r.src_vlan = uint(v) as u16,
        DstVlan => r.dst_vlan = uint(v) as u16,
        VlanId => r.vlan_id = uint(v) as u16,
        Etype => r.etype = uint(v) as u16,
        IpVersion => match uint(v) {
            4 => r.etype = 0x0800,
            6 => r.etype = 0x86dd,
            _ => {}
        },
        FlowDirection => r.flow_direction = Some(uint(v) as u8),
        ForwardingStatus => r.forwarding_status = uint(v) as u8,
        IpTtl => r.ip_ttl = uint(v) as u8,
        FlowEndReason => r.flow_end_reason = Some(uint(v) as u8),
        ObservationPointId => r.observation_point_id = uint(v) as u32,
        EngineType => r.engine_type = Some(uint(v) as u8),
        EngineId => r.engine_id = Some(uint(v) as u8),
        InIfName => set_str(&mut r.ext_mut().in_if_name, v),
        OutIfName => set_str(&mut r.ext_mut().out_if_name, v),
        InIfDescription => set_str(&mut r.ext_mut().in_if_description, v),
        OutIfDescription => set_str(&mut r.ext_mut().out_if_description, v),
        TunnelType => r.ext_mut().tunnel_type = Some(uint(v) as u8),
        TunnelKey => match v.len() {
            0 => {}
            1..=8 => r.ext_mut().tunnel_key = Some(uint(v)),
            _ => r.push_extra(op.pen, op.id, v),
        },
        TunnelSrcAddr => set_addr(&mut r.ext_mut().tunnel_src_addr, v),
        TunnelDstAddr => set_addr(&mut r.ext_mut().tunnel_dst_addr, v),
        TunnelProto => r.ext_mut().tunnel_proto = Some(uint(v) as u8),
        TunnelSrcPort => r.ext_mut().tunnel_src_port = Some(uint(v) as u16),
        TunnelDstPort => r.ext_mut().tunnel_dst_port = Some(uint(v) as u16),
        StartUptimeV9 => {
            r.time_flow_start_ns = uptime_to_ns(ctx.export_ns, ctx.uptime_ms, uint(v) as u32)
        }
        EndUptimeV9 => {
            r.time_flow_end_ns = uptime_to_ns(ctx.export_ns, ctx.uptime_ms, uint(v) as u32)
        }
        StartUptime => s.start_uptime = Some(uint(v) as u32),
        EndUptime => s.end_uptime = Some(uint(v) as u32),
        InitTime => {
            s.init_ms = Some(uint(v));
        }
        StartSecs => r.time_flow_start_ns = scaled(v, 1_000_000_000),
        EndSecs => r.time_flow_end_ns = scaled(v, 1_000_000_000),
        StartMillis => r.time_flow_start_ns = scaled(v, 1_000_000),
        EndMillis => r.time_flow_end_ns = scaled(v, 1_000_000),
        StartMicrosNtp => r.time_flow_start_ns = ntp_ns(uint(v), true),
        EndMicrosNtp => r.time_flow_end_ns = ntp_ns(uint(v), true),
        StartNanosNtp => r.time_flow_start_ns = ntp_ns(uint(v), false),
        EndNanosNtp => r.time_flow_end_ns = ntp_ns(uint(v), false),
        StartDeltaMicros => r.time_flow_start_ns = before_export(ctx, v),
        EndDeltaMicros => r.time_flow_end_ns = before_export(ctx, v),
        SamplingRate => s.rate = s.rate.max(uint(v)),
        SamplerId => {
            s.sampler = Some(uint(v));
        }
        OptSamplerId
        | OptInterval
        | OptRandomInterval
        | OptPacketInterval
        | OptPacketSpace
        | OptSamplingSize
        | OptSamplingPopulation
        | OptInitTime => {}
    }
}

/// What needs the whole record: IPFIX uptimes, sampler lookups, etype.
#[inline(always)]
pub(crate) fn finish(post: u8, r: &mut FlowRecord, ctx: &SetCtx, s: &Scratch) {
    if post & post::UPTIME != 0 {
        if let Some(init) = s.init_ms.or(ctx.init_ms) {
            let at = |up: u32| init.saturating_add(up as u64).saturating_mul(1_000_000);
            if let Some(up) = s.start_uptime {
                r.time_flow_start_ns = at(up);
            }
            if let Some(up) = s.end_uptime {
                r.time_flow_end_ns = at(up);
            }
        }
    }
    if post & post::SAMPLING != 0 {
        if s.rate > 0 {
            r.sampling_rate = s.rate;
        } else if let Some(rate) = s.sampler.and_then(|id| ctx.sampling.lookup(id)) {
            r.sampling_rate = rate;
        }
    }
    if r.etype == 0 {
        r.etype = match r.src_addr.or(r.dst_addr) {
            Some(IpAddr::V4(_)) => 0x0800,
            Some(IpAddr::V6(_)) => 0x86dd,
            None => 0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_and_strings() {
        // 2024-01-01T00:00:00.5Z in NTP era 0
        let secs = 1_704_067_200u64 + NTP_UNIX_OFFSET;
        let v = (secs << 32) | 0x8000_0000;
        assert_eq!(ntp_ns(v, false), 1_704_067_200_500_000_000);
        assert_eq!(ntp_ns(v | 0x7ff, true), 1_704_067_200_500_000_000);
        let mut s = String::from("old");
        set_str(&mut s, b"eth0\0\0\0");
        assert_eq!(s, "eth0");
        set_str(&mut s, b"a\xffb");
        assert_eq!(s, "a\u{fffd}b");
        assert_eq!(uint(&[1, 2, 3]), 0x010203);
        assert_eq!(addr(&[0; 16]), Some("::".parse().unwrap()));
    }
}
