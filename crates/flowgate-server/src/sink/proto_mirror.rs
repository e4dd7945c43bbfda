//! flowpb.FlowMessage as prost sees it, written field by field from
//! proto/flow.proto (not from the encoder), for `proto_tests`.

use std::collections::HashMap;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Extra {
    #[prost(uint32, tag = "1")]
    pub pen: u32,
    #[prost(uint32, tag = "2")]
    pub id: u32,
    #[prost(bytes = "vec", tag = "3")]
    pub value: Vec<u8>,
}

/// flowpb.FlowMessage, field by field from proto/flow.proto.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FlowMessage {
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    #[prost(uint64, tag = "110")]
    pub time_received_ns: u64,
    #[prost(uint32, tag = "4")]
    pub sequence_num: u32,
    #[prost(uint64, tag = "3")]
    pub sampling_rate: u64,
    #[prost(bytes = "vec", tag = "11")]
    pub sampler_address: Vec<u8>,
    #[prost(uint64, tag = "111")]
    pub time_flow_start_ns: u64,
    #[prost(uint64, tag = "112")]
    pub time_flow_end_ns: u64,
    #[prost(uint64, tag = "9")]
    pub bytes: u64,
    #[prost(uint64, tag = "10")]
    pub packets: u64,
    #[prost(bytes = "vec", tag = "6")]
    pub src_addr: Vec<u8>,
    #[prost(bytes = "vec", tag = "7")]
    pub dst_addr: Vec<u8>,
    #[prost(uint32, tag = "30")]
    pub etype: u32,
    #[prost(uint32, tag = "20")]
    pub proto: u32,
    #[prost(uint32, tag = "21")]
    pub src_port: u32,
    #[prost(uint32, tag = "22")]
    pub dst_port: u32,
    #[prost(uint32, tag = "18")]
    pub in_if: u32,
    #[prost(uint32, tag = "19")]
    pub out_if: u32,
    #[prost(uint64, tag = "27")]
    pub src_mac: u64,
    #[prost(uint64, tag = "28")]
    pub dst_mac: u64,
    #[prost(uint32, tag = "33")]
    pub src_vlan: u32,
    #[prost(uint32, tag = "34")]
    pub dst_vlan: u32,
    #[prost(uint32, tag = "29")]
    pub vlan_id: u32,
    #[prost(uint32, tag = "23")]
    pub ip_tos: u32,
    #[prost(uint32, tag = "24")]
    pub forwarding_status: u32,
    #[prost(uint32, tag = "25")]
    pub ip_ttl: u32,
    #[prost(uint32, tag = "38")]
    pub ip_flags: u32,
    #[prost(uint32, tag = "26")]
    pub tcp_flags: u32,
    #[prost(uint32, tag = "31")]
    pub icmp_type: u32,
    #[prost(uint32, tag = "32")]
    pub icmp_code: u32,
    #[prost(uint32, tag = "37")]
    pub ipv6_flow_label: u32,
    #[prost(uint32, tag = "35")]
    pub fragment_id: u32,
    #[prost(uint32, tag = "36")]
    pub fragment_offset: u32,
    #[prost(uint32, tag = "14")]
    pub src_as: u32,
    #[prost(uint32, tag = "15")]
    pub dst_as: u32,
    #[prost(bytes = "vec", tag = "12")]
    pub next_hop: Vec<u8>,
    #[prost(uint32, tag = "13")]
    pub next_hop_as: u32,
    #[prost(uint32, tag = "16")]
    pub src_net: u32,
    #[prost(uint32, tag = "17")]
    pub dst_net: u32,
    #[prost(bytes = "vec", tag = "100")]
    pub bgp_next_hop: Vec<u8>,
    #[prost(uint32, repeated, tag = "101")]
    pub bgp_communities: Vec<u32>,
    #[prost(uint32, repeated, tag = "102")]
    pub as_path: Vec<u32>,
    #[prost(uint32, repeated, tag = "81")]
    pub mpls_label: Vec<u32>,
    #[prost(uint32, tag = "70")]
    pub observation_domain_id: u32,
    #[prost(uint32, tag = "71")]
    pub observation_point_id: u32,
    #[prost(uint32, tag = "1000")]
    pub sampler_port: u32,
    #[prost(uint32, optional, tag = "1001")]
    pub engine_type: Option<u32>,
    #[prost(uint32, optional, tag = "1002")]
    pub engine_id: Option<u32>,
    #[prost(string, tag = "1003")]
    pub in_if_name: String,
    #[prost(string, tag = "1004")]
    pub out_if_name: String,
    #[prost(string, tag = "1005")]
    pub in_if_description: String,
    #[prost(string, tag = "1006")]
    pub out_if_description: String,
    #[prost(uint32, optional, tag = "1007")]
    pub flow_direction: Option<u32>,
    #[prost(uint32, optional, tag = "1008")]
    pub flow_end_reason: Option<u32>,
    #[prost(uint32, optional, tag = "1009")]
    pub tunnel_type: Option<u32>,
    #[prost(bytes = "vec", tag = "1010")]
    pub tunnel_src_addr: Vec<u8>,
    #[prost(bytes = "vec", tag = "1011")]
    pub tunnel_dst_addr: Vec<u8>,
    #[prost(uint32, optional, tag = "1012")]
    pub tunnel_proto: Option<u32>,
    #[prost(uint32, optional, tag = "1013")]
    pub tunnel_src_port: Option<u32>,
    #[prost(uint32, optional, tag = "1014")]
    pub tunnel_dst_port: Option<u32>,
    #[prost(uint64, optional, tag = "1015")]
    pub tunnel_key: Option<u64>,
    #[prost(uint64, optional, tag = "1016")]
    pub reverse_bytes: Option<u64>,
    #[prost(uint64, optional, tag = "1017")]
    pub reverse_packets: Option<u64>,
    #[prost(uint64, optional, tag = "1018")]
    pub initiator_bytes: Option<u64>,
    #[prost(uint64, optional, tag = "1019")]
    pub responder_bytes: Option<u64>,
    #[prost(uint64, optional, tag = "1020")]
    pub dropped_bytes: Option<u64>,
    #[prost(uint64, optional, tag = "1021")]
    pub dropped_packets: Option<u64>,
    #[prost(uint32, optional, tag = "1022")]
    pub drop_reason: Option<u32>,
    #[prost(string, tag = "1023")]
    pub drop_reason_name: String,
    #[prost(string, tag = "1024")]
    pub drop_function: String,
    #[prost(string, tag = "1025")]
    pub drop_linux_reason: String,
    #[prost(string, tag = "1026")]
    pub drop_hw_trap_group: String,
    #[prost(string, tag = "1027")]
    pub drop_hw_trap: String,
    #[prost(uint32, optional, tag = "1028")]
    pub acl_number: Option<u32>,
    #[prost(string, tag = "1029")]
    pub acl_name: String,
    #[prost(uint32, optional, tag = "1030")]
    pub acl_direction: Option<u32>,
    #[prost(uint32, optional, tag = "1031")]
    pub egress_queue: Option<u32>,
    #[prost(uint32, optional, tag = "1032")]
    pub sub_agent_id: Option<u32>,
    #[prost(uint32, optional, tag = "1033")]
    pub sample_pool: Option<u32>,
    #[prost(uint32, optional, tag = "1034")]
    pub sample_drops: Option<u32>,
    #[prost(uint32, optional, tag = "1035")]
    pub frame_length: Option<u32>,
    #[prost(uint32, optional, tag = "1036")]
    pub out_if_multiple: Option<u32>,
    #[prost(uint32, optional, tag = "1037")]
    pub inner_vlan: Option<u32>,
    #[prost(uint32, optional, tag = "1038")]
    pub src_priority: Option<u32>,
    #[prost(uint32, optional, tag = "1039")]
    pub dst_priority: Option<u32>,
    #[prost(uint32, optional, tag = "1040")]
    pub src_peer_as: Option<u32>,
    #[prost(bytes = "vec", tag = "1041")]
    pub tunnel_options: Vec<u8>,
    #[prost(uint32, optional, tag = "1042")]
    pub ovn_ingress_port: Option<u32>,
    #[prost(uint32, optional, tag = "1043")]
    pub ovn_egress_port: Option<u32>,
    #[prost(string, tag = "1100")]
    pub src_k8s_namespace: String,
    #[prost(string, tag = "1101")]
    pub src_k8s_name: String,
    #[prost(string, tag = "1102")]
    pub src_k8s_kind: String,
    #[prost(string, tag = "1103")]
    pub src_k8s_owner_name: String,
    #[prost(string, tag = "1104")]
    pub src_k8s_owner_kind: String,
    #[prost(string, tag = "1105")]
    pub src_k8s_node: String,
    #[prost(map = "string, string", tag = "1106")]
    pub src_k8s_labels: HashMap<String, String>,
    #[prost(string, tag = "1110")]
    pub dst_k8s_namespace: String,
    #[prost(string, tag = "1115")]
    pub dst_k8s_node: String,
    #[prost(map = "string, string", tag = "1116")]
    pub dst_k8s_labels: HashMap<String, String>,
    #[prost(string, tag = "1120")]
    pub sampler_name: String,
    #[prost(string, tag = "1121")]
    pub sampler_k8s_node: String,
    #[prost(message, repeated, tag = "1200")]
    pub extra: Vec<Extra>,
}
