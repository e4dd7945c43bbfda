//! NetFlow v9 decoding.

use flowgate_record::FlowType;

use super::builder::*;
use crate::{ErrorKind, Limits};

/// softflowd's IPv4 template 1024.
pub(crate) const SOFTFLOWD_V4: [Field; 16] = [
    f(8, 4),
    f(12, 4),
    f(22, 4),
    f(21, 4),
    f(1, 4),
    f(2, 4),
    f(10, 4),
    f(14, 4),
    f(61, 1),
    f(136, 1),
    f(7, 2),
    f(11, 2),
    f(4, 1),
    f(6, 1),
    f(60, 1),
    f(5, 1),
];

pub(crate) fn softflowd_rec(last_octet: u8) -> Rec {
    Rec::new()
        .bytes(&[10, 0, 0, last_octet])
        .ip("10.0.1.1")
        .u32(UPTIME_MS - 5_000) // start 5 s before export
        .u32(UPTIME_MS - 1_000)
        .u32(1500)
        .u32(3)
        .u32(2)
        .u32(3)
        .u8(1)
        .u8(2)
        .u16(40000)
        .u16(443)
        .u8(6)
        .u8(0x12)
        .u8(4)
        .u8(0x20)
}

#[test]
fn fields_times_and_common_values() {
    let mut h = Harness::new();
    let msg = Msg::v9(5)
        .template(1024, &SOFTFLOWD_V4)
        .data(1024, &[softflowd_rec(1), softflowd_rec(2)]);
    let rep = h.feed(&msg);
    assert_eq!(
        (rep.records, rep.templates, rep.domain, rep.sequence),
        (2, 1, 5, 7)
    );
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    let r = h.last();
    assert_eq!(r.flow_type, FlowType::NetflowV9);
    assert_eq!(r.src_addr, Some("10.0.0.2".parse().unwrap()));
    assert_eq!(r.dst_addr, Some("10.0.1.1".parse().unwrap()));
    assert_eq!((r.bytes, r.packets, r.in_if, r.out_if), (1500, 3, 2, 3));
    assert_eq!(
        (r.src_port, r.dst_port, r.proto, r.tcp_flags, r.ip_tos),
        (40000, 443, 6, 0x12, 0x20)
    );
    assert_eq!((r.flow_direction, r.flow_end_reason), (Some(1), Some(2)));
    assert_eq!(r.etype, 0x0800, "from ipVersion 4");
    let export_ns = EXPORT_SECS as u64 * 1_000_000_000;
    assert_eq!(r.time_flow_start_ns, export_ns - 5_000_000_000);
    assert_eq!(r.time_flow_end_ns, export_ns - 1_000_000_000);
    assert_eq!(r.sampler_address, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(
        (r.sampler_port, r.sequence_num, r.observation_domain_id),
        (4739, 7, 5)
    );
    assert_eq!(r.time_received_ns, h.now);
}

#[test]
fn header_count_is_reported_not_trusted() {
    let mut h = Harness::new();
    let mut msg = Msg::v9(0).template(1024, &SOFTFLOWD_V4).data(
        1024,
        &[softflowd_rec(1), softflowd_rec(2), softflowd_rec(3)],
    );
    msg.count = Some(1); // softflowd counts only the templates
    let rep = h.feed(&msg);
    assert_eq!((rep.records, rep.header_count), (3, 1));
}

#[test]
fn options_sampling_applies_to_the_domain() {
    let mut h = Harness::new();
    // softflowd v9 options: scope Interface(2):4, 34:4, 35:1, 82:16
    let name = *b"eth0\0\0\0\0\0\0\0\0\0\0\0\0";
    let msg = Msg::v9(0)
        .options(256, &[f(2, 4)], &[f(34, 4), f(35, 1), f(82, 16)])
        .data(256, &[Rec::new().u32(0).u32(100).u8(1).bytes(&name)])
        .template(1024, &SOFTFLOWD_V4)
        .data(1024, &[softflowd_rec(1)]);
    let rep = h.feed(&msg);
    assert_eq!((rep.records, rep.options_records), (1, 1));
    assert_eq!(h.records().len(), 1, "options records are not flows");
    assert_eq!(h.last().sampling_rate, 100);
    // a different source id has its own rate
    h.feed(
        &Msg::v9(1)
            .template(1024, &SOFTFLOWD_V4)
            .data(1024, &[softflowd_rec(1)]),
    );
    assert_eq!(h.last().sampling_rate, 0);
}

#[test]
fn sampler_ids_and_rates_in_data_records() {
    let mut h = Harness::new();
    // Cisco: options per sampler (48 id, 49 mode, 50 interval); records name their sampler
    let opts = Msg::v9(0)
        .options(257, &[f(1, 4)], &[f(48, 2), f(50, 4), f(49, 1), f(34, 4)])
        .data(
            257,
            &[
                Rec::new().u32(0).u16(1).u32(2000).u8(2).u32(2000),
                Rec::new().u32(0).u16(2).u32(4000).u8(2).u32(4000),
            ],
        );
    assert_eq!(h.feed(&opts).options_records, 2);
    let tpl = [f(8, 4), f(1, 4), f(48, 1)];
    let rec = |sampler: u8| Rec::new().ip("10.0.0.1").u32(10).u8(sampler);
    h.feed(
        &Msg::v9(0)
            .template(300, &tpl)
            .data(300, &[rec(2), rec(1), rec(9)]),
    );
    let rates: Vec<u64> = h.records().iter().map(|r| r.sampling_rate).collect();
    assert_eq!(
        rates,
        [4000, 2000, 0],
        "unknown sampler, two known: no domain rate"
    );
    assert_eq!(extra(h.last(), 0, 48), Some(&[9u8][..]));
    // the rate carried by the record itself wins
    h.out.clear();
    let tpl = [f(8, 4), f(34, 4), f(35, 1)];
    h.feed(
        &Msg::v9(0)
            .template(301, &tpl)
            .data(301, &[Rec::new().ip("10.0.0.1").u32(2048).u8(2)]),
    );
    assert_eq!(h.last().sampling_rate, 2048);
}

#[test]
fn data_before_template_in_the_same_datagram() {
    let mut h = Harness::new();
    let msg = Msg::v9(0)
        .data(1024, &[softflowd_rec(1), softflowd_rec(2)])
        .template(1024, &SOFTFLOWD_V4);
    let rep = h.feed(&msg);
    assert_eq!((rep.records, rep.sets_held, rep.sets_released), (2, 1, 1));
    assert_eq!(rep.issues.get(ErrorKind::MissingTemplate), 1);
    assert_eq!(h.last().sequence_num, 7);
}

#[test]
fn data_before_template_in_an_earlier_datagram() {
    let mut h = Harness::new();
    let mut early = Msg::v9(0).data(1024, &[softflowd_rec(1)]);
    early.sequence = 1;
    early.uptime_ms = UPTIME_MS - 60_000; // sent a minute before the template
    let rep = h.feed(&early);
    assert_eq!((rep.records, rep.sets_held), (0, 1));
    let rep = h.feed(&Msg::v9(0).template(1024, &SOFTFLOWD_V4));
    assert_eq!((rep.records, rep.sets_released), (1, 1));
    let r = h.last();
    assert_eq!(r.sequence_num, 1, "the held set keeps its own header");
    // start was 5 s before that earlier header's uptime
    assert_eq!(
        r.time_flow_start_ns,
        EXPORT_SECS as u64 * 1_000_000_000 + 55_000_000_000
    );
    // another exporter port does not release it
    let rep = h.feed_from("192.0.2.1:9999", &Msg::v9(0).template(1024, &SOFTFLOWD_V4));
    assert_eq!(rep.sets_released, 0);
}

#[test]
fn reserved_set_ids_are_skipped_and_counted() {
    let mut h = Harness::new();
    let msg = Msg::v9(0)
        .template(1024, &SOFTFLOWD_V4)
        .set(7, &[1, 2, 3, 4])
        .data(1024, &[softflowd_rec(1)]);
    let rep = h.feed(&msg);
    assert_eq!((rep.records, rep.issues.get(ErrorKind::BadSetId)), (1, 1));
}

#[test]
fn lying_set_lengths_keep_what_was_decoded() {
    let mut h = Harness::new();
    h.feed(&Msg::v9(0).template(1024, &SOFTFLOWD_V4));
    // second set claims more bytes than the datagram has
    let mut d = Msg::v9(0)
        .data(1024, &[softflowd_rec(1)])
        .data(1024, &[softflowd_rec(2), softflowd_rec(3)])
        .build();
    let cut = d.len() - 10;
    d.truncate(cut);
    let rep = h.feed_raw(ADDR, &d);
    assert_eq!(
        rep.records, 2,
        "first set and the complete record of the cut one"
    );
    assert_eq!(rep.issues.get(ErrorKind::Truncated), 1);
    // a set length below 4 stops the walk
    let mut d = Msg::v9(0).data(1024, &[softflowd_rec(1)]).build();
    d.extend([4, 0, 0, 2, 9, 9, 9, 9]);
    d.extend(Msg::v9(0).data(1024, &[softflowd_rec(1)]).build()[20..].iter());
    let rep = h.feed_raw(ADDR, &d);
    assert_eq!((rep.records, rep.issues.get(ErrorKind::BadLength)), (1, 1));
    // a zero-filled tail is padding (PAN-OS)
    let mut d = Msg::v9(0).data(1024, &[softflowd_rec(1)]).build();
    d.extend([0; 300]);
    let rep = h.feed_raw(ADDR, &d);
    assert!(rep.issues.is_empty() && rep.records == 1);
}

#[test]
fn bad_templates() {
    let mut h = Harness::new();
    let rep = h.feed(&Msg::v9(0).set(0, &[1, 0, 0, 0]));
    assert_eq!(rep.issues.get(ErrorKind::BadTemplate), 1, "0 fields");
    let rep = h.feed(&Msg::v9(0).template(200, &[f(8, 4)]));
    assert_eq!(rep.issues.get(ErrorKind::BadTemplate), 1, "reserved id");
    // 65535 fields announced, a few present: over the limit
    let mut body = vec![1, 0, 0xff, 0xff];
    body.extend([0, 8, 0, 4].repeat(3));
    let rep = h.feed(&Msg::v9(0).set(0, &body));
    assert_eq!(rep.issues.get(ErrorKind::BadTemplate), 1);
    // within the limit but not present: a lie that stops the datagram
    let mut h = Harness::with(Limits {
        max_fields_per_template: 65535,
        ..Limits::default()
    });
    let msg = Msg::v9(0).set(0, &body).template(1024, &SOFTFLOWD_V4);
    let rep = h.feed(&msg);
    assert_eq!(
        (rep.issues.get(ErrorKind::Truncated), rep.templates),
        (1, 0)
    );
    assert_eq!(h.dec.store().template_count(ADDR.parse().unwrap()), 0);
}

#[test]
fn juniper_srx_zero_length_scope() {
    let mut h = Harness::new();
    let msg = Msg::v9(142)
        .options(256, &[f(1, 0)], &[f(35, 1), f(34, 4)])
        .data(256, &[Rec::new().u8(2).u32(1)])
        .template(257, &[f(8, 4), f(12, 4)])
        .data(257, &[Rec::new().ip("10.0.0.1").ip("10.0.0.2")]);
    let rep = h.feed(&msg);
    assert_eq!((rep.options_records, rep.records), (1, 1));
    assert!(rep.issues.is_empty(), "{:?}", rep.issues);
    assert_eq!(h.last().sampling_rate, 1);
}

#[test]
fn zero_length_and_reduced_size_fields() {
    let mut h = Harness::new();
    // H3C: IE 43 (IPV4_ROUTER_SC) with 2 bytes; 0-length field; 2-byte counters
    let tpl = [
        f(8, 4),
        f(43, 2),
        f(95, 0),
        f(1, 2),
        f(2, 1),
        f(10, 2),
        f(16, 2),
        f(89, 4),
    ];
    let rec = Rec::new()
        .ip("10.0.0.1")
        .u16(0xabcd)
        .u16(1000)
        .u8(5)
        .u16(7)
        .u16(65000)
        .u32(0x40);
    h.feed(&Msg::v9(0).template(3281, &tpl).data(3281, &[rec]));
    let r = h.last();
    assert_eq!((r.bytes, r.packets, r.in_if, r.src_as), (1000, 5, 7, 65000));
    assert_eq!(r.forwarding_status, 0x40, "low byte of a 4-byte status");
    assert_eq!(extra(r, 0, 43), Some(&[0xab, 0xcd][..]));
    assert_eq!(extra(r, 0, 95), None, "0-length field carries nothing");
}

#[test]
fn nsel_and_fallback_counters() {
    let mut h = Harness::new();
    let tpl = [f(8, 4), f(231, 8), f(232, 8), f(298, 4), f(85, 8)];
    let rec = Rec::new()
        .ip("10.0.0.1")
        .u64(900)
        .u64(100)
        .u32(4)
        .u64(123456);
    h.feed(&Msg::v9(0).template(260, &tpl).data(260, &[rec]));
    let r = h.last();
    assert_eq!((r.bytes, r.packets), (900, 4));
    assert_eq!(
        (r.ext().initiator_bytes, r.ext().responder_bytes),
        (Some(900), Some(100))
    );
    assert_eq!(
        extra(r, 0, 85),
        Some(&123456u64.to_be_bytes()[..]),
        "total counts stay extras"
    );
}

#[test]
fn odd_address_lengths_and_icmp() {
    let mut h = Harness::new();
    let tpl = [f(8, 6), f(27, 16), f(32, 2), f(4, 1)];
    let rec = Rec::new()
        .bytes(&[1, 2, 3, 4, 5, 6])
        .ip("2001:db8::1")
        .u16(0x0303)
        .u8(1);
    h.feed(&Msg::v9(0).template(400, &tpl).data(400, &[rec]));
    let r = h.last();
    assert_eq!(extra(r, 0, 8), Some(&[1, 2, 3, 4, 5, 6][..]));
    assert_eq!(r.src_addr, Some("2001:db8::1".parse().unwrap()));
    assert_eq!((r.icmp_type, r.icmp_code, r.etype), (3, 3, 0x86dd));
}
