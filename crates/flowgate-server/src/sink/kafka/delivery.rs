//! librdkafka's callbacks: delivery reports counted by outcome and reason
//! (read by the sink thread as deltas), client errors logged rate-limited,
//! and whether the brokers are reachable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::ProducerContext;

use crate::logging::RateLimiter;

/// Why librdkafka gave a record up, as the `reason` label of
/// `flowgate_records_dropped_total{stage="sink"}`.
pub const REASONS: [&str; 6] = [
    "message_timed_out",
    "message_too_large",
    "unknown_topic",
    "not_authorized",
    "purged_at_shutdown",
    "delivery_failed",
];

pub fn reason_index(code: Option<RDKafkaErrorCode>) -> usize {
    use RDKafkaErrorCode as E;
    match code {
        Some(E::MessageTimedOut) => 0,
        Some(E::MessageSizeTooLarge) | Some(E::InvalidMessageSize) => 1,
        Some(E::UnknownTopic) | Some(E::UnknownTopicOrPartition) | Some(E::UnknownPartition) => 2,
        Some(E::TopicAuthorizationFailed)
        | Some(E::ClusterAuthorizationFailed)
        | Some(E::Authentication)
        | Some(E::SaslAuthenticationFailed) => 3,
        Some(E::PurgeQueue) | Some(E::PurgeInflight) => 4,
        _ => 5,
    }
}

/// Counts since the start; the sink turns them into deltas.
#[derive(Debug, Default)]
pub struct DeliveryCounts {
    pub delivered: AtomicU64,
    pub failed: [AtomicU64; REASONS.len()],
    /// When (ms since the epoch) a record was last delivered, and when a
    /// broker connection last failed: the brokers count as unreachable
    /// while the failure is the newer of the two.
    last_delivery_ms: AtomicU64,
    last_failure_ms: AtomicU64,
    /// The last error librdkafka reported, for /healthz.
    pub last_error: Mutex<String>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl DeliveryCounts {
    pub fn unreachable(&self) -> bool {
        self.last_failure_ms.load(Ordering::Relaxed) > self.last_delivery_ms.load(Ordering::Relaxed)
    }
}

pub struct Context {
    pub sink: String,
    pub counts: Arc<DeliveryCounts>,
    pub limiter: Arc<RateLimiter>,
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, msg: &str) {
        let sink = &self.sink;
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
            | RDKafkaLogLevel::Warning => {
                let (sink, fac, msg) = (sink.clone(), fac.to_owned(), msg.to_owned());
                self.limiter
                    .warn(&format!("kafka/{sink}/log/{fac}"), 1, move |n| {
                        format!("kafka sink {sink}: librdkafka {fac}: {msg} ({n} times)")
                    });
            }
            _ => tracing::debug!(sink = %sink, "librdkafka {fac}: {msg}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        use RDKafkaErrorCode as E;
        let code = error.rdkafka_error_code();
        if matches!(
            code,
            Some(E::AllBrokersDown | E::BrokerTransportFailure | E::Resolve | E::Authentication)
        ) {
            self.counts
                .last_failure_ms
                .store(now_ms(), Ordering::Relaxed);
        }
        *self.counts.last_error.lock().unwrap() = format!("{error}: {reason}");
        let (sink, text) = (self.sink.clone(), format!("{error}: {reason}"));
        self.limiter
            .warn(&format!("kafka/{}/error", self.sink), 1, move |n| {
                format!("kafka sink {sink}: {text} ({n} errors)")
            });
    }
}

impl ProducerContext for Context {
    /// Records in the message (see `records_per_message`).
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, records: usize) {
        let n = records as u64;
        match result {
            Ok(_) => {
                self.counts.delivered.fetch_add(n, Ordering::Relaxed);
                self.counts
                    .last_delivery_ms
                    .fetch_max(now_ms(), Ordering::Relaxed);
            }
            Err((e, _)) => {
                let i = reason_index(e.rdkafka_error_code());
                self.counts.failed[i].fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}
