//! The synchronous form of the server's path, for `flowgate decode`: the
//! same [`DatagramProcessor`] (decode, enrich) and the same [`Sink`]s, but
//! called in line, because replaying a file should wait for a slow sink
//! rather than drop records.

use flowgate_decode::{Decoder, Exporter};
use flowgate_record::{CounterRecord, RecordBatch};

use crate::batch::Batch;
use crate::enrich::EnricherChain;
use crate::processor::{DatagramProcessor, Outcome, ProtocolSet};
use crate::sink::{Sink, SinkError};

pub struct Pipeline {
    processor: DatagramProcessor,
    batch: Batch,
    sinks: Vec<Box<dyn Sink>>,
}

impl Pipeline {
    /// Accepts every protocol (a capture is not a listener), with the
    /// server's enrichers.
    pub fn new(decoder: Decoder, sinks: Vec<Box<dyn Sink>>) -> Self {
        let processor = DatagramProcessor::new(decoder, ProtocolSet::ALL, EnricherChain::default());
        Pipeline {
            processor,
            batch: Batch::with_capacity(64),
            sinks,
        }
    }

    /// Decodes and enriches one datagram and gives its records to every
    /// sink. A datagram that fails to decode is reported, never fatal; only
    /// a sink failure is an `Err`.
    pub fn process(&mut self, exporter: Exporter, datagram: &[u8]) -> Result<Outcome, SinkError> {
        self.batch.clear();
        let outcome = self
            .processor
            .process(exporter, datagram, &mut self.batch.flows);
        self.batch
            .counters
            .extend_from_slice(self.processor.counters());
        if !self.batch.is_empty() {
            for s in &mut self.sinks {
                s.send(&self.batch.flows, &self.batch.counters)?;
            }
        }
        Ok(outcome)
    }

    /// Writes out what the sinks buffered.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        for s in &mut self.sinks {
            s.flush()?;
        }
        Ok(())
    }

    /// The flow records of the last datagram processed.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch.flows
    }

    /// The sFlow counter samples of the last datagram processed.
    pub fn counters(&self) -> &[CounterRecord] {
        &self.batch.counters
    }

    pub fn decoder(&self) -> &Decoder {
        self.processor.decoder()
    }

    pub fn decoder_mut(&mut self) -> &mut Decoder {
        self.processor.decoder_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Health;

    #[derive(Default)]
    struct Collect(Vec<u64>, bool);

    impl Sink for Collect {
        fn name(&self) -> &str {
            "collect"
        }
        fn send(&mut self, flows: &RecordBatch, _: &[CounterRecord]) -> Result<u64, SinkError> {
            if self.1 {
                return Err(SinkError {
                    reason: "write_error",
                    dropped: flows.len() as u64,
                    detail: "closed".into(),
                    io_kind: Some(std::io::ErrorKind::BrokenPipe),
                });
            }
            self.0.extend(flows.iter().map(|r| r.bytes));
            Ok(flows.len() as u64)
        }
        fn flush(&mut self) -> Result<u64, SinkError> {
            Ok(0)
        }
        fn health(&self) -> Health {
            Health::Ok
        }
    }

    fn v5(records: u16) -> Vec<u8> {
        let mut d = vec![0u8; 24 + 48 * records as usize];
        d[1] = 5;
        d[2..4].copy_from_slice(&records.to_be_bytes());
        d
    }

    #[test]
    fn records_reach_every_sink_and_sink_errors_are_returned() {
        let exporter = Exporter {
            addr: "192.0.2.1:2055".parse().unwrap(),
            received_ns: 7,
        };
        let mut p = Pipeline::new(Decoder::default(), vec![Box::new(Collect::default())]);
        let out = p.process(exporter, &v5(3)).unwrap();
        assert!(matches!(out, Outcome::Decoded(r) if r.records == 3));
        assert!(p.process(exporter, &[0, 99]).unwrap().as_result().is_err());
        assert!(p.batch().is_empty());
        let mut failing = Pipeline::new(
            Decoder::default(),
            vec![Box::new(Collect(Vec::new(), true))],
        );
        let e = failing.process(exporter, &v5(1)).unwrap_err();
        assert_eq!(e.io_kind, Some(std::io::ErrorKind::BrokenPipe));
    }
}
