//! Template scoping and the bounds on per-exporter state.

use super::builder::*;
use super::v9::{softflowd_rec, SOFTFLOWD_V4};
use crate::{ErrorKind, Limits};

#[test]
fn pending_overflow_and_expiry() {
    let limits = Limits {
        max_pending_sets_per_exporter: 2,
        pending_ttl_ns: 1_000_000_000,
        ..Limits::default()
    };
    let mut h = Harness::with(limits);
    let data = Msg::v9(0).data(1024, &[softflowd_rec(1)]);
    h.feed(&data);
    h.feed(&data);
    let rep = h.feed(&data);
    assert_eq!(
        (rep.sets_held, rep.issues.get(ErrorKind::PendingOverflow)),
        (1, 1)
    );
    h.now += 2_000_000_000;
    let rep = h.feed(&Msg::v9(0).template(1024, &SOFTFLOWD_V4));
    assert_eq!(rep.issues.get(ErrorKind::PendingExpired), 2);
    assert_eq!((rep.records, rep.sets_released), (0, 0));
}

#[test]
fn scoping_redefinition_and_protocols_apart() {
    let mut h = Harness::new();
    h.feed(&Msg::v9(0).template(300, &[f(8, 4), f(1, 4)]));
    // redefinition replaces
    h.feed(&Msg::v9(0).template(300, &[f(1, 4), f(8, 4)]));
    h.feed(&Msg::v9(0).data(300, &[Rec::new().u32(77).ip("10.9.9.9")]));
    assert_eq!(h.last().bytes, 77);
    // IPFIX with the same domain and id does not see the v9 template
    let rep = h.feed(&Msg::ipfix(0).data(300, &[Rec::new().u32(1).u32(2)]));
    assert_eq!((rep.records, rep.sets_held), (0, 1));
    // nor does the same address on another port, nor another source id
    let rep = h.feed_from(
        "192.0.2.1:2055",
        &Msg::v9(0).data(300, &[Rec::new().u32(1).u32(2)]),
    );
    assert_eq!(rep.records, 0);
    let rep = h.feed(&Msg::v9(1).data(300, &[Rec::new().u32(1).u32(2)]));
    assert_eq!(rep.records, 0);
    assert_eq!(h.dec.store().template_count(ADDR.parse().unwrap()), 1);
}

#[test]
fn template_and_exporter_limits() {
    let limits = Limits {
        max_templates_per_exporter: 2,
        max_exporters: 2,
        ..Limits::default()
    };
    let mut h = Harness::with(limits);
    let msg = Msg::v9(0)
        .template(300, &[f(8, 4)])
        .template(301, &[f(8, 4)])
        .template(302, &[f(8, 4)])
        .template(300, &[f(12, 4)]);
    let rep = h.feed(&msg);
    assert_eq!(
        (rep.templates, rep.issues.get(ErrorKind::TemplateLimit)),
        (3, 1)
    );
    h.feed_from("192.0.2.2:1", &Msg::v9(0).template(300, &[f(8, 4)]));
    h.feed(&Msg::v9(0)); // ADDR seen again: 192.0.2.2:1 is now the oldest
    let rep = h.feed_from("192.0.2.3:1", &Msg::v9(0));
    assert_eq!(rep.issues.get(ErrorKind::ExporterLimit), 1);
    let store = h.dec.store();
    assert_eq!(store.exporter_count(), 2);
    assert_eq!(store.template_count(ADDR.parse().unwrap()), 2);
    assert_eq!(store.template_count("192.0.2.2:1".parse().unwrap()), 0);
}
