//! The default output — JSON, every field — as one straight run over the
//! record: no per-field dispatch through [`FlowRecord::value`], keys as
//! static byte strings, and the fields of bounded length written into one
//! reserved room (see `room.rs`). It must follow `FieldId::ALL` order and
//! the presence rules of `FlowRecord::value` exactly; `tests.rs` renders
//! records with every field set, with none set, and with every bounded
//! field at its longest, through both this and the reference renderer, so
//! a field added there without being added here fails a test, and so does
//! a room too small.

use std::net::IpAddr;

use super::fmt::{json_str, write_hex, write_labels, write_list};
use super::room::{with_room, Room, ADDR_ROOM, NUM_ROOM};
use crate::{etype_name, proto_name, EndpointRef, Extended, FlowRecord, FlowType};

/// `,"name":` — every field after `type` follows another, so each key
/// carries its separator.
macro_rules! key {
    ($name:expr) => {
        concat!(",\"", $name, "\":").as_bytes()
    };
}

/// Longest key (`,"observation_domain_id":`, 25) with margin.
const KEY_MAX: usize = 32;
/// Longest proto or etype name; `tests.rs` checks every one fits and
/// needs no escaping, so names are copied into the room as they are.
pub(super) const NAME_MAX: usize = 32;
/// Everything up to `engine_id` at its longest: 40 keys, 16 numbers up to
/// 20 digits or fewer, 4 addresses, 2 prefixes, 2 MACs, 2 names (1155 bytes
/// counted with numeric proto / etype, +68 for names, rounded up).
const HEAD_ROOM: usize = 1280;
/// `ip_flags` to `next_hop_as` (89 bytes at most) and three empty lists.
const TAIL_ROOM: usize = 160;

/// A run of numbers that are usually all zero for a given exporter (VLANs
/// on a router, ICMP fields on TCP traffic, IPFIX-only ids in NetFlow v5):
/// when they are, the run is one constant copy.
macro_rules! numbers {
    ($r:ident, $($name:literal = $v:expr),+) => {
        if 0 $(| u64::from($v))+ == 0 {
            $r.bytes(concat!($(",\"", $name, "\":0"),+).as_bytes());
        } else {
            $(
                $r.bytes(key!($name));
                $r.u64(u64::from($v));
            )+
        }
    };
}

/// An optional number: left out when `None`.
macro_rules! opt {
    ($out:ident, $name:expr, $v:expr) => {
        if let Some(v) = $v {
            with_room::<{ KEY_MAX + NUM_ROOM }>($out, |r| {
                r.bytes(key!($name));
                r.u64(v.into());
            });
        }
    };
}

/// An optional number inside a room.
macro_rules! opt_in {
    ($r:ident, $name:expr, $v:expr) => {
        if let Some(v) = $v {
            $r.bytes(key!($name));
            $r.u64(v.into());
        }
    };
}

/// An optional string: left out when empty.
macro_rules! text {
    ($out:ident, $name:expr, $v:expr) => {{
        let s: &str = $v;
        if !s.is_empty() {
            $out.extend_from_slice(key!($name));
            json_str($out, s);
        }
    }};
}

/// A name from `proto_name` / `etype_name`, quoted.
#[inline(always)]
fn name(r: &mut Room<'_>, s: &str) {
    debug_assert!(s.len() <= NAME_MAX);
    r.byte(b'"');
    r.bytes(s.as_bytes());
    r.byte(b'"');
}

/// The fields the records of one datagram share, `type` to
/// `sampler_port`, and what they render to: the records after the first
/// copy it (a 19-digit timestamp and an address fewer to write each).
pub(super) struct SharedHead {
    key: Option<HeadKey>,
    len: usize,
    bytes: [u8; SHARED_HEAD_MAX],
}

/// Longest shared head: the keys (114 bytes), a 16-byte type, three
/// numbers of up to 20 digits, a quoted IPv6 address and a port (236).
const SHARED_HEAD_MAX: usize = 256;

#[derive(PartialEq, Eq, Clone, Copy)]
struct HeadKey {
    flow_type: FlowType,
    time_received_ns: u64,
    sequence_num: u32,
    sampling_rate: u64,
    sampler_address: Option<IpAddr>,
    sampler_port: u16,
}

impl HeadKey {
    #[inline(always)]
    fn of(r: &FlowRecord) -> Self {
        HeadKey {
            flow_type: r.flow_type,
            time_received_ns: r.time_received_ns,
            sequence_num: r.sequence_num,
            sampling_rate: r.sampling_rate,
            sampler_address: r.sampler_address,
            sampler_port: r.sampler_port,
        }
    }
}

impl SharedHead {
    pub(super) fn new() -> Self {
        SharedHead {
            key: None,
            len: 0,
            bytes: [0; SHARED_HEAD_MAX],
        }
    }
}

/// Appends the JSON line of `rec` with every field, as the reference
/// renderer does for `RenderOptions { fields: None, format: Json, .. }`.
/// `shared` holds the head of the record rendered before, if any.
pub(super) fn write_json_all(
    rec: &FlowRecord,
    names: bool,
    shared: Option<&mut SharedHead>,
    out: &mut Vec<u8>,
) {
    with_room::<HEAD_ROOM>(out, |r| head(rec, names, shared, r));
    let ext = rec.ext.get();
    if let Some(e) = ext {
        ext_interfaces(out, e);
    }
    opt!(out, "flow_direction", rec.flow_direction);
    opt!(out, "flow_end_reason", rec.flow_end_reason);
    if let Some(e) = ext {
        ext_tunnels_and_drops(out, e);
    }
    let lists = ext.filter(|e| {
        !(e.as_path.is_empty() && e.bgp_communities.is_empty() && e.mpls_label.is_empty())
    });
    with_room::<TAIL_ROOM>(out, |r| {
        numbers!(
            r,
            "ip_flags" = rec.ip_flags,
            "fragment_id" = rec.fragment_id,
            "fragment_offset" = rec.fragment_offset,
            "next_hop_as" = rec.next_hop_as
        );
        if lists.is_none() {
            r.bytes(b",\"as_path\":[],\"bgp_communities\":[],\"mpls_label\":[]");
        }
    });
    if let Some(e) = lists {
        out.extend_from_slice(key!("as_path"));
        write_list(out, &e.as_path, true);
        out.extend_from_slice(key!("bgp_communities"));
        write_list(out, &e.bgp_communities, true);
        out.extend_from_slice(key!("mpls_label"));
        write_list(out, &e.mpls_label, true);
    }
    if let Some(e) = ext {
        ext_sampled(out, e);
    }
    endpoint_src(out, &rec.src_k8s);
    endpoint_dst(out, &rec.dst_k8s);
    if let Some(m) = rec.sampler_k8s.as_deref() {
        text!(out, "sampler_name", &m.name);
        text!(out, "sampler_k8s_node", &m.node);
    }
    if !rec.extras.is_empty() {
        out.extend_from_slice(key!("extra"));
        write_extras_json(rec, out);
    }
    out.extend_from_slice(b"}\n");
}

/// `in_if_name` to `out_if_description`.
#[inline(never)]
fn ext_interfaces(out: &mut Vec<u8>, e: &Extended) {
    text!(out, "in_if_name", &e.in_if_name);
    text!(out, "out_if_name", &e.out_if_name);
    text!(out, "in_if_description", &e.in_if_description);
    text!(out, "out_if_description", &e.out_if_description);
}

/// `tunnel_type` to `egress_queue`.
#[inline(never)]
fn ext_tunnels_and_drops(out: &mut Vec<u8>, e: &Extended) {
    opt!(out, "tunnel_type", e.tunnel_type);
    if e.tunnel_src_addr.is_some() {
        with_room::<{ KEY_MAX + ADDR_ROOM }>(out, |r| {
            r.bytes(key!("tunnel_src_addr"));
            r.opt_ip(e.tunnel_src_addr, true);
        });
    }
    if e.tunnel_dst_addr.is_some() {
        with_room::<{ KEY_MAX + ADDR_ROOM }>(out, |r| {
            r.bytes(key!("tunnel_dst_addr"));
            r.opt_ip(e.tunnel_dst_addr, true);
        });
    }
    opt!(out, "tunnel_proto", e.tunnel_proto);
    opt!(out, "tunnel_src_port", e.tunnel_src_port);
    opt!(out, "tunnel_dst_port", e.tunnel_dst_port);
    opt!(out, "tunnel_key", e.tunnel_key);
    opt!(out, "reverse_bytes", e.reverse_bytes);
    opt!(out, "reverse_packets", e.reverse_packets);
    opt!(out, "initiator_bytes", e.initiator_bytes);
    opt!(out, "responder_bytes", e.responder_bytes);
    opt!(out, "dropped_bytes", e.dropped_bytes);
    opt!(out, "dropped_packets", e.dropped_packets);
    opt!(out, "drop_reason", e.drop_reason);
    // Present whenever the code has a name, even an empty one (as `value` does).
    if let Some(name) = e.drop_reason.and_then(crate::drop_reason_name) {
        out.extend_from_slice(key!("drop_reason_name"));
        json_str(out, name);
    }
    text!(out, "drop_function", &e.drop_function);
    text!(out, "drop_linux_reason", &e.drop_linux_reason);
    text!(out, "drop_hw_trap_group", &e.drop_hw_trap_group);
    text!(out, "drop_hw_trap", &e.drop_hw_trap);
    opt!(out, "acl_number", e.acl_number);
    text!(out, "acl_name", &e.acl_name);
    opt!(out, "acl_direction", e.acl_direction);
    opt!(out, "egress_queue", e.egress_queue);
}

/// `sub_agent_id` to `ovn_egress_port`.
#[inline(never)]
fn ext_sampled(out: &mut Vec<u8>, e: &Extended) {
    opt!(out, "sub_agent_id", e.sub_agent_id);
    opt!(out, "sample_pool", e.sample_pool);
    opt!(out, "sample_drops", e.sample_drops);
    opt!(out, "frame_length", e.frame_length);
    opt!(out, "out_if_multiple", e.out_if_multiple);
    opt!(out, "inner_vlan", e.inner_vlan);
    opt!(out, "src_priority", e.src_priority);
    opt!(out, "dst_priority", e.dst_priority);
    opt!(out, "src_peer_as", e.src_peer_as);
    if !e.tunnel_options.is_empty() {
        out.extend_from_slice(key!("tunnel_options"));
        out.push(b'"');
        write_hex(out, &e.tunnel_options);
        out.push(b'"');
    }
    opt!(out, "ovn_ingress_port", e.ovn_ingress_port);
    opt!(out, "ovn_egress_port", e.ovn_egress_port);
}

/// The fields up to `engine_id`: all of bounded length.
#[inline(always)]
fn head(rec: &FlowRecord, names: bool, shared: Option<&mut SharedHead>, r: &mut Room<'_>) {
    match shared {
        Some(s) if s.key == Some(HeadKey::of(rec)) => r.bytes(&s.bytes[..s.len]),
        Some(s) => {
            let start = r.len();
            shared_head(rec, r);
            let written = r.since(start);
            s.bytes[..written.len()].copy_from_slice(written);
            s.len = written.len();
            s.key = Some(HeadKey::of(rec));
        }
        None => shared_head(rec, r),
    }
    per_record_head(rec, names, r);
}

/// `type` to `sampler_port`: see [`SharedHead`].
#[inline(always)]
fn shared_head(rec: &FlowRecord, r: &mut Room<'_>) {
    r.bytes(b"{\"type\":\"");
    r.bytes(rec.flow_type.as_str().as_bytes());
    r.byte(b'"');
    r.bytes(key!("time_received_ns"));
    r.u64(rec.time_received_ns);
    r.bytes(key!("sequence_num"));
    r.u64(rec.sequence_num.into());
    r.bytes(key!("sampling_rate"));
    r.u64(rec.sampling_rate);
    r.bytes(key!("sampler_address"));
    r.opt_ip(rec.sampler_address, true);
    if rec.sampler_port != 0 {
        r.bytes(key!("sampler_port"));
        r.u64(rec.sampler_port.into());
    }
}

/// `time_flow_start_ns` to `engine_id`.
#[inline(always)]
fn per_record_head(rec: &FlowRecord, names: bool, r: &mut Room<'_>) {
    r.bytes(key!("time_flow_start_ns"));
    r.u64(rec.time_flow_start_ns);
    r.bytes(key!("time_flow_end_ns"));
    r.u64(rec.time_flow_end_ns);
    r.bytes(key!("bytes"));
    r.u64(rec.bytes);
    r.bytes(key!("packets"));
    r.u64(rec.packets);
    r.bytes(key!("src_addr"));
    r.opt_ip(rec.src_addr, true);
    r.bytes(key!("dst_addr"));
    r.opt_ip(rec.dst_addr, true);
    r.bytes(key!("etype"));
    if names {
        name(r, etype_name(rec.etype));
    } else {
        r.u64(rec.etype.into());
    }
    r.bytes(key!("proto"));
    if names {
        name(r, proto_name(rec.proto));
    } else {
        r.u64(rec.proto.into());
    }
    r.bytes(key!("src_port"));
    r.u64(rec.src_port.into());
    r.bytes(key!("dst_port"));
    r.u64(rec.dst_port.into());
    r.bytes(key!("in_if"));
    r.u64(rec.in_if.into());
    r.bytes(key!("out_if"));
    r.u64(rec.out_if.into());
    r.bytes(key!("src_mac"));
    r.quoted(true, |r| r.mac(rec.src_mac));
    r.bytes(key!("dst_mac"));
    r.quoted(true, |r| r.mac(rec.dst_mac));
    numbers!(
        r,
        "src_vlan" = rec.src_vlan,
        "dst_vlan" = rec.dst_vlan,
        "vlan_id" = rec.vlan_id
    );
    numbers!(
        r,
        "ip_tos" = rec.ip_tos,
        "forwarding_status" = rec.forwarding_status
    );
    r.bytes(key!("ip_ttl"));
    r.u64(rec.ip_ttl.into());
    r.bytes(key!("tcp_flags"));
    r.u64(rec.tcp_flags.into());
    numbers!(
        r,
        "icmp_type" = rec.icmp_type,
        "icmp_code" = rec.icmp_code,
        "ipv6_flow_label" = rec.ipv6_flow_label
    );
    r.bytes(key!("src_as"));
    r.u64(rec.src_as.into());
    r.bytes(key!("dst_as"));
    r.u64(rec.dst_as.into());
    r.bytes(key!("next_hop"));
    r.opt_ip(rec.next_hop, true);
    r.bytes(key!("bgp_next_hop"));
    r.opt_ip(rec.bgp_next_hop, true);
    r.bytes(key!("src_net"));
    r.opt_net(rec.src_addr, rec.src_net, true);
    r.bytes(key!("dst_net"));
    r.opt_net(rec.dst_addr, rec.dst_net, true);
    numbers!(
        r,
        "observation_domain_id" = rec.observation_domain_id,
        "observation_point_id" = rec.observation_point_id
    );
    opt_in!(r, "engine_type", rec.engine_type);
    opt_in!(r, "engine_id", rec.engine_id);
}

/// The seven fields of one endpoint, keys prefixed `src_k8s_` or `dst_k8s_`.
macro_rules! endpoint_fn {
    ($fn:ident, $p:literal) => {
        #[inline]
        fn $fn(out: &mut Vec<u8>, m: &Option<EndpointRef>) {
            let Some(m) = m.as_deref() else { return };
            text!(out, concat!($p, "namespace"), &m.namespace);
            text!(out, concat!($p, "name"), &m.name);
            text!(out, concat!($p, "kind"), &m.kind);
            text!(out, concat!($p, "owner_name"), &m.owner_name);
            text!(out, concat!($p, "owner_kind"), &m.owner_kind);
            text!(out, concat!($p, "node"), &m.node);
            if !m.labels.is_empty() {
                out.extend_from_slice(key!(concat!($p, "labels")));
                write_labels(out, &m.labels, true);
            }
        }
    };
}

endpoint_fn!(endpoint_src, "src_k8s_");
endpoint_fn!(endpoint_dst, "dst_k8s_");

/// `[{"pen":P,"id":I,"value":"hex"},...]`
pub(super) fn write_extras_json(r: &FlowRecord, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, e) in r.extras.iter().enumerate() {
        with_room::<{ 2 * NUM_ROOM + 32 }>(out, |room| {
            room.bytes(if i == 0 { b"{\"pen\":" } else { b",{\"pen\":" });
            room.u64(e.pen.into());
            room.bytes(b",\"id\":");
            room.u64(e.id.into());
            room.bytes(b",\"value\":\"");
        });
        write_hex(out, r.extra_value(e));
        out.extend_from_slice(b"\"}");
    }
    out.push(b']');
}
