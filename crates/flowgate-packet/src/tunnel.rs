//! GRE (RFC 2784/2890), VXLAN (RFC 7348) and Geneve (RFC 8926, with OVN's
//! logical port option).

use flowgate_record::FlowRecord;

use crate::{
    be16, be32, ip, l2, tail, Ctx, MAX_TUNNEL_DEPTH, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_VXLAN,
};

/// OVN's Geneve option (ovn-architecture "Tunnel Encapsulations").
const OVN_OPT_CLASS: u16 = 0x0102;
const OVN_OPT_TYPE: u8 = 0x80;

/// Steps into a tunnel: the outermost one is recorded in `tunnel_*`, and
/// the flow fields are cleared for the inner packet. `None` when the depth
/// limit says not to enter; `Some(true)` when this tunnel is the recorded one.
fn enter(cx: &mut Ctx, kind: Option<u8>, key: Option<u64>) -> Option<bool> {
    if cx.depth >= MAX_TUNNEL_DEPTH {
        return None;
    }
    let rec = &mut *cx.rec;
    let outermost = cx.depth == 0;
    if outermost {
        let (src, dst, proto) = (rec.src_addr, rec.dst_addr, rec.proto);
        let ports = (proto == 17).then_some((rec.src_port, rec.dst_port));
        let e = rec.ext_mut();
        e.tunnel_type = kind;
        e.tunnel_src_addr = src;
        e.tunnel_dst_addr = dst;
        e.tunnel_proto = Some(proto);
        if let Some((sp, dp)) = ports {
            e.tunnel_src_port = Some(sp);
            e.tunnel_dst_port = Some(dp);
        }
        e.tunnel_key = key;
    }
    cx.depth += 1;
    ip::clear_l3(rec);
    Some(outermost)
}

fn inner(cx: &mut Ctx, ethertype: u16, b: &[u8]) {
    match ethertype {
        0x6558 => l2::ethernet(cx, b),
        0x0800 => ip::ipv4(cx, b),
        0x86dd => ip::ipv6(cx, b),
        _ => {}
    }
}

fn carried(ethertype: u16) -> bool {
    matches!(ethertype, 0x6558 | 0x0800 | 0x86dd)
}

pub(crate) fn gre(cx: &mut Ctx, b: &[u8]) {
    let (Some(flags), Some(proto)) = (be16(b, 0), be16(b, 2)) else {
        return;
    };
    // Version 1 is PPTP's enhanced GRE; the routing bit (RFC 1701) adds a
    // variable list nobody sends any more. ERSPAN payloads are mirror
    // copies, not tunnelled flows.
    if flags & 0x0007 != 0 || flags & 0x4000 != 0 || !carried(proto) {
        return;
    }
    let mut off = 4;
    if flags & 0x8000 != 0 {
        off += 4;
    }
    let mut key = None;
    if flags & 0x2000 != 0 {
        let Some(k) = be32(b, off) else { return };
        key = Some(k.into());
        off += 4;
    }
    if flags & 0x1000 != 0 {
        off += 4;
    }
    if off > b.len() || enter(cx, Some(TUNNEL_GRE), key).is_none() {
        return;
    }
    inner(cx, proto, tail(b, off));
}

pub(crate) fn vxlan(cx: &mut Ctx, b: &[u8]) {
    let (Some(&flags), Some(w1)) = (b.first(), be32(b, 4)) else {
        return;
    };
    // The I flag says the VNI is valid.
    if flags & 0x08 == 0 || enter(cx, Some(TUNNEL_VXLAN), Some((w1 >> 8).into())).is_none() {
        return;
    }
    l2::ethernet(cx, tail(b, 8));
}

pub(crate) fn geneve(cx: &mut Ctx, b: &[u8]) {
    let (Some(&b0), Some(proto), Some(w1)) = (b.first(), be16(b, 2), be32(b, 4)) else {
        return;
    };
    if b0 >> 6 != 0 || !carried(proto) {
        return;
    }
    let Some(recorded) = enter(cx, Some(TUNNEL_GENEVE), Some((w1 >> 8).into())) else {
        return;
    };
    let opts_end = 8 + (b0 & 0x3f) as usize * 4;
    if recorded {
        let opts = b.get(8..opts_end.min(b.len())).unwrap_or(&[]);
        cx.rec.ext_mut().tunnel_options.clear();
        cx.rec.ext_mut().tunnel_options.extend_from_slice(opts);
        ovn_ports(cx.rec, opts);
    }
    if opts_end <= b.len() {
        inner(cx, proto, tail(b, opts_end));
    }
}

/// OVN's option: bit 31 reserved, 15-bit logical ingress port, 16-bit
/// logical egress port. Only whole options are read.
fn ovn_ports(rec: &mut FlowRecord, mut opts: &[u8]) {
    while let (Some(class), Some(&kind), Some(&len)) = (be16(opts, 0), opts.get(2), opts.get(3)) {
        let data_len = (len & 0x1f) as usize * 4;
        let Some(data) = opts.get(4..4 + data_len) else {
            return;
        };
        if class == OVN_OPT_CLASS && kind == OVN_OPT_TYPE {
            if let Some(v) = be32(data, 0) {
                rec.ext_mut().ovn_ingress_port = Some(((v >> 16) & 0x7fff) as u16);
                rec.ext_mut().ovn_egress_port = Some(v as u16);
            }
        }
        opts = tail(opts, 4 + data_len);
    }
}

/// IPv4 or IPv6 carried directly in IP (protocols 4 and 41: IP-in-IP, and
/// SRv6, whose segment routing header leads to the inner packet). It has no
/// Open vSwitch tunnel type, so only the outer addresses and protocol are kept.
pub(crate) fn ip_in_ip(cx: &mut Ctx, proto: u8, b: &[u8]) {
    if enter(cx, None, None).is_none() {
        return;
    }
    match proto {
        4 => ip::ipv4(cx, b),
        _ => ip::ipv6(cx, b),
    }
}
