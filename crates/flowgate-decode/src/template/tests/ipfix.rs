//! IPFIX decoding.

use flowgate_record::FlowType;

use super::builder::*;
use super::ovs::{ovs_record, OVS_EGRESS_TUNNEL, OVS_TEMPLATE_ID};
use crate::ErrorKind;

const EXPORT_NS: u64 = EXPORT_SECS as u64 * 1_000_000_000;

#[test]
fn ovs_egress_template() {
    let mut h = Harness::new();
    let msg = Msg::ipfix(0)
        .template(OVS_TEMPLATE_ID, &OVS_EGRESS_TUNNEL)
        .data(OVS_TEMPLATE_ID, &[ovs_record()]);
    let rep = h.feed(&msg);
    assert_eq!(
        (rep.records, rep.data_records_seen, rep.templates),
        (1, 1, 1)
    );
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    let r = h.last();
    assert_eq!(r.flow_type, FlowType::Ipfix);
    assert_eq!((r.in_if, r.out_if), (5, 7));
    assert_eq!(
        (r.ext().in_if_name.as_str(), r.ext().out_if_name.as_str()),
        ("veth1", "veth2")
    );
    assert!(r.ext().in_if_description.is_empty() && r.ext().out_if_description.is_empty());
    assert_eq!(
        (r.packets, r.bytes),
        (400, 400 * 76),
        "delta counters, not totals"
    );
    assert_eq!(
        (r.ext().dropped_packets, r.ext().dropped_bytes),
        (Some(400), Some(0))
    );
    assert_eq!(extra(r, 0, 86), Some(&26_000u64.to_be_bytes()[..]));
    assert_eq!(extra(r, 0, 352), Some(&(400u64 * 90).to_be_bytes()[..]));
    assert_eq!(
        r.sampling_rate, 0,
        "OVS sends no rate and counters are scaled"
    );
    assert_eq!(r.time_flow_start_ns, EXPORT_NS - 2_500_000_000);
    assert_eq!(r.time_flow_end_ns, EXPORT_NS - 500_000_000);
    assert_eq!(
        (r.src_mac, r.dst_mac, r.etype),
        (0x0a0b0c0d0e0f, 0x020000000001, 0x0800)
    );
    assert_eq!(
        (r.ip_ttl, r.proto, r.src_port, r.dst_port),
        (64, 17, 5353, 53)
    );
    assert_eq!((r.flow_direction, r.flow_end_reason), (Some(1), Some(2)));
    assert_eq!(r.ext().tunnel_src_addr, Some("172.16.0.1".parse().unwrap()));
    assert_eq!(r.ext().tunnel_dst_addr, Some("172.16.0.2".parse().unwrap()));
    assert_eq!(
        (
            r.ext().tunnel_proto,
            r.ext().tunnel_src_port,
            r.ext().tunnel_dst_port
        ),
        (Some(17), Some(49152), Some(4789))
    );
    assert_eq!(
        (r.ext().tunnel_type, r.ext().tunnel_key),
        (Some(1), Some(16))
    );
    assert_eq!(extra(r, 0, 240), Some(&[14u8][..]));
    let ids: Vec<u16> = r.extras.iter().map(|x| x.id).collect();
    let wire_order = [
        240, 368, 369, 60, 195, 196, 135, 86, 354, 355, 356, 357, 358, 19, 174, 352, 353, 134, 85,
        198, 199, 25, 26, 20, 175,
    ];
    assert_eq!(ids, wire_order);
    assert_eq!(extra(r, 0, 175), Some(&0u64.to_be_bytes()[..]));
}

/// softflowd IPFIX: 21/22 are uptimes; the options record carries
/// systemInitTimeMilliseconds and 305/306.
#[test]
fn softflowd_uptimes_and_options() {
    let mut h = Harness::new();
    let tpl = [
        f(8, 4),
        f(12, 4),
        f(1, 4),
        f(2, 4),
        f(22, 4),
        f(21, 4),
        f(4, 1),
    ];
    let rec = Rec::new()
        .ip("10.0.0.1")
        .ip("10.0.0.2")
        .u32(60)
        .u32(1)
        .u32(1_356)
        .u32(2_000)
        .u8(6);
    // data first: no init time known, so times stay 0
    h.feed(
        &Msg::ipfix(0)
            .template(1024, &tpl)
            .data(1024, std::slice::from_ref(&rec)),
    );
    assert_eq!(
        (h.last().time_flow_start_ns, h.last().time_flow_end_ns),
        (0, 0)
    );
    let init_ms = 1_431_516_000_000u64;
    let opts = Msg::ipfix(0)
        .options(
            256,
            &[f(143, 4)],
            &[f(160, 8), f(305, 4), f(306, 4), f(304, 2), f(82, 16)],
        )
        .data(
            256,
            &[Rec::new()
                .u32(4242)
                .u64(init_ms)
                .u32(1)
                .u32(9)
                .u16(2)
                .bytes(&[0; 16])],
        );
    let rep = h.feed(&opts);
    assert_eq!(
        (rep.options_records, rep.data_records_seen, rep.records),
        (1, 1, 0)
    );
    h.feed(&Msg::ipfix(0).data(1024, &[rec]));
    let r = h.last();
    assert_eq!(r.time_flow_start_ns, (init_ms + 1_356) * 1_000_000);
    assert_eq!(r.time_flow_end_ns, (init_ms + 2_000) * 1_000_000);
    assert_eq!(r.sampling_rate, 10, "(interval + space) / interval");
    assert_eq!(r.etype, 0x0800, "inferred from the address");
}

#[test]
fn init_time_in_the_record_itself() {
    let mut h = Harness::new();
    let tpl = [f(22, 4), f(160, 8), f(21, 4)];
    h.feed(
        &Msg::ipfix(3)
            .template(300, &tpl)
            .data(300, &[Rec::new().u32(10).u64(1_000).u32(20)]),
    );
    let r = h.last();
    assert_eq!(
        (r.time_flow_start_ns, r.time_flow_end_ns),
        (1_010_000_000, 1_020_000_000)
    );
}

#[test]
fn absolute_timestamps() {
    let mut h = Harness::new();
    let ntp = |unix: u64, frac: u32| ((unix + 2_208_988_800) << 32) | frac as u64;
    let cases = [
        (
            [f(150, 4), f(151, 4)],
            Rec::new().u32(1_000).u32(2_000),
            (1_000_000_000_000, 2_000_000_000_000),
        ),
        (
            [f(152, 8), f(153, 8)],
            Rec::new().u64(3_000).u64(4_000),
            (3_000_000_000, 4_000_000_000),
        ),
        // microseconds: the 11 low fraction bits are ignored
        (
            [f(154, 8), f(155, 8)],
            Rec::new().u64(ntp(5, 0x8000_07ff)).u64(ntp(6, 0)),
            (5_500_000_000, 6_000_000_000),
        ),
        (
            [f(156, 8), f(157, 8)],
            Rec::new().u64(ntp(7, 0x4000_0000)).u64(ntp(8, 0)),
            (7_250_000_000, 8_000_000_000),
        ),
    ];
    for (i, (tpl, rec, want)) in cases.into_iter().enumerate() {
        let id = 300 + i as u16;
        h.feed(&Msg::ipfix(0).template(id, &tpl).data(id, &[rec]));
        assert_eq!(
            (h.last().time_flow_start_ns, h.last().time_flow_end_ns),
            want,
            "case {i}"
        );
    }
}

#[test]
fn withdrawals() {
    let mut h = Harness::new();
    let addr = ADDR.parse().unwrap();
    let msg = Msg::ipfix(0)
        .template(300, &[f(8, 4)])
        .template(301, &[f(8, 4)])
        .template(302, &[f(8, 4)])
        .options(400, &[f(144, 4)], &[f(41, 8)])
        .options(401, &[f(144, 4)], &[f(41, 8)]);
    assert_eq!(h.feed(&msg).templates, 5);
    let rep = h.feed(&Msg::ipfix(0).withdraw(2, 300));
    assert_eq!(rep.templates_withdrawn, 1);
    assert_eq!(h.dec.store().template_count(addr), 4);
    let rep = h.feed(&Msg::ipfix(0).data(300, &[Rec::new().ip("10.0.0.1")]));
    assert_eq!((rep.records, rep.sets_held), (0, 1));
    h.feed(&Msg::ipfix(0).withdraw(3, 3));
    assert_eq!(
        h.dec.store().template_count(addr),
        2,
        "all options templates"
    );
    h.feed(&Msg::ipfix(0).withdraw(2, 2));
    assert_eq!(h.dec.store().template_count(addr), 0, "all data templates");
    let rep = h.feed(&Msg::ipfix(0).withdraw(2, 100));
    assert_eq!(rep.issues.get(ErrorKind::BadTemplate), 1);
}

#[test]
fn message_length_against_datagram_length() {
    let mut h = Harness::new();
    let tpl = [f(8, 4), f(1, 4)];
    let recs = [
        Rec::new().ip("10.0.0.1").u32(1),
        Rec::new().ip("10.0.0.2").u32(2),
    ];
    let good = Msg::ipfix(0).template(300, &tpl).data(300, &recs).build();
    // telegraf issue 14370: length 290 in a 292-byte datagram
    let mut long = good.clone();
    long.extend([0, 0]);
    let rep = h.feed_raw(ADDR, &long);
    assert_eq!((rep.records, rep.issues.get(ErrorKind::BadLength)), (2, 1));
    // header longer than the datagram: decode what is there
    let mut short = good.clone();
    short[3] += 8;
    let rep = h.feed_raw(ADDR, &short);
    assert_eq!((rep.records, rep.issues.get(ErrorKind::Truncated)), (2, 1));
    let mut bad = good;
    bad[2..4].copy_from_slice(&8u16.to_be_bytes());
    let err = h
        .dec
        .decode(exporter_at(ADDR, 1), &bad, &mut h.out)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadLength);
    let err = h
        .dec
        .decode(exporter_at(ADDR, 1), &bad[..10], &mut h.out)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Truncated);
}

#[test]
fn enterprise_and_reverse_elements() {
    let mut h = Harness::new();
    let tpl = [
        f(8, 4),
        e(29305, 1, 8),
        e(29305, 2, 4),
        e(29305, 6, 1),
        e(10704, 7, VAR),
        f(1, 8),
    ];
    let rec = Rec::new()
        .ip("10.0.0.1")
        .u64(5000)
        .u32(9)
        .u8(0x1b)
        .var(b"app")
        .u64(100);
    h.feed(&Msg::ipfix(0).template(256, &tpl).data(256, &[rec]));
    let r = h.last();
    assert_eq!(
        (r.bytes, r.ext().reverse_bytes, r.ext().reverse_packets),
        (100, Some(5000), Some(9))
    );
    assert_eq!(extra(r, 29305, 6), Some(&[0x1b][..]));
    assert_eq!(extra(r, 10704, 7), Some(&b"app"[..]));
}

/// A variable-length extra moves the extras of the fields after it: each
/// record's entries point at its own bytes, whatever length came before.
#[test]
fn extras_after_a_variable_length_extra() {
    let mut h = Harness::new();
    let tpl = [
        f(195, 1),
        e(10704, 7, VAR),
        f(8, 4),
        f(86, 8),
        f(196, 1),
        f(82, VAR),
        f(135, 4),
    ];
    let rec = |app: &[u8], n: u8| {
        Rec::new()
            .u8(n)
            .var(app)
            .ip("10.0.0.1")
            .u64(1000 + n as u64)
            .u8(n + 1)
            .var(b"veth1")
            .u32(7 + n as u32)
    };
    let msg = Msg::ipfix(0)
        .template(256, &tpl)
        .data(256, &[rec(b"app", 1), rec(b"", 2), rec(&[9; 300], 3)]);
    let rep = h.feed(&msg);
    assert_eq!(rep.records, 3);
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    for (r, (app, n)) in h
        .records()
        .iter()
        .zip([(&b"app"[..], 1u8), (b"", 2), (&[9; 300], 3)])
    {
        assert_eq!(extra(r, 0, 195), Some(&[n][..]));
        assert_eq!(extra(r, 10704, 7), Some(app));
        assert_eq!(extra(r, 0, 86), Some(&(1000 + n as u64).to_be_bytes()[..]));
        assert_eq!(extra(r, 0, 196), Some(&[n + 1][..]));
        assert_eq!(extra(r, 0, 135), Some(&(7 + n as u32).to_be_bytes()[..]));
        let ids: Vec<u16> = r.extras.iter().map(|x| x.id).collect();
        assert_eq!(ids, [195, 7, 86, 196, 135], "wire order");
        assert_eq!(r.ext().in_if_name, "veth1");
    }
}

#[test]
fn variable_lengths_padding_and_overruns() {
    let mut h = Harness::new();
    let tpl = [f(8, 4), f(96, VAR), f(82, VAR)];
    let long = vec![0xee; 300];
    let recs = [
        Rec::new().ip("10.0.0.1").var(&long).var(b"eth0"),
        Rec::new().ip("10.0.0.2").var(b"").var(b"eth1"),
    ];
    // the builder pads the set; 2 trailing bytes < 6-byte minimum record
    let msg = Msg::ipfix(0).template(300, &tpl).data(300, &recs);
    let rep = h.feed(&msg);
    assert_eq!(rep.records, 2);
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    assert_eq!(extra(&h.records()[0], 0, 96).map(<[u8]>::len), Some(300));
    assert_eq!(h.last().ext().in_if_name, "eth1");
    // a variable-length field longer than its set
    let bad = Rec::new().ip("10.0.0.3").u8(200).bytes(&[1; 10]);
    let rep = h.feed(&Msg::ipfix(0).data(300, &[recs[1].clone(), bad]));
    assert_eq!((rep.records, rep.issues.get(ErrorKind::BadVarLen)), (1, 1));
    assert_eq!(h.last().src_addr, Some("10.0.0.2".parse().unwrap()));
}

#[test]
fn bad_options_template_scope() {
    let mut h = Harness::new();
    let rep = h.feed(&Msg::ipfix(0).options(400, &[], &[f(41, 8)]));
    assert_eq!(
        (rep.templates, rep.issues.get(ErrorKind::BadTemplate)),
        (0, 1)
    );
    let rep = h.feed(&Msg::ipfix(0).set(1, &[0; 8]));
    assert_eq!(rep.issues.get(ErrorKind::BadSetId), 1, "set id 1 is v9's");
}

#[test]
fn selector_rates_from_cisco_xr_options() {
    let mut h = Harness::new();
    let opts = Msg::ipfix(0)
        .options(
            257,
            &[f(302, 4)],
            &[f(305, 4), f(304, 2), f(309, 4), f(310, 4), f(335, VAR)],
        )
        .data(
            257,
            &[Rec::new().u32(1).u32(1).u16(3).u32(1).u32(256).var(b"MAP")],
        );
    assert_eq!(h.feed(&opts).options_records, 1);
    let tpl = [f(27, 16), f(302, 4), f(252, 4), f(253, 4)];
    let rec = Rec::new().ip("2001:db8::1").u32(1).u32(11).u32(12);
    h.feed(&Msg::ipfix(0).template(342, &tpl).data(342, &[rec]));
    let r = h.last();
    assert_eq!(r.sampling_rate, 256);
    assert_eq!(
        (r.in_if, r.out_if),
        (11, 12),
        "physical interfaces as fallback"
    );
}

#[test]
fn data_records_seen_counts_data_and_options() {
    let mut h = Harness::new();
    let msg = Msg::ipfix(0)
        .options(400, &[f(144, 4)], &[f(41, 8)])
        .data(400, &[Rec::new().u32(1).u64(2)])
        .template(300, &[f(8, 4)])
        .data(300, &[Rec::new().ip("10.0.0.1"), Rec::new().ip("10.0.0.2")])
        .data(999, &[Rec::new().ip("10.0.0.3")]);
    let rep = h.feed(&msg);
    assert_eq!(
        (rep.data_records_seen, rep.records, rep.options_records),
        (3, 2, 1)
    );
    assert_eq!(
        (rep.sets_held, rep.issues.get(ErrorKind::MissingTemplate)),
        (1, 1)
    );
}
