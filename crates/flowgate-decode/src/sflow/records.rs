//! Flow records (`flow_data`) of flow and discard samples.

use std::net::IpAddr;

use flowgate_record::FlowRecord;

use super::xdr::Xdr;
use crate::error::ErrorKind;

/// AS path entries and communities kept at most (a real path is far shorter).
const MAX_AS_LIST: usize = 64;

const HEADER_ETHERNET: u32 = 1;
const HEADER_IPV4: u32 = 11;
const HEADER_IPV6: u32 = 12;

/// sampled_ipv4 / sampled_ipv6, also the shape of the tunnel records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SampledIp {
    length: u32,
    proto: u32,
    src: IpAddr,
    dst: IpAddr,
    src_port: u32,
    dst_port: u32,
    tcp_flags: u32,
    tos: u32,
}

/// What a sample's records say, applied once all are read so that record
/// order does not matter.
#[derive(Debug, Default)]
pub(crate) struct Sampled {
    /// A raw header was parsed: it wins over the decoded records 2, 3, 4.
    header: bool,
    ethernet: Option<(u32, u64, u64, u32)>,
    ip: Option<SampledIp>,
    switch: Option<[u32; 4]>,
    tunnel_in: Option<SampledIp>,
    tunnel_out: Option<SampledIp>,
    vni_in: Option<u32>,
    vni_out: Option<u32>,
}

pub(crate) fn flow_record(
    rec: &mut FlowRecord,
    s: &mut Sampled,
    format: u32,
    data: &[u8],
) -> Result<(), ErrorKind> {
    if format >> 12 != 0 {
        return Ok(());
    }
    let mut x = Xdr::new(data);
    let x = &mut x;
    let bad = ErrorKind::BadLength;
    match format & 0xfff {
        1 => {
            let (Some(proto), Some(frame_length), Some(_stripped)) = (x.u32(), x.u32(), x.u32())
            else {
                return Err(bad);
            };
            let header = x.opaque().ok_or(bad)?;
            rec.ext_mut().frame_length = Some(frame_length);
            rec.bytes = frame_length.into();
            s.header = true;
            match proto {
                HEADER_ETHERNET => flowgate_packet::parse_ethernet(header, rec),
                HEADER_IPV4 => flowgate_packet::parse_ipv4(header, rec),
                HEADER_IPV6 => flowgate_packet::parse_ipv6(header, rec),
                _ => s.header = false,
            }
        }
        2 => {
            let length = x.u32().ok_or(bad)?;
            let src = mac(x.padded(6).ok_or(bad)?);
            let dst = mac(x.padded(6).ok_or(bad)?);
            s.ethernet = Some((length, src, dst, x.u32().ok_or(bad)?));
        }
        3 => s.ip = Some(sampled_ip(x, false).ok_or(bad)?),
        4 => s.ip = Some(sampled_ip(x, true).ok_or(bad)?),
        1001 => {
            let (Some(a), Some(b), Some(c), Some(d)) = (x.u32(), x.u32(), x.u32(), x.u32()) else {
                return Err(bad);
            };
            s.switch = Some([a, b, c, d]);
        }
        1002 => {
            let next_hop = x.address().ok_or(bad)?.map_err(|_| ErrorKind::Malformed)?;
            let (Some(src_mask), Some(dst_mask)) = (x.u32(), x.u32()) else {
                return Err(bad);
            };
            rec.next_hop = next_hop;
            rec.src_net = src_mask.min(128) as u8;
            rec.dst_net = dst_mask.min(128) as u8;
        }
        1003 => gateway(rec, x).ok_or(bad)??,
        1023 => s.tunnel_out = Some(sampled_ip(x, false).ok_or(bad)?),
        1024 => s.tunnel_in = Some(sampled_ip(x, false).ok_or(bad)?),
        1025 => s.tunnel_out = Some(sampled_ip(x, true).ok_or(bad)?),
        1026 => s.tunnel_in = Some(sampled_ip(x, true).ok_or(bad)?),
        1029 => s.vni_out = Some(x.u32().ok_or(bad)?),
        1030 => s.vni_in = Some(x.u32().ok_or(bad)?),
        1036 => rec.ext_mut().egress_queue = Some(x.u32().ok_or(bad)?),
        1037 => {
            rec.ext_mut().acl_number = Some(x.u32().ok_or(bad)?);
            set_string(&mut rec.ext_mut().acl_name, x.opaque().ok_or(bad)?);
            rec.ext_mut().acl_direction = Some(x.u32().ok_or(bad)?.min(255) as u8);
        }
        1038 => set_string(&mut rec.ext_mut().drop_function, x.opaque().ok_or(bad)?),
        1041 => {
            set_string(
                &mut rec.ext_mut().drop_hw_trap_group,
                x.opaque().ok_or(bad)?,
            );
            set_string(&mut rec.ext_mut().drop_hw_trap, x.opaque().ok_or(bad)?);
        }
        1042 => set_string(&mut rec.ext_mut().drop_linux_reason, x.opaque().ok_or(bad)?),
        1043 => {
            let ns = x.u64().ok_or(bad)?;
            rec.time_flow_start_ns = ns;
            rec.time_flow_end_ns = ns;
        }
        _ => {}
    }
    Ok(())
}

fn sampled_ip(x: &mut Xdr, v6: bool) -> Option<SampledIp> {
    let (length, proto) = (x.u32()?, x.u32()?);
    let (src, dst) = if v6 {
        (x.ipv6()?, x.ipv6()?)
    } else {
        (x.ipv4()?, x.ipv4()?)
    };
    Some(SampledIp {
        length,
        proto,
        src,
        dst,
        src_port: x.u32()?,
        dst_port: x.u32()?,
        tcp_flags: x.u32()?,
        tos: x.u32()?,
    })
}

/// extended_gateway, the way goflow2 maps it: the destination AS is the
/// last of the path (the router's own AS when the path is empty), the next
/// hop AS the first, and the source AS falls back to the router's.
fn gateway(rec: &mut FlowRecord, x: &mut Xdr) -> Option<Result<(), ErrorKind>> {
    let Ok(next_hop) = x.address()? else {
        return Some(Err(ErrorKind::Malformed));
    };
    let (own_as, src_as, src_peer_as) = (x.u32()?, x.u32()?, x.u32()?);
    rec.bgp_next_hop = next_hop;
    rec.src_as = if src_as > 0 { src_as } else { own_as };
    rec.ext_mut().src_peer_as = Some(src_peer_as);
    rec.ext_mut().as_path.clear();
    let (mut first, mut last) = (None, None);
    for _ in 0..x.u32()? {
        let _segment_type = x.u32()?;
        let n = x.u32()? as usize;
        // check the whole segment first: `n` comes off the wire
        if n.checked_mul(4)? > x.remaining() {
            return None;
        }
        for _ in 0..n {
            let asn = x.u32()?;
            first.get_or_insert(asn);
            last = Some(asn);
            if rec.ext().as_path.len() < MAX_AS_LIST {
                rec.ext_mut().as_path.push(asn);
            }
        }
    }
    rec.dst_as = last.unwrap_or(own_as);
    rec.next_hop_as = first.unwrap_or(0);
    rec.ext_mut().bgp_communities.clear();
    for _ in 0..x.u32()? {
        let c = x.u32()?;
        if rec.ext().bgp_communities.len() < MAX_AS_LIST {
            rec.ext_mut().bgp_communities.push(c);
        }
    }
    let _local_pref = x.u32()?;
    Some(Ok(()))
}

fn mac(b: &[u8]) -> u64 {
    b.iter().fold(0, |m, &x| (m << 8) | x as u64)
}

/// Strings are meant to be UTF-8 (or ASCII); anything else is kept lossily
/// rather than dropped. Valid UTF-8 is copied without an allocation.
fn set_string(field: &mut String, bytes: &[u8]) {
    field.clear();
    field.push_str(&String::from_utf8_lossy(bytes));
}

impl Sampled {
    pub(crate) fn finish(&self, rec: &mut FlowRecord) {
        if !self.header {
            if let Some((length, src, dst, etype)) = self.ethernet {
                rec.bytes = length.into();
                rec.src_mac = src;
                rec.dst_mac = dst;
                rec.etype = etype as u16;
            }
            if let Some(ip) = self.ip {
                if self.ethernet.is_none() {
                    rec.bytes = ip.length.into();
                }
                rec.etype = if ip.src.is_ipv4() { 0x0800 } else { 0x86dd };
                rec.src_addr = Some(ip.src);
                rec.dst_addr = Some(ip.dst);
                rec.proto = ip.proto as u8;
                rec.src_port = ip.src_port as u16;
                rec.dst_port = ip.dst_port as u16;
                rec.tcp_flags = ip.tcp_flags as u16;
                rec.ip_tos = ip.tos as u8;
            }
        }
        if let Some([src_vlan, src_pri, dst_vlan, dst_pri]) = self.switch {
            // Agents like Open vSwitch send VLAN 0 ("none known"); keep the
            // tag the header showed then.
            if src_vlan != 0 {
                rec.src_vlan = src_vlan as u16;
            }
            rec.dst_vlan = dst_vlan as u16;
            rec.ext_mut().src_priority = Some(src_pri as u8);
            rec.ext_mut().dst_priority = Some(dst_pri as u8);
        }
        self.apply_tunnel(rec);
    }

    /// Open vSwitch's tunnel records (1023-1026, 1029/1030). A tunnel seen
    /// in the sampled header itself wins; ingress wins over egress.
    fn apply_tunnel(&self, rec: &mut FlowRecord) {
        let ingress = self.tunnel_in.is_some() || self.vni_in.is_some();
        let (ip, vni) = if ingress {
            (self.tunnel_in, self.vni_in)
        } else {
            (self.tunnel_out, self.vni_out)
        };
        if rec.ext().tunnel_type.is_some() || (ip.is_none() && vni.is_none()) {
            return;
        }
        if let Some(ip) = ip {
            rec.ext_mut().tunnel_src_addr = Some(ip.src);
            rec.ext_mut().tunnel_dst_addr = Some(ip.dst);
            rec.ext_mut().tunnel_proto = Some(ip.proto as u8);
            if ip.proto == 17 {
                rec.ext_mut().tunnel_src_port = Some(ip.src_port as u16);
                rec.ext_mut().tunnel_dst_port = Some(ip.dst_port as u16);
            }
            rec.ext_mut().tunnel_type = match (ip.proto, ip.dst_port as u16) {
                (47, _) => Some(flowgate_packet::TUNNEL_GRE),
                (17, flowgate_packet::VXLAN_PORT) => Some(flowgate_packet::TUNNEL_VXLAN),
                (17, flowgate_packet::GENEVE_PORT) => Some(flowgate_packet::TUNNEL_GENEVE),
                _ => None,
            };
        }
        if let Some(vni) = vni {
            rec.ext_mut().tunnel_key = Some(vni.into());
        }
    }
}
