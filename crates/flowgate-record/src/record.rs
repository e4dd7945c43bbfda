use std::net::IpAddr;

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

    /// Elements without a field of their own, in wire order.
    pub extras: Vec<ExtraField>,
    pub extra_data: Vec<u8>,
}

impl FlowRecord {
    /// Resets every field while keeping the capacity of strings and vectors,
    /// so a reused record does not allocate again.
    pub fn reset(&mut self) {
        let mut in_name = std::mem::take(&mut self.in_if_name);
        let mut out_name = std::mem::take(&mut self.out_if_name);
        let mut in_desc = std::mem::take(&mut self.in_if_description);
        let mut out_desc = std::mem::take(&mut self.out_if_description);
        let mut extras = std::mem::take(&mut self.extras);
        let mut extra_data = std::mem::take(&mut self.extra_data);
        in_name.clear();
        out_name.clear();
        in_desc.clear();
        out_desc.clear();
        extras.clear();
        extra_data.clear();
        *self = FlowRecord {
            in_if_name: in_name,
            out_if_name: out_name,
            in_if_description: in_desc,
            out_if_description: out_desc,
            extras,
            extra_data,
            ..FlowRecord::default()
        };
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
