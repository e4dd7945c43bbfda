//! Ethernet, 802.1Q/802.1ad tags and MPLS label stacks.

use crate::{be16, be32, ip, mac, tail, Ctx, MAX_LABELS, MAX_TUNNEL_DEPTH};

pub(crate) fn ethernet(cx: &mut Ctx, b: &[u8]) {
    let Some(dst) = mac(b, 0) else { return };
    cx.rec.dst_mac = dst;
    let Some(src) = mac(b, 6) else { return };
    cx.rec.src_mac = src;
    let Some(mut etype) = be16(b, 12) else { return };
    let mut off = 14;
    let mut labels = 0;
    // 0x9100 is the pre-standard QinQ TPID some switches still send.
    while matches!(etype, 0x8100 | 0x88a8 | 0x9100) {
        cx.rec.etype = etype;
        if labels == MAX_LABELS {
            return;
        }
        let Some(tci) = be16(b, off) else { return };
        let vid = tci & 0x0fff;
        match labels {
            0 => {
                cx.rec.vlan_id = vid;
                cx.rec.src_vlan = vid;
                // A frame inside a tunnel starts over; a record without
                // extended fields has none to clear (and needs none allocated).
                if cx.rec.ext().inner_vlan.is_some() {
                    cx.rec.ext_mut().inner_vlan = None;
                }
            }
            1 => cx.rec.ext_mut().inner_vlan = Some(vid),
            _ => {}
        }
        labels += 1;
        let Some(next) = be16(b, off + 2) else { return };
        etype = next;
        off += 4;
    }
    cx.rec.etype = etype;
    let payload = tail(b, off);
    match etype {
        0x0800 => ip::ipv4(cx, payload),
        0x86dd => ip::ipv6(cx, payload),
        0x8847 | 0x8848 => mpls(cx, payload, labels),
        _ => {}
    }
}

/// Keeps the labels (top first) and parses an IP packet below the stack.
/// MPLS does not say what it carries: the first nibble after the bottom of
/// the stack does. 0 is a pseudowire control word (RFC 4448): an Ethernet
/// frame follows it, and that frame is the customer's flow.
fn mpls(cx: &mut Ctx, b: &[u8], mut labels: usize) {
    cx.rec.ext_mut().mpls_label.clear();
    let mut off = 0;
    loop {
        if labels == MAX_LABELS {
            return;
        }
        let Some(entry) = be32(b, off) else { return };
        cx.rec.ext_mut().mpls_label.push(entry >> 12);
        labels += 1;
        off += 4;
        if entry & 0x100 != 0 {
            break;
        }
    }
    let payload = tail(b, off);
    match payload.first().map(|v| v >> 4) {
        Some(4) => ip::ipv4(cx, payload),
        Some(6) => ip::ipv6(cx, payload),
        Some(0) if cx.depth < MAX_TUNNEL_DEPTH && payload.len() >= 4 + 14 => {
            cx.depth += 1;
            ethernet(cx, tail(payload, 4));
        }
        _ => {}
    }
}
