//! Runs a capture through the same library path as `flowgate decode`
//! (`flowgate::replay`), keeping per frame the fields the oracle compares.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use flowgate::{replay, Pipeline, Stats};
use flowgate_decode::Decoder;
use flowgate_pcap::ReaderStats;
use flowgate_record::FlowRecord;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FgRecord {
    pub src_addr: Option<IpAddr>,
    pub dst_addr: Option<IpAddr>,
    pub src_port: u16,
    pub dst_port: u16,
    pub proto: u8,
    pub bytes: u64,
    pub packets: u64,
}

impl From<&FlowRecord> for FgRecord {
    fn from(r: &FlowRecord) -> Self {
        FgRecord {
            src_addr: r.src_addr,
            dst_addr: r.dst_addr,
            src_port: r.src_port,
            dst_port: r.dst_port,
            proto: r.proto,
            bytes: r.bytes,
            packets: r.packets,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FgFrame {
    pub records: Vec<FgRecord>,
    pub options_records: u32,
    /// Held data sets this datagram's templates released: their records are
    /// in `records`, although they came in an earlier datagram.
    pub sets_released: u32,
}

#[derive(Debug, Default)]
pub struct FgCapture {
    /// By frame number (1-based, as tshark numbers frames).
    pub frames: BTreeMap<u64, FgFrame>,
    pub stats: Stats,
    pub reader: ReaderStats,
    /// Set when the capture file broke off; the frames before it are kept.
    pub capture_error: Option<String>,
}

impl FgCapture {
    pub fn data_records(&self) -> usize {
        self.frames.values().map(|f| f.records.len()).sum()
    }

    pub fn options_records(&self) -> u64 {
        self.frames
            .values()
            .map(|f| u64::from(f.options_records))
            .sum()
    }
}

/// One fresh decoder per capture; exporter = UDP source, time = capture time.
pub fn decode(path: &Path) -> FgCapture {
    let mut reader = flowgate_pcap::open(path)
        .unwrap_or_else(|e| panic!("{}: not a readable capture: {e}", path.display()));
    let mut pipeline = Pipeline::new(Decoder::default());
    let mut out = FgCapture::default();
    let frames = &mut out.frames;
    let stats = &mut out.stats;
    let result = replay(
        &mut reader,
        &mut pipeline,
        &mut |_: &_, _: &_, _: &_| Ok(()),
        &mut |d| {
            stats.count(d.exporter.addr, d.protocol, d.decoded);
            let f = frames.entry(d.frame).or_default();
            f.records.extend(d.batch.iter().map(FgRecord::from));
            if let Ok(rep) = d.decoded {
                f.options_records += rep.options_records;
                f.sets_released += rep.sets_released;
            }
        },
    );
    out.capture_error = result.err().map(|e| e.to_string());
    out.reader = reader.stats().clone();
    out
}
