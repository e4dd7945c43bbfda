//! Compares flowgate's records with tshark's, frame by frame, on the fields
//! tshark shows for each record.

use std::collections::BTreeSet;
use std::fmt::Debug;

use super::replay::{FgCapture, FgRecord};
use super::tshark::{TsCapture, TsRecord};

/// How many mismatch descriptions to keep per capture.
const DETAILS: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// tshark's data records.
    pub expected: usize,
    /// flowgate's data records.
    pub decoded: usize,
    /// tshark records with no agreeing flowgate record (a field differs, or
    /// flowgate has no record there).
    pub mismatched: usize,
    /// flowgate records tshark does not have.
    pub extra: usize,
    pub opt_expected: usize,
    pub opt_decoded: u64,
    /// Field values compared (so a pass on records showing no field is visible).
    pub fields_compared: usize,
    /// Frames where flowgate's count differs from tshark's.
    pub frames_differing: Vec<u64>,
    pub details: Vec<String>,
}

pub fn compare(ts: &TsCapture, fg: &FgCapture) -> Comparison {
    let mut c = Comparison {
        expected: ts.data_records(),
        decoded: fg.data_records(),
        opt_expected: ts.options_records(),
        opt_decoded: fg.options_records(),
        ..Default::default()
    };
    let numbers: BTreeSet<u64> = (1..=ts.frames.len() as u64)
        .chain(fg.frames.keys().copied())
        .collect();
    for n in numbers {
        let t = ts.frame(n).map(|f| f.records.as_slice()).unwrap_or(&[]);
        let f = fg
            .frames
            .get(&n)
            .map(|f| f.records.as_slice())
            .unwrap_or(&[]);
        if t.len() == f.len() {
            pairwise(n, t, f, &mut c);
        } else {
            c.frames_differing.push(n);
            subsequence(n, t, f, &mut c);
        }
    }
    c
}

/// Same count: record i is record i.
fn pairwise(n: u64, t: &[TsRecord], f: &[FgRecord], c: &mut Comparison) {
    for (i, (t, f)) in t.iter().zip(f).enumerate() {
        c.fields_compared += shown(t);
        let d = diffs(t, f);
        if !d.is_empty() {
            c.mismatched += 1;
            let origin = if t.from_frame_section {
                " (tshark: from its decode of the record's dataLinkFrameSection)"
            } else {
                ""
            };
            note(
                c,
                format!("frame {n} record {}: {}{origin}", i + 1, d.join("; ")),
            );
        }
    }
}

/// Different counts (tshark stopped early, or flowgate decoded sets tshark
/// could not): each tshark record must appear in flowgate's, in order.
fn subsequence(n: u64, t: &[TsRecord], f: &[FgRecord], c: &mut Comparison) {
    let mut next = 0;
    let mut matched = 0;
    for (i, rec) in t.iter().enumerate() {
        match (next..f.len()).find(|&k| diffs(rec, &f[k]).is_empty()) {
            Some(k) => {
                c.fields_compared += shown(rec);
                matched += 1;
                next = k + 1;
            }
            None => {
                c.mismatched += 1;
                let near = f
                    .get(i)
                    .map(|f| {
                        format!(
                            " (flowgate's record {}: {})",
                            i + 1,
                            diffs(rec, f).join("; ")
                        )
                    })
                    .unwrap_or_default();
                note(
                    c,
                    format!(
                        "frame {n}: tshark record {} of {} has no match among flowgate's {}{near}",
                        i + 1,
                        t.len(),
                        f.len()
                    ),
                );
            }
        }
    }
    c.extra += f.len() - matched;
}

fn note(c: &mut Comparison, s: String) {
    if c.details.len() < DETAILS {
        c.details.push(s);
    }
}

/// How many of the compared fields tshark shows for a record.
fn shown(t: &TsRecord) -> usize {
    [
        t.src_addr.is_empty(),
        t.dst_addr.is_empty(),
        t.src_port.is_empty(),
        t.dst_port.is_empty(),
        t.proto.is_empty(),
        t.bytes.is_empty(),
        t.packets.is_empty(),
    ]
    .iter()
    .filter(|empty| !**empty)
    .count()
}

/// The fields tshark shows that flowgate disagrees with.
pub fn diffs(t: &TsRecord, f: &FgRecord) -> Vec<String> {
    let mut d = Vec::new();
    check(&mut d, "src_addr", &t.src_addr, &f.src_addr);
    check(&mut d, "dst_addr", &t.dst_addr, &f.dst_addr);
    check(
        &mut d,
        "src_port",
        &t.src_port,
        &Some(u64::from(f.src_port)),
    );
    check(
        &mut d,
        "dst_port",
        &t.dst_port,
        &Some(u64::from(f.dst_port)),
    );
    check(&mut d, "proto", &t.proto, &Some(u64::from(f.proto)));
    check(&mut d, "bytes", &t.bytes, &Some(f.bytes));
    check(&mut d, "packets", &t.packets, &Some(f.packets));
    d
}

fn check<T: PartialEq + Debug>(d: &mut Vec<String>, name: &str, shown: &[T], got: &Option<T>) {
    if shown.is_empty() {
        return;
    }
    let agrees = got.as_ref().is_some_and(|g| shown.contains(g));
    if !agrees {
        let shown = if shown.len() == 1 {
            format!("{:?}", shown[0])
        } else {
            format!("one of {shown:?}")
        };
        match got {
            Some(g) => d.push(format!("{name} tshark {shown} flowgate {g:?}")),
            None => d.push(format!("{name} tshark {shown} flowgate absent")),
        }
    }
}
