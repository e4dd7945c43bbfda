use std::net::IpAddr;

use crate::EndpointRef;

/// Which wire protocol a record came from; rendered as goflow2 does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum FlowType {
    #[default]
    Unknown,
    NetflowV1,
    NetflowV5,
    NetflowV7,
    NetflowV9,
    Ipfix,
    Sflow5,
}

impl FlowType {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowType::Unknown => "UNKNOWN",
            FlowType::NetflowV1 => "NETFLOW_V1",
            FlowType::NetflowV5 => "NETFLOW_V5",
            FlowType::NetflowV7 => "NETFLOW_V7",
            FlowType::NetflowV9 => "NETFLOW_V9",
            FlowType::Ipfix => "IPFIX",
            FlowType::Sflow5 => "SFLOW_5",
        }
    }
}

/// An information element that has no field of its own in [`FlowRecord`].
/// Its value bytes live in [`FlowRecord::extra_data`] so that a reused record
/// keeps one buffer instead of one allocation per element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraField {
    /// Private enterprise number; 0 for IANA elements (and for NetFlow v9 field types).
    pub pen: u32,
    pub id: u16,
    pub start: u32,
    pub len: u32,
}

/// One flow (or one sampled packet). Field meanings: docs/record.md.
///
/// Fields goflow2 has are plain values (0 / unset address when the exporter
/// did not send them, as goflow2 does); flowgate's own fields are `Option`s
/// or empty strings and are left out of the output when absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowRecord {
    pub flow_type: FlowType,
    pub time_received_ns: u64,
    pub sequence_num: u32,
    pub sampling_rate: u64,
    pub sampler_address: Option<IpAddr>,
    pub time_flow_start_ns: u64,
    pub time_flow_end_ns: u64,
    pub bytes: u64,
    pub packets: u64,
    pub src_addr: Option<IpAddr>,
    pub dst_addr: Option<IpAddr>,
    pub etype: u16,
    pub proto: u8,
    pub src_port: u16,
    pub dst_port: u16,
    pub in_if: u32,
    pub out_if: u32,
    pub src_mac: u64,
    pub dst_mac: u64,
    pub src_vlan: u16,
    pub dst_vlan: u16,
    pub vlan_id: u16,
    pub ip_tos: u8,
    pub forwarding_status: u8,
    pub ip_ttl: u8,
    pub tcp_flags: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
    pub ipv6_flow_label: u32,
    pub src_as: u32,
    pub dst_as: u32,
    pub next_hop: Option<IpAddr>,
    pub bgp_next_hop: Option<IpAddr>,
    /// Source prefix length (rendered as a prefix of `src_addr`, as goflow2 does).
    pub src_net: u8,
    pub dst_net: u8,
    pub observation_domain_id: u32,
    pub observation_point_id: u32,

    // flowgate's own fields
    pub sampler_port: u16,
    pub engine_type: Option<u8>,
    pub engine_id: Option<u8>,
    pub in_if_name: String,
    pub out_if_name: String,
    pub in_if_description: String,
    pub out_if_description: String,
    pub flow_direction: Option<u8>,
    pub flow_end_reason: Option<u8>,
    pub tunnel_type: Option<u8>,
    pub tunnel_src_addr: Option<IpAddr>,
    pub tunnel_dst_addr: Option<IpAddr>,
    pub tunnel_proto: Option<u8>,
    pub tunnel_src_port: Option<u16>,
    pub tunnel_dst_port: Option<u16>,
    pub tunnel_key: Option<u64>,
    pub reverse_bytes: Option<u64>,
    pub reverse_packets: Option<u64>,
    pub initiator_bytes: Option<u64>,
    pub responder_bytes: Option<u64>,
    pub dropped_bytes: Option<u64>,
    pub dropped_packets: Option<u64>,
    /// sFlow discard reason (sFlow drop notification or "discarded" output interface).
    pub drop_reason: Option<u32>,

    // Fields goflow2 also has (plain values, as goflow2 renders them).
    /// IPv4 flags (DF 2, MF 1), or the IPv6 fragment header's M flag.
    pub ip_flags: u8,
    pub fragment_id: u32,
    /// In 8-octet units, as on the wire (goflow2 does the same).
    pub fragment_offset: u16,
    /// First AS of the BGP path towards the destination.
    pub next_hop_as: u32,
    pub as_path: Vec<u32>,
    pub bgp_communities: Vec<u32>,
    /// MPLS label stack of the sampled packet, top first (labels only, no TC/S/TTL).
    pub mpls_label: Vec<u32>,

    // More of flowgate's own fields (sFlow and sampled packet headers).
    /// sFlow sub-agent of `sampler_address` (sequence numbers count per agent and sub-agent).
    pub sub_agent_id: Option<u32>,
    /// sFlow sample pool: packets that could have been sampled (all packets seen).
    pub sample_pool: Option<u32>,
    /// sFlow sample drops: samples the agent lost for lack of resources (cumulative).
    pub sample_drops: Option<u32>,
    /// Original length of the sampled frame, as the agent reports it.
    pub frame_length: Option<u32>,
    /// Sent to several interfaces (sFlow output `0x80000000|n`): n, 0 = unknown number.
    pub out_if_multiple: Option<u32>,
    /// The inner (customer) tag of a QinQ frame; the outer one is `vlan_id`.
    pub inner_vlan: Option<u16>,
    /// 802.1p priorities from sFlow extended_switch.
    pub src_priority: Option<u8>,
    pub dst_priority: Option<u8>,
    /// AS of the peer the traffic came from (sFlow extended_gateway).
    pub src_peer_as: Option<u32>,
    /// Geneve options of the tunnel as on the wire (TLVs), rendered as hex.
    pub tunnel_options: Vec<u8>,
    /// OVN logical ports from the Geneve option class 0x0102 type 0x80.
    pub ovn_ingress_port: Option<u16>,
    pub ovn_egress_port: Option<u16>,
    /// sFlow extended_function: kernel function that dropped the packet.
    pub drop_function: String,
    /// sFlow extended_linux_drop_reason: the kernel's `skb_drop_reason` name.
    pub drop_linux_reason: String,
    /// sFlow extended_hw_trap: devlink trap group and trap.
    pub drop_hw_trap_group: String,
    pub drop_hw_trap: String,
    /// sFlow extended_acl: the ACL that matched.
    pub acl_number: Option<u32>,
    pub acl_name: String,
    /// 0 unknown, 1 ingress, 2 egress.
    pub acl_direction: Option<u8>,
    /// sFlow extended_egress_queue.
    pub egress_queue: Option<u32>,

    /// What an enricher knows of `src_addr`, `dst_addr` and `sampler_address`
    /// (Kubernetes objects, static map entries): shared, never copied.
    pub src_k8s: Option<EndpointRef>,
    pub dst_k8s: Option<EndpointRef>,
    pub sampler_k8s: Option<EndpointRef>,

    /// Elements without a field of their own, in wire order.
    pub extras: Vec<ExtraField>,
    pub extra_data: Vec<u8>,
}

impl FlowRecord {
    /// Resets every field while keeping the capacity of strings and vectors,
    /// so a reused record does not allocate again.
    ///
    /// Field by field rather than `*self = Default` around taken buffers:
    /// that built a whole record on the stack and copied it in, twice the
    /// stores, and it was a third of the receive thread's time. A field is
    /// written only when it is not already at its default: a sink thread
    /// on the other core has just read this record, and a write to each of
    /// its cache lines would take the line back from that core even where
    /// nothing changes (most fields stay unset record after record). The
    /// destructuring names every field, so a new field that is not reset
    /// here does not compile; a test checks the result equals `default()`.
    pub fn reset(&mut self) {
        self.reset_fields::<true>();
    }

    /// [`reset`](Self::reset) for a record no other core has read since it
    /// was last written (a batch only inline sinks take): its lines are
    /// this core's already, so plain stores beat a compare per field (a
    /// third faster in the decode bench).
    pub fn reset_in_cache(&mut self) {
        self.reset_fields::<false>();
    }

    #[inline(always)]
    fn reset_fields<const CHECK: bool>(&mut self) {
        let FlowRecord {
            flow_type,
            time_received_ns,
            sequence_num,
            sampling_rate,
            sampler_address,
            time_flow_start_ns,
            time_flow_end_ns,
            bytes,
            packets,
            src_addr,
            dst_addr,
            etype,
            proto,
            src_port,
            dst_port,
            in_if,
            out_if,
            src_mac,
            dst_mac,
            src_vlan,
            dst_vlan,
            vlan_id,
            ip_tos,
            forwarding_status,
            ip_ttl,
            tcp_flags,
            icmp_type,
            icmp_code,
            ipv6_flow_label,
            src_as,
            dst_as,
            next_hop,
            bgp_next_hop,
            src_net,
            dst_net,
            observation_domain_id,
            observation_point_id,
            sampler_port,
            engine_type,
            engine_id,
            in_if_name,
            out_if_name,
            in_if_description,
            out_if_description,
            flow_direction,
            flow_end_reason,
            tunnel_type,
            tunnel_src_addr,
            tunnel_dst_addr,
            tunnel_proto,
            tunnel_src_port,
            tunnel_dst_port,
            tunnel_key,
            reverse_bytes,
            reverse_packets,
            initiator_bytes,
            responder_bytes,
            dropped_bytes,
            dropped_packets,
            drop_reason,
            ip_flags,
            fragment_id,
            fragment_offset,
            next_hop_as,
            as_path,
            bgp_communities,
            mpls_label,
            sub_agent_id,
            sample_pool,
            sample_drops,
            frame_length,
            out_if_multiple,
            inner_vlan,
            src_priority,
            dst_priority,
            src_peer_as,
            tunnel_options,
            ovn_ingress_port,
            ovn_egress_port,
            drop_function,
            drop_linux_reason,
            drop_hw_trap_group,
            drop_hw_trap,
            acl_number,
            acl_name,
            acl_direction,
            egress_queue,
            src_k8s,
            dst_k8s,
            sampler_k8s,
            extras,
            extra_data,
        } = self;
        clear::<CHECK, _>(flow_type);
        clear::<CHECK, _>(time_received_ns);
        clear::<CHECK, _>(sequence_num);
        clear::<CHECK, _>(sampling_rate);
        clear::<CHECK, _>(sampler_address);
        clear::<CHECK, _>(time_flow_start_ns);
        clear::<CHECK, _>(time_flow_end_ns);
        clear::<CHECK, _>(bytes);
        clear::<CHECK, _>(packets);
        clear::<CHECK, _>(src_addr);
        clear::<CHECK, _>(dst_addr);
        clear::<CHECK, _>(etype);
        clear::<CHECK, _>(proto);
        clear::<CHECK, _>(src_port);
        clear::<CHECK, _>(dst_port);
        clear::<CHECK, _>(in_if);
        clear::<CHECK, _>(out_if);
        clear::<CHECK, _>(src_mac);
        clear::<CHECK, _>(dst_mac);
        clear::<CHECK, _>(src_vlan);
        clear::<CHECK, _>(dst_vlan);
        clear::<CHECK, _>(vlan_id);
        clear::<CHECK, _>(ip_tos);
        clear::<CHECK, _>(forwarding_status);
        clear::<CHECK, _>(ip_ttl);
        clear::<CHECK, _>(tcp_flags);
        clear::<CHECK, _>(icmp_type);
        clear::<CHECK, _>(icmp_code);
        clear::<CHECK, _>(ipv6_flow_label);
        clear::<CHECK, _>(src_as);
        clear::<CHECK, _>(dst_as);
        clear::<CHECK, _>(next_hop);
        clear::<CHECK, _>(bgp_next_hop);
        clear::<CHECK, _>(src_net);
        clear::<CHECK, _>(dst_net);
        clear::<CHECK, _>(observation_domain_id);
        clear::<CHECK, _>(observation_point_id);
        clear::<CHECK, _>(sampler_port);
        clear::<CHECK, _>(engine_type);
        clear::<CHECK, _>(engine_id);
        clear::<CHECK, _>(flow_direction);
        clear::<CHECK, _>(flow_end_reason);
        clear::<CHECK, _>(tunnel_type);
        clear::<CHECK, _>(tunnel_src_addr);
        clear::<CHECK, _>(tunnel_dst_addr);
        clear::<CHECK, _>(tunnel_proto);
        clear::<CHECK, _>(tunnel_src_port);
        clear::<CHECK, _>(tunnel_dst_port);
        clear::<CHECK, _>(tunnel_key);
        clear::<CHECK, _>(reverse_bytes);
        clear::<CHECK, _>(reverse_packets);
        clear::<CHECK, _>(initiator_bytes);
        clear::<CHECK, _>(responder_bytes);
        clear::<CHECK, _>(dropped_bytes);
        clear::<CHECK, _>(dropped_packets);
        clear::<CHECK, _>(drop_reason);
        clear::<CHECK, _>(ip_flags);
        clear::<CHECK, _>(fragment_id);
        clear::<CHECK, _>(fragment_offset);
        clear::<CHECK, _>(next_hop_as);
        clear::<CHECK, _>(sub_agent_id);
        clear::<CHECK, _>(sample_pool);
        clear::<CHECK, _>(sample_drops);
        clear::<CHECK, _>(frame_length);
        clear::<CHECK, _>(out_if_multiple);
        clear::<CHECK, _>(inner_vlan);
        clear::<CHECK, _>(src_priority);
        clear::<CHECK, _>(dst_priority);
        clear::<CHECK, _>(src_peer_as);
        clear::<CHECK, _>(ovn_ingress_port);
        clear::<CHECK, _>(ovn_egress_port);
        clear::<CHECK, _>(acl_number);
        clear::<CHECK, _>(acl_direction);
        clear::<CHECK, _>(egress_queue);
        clear::<CHECK, _>(src_k8s);
        clear::<CHECK, _>(dst_k8s);
        clear::<CHECK, _>(sampler_k8s);
        if !in_if_name.is_empty() {
            in_if_name.clear();
        }
        if !out_if_name.is_empty() {
            out_if_name.clear();
        }
        if !in_if_description.is_empty() {
            in_if_description.clear();
        }
        if !out_if_description.is_empty() {
            out_if_description.clear();
        }
        if !as_path.is_empty() {
            as_path.clear();
        }
        if !bgp_communities.is_empty() {
            bgp_communities.clear();
        }
        if !mpls_label.is_empty() {
            mpls_label.clear();
        }
        if !tunnel_options.is_empty() {
            tunnel_options.clear();
        }
        if !drop_function.is_empty() {
            drop_function.clear();
        }
        if !drop_linux_reason.is_empty() {
            drop_linux_reason.clear();
        }
        if !drop_hw_trap_group.is_empty() {
            drop_hw_trap_group.clear();
        }
        if !drop_hw_trap.is_empty() {
            drop_hw_trap.clear();
        }
        if !acl_name.is_empty() {
            acl_name.clear();
        }
        if !extras.is_empty() {
            extras.clear();
        }
        if !extra_data.is_empty() {
            extra_data.clear();
        }
    }

    /// Keeps an element that has no field of its own.
    pub fn push_extra(&mut self, pen: u32, id: u16, value: &[u8]) {
        let start = self.extra_data.len() as u32;
        self.extra_data.extend_from_slice(value);
        self.extras.push(ExtraField {
            pen,
            id,
            start,
            len: value.len() as u32,
        });
    }

    pub fn extra_value(&self, extra: &ExtraField) -> &[u8] {
        let start = extra.start as usize;
        &self.extra_data[start..start + extra.len as usize]
    }
}

/// Sets `f` to its default; with CHECK only if it is not already (see
/// [`FlowRecord::reset`]).
#[inline(always)]
fn clear<const CHECK: bool, T: Default + PartialEq>(f: &mut T) {
    if !CHECK || *f != T::default() {
        *f = T::default();
    }
}
