//! Oracle test: every NetFlow v5, v9 and IPFIX capture of the corpus,
//! decoded by flowgate the way `flowgate decode` does it, against
//! Wireshark's decode stored beside it. Per record (per frame, in order) the
//! addresses, ports, protocol, bytes and packets tshark shows must agree;
//! per capture the number of data records must agree, unless tshark is
//! known to be wrong there (`TSHARK_ERRORS`), in which case flowgate must
//! produce what the entry says.
//!
//! `cargo test --test corpus_netflow -- --nocapture` prints the table.

mod support;

use flowgate_decode::{ErrorKind, Protocol};
use support::compare::{compare, Comparison};
use support::{capture_name, captures, corpus_absent, corpus_dir, replay, tshark, tshark_json};

/// A capture where tshark's decode is wrong and flowgate's is not.
struct TsharkError {
    capture: &'static str,
    /// Data records tshark shows (asserted, so a regenerated JSON is noticed).
    tshark: usize,
    /// Data records flowgate must decode instead. Every record tshark does
    /// show must still be among them.
    flowgate: usize,
    /// Options data records flowgate must decode, where they differ too.
    flowgate_options: Option<u64>,
    why: &'static str,
}

const TSHARK_ERRORS: &[TsharkError] = &[
    TsharkError {
        capture: "netflow9/logstash-h3c",
        tshark: 1,
        flowgate: 16,
        flowgate_options: None,
        why: "H3C declares IE 43 with length 2; tshark wants 4, throws in the first of the 16 one-record data sets of frame 2 and drops the rest",
    },
    TsharkError {
        capture: "netflow9/graylog-unknown-v9",
        tshark: 18,
        flowgate: 21,
        flowgate_options: Some(1),
        why: "softflowd header count 1 in frame 1 (5 flowsets): tshark stops after one, missing template 2048, options template 256, an options and a data record, then the 2048 sets of frames 7 and 9",
    },
    TsharkError {
        capture: "netflow9/akvorado-data-before-template-v9",
        tshark: 10,
        flowgate: 21,
        flowgate_options: None,
        why: "the 11-record data set precedes its template 257 in the same datagram: tshark drops it, flowgate holds it and releases it when 257 arrives",
    },
    TsharkError {
        capture: "netflow9/logstash-invalid-v9",
        tshark: 0,
        flowgate: 2,
        flowgate_options: Some(1),
        why: "header count 2 but 6 flowsets: tshark stops after the two template sets; flowgate reads every set (options template + 1 options record, one 2048 and one 1024 record)",
    },
];

#[test]
fn netflow5_matches_tshark() {
    check_kind("netflow5");
}

#[test]
fn netflow9_matches_tshark() {
    check_kind("netflow9");
}

#[test]
fn ipfix_matches_tshark() {
    check_kind("ipfix");
}

fn check_kind(kind: &str) {
    let Some(corpus) = corpus_dir() else {
        return corpus_absent(&format!("{kind}_matches_tshark"));
    };
    let paths = captures(&corpus, kind);
    assert!(!paths.is_empty(), "no captures in {kind}");
    let mut rows: Vec<[String; 7]> = Vec::new();
    let mut failures = Vec::new();
    for path in &paths {
        let name = capture_name(path);
        let ts = tshark::load(&tshark_json(path));
        let fg = replay::decode(path);
        let cmp = compare(&ts, &fg);
        let known = TSHARK_ERRORS.iter().find(|k| k.capture == name);
        let mut problems = verdict(&cmp, known);
        if let Some(e) = &fg.capture_error {
            problems.push(format!("capture reading stopped: {e}"));
        }
        let note = match (problems.is_empty(), known) {
            (true, Some(k)) => format!("tshark wrong: {}", k.why),
            (true, None) => "ok".to_owned(),
            (false, _) => format!("FAIL: {}", problems.join("; ")),
        };
        if !problems.is_empty() {
            failures.push((name.clone(), cmp.details.clone()));
        }
        rows.push([
            name,
            cmp.expected.to_string(),
            cmp.decoded.to_string(),
            cmp.mismatched.to_string(),
            format!("{}/{}", cmp.opt_expected, cmp.opt_decoded),
            cmp.fields_compared.to_string(),
            note,
        ]);
    }
    for k in TSHARK_ERRORS.iter().filter(|k| k.capture.starts_with(kind)) {
        if !rows.iter().any(|r| r[0] == k.capture) {
            failures.push((
                k.capture.to_owned(),
                vec!["listed in TSHARK_ERRORS but not in the corpus".into()],
            ));
        }
    }
    print_table(kind, &rows);
    for (name, details) in &failures {
        eprintln!("{name}:");
        for d in details {
            eprintln!("    {d}");
        }
    }
    let names: Vec<&str> = failures.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} {kind} captures disagree with tshark beyond the known tshark errors: {names:?}",
        failures.len(),
        paths.len()
    );
}

/// What is wrong with a capture's comparison; empty when it passes.
fn verdict(c: &Comparison, known: Option<&TsharkError>) -> Vec<String> {
    let mut p = Vec::new();
    if c.mismatched > 0 {
        p.push(format!(
            "{} tshark records without an agreeing flowgate record",
            c.mismatched
        ));
    }
    match known {
        Some(k) => {
            if c.expected != k.tshark {
                p.push(format!(
                    "tshark now shows {} records, the table says {}",
                    c.expected, k.tshark
                ));
            }
            if c.decoded != k.flowgate {
                p.push(format!(
                    "flowgate decodes {} records where it must decode {}",
                    c.decoded, k.flowgate
                ));
            }
            let want_opt = k.flowgate_options.unwrap_or(c.opt_expected as u64);
            if c.opt_decoded != want_opt {
                p.push(format!(
                    "{} options records, want {want_opt}",
                    c.opt_decoded
                ));
            }
        }
        None => {
            if c.decoded != c.expected {
                p.push(format!(
                    "{} records, tshark {} (frames {:?})",
                    c.decoded, c.expected, c.frames_differing
                ));
            }
            if c.opt_decoded != c.opt_expected as u64 {
                p.push(format!(
                    "{} options records, tshark {}",
                    c.opt_decoded, c.opt_expected
                ));
            }
        }
    }
    p
}

fn print_table(kind: &str, rows: &[[String; 7]]) {
    let head = [
        "capture",
        "expected",
        "decoded",
        "mismatched",
        "opt exp/got",
        "fields",
        "note",
    ]
    .map(String::from);
    let mut w = head.each_ref().map(String::len);
    for r in rows {
        for (w, cell) in w.iter_mut().zip(r) {
            *w = (*w).max(cell.len());
        }
    }
    eprintln!("\n== {kind}: flowgate vs tshark (data records; options data records as opt; fields = values compared)");
    for r in std::iter::once(&head).chain(rows) {
        let mut line = format!("{:<w$}", r[0], w = w[0]);
        for i in 1..6 {
            line.push_str(&format!("  {:>w$}", r[i], w = w[i]));
        }
        eprintln!("{line}  {}", r[6]);
    }
}

/// Captures that are malformed on purpose: no panic, and the problems are
/// counted where an operator would look for them.
#[test]
fn negative_captures_are_counted_not_fatal() {
    let Some(corpus) = corpus_dir() else {
        return corpus_absent("negative_captures_are_counted_not_fatal");
    };
    // Header counts 55582 and 163, 30 records in each datagram: decode the 30.
    let fg = replay::decode(&corpus.join("netflow5/logstash-invalid-v5.pcap"));
    let t = fg.stats.total();
    assert_eq!((t.datagrams, t.records, t.rejected_total()), (2, 60, 0));
    assert_eq!(t.issues(ErrorKind::CountMismatch), 2);

    // Header count 2 for 6 flowsets.
    let fg = replay::decode(&corpus.join("netflow9/logstash-invalid-v9.pcap"));
    let t = fg.stats.total();
    assert_eq!((t.datagrams, t.rejected_total()), (1, 0), "{t:?}");
    assert_eq!(
        (t.records, t.options_records, t.templates),
        (2, 1, 3),
        "{t:?}"
    );

    // IPFIX length 290 in a 292-byte datagram: decoded to its own length,
    // the header lie counted, and the last set (ending at 292) counted as
    // cut short; its one record lies within the 290 bytes.
    let fg = replay::decode(&corpus.join("ipfix/telegraf-malformed-ipfix.pcap"));
    let t = fg.stats.total();
    assert_eq!(
        (t.datagrams, t.records, t.rejected_total()),
        (1, 2, 0),
        "{t:?}"
    );
    assert_eq!(t.issues(ErrorKind::BadLength), 1, "{t:?}");
    assert_eq!(t.issues(ErrorKind::Truncated), 1, "{t:?}");

    // A fuzzer-made sFlow datagram (made tcpdump crash): the 8 bytes of
    // version and agent address type, nothing more.
    let fg = replay::decode(&corpus.join("sflow/tcpdump-sflow-fuzz-segv.pcap"));
    let rows: Vec<_> = fg.stats.rows().collect();
    assert_eq!(rows.len(), 1, "{:?}", fg.stats);
    let (_, protocol, t) = rows[0];
    assert_eq!(protocol, Protocol::Sflow5, "counted as sFlow");
    assert_eq!((t.datagrams, t.records), (1, 0), "{t:?}");
    if t.rejected(ErrorKind::Unsupported) == 1 {
        eprintln!(
            "tcpdump-sflow-fuzz-segv: sFlow is not decoded by this build (counted as unsupported)"
        );
    } else {
        assert_eq!(
            (t.rejected(ErrorKind::Truncated), t.rejected_total()),
            (1, 1),
            "{t:?}"
        );
    }
}
