//! The record as a protobuf `flowpb.FlowMessage` (proto/flow.proto),
//! written by hand: varints and length-delimited fields straight into a
//! reused buffer, with no generated code and no per-record allocation.
//! `proto_tests` decodes the output with prost and checks this file's
//! [`FIELD_NUMBERS`] against the .proto.

use std::net::IpAddr;

use flowgate_record::{EndpointMeta, FlowRecord, FlowType};

/// Record field (docs/record.md name) → FlowMessage field number.
pub const FIELD_NUMBERS: &[(&str, u32)] = &[
    ("type", 1),
    ("time_received_ns", 110),
    ("sequence_num", 4),
    ("sampling_rate", 3),
    ("sampler_address", 11),
    ("sampler_port", 1000),
    ("time_flow_start_ns", 111),
    ("time_flow_end_ns", 112),
    ("bytes", 9),
    ("packets", 10),
    ("src_addr", 6),
    ("dst_addr", 7),
    ("etype", 30),
    ("proto", 20),
    ("src_port", 21),
    ("dst_port", 22),
    ("in_if", 18),
    ("out_if", 19),
    ("src_mac", 27),
    ("dst_mac", 28),
    ("src_vlan", 33),
    ("dst_vlan", 34),
    ("vlan_id", 29),
    ("ip_tos", 23),
    ("forwarding_status", 24),
    ("ip_ttl", 25),
    ("tcp_flags", 26),
    ("icmp_type", 31),
    ("icmp_code", 32),
    ("ipv6_flow_label", 37),
    ("src_as", 14),
    ("dst_as", 15),
    ("next_hop", 12),
    ("bgp_next_hop", 100),
    ("src_net", 16),
    ("dst_net", 17),
    ("observation_domain_id", 70),
    ("observation_point_id", 71),
    ("engine_type", 1001),
    ("engine_id", 1002),
    ("in_if_name", 1003),
    ("out_if_name", 1004),
    ("in_if_description", 1005),
    ("out_if_description", 1006),
    ("flow_direction", 1007),
    ("flow_end_reason", 1008),
    ("tunnel_type", 1009),
    ("tunnel_src_addr", 1010),
    ("tunnel_dst_addr", 1011),
    ("tunnel_proto", 1012),
    ("tunnel_src_port", 1013),
    ("tunnel_dst_port", 1014),
    ("tunnel_key", 1015),
    ("reverse_bytes", 1016),
    ("reverse_packets", 1017),
    ("initiator_bytes", 1018),
    ("responder_bytes", 1019),
    ("dropped_bytes", 1020),
    ("dropped_packets", 1021),
    ("drop_reason", 1022),
    ("drop_reason_name", 1023),
    ("drop_function", 1024),
    ("drop_linux_reason", 1025),
    ("drop_hw_trap_group", 1026),
    ("drop_hw_trap", 1027),
    ("acl_number", 1028),
    ("acl_name", 1029),
    ("acl_direction", 1030),
    ("egress_queue", 1031),
    ("ip_flags", 38),
    ("fragment_id", 35),
    ("fragment_offset", 36),
    ("next_hop_as", 13),
    ("as_path", 102),
    ("bgp_communities", 101),
    ("mpls_label", 81),
    ("sub_agent_id", 1032),
    ("sample_pool", 1033),
    ("sample_drops", 1034),
    ("frame_length", 1035),
    ("out_if_multiple", 1036),
    ("inner_vlan", 1037),
    ("src_priority", 1038),
    ("dst_priority", 1039),
    ("src_peer_as", 1040),
    ("tunnel_options", 1041),
    ("ovn_ingress_port", 1042),
    ("ovn_egress_port", 1043),
    ("src_k8s_namespace", 1100),
    ("src_k8s_name", 1101),
    ("src_k8s_kind", 1102),
    ("src_k8s_owner_name", 1103),
    ("src_k8s_owner_kind", 1104),
    ("src_k8s_node", 1105),
    ("src_k8s_labels", 1106),
    ("dst_k8s_namespace", 1110),
    ("dst_k8s_name", 1111),
    ("dst_k8s_kind", 1112),
    ("dst_k8s_owner_name", 1113),
    ("dst_k8s_owner_kind", 1114),
    ("dst_k8s_node", 1115),
    ("dst_k8s_labels", 1116),
    ("sampler_name", 1120),
    ("sampler_k8s_node", 1121),
    ("extra", 1200),
];

/// The FlowType enum value (goflow2's, and flowgate's from 1001).
pub fn flow_type_number(t: FlowType) -> u64 {
    match t {
        FlowType::Unknown => 0,
        FlowType::Sflow5 => 1,
        FlowType::NetflowV5 => 2,
        FlowType::NetflowV9 => 3,
        FlowType::Ipfix => 4,
        FlowType::NetflowV1 => 1001,
        FlowType::NetflowV7 => 1007,
    }
}

/// Writes length-delimited messages.
#[derive(Debug, Default)]
pub struct ProtoEncoder;

impl ProtoEncoder {
    /// Appends the varint length and the FlowMessage of `rec` to `out`.
    ///
    /// The message is written in place after a one-byte length, which is
    /// what most records need (under 128 bytes); a longer one is moved up
    /// by the extra length bytes, rather than every record being written
    /// to a scratch buffer and copied.
    pub fn encode_delimited(&mut self, rec: &FlowRecord, out: &mut Vec<u8>) {
        let at = out.len();
        out.push(0);
        encode(rec, out);
        let len = out.len() - at - 1;
        let width = vlen(len as u64);
        if width > 1 {
            out.resize(out.len() + width - 1, 0);
            out.copy_within(at + 1..at + 1 + len, at + width);
        }
        let mut prefix = [0u8; 10];
        let n = put_varint(&mut prefix, 0, len as u64);
        out[at..at + n].copy_from_slice(&prefix[..n]);
    }
}

/// Appends the FlowMessage of `rec` (without a length prefix) to `b`.
pub fn encode(r: &FlowRecord, b: &mut Vec<u8>) {
    let e = r.ext();
    uint(b, 1, flow_type_number(r.flow_type));
    uint(b, 110, r.time_received_ns);
    uint(b, 4, r.sequence_num.into());
    uint(b, 3, r.sampling_rate);
    ip(b, 11, r.sampler_address);
    uint(b, 1000, r.sampler_port.into());
    uint(b, 111, r.time_flow_start_ns);
    uint(b, 112, r.time_flow_end_ns);
    uint(b, 9, r.bytes);
    uint(b, 10, r.packets);
    ip(b, 6, r.src_addr);
    ip(b, 7, r.dst_addr);
    uint(b, 30, r.etype.into());
    uint(b, 20, r.proto.into());
    uint(b, 21, r.src_port.into());
    uint(b, 22, r.dst_port.into());
    uint(b, 18, r.in_if.into());
    uint(b, 19, r.out_if.into());
    uint(b, 27, r.src_mac);
    uint(b, 28, r.dst_mac);
    uint(b, 33, r.src_vlan.into());
    uint(b, 34, r.dst_vlan.into());
    uint(b, 29, r.vlan_id.into());
    uint(b, 23, r.ip_tos.into());
    uint(b, 24, r.forwarding_status.into());
    uint(b, 25, r.ip_ttl.into());
    uint(b, 26, r.tcp_flags.into());
    uint(b, 31, r.icmp_type.into());
    uint(b, 32, r.icmp_code.into());
    uint(b, 37, r.ipv6_flow_label.into());
    uint(b, 14, r.src_as.into());
    uint(b, 15, r.dst_as.into());
    ip(b, 12, r.next_hop);
    ip(b, 100, r.bgp_next_hop);
    uint(b, 16, r.src_net.into());
    uint(b, 17, r.dst_net.into());
    uint(b, 70, r.observation_domain_id.into());
    uint(b, 71, r.observation_point_id.into());
    opt(b, 1001, r.engine_type);
    opt(b, 1002, r.engine_id);
    bytes(b, 1003, e.in_if_name.as_bytes());
    bytes(b, 1004, e.out_if_name.as_bytes());
    bytes(b, 1005, e.in_if_description.as_bytes());
    bytes(b, 1006, e.out_if_description.as_bytes());
    opt(b, 1007, r.flow_direction);
    opt(b, 1008, r.flow_end_reason);
    opt(b, 1009, e.tunnel_type);
    ip(b, 1010, e.tunnel_src_addr);
    ip(b, 1011, e.tunnel_dst_addr);
    opt(b, 1012, e.tunnel_proto);
    opt(b, 1013, e.tunnel_src_port);
    opt(b, 1014, e.tunnel_dst_port);
    opt(b, 1015, e.tunnel_key);
    opt(b, 1016, e.reverse_bytes);
    opt(b, 1017, e.reverse_packets);
    opt(b, 1018, e.initiator_bytes);
    opt(b, 1019, e.responder_bytes);
    opt(b, 1020, e.dropped_bytes);
    opt(b, 1021, e.dropped_packets);
    opt(b, 1022, e.drop_reason);
    if let Some(name) = r
        .ext()
        .drop_reason
        .and_then(flowgate_record::drop_reason_name)
    {
        bytes(b, 1023, name.as_bytes());
    }
    bytes(b, 1024, e.drop_function.as_bytes());
    bytes(b, 1025, e.drop_linux_reason.as_bytes());
    bytes(b, 1026, e.drop_hw_trap_group.as_bytes());
    bytes(b, 1027, e.drop_hw_trap.as_bytes());
    opt(b, 1028, e.acl_number);
    bytes(b, 1029, e.acl_name.as_bytes());
    opt(b, 1030, e.acl_direction);
    opt(b, 1031, e.egress_queue);
    uint(b, 38, r.ip_flags.into());
    uint(b, 35, r.fragment_id.into());
    uint(b, 36, r.fragment_offset.into());
    uint(b, 13, r.next_hop_as.into());
    packed(b, 102, &e.as_path);
    packed(b, 101, &e.bgp_communities);
    packed(b, 81, &e.mpls_label);
    opt(b, 1032, e.sub_agent_id);
    opt(b, 1033, e.sample_pool);
    opt(b, 1034, e.sample_drops);
    opt(b, 1035, e.frame_length);
    opt(b, 1036, e.out_if_multiple);
    opt(b, 1037, e.inner_vlan);
    opt(b, 1038, e.src_priority);
    opt(b, 1039, e.dst_priority);
    opt(b, 1040, e.src_peer_as);
    bytes(b, 1041, &e.tunnel_options);
    opt(b, 1042, e.ovn_ingress_port);
    opt(b, 1043, e.ovn_egress_port);
    if let Some(m) = r.src_k8s.as_deref() {
        endpoint(b, 1100, m);
    }
    if let Some(m) = r.dst_k8s.as_deref() {
        endpoint(b, 1110, m);
    }
    if let Some(m) = r.sampler_k8s.as_deref() {
        bytes(b, 1120, m.name.as_bytes());
        bytes(b, 1121, m.node.as_bytes());
    }
    for e in &r.extras {
        let value = r.extra_value(e);
        let len = small_field_len(e.pen.into())
            + small_field_len(e.id.into())
            + if value.is_empty() {
                0
            } else {
                1 + vlen(value.len() as u64) + value.len()
            };
        key(b, 1200, 2);
        varint(b, len as u64);
        uint(b, 1, e.pen.into());
        uint(b, 2, e.id.into());
        bytes(b, 3, value);
    }
}

/// Fields `base` .. `base + 6` of one end: namespace, name, kind, owner
/// name, owner kind, node, labels.
fn endpoint(b: &mut Vec<u8>, base: u32, m: &EndpointMeta) {
    bytes(b, base, m.namespace.as_bytes());
    bytes(b, base + 1, m.name.as_bytes());
    bytes(b, base + 2, m.kind.as_bytes());
    bytes(b, base + 3, m.owner_name.as_bytes());
    bytes(b, base + 4, m.owner_kind.as_bytes());
    bytes(b, base + 5, m.node.as_bytes());
    for (k, v) in m.labels.iter() {
        // A map entry is a message of key = 1, value = 2 (empty ones left out).
        let part = |s: &str| {
            if s.is_empty() {
                0
            } else {
                1 + vlen(s.len() as u64) + s.len()
            }
        };
        key(b, base + 6, 2);
        varint(b, (part(k) + part(v)) as u64);
        bytes(b, 1, k.as_bytes());
        bytes(b, 2, v.as_bytes());
    }
}

fn varint(b: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 10];
    let n = put_varint(&mut buf, 0, v);
    b.extend_from_slice(&buf[..n]);
}

/// Writes `v` as a varint into `buf` at `at`; returns the end. Fields are
/// built in a small array and appended once, not pushed byte by byte
/// (each push checks the vector's capacity).
#[inline(always)]
fn put_varint<const N: usize>(buf: &mut [u8; N], mut at: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        buf[at] = v as u8 | 0x80;
        v >>= 7;
        at += 1;
    }
    buf[at] = v as u8;
    at + 1
}

/// Tag and varint value of one field, appended at once.
#[inline(always)]
fn key_varint(b: &mut Vec<u8>, field: u32, wire: u8, v: u64) {
    let mut buf = [0u8; 16];
    let n = put_varint(&mut buf, 0, (u64::from(field) << 3) | u64::from(wire));
    let n = put_varint(&mut buf, n, v);
    b.extend_from_slice(&buf[..n]);
}

/// Bytes of `v` as a varint.
fn vlen(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Bytes `uint` writes for a field numbered below 16 (one-byte tag; nothing for 0).
fn small_field_len(v: u64) -> usize {
    if v == 0 {
        0
    } else {
        1 + vlen(v)
    }
}

fn key(b: &mut Vec<u8>, field: u32, wire: u8) {
    varint(b, (u64::from(field) << 3) | u64::from(wire));
}

/// A proto3 scalar without presence: left out when 0, as every encoder does.
#[inline(always)]
fn uint(b: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        key_varint(b, field, 0, v);
    }
}

/// A proto3 `optional` scalar: written whenever present, 0 included.
fn opt<T: Into<u64>>(b: &mut Vec<u8>, field: u32, v: Option<T>) {
    if let Some(v) = v {
        key_varint(b, field, 0, v.into());
    }
}

fn bytes(b: &mut Vec<u8>, field: u32, v: &[u8]) {
    if !v.is_empty() {
        key_varint(b, field, 2, v.len() as u64);
        b.extend_from_slice(v);
    }
}

fn ip(b: &mut Vec<u8>, field: u32, a: Option<IpAddr>) {
    match a {
        Some(IpAddr::V4(a)) => bytes(b, field, &a.octets()),
        Some(IpAddr::V6(a)) => bytes(b, field, &a.octets()),
        None => {}
    }
}

/// A packed repeated uint32.
fn packed(b: &mut Vec<u8>, field: u32, v: &[u32]) {
    if v.is_empty() {
        return;
    }
    let len: usize = v.iter().map(|&x| vlen(x.into())).sum();
    key(b, field, 2);
    varint(b, len as u64);
    for &x in v {
        varint(b, x.into());
    }
}
