//! Every NetFlow v9 / IPFIX capture of the shared corpus, if present:
//! no panic, and at least as many data records as tshark decodes.

use std::path::{Path, PathBuf};

use flowgate_record::RecordBatch;

use crate::{Decoder, Exporter};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FLOWGATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/corpus"));
    dir.join("MANIFEST.json").exists().then_some(dir)
}

#[derive(Debug, Default)]
struct Totals {
    datagrams: u64,
    records: u64,
    options: u64,
    rejected: u64,
    held: u64,
}

fn replay(path: &Path) -> Totals {
    let mut dec = Decoder::default();
    let mut out = RecordBatch::new();
    let mut t = Totals::default();
    let mut reader =
        flowgate_pcap::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    while let Some(d) = reader.next_datagram().unwrap() {
        out.clear();
        t.datagrams += 1;
        let exporter = Exporter {
            addr: d.src,
            received_ns: d.ts_ns,
        };
        match dec.decode(exporter, d.payload, &mut out) {
            Ok(rep) => {
                assert_eq!(rep.records as usize, out.len());
                t.records += u64::from(rep.records);
                t.options += u64::from(rep.options_records);
                t.held += u64::from(rep.sets_held);
            }
            Err(_) => t.rejected += 1,
        }
    }
    t
}

#[test]
fn corpus_captures_decode_at_least_what_tshark_does() {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found; skipped");
        return;
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut seen = 0;
    for entry in manifest.as_array().unwrap() {
        if !matches!(entry["kind"].as_str(), Some("netflow9" | "ipfix")) {
            continue;
        }
        let file = entry["file"].as_str().unwrap();
        let want = entry["data_records"].as_u64().unwrap();
        let want_opts = entry["options_data_records"].as_u64().unwrap_or(0);
        let t = replay(&dir.join(file));
        seen += 1;
        let mark = if t.records > want {
            "  beats tshark"
        } else {
            ""
        };
        eprintln!(
            "{file}: {} records (tshark {want}), {} options (tshark {want_opts}), held {}, rejected {}{mark}",
            t.records, t.options, t.held, t.rejected
        );
        if t.records < want || t.options < want_opts {
            failures.push(format!("{file}: {t:?}, tshark {want} + {want_opts} opt"));
        }
    }
    assert!(seen > 0, "no v9/IPFIX capture in the manifest");
    assert!(failures.is_empty(), "{failures:#?}");
}
