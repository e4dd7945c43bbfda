//! Transport headers, and the UDP/IP protocols that start a tunnel.

use crate::{be16, tail, tunnel, Ctx, GENEVE_PORT, VXLAN_PORT};

pub(crate) fn transport(cx: &mut Ctx, proto: u8, b: &[u8]) {
    match proto {
        6 => {
            ports(cx, b);
            // IPFIX tcpControlBits: the 12 bits after the data offset.
            if let Some(f) = be16(b, 12) {
                cx.rec.tcp_flags = f & 0x0fff;
            }
        }
        17 => {
            ports(cx, b);
            if b.len() < 8 {
                return;
            }
            match cx.rec.dst_port {
                VXLAN_PORT => tunnel::vxlan(cx, tail(b, 8)),
                GENEVE_PORT => tunnel::geneve(cx, tail(b, 8)),
                _ => {}
            }
        }
        // DCCP, SCTP, UDP-Lite: ports where TCP and UDP have them
        33 | 132 | 136 => ports(cx, b),
        1 | 58 => {
            if let Some(&t) = b.first() {
                cx.rec.icmp_type = t;
            }
            if let Some(&c) = b.get(1) {
                cx.rec.icmp_code = c;
            }
        }
        47 => tunnel::gre(cx, b),
        4 | 41 => tunnel::ip_in_ip(cx, proto, b),
        _ => {}
    }
}

fn ports(cx: &mut Ctx, b: &[u8]) {
    if let Some(p) = be16(b, 0) {
        cx.rec.src_port = p;
    }
    if let Some(p) = be16(b, 2) {
        cx.rec.dst_port = p;
    }
}
