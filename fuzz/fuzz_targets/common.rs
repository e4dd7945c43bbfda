//! Splits one fuzz input into several datagrams from one exporter, so that a
//! template learned from one datagram is used (and abused) by the next ones.

use flowgate_decode::{Decoder, Exporter, Limits};
use flowgate_record::{RecordBatch, RenderOptions, Renderer};

/// Datagrams are separated by this 4-byte marker; libFuzzer's dictionary-free
/// mutations find it quickly from the seeds.
const SPLIT: &[u8] = b"\xf1\x0f\x77\x9a";

pub fn run(data: &[u8], stamp: impl Fn(&mut Vec<u8>)) {
    let limits = Limits {
        max_exporters: 4,
        max_templates_per_exporter: 64,
        max_pending_sets_per_exporter: 8,
        max_pending_bytes_per_exporter: 64 * 1024,
        ..Limits::default()
    };
    let mut decoder = Decoder::new(limits);
    let mut batch = RecordBatch::new();
    let mut buf = Vec::new();
    // Whatever a decoder makes of the input is rendered too: the JSON
    // writer stores into reserved room unchecked in release builds, and
    // fuzz builds keep the debug check on every store.
    let renderers = [
        Renderer::new(RenderOptions::default()),
        Renderer::new(RenderOptions {
            names: true,
            ..RenderOptions::default()
        }),
    ];
    let mut out = Vec::new();
    for (i, part) in split(data).enumerate().take(16) {
        buf.clear();
        buf.extend_from_slice(part);
        stamp(&mut buf);
        let exporter = Exporter {
            addr: if i % 5 == 4 {
                "192.0.2.2:9"
            } else {
                "192.0.2.1:9"
            }
            .parse()
            .unwrap(),
            received_ns: i as u64 * 1_000_000_000,
        };
        batch.clear();
        if let Ok(report) = decoder.decode(exporter, &buf, &mut batch) {
            assert!(report.records as usize <= batch.len());
        }
        for renderer in &renderers {
            out.clear();
            renderer.write_batch(&batch, &mut out);
            let lines = out.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(lines, batch.len(), "one line per record");
        }
    }
}

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.windows(SPLIT.len()).position(|w| w == SPLIT) {
            Some(at) => {
                let part = &rest[..at];
                rest = &rest[at + SPLIT.len()..];
                Some(part)
            }
            None => Some(std::mem::take(&mut rest)),
        }
    })
}

/// Forces the 16-bit version field so every input reaches the decoder under test.
pub fn version16(v: u16) -> impl Fn(&mut Vec<u8>) {
    move |buf| {
        if buf.len() >= 2 {
            buf[..2].copy_from_slice(&v.to_be_bytes());
        }
    }
}
