use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::fmt::{write_ip, write_u64};
use super::reference;
use super::*;
use crate::{EndpointMeta, FlowType};

fn sample() -> FlowRecord {
    let mut r = FlowRecord {
        flow_type: FlowType::Ipfix,
        bytes: 1500,
        packets: 3,
        src_addr: Some("10.1.2.3".parse().unwrap()),
        dst_addr: Some("2001:db8::1".parse().unwrap()),
        proto: 6,
        etype: 0x0800,
        src_net: 24,
        dst_net: 32,
        src_mac: 0x0a0b0c0d0e0f,
        flow_direction: Some(1),
        ..Default::default()
    };
    r.ext_mut().in_if_name.push_str("veth\"1\\\n");
    r.push_extra(29305, 6, &[0x12, 0xab]);
    r
}

fn render(opts: RenderOptions, r: &FlowRecord) -> String {
    let mut out = Vec::new();
    Renderer::new(opts).write(r, &mut out);
    String::from_utf8(out).unwrap()
}

fn fields(names: &[&str]) -> Option<Vec<FieldId>> {
    Some(
        names
            .iter()
            .map(|n| FieldId::from_name(n).unwrap())
            .collect(),
    )
}

/// Every kind of option: the default fast path, names, text, explicit
/// lists (all fields; absent ones first; `extra` first; empty).
fn option_sets() -> Vec<RenderOptions> {
    let mut v = Vec::new();
    for format in [OutputFormat::Json, OutputFormat::Text] {
        for names in [false, true] {
            for f in [
                None,
                Some(FieldId::ALL.to_vec()),
                fields(&["flow_end_reason", "src_addr", "bytes", "proto", "extra"]),
                fields(&["extra", "src_k8s_labels", "src_net", "tunnel_options"]),
                Some(Vec::new()),
            ] {
                v.push(RenderOptions {
                    format,
                    fields: f,
                    names,
                });
            }
        }
    }
    v
}

/// New and reference renderers agree byte for byte on `r` under every option set.
fn assert_same_as_reference(r: &FlowRecord) {
    for opts in option_sets() {
        let new = Renderer::new(opts.clone());
        let old = reference::Renderer::new(opts.clone());
        let (mut a, mut b) = (b"prefix".to_vec(), b"prefix".to_vec());
        new.write(r, &mut a);
        old.write(r, &mut b);
        assert!(
            a == b,
            "{opts:?}\n new: {}\n old: {}",
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        );
    }
}

/// Strings that need escaping in JSON or replacing in text: quotes,
/// backslashes, every ASCII control, DEL, `=`, Unicode whitespace and
/// controls, and what a lossy decode of a non-UTF-8 name leaves (U+FFFD).
const WEIRD: &[&str] = &[
    "plain",
    "q\"uo\"te\\back\\",
    "\u{0}\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\t\n\u{b}\u{c}\r\u{e}\u{f}",
    "\u{10}\u{11}\u{12}\u{13}\u{14}\u{15}\u{16}\u{17}\u{18}\u{19}\u{1a}\u{1b}\u{1c}\u{1d}\u{1e}\u{1f}",
    "del\u{7f} eq= sp ace",
    "nbsp\u{a0}nel\u{85}ls\u{2028}ideo\u{3000}",
    "eth\u{fffd}\u{fffd}0",
    "ünïcödé→🚀",
    "\"",
    "a",
];

fn meta(s: &str) -> EndpointMeta {
    EndpointMeta {
        namespace: format!("ns-{s}").into(),
        name: format!("name {s}").into(),
        kind: "Pod".into(),
        owner_name: s.into(),
        owner_kind: "Deployment".into(),
        node: format!("node={s}").into(),
        ..Default::default()
    }
    .with_labels([
        ("app".into(), s.into()),
        (format!("k\"{s}"), "v".into()),
        ("tier".into(), "front end".into()),
    ])
}

/// A record with every field present, so the fast writer cannot leave one
/// out or put it in the wrong place unnoticed.
fn all_set(s: &str) -> FlowRecord {
    let mut r = FlowRecord {
        flow_type: FlowType::Sflow5,
        time_received_ns: u64::MAX,
        sequence_num: u32::MAX,
        sampling_rate: 1 << 40,
        sampler_address: Some("::ffff:192.0.2.9".parse().unwrap()),
        time_flow_start_ns: 1,
        time_flow_end_ns: 10_000_000_000,
        bytes: 99,
        packets: 100,
        src_addr: Some("2001:db8:0:0:1::7".parse().unwrap()),
        dst_addr: Some("fe80::1:0:0:0:2".parse().unwrap()),
        etype: 0x86dd,
        proto: 58,
        src_port: 65535,
        dst_port: 1,
        in_if: 7,
        out_if: 4_000_000_000,
        src_mac: 0xffff_ffff_ffff,
        dst_mac: 0x0000_0000_0001,
        src_vlan: 10,
        dst_vlan: 4095,
        vlan_id: 100,
        ip_tos: 0xb8,
        forwarding_status: 64,
        ip_ttl: 255,
        tcp_flags: 0x1ff,
        icmp_type: 128,
        icmp_code: 9,
        ipv6_flow_label: 0xfffff,
        src_as: 64512,
        dst_as: 4_200_000_000,
        next_hop: Some("198.51.100.1".parse().unwrap()),
        bgp_next_hop: Some("::".parse().unwrap()),
        src_net: 61,
        dst_net: 200,
        observation_domain_id: 3,
        observation_point_id: 4,
        sampler_port: 6343,
        engine_type: Some(1),
        engine_id: Some(0),
        flow_direction: Some(0),
        flow_end_reason: Some(3),
        ip_flags: 2,
        fragment_id: 0xdead_beef,
        fragment_offset: 8191,
        next_hop_as: 65000,
        src_k8s: Some(Arc::new(meta(s))),
        dst_k8s: Some(Arc::new(meta("dst"))),
        sampler_k8s: Some(Arc::new(meta(s))),
        ext: crate::Extended {
            tunnel_type: Some(6),
            tunnel_src_addr: Some("10.0.0.1".parse().unwrap()),
            tunnel_dst_addr: Some("::1".parse().unwrap()),
            tunnel_proto: Some(17),
            tunnel_src_port: Some(49152),
            tunnel_dst_port: Some(6081),
            tunnel_key: Some(u64::from(u32::MAX) + 1),
            reverse_bytes: Some(0),
            reverse_packets: Some(u64::MAX),
            initiator_bytes: Some(12),
            responder_bytes: Some(13),
            dropped_bytes: Some(14),
            dropped_packets: Some(15),
            drop_reason: Some(258),
            sub_agent_id: Some(0),
            sample_pool: Some(1),
            sample_drops: Some(2),
            frame_length: Some(1514),
            out_if_multiple: Some(0),
            inner_vlan: Some(20),
            src_priority: Some(7),
            dst_priority: Some(0),
            src_peer_as: Some(1),
            acl_number: Some(5),
            acl_direction: Some(2),
            egress_queue: Some(3),
            ovn_ingress_port: Some(1),
            ovn_egress_port: Some(65535),
            ..crate::Extended::EMPTY
        }
        .into(),
        ..Default::default()
    };
    let e = r.ext_mut();
    for t in [
        &mut e.in_if_name,
        &mut e.out_if_name,
        &mut e.in_if_description,
        &mut e.out_if_description,
        &mut e.drop_function,
        &mut e.drop_linux_reason,
        &mut e.drop_hw_trap_group,
        &mut e.drop_hw_trap,
        &mut e.acl_name,
    ] {
        t.push_str(s);
    }
    r.ext_mut().as_path.extend_from_slice(&[1, 0, u32::MAX]);
    r.ext_mut().bgp_communities.push((65000 << 16) | 1);
    r.ext_mut().mpls_label.extend_from_slice(&[16, 1_048_575]);
    r.ext_mut()
        .tunnel_options
        .extend_from_slice(&[0x01, 0x02, 0x80, 0x01, 0, 0, 0, 0xff]);
    r.push_extra(0, 999, &[]);
    r.push_extra(29305, 6, &[0x12, 0xab]);
    r.push_extra(u32::MAX, u16::MAX, &[0xff; 17]);
    r
}

#[test]
fn all_set_record_has_every_field() {
    let r = all_set("x");
    for &id in FieldId::ALL {
        assert!(
            id == FieldId::Extra || r.value(id).is_some(),
            "all_set() leaves {} absent: set it, so the fast writer's handling of it is compared",
            id.name()
        );
    }
    assert!(!r.extras.is_empty());
}

#[test]
fn same_bytes_as_reference_for_full_empty_and_weird_records() {
    assert_same_as_reference(&FlowRecord::default());
    assert_same_as_reference(&sample());
    for s in WEIRD {
        assert_same_as_reference(&all_set(s));
    }
    // Endpoint metadata whose strings are all empty: every k8s field absent.
    let empty = FlowRecord {
        src_k8s: Some(Arc::new(EndpointMeta::default())),
        sampler_k8s: Some(Arc::new(EndpointMeta::default())),
        ..Default::default()
    };
    assert_same_as_reference(&empty);
    for t in [
        FlowType::Unknown,
        FlowType::NetflowV1,
        FlowType::NetflowV5,
        FlowType::NetflowV7,
        FlowType::NetflowV9,
        FlowType::Ipfix,
    ] {
        let r = FlowRecord {
            flow_type: t,
            ..all_set("t")
        };
        assert_same_as_reference(&r);
    }
}

/// The renderer writes a run of usually-zero numbers as one constant when
/// all are zero: each set alone must still render as the reference does.
#[test]
fn one_number_set_in_a_run_of_zeros() {
    let sets: [fn(&mut FlowRecord); 14] = [
        |r| r.src_vlan = 1,
        |r| r.dst_vlan = 4095,
        |r| r.vlan_id = 7,
        |r| r.ip_tos = 255,
        |r| r.forwarding_status = 66,
        |r| r.icmp_type = 3,
        |r| r.icmp_code = 13,
        |r| r.ipv6_flow_label = 0xfffff,
        |r| r.observation_domain_id = u32::MAX,
        |r| r.observation_point_id = 1,
        |r| r.ip_flags = 2,
        |r| r.fragment_id = 40_000,
        |r| r.fragment_offset = 1480,
        |r| r.next_hop_as = 65_000,
    ];
    for set in sets {
        let mut r = sample();
        set(&mut r);
        assert_same_as_reference(&r);
    }
}

/// Every bounded field at its longest: the rooms `json_all.rs` reserves
/// must hold it (a write past a room panics), and the bytes must still match.
#[test]
fn longest_values_fit_their_rooms() {
    let long6: Ipv6Addr = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap();
    let longest_proto = (0..=255u8)
        .max_by_key(|&p| crate::proto_name(p).len())
        .unwrap();
    let r = FlowRecord {
        flow_type: FlowType::NetflowV5,
        time_received_ns: u64::MAX,
        sequence_num: u32::MAX,
        sampling_rate: u64::MAX,
        sampler_address: Some(long6.into()),
        sampler_port: u16::MAX,
        time_flow_start_ns: u64::MAX,
        time_flow_end_ns: u64::MAX,
        bytes: u64::MAX,
        packets: u64::MAX,
        src_addr: Some(long6.into()),
        dst_addr: Some(long6.into()),
        etype: 0x8848,
        proto: longest_proto,
        src_port: u16::MAX,
        dst_port: u16::MAX,
        in_if: u32::MAX,
        out_if: u32::MAX,
        src_mac: u64::MAX,
        dst_mac: u64::MAX,
        src_vlan: u16::MAX,
        dst_vlan: u16::MAX,
        vlan_id: u16::MAX,
        ip_tos: u8::MAX,
        forwarding_status: u8::MAX,
        ip_ttl: u8::MAX,
        tcp_flags: u16::MAX,
        icmp_type: u8::MAX,
        icmp_code: u8::MAX,
        ipv6_flow_label: u32::MAX,
        src_as: u32::MAX,
        dst_as: u32::MAX,
        next_hop: Some(long6.into()),
        bgp_next_hop: Some(long6.into()),
        src_net: 128,
        dst_net: u8::MAX,
        observation_domain_id: u32::MAX,
        observation_point_id: u32::MAX,
        engine_type: Some(u8::MAX),
        engine_id: Some(u8::MAX),
        ip_flags: u8::MAX,
        fragment_id: u32::MAX,
        fragment_offset: u16::MAX,
        next_hop_as: u32::MAX,
        ext: crate::Extended {
            tunnel_src_addr: Some(long6.into()),
            tunnel_dst_addr: Some(long6.into()),
            tunnel_key: Some(u64::MAX),
            ..crate::Extended::EMPTY
        }
        .into(),
        ..all_set("x")
    };
    for no_lists in [false, true] {
        let mut r = r.clone();
        if no_lists {
            r.ext_mut().as_path.clear();
            r.ext_mut().bgp_communities.clear();
            r.ext_mut().mpls_label.clear();
        }
        assert_same_as_reference(&r);
    }
}

/// `json_all.rs` copies proto and etype names into its room unescaped.
#[test]
fn proto_and_etype_names_fit_and_need_no_escaping() {
    let names = (0..=255u8)
        .map(crate::proto_name)
        .chain((0..=u16::MAX).map(crate::etype_name));
    for n in names {
        assert!(n.len() <= super::json_all::NAME_MAX, "{n}");
        assert!(
            n.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'),
            "{n}"
        );
    }
}

#[test]
fn every_proto_etype_and_drop_reason_as_the_reference() {
    let mut r = sample();
    for p in 0..=255u8 {
        r.proto = p;
        r.etype = (u16::from(p) << 8) | u16::from(p);
        assert_same_as_reference(&r);
    }
    for code in (0..20).chain(250..300).chain([u32::MAX]) {
        r.ext_mut().drop_reason = Some(code);
        assert_same_as_reference(&r);
    }
}

/// xorshift64*: deterministic, so a failure can be reproduced.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Segments zero half the time, so zero runs of every length and
    /// position (the `::` choice) come up often.
    fn ipv6(&mut self) -> Ipv6Addr {
        let mut segs = [0u16; 8];
        let mask = self.next();
        for (i, s) in segs.iter_mut().enumerate() {
            if mask >> i & 1 == 1 {
                // Small values too, so every digit count is exercised.
                *s = (self.next() >> (self.next() % 16)) as u16;
            }
        }
        Ipv6Addr::from(segs)
    }
}

fn addr_text(a: IpAddr) -> String {
    let mut out = Vec::new();
    write_ip(&mut out, Some(a), false);
    String::from_utf8(out).unwrap()
}

#[test]
fn addresses_format_exactly_as_display() {
    let fixed = [
        "::",
        "::1",
        "1::",
        "1::1",
        "::ffff:0.0.0.0",
        "::ffff:255.255.255.255",
        "::ffff:1:2",
        "::fffe:1.2.3.4",
        "::1.2.3.4",
        "::ffff:0:1.2.3.4",
        "64:ff9b::192.0.2.1",
        "1:0:1:0:1:0:1:0",
        "1:0:0:1:0:0:1:1",
        "0:0:1:0:0:1:0:0",
        "1:2:3:4:5:6:7:8",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fe80::",
        "2001:db8::1:0:0:1",
        "0:1:2:3:4:5:6:0",
    ];
    for s in fixed {
        let a: IpAddr = s.parse().unwrap();
        assert_eq!(addr_text(a), a.to_string(), "{s}");
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200_000 {
        let v6 = rng.ipv6();
        assert_eq!(addr_text(v6.into()), v6.to_string());
        let mapped = Ipv4Addr::from(rng.next() as u32).to_ipv6_mapped();
        assert_eq!(addr_text(mapped.into()), mapped.to_string());
        let v4 = Ipv4Addr::from((rng.next() >> (rng.next() % 32)) as u32);
        assert_eq!(addr_text(v4.into()), v4.to_string());
    }
    for o in 0..=255u8 {
        let v4 = Ipv4Addr::new(o, o, 0, o);
        assert_eq!(addr_text(v4.into()), v4.to_string());
    }
}

#[test]
fn prefixes_and_macs_as_the_reference() {
    let mut rng = Rng(42);
    let mut r = FlowRecord::default();
    let opts = [
        RenderOptions::default(),
        RenderOptions {
            format: OutputFormat::Text,
            fields: fields(&["src_net", "dst_net", "src_mac", "dst_mac"]),
            names: false,
        },
    ];
    let renderers: Vec<_> = opts
        .iter()
        .map(|o| {
            (
                Renderer::new(o.clone()),
                reference::Renderer::new(o.clone()),
            )
        })
        .collect();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..20_000u32 {
        r.src_addr = Some(IpAddr::from(rng.ipv6()));
        r.dst_addr = Some(IpAddr::from(Ipv4Addr::from(rng.next() as u32)));
        // Every length, those past the family's width included.
        r.src_net = (i % 256) as u8;
        r.dst_net = (i % 256) as u8;
        r.src_mac = rng.next();
        r.dst_mac = rng.next() >> (rng.next() % 64);
        for (new, old) in &renderers {
            a.clear();
            b.clear();
            new.write(&r, &mut a);
            old.write(&r, &mut b);
            assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        }
    }
}

#[test]
fn json_parses_back_with_the_values_written() {
    let line = render(RenderOptions::default(), &sample());
    assert!(line.ends_with("}\n"));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["type"], "IPFIX");
    assert_eq!(v["bytes"], 1500);
    assert_eq!(v["src_addr"], "10.1.2.3");
    assert_eq!(v["dst_addr"], "2001:db8::1");
    assert_eq!(v["src_net"], "10.1.2.0/24");
    assert_eq!(v["proto"], 6);
    assert_eq!(v["src_mac"], "0a:0b:0c:0d:0e:0f");
    assert_eq!(v["next_hop"], "");
    assert_eq!(v["in_if_name"], "veth\"1\\\n");
    assert_eq!(v["flow_direction"], 1);
    assert!(
        v.get("flow_end_reason").is_none(),
        "absent optional fields are left out"
    );
    assert_eq!(v["extra"][0]["pen"], 29305);
    assert_eq!(v["extra"][0]["value"], "12ab");
}

#[test]
fn weird_strings_parse_back_unchanged() {
    for s in WEIRD {
        let line = render(RenderOptions::default(), &all_set(s));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["in_if_name"], *s);
        assert_eq!(v["src_k8s_labels"]["app"], *s);
        assert_eq!(v["src_k8s_labels"][format!("k\"{s}")], "v");
    }
}

#[test]
fn names_option_renders_like_goflow2() {
    let opts = RenderOptions {
        names: true,
        ..Default::default()
    };
    let v: serde_json::Value = serde_json::from_str(&render(opts, &sample())).unwrap();
    assert_eq!(v["proto"], "TCP");
    assert_eq!(v["etype"], "IPv4");
}

#[test]
fn chosen_fields_keep_their_order_and_show_absent_ones() {
    let opts = RenderOptions {
        fields: fields(&["dst_addr", "bytes", "flow_end_reason"]),
        ..Default::default()
    };
    assert_eq!(
        render(opts, &sample()),
        "{\"dst_addr\":\"2001:db8::1\",\"bytes\":1500,\"flow_end_reason\":null}\n"
    );
}

#[test]
fn text_format_is_key_value() {
    let opts = RenderOptions {
        format: OutputFormat::Text,
        fields: fields(&["type", "src_addr", "in_if_name", "extra"]),
        names: false,
    };
    assert_eq!(
        render(opts, &sample()),
        "type=IPFIX src_addr=10.1.2.3 in_if_name=veth\"1\\_ extra=29305:6:12ab\n"
    );
}

#[test]
fn lists_hex_and_drop_reason_names() {
    let mut r = FlowRecord {
        ext: crate::Extended {
            drop_reason: Some(258),
            ovn_ingress_port: Some(3),
            ..crate::Extended::EMPTY
        }
        .into(),
        ..Default::default()
    };
    r.ext_mut().mpls_label.extend_from_slice(&[16, 17]);
    r.ext_mut()
        .tunnel_options
        .extend_from_slice(&[0x01, 0x02, 0x80, 0x01]);
    r.ext_mut().drop_linux_reason.push_str("NETFILTER_DROP");
    let v: serde_json::Value = serde_json::from_str(&render(RenderOptions::default(), &r)).unwrap();
    assert_eq!(v["mpls_label"], serde_json::json!([16, 17]));
    assert_eq!(v["as_path"], serde_json::json!([]));
    assert_eq!(v["fragment_id"], 0);
    assert_eq!(v["tunnel_options"], "01028001");
    assert_eq!(v["drop_reason"], 258);
    assert_eq!(v["drop_reason_name"], "acl");
    assert_eq!(v["drop_linux_reason"], "NETFILTER_DROP");
    assert_eq!(v["ovn_ingress_port"], 3);
    assert!(v.get("acl_name").is_none() && v.get("sample_pool").is_none());
    let opts = RenderOptions {
        format: OutputFormat::Text,
        fields: fields(&["mpls_label", "as_path", "drop_reason_name"]),
        names: false,
    };
    assert_eq!(
        render(opts, &r),
        "mpls_label=16,17 as_path= drop_reason_name=acl\n"
    );
}

#[test]
fn integers_format_as_display() {
    let mut out = b"x".to_vec();
    let mut check = |n: u64| {
        out.truncate(1);
        write_u64(&mut out, n);
        assert_eq!(&out[1..], n.to_string().as_bytes());
    };
    for k in 0..20 {
        let p = 10u64.pow(k);
        for n in [p - 1, p, p + 1, p.saturating_mul(2) - 1] {
            check(n);
        }
    }
    for n in (0..100_000).chain([u64::MAX, u64::MAX - 1, u64::from(u32::MAX)]) {
        check(n);
    }
    let mut rng = Rng(7);
    for _ in 0..200_000 {
        check(rng.next() >> (rng.next() % 64));
    }
}

#[test]
fn u64_extremes() {
    let mut out = Vec::new();
    write_u64(&mut out, 0);
    out.push(b' ');
    write_u64(&mut out, u64::MAX);
    assert_eq!(out, b"0 18446744073709551615");
}

#[test]
fn every_value_of_each_lane_of_the_eight_digit_split() {
    // Both four-digit halves of an eight-digit run take every value from
    // 0 to 9999, in the first run of a 19-digit number and in the last.
    let mut out = Vec::new();
    for x in 0..10_000u64 {
        for n in [
            x * 10_000 + (9_999 - x),
            (9_999 - x) * 10_000 + x,
            1_700_000_000_000_000_000 + x * 10_000 + (9_999 - x),
            10_000_000_000_000_000 * (x % 1844 + 1) + x * 100_000_000 + x,
        ] {
            out.clear();
            write_u64(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes(), "{n}");
        }
    }
}

#[test]
fn a_batch_renders_as_its_records_one_by_one() {
    // Runs of records sharing the head, then each head field changed on
    // its own, then back: a record must never get the previous one's head.
    let base = all_set("x");
    let mut recs = vec![base.clone(), base.clone()];
    let changes: [fn(&mut FlowRecord); 7] = [
        |r| r.flow_type = FlowType::Ipfix,
        |r| r.time_received_ns -= 1,
        |r| r.sequence_num = 7,
        |r| r.sampling_rate = 0,
        |r| r.sampler_address = Some("192.0.2.1".parse().unwrap()),
        |r| r.sampler_address = None,
        |r| r.sampler_port = 2055,
    ];
    for change in changes {
        let mut r = base.clone();
        change(&mut r);
        r.bytes = 12_345;
        recs.extend([r.clone(), r, base.clone()]);
    }
    recs.push(FlowRecord::default());
    recs.push(sample());
    for opts in option_sets() {
        let renderer = Renderer::new(opts);
        let (mut batch, mut each) = (Vec::new(), Vec::new());
        renderer.write_batch(&recs, &mut batch);
        for r in &recs {
            renderer.write(r, &mut each);
        }
        assert_eq!(
            String::from_utf8(batch).unwrap(),
            String::from_utf8(each).unwrap()
        );
    }
}
