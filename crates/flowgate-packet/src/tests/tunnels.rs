use flowgate_record::FlowRecord;

use super::*;
use crate::*;

#[test]
fn gre_key_and_transparent_ethernet() {
    let mut gre = vec![0x20, 0x00, 0x65, 0x58];
    gre.extend_from_slice(&0x0001_0203u32.to_be_bytes());
    let outer = ipv4(
        47,
        [172, 16, 0, 1],
        [172, 16, 0, 2],
        &cat(&[&gre, &inner_frame()]),
    );
    let mut f = cat(&[&eth(0x0800), &outer]);
    f[0..6].copy_from_slice(&[0xff; 6]); // outer MACs differ from the inner ones
    let r = parsed(&f);
    assert_inner_flow(&r);
    assert_eq!(r.ext().tunnel_type, Some(TUNNEL_GRE));
    assert_eq!(
        (r.ext().tunnel_src_addr, r.ext().tunnel_dst_addr),
        (ip("172.16.0.1"), ip("172.16.0.2"))
    );
    assert_eq!(
        (r.ext().tunnel_proto, r.ext().tunnel_key),
        (Some(47), Some(0x0001_0203))
    );
    assert_eq!(
        (r.ext().tunnel_src_port, r.ext().tunnel_dst_port),
        (None, None)
    );
}

#[test]
fn gre_with_checksum_and_sequence_carrying_ip() {
    let mut gre = vec![0x90, 0x00, 0x86, 0xdd, 0xab, 0xcd, 0, 0, 0, 0, 0, 9];
    gre.extend(ipv6(17, "2001:db8::a", "2001:db8::b", &udp(7, 8, &[])));
    let r = parsed(&cat(&[&eth(0x86dd), &ipv6(47, "fd00::1", "fd00::2", &gre)]));
    assert_eq!(
        (r.ext().tunnel_type, r.ext().tunnel_key),
        (Some(TUNNEL_GRE), None)
    );
    assert_eq!(r.ext().tunnel_src_addr, ip("fd00::1"));
    assert_eq!(
        (r.src_addr, r.src_port, r.dst_port),
        (ip("2001:db8::a"), 7, 8)
    );
    assert_eq!(r.src_mac, MAC_A); // no inner Ethernet: outer MACs stay

    // ERSPAN and PPTP GRE are not tunnels of flows: the outer packet stays
    let r = parsed(&cat(&[
        &eth(0x0800),
        &ipv4(
            47,
            [1, 1, 1, 1],
            [2, 2, 2, 2],
            &[0x10, 0, 0x88, 0xbe, 0, 0, 0, 1],
        ),
    ]));
    assert_eq!(
        (r.ext().tunnel_type, r.proto, r.src_addr),
        (None, 47, ip("1.1.1.1"))
    );
}

fn vxlan(vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    v.extend_from_slice(&(vni << 8).to_be_bytes());
    v.extend_from_slice(inner);
    v
}

#[test]
fn vxlan_keeps_outer_in_tunnel_fields() {
    let u = udp(49152, VXLAN_PORT, &vxlan(5001, &inner_frame()));
    let r = parsed(&cat(&[
        &eth(0x0800),
        &ipv4(17, [192, 168, 1, 1], [192, 168, 1, 2], &u),
    ]));
    assert_inner_flow(&r);
    assert_eq!(
        (
            r.ext().tunnel_type,
            r.ext().tunnel_key,
            r.ext().tunnel_proto
        ),
        (Some(TUNNEL_VXLAN), Some(5001), Some(17))
    );
    assert_eq!(
        (r.ext().tunnel_src_port, r.ext().tunnel_dst_port),
        (Some(49152), Some(VXLAN_PORT))
    );
    assert_eq!(r.ext().tunnel_dst_addr, ip("192.168.1.2"));
    assert_eq!(r.ip_ttl, 63);

    // without the I flag it is just UDP to port 4789
    let mut bad = vxlan(1, &inner_frame());
    bad[0] = 0;
    let u = udp(1, VXLAN_PORT, &bad);
    let r = parsed(&cat(&[
        &eth(0x0800),
        &ipv4(17, [1, 1, 1, 1], [2, 2, 2, 2], &u),
    ]));
    assert_eq!((r.ext().tunnel_type, r.dst_port), (None, VXLAN_PORT));
}

#[test]
fn geneve_with_ovn_option() {
    // an unrelated option first, then OVN's: ingress 5, egress 0x8001 (multicast)
    let mut g = vec![4, 0, 0x65, 0x58, 0x00, 0x00, 0x07, 0x00];
    g.extend_from_slice(&[0xff, 0xff, 0x01, 0x01, 0xaa, 0xbb, 0xcc, 0xdd]);
    g.extend_from_slice(&[0x01, 0x02, 0x80, 0x01, 0x00, 0x05, 0x80, 0x01]);
    let opts = g[8..].to_vec();
    g.extend(inner_frame());
    let u = udp(33000, GENEVE_PORT, &g);
    let r = parsed(&cat(&[
        &eth(0x0800),
        &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &u),
    ]));
    assert_inner_flow(&r);
    assert_eq!(
        (r.ext().tunnel_type, r.ext().tunnel_key),
        (Some(TUNNEL_GENEVE), Some(7))
    );
    assert_eq!(r.ext().tunnel_options, opts);
    assert_eq!(
        (r.ext().ovn_ingress_port, r.ext().ovn_egress_port),
        (Some(5), Some(0x8001))
    );
    assert_eq!(r.ext().tunnel_dst_port, Some(GENEVE_PORT));
}

#[test]
fn at_most_two_tunnels_are_entered() {
    let level2 = udp(2, VXLAN_PORT, &vxlan(2, &inner_frame()));
    let level2 = cat(&[
        &eth(0x0800),
        &ipv4(17, [10, 2, 0, 1], [10, 2, 0, 2], &level2),
    ]);
    let level1 = udp(1, VXLAN_PORT, &vxlan(1, &level2));
    let level1 = cat(&[
        &eth(0x0800),
        &ipv4(17, [10, 1, 1, 1], [10, 1, 1, 2], &level1),
    ]);
    let level0 = udp(0, VXLAN_PORT, &vxlan(7, &level1));
    let r = parsed(&cat(&[
        &eth(0x0800),
        &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &level0),
    ]));
    // the outermost tunnel is recorded; the third is not entered
    assert_eq!(
        (r.ext().tunnel_key, r.ext().tunnel_src_addr),
        (Some(7), ip("10.0.0.1"))
    );
    assert_eq!(
        (r.src_addr, r.dst_port, r.proto),
        (ip("10.2.0.1"), VXLAN_PORT, 17)
    );
}

#[test]
fn truncated_headers_decode_as_far_as_they_go() {
    let u = udp(49152, VXLAN_PORT, &vxlan(5001, &inner_frame()));
    let full = cat(&[
        &eth(0x8100),
        &tag(0x0800, 7),
        &ipv4(17, [192, 168, 1, 1], [192, 168, 1, 2], &u),
    ]);
    for n in 0..=full.len() {
        let r = parsed(&full[..n]);
        assert_eq!(r.src_mac, if n >= 12 { MAC_A } else { 0 });
        if (18 + 16..18 + 20).contains(&n) {
            assert_eq!(
                (r.src_addr, r.dst_addr, r.proto),
                (ip("192.168.1.1"), None, 17)
            );
        }
    }
    // cut inside the inner IPv4 header: tunnel known, inner source only
    let r = parsed(&full[..18 + 20 + 8 + 8 + 14 + 16]);
    assert_eq!(r.ext().tunnel_key, Some(5001));
    assert_eq!(
        (r.src_addr, r.dst_addr, r.src_port),
        (ip("10.1.0.1"), None, 0)
    );
    // cut inside the VXLAN header: the outer UDP packet is the flow
    let r = parsed(&full[..18 + 20 + 8 + 6]);
    assert_eq!(
        (r.ext().tunnel_type, r.src_addr, r.dst_port),
        (None, ip("192.168.1.1"), VXLAN_PORT)
    );
    // a lying IPv4 total length does not read past the slice
    let mut lie = full.clone();
    lie[18 + 2..18 + 4].copy_from_slice(&0xffffu16.to_be_bytes());
    assert_inner_flow(&parsed(&lie));
}

#[test]
fn raw_ip_entry_points() {
    let t = tcp(5, 6, 0x11);
    let p4 = ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], &t);
    let mut r = FlowRecord::default();
    parse_ip(&p4, &mut r);
    assert_eq!((r.etype, r.src_port, r.tcp_flags), (0x0800, 5, 0x11));
    let mut r = FlowRecord::default();
    parse_ipv6(&ipv6(6, "::1", "::2", &t), &mut r);
    assert_eq!((r.etype, r.dst_port), (0x86dd, 6));
    let mut r = FlowRecord::default();
    parse_ip(&[0x15, 0, 0], &mut r);
    assert_eq!(r, FlowRecord::default());
    parse_ipv4(&[0x65; 30], &mut r); // wrong version: only the EtherType
    assert_eq!((r.etype, r.src_addr), (0x0800, None));
}

#[test]
fn ipv4_in_ipv6_through_a_segment_routing_header() {
    // SRv6 as Juniper exports it: IPv6, routing header type 4, inner IPv4
    let t = tcp(443, 50000, 0x12);
    let inner = ipv4(6, [8, 8, 8, 8], [192, 0, 2, 7], &t);
    let mut srh = vec![4, 2, 4, 0, 0, 0, 0, 0]; // next header IPv4, 2×8 more bytes
    srh.extend_from_slice(&[0u8; 16]);
    let mut v6 = vec![0x60, 0, 0, 0];
    v6.extend_from_slice(&((srh.len() + inner.len()) as u16).to_be_bytes());
    v6.extend_from_slice(&[43, 64]);
    v6.extend_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    v6.extend_from_slice(
        &"2001:db8::2"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    let f = cat(&[&eth(0x86dd), &v6, &srh, &inner]);
    let r = parsed(&f);
    assert_eq!((r.src_addr, r.dst_addr), (ip("8.8.8.8"), ip("192.0.2.7")));
    assert_eq!(
        (r.proto, r.src_port, r.dst_port, r.etype),
        (6, 443, 50000, 0x0800)
    );
    assert_eq!(
        (
            r.ext().tunnel_src_addr,
            r.ext().tunnel_dst_addr,
            r.ext().tunnel_proto,
            r.ext().tunnel_type
        ),
        (ip("2001:db8::1"), ip("2001:db8::2"), Some(4), None)
    );
}

#[test]
fn ethernet_over_mpls_with_control_word() {
    let label = |l: u32, bottom: bool| ((l << 12) | if bottom { 0x100 } else { 0 }).to_be_bytes();
    let t = tcp(443, 28911, 0x10);
    let customer = cat(&[
        &eth(0x0800),
        &ipv4(6, [198, 51, 100, 3], [198, 51, 100, 4], &t),
    ]);
    let mut f = cat(&[
        &eth(0x8847),
        &label(300_012, false),
        &label(17, true),
        &[0, 0, 0, 0],
        &customer,
    ]);
    f[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 3]); // provider MACs
    let r = parsed(&f);
    assert_eq!(r.ext().mpls_label, vec![300_012, 17]);
    assert_eq!(
        (r.src_addr, r.dst_addr),
        (ip("198.51.100.3"), ip("198.51.100.4"))
    );
    assert_eq!((r.src_port, r.dst_port, r.proto), (443, 28911, 6));
    assert_eq!(r.dst_mac, MAC_B, "the customer frame's MACs are the flow's");
    // a control word with no room for a frame after it is left alone
    let r = parsed(&f[..14 + 8 + 4 + 10]);
    assert_eq!(r.src_addr, None);
}
