use flowgate_record::FlowType;

use super::*;

fn one(data: &[u8]) -> flowgate_record::FlowRecord {
    let (r, flows, _) = decode_all(data);
    let rep = r.unwrap();
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    assert_eq!(flows.len(), 1);
    flows.as_slice()[0].clone()
}

#[test]
fn compact_flow_sample_with_ethernet_header_and_switch() {
    let switch = element(1001, &u32s(&[10, 3, 20, 5]));
    let d = datagram(&[flow_sample(
        400,
        3,
        4,
        &[raw_header(1, 1518, &tcp_frame()), switch],
    )]);
    let (r, flows, counters) = decode_all(&d);
    let rep = r.unwrap();
    assert_eq!(
        (rep.flow_samples, rep.records, rep.sequence, rep.domain),
        (1, 1, 42, 7)
    );
    assert_eq!(rep.agent, ip(AGENT));
    assert!(counters.is_empty());
    let f = &flows.as_slice()[0];
    assert_eq!(f.flow_type, FlowType::Sflow5);
    // the agent, not the UDP source 192.0.2.1
    assert_eq!(f.sampler_address, ip(AGENT));
    assert_eq!((f.sequence_num, f.ext().sub_agent_id), (42, Some(7)));
    assert_eq!(f.time_received_ns, exporter().received_ns);
    assert_eq!(f.time_flow_start_ns, exporter().received_ns);
    // raw values: the rate is not applied
    assert_eq!((f.sampling_rate, f.bytes, f.packets), (400, 1518, 1));
    assert_eq!(
        (
            f.ext().sample_pool,
            f.ext().sample_drops,
            f.ext().frame_length
        ),
        (Some(5000), Some(2), Some(1518))
    );
    assert_eq!(
        (
            f.in_if,
            f.out_if,
            f.ext().out_if_multiple,
            f.ext().drop_reason
        ),
        (3, 4, None, None)
    );
    assert_eq!(
        (f.src_addr, f.dst_addr),
        (ip("192.0.2.10"), ip("198.51.100.20"))
    );
    assert_eq!(
        (f.proto, f.src_port, f.dst_port, f.tcp_flags),
        (6, 40000, 443, 0x10)
    );
    assert_eq!(
        (f.src_mac, f.dst_mac, f.etype),
        (0x0200_0000_0001, 0x0200_0000_0002, 0x0800)
    );
    assert_eq!((f.src_vlan, f.dst_vlan), (10, 20));
    assert_eq!(
        (f.ext().src_priority, f.ext().dst_priority),
        (Some(3), Some(5))
    );
}

#[test]
fn output_interface_encodings() {
    let hdr = || vec![raw_header(1, 64, &tcp_frame())];
    // Open vSwitch floods: "multiple", 7 ports
    let f = one(&datagram(&[flow_sample(1, 3, 0x8000_0007, &hdr())]));
    assert_eq!((f.out_if, f.ext().out_if_multiple), (0x8000_0007, Some(7)));
    // multiple, number unknown
    let f = one(&datagram(&[flow_sample(1, 3, 0x8000_0000, &hdr())]));
    assert_eq!((f.out_if, f.ext().out_if_multiple), (0x8000_0000, Some(0)));
    // Open vSwitch drops: "discarded", reason 256 unknown
    let f = one(&datagram(&[flow_sample(1, 3, 0x4000_0100, &hdr())]));
    assert_eq!((f.out_if, f.ext().drop_reason), (0x4000_0100, Some(256)));
    // internal / not known: an ifIndex value, kept as sent
    let f = one(&datagram(&[flow_sample(
        1,
        0x3fff_ffff,
        0x3fff_ffff,
        &hdr(),
    )]));
    assert_eq!(
        (f.in_if, f.out_if, f.ext().drop_reason),
        (0x3fff_ffff, 0x3fff_ffff, None)
    );
}

#[test]
fn expanded_flow_sample_interface_words() {
    let hdr = || vec![raw_header(1, 64, &tcp_frame())];
    let f = one(&datagram(&[expanded_flow_sample(
        (0, 0x1234_5678),
        (0, 0x8765_4321),
        &hdr(),
    )]));
    assert_eq!(
        (f.in_if, f.out_if, f.sampling_rate, f.ext().sample_pool),
        (0x1234_5678, 0x8765_4321, 1000, Some(7000))
    );
    let f = one(&datagram(&[expanded_flow_sample((0, 1), (2, 3), &hdr())]));
    assert_eq!((f.out_if, f.ext().out_if_multiple), (0x8000_0003, Some(3)));
    let f = one(&datagram(&[expanded_flow_sample((0, 1), (1, 258), &hdr())]));
    assert_eq!((f.out_if, f.ext().drop_reason), (0x4000_0102, Some(258)));
    assert_eq!(f.src_port, 40000);
}

#[test]
fn raw_ip_header_protocols() {
    let f = one(&datagram(&[flow_sample(
        1,
        1,
        2,
        &[raw_header(11, 40, &tcp_packet())],
    )]));
    assert_eq!(
        (f.etype, f.src_addr, f.dst_port),
        (0x0800, ip("192.0.2.10"), 443)
    );
    let mut p6 = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
    p6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p6.extend_from_slice(&[0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]);
    let f = one(&datagram(&[flow_sample(
        1,
        1,
        2,
        &[raw_header(12, 48, &p6)],
    )]));
    assert_eq!(
        (f.etype, f.dst_addr, f.src_port, f.dst_port),
        (0x86dd, ip("2001:db8::2"), 12345, 53)
    );
    // an unknown header protocol is carried, not parsed
    let f = one(&datagram(&[flow_sample(
        1,
        1,
        2,
        &[raw_header(7, 48, &p6)],
    )]));
    assert_eq!((f.bytes, f.src_addr), (48, None));
}

fn sampled_ipv4() -> Vec<u8> {
    let mut b = u32s(&[1400, 17]);
    b.extend_from_slice(&[10, 1, 1, 1, 10, 2, 2, 2]);
    b.extend(u32s(&[5353, 53, 0, 0x10]));
    element(3, &b)
}

fn sampled_ethernet() -> Vec<u8> {
    let mut b = u32s(&[1418]);
    b.extend_from_slice(&[
        0xaa, 0xbb, 0xcc, 0, 0, 1, 0, 0, 0xaa, 0xbb, 0xcc, 0, 0, 2, 0, 0,
    ]);
    b.extend(u32s(&[0x0800]));
    element(2, &b)
}

#[test]
fn decoded_records_fill_in_without_a_raw_header() {
    let f = one(&datagram(&[flow_sample(
        10,
        1,
        2,
        &[sampled_ipv4(), sampled_ethernet()],
    )]));
    assert_eq!(
        (f.src_addr, f.dst_addr, f.proto),
        (ip("10.1.1.1"), ip("10.2.2.2"), 17)
    );
    assert_eq!(
        (f.src_port, f.dst_port, f.ip_tos, f.etype),
        (5353, 53, 0x10, 0x0800)
    );
    assert_eq!(
        (f.src_mac, f.dst_mac, f.bytes),
        (0xaabb_cc00_0001, 0xaabb_cc00_0002, 1418)
    );
    let f = one(&datagram(&[flow_sample(10, 1, 2, &[sampled_ipv4()])]));
    assert_eq!(f.bytes, 1400);
    // the raw header wins whatever the order
    let recs = [sampled_ipv4(), raw_header(1, 80, &tcp_frame())];
    let f = one(&datagram(&[flow_sample(10, 1, 2, &recs)]));
    assert_eq!((f.src_addr, f.bytes), (ip("192.0.2.10"), 80));
}

#[test]
fn extended_router_and_gateway() {
    let mut router = u32s(&[1, 0]);
    router[4..8].copy_from_slice(&[172, 16, 0, 1]);
    router.extend(u32s(&[24, 16]));
    let mut gw = u32s(&[1]);
    gw.extend_from_slice(&[172, 16, 0, 254]);
    // own AS 65000, src AS 0 (local), peer 65001; path: SET {1,2}, SEQ {3,64512}
    gw.extend(u32s(&[
        65000,
        0,
        65001,
        2,
        1,
        2,
        1,
        2,
        2,
        2,
        3,
        64512,
        2,
        0xfde8_0001,
        7,
        100,
    ]));
    let recs = [
        raw_header(1, 80, &tcp_frame()),
        element(1002, &router),
        element(1003, &gw),
    ];
    let f = one(&datagram(&[flow_sample(1, 1, 2, &recs)]));
    assert_eq!(
        (f.next_hop, f.src_net, f.dst_net),
        (ip("172.16.0.1"), 24, 16)
    );
    assert_eq!(f.bgp_next_hop, ip("172.16.0.254"));
    assert_eq!(f.ext().as_path, vec![1, 2, 3, 64512]);
    assert_eq!((f.dst_as, f.next_hop_as, f.src_as), (64512, 1, 65000));
    assert_eq!(
        (f.ext().src_peer_as, f.ext().bgp_communities.clone()),
        (Some(65001), vec![0xfde8_0001, 7])
    );

    // an empty path: the destination is in the router's own AS
    let mut gw = u32s(&[1, 0, 65000, 64999, 65001, 0, 0, 100]);
    gw[4..8].copy_from_slice(&[172, 16, 0, 254]);
    let f = one(&datagram(&[flow_sample(1, 1, 2, &[element(1003, &gw)])]));
    assert_eq!((f.dst_as, f.src_as, f.next_hop_as), (65000, 64999, 0));
}

fn tunnel_ipv4(dst_port: u32) -> Vec<u8> {
    let mut b = u32s(&[1450, 17]);
    b.extend_from_slice(&[192, 168, 0, 1, 192, 168, 0, 2]);
    b.extend(u32s(&[50000, dst_port, 0, 0]));
    b
}

#[test]
fn open_vswitch_tunnel_records() {
    let recs = [
        raw_header(1, 80, &tcp_frame()),
        element(1024, &tunnel_ipv4(6081)),
        element(1030, &u32s(&[0x123])),
    ];
    let f = one(&datagram(&[flow_sample(1, 1, 2, &recs)]));
    assert_eq!(
        (
            f.ext().tunnel_type,
            f.ext().tunnel_key,
            f.ext().tunnel_proto
        ),
        (Some(7), Some(0x123), Some(17))
    );
    assert_eq!(
        (f.ext().tunnel_src_addr, f.ext().tunnel_dst_addr),
        (ip("192.168.0.1"), ip("192.168.0.2"))
    );
    assert_eq!(
        (f.ext().tunnel_src_port, f.ext().tunnel_dst_port),
        (Some(50000), Some(6081))
    );
    assert_eq!(f.src_addr, ip("192.0.2.10"));

    // egress only, VXLAN
    let recs = [
        element(1023, &tunnel_ipv4(4789)),
        element(1029, &u32s(&[77])),
    ];
    let f = one(&datagram(&[flow_sample(1, 1, 2, &recs)]));
    assert_eq!(
        (f.ext().tunnel_type, f.ext().tunnel_key),
        (Some(1), Some(77))
    );
    // ingress wins over egress
    let recs = [element(1029, &u32s(&[1])), element(1030, &u32s(&[2]))];
    assert_eq!(
        one(&datagram(&[flow_sample(1, 1, 2, &recs)]))
            .ext()
            .tunnel_key,
        Some(2)
    );
}

#[test]
fn discard_sample_two_word_source_id_and_drop_records() {
    let recs = [
        raw_header(1, 64, &tcp_frame()),
        element(1036, &u32s(&[3])),
        element(
            1037,
            &[u32s(&[42]), opaque(b"ns/deny-all"), u32s(&[1])].concat(),
        ),
        element(1038, &opaque(b"nf_hook_slow")),
        element(
            1041,
            &[opaque(b"acl_drops"), opaque(b"ingress_flow_action_drop")].concat(),
        ),
        element(1042, &opaque(b"NETFILTER_DROP")),
        element(1043, &[u32s(&[0x1796_1234]), u32s(&[0x5678_9abc])].concat()),
    ];
    let d = datagram(&[discard_sample(258, &recs)]);
    let (r, flows, _) = decode_all(&d);
    let rep = r.unwrap();
    assert_eq!((rep.drop_samples, rep.flow_samples, rep.records), (1, 0, 1));
    assert!(rep.issues.is_empty());
    let f = &flows.as_slice()[0];
    // every field after the two-word source id lands where it should
    assert_eq!(
        (f.ext().sample_drops, f.in_if, f.out_if, f.ext().drop_reason),
        (Some(17), 4, 5, Some(258))
    );
    assert_eq!(
        f.ext()
            .drop_reason
            .and_then(flowgate_record::drop_reason_name),
        Some("acl")
    );
    assert_eq!((f.sampling_rate, f.packets, f.bytes), (0, 1, 64));
    assert_eq!((f.src_addr, f.dst_port), (ip("192.0.2.10"), 443));
    assert_eq!(f.ext().egress_queue, Some(3));
    assert_eq!(
        (
            f.ext().acl_number,
            f.ext().acl_name.as_str(),
            f.ext().acl_direction
        ),
        (Some(42), "ns/deny-all", Some(1))
    );
    assert_eq!(f.ext().drop_function, "nf_hook_slow");
    assert_eq!(
        (
            f.ext().drop_hw_trap_group.as_str(),
            f.ext().drop_hw_trap.as_str()
        ),
        ("acl_drops", "ingress_flow_action_drop")
    );
    assert_eq!(f.ext().drop_linux_reason, "NETFILTER_DROP");
    let ts = 0x1796_1234_5678_9abc;
    assert_eq!((f.time_flow_start_ns, f.time_flow_end_ns), (ts, ts));
}

#[test]
fn unknown_samples_and_records_are_skipped_by_length() {
    let recs = [
        element(1004, &[opaque(b"user"), opaque(b"x")].concat()),
        element((9 << 12) | 1, &[0xee; 12]),
        raw_header(1, 64, &tcp_frame()),
    ];
    let d = datagram(&[
        element((4413 << 12) | 5, &[1; 20]),
        flow_sample(1, 1, 2, &recs),
        element(99, &[]),
    ]);
    let (r, flows, _) = decode_all(&d);
    let rep = r.unwrap();
    assert_eq!(
        (rep.unknown_samples, rep.flow_samples, rep.records),
        (2, 1, 1)
    );
    assert!(rep.issues.is_empty());
    assert_eq!(flows.as_slice()[0].dst_port, 443);
}

#[test]
fn ipv6_agent_and_reused_records() {
    let mut d = datagram_from(
        "2001:db8::5".parse().unwrap(),
        1,
        &[discard_sample(3, &[element(1042, &opaque(b"NO_SOCKET"))])],
    );
    let mut flows = flowgate_record::RecordBatch::new();
    let mut decoder = crate::Decoder::default();
    decoder.decode(exporter(), &d, &mut flows).unwrap();
    let f = &flows.as_slice()[0];
    assert_eq!(
        (f.sampler_address, f.ext().drop_linux_reason.as_str()),
        (ip("2001:db8::5"), "NO_SOCKET")
    );
    // a reused slot starts empty
    flows.clear();
    d = datagram(&[flow_sample(1, 1, 2, &[raw_header(1, 64, &tcp_frame())])]);
    decoder.decode(exporter(), &d, &mut flows).unwrap();
    let f = &flows.as_slice()[0];
    assert!(f.ext().drop_linux_reason.is_empty() && f.ext().drop_reason.is_none());
}
