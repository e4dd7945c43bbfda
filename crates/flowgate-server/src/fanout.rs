//! Hands every record batch to every sink's queue without waiting: a full
//! queue drops the batch for that sink only, counted under
//! `flowgate_records_dropped_total{stage="sink_queue"}` and logged at most
//! once per window. Inline sinks (see `Sink::inline`) take the batch on
//! the worker's own thread instead, through a shard per worker; what a
//! shard cannot hand on to its sink's thread is counted the same way.

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;

use crate::batch::Batch;
use crate::logging::RateLimiter;
use crate::metrics::Metrics;
use crate::queue::QueueSender;
use crate::sink::{Delivery, InlineShards, InlineSink, SinkHandle, Taken};

#[derive(Clone)]
struct Target {
    name: Arc<str>,
    queue: QueueSender<Delivery>,
}

#[derive(Clone)]
struct Inline {
    name: Arc<str>,
    shards: Arc<dyn InlineShards>,
    received: Counter,
    sent: Counter,
}

/// Each receive worker holds a clone; the sinks' queues close when the
/// last clone is dropped.
#[derive(Clone)]
pub struct Fanout {
    targets: Vec<Target>,
    inline: Vec<Inline>,
    drops: Drops,
}

impl Fanout {
    pub fn new(sinks: &[SinkHandle], metrics: Arc<Metrics>, limiter: Arc<RateLimiter>) -> Self {
        let mut targets = Vec::new();
        let mut inline = Vec::new();
        for s in sinks {
            match &s.inline {
                Some(shards) => inline.push(Inline {
                    name: s.name.as_str().into(),
                    shards: shards.clone(),
                    received: metrics.sink_records_counter(&s.name, "received"),
                    sent: metrics.sink_records_counter(&s.name, "sent"),
                }),
                None => targets.push(Target {
                    name: s.name.as_str().into(),
                    queue: s.queue.clone(),
                }),
            }
        }
        Fanout {
            targets,
            inline,
            drops: Drops { metrics, limiter },
        }
    }

    /// The calling worker's own shards of the inline sinks.
    pub fn inline_shards(&self) -> InlineTargets {
        InlineTargets {
            shards: self
                .inline
                .iter()
                .map(|i| (i.shards.shard(), i.clone()))
                .collect(),
            drops: self.drops.clone(),
        }
    }

    /// Whether any sink takes batches through a queue.
    pub fn has_queues(&self) -> bool {
        !self.targets.is_empty()
    }

    pub fn send(&self, batch: &Arc<Batch>) {
        for t in &self.targets {
            if let Err(e) = t.queue.try_send(Delivery::Batch(batch.clone())) {
                self.drops.count(&t.name, e.reason(), batch.len() as u64);
            }
        }
    }
}

#[derive(Clone)]
struct Drops {
    metrics: Arc<Metrics>,
    limiter: Arc<RateLimiter>,
}

impl Drops {
    fn count(&self, sink: &Arc<str>, reason: &'static str, n: u64) {
        self.metrics.record_drop("sink_queue", reason, sink, n);
        let why = if reason == "queue_full" {
            "queue full"
        } else {
            "sink stopped"
        };
        let name = sink.clone();
        self.limiter
            .warn(&format!("fanout/{sink}/{reason}"), n, move |total| {
                format!("dropped {total} records: {why} (sink {name})")
            });
    }
}

/// One worker's shards of the inline sinks, with their counters.
pub struct InlineTargets {
    shards: Vec<(Box<dyn InlineSink>, Inline)>,
    drops: Drops,
}

impl InlineTargets {
    pub fn take(&mut self, batch: &Batch) {
        for (shard, sink) in &mut self.shards {
            let taken = shard.take(&batch.flows, &batch.counters);
            Self::count(&self.drops, sink, taken);
        }
    }

    /// Hands on what the shards hold back; see `InlineSink::flush`.
    pub fn flush(&mut self) {
        for (shard, sink) in &mut self.shards {
            let taken = shard.flush();
            Self::count(&self.drops, sink, taken);
        }
    }

    fn count(drops: &Drops, sink: &Inline, t: Taken) {
        if t.received > 0 {
            sink.received.inc_by(t.received);
        }
        if t.sent > 0 {
            sink.sent.inc_by(t.sent);
        }
        if let Some((reason, n)) = t.dropped {
            drops.count(&sink.name, reason, n);
        }
    }
}
