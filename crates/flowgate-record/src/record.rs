use std::net::IpAddr;

use crate::{EndpointRef, Ext};

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
///
/// What most exporters never send (interface names, tunnels, drops, sFlow's
/// extended data, BGP paths) is in [`Extended`], behind [`FlowRecord::ext`]:
/// a record is written by the decoder, read by a sink (often on another
/// core) and reset for reuse, so every byte of it moves through the caches
/// several times per record. Keeping the rare fields out of line cut the
/// record from 864 to 312 bytes.
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
    pub flow_direction: Option<u8>,
    pub flow_end_reason: Option<u8>,

    // More fields goflow2 also has (plain values, as goflow2 renders them).
    /// IPv4 flags (DF 2, MF 1), or the IPv6 fragment header's M flag.
    pub ip_flags: u8,
    pub fragment_id: u32,
    /// In 8-octet units, as on the wire (goflow2 does the same).
    pub fragment_offset: u16,
    /// First AS of the BGP path towards the destination.
    pub next_hop_as: u32,

    /// What an enricher knows of `src_addr`, `dst_addr` and `sampler_address`
    /// (Kubernetes objects, static map entries): shared, never copied.
    pub src_k8s: Option<EndpointRef>,
    pub dst_k8s: Option<EndpointRef>,
    pub sampler_k8s: Option<EndpointRef>,

    /// Elements without a field of their own, in wire order.
    pub extras: Vec<ExtraField>,
    pub extra_data: Vec<u8>,
    /// The rarely sent fields; see [`Extended`].
    pub ext: Ext,
}

impl FlowRecord {
    /// The rarely sent fields ([`Extended::EMPTY`](crate::Extended::EMPTY)
    /// when the record has none).
    #[inline(always)]
    pub fn ext(&self) -> &crate::Extended {
        self.ext.fields()
    }

    /// The rarely sent fields, for writing: allocated on a record's first use.
    #[inline]
    pub fn ext_mut(&mut self) -> &mut crate::Extended {
        self.ext.fields_mut()
    }

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
            flow_direction,
            flow_end_reason,
            ip_flags,
            fragment_id,
            fragment_offset,
            next_hop_as,
            src_k8s,
            dst_k8s,
            sampler_k8s,
            extras,
            extra_data,
            ext,
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
        clear::<CHECK, _>(ip_flags);
        clear::<CHECK, _>(fragment_id);
        clear::<CHECK, _>(fragment_offset);
        clear::<CHECK, _>(next_hop_as);
        clear::<CHECK, _>(src_k8s);
        clear::<CHECK, _>(dst_k8s);
        clear::<CHECK, _>(sampler_k8s);
        ext.reset::<CHECK>();
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
pub(crate) fn clear<const CHECK: bool, T: Default + PartialEq>(f: &mut T) {
    if !CHECK || *f != T::default() {
        *f = T::default();
    }
}
