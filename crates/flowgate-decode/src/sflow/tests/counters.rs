use super::*;

fn generic(if_index: u32) -> Vec<u8> {
    let mut b = u32s(&[if_index, 6, 0, 1_000_000_000, 1, 3, 0, 12_345]);
    b.extend(u32s(&[
        10, 11, 12, 13, 14, 15, 0, 67_890, 20, 21, 22, 23, 24, 1,
    ]));
    assert_eq!(b.len(), 88);
    element(1, &b)
}

fn only(data: &[u8]) -> (DatagramReport, Vec<CounterRecord>) {
    let (r, flows, counters) = decode_all(data);
    assert!(flows.is_empty());
    (r.unwrap(), counters)
}

#[test]
fn interface_vlan_and_processor_counters() {
    let eth = element(2, &u32s(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
    let vlan = element(5, &u32s(&[100, 0, 5000, 1, 2, 3, 4]));
    let cpu = element(1001, &u32s(&[5, 6, 7, 0, 8_000_000, 0, 4_000_000]));
    let d = datagram(&[counter_sample(
        (1 << 24) | 100,
        &[generic(3), eth, vlan, cpu],
    )]);
    let (rep, c) = only(&d);
    assert_eq!((rep.counter_samples, rep.records), (1, 0));
    let c = &c[0];
    assert_eq!(
        (c.sampler_address, c.sub_agent_id, c.sequence_num),
        (ip(AGENT), 7, 42)
    );
    assert_eq!(
        (c.sample_sequence_num, c.source_id_class, c.source_id_index),
        (77, 1, 100)
    );
    assert_eq!(
        (c.uptime_ms, c.time_received_ns),
        (123_456, exporter().received_ns)
    );
    let g = c.generic_interface.unwrap();
    assert_eq!(
        (g.if_index, g.if_type, g.if_speed, g.if_status),
        (3, 6, 1_000_000_000, 3)
    );
    assert_eq!(
        (g.if_in_octets, g.if_in_unknown_protos, g.if_out_octets),
        (12_345, 15, 67_890)
    );
    assert_eq!((g.if_out_errors, g.if_promiscuous_mode), (24, 1));
    let e = c.ethernet_interface.unwrap();
    assert_eq!(
        (e.dot3_stats_alignment_errors, e.dot3_stats_symbol_errors),
        (1, 13)
    );
    let v = c.vlan.unwrap();
    assert_eq!((v.vlan_id, v.octets, v.discards), (100, 5000, 4));
    let p = c.processor.unwrap();
    assert_eq!(
        (p.five_min_cpu, p.total_memory, p.free_memory),
        (7, 8_000_000, 4_000_000)
    );
    assert_eq!(c.unknown_records, 0);
}

#[test]
fn open_vswitch_port_counters_stay_in_sync() {
    // what tshark 4.0 gets wrong: 1004 and 1005 before the generic block
    let of = element(1004, &u32s(&[0, 0x0000_5e00_u32, 2]));
    let name = element(1005, &opaque(b"veth-pod1"));
    let host = element(2001, &[0xab; 36]);
    let d = datagram(&[counter_sample(5, &[of, name, host, generic(5)])]);
    let (rep, c) = only(&d);
    assert!(rep.issues.is_empty());
    let c = &c[0];
    assert_eq!(c.openflow_port.unwrap().datapath_id, 0x5e00);
    assert_eq!(c.openflow_port.unwrap().port_no, 2);
    assert_eq!(c.port_name.as_deref(), Some("veth-pod1"));
    assert_eq!(c.unknown_records, 1);
    assert_eq!(c.generic_interface.unwrap().if_index, 5);
}

#[test]
fn bridge_counters_app_resources_and_datapath() {
    let app = element(
        2203,
        &u32s(&[100, 200, 0, 1 << 20, 0, 1 << 30, 30, 1024, 0, 0]),
    );
    let dp = element(2207, &u32s(&[1, 2, 3, 4, 5, 6]));
    let d = datagram(&[expanded_counter_sample(2, 1000, &[app, dp])]);
    let (rep, c) = only(&d);
    assert_eq!(rep.counter_samples, 1);
    let c = &c[0];
    assert_eq!((c.source_id_class, c.source_id_index), (2, 1000));
    let a = c.app_resources.unwrap();
    assert_eq!(
        (a.user_time, a.mem_used, a.mem_max, a.fd_open, a.conn_max),
        (100, 1 << 20, 1 << 30, 30, 0)
    );
    let s = c.ovs_dp_stats.unwrap();
    assert_eq!((s.n_hit, s.n_missed, s.n_lost, s.n_masks), (1, 2, 3, 6));
}

#[test]
fn decode_counts_counters_without_keeping_them() {
    let d = datagram(&[
        counter_sample(5, &[generic(5)]),
        flow_sample(1, 1, 2, &[raw_header(1, 64, &tcp_frame())]),
    ]);
    let mut flows = RecordBatch::new();
    let rep = crate::Decoder::default()
        .decode(exporter(), &d, &mut flows)
        .unwrap();
    assert_eq!(
        (rep.counter_samples, rep.flow_samples, rep.records),
        (1, 1, 1)
    );
    assert_eq!(flows.len(), 1);
}

#[test]
fn short_counter_block_is_a_length_lie() {
    let d = datagram(&[
        counter_sample(5, &[generic(1)]),
        counter_sample(5, &[element(1, &[0; 40])]),
    ]);
    let (rep, c) = only(&d);
    assert_eq!(rep.issues.get(crate::ErrorKind::BadLength), 1);
    assert_eq!((rep.counter_samples, c.len()), (1, 1));
}
