//! Flow-derived counters on the server's own /metrics: bytes and packets
//! per configured label set, and sFlow interface counters, in bounded
//! tables ([`table`], [`interfaces`]).
//!
//! The sink is inline (`Sink::inline`): each receive worker aggregates its
//! flow records into a shard of its own on its own thread, under a lock
//! only the scrape and the flush timer also take, so records never cross
//! cores or queues. Before every scrape and flush the shards' new counts
//! are folded into the sink's table, which alone keeps the totals (so a
//! series stays monotonic whichever worker saw it) and expires series.
//! Counter samples are rare and go to the sink's table directly.
//!
//! Scaling: when `scale_by_sampling_rate` is on and a record's
//! `sampling_rate` is above 1 (sFlow; NetFlow v5/v9 and IPFIX that announce
//! a rate), bytes and packets are multiplied by it. Open vSwitch IPFIX
//! sends no rate (its counts are already scaled; rate 0), so it is counted
//! as sent.

mod encode;
mod interfaces;
mod table;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use flowgate_config::{DirectionFilter, PrometheusSinkConfig};
use flowgate_record::{
    CounterRecord, FieldId, FlowRecord, OutputFormat, RecordBatch, RenderOptions, Renderer,
};

use super::fieldkey::FieldKey;
use super::{ChunkSender, Health, InlineShards, InlineSink, Sink, SinkError, Taken};
use crate::metrics::Metrics;
use interfaces::InterfaceTable;
use table::FlowTable;

/// The aggregation itself, apart from the sink plumbing (public for the
/// allocation test).
#[derive(Debug)]
pub struct FlowAggregator {
    key: FieldKey,
    /// Per label: renders `name=value\n` for a new series' label value.
    renderers: Vec<(FieldId, Renderer)>,
    scratch: Vec<u8>,
    scale: bool,
    direction: DirectionFilter,
    pub(crate) flows: FlowTable,
    pub(crate) interfaces: Option<InterfaceTable>,
}

impl FlowAggregator {
    pub fn new(cfg: &PrometheusSinkConfig) -> Self {
        let ids: Vec<FieldId> = cfg
            .labels
            .iter()
            .filter_map(|n| FieldId::from_name(n))
            .collect();
        let renderers = ids
            .iter()
            .map(|&id| {
                let opts = RenderOptions {
                    format: OutputFormat::Text,
                    fields: Some(vec![id]),
                    names: cfg.names,
                };
                (id, Renderer::new(opts))
            })
            .collect();
        FlowAggregator {
            key: FieldKey::new(&ids),
            renderers,
            scratch: Vec::with_capacity(256),
            scale: cfg.scale_by_sampling_rate,
            direction: cfg.flow_direction,
            flows: FlowTable::new(cfg.max_series),
            interfaces: cfg
                .interfaces
                .then(|| InterfaceTable::new(cfg.max_interfaces)),
        }
    }

    /// A receive worker's shard: flows only.
    fn shard(cfg: &PrometheusSinkConfig) -> Self {
        FlowAggregator {
            interfaces: None,
            ..FlowAggregator::new(cfg)
        }
    }

    pub fn label_names(&self) -> Vec<&'static str> {
        self.renderers.iter().map(|(id, _)| id.name()).collect()
    }

    /// Adds every counted record of `flows`; `now` in seconds.
    pub fn add_flows(&mut self, flows: &RecordBatch, now: u64) {
        for rec in flows {
            if !self.counted(rec) {
                continue;
            }
            let rate = if self.scale && rec.sampling_rate > 1 {
                rec.sampling_rate
            } else {
                1
            };
            self.scratch.clear();
            self.key.write(rec, &mut self.scratch);
            let renderers = &self.renderers;
            self.flows.add(
                &self.scratch,
                now,
                rec.bytes.saturating_mul(rate),
                rec.packets.saturating_mul(rate),
                || label_values(renderers, rec),
            );
        }
    }

    pub fn add_counters(&mut self, counters: &[CounterRecord], now: u64) {
        if let Some(t) = &mut self.interfaces {
            for c in counters {
                t.update(c, now);
            }
        }
    }

    pub fn expire(&mut self, now: u64, ttl: u64) {
        self.flows.expire(now, ttl);
        if let Some(t) = &mut self.interfaces {
            t.expire(now, ttl);
        }
    }

    fn counted(&self, rec: &FlowRecord) -> bool {
        match (self.direction, rec.flow_direction) {
            (DirectionFilter::Both, _) | (_, None) => true,
            (DirectionFilter::Ingress, Some(d)) => d == 0,
            (DirectionFilter::Egress, Some(d)) => d == 1,
        }
    }
}

/// A new series' label values: each field's text rendering without `name=`.
fn label_values(renderers: &[(FieldId, Renderer)], rec: &FlowRecord) -> Box<[Box<str>]> {
    let mut line = Vec::new();
    renderers
        .iter()
        .map(|(id, r)| {
            line.clear();
            r.write(rec, &mut line);
            let value = line
                .strip_prefix(id.name().as_bytes())
                .and_then(|v| v.strip_prefix(b"="))
                .unwrap_or(&line);
            let value = value.strip_suffix(b"\n").unwrap_or(value);
            String::from_utf8_lossy(value).into()
        })
        .collect()
}

pub(crate) struct Shared {
    prefix: String,
    labels: Vec<&'static str>,
    agg: Mutex<FlowAggregator>,
    /// The receive workers' shards, folded into `agg` before it is read.
    shards: Mutex<Vec<Arc<Mutex<FlowAggregator>>>>,
    cfg: PrometheusSinkConfig,
    start: Instant,
    /// Seconds added to the clock (tests stand in for waiting).
    skew: AtomicU64,
}

impl Shared {
    /// Seconds since the sink started: the tables' clock.
    fn now(&self) -> u64 {
        self.start.elapsed().as_secs() + self.skew.load(Ordering::Relaxed)
    }

    /// Moves the shards' new counts into `agg` (which the caller locked:
    /// always `agg` first, then a shard, never the other way round).
    fn fold(&self, agg: &mut FlowAggregator) {
        for shard in self.shards.lock().unwrap().iter() {
            shard.lock().unwrap().flows.fold_into(&mut agg.flows);
        }
    }
}

pub struct PrometheusSink {
    name: String,
    shared: Arc<Shared>,
}

impl PrometheusSink {
    pub fn new(name: &str, cfg: &PrometheusSinkConfig, metrics: &Metrics) -> Self {
        let agg = FlowAggregator::new(cfg);
        let shared = Arc::new(Shared {
            prefix: cfg.metric_prefix.clone(),
            labels: agg.label_names(),
            agg: Mutex::new(agg),
            shards: Mutex::new(Vec::new()),
            cfg: cfg.clone(),
            start: Instant::now(),
            skew: AtomicU64::new(0),
        });
        metrics.sink_series.source(shared.clone());
        PrometheusSink {
            name: name.to_owned(),
            shared,
        }
    }
}

impl Sink for PrometheusSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&mut self, flows: &RecordBatch, counters: &[CounterRecord]) -> Result<u64, SinkError> {
        let now = self.shared.now();
        let mut agg = self.shared.agg.lock().unwrap();
        agg.add_flows(flows, now);
        agg.add_counters(counters, now);
        let taken = if self.takes_counters() {
            counters.len()
        } else {
            0
        };
        Ok((flows.len() + taken) as u64)
    }

    fn flush(&mut self) -> Result<u64, SinkError> {
        let now = self.shared.now();
        let ttl = self.shared.cfg.series_ttl.get().as_secs();
        let mut agg = self.shared.agg.lock().unwrap();
        self.shared.fold(&mut agg);
        agg.expire(now, ttl);
        // Folded just now, so what a shard drops here is counted already;
        // it only gives up the key (bounded memory for label sets that went away).
        for shard in self.shared.shards.lock().unwrap().iter() {
            shard.lock().unwrap().flows.expire(now, ttl);
        }
        Ok(0)
    }

    fn takes_counters(&self) -> bool {
        self.shared.cfg.interfaces
    }

    fn health(&self) -> Health {
        Health::Ok
    }

    fn inline(&self, _: &ChunkSender) -> Option<Arc<dyn InlineShards>> {
        Some(Arc::new(Shards(self.shared.clone())))
    }
}

struct Shards(Arc<Shared>);

impl InlineShards for Shards {
    fn shard(&self) -> Box<dyn InlineSink> {
        let shard = Arc::new(Mutex::new(FlowAggregator::shard(&self.0.cfg)));
        self.0.shards.lock().unwrap().push(shard.clone());
        Box::new(WorkerShard {
            shard,
            shared: self.0.clone(),
        })
    }
}

/// One receive worker's part of the sink.
struct WorkerShard {
    shard: Arc<Mutex<FlowAggregator>>,
    shared: Arc<Shared>,
}

impl InlineSink for WorkerShard {
    fn take(&mut self, flows: &RecordBatch, counters: &[CounterRecord]) -> Taken {
        let now = self.shared.now();
        if !flows.is_empty() {
            self.shard.lock().unwrap().add_flows(flows, now);
        }
        let mut taken = flows.len();
        if self.shared.cfg.interfaces && !counters.is_empty() {
            // The shard's lock is released: `agg` is never taken after it.
            self.shared.agg.lock().unwrap().add_counters(counters, now);
            taken += counters.len();
        }
        Taken {
            received: taken as u64,
            sent: taken as u64,
            dropped: None,
        }
    }
}

#[cfg(test)]
mod tests;
