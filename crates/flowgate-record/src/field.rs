use std::net::IpAddr;

use crate::{EndpointMeta, EndpointRef, FlowRecord, FlowType};

/// A field's value, ready to render. `None` from [`FlowRecord::value`] means
/// "absent": the field is left out of the output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    U64(u64),
    Str(&'a str),
    Type(FlowType),
    /// goflow2 renders an unset address as "".
    Ip(Option<IpAddr>),
    Mac(u64),
    /// A prefix length, rendered as the network of the address (goflow2's `src_net`).
    Net(Option<IpAddr>, u8),
    Proto(u8),
    Etype(u16),
    /// A list of numbers (AS path, MPLS labels), rendered as a JSON array.
    List(&'a [u32]),
    /// Raw bytes, rendered as a hex string.
    Hex(&'a [u8]),
    /// Key/value labels, rendered as a JSON object.
    Labels(&'a [(Box<str>, Box<str>)]),
}

macro_rules! fields {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Every output field, in output order. `docs/record.md` documents each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FieldId { $($variant),* }

        impl FieldId {
            pub const ALL: &'static [FieldId] = &[$(FieldId::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(FieldId::$variant => $name),* }
            }

            pub fn from_name(name: &str) -> Option<FieldId> {
                match name { $($name => Some(FieldId::$variant),)* _ => None }
            }
        }
    };
}

fields! {
    Type => "type",
    TimeReceivedNs => "time_received_ns",
    SequenceNum => "sequence_num",
    SamplingRate => "sampling_rate",
    SamplerAddress => "sampler_address",
    SamplerPort => "sampler_port",
    TimeFlowStartNs => "time_flow_start_ns",
    TimeFlowEndNs => "time_flow_end_ns",
    Bytes => "bytes",
    Packets => "packets",
    SrcAddr => "src_addr",
    DstAddr => "dst_addr",
    Etype => "etype",
    Proto => "proto",
    SrcPort => "src_port",
    DstPort => "dst_port",
    InIf => "in_if",
    OutIf => "out_if",
    SrcMac => "src_mac",
    DstMac => "dst_mac",
    SrcVlan => "src_vlan",
    DstVlan => "dst_vlan",
    VlanId => "vlan_id",
    IpTos => "ip_tos",
    ForwardingStatus => "forwarding_status",
    IpTtl => "ip_ttl",
    TcpFlags => "tcp_flags",
    IcmpType => "icmp_type",
    IcmpCode => "icmp_code",
    Ipv6FlowLabel => "ipv6_flow_label",
    SrcAs => "src_as",
    DstAs => "dst_as",
    NextHop => "next_hop",
    BgpNextHop => "bgp_next_hop",
    SrcNet => "src_net",
    DstNet => "dst_net",
    ObservationDomainId => "observation_domain_id",
    ObservationPointId => "observation_point_id",
    EngineType => "engine_type",
    EngineId => "engine_id",
    InIfName => "in_if_name",
    OutIfName => "out_if_name",
    InIfDescription => "in_if_description",
    OutIfDescription => "out_if_description",
    FlowDirection => "flow_direction",
    FlowEndReason => "flow_end_reason",
    TunnelType => "tunnel_type",
    TunnelSrcAddr => "tunnel_src_addr",
    TunnelDstAddr => "tunnel_dst_addr",
    TunnelProto => "tunnel_proto",
    TunnelSrcPort => "tunnel_src_port",
    TunnelDstPort => "tunnel_dst_port",
    TunnelKey => "tunnel_key",
    ReverseBytes => "reverse_bytes",
    ReversePackets => "reverse_packets",
    InitiatorBytes => "initiator_bytes",
    ResponderBytes => "responder_bytes",
    DroppedBytes => "dropped_bytes",
    DroppedPackets => "dropped_packets",
    DropReason => "drop_reason",
    DropReasonName => "drop_reason_name",
    DropFunction => "drop_function",
    DropLinuxReason => "drop_linux_reason",
    DropHwTrapGroup => "drop_hw_trap_group",
    DropHwTrap => "drop_hw_trap",
    AclNumber => "acl_number",
    AclName => "acl_name",
    AclDirection => "acl_direction",
    EgressQueue => "egress_queue",
    IpFlags => "ip_flags",
    FragmentId => "fragment_id",
    FragmentOffset => "fragment_offset",
    NextHopAs => "next_hop_as",
    AsPath => "as_path",
    BgpCommunities => "bgp_communities",
    MplsLabel => "mpls_label",
    SubAgentId => "sub_agent_id",
    SamplePool => "sample_pool",
    SampleDrops => "sample_drops",
    FrameLength => "frame_length",
    OutIfMultiple => "out_if_multiple",
    InnerVlan => "inner_vlan",
    SrcPriority => "src_priority",
    DstPriority => "dst_priority",
    SrcPeerAs => "src_peer_as",
    TunnelOptions => "tunnel_options",
    OvnIngressPort => "ovn_ingress_port",
    OvnEgressPort => "ovn_egress_port",
    SrcK8sNamespace => "src_k8s_namespace",
    SrcK8sName => "src_k8s_name",
    SrcK8sKind => "src_k8s_kind",
    SrcK8sOwnerName => "src_k8s_owner_name",
    SrcK8sOwnerKind => "src_k8s_owner_kind",
    SrcK8sNode => "src_k8s_node",
    SrcK8sLabels => "src_k8s_labels",
    DstK8sNamespace => "dst_k8s_namespace",
    DstK8sName => "dst_k8s_name",
    DstK8sKind => "dst_k8s_kind",
    DstK8sOwnerName => "dst_k8s_owner_name",
    DstK8sOwnerKind => "dst_k8s_owner_kind",
    DstK8sNode => "dst_k8s_node",
    DstK8sLabels => "dst_k8s_labels",
    SamplerName => "sampler_name",
    SamplerK8sNode => "sampler_k8s_node",
    Extra => "extra",
}

fn opt<T: Into<u64>>(v: Option<T>) -> Option<Value<'static>> {
    v.map(|v| Value::U64(v.into()))
}

fn opt_str(s: &str) -> Option<Value<'_>> {
    (!s.is_empty()).then_some(Value::Str(s))
}

fn opt_ip(a: Option<IpAddr>) -> Option<Value<'static>> {
    a.map(|a| Value::Ip(Some(a)))
}

fn meta<'a>(
    m: &'a Option<EndpointRef>,
    f: impl FnOnce(&'a EndpointMeta) -> &'a str,
) -> Option<Value<'a>> {
    m.as_deref().map(f).and_then(opt_str)
}

fn labels(m: &Option<EndpointRef>) -> Option<Value<'_>> {
    let m = m.as_deref()?;
    (!m.labels.is_empty()).then_some(Value::Labels(&m.labels))
}

impl FlowRecord {
    /// The value of one field, or `None` when an optional field is absent.
    /// `FieldId::Extra` is rendered by the renderer itself and returns `None` here.
    pub fn value(&self, id: FieldId) -> Option<Value<'_>> {
        use FieldId::*;
        let u = |v: u64| Some(Value::U64(v));
        match id {
            Type => Some(Value::Type(self.flow_type)),
            TimeReceivedNs => u(self.time_received_ns),
            SequenceNum => u(self.sequence_num.into()),
            SamplingRate => u(self.sampling_rate),
            SamplerAddress => Some(Value::Ip(self.sampler_address)),
            SamplerPort => (self.sampler_port != 0).then(|| Value::U64(self.sampler_port.into())),
            TimeFlowStartNs => u(self.time_flow_start_ns),
            TimeFlowEndNs => u(self.time_flow_end_ns),
            Bytes => u(self.bytes),
            Packets => u(self.packets),
            SrcAddr => Some(Value::Ip(self.src_addr)),
            DstAddr => Some(Value::Ip(self.dst_addr)),
            Etype => Some(Value::Etype(self.etype)),
            Proto => Some(Value::Proto(self.proto)),
            SrcPort => u(self.src_port.into()),
            DstPort => u(self.dst_port.into()),
            InIf => u(self.in_if.into()),
            OutIf => u(self.out_if.into()),
            SrcMac => Some(Value::Mac(self.src_mac)),
            DstMac => Some(Value::Mac(self.dst_mac)),
            SrcVlan => u(self.src_vlan.into()),
            DstVlan => u(self.dst_vlan.into()),
            VlanId => u(self.vlan_id.into()),
            IpTos => u(self.ip_tos.into()),
            ForwardingStatus => u(self.forwarding_status.into()),
            IpTtl => u(self.ip_ttl.into()),
            TcpFlags => u(self.tcp_flags.into()),
            IcmpType => u(self.icmp_type.into()),
            IcmpCode => u(self.icmp_code.into()),
            Ipv6FlowLabel => u(self.ipv6_flow_label.into()),
            SrcAs => u(self.src_as.into()),
            DstAs => u(self.dst_as.into()),
            NextHop => Some(Value::Ip(self.next_hop)),
            BgpNextHop => Some(Value::Ip(self.bgp_next_hop)),
            SrcNet => Some(Value::Net(self.src_addr, self.src_net)),
            DstNet => Some(Value::Net(self.dst_addr, self.dst_net)),
            ObservationDomainId => u(self.observation_domain_id.into()),
            ObservationPointId => u(self.observation_point_id.into()),
            EngineType => opt(self.engine_type),
            EngineId => opt(self.engine_id),
            InIfName => opt_str(&self.ext().in_if_name),
            OutIfName => opt_str(&self.ext().out_if_name),
            InIfDescription => opt_str(&self.ext().in_if_description),
            OutIfDescription => opt_str(&self.ext().out_if_description),
            FlowDirection => opt(self.flow_direction),
            FlowEndReason => opt(self.flow_end_reason),
            TunnelType => opt(self.ext().tunnel_type),
            TunnelSrcAddr => opt_ip(self.ext().tunnel_src_addr),
            TunnelDstAddr => opt_ip(self.ext().tunnel_dst_addr),
            TunnelProto => opt(self.ext().tunnel_proto),
            TunnelSrcPort => opt(self.ext().tunnel_src_port),
            TunnelDstPort => opt(self.ext().tunnel_dst_port),
            TunnelKey => opt(self.ext().tunnel_key),
            ReverseBytes => opt(self.ext().reverse_bytes),
            ReversePackets => opt(self.ext().reverse_packets),
            InitiatorBytes => opt(self.ext().initiator_bytes),
            ResponderBytes => opt(self.ext().responder_bytes),
            DroppedBytes => opt(self.ext().dropped_bytes),
            DroppedPackets => opt(self.ext().dropped_packets),
            DropReason => opt(self.ext().drop_reason),
            DropReasonName => self
                .ext()
                .drop_reason
                .and_then(crate::drop_reason_name)
                .map(Value::Str),
            DropFunction => opt_str(&self.ext().drop_function),
            DropLinuxReason => opt_str(&self.ext().drop_linux_reason),
            DropHwTrapGroup => opt_str(&self.ext().drop_hw_trap_group),
            DropHwTrap => opt_str(&self.ext().drop_hw_trap),
            AclNumber => opt(self.ext().acl_number),
            AclName => opt_str(&self.ext().acl_name),
            AclDirection => opt(self.ext().acl_direction),
            EgressQueue => opt(self.ext().egress_queue),
            IpFlags => u(self.ip_flags.into()),
            FragmentId => u(self.fragment_id.into()),
            FragmentOffset => u(self.fragment_offset.into()),
            NextHopAs => u(self.next_hop_as.into()),
            AsPath => Some(Value::List(&self.ext().as_path)),
            BgpCommunities => Some(Value::List(&self.ext().bgp_communities)),
            MplsLabel => Some(Value::List(&self.ext().mpls_label)),
            SubAgentId => opt(self.ext().sub_agent_id),
            SamplePool => opt(self.ext().sample_pool),
            SampleDrops => opt(self.ext().sample_drops),
            FrameLength => opt(self.ext().frame_length),
            OutIfMultiple => opt(self.ext().out_if_multiple),
            InnerVlan => opt(self.ext().inner_vlan),
            SrcPriority => opt(self.ext().src_priority),
            DstPriority => opt(self.ext().dst_priority),
            SrcPeerAs => opt(self.ext().src_peer_as),
            TunnelOptions => (!self.ext().tunnel_options.is_empty())
                .then(|| Value::Hex(&self.ext().tunnel_options)),
            OvnIngressPort => opt(self.ext().ovn_ingress_port),
            OvnEgressPort => opt(self.ext().ovn_egress_port),
            SrcK8sNamespace => meta(&self.src_k8s, |m| &m.namespace),
            SrcK8sName => meta(&self.src_k8s, |m| &m.name),
            SrcK8sKind => meta(&self.src_k8s, |m| &m.kind),
            SrcK8sOwnerName => meta(&self.src_k8s, |m| &m.owner_name),
            SrcK8sOwnerKind => meta(&self.src_k8s, |m| &m.owner_kind),
            SrcK8sNode => meta(&self.src_k8s, |m| &m.node),
            SrcK8sLabels => labels(&self.src_k8s),
            DstK8sNamespace => meta(&self.dst_k8s, |m| &m.namespace),
            DstK8sName => meta(&self.dst_k8s, |m| &m.name),
            DstK8sKind => meta(&self.dst_k8s, |m| &m.kind),
            DstK8sOwnerName => meta(&self.dst_k8s, |m| &m.owner_name),
            DstK8sOwnerKind => meta(&self.dst_k8s, |m| &m.owner_kind),
            DstK8sNode => meta(&self.dst_k8s, |m| &m.node),
            DstK8sLabels => labels(&self.dst_k8s),
            SamplerName => meta(&self.sampler_k8s, |m| &m.name),
            SamplerK8sNode => meta(&self.sampler_k8s, |m| &m.node),
            Extra => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for f in FieldId::ALL {
            assert!(seen.insert(f.name()), "duplicate {}", f.name());
            assert_eq!(FieldId::from_name(f.name()), Some(*f));
        }
        assert_eq!(FieldId::from_name("nope"), None);
    }
}
