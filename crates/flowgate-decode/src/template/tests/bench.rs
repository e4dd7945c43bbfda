//! Decode rate, measured by hand: `cargo test --release -p flowgate-decode
//! decode_rate -- --ignored --nocapture`. Prints records/s; asserts nothing
//! about time.

use std::time::Instant;

use super::builder::*;
use super::ovs::{ovs_record, OVS_EGRESS_TUNNEL, OVS_TEMPLATE_ID};
use super::v9::{softflowd_rec, SOFTFLOWD_V4};

/// Best of a few runs: the machine is shared.
fn rate(name: &str, h: &mut Harness, datagram: &[u8], per_datagram: usize) {
    let exporter = exporter_at(ADDR, h.now);
    let rounds = 1_000_000 / per_datagram;
    let mut best = 0f64;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..rounds {
            if h.out.len() > 4096 {
                h.out.clear();
            }
            let rep = h.dec.decode(exporter, datagram, &mut h.out).unwrap();
            debug_assert_eq!(rep.records as usize, per_datagram);
        }
        let n = (rounds * per_datagram) as f64;
        best = best.max(n / start.elapsed().as_secs_f64());
    }
    eprintln!(
        "{name}: {:.1} M records/s ({per_datagram} per datagram)",
        best / 1e6
    );
}

/// What taking a slot costs (`RecordBatch::push` resets the record).
fn slot_rate(h: &mut Harness) {
    let mut best = 0f64;
    for _ in 0..5 {
        let start = Instant::now();
        for i in 0..1_000_000u64 {
            if h.out.len() > 4096 {
                h.out.clear();
            }
            h.out.push().bytes = i;
        }
        best = best.max(1e6 / start.elapsed().as_secs_f64());
    }
    eprintln!("RecordBatch::push alone: {:.1} M records/s", best / 1e6);
}

#[test]
#[ignore]
fn decode_rate() {
    let mut h = Harness::new();
    h.feed(&Msg::ipfix(0).template(OVS_TEMPLATE_ID, &OVS_EGRESS_TUNNEL));
    h.feed(&Msg::v9(0).template(1024, &SOFTFLOWD_V4));
    let fixed_ovs: Vec<Field> = OVS_EGRESS_TUNNEL
        .iter()
        .copied()
        .filter(|f| f.len != VAR)
        .collect();
    h.feed(&Msg::ipfix(0).template(300, &fixed_ovs));
    for n in [1, 20] {
        let recs = vec![ovs_record(); n];
        let d = Msg::ipfix(0).data(OVS_TEMPLATE_ID, &recs).build();
        rate(
            "OVS egress tunnel template (varlen 82/83/892)",
            &mut h,
            &d,
            n,
        );
    }
    // the same without its variable-length fields: a fixed-length plan
    let rec = ovs_record().0;
    let mut fixed = Vec::new();
    let mut pos = 0;
    for f in OVS_EGRESS_TUNNEL {
        let len = if f.len == VAR {
            1 + rec[pos] as usize
        } else {
            f.len as usize
        };
        if f.len != VAR {
            fixed.extend(&rec[pos..pos + len]);
        }
        pos += len;
    }
    let d = Msg::ipfix(0).data(300, &vec![Rec(fixed); 20]).build();
    rate("OVS template, fixed-length fields only", &mut h, &d, 20);
    slot_rate(&mut h);
    let recs: Vec<Rec> = (0..30).map(softflowd_rec).collect();
    let d = Msg::v9(0).data(1024, &recs).build();
    rate("softflowd v9 template (16 fixed fields)", &mut h, &d, 30);
}
