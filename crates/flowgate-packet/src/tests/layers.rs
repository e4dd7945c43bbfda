use super::*;
use crate::*;

#[test]
fn ethernet_ipv4_tcp() {
    let t = tcp(443, 51000, 0x18);
    let r = parsed(&cat(&[
        &eth(0x0800),
        &ipv4(6, [192, 0, 2, 1], [198, 51, 100, 2], &t),
    ]));
    assert_eq!((r.src_mac, r.dst_mac, r.etype), (MAC_A, MAC_B, 0x0800));
    assert_eq!(
        (r.src_addr, r.dst_addr),
        (ip("192.0.2.1"), ip("198.51.100.2"))
    );
    assert_eq!(
        (r.proto, r.src_port, r.dst_port, r.tcp_flags),
        (6, 443, 51000, 0x18)
    );
    assert_eq!(
        (r.ip_ttl, r.ip_tos, r.ip_flags, r.fragment_id),
        (63, 0xb8, 2, 0x1234)
    );
    assert_eq!(r.ext().tunnel_type, None);
    assert!(r.ext().mpls_label.is_empty());
}

#[test]
fn vlan_and_qinq() {
    let u = udp(53, 5353, &[]);
    let ip4 = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &u);
    let r = parsed(&cat(&[&eth(0x8100), &tag(0x0800, 42), &ip4]));
    assert_eq!(
        (r.vlan_id, r.src_vlan, r.ext().inner_vlan, r.etype),
        (42, 42, None, 0x0800)
    );
    assert_eq!((r.src_port, r.dst_port), (53, 5353));

    let qinq = cat(&[&eth(0x88a8), &tag(0x8100, 100), &tag(0x0800, 200), &ip4]);
    let r = parsed(&qinq);
    assert_eq!(
        (r.vlan_id, r.src_vlan, r.ext().inner_vlan),
        (100, 100, Some(200))
    );
    assert_eq!(
        (r.etype, r.dst_addr, r.dst_port),
        (0x0800, ip("10.0.0.2"), 5353)
    );
}

#[test]
fn too_many_tags_stop_before_ip() {
    let mut f = eth(0x8100);
    for i in 0..MAX_LABELS {
        f.extend(tag(0x8100, i as u16 + 1));
    }
    f.extend(tag(0x0800, 99));
    f.extend(ipv4(6, [1, 1, 1, 1], [2, 2, 2, 2], &tcp(1, 2, 0)));
    let r = parsed(&f);
    assert_eq!(
        (r.vlan_id, r.ext().inner_vlan, r.etype),
        (1, Some(2), 0x8100)
    );
    assert_eq!(r.src_addr, None);
}

#[test]
fn mpls_stack_then_ipv4() {
    let label =
        |l: u32, bottom: bool| ((l << 12) | if bottom { 0x100 } else { 0 } | 64).to_be_bytes();
    let t = tcp(22, 2222, 0x10);
    let f = cat(&[
        &eth(0x8847),
        &label(16, false),
        &label(1_048_575, true),
        &ipv4(6, [10, 9, 9, 1], [10, 9, 9, 2], &t),
    ]);
    let r = parsed(&f);
    assert_eq!(r.ext().mpls_label, vec![16, 1_048_575]);
    assert_eq!(
        (r.etype, r.src_addr, r.dst_port),
        (0x0800, ip("10.9.9.1"), 2222)
    );

    // a stack with no bottom within the limit is kept up to the limit, no IP
    let mut f = eth(0x8847);
    for l in 0..10 {
        f.extend(label(100 + l, false));
    }
    let r = parsed(&f);
    assert_eq!(r.ext().mpls_label.len(), MAX_LABELS);
    assert_eq!((r.etype, r.src_addr), (0x8847, None));
}

#[test]
fn ipv4_options_and_padding() {
    let u = udp(1, 2, &[9; 4]);
    let mut p = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &[]);
    p[0] = 0x46; // 4 bytes of options
    p[2..4].copy_from_slice(&(24 + u.len() as u16).to_be_bytes());
    p.extend_from_slice(&[1, 1, 1, 0]);
    p.extend(u);
    p.extend_from_slice(&[0xee; 6]); // Ethernet padding after the packet
    let r = parsed(&cat(&[&eth(0x0800), &p]));
    assert_eq!((r.src_port, r.dst_port), (1, 2));
}

#[test]
fn ipv4_fragments_only_first_has_ports() {
    let t = tcp(1234, 80, 0x02);
    let mut first = ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], &t);
    first[6..8].copy_from_slice(&0x2000u16.to_be_bytes()); // MF, offset 0
    let r = parsed(&cat(&[&eth(0x0800), &first]));
    assert_eq!((r.ip_flags, r.fragment_offset, r.src_port), (1, 0, 1234));

    let mut later = first.clone();
    later[6..8].copy_from_slice(&185u16.to_be_bytes()); // offset 1480 bytes, last
    let r = parsed(&cat(&[&eth(0x0800), &later]));
    assert_eq!(
        (r.ip_flags, r.fragment_offset, r.fragment_id),
        (0, 185, 0x1234)
    );
    assert_eq!((r.proto, r.src_port, r.dst_port), (6, 0, 0));
    assert_eq!(r.dst_addr, ip("10.0.0.2"));
}

#[test]
fn ipv6_extension_headers_are_walked() {
    let u = udp(546, 547, &[]);
    // hop-by-hop (8 bytes) -> routing (24 bytes) -> fragment (first) -> UDP
    let mut ext = vec![43, 0, 0, 0, 0, 0, 0, 0];
    ext.extend_from_slice(&[44, 2, 0, 0]);
    ext.extend_from_slice(&[0; 20]);
    ext.extend_from_slice(&[17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]);
    let p = ipv6(0, "2001:db8::1", "2001:db8::2", &cat(&[&ext, &u]));
    let r = parsed(&cat(&[&eth(0x86dd), &p]));
    assert_eq!(
        (r.etype, r.proto, r.src_port, r.dst_port),
        (0x86dd, 17, 546, 547)
    );
    assert_eq!((r.ipv6_flow_label, r.ip_ttl, r.ip_tos), (0xbeef, 57, 0x2a));
    assert_eq!(
        (r.fragment_id, r.ip_flags, r.fragment_offset),
        (0xdeadbeef, 1, 0)
    );
    assert_eq!(r.src_addr, ip("2001:db8::1"));

    // a later fragment: no transport header
    let frag = [6, 0, 0x05, 0xc8, 0, 0, 0, 7];
    let p = ipv6(
        44,
        "2001:db8::1",
        "2001:db8::2",
        &cat(&[&frag, &tcp(1, 2, 0)]),
    );
    let r = parsed(&cat(&[&eth(0x86dd), &p]));
    assert_eq!((r.proto, r.fragment_offset, r.src_port), (6, 185, 0));

    // ESP ends the walk: the protocol is ESP, no ports
    let p = ipv6(
        60,
        "::1",
        "::2",
        &cat(&[&[50, 0, 0, 0, 0, 0, 0, 0], &[0; 8]]),
    );
    let r = parsed(&cat(&[&eth(0x86dd), &p]));
    assert_eq!((r.proto, r.src_port), (50, 0));
}

#[test]
fn icmp_and_icmpv6() {
    let r = parsed(&cat(&[
        &eth(0x0800),
        &ipv4(1, [1, 1, 1, 1], [2, 2, 2, 2], &[8, 0, 0, 0]),
    ]));
    assert_eq!((r.proto, r.icmp_type, r.icmp_code), (1, 8, 0));
    let p = ipv6(58, "fe80::1", "ff02::1", &[135, 0, 0, 0]);
    let r = parsed(&cat(&[&eth(0x86dd), &p]));
    assert_eq!((r.proto, r.icmp_type, r.icmp_code), (58, 135, 0));
}
