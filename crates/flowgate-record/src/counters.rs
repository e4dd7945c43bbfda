//! sFlow counter samples. They are interface and agent statistics, not
//! flows, so they get their own record and their own output line.
//!
//! JSON, one line per counter sample:
//!
//! ```text
//! {"type":"SFLOW_COUNTERS","time_received_ns":..,"sequence_num":..,
//!  "sampler_address":"192.0.2.1","sub_agent_id":0,"sample_sequence_num":..,
//!  "source_id_class":0,"source_id_index":3,"uptime_ms":..,
//!  "generic_interface":{"if_index":3,...},"ethernet_interface":{...},
//!  "vlan":{...},"processor":{...},"openflow_port":{...},"port_name":"br0",
//!  "app_resources":{...},"ovs_dp_stats":{...},"unknown_records":0}
//! ```
//!
//! * `sequence_num` is the datagram's sequence number (as in flow records);
//!   `sample_sequence_num` is the counter sample's own, per source.
//! * `source_id_class` is 0 ifIndex, 1 VLAN, 2 entPhysicalEntry, 3 entLogicalEntry.
//! * `uptime_ms` is the agent's uptime when it sent the datagram: sFlow
//!   counter samples carry no time of their own.
//! * Each counter block is present only if the sample carried it. Its keys
//!   are the sFlow structure's field names in snake_case (`if_in_octets`,
//!   `dot3_stats_fcs_errors`, `n_hit`...), values as sent: the all-ones
//!   "unknown" value (e.g. 4294967295) is not translated.
//! * `unknown_records` counts counter blocks of other formats (host-sflow's
//!   2000-2006, LAG, ...), which were skipped by their length.

use std::net::IpAddr;

use crate::render::{write_ip, write_str, write_u64};

macro_rules! counter_block {
    ($(#[$m:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name {
            $(pub $field: $ty),*
        }

        impl $name {
            fn write_json(&self, out: &mut Vec<u8>) {
                out.push(b'{');
                let mut first = true;
                $(
                    key(out, &mut first, stringify!($field));
                    write_u64(out, self.$field as u64);
                )*
                out.push(b'}');
            }
        }
    };
}

counter_block! {
    /// generic_interface_counters (enterprise 0, format 1), RFC 2233 ifTable.
    GenericInterface {
        if_index: u32,
        if_type: u32,
        if_speed: u64,
        if_direction: u32,
        if_status: u32,
        if_in_octets: u64,
        if_in_ucast_pkts: u32,
        if_in_multicast_pkts: u32,
        if_in_broadcast_pkts: u32,
        if_in_discards: u32,
        if_in_errors: u32,
        if_in_unknown_protos: u32,
        if_out_octets: u64,
        if_out_ucast_pkts: u32,
        if_out_multicast_pkts: u32,
        if_out_broadcast_pkts: u32,
        if_out_discards: u32,
        if_out_errors: u32,
        if_promiscuous_mode: u32,
    }
}

counter_block! {
    /// ethernet_interface_counters (0/2), RFC 2358 dot3StatsTable.
    EthernetInterface {
        dot3_stats_alignment_errors: u32,
        dot3_stats_fcs_errors: u32,
        dot3_stats_single_collision_frames: u32,
        dot3_stats_multiple_collision_frames: u32,
        dot3_stats_sqe_test_errors: u32,
        dot3_stats_deferred_transmissions: u32,
        dot3_stats_late_collisions: u32,
        dot3_stats_excessive_collisions: u32,
        dot3_stats_internal_mac_transmit_errors: u32,
        dot3_stats_carrier_sense_errors: u32,
        dot3_stats_frame_too_longs: u32,
        dot3_stats_internal_mac_receive_errors: u32,
        dot3_stats_symbol_errors: u32,
    }
}

counter_block! {
    /// vlan_counters (0/5).
    VlanCounters {
        vlan_id: u32,
        octets: u64,
        ucast_pkts: u32,
        multicast_pkts: u32,
        broadcast_pkts: u32,
        discards: u32,
    }
}

counter_block! {
    /// processor (0/1001): CPU in percent, memory in bytes.
    Processor {
        five_sec_cpu: u32,
        one_min_cpu: u32,
        five_min_cpu: u32,
        total_memory: u64,
        free_memory: u64,
    }
}

counter_block! {
    /// Open vSwitch openflow_port (0/1004).
    OpenflowPort {
        datapath_id: u64,
        port_no: u32,
    }
}

counter_block! {
    /// app_resources (0/2203); Open vSwitch sends its own process's.
    AppResources {
        user_time: u32,
        system_time: u32,
        mem_used: u64,
        mem_max: u64,
        fd_open: u32,
        fd_max: u32,
        conn_open: u32,
        conn_max: u32,
    }
}

counter_block! {
    /// Open vSwitch datapath statistics (0/2207).
    OvsDpStats {
        n_hit: u32,
        n_missed: u32,
        n_lost: u32,
        n_mask_hit: u32,
        n_flows: u32,
        n_masks: u32,
    }
}

/// One sFlow counter sample. See the module documentation for its JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CounterRecord {
    pub time_received_ns: u64,
    /// Datagram sequence number.
    pub sequence_num: u32,
    /// The sFlow agent address from the datagram header (not the UDP source).
    pub sampler_address: Option<IpAddr>,
    pub sub_agent_id: u32,
    /// The counter sample's own sequence number.
    pub sample_sequence_num: u32,
    pub source_id_class: u32,
    pub source_id_index: u32,
    /// Agent uptime (ms) when the datagram was sent.
    pub uptime_ms: u32,
    pub generic_interface: Option<GenericInterface>,
    pub ethernet_interface: Option<EthernetInterface>,
    pub vlan: Option<VlanCounters>,
    pub processor: Option<Processor>,
    pub openflow_port: Option<OpenflowPort>,
    /// Open vSwitch port_name (0/1005).
    pub port_name: Option<String>,
    pub app_resources: Option<AppResources>,
    pub ovs_dp_stats: Option<OvsDpStats>,
    /// Counter blocks of formats not decoded here.
    pub unknown_records: u32,
}

impl CounterRecord {
    /// Appends one JSON line (with its newline) for this sample to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"type\":\"SFLOW_COUNTERS\"");
        let mut first = false;
        let f = &mut first;
        num(out, f, "time_received_ns", self.time_received_ns);
        num(out, f, "sequence_num", self.sequence_num.into());
        key(out, f, "sampler_address");
        write_ip(out, self.sampler_address, true);
        num(out, f, "sub_agent_id", self.sub_agent_id.into());
        num(
            out,
            f,
            "sample_sequence_num",
            self.sample_sequence_num.into(),
        );
        num(out, f, "source_id_class", self.source_id_class.into());
        num(out, f, "source_id_index", self.source_id_index.into());
        num(out, f, "uptime_ms", self.uptime_ms.into());
        let mut first = false;
        macro_rules! block {
            ($field:ident) => {
                if let Some(b) = &self.$field {
                    key(out, &mut first, stringify!($field));
                    b.write_json(out);
                }
            };
        }
        block!(generic_interface);
        block!(ethernet_interface);
        block!(vlan);
        block!(processor);
        block!(openflow_port);
        if let Some(name) = &self.port_name {
            key(out, &mut first, "port_name");
            write_str(out, name, true);
        }
        block!(app_resources);
        block!(ovs_dp_stats);
        key(out, &mut first, "unknown_records");
        write_u64(out, self.unknown_records.into());
        out.extend_from_slice(b"}\n");
    }
}

fn num(out: &mut Vec<u8>, first: &mut bool, name: &str, v: u64) {
    key(out, first, name);
    write_u64(out, v);
}

fn key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_parses_back() {
        let rec = CounterRecord {
            time_received_ns: 7,
            sequence_num: 9,
            sampler_address: Some("192.0.2.1".parse().unwrap()),
            sub_agent_id: 2,
            source_id_index: 3,
            generic_interface: Some(GenericInterface {
                if_index: 3,
                if_speed: 10_000_000_000,
                if_in_octets: u64::MAX,
                ..Default::default()
            }),
            openflow_port: Some(OpenflowPort {
                datapath_id: 0xfeed,
                port_no: 4,
            }),
            port_name: Some("veth\"1".into()),
            unknown_records: 2,
            ..Default::default()
        };
        let mut out = Vec::new();
        rec.write_json(&mut out);
        assert!(out.ends_with(b"}\n"));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["type"], "SFLOW_COUNTERS");
        assert_eq!(v["sampler_address"], "192.0.2.1");
        assert_eq!(v["sequence_num"], 9);
        assert_eq!(v["sub_agent_id"], 2);
        assert_eq!(v["source_id_index"], 3);
        assert_eq!(v["generic_interface"]["if_index"], 3);
        assert_eq!(v["generic_interface"]["if_in_octets"], u64::MAX);
        assert_eq!(v["openflow_port"]["datapath_id"], 0xfeed);
        assert_eq!(v["port_name"], "veth\"1");
        assert_eq!(v["unknown_records"], 2);
        assert!(v.get("ethernet_interface").is_none());
    }
}
