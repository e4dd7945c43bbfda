//! IPv4 (options skipped, fragments) and IPv6 (extension headers walked).

use flowgate_record::FlowRecord;

use crate::{be16, be32, ipv4_addr, ipv6_addr, l4, tail, Ctx, MAX_EXT_HEADERS};

/// Forgets the outer packet's L3/L4 fields when a tunnel's inner packet
/// begins, so a truncated inner packet does not inherit them.
pub(crate) fn clear_l3(rec: &mut FlowRecord) {
    rec.src_addr = None;
    rec.dst_addr = None;
    rec.proto = 0;
    rec.ip_tos = 0;
    rec.ip_ttl = 0;
    rec.ip_flags = 0;
    rec.fragment_id = 0;
    rec.fragment_offset = 0;
    rec.ipv6_flow_label = 0;
    rec.src_port = 0;
    rec.dst_port = 0;
    rec.tcp_flags = 0;
    rec.icmp_type = 0;
    rec.icmp_code = 0;
}

pub(crate) fn ipv4(cx: &mut Ctx, b: &[u8]) {
    let rec = &mut *cx.rec;
    rec.etype = 0x0800;
    let Some(&vihl) = b.first() else { return };
    if vihl >> 4 != 4 {
        return;
    }
    if let Some(&tos) = b.get(1) {
        rec.ip_tos = tos;
    }
    let total_len = be16(b, 2);
    if let Some(id) = be16(b, 4) {
        rec.fragment_id = id.into();
    }
    if let Some(f) = be16(b, 6) {
        rec.ip_flags = (f >> 13) as u8;
        rec.fragment_offset = f & 0x1fff;
    }
    if let Some(&ttl) = b.get(8) {
        rec.ip_ttl = ttl;
    }
    let Some(&proto) = b.get(9) else { return };
    rec.proto = proto;
    let Some(src) = ipv4_addr(b, 12) else { return };
    rec.src_addr = Some(src);
    let Some(dst) = ipv4_addr(b, 16) else { return };
    rec.dst_addr = Some(dst);
    let ihl = (vihl & 0x0f) as usize * 4;
    if ihl < 20 || rec.fragment_offset != 0 {
        return;
    }
    // The total length keeps Ethernet padding out of the payload; 0 (TSO
    // super-packets captured before segmentation) means "unknown".
    let end = match total_len {
        Some(t) if t as usize >= ihl => b.len().min(t as usize),
        _ => b.len(),
    };
    let Some(payload) = b.get(ihl..end) else {
        return;
    };
    l4::transport(cx, proto, payload);
}

pub(crate) fn ipv6(cx: &mut Ctx, b: &[u8]) {
    let rec = &mut *cx.rec;
    rec.etype = 0x86dd;
    let Some(w0) = be32(b, 0) else { return };
    if w0 >> 28 != 6 {
        return;
    }
    rec.ip_tos = (w0 >> 20) as u8;
    rec.ipv6_flow_label = w0 & 0xfffff;
    let payload_len = be16(b, 4);
    let Some(&first) = b.get(6) else { return };
    rec.proto = first;
    if let Some(&hop_limit) = b.get(7) {
        rec.ip_ttl = hop_limit;
    }
    let Some(src) = ipv6_addr(b, 8) else { return };
    rec.src_addr = Some(src);
    let Some(dst) = ipv6_addr(b, 24) else { return };
    rec.dst_addr = Some(dst);
    // Payload length 0 is a jumbogram (or unknown): use what is there.
    let end = match payload_len {
        Some(n) if n > 0 => b.len().min(40 + n as usize),
        _ => b.len(),
    };
    let mut rest = b.get(40..end).unwrap_or(&[]);
    let mut next = first;
    for _ in 0..MAX_EXT_HEADERS {
        let (Some(&nh), Some(&len)) = (rest.first(), rest.get(1)) else {
            return;
        };
        let hlen = match next {
            // hop-by-hop, routing, destination options, mobility, HIP, shim6
            0 | 43 | 60 | 135 | 139 | 140 => (len as usize + 1) * 8,
            // AH counts 4-byte words, minus 2
            51 => (len as usize + 2) * 4,
            44 => {
                let (Some(f), Some(id)) = (be16(rest, 2), be32(rest, 4)) else {
                    rec.proto = nh;
                    return;
                };
                rec.fragment_offset = f >> 3;
                rec.ip_flags = (f & 1) as u8;
                rec.fragment_id = id;
                if rec.fragment_offset != 0 {
                    rec.proto = nh;
                    return;
                }
                8
            }
            _ => break,
        };
        next = nh;
        rec.proto = nh;
        if hlen > rest.len() {
            return;
        }
        rest = tail(rest, hlen);
    }
    if is_ext_header(next) {
        return;
    }
    l4::transport(cx, next, rest);
}

fn is_ext_header(proto: u8) -> bool {
    matches!(proto, 0 | 43 | 44 | 51 | 60 | 135 | 139 | 140)
}
