//! Datagram in, records out to a sink. `flowgate decode` replays captures
//! through [`Pipeline::process`]; the sink is a trait (or a closure), so the
//! same path serves anything that receives datagrams, and the oracle tests
//! run the corpus through exactly what the command runs.

use std::fmt;
use std::io::{self, Read};
use std::net::SocketAddr;

use flowgate_decode::{DatagramReport, DecodeError, Decoder, Exporter, Protocol};
use flowgate_pcap::{PcapError, PcapReader};
use flowgate_record::{CounterRecord, RecordBatch};
use flowgate_server::enrich::EnricherChain;
use flowgate_server::{DatagramProcessor, ProtocolSet};

/// What decoding one datagram gave: its report, or why it was rejected.
pub type Decoded = Result<DatagramReport, DecodeError>;

/// Where decoded records go (stdout, Kafka, an aggregator, a test's Vec).
/// Called once per datagram that produced flow records or sFlow counter
/// samples; both buffers are reused afterwards, so a sink that keeps
/// records must copy them.
pub trait Sink {
    fn write_batch(
        &mut self,
        exporter: &Exporter,
        flows: &RecordBatch,
        counters: &[CounterRecord],
    ) -> io::Result<()>;
}

impl<F> Sink for F
where
    F: FnMut(&Exporter, &RecordBatch, &[CounterRecord]) -> io::Result<()>,
{
    fn write_batch(
        &mut self,
        exporter: &Exporter,
        flows: &RecordBatch,
        counters: &[CounterRecord],
    ) -> io::Result<()> {
        self(exporter, flows, counters)
    }
}

/// One decoder (template state for every exporter it sees) and the batch it
/// decodes into, reused from datagram to datagram so that steady-state
/// decoding allocates nothing. Decoding and enrichment are the collector's
/// own [`DatagramProcessor`], the one every receive worker runs.
#[derive(Debug, Default)]
pub struct Pipeline {
    processor: DatagramProcessor,
    batch: RecordBatch,
}

impl Pipeline {
    pub fn new(decoder: Decoder) -> Self {
        Pipeline {
            processor: DatagramProcessor::new(decoder, ProtocolSet::ALL, EnricherChain::default()),
            batch: RecordBatch::with_capacity(64),
        }
    }

    /// Decodes one datagram and hands its records, if any, to `sink`. A
    /// datagram that fails to decode is reported, never fatal; only a sink
    /// error is returned as `Err`.
    pub fn process(
        &mut self,
        exporter: Exporter,
        payload: &[u8],
        sink: &mut dyn Sink,
    ) -> io::Result<Decoded> {
        self.batch.clear();
        let decoded = self
            .processor
            .process(exporter, payload, &mut self.batch)
            .as_result();
        let counters = self.processor.counters();
        if !self.batch.is_empty() || !counters.is_empty() {
            sink.write_batch(&exporter, &self.batch, counters)?;
        }
        Ok(decoded)
    }

    /// The flow records of the last datagram processed.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// The sFlow counter samples of the last datagram processed.
    pub fn counters(&self) -> &[CounterRecord] {
        self.processor.counters()
    }

    pub fn decoder(&self) -> &Decoder {
        self.processor.decoder()
    }

    pub fn decoder_mut(&mut self) -> &mut Decoder {
        self.processor.decoder_mut()
    }
}

/// One datagram of a replayed capture, after it went through the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Replayed<'a> {
    /// 1-based number of the capture frame that carried (or, for a
    /// reassembled datagram, completed) the datagram: tshark's frame number.
    pub frame: u64,
    pub exporter: Exporter,
    pub dst: SocketAddr,
    /// The protocol the version word names, known even when decoding failed.
    pub protocol: Protocol,
    pub decoded: &'a Decoded,
    /// The records this datagram produced (already given to the sink).
    pub batch: &'a RecordBatch,
    pub counters: &'a [CounterRecord],
}

/// Why a replay stopped early.
#[derive(Debug)]
pub enum ReplayError {
    /// The capture file is broken from this point on.
    Capture(PcapError),
    /// The sink failed (e.g. stdout closed).
    Sink(io::Error),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Capture(e) => e.fmt(f),
            ReplayError::Sink(e) => write!(f, "writing records: {e}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Feeds every UDP datagram of a capture through `pipeline`, the exporter
/// being the packet's source address and port and the receive time its
/// capture timestamp. `observe` sees each datagram after the sink did.
pub fn replay<R: Read>(
    reader: &mut PcapReader<R>,
    pipeline: &mut Pipeline,
    sink: &mut dyn Sink,
    observe: &mut dyn FnMut(&Replayed<'_>),
) -> Result<(), ReplayError> {
    while let Some(d) = reader.next_datagram().map_err(ReplayError::Capture)? {
        let exporter = Exporter {
            addr: d.src,
            received_ns: d.ts_ns,
        };
        let (dst, protocol) = (d.dst, Protocol::detect(d.payload));
        let decoded = pipeline
            .process(exporter, d.payload, sink)
            .map_err(ReplayError::Sink)?;
        observe(&Replayed {
            frame: reader.stats().frames,
            exporter,
            dst,
            protocol,
            decoded: &decoded,
            batch: pipeline.batch(),
            counters: pipeline.counters(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v5(records: u16) -> Vec<u8> {
        let mut d = vec![0u8; 24 + 48 * records as usize];
        d[1] = 5;
        d[2..4].copy_from_slice(&records.to_be_bytes());
        d
    }

    fn exporter() -> Exporter {
        Exporter {
            addr: "192.0.2.1:2055".parse().unwrap(),
            received_ns: 7,
        }
    }

    #[test]
    fn records_reach_the_sink_and_failures_do_not() {
        let mut p = Pipeline::default();
        let mut seen = 0usize;
        let mut sink = |_: &Exporter, b: &RecordBatch, _: &[CounterRecord]| {
            seen += b.len();
            Ok(())
        };
        let rep = p.process(exporter(), &v5(3), &mut sink).unwrap().unwrap();
        assert_eq!(rep.records, 3);
        let err = p.process(exporter(), &[0, 99, 0], &mut sink).unwrap();
        assert!(err.is_err());
        assert!(
            p.batch().is_empty(),
            "a rejected datagram leaves no records"
        );
        assert_eq!(seen, 3);
    }

    #[test]
    fn sink_errors_are_returned() {
        let mut p = Pipeline::default();
        let mut sink = |_: &Exporter, _: &RecordBatch, _: &[CounterRecord]| {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        };
        assert!(p.process(exporter(), &v5(1), &mut sink).is_err());
    }
}
