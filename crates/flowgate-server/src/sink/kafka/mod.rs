//! One Kafka message per flow record, JSON or length-delimited protobuf,
//! keyed by a hash of configured fields (see `fieldkey`); or, with
//! `records_per_message` above 1, up to that many records of one batch per
//! unkeyed message, which takes librdkafka's per-message cost (a third of
//! the sink's time at one record per message) off all but one of them.
//!
//! Records wait in librdkafka's bounded queue (`buffer_messages`,
//! `buffer_size`) while the brokers are slow or away, and go out by
//! themselves when they come back. A full queue drops the record and counts
//! it (`producer_queue_full`); while the brokers are up but slow, the sink
//! first waits a little, which backs the pressure up into its own queue.
//! Delivery reports arrive on librdkafka's thread and are counted there;
//! [`Sink::settle`] hands the runner what arrived since it last asked.

mod client;
mod delivery;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowgate_config::{KafkaFormat, KafkaSinkConfig};
use flowgate_record::{
    CounterRecord, FieldId, FlowRecord, OutputFormat, RecordBatch, RenderOptions, Renderer,
};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, PurgeConfig, ThreadedProducer};

use super::fieldkey::FieldKey;
use super::proto::ProtoEncoder;
use super::{Health, Settled, Sink, SinkError};
use crate::logging::RateLimiter;
use crate::metrics::Metrics;
use delivery::{Context, DeliveryCounts, REASONS};

pub use client::producer_config;

/// How long one `send` may wait for room in a full producer queue while
/// the brokers are reachable, before it drops what is left of the batch.
const FULL_WAIT: Duration = Duration::from_millis(100);

enum Encoder {
    Json(Renderer),
    Protobuf(ProtoEncoder),
}

impl Encoder {
    fn encode(&mut self, rec: &FlowRecord, out: &mut Vec<u8>) {
        match self {
            Encoder::Json(r) => {
                r.write(rec, out);
                out.pop(); // the line's newline: a message is not a line
            }
            Encoder::Protobuf(p) => p.encode_delimited(rec, out),
        }
    }

    /// One more record of a packed message: delimited protobuf messages
    /// follow each other as in a goflow2 `-format bin` stream; JSON
    /// objects are lines.
    fn encode_packed(&mut self, rec: &FlowRecord, out: &mut Vec<u8>) {
        match self {
            Encoder::Json(r) => r.write(rec, out),
            Encoder::Protobuf(p) => p.encode_delimited(rec, out),
        }
    }
}

pub struct KafkaSink {
    name: String,
    topic: String,
    producer: ThreadedProducer<Context>,
    encoder: Encoder,
    key: FieldKey,
    payload: Vec<u8>,
    scratch: Vec<u8>,
    records_per_message: usize,
    counts: Arc<DeliveryCounts>,
    seen_delivered: u64,
    seen_failed: [u64; REASONS.len()],
    /// Refused when handed to librdkafka, not yet reported: by
    /// [`REASONS`] index, the last one for a full queue.
    refused: [u64; REASONS.len() + 1],
    refused_detail: String,
    buffered: Arc<AtomicI64>,
    connected: Arc<AtomicI64>,
}

/// The reason of a record refused because the producer's queue was full.
const QUEUE_FULL: &str = "producer_queue_full";

impl KafkaSink {
    pub fn open(
        name: &str,
        cfg: &KafkaSinkConfig,
        metrics: &Metrics,
        limiter: &Arc<RateLimiter>,
    ) -> Result<Self, String> {
        let config = producer_config(name, cfg, &|k| std::env::var(k).ok())?;
        let counts = Arc::new(DeliveryCounts::default());
        let context = Context {
            sink: name.to_owned(),
            counts: counts.clone(),
            limiter: limiter.clone(),
        };
        let producer: ThreadedProducer<Context> = config
            .create_with_context(context)
            .map_err(|e| format!("starting the Kafka producer: {e}"))?;
        let encoder = match cfg.format {
            KafkaFormat::Json => Encoder::Json(Renderer::new(RenderOptions {
                format: OutputFormat::Json,
                fields: None,
                names: false,
            })),
            KafkaFormat::Protobuf => Encoder::Protobuf(ProtoEncoder),
        };
        let key: Vec<FieldId> = cfg
            .key_fields
            .iter()
            .filter_map(|f| FieldId::from_name(f))
            .collect();
        let (buffered, connected) = (Arc::new(AtomicI64::new(0)), Arc::new(AtomicI64::new(1)));
        metrics.sink_series.gauge(
            "flowgate_kafka_buffered_records",
            "Records in the Kafka producer's queue, waiting to be sent or acknowledged (librdkafka's out-queue length, which also counts a few events not yet served)",
            name,
            buffered.clone(),
        );
        metrics.sink_series.gauge(
            "flowgate_kafka_brokers_reachable",
            "0 when a broker connection failed after the last delivery (so records cannot get out), else 1",
            name,
            connected.clone(),
        );
        for reason in REASONS.iter().chain([&QUEUE_FULL]) {
            metrics.record_drop("sink", reason, name, 0);
        }
        Ok(KafkaSink {
            name: name.to_owned(),
            topic: cfg.topic.clone(),
            producer,
            encoder,
            key: FieldKey::new(&key),
            payload: Vec::with_capacity(1024),
            scratch: Vec::with_capacity(128),
            records_per_message: cfg.records_per_message.max(1),
            counts,
            seen_delivered: 0,
            seen_failed: [0; REASONS.len()],
            refused: [0; REASONS.len() + 1],
            refused_detail: String::new(),
            buffered,
            connected,
        })
    }

    /// Hands one encoded record to librdkafka. `deadline` bounds the wait
    /// for room in a full queue over the whole batch.
    fn produce(&mut self, key: Option<[u8; 8]>, records: usize, deadline: &mut Option<Instant>) {
        loop {
            let mut record = BaseRecord::<[u8], [u8], usize>::with_opaque_to(&self.topic, records)
                .payload(&self.payload[..]);
            if let Some(k) = &key {
                record = record.key(&k[..]);
            }
            let err = match self.producer.send(record) {
                Ok(()) => return,
                Err((e, _)) => e,
            };
            let code = err.rdkafka_error_code();
            if code == Some(RDKafkaErrorCode::QueueFull) && !self.counts.unreachable() {
                let until = *deadline.get_or_insert_with(|| Instant::now() + FULL_WAIT);
                if Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
            }
            let i = match code {
                Some(RDKafkaErrorCode::QueueFull) => REASONS.len(),
                _ => delivery::reason_index(code),
            };
            self.refused[i] += records as u64;
            if self.refused_detail.is_empty() {
                self.refused_detail = describe(&err);
            }
            return;
        }
    }
}

fn describe(e: &KafkaError) -> String {
    format!("producing to Kafka: {e}")
}

impl Sink for KafkaSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&mut self, flows: &RecordBatch, _: &[CounterRecord]) -> Result<u64, SinkError> {
        let mut deadline = None;
        if self.records_per_message == 1 {
            for rec in flows {
                self.payload.clear();
                self.encoder.encode(rec, &mut self.payload);
                let key = (!self.key.is_empty()).then(|| self.key.hash(rec, &mut self.scratch));
                self.produce(key, 1, &mut deadline);
            }
        } else {
            // Packed messages end with the batch, so nothing waits in the
            // sink for more records to come.
            let mut packed = 0;
            self.payload.clear();
            for rec in flows {
                self.encoder.encode_packed(rec, &mut self.payload);
                packed += 1;
                if packed == self.records_per_message {
                    self.produce(None, packed, &mut deadline);
                    self.payload.clear();
                    packed = 0;
                }
            }
            if packed > 0 {
                self.produce(None, packed, &mut deadline);
            }
        }
        // Sent is known only from delivery reports: see settle.
        Ok(0)
    }

    fn flush(&mut self) -> Result<u64, SinkError> {
        Ok(0)
    }

    fn takes_counters(&self) -> bool {
        false
    }

    /// Failing while records wait and the last broker event was a failure.
    fn health(&self) -> Health {
        if self.counts.unreachable() && self.producer.in_flight_count() > 0 {
            let why = self.counts.last_error.lock().unwrap().clone();
            Health::Failing(format!("no Kafka broker reachable ({why})"))
        } else {
            Health::Ok
        }
    }

    fn settle(&mut self) -> Settled {
        let mut out = Settled::default();
        let delivered = self.counts.delivered.load(Ordering::Relaxed);
        out.sent = delivered - self.seen_delivered;
        self.seen_delivered = delivered;
        for (i, reason) in REASONS.iter().enumerate() {
            let total = self.counts.failed[i].load(Ordering::Relaxed);
            let n = total - self.seen_failed[i];
            self.seen_failed[i] = total;
            if n > 0 {
                let last = self.counts.last_error.lock().unwrap().clone();
                out.dropped.push(SinkError {
                    reason,
                    dropped: n,
                    detail: format!("Kafka delivery failed ({reason}); last client error: {last}"),
                    io_kind: None,
                });
            }
        }
        for (i, reason) in REASONS.iter().chain([&QUEUE_FULL]).enumerate() {
            let n = std::mem::take(&mut self.refused[i]);
            if n > 0 {
                out.dropped.push(SinkError {
                    reason,
                    dropped: n,
                    detail: self.refused_detail.clone(),
                    io_kind: None,
                });
            }
        }
        self.refused_detail.clear();
        self.buffered
            .store(self.producer.in_flight_count().into(), Ordering::Relaxed);
        let up = !self.counts.unreachable();
        self.connected.store(up.into(), Ordering::Relaxed);
        out
    }

    /// Waits for what is queued; what is still undelivered at `timeout` is
    /// purged, and its delivery reports count it as `purged_at_shutdown`.
    fn close(&mut self, timeout: Duration) -> Result<u64, SinkError> {
        if self.producer.flush(timeout).is_err() {
            let left = self.producer.in_flight_count();
            tracing::warn!(sink = %self.name, "{left} records still undelivered at shutdown: purging them");
            self.producer
                .purge(PurgeConfig::default().queue().inflight());
            let _ = self.producer.flush(Duration::from_secs(1));
        }
        Ok(0)
    }
}
