//! The hand-written encoder checked by an independent decoder: prost's
//! derive on a struct written from proto/flow.proto (not from the encoder),
//! and the .proto checked against [`FIELD_NUMBERS`].

use std::collections::HashMap;
use std::sync::Arc;

use flowgate_record::{EndpointMeta, FieldId, FlowRecord, FlowType};
use prost::Message;

use super::proto::{encode, ProtoEncoder, FIELD_NUMBERS};
use super::proto_mirror::{Extra, FlowMessage};

/// A record with every field set to a distinct value, optional ones to 0
/// where that is a legal value (so that "present, 0" is tested too).
fn full_record() -> FlowRecord {
    let pod = EndpointMeta {
        namespace: "shop".into(),
        name: "web-1".into(),
        kind: "Pod".into(),
        owner_name: "web".into(),
        owner_kind: "Deployment".into(),
        node: "node-a".into(),
        ..Default::default()
    }
    .with_labels([("app".into(), "web".into()), ("tier".into(), "".into())]);
    let node = EndpointMeta {
        name: "node-b".into(),
        node: "node-b".into(),
        ..Default::default()
    };
    let mut r = FlowRecord {
        flow_type: FlowType::Ipfix,
        time_received_ns: 1_700_000_000_123_456_789,
        sequence_num: u32::MAX,
        sampling_rate: 400,
        sampler_address: Some("192.0.2.1".parse().unwrap()),
        time_flow_start_ns: 1_700_000_000_000_000_000,
        time_flow_end_ns: 1_700_000_001_000_000_000,
        bytes: u64::MAX,
        packets: 3,
        src_addr: Some("2001:db8::1".parse().unwrap()),
        dst_addr: Some("10.1.2.3".parse().unwrap()),
        etype: 0x86dd,
        proto: 17,
        src_port: 53,
        dst_port: 65535,
        in_if: 4,
        out_if: 0x8000_0002,
        src_mac: 0x0200_0000_0001,
        dst_mac: 0xffff_ffff_ffff,
        src_vlan: 10,
        dst_vlan: 20,
        vlan_id: 4094,
        ip_tos: 0xb8,
        forwarding_status: 129,
        ip_ttl: 64,
        tcp_flags: 0x1ff,
        icmp_type: 8,
        icmp_code: 1,
        ipv6_flow_label: 0xfffff,
        src_as: 64512,
        dst_as: 4_200_000_000,
        next_hop: Some("10.0.0.254".parse().unwrap()),
        bgp_next_hop: Some("2001:db8::fe".parse().unwrap()),
        src_net: 64,
        dst_net: 24,
        observation_domain_id: 7,
        observation_point_id: 9,
        sampler_port: 4739,
        engine_type: Some(0),
        engine_id: Some(255),
        flow_direction: Some(0),
        flow_end_reason: Some(2),
        ip_flags: 2,
        fragment_id: 0xabcd,
        fragment_offset: 185,
        next_hop_as: 65000,
        src_k8s: Some(Arc::new(pod)),
        dst_k8s: None,
        sampler_k8s: Some(Arc::new(node)),
        ext: flowgate_record::Extended {
            in_if_name: "veth1".into(),
            out_if_name: "br-int".into(),
            in_if_description: "pod net".into(),
            out_if_description: "é".into(),
            tunnel_type: Some(7),
            tunnel_src_addr: Some("172.16.0.1".parse().unwrap()),
            tunnel_dst_addr: Some("172.16.0.2".parse().unwrap()),
            tunnel_proto: Some(17),
            tunnel_src_port: Some(49152),
            tunnel_dst_port: Some(6081),
            tunnel_key: Some(u64::from(u32::MAX) + 1),
            reverse_bytes: Some(0),
            reverse_packets: Some(1),
            initiator_bytes: Some(2),
            responder_bytes: Some(3),
            dropped_bytes: Some(4),
            dropped_packets: Some(5),
            drop_reason: Some(260),
            as_path: vec![65000, 1, 4_200_000_000],
            bgp_communities: vec![0xfde8_0001],
            mpls_label: vec![16, 0xfffff],
            sub_agent_id: Some(0),
            sample_pool: Some(1000),
            sample_drops: Some(0),
            frame_length: Some(1518),
            out_if_multiple: Some(0),
            inner_vlan: Some(100),
            src_priority: Some(5),
            dst_priority: Some(0),
            src_peer_as: Some(64500),
            tunnel_options: vec![1, 2, 0x80, 1],
            ovn_ingress_port: Some(1),
            ovn_egress_port: Some(32768),
            drop_function: "kfree_skb".into(),
            drop_linux_reason: "NETFILTER_DROP".into(),
            drop_hw_trap_group: "l2_drops".into(),
            drop_hw_trap: "ingress_vlan_filter".into(),
            acl_number: Some(0),
            acl_name: "deny-all".into(),
            acl_direction: Some(1),
            egress_queue: Some(3),
        }
        .into(),
        ..Default::default()
    };
    r.push_extra(0, 95, &[1, 2, 3]);
    r.push_extra(29305, 6, &[]);
    r
}

fn ip_bytes(a: Option<std::net::IpAddr>) -> Vec<u8> {
    match a {
        Some(std::net::IpAddr::V4(a)) => a.octets().to_vec(),
        Some(std::net::IpAddr::V6(a)) => a.octets().to_vec(),
        None => Vec::new(),
    }
}

#[test]
fn prost_decodes_every_field_as_written() {
    let r = full_record();
    let mut out = Vec::new();
    let mut enc = ProtoEncoder;
    enc.encode_delimited(&r, &mut out);
    enc.encode_delimited(&FlowRecord::default(), &mut out);
    let mut buf = &out[..];
    let m = FlowMessage::decode_length_delimited(&mut buf).unwrap();
    let empty = FlowMessage::decode_length_delimited(&mut buf).unwrap();
    assert!(buf.is_empty(), "two messages, nothing after");
    assert_eq!(
        empty,
        FlowMessage::default(),
        "a default record is all defaults"
    );

    let want = FlowMessage {
        r#type: 4,
        time_received_ns: r.time_received_ns,
        sequence_num: r.sequence_num,
        sampling_rate: 400,
        sampler_address: vec![192, 0, 2, 1],
        time_flow_start_ns: r.time_flow_start_ns,
        time_flow_end_ns: r.time_flow_end_ns,
        bytes: u64::MAX,
        packets: 3,
        src_addr: ip_bytes(r.src_addr),
        dst_addr: vec![10, 1, 2, 3],
        etype: 0x86dd,
        proto: 17,
        src_port: 53,
        dst_port: 65535,
        in_if: 4,
        out_if: 0x8000_0002,
        src_mac: r.src_mac,
        dst_mac: r.dst_mac,
        src_vlan: 10,
        dst_vlan: 20,
        vlan_id: 4094,
        ip_tos: 0xb8,
        forwarding_status: 129,
        ip_ttl: 64,
        ip_flags: 2,
        tcp_flags: 0x1ff,
        icmp_type: 8,
        icmp_code: 1,
        ipv6_flow_label: 0xfffff,
        fragment_id: 0xabcd,
        fragment_offset: 185,
        src_as: 64512,
        dst_as: 4_200_000_000,
        next_hop: vec![10, 0, 0, 254],
        next_hop_as: 65000,
        src_net: 64,
        dst_net: 24,
        bgp_next_hop: ip_bytes(r.bgp_next_hop),
        bgp_communities: r.ext().bgp_communities.clone(),
        as_path: r.ext().as_path.clone(),
        mpls_label: r.ext().mpls_label.clone(),
        observation_domain_id: 7,
        observation_point_id: 9,
        sampler_port: 4739,
        engine_type: Some(0),
        engine_id: Some(255),
        in_if_name: "veth1".into(),
        out_if_name: "br-int".into(),
        in_if_description: "pod net".into(),
        out_if_description: "é".into(),
        flow_direction: Some(0),
        flow_end_reason: Some(2),
        tunnel_type: Some(7),
        tunnel_src_addr: vec![172, 16, 0, 1],
        tunnel_dst_addr: vec![172, 16, 0, 2],
        tunnel_proto: Some(17),
        tunnel_src_port: Some(49152),
        tunnel_dst_port: Some(6081),
        tunnel_key: r.ext().tunnel_key,
        reverse_bytes: Some(0),
        reverse_packets: Some(1),
        initiator_bytes: Some(2),
        responder_bytes: Some(3),
        dropped_bytes: Some(4),
        dropped_packets: Some(5),
        drop_reason: r.ext().drop_reason,
        drop_reason_name: flowgate_record::drop_reason_name(260).unwrap().into(),
        drop_function: "kfree_skb".into(),
        drop_linux_reason: "NETFILTER_DROP".into(),
        drop_hw_trap_group: "l2_drops".into(),
        drop_hw_trap: "ingress_vlan_filter".into(),
        acl_number: Some(0),
        acl_name: "deny-all".into(),
        acl_direction: Some(1),
        egress_queue: Some(3),
        sub_agent_id: Some(0),
        sample_pool: Some(1000),
        sample_drops: Some(0),
        frame_length: Some(1518),
        out_if_multiple: Some(0),
        inner_vlan: Some(100),
        src_priority: Some(5),
        dst_priority: Some(0),
        src_peer_as: Some(64500),
        tunnel_options: vec![1, 2, 0x80, 1],
        ovn_ingress_port: Some(1),
        ovn_egress_port: Some(32768),
        src_k8s_namespace: "shop".into(),
        src_k8s_name: "web-1".into(),
        src_k8s_kind: "Pod".into(),
        src_k8s_owner_name: "web".into(),
        src_k8s_owner_kind: "Deployment".into(),
        src_k8s_node: "node-a".into(),
        src_k8s_labels: [("app", "web"), ("tier", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        dst_k8s_namespace: String::new(),
        dst_k8s_node: String::new(),
        dst_k8s_labels: HashMap::new(),
        sampler_name: "node-b".into(),
        sampler_k8s_node: "node-b".into(),
        extra: vec![
            Extra {
                pen: 0,
                id: 95,
                value: vec![1, 2, 3],
            },
            Extra {
                pen: 29305,
                id: 6,
                value: Vec::new(),
            },
        ],
    };
    assert_eq!(m, want);
    // prost writes the same bytes for the same content (field order aside,
    // the length must agree).
    let mut plain = Vec::new();
    encode(&r, &mut plain);
    assert_eq!(plain.len(), want.encoded_len());
}

#[test]
fn the_published_proto_declares_every_number_and_every_field_has_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto/flow.proto");
    let text = std::fs::read_to_string(path).unwrap();
    // `[optional|repeated] TYPE NAME = NUMBER;` inside FlowMessage.
    let mut declared: HashMap<String, u32> = HashMap::new();
    for line in text.lines().map(str::trim) {
        let Some(stmt) = line.strip_suffix(';') else {
            continue;
        };
        let Some((lhs, num)) = stmt.split_once(" = ") else {
            continue;
        };
        let words: Vec<&str> = lhs.split_whitespace().collect();
        if words.len() >= 2 {
            declared.insert(words[words.len() - 1].to_owned(), num.parse().unwrap());
        }
    }
    for (name, number) in FIELD_NUMBERS {
        assert_eq!(
            declared.get(*name),
            Some(number),
            "{name} = {number} in proto/flow.proto"
        );
    }
    for id in FieldId::ALL {
        assert!(
            FIELD_NUMBERS.iter().any(|(n, _)| *n == id.name()),
            "record field {} has no protobuf field: add it to proto/flow.proto and proto.rs",
            id.name()
        );
    }
    let mut numbers: Vec<u32> = FIELD_NUMBERS.iter().map(|(_, n)| *n).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), FIELD_NUMBERS.len(), "numbers are unique");
}

#[test]
fn length_prefixes_of_every_width_frame_their_message() {
    // Bodies just under and over the one- and two-byte length varints.
    let sizes = [
        0, 1, 120, 123, 124, 125, 126, 130, 16_370, 16_379, 16_380, 16_390,
    ];
    let mut out = Vec::new();
    let mut enc = ProtoEncoder;
    for &n in &sizes {
        let r = FlowRecord {
            ext: flowgate_record::Extended {
                in_if_name: "x".repeat(n),
                ..flowgate_record::Extended::EMPTY
            }
            .into(),
            ..Default::default()
        };
        enc.encode_delimited(&r, &mut out);
    }
    let mut buf = &out[..];
    for &n in &sizes {
        let m = FlowMessage::decode_length_delimited(&mut buf).unwrap();
        assert_eq!(m.in_if_name.len(), n);
    }
    assert!(buf.is_empty(), "every message framed exactly");
}
