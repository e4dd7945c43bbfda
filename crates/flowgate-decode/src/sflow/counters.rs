//! Counter samples (compact 0/2, expanded 0/4) into [`CounterRecord`]s.
//! Blocks of other formats are skipped by their length and counted: tshark
//! 4.0 mis-skips Open vSwitch's 1004/1005 blocks and loses sync, which is
//! exactly what must not happen here.

use flowgate_record::{
    AppResources, CounterRecord, EthernetInterface, GenericInterface, OpenflowPort, OvsDpStats,
    Processor, VlanCounters,
};

use super::xdr::Xdr;
use super::{each_record, Header};
use crate::error::ErrorKind;

pub(crate) fn sample(
    hdr: &Header,
    expanded: bool,
    body: &[u8],
    out: &mut Vec<CounterRecord>,
) -> Result<Option<ErrorKind>, ErrorKind> {
    let mut x = Xdr::new(body);
    let bad = ErrorKind::BadLength;
    let sequence = x.u32().ok_or(bad)?;
    let (class, index) = if expanded {
        (x.u32().ok_or(bad)?, x.u32().ok_or(bad)?)
    } else {
        let id = x.u32().ok_or(bad)?;
        (id >> 24, id & 0x00ff_ffff)
    };
    let mut c = CounterRecord {
        time_received_ns: hdr.received_ns,
        sequence_num: hdr.sequence,
        sampler_address: Some(hdr.agent),
        sub_agent_id: hdr.sub_agent,
        sample_sequence_num: sequence,
        source_id_class: class,
        source_id_index: index,
        uptime_ms: hdr.uptime_ms,
        ..Default::default()
    };
    let issue = each_record(&mut x, |format, data| {
        block(&mut c, format, data).ok_or(ErrorKind::BadLength)
    })?;
    out.push(c);
    Ok(issue)
}

/// One counter block; `None` when it is shorter than its structure.
fn block(c: &mut CounterRecord, format: u32, data: &[u8]) -> Option<()> {
    let x = &mut Xdr::new(data);
    match (format >> 12, format & 0xfff) {
        (0, 1) => c.generic_interface = Some(generic(x)?),
        (0, 2) => c.ethernet_interface = Some(ethernet(x)?),
        (0, 5) => {
            c.vlan = Some(VlanCounters {
                vlan_id: x.u32()?,
                octets: x.u64()?,
                ucast_pkts: x.u32()?,
                multicast_pkts: x.u32()?,
                broadcast_pkts: x.u32()?,
                discards: x.u32()?,
            })
        }
        (0, 1001) => {
            c.processor = Some(Processor {
                five_sec_cpu: x.u32()?,
                one_min_cpu: x.u32()?,
                five_min_cpu: x.u32()?,
                total_memory: x.u64()?,
                free_memory: x.u64()?,
            })
        }
        (0, 1004) => {
            c.openflow_port = Some(OpenflowPort {
                datapath_id: x.u64()?,
                port_no: x.u32()?,
            })
        }
        (0, 1005) => c.port_name = Some(String::from_utf8_lossy(x.opaque()?).into_owned()),
        (0, 2203) => {
            c.app_resources = Some(AppResources {
                user_time: x.u32()?,
                system_time: x.u32()?,
                mem_used: x.u64()?,
                mem_max: x.u64()?,
                fd_open: x.u32()?,
                fd_max: x.u32()?,
                conn_open: x.u32()?,
                conn_max: x.u32()?,
            })
        }
        (0, 2207) => {
            c.ovs_dp_stats = Some(OvsDpStats {
                n_hit: x.u32()?,
                n_missed: x.u32()?,
                n_lost: x.u32()?,
                n_mask_hit: x.u32()?,
                n_flows: x.u32()?,
                n_masks: x.u32()?,
            })
        }
        _ => c.unknown_records = c.unknown_records.saturating_add(1),
    }
    Some(())
}

// Struct expressions evaluate their fields in the order written, which is
// the wire order here.

fn generic(x: &mut Xdr) -> Option<GenericInterface> {
    Some(GenericInterface {
        if_index: x.u32()?,
        if_type: x.u32()?,
        if_speed: x.u64()?,
        if_direction: x.u32()?,
        if_status: x.u32()?,
        if_in_octets: x.u64()?,
        if_in_ucast_pkts: x.u32()?,
        if_in_multicast_pkts: x.u32()?,
        if_in_broadcast_pkts: x.u32()?,
        if_in_discards: x.u32()?,
        if_in_errors: x.u32()?,
        if_in_unknown_protos: x.u32()?,
        if_out_octets: x.u64()?,
        if_out_ucast_pkts: x.u32()?,
        if_out_multicast_pkts: x.u32()?,
        if_out_broadcast_pkts: x.u32()?,
        if_out_discards: x.u32()?,
        if_out_errors: x.u32()?,
        if_promiscuous_mode: x.u32()?,
    })
}

fn ethernet(x: &mut Xdr) -> Option<EthernetInterface> {
    Some(EthernetInterface {
        dot3_stats_alignment_errors: x.u32()?,
        dot3_stats_fcs_errors: x.u32()?,
        dot3_stats_single_collision_frames: x.u32()?,
        dot3_stats_multiple_collision_frames: x.u32()?,
        dot3_stats_sqe_test_errors: x.u32()?,
        dot3_stats_deferred_transmissions: x.u32()?,
        dot3_stats_late_collisions: x.u32()?,
        dot3_stats_excessive_collisions: x.u32()?,
        dot3_stats_internal_mac_transmit_errors: x.u32()?,
        dot3_stats_carrier_sense_errors: x.u32()?,
        dot3_stats_frame_too_longs: x.u32()?,
        dot3_stats_internal_mac_receive_errors: x.u32()?,
        dot3_stats_symbol_errors: x.u32()?,
    })
}
