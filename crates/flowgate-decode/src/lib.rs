//! Pure flow-export decoders. Bytes and template state in; records, a report
//! and typed errors out. No sockets, clocks or metrics live here: the caller
//! passes the receive time and exporter address, and counts what the
//! [`DatagramReport`] and [`DecodeError`] say.

mod bytes;
mod error;
mod netflow_legacy;
mod report;
mod sflow;
pub mod template;

use std::net::SocketAddr;

use flowgate_record::{CounterRecord, RecordBatch};

pub use error::{DecodeError, ErrorKind, IssueCounts};
pub use report::{DatagramReport, Protocol};
pub use template::{Limits, TemplateStore};

/// Where and when a datagram came from. The exporter's address and port scope
/// its templates (with the observation domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exporter {
    pub addr: SocketAddr,
    pub received_ns: u64,
}

/// Decodes datagrams of every supported protocol, keeping template state per
/// exporter. One `Decoder` must see all datagrams of a given exporter (the
/// server routes exporters to decoders by address).
#[derive(Debug, Default)]
pub struct Decoder {
    store: TemplateStore,
}

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder {
            store: TemplateStore::new(limits),
        }
    }

    pub fn with_store(store: TemplateStore) -> Self {
        Decoder { store }
    }

    /// Decodes one datagram, appending its flow records to `out`. On `Err`
    /// nothing was appended; on `Ok` the report counts what was appended and
    /// any problems met inside the datagram. sFlow counter samples are only
    /// counted (`DatagramReport::counter_samples`): use
    /// [`decode_all`](Self::decode_all) to keep them.
    pub fn decode(
        &mut self,
        exporter: Exporter,
        datagram: &[u8],
        out: &mut RecordBatch,
    ) -> Result<DatagramReport, DecodeError> {
        // Allocates only when the datagram holds counter samples.
        let mut counters = Vec::new();
        self.decode_all(exporter, datagram, out, &mut counters)
    }

    /// Like [`decode`](Self::decode), and also appends sFlow counter samples
    /// to `counters` (they are statistics, not flows). On `Err` neither
    /// `flows` nor `counters` was appended to.
    pub fn decode_all(
        &mut self,
        exporter: Exporter,
        datagram: &[u8],
        flows: &mut RecordBatch,
        counters: &mut Vec<CounterRecord>,
    ) -> Result<DatagramReport, DecodeError> {
        let start = flows.len();
        let counters_start = counters.len();
        let out = flows;
        let result = match Protocol::detect(datagram) {
            Protocol::NetflowV1 | Protocol::NetflowV5 | Protocol::NetflowV7 => {
                netflow_legacy::decode(&exporter, datagram, out)
            }
            Protocol::NetflowV9 => template::decode_v9(&mut self.store, &exporter, datagram, out),
            Protocol::Ipfix => template::decode_ipfix(&mut self.store, &exporter, datagram, out),
            Protocol::Sflow5 => sflow::decode(&exporter, datagram, out, counters),
            Protocol::Unknown => Err(DecodeError::new(
                ErrorKind::UnknownVersion,
                "version is not NetFlow v1/v5/v7/v9, IPFIX or sFlow v5",
            )),
        };
        if result.is_err() {
            out.truncate(start);
            counters.truncate(counters_start);
        }
        result
    }

    pub fn store(&self) -> &TemplateStore {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut TemplateStore {
        &mut self.store
    }
}
