//! The fields of a flow record that most exporters never send: see
//! [`FlowRecord`](crate::FlowRecord) for why they are out of line.

use std::net::IpAddr;

use crate::record::clear;

/// Fields most exporters never send: interface names, tunnels, bidirectional
/// and drop counters, sFlow's extended data, BGP paths. All are left out of
/// the output when unset, except the three lists goflow2 always renders.
#[derive(Debug, Clone, PartialEq)]
pub struct Extended {
    pub in_if_name: String,
    pub out_if_name: String,
    pub in_if_description: String,
    pub out_if_description: String,
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
    pub as_path: Vec<u32>,
    pub bgp_communities: Vec<u32>,
    /// MPLS label stack of the sampled packet, top first (labels only, no TC/S/TTL).
    pub mpls_label: Vec<u32>,

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
}

impl Extended {
    /// Every field unset; what [`FlowRecord::ext`](crate::FlowRecord::ext)
    /// reads when a record has no extended fields.
    pub const EMPTY: Extended = Extended {
        in_if_name: String::new(),
        out_if_name: String::new(),
        in_if_description: String::new(),
        out_if_description: String::new(),
        tunnel_type: None,
        tunnel_src_addr: None,
        tunnel_dst_addr: None,
        tunnel_proto: None,
        tunnel_src_port: None,
        tunnel_dst_port: None,
        tunnel_key: None,
        reverse_bytes: None,
        reverse_packets: None,
        initiator_bytes: None,
        responder_bytes: None,
        dropped_bytes: None,
        dropped_packets: None,
        drop_reason: None,
        as_path: Vec::new(),
        bgp_communities: Vec::new(),
        mpls_label: Vec::new(),
        sub_agent_id: None,
        sample_pool: None,
        sample_drops: None,
        frame_length: None,
        out_if_multiple: None,
        inner_vlan: None,
        src_priority: None,
        dst_priority: None,
        src_peer_as: None,
        tunnel_options: Vec::new(),
        ovn_ingress_port: None,
        ovn_egress_port: None,
        drop_function: String::new(),
        drop_linux_reason: String::new(),
        drop_hw_trap_group: String::new(),
        drop_hw_trap: String::new(),
        acl_number: None,
        acl_name: String::new(),
        acl_direction: None,
        egress_queue: None,
    };

    /// See [`FlowRecord::reset`](crate::FlowRecord::reset); strings and
    /// vectors keep their capacity.
    #[inline(always)]
    fn reset<const CHECK: bool>(&mut self) {
        let Extended {
            in_if_name,
            out_if_name,
            in_if_description,
            out_if_description,
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
        } = self;
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
    }
}

impl Default for Extended {
    fn default() -> Self {
        Extended::EMPTY
    }
}

static EMPTY: Extended = Extended::EMPTY;

/// A record's [`Extended`] fields: allocated the first time the record needs
/// one and kept, reset, while the record is reused, so a reused record
/// allocates nothing. One never allocated reads as [`Extended::EMPTY`]; the
/// two compare equal.
#[derive(Clone, Default)]
pub struct Ext(Option<Box<Extended>>);

impl Ext {
    /// The fields, or `None` when this record never had any (nothing to
    /// render or reset).
    #[inline(always)]
    pub fn get(&self) -> Option<&Extended> {
        self.0.as_deref()
    }

    #[inline(always)]
    pub(crate) fn fields(&self) -> &Extended {
        self.0.as_deref().unwrap_or(&EMPTY)
    }

    #[inline]
    pub(crate) fn fields_mut(&mut self) -> &mut Extended {
        self.0.get_or_insert_with(Box::default)
    }

    #[inline(always)]
    pub(crate) fn reset<const CHECK: bool>(&mut self) {
        if let Some(e) = &mut self.0 {
            e.reset::<CHECK>();
        }
    }
}

impl From<Extended> for Ext {
    fn from(e: Extended) -> Self {
        Ext(Some(Box::new(e)))
    }
}

impl PartialEq for Ext {
    fn eq(&self, other: &Self) -> bool {
        self.fields() == other.fields()
    }
}

impl std::fmt::Debug for Ext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.fields().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use crate::FlowRecord;

    #[test]
    fn the_record_without_its_rare_fields_stays_small() {
        // Five cache lines: what a decoder writes, a sink reads and a reset
        // touches for a record of NetFlow v5 or a common IPFIX template.
        assert!(
            std::mem::size_of::<FlowRecord>() <= 320,
            "FlowRecord is {} bytes: a rarely sent field belongs in Extended",
            std::mem::size_of::<FlowRecord>()
        );
    }

    #[test]
    fn extended_fields_are_allocated_on_first_write_and_kept_through_resets() {
        let mut r = FlowRecord::default();
        assert!(r.ext.get().is_none() && r.ext().acl_name.is_empty());
        r.ext_mut().acl_name.push_str("deny-all");
        r.ext_mut().drop_reason = Some(2);
        let kept = r.ext.get().map(|e| e as *const _);
        r.reset();
        // Reset, not freed: the next record to use it allocates nothing.
        assert_eq!(r.ext.get().map(|e| e as *const _), kept);
        assert!(r.ext().acl_name.is_empty() && r.ext().acl_name.capacity() >= 8);
        assert_eq!(r.ext().drop_reason, None);
        // An allocated, empty set of fields is the same record as none.
        assert_eq!(r, FlowRecord::default());
        assert_ne!(
            {
                let mut o = FlowRecord::default();
                o.ext_mut().drop_reason = Some(2);
                o
            },
            FlowRecord::default()
        );
    }
}
