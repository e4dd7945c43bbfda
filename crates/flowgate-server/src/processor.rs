//! One datagram in, enriched records out: the path `flowgate decode` and
//! every receive worker share. It owns the decoder (template state), so one
//! processor must see every datagram of an exporter.

use flowgate_config::ListenProtocol;
use flowgate_decode::{DatagramReport, DecodeError, Decoder, Exporter, Protocol};
use flowgate_record::{CounterRecord, RecordBatch};

use crate::enrich::EnricherChain;

/// The wire protocols a listener takes, from its URI scheme(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolSet(u8);

impl ProtocolSet {
    pub const ALL: ProtocolSet = ProtocolSet(0xff);

    fn bit(p: Protocol) -> u8 {
        match p {
            Protocol::Unknown => 0,
            Protocol::NetflowV1 => 1,
            Protocol::NetflowV5 => 2,
            Protocol::NetflowV7 => 4,
            Protocol::NetflowV9 => 8,
            Protocol::Ipfix => 16,
            Protocol::Sflow5 => 32,
        }
    }

    pub fn of(protocols: &[ListenProtocol]) -> Self {
        use Protocol::*;
        let mut bits = 0;
        for p in protocols {
            let members: &[Protocol] = match p {
                ListenProtocol::Netflow => &[NetflowV1, NetflowV5, NetflowV7, NetflowV9, Ipfix],
                ListenProtocol::NetflowLegacy => &[NetflowV1, NetflowV5, NetflowV7],
                ListenProtocol::Ipfix => &[Ipfix],
                ListenProtocol::Sflow => &[Sflow5],
            };
            for &m in members {
                bits |= Self::bit(m);
            }
        }
        ProtocolSet(bits)
    }

    /// Unknown versions are "accepted" so that the decoder names the error.
    pub fn accepts(self, p: Protocol) -> bool {
        p == Protocol::Unknown || self.0 & Self::bit(p) != 0
    }
}

/// What became of one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Decoded(DatagramReport),
    /// A protocol this listener does not take (e.g. sFlow sent to an IPFIX port).
    NotAccepted(Protocol),
    Failed(Protocol, DecodeError),
}

impl Outcome {
    pub fn protocol(&self) -> Protocol {
        match self {
            Outcome::Decoded(r) => r.protocol,
            Outcome::NotAccepted(p) | Outcome::Failed(p, _) => *p,
        }
    }

    /// The shape `flowgate decode` reports: the report or the error.
    pub fn as_result(&self) -> Result<DatagramReport, DecodeError> {
        match self {
            Outcome::Decoded(r) => Ok(*r),
            Outcome::NotAccepted(p) => Err(DecodeError::new(
                flowgate_decode::ErrorKind::Unsupported,
                not_accepted_detail(*p),
            )),
            Outcome::Failed(_, e) => Err(e.clone()),
        }
    }
}

fn not_accepted_detail(p: Protocol) -> &'static str {
    match p {
        Protocol::Sflow5 => "sFlow is not accepted on this listener",
        Protocol::Ipfix => "IPFIX is not accepted on this listener",
        _ => "NetFlow is not accepted on this listener",
    }
}

/// Decode, then enrich. `Default` accepts every protocol with no enrichers
/// (what `flowgate decode` wants).
#[derive(Debug)]
pub struct DatagramProcessor {
    decoder: Decoder,
    accept: ProtocolSet,
    enrichers: EnricherChain,
    /// sFlow counter samples of the last datagram (statistics, not flows:
    /// counted, and kept for a later counters sink).
    counters: Vec<CounterRecord>,
}

impl Default for DatagramProcessor {
    fn default() -> Self {
        DatagramProcessor::new(
            Decoder::default(),
            ProtocolSet::ALL,
            EnricherChain::default(),
        )
    }
}

impl DatagramProcessor {
    pub fn new(decoder: Decoder, accept: ProtocolSet, enrichers: EnricherChain) -> Self {
        DatagramProcessor {
            decoder,
            accept,
            enrichers,
            counters: Vec::new(),
        }
    }

    /// Decodes `datagram` and enriches the records it adds to `out`. On
    /// anything but `Decoded`, `out` is left as it was.
    pub fn process(
        &mut self,
        exporter: Exporter,
        datagram: &[u8],
        out: &mut RecordBatch,
    ) -> Outcome {
        self.counters.clear();
        let protocol = Protocol::detect(datagram);
        if !self.accept.accepts(protocol) {
            return Outcome::NotAccepted(protocol);
        }
        let start = out.len();
        match self
            .decoder
            .decode_all(exporter, datagram, out, &mut self.counters)
        {
            Ok(report) => {
                if !self.enrichers.is_empty() && out.len() > start {
                    self.enrichers.apply(&mut out.as_mut_slice()[start..]);
                }
                Outcome::Decoded(report)
            }
            Err(e) => Outcome::Failed(protocol, e),
        }
    }

    /// The sFlow counter samples of the last datagram processed.
    pub fn counters(&self) -> &[CounterRecord] {
        &self.counters
    }

    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    pub fn decoder_mut(&mut self) -> &mut Decoder {
        &mut self.decoder
    }

    pub fn into_decoder(self) -> Decoder {
        self.decoder
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowgate_record::FlowRecord;

    fn v5(records: u16) -> Vec<u8> {
        let mut d = vec![0u8; 24 + 48 * records as usize];
        d[1] = 5;
        d[2..4].copy_from_slice(&records.to_be_bytes());
        d
    }

    fn exporter() -> Exporter {
        Exporter {
            addr: "192.0.2.1:2055".parse().unwrap(),
            received_ns: 1,
        }
    }

    struct MarkPort(u16);
    impl crate::enrich::Enricher for MarkPort {
        fn name(&self) -> &str {
            "mark"
        }
        fn kind(&self) -> &'static str {
            "test"
        }
        fn enrich(&self, records: &mut [FlowRecord]) {
            records.iter_mut().for_each(|r| r.dst_port = self.0);
        }
        fn health(&self) -> crate::enrich::Health {
            crate::enrich::Health::Ok
        }
        fn stats(&self) -> crate::enrich::StatsSnapshot {
            Default::default()
        }
        fn entries(&self) -> usize {
            0
        }
    }

    #[test]
    fn listeners_refuse_protocols_they_do_not_take() {
        let legacy = ProtocolSet::of(&[ListenProtocol::NetflowLegacy]);
        let mut p = DatagramProcessor::new(Decoder::default(), legacy, EnricherChain::default());
        let mut out = RecordBatch::new();
        assert!(matches!(
            p.process(exporter(), &v5(2), &mut out),
            Outcome::Decoded(_)
        ));
        let mut ipfix = vec![0u8; 16];
        ipfix[1] = 10;
        assert_eq!(
            p.process(exporter(), &ipfix, &mut out),
            Outcome::NotAccepted(Protocol::Ipfix)
        );
        assert!(matches!(
            p.process(exporter(), &[0, 99], &mut out),
            Outcome::Failed(Protocol::Unknown, _)
        ));
        assert_eq!(out.len(), 2);
        assert!(ProtocolSet::of(&[ListenProtocol::Netflow]).accepts(Protocol::Ipfix));
        assert!(!ProtocolSet::of(&[ListenProtocol::Netflow]).accepts(Protocol::Sflow5));
    }

    #[test]
    fn enrichers_see_only_the_new_records() {
        let chain = EnricherChain::new(vec![Box::new(MarkPort(4242))]);
        let mut p = DatagramProcessor::new(Decoder::default(), ProtocolSet::ALL, chain);
        let mut out = RecordBatch::new();
        p.process(exporter(), &v5(1), &mut out);
        out.as_mut_slice()[0].dst_port = 1;
        p.process(exporter(), &v5(2), &mut out);
        let ports: Vec<u16> = out.iter().map(|r| r.dst_port).collect();
        assert_eq!(ports, [1, 4242, 4242]);
    }
}
