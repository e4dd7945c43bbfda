//! Everything /metrics shows. Event counters that are few and low-volume
//! (drops, kernel drops, sink counts) are prometheus-client families; the
//! per-exporter table and the live gauges (queue depths) are read at
//! scrape time by collectors. `docs/operate.md` lists every series
//! (`tests/docs_operate.rs` holds it to what is registered here).

mod enrich;
mod exporters;
mod sink_series;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use flowgate_decode::ErrorKind;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

pub use exporters::{Counts, ExporterLabel, ExporterTable, LocalCounts};
pub use sink_series::{MetricSource, SinkSeries};

type Labels = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    pub exporters: Arc<ExporterTable>,
    records_dropped: Family<Labels, Counter>,
    datagrams_dropped: Family<Labels, Counter>,
    kernel_drops: Family<Labels, Counter>,
    receive_buffer: Family<Labels, Gauge>,
    workers: Family<Labels, Gauge>,
    worker_datagrams: Family<Labels, Counter>,
    sink_records: Family<Labels, Counter>,
    queues: Arc<Mutex<Vec<QueueGauge>>>,
    pub ready: Arc<AtomicBool>,
    /// What running sinks publish (Kafka producer gauges, Prometheus sink series).
    pub sink_series: Arc<SinkSeries>,
    enrichers: enrich::EnrichCollector,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

#[derive(Debug, Clone)]
struct QueueGauge {
    sink: String,
    depth: Arc<AtomicUsize>,
    capacity: usize,
}

impl Metrics {
    pub fn new(max_exporters: usize) -> Self {
        let mut registry = Registry::default();
        let exporters = Arc::new(ExporterTable::new(max_exporters));
        let m = Metrics {
            exporters: exporters.clone(),
            records_dropped: Family::default(),
            datagrams_dropped: Family::default(),
            kernel_drops: Family::default(),
            receive_buffer: Family::default(),
            workers: Family::default(),
            worker_datagrams: Family::default(),
            sink_records: Family::default(),
            queues: Arc::new(Mutex::new(Vec::new())),
            enrichers: enrich::EnrichCollector::default(),
            ready: Arc::new(AtomicBool::new(false)),
            sink_series: Arc::new(SinkSeries::default()),
            registry: Registry::default(),
        };
        registry.register(
            "flowgate_records_dropped",
            "Records dropped by flowgate, by pipeline stage, reason and sink",
            m.records_dropped.clone(),
        );
        registry.register(
            "flowgate_datagrams_dropped",
            "Datagrams dropped before decoding, by listener and reason",
            m.datagrams_dropped.clone(),
        );
        registry.register(
            "flowgate_kernel_drops",
            "Datagrams the kernel dropped because a socket's receive buffer was full (SO_RXQ_OVFL)",
            m.kernel_drops.clone(),
        );
        registry.register(
            "flowgate_receive_buffer_bytes",
            "SO_RCVBUF the kernel granted each socket of a listener (as getsockopt reports it)",
            m.receive_buffer.clone(),
        );
        registry.register(
            "flowgate_receive_workers",
            "Receive threads (SO_REUSEPORT sockets) per listener",
            m.workers.clone(),
        );
        registry.register(
            "flowgate_worker_datagrams",
            "Datagrams each receive worker read: the SO_REUSEPORT hash spreads exporters, not datagrams, so few exporters use few workers",
            m.worker_datagrams.clone(),
        );
        registry.register(
            "flowgate_sink_records",
            "Records a sink took off its queue (received) and delivered (sent)",
            m.sink_records.clone(),
        );
        registry.register_collector(Box::new(ExporterCollector(exporters)));
        registry.register_collector(Box::new(m.enrichers.clone()));
        registry.register_collector(Box::new(sink_series::SinkSeriesCollector(
            m.sink_series.clone(),
        )));
        registry.register_collector(Box::new(LiveCollector {
            queues: m.queues.clone(),
            ready: m.ready.clone(),
        }));
        Metrics { registry, ..m }
    }

    pub fn record_drop(&self, stage: &'static str, reason: &'static str, sink: &str, n: u64) {
        let labels = vec![
            ("stage", stage.into()),
            ("reason", reason.into()),
            ("sink", sink.into()),
        ];
        self.records_dropped.get_or_create(&labels).inc_by(n);
    }

    pub fn datagram_drop(&self, listener: &str, reason: &'static str, n: u64) {
        let labels = vec![("listener", listener.into()), ("reason", reason.into())];
        self.datagrams_dropped.get_or_create(&labels).inc_by(n);
    }

    pub fn kernel_drops(&self, listener: &str, n: u64) {
        self.kernel_drops
            .get_or_create(&vec![("listener", listener.into())])
            .inc_by(n);
    }

    pub fn set_receive_buffer(&self, listener: &str, bytes: usize) {
        self.receive_buffer
            .get_or_create(&vec![("listener", listener.into())])
            .set(bytes as i64);
    }

    pub fn set_workers(&self, listener: &str, n: usize) {
        self.workers
            .get_or_create(&vec![("listener", listener.into())])
            .set(n as i64);
    }

    pub fn worker_datagrams(&self, listener: &str, worker: usize, n: u64) {
        let labels = vec![
            ("listener", listener.into()),
            ("worker", worker.to_string()),
        ];
        self.worker_datagrams.get_or_create(&labels).inc_by(n);
    }

    pub fn sink_records(&self, sink: &str, outcome: &'static str, n: u64) {
        let labels = vec![("sink", sink.into()), ("outcome", outcome.into())];
        self.sink_records.get_or_create(&labels).inc_by(n);
    }

    /// A handle on one `flowgate_sink_records_total` series, for a caller
    /// that counts often (an inline sink's shard on a receive worker).
    pub fn sink_records_counter(&self, sink: &str, outcome: &'static str) -> Counter {
        let labels = vec![("sink", sink.into()), ("outcome", outcome.into())];
        self.sink_records.get_or_create(&labels).clone()
    }

    pub fn register_queue(&self, sink: &str, depth: Arc<AtomicUsize>, capacity: usize) {
        self.queues.lock().unwrap().push(QueueGauge {
            sink: sink.into(),
            depth,
            capacity,
        });
        // Present from the start, so a dashboard sees 0 rather than nothing.
        self.sink_records(sink, "received", 0);
        self.sink_records(sink, "sent", 0);
        self.record_drop("sink_queue", "queue_full", sink, 0);
    }

    /// The enrichers whose counters and health /metrics shows.
    pub fn set_enrichers(&self, chain: &flowgate_enrich::EnricherChain) {
        *self.enrichers.0.lock().unwrap() = chain.clone();
    }

    /// The Prometheus text exposition (OpenMetrics flavour).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            let _ = writeln!(out, "# encoding failed");
        }
        out
    }
}

#[derive(Debug)]
struct ExporterCollector(Arc<ExporterTable>);

fn counter(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl Iterator<Item = (Labels, u64)>,
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, v) in rows {
        ConstCounter::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

fn gauge(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl Iterator<Item = (Labels, i64)>,
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, v) in rows {
        if labels.is_empty() {
            // encode_family would print an empty `{}`.
            ConstGauge::new(v).encode(m)?;
            return Ok(());
        }
        ConstGauge::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for ExporterCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snap = self.0.snapshot();
        let key = |l: &ExporterLabel, p: &flowgate_decode::Protocol| -> Labels {
            vec![("exporter", l.to_string()), ("protocol", p.as_str().into())]
        };
        let per_row =
            |f: fn(&Counts) -> u64| snap.rows.iter().map(move |(l, p, c)| (key(l, p), f(c)));
        counter(
            &mut enc,
            "flowgate_datagrams",
            "Datagrams received, by exporter address and protocol",
            per_row(|c| c.datagrams),
        )?;
        counter(
            &mut enc,
            "flowgate_datagram_bytes",
            "UDP payload bytes received",
            per_row(|c| c.bytes),
        )?;
        counter(
            &mut enc,
            "flowgate_records",
            "Flow records decoded",
            per_row(|c| c.records),
        )?;
        counter(
            &mut enc,
            "flowgate_counter_samples",
            "sFlow counter samples decoded",
            per_row(|c| c.counter_samples),
        )?;
        let errors = snap.rows.iter().flat_map(|(l, p, c)| {
            ErrorKind::ALL.iter().flat_map(move |&k| {
                let scoped = |scope: &'static str, n: u64| {
                    let mut labels = key(l, p);
                    labels.push(("reason", k.as_str().into()));
                    labels.push(("scope", scope.into()));
                    (labels, n)
                };
                [
                    scoped("datagram", c.rejected[k as usize]),
                    scoped("part", c.issues[k as usize]),
                ]
                .into_iter()
                .filter(|(_, n)| *n > 0)
            })
        });
        counter(
            &mut enc,
            "flowgate_decode_errors",
            "Decode problems by reason: scope=datagram rejected a whole datagram, scope=part a set or record inside one",
            errors,
        )?;
        gauge(
            &mut enc,
            "flowgate_templates",
            "NetFlow v9 / IPFIX templates known for the exporter address (all its ports and domains)",
            snap.templates.iter().map(|(l, n)| (vec![("exporter", l.to_string())], *n as i64)),
        )?;
        counter(
            &mut enc,
            "flowgate_sequence_gaps",
            "Sequence number jumps forward (each a loss event)",
            per_row(|c| c.seq_gaps),
        )?;
        counter(
            &mut enc,
            "flowgate_sequence_lost",
            "Units missing by sequence number: flows (NetFlow v5/v7), datagrams (v9, sFlow), data records (IPFIX)",
            per_row(|c| c.seq_lost),
        )?;
        counter(
            &mut enc,
            "flowgate_sequence_resets",
            "Sequence numbers going backwards (exporter restarts)",
            per_row(|c| c.seq_resets),
        )?;
        gauge(
            &mut enc,
            "flowgate_sequence_quirk_streams",
            "Streams whose sequence counts the current datagram too (Open vSwitch v5, softflowd IPFIX); their gaps are judged by that rule",
            snap.rows.iter().map(|(l, p, c)| (key(l, p), c.quirky_streams)),
        )?;
        gauge(
            &mut enc,
            "flowgate_exporters_labelled",
            "Exporter addresses with a label of their own (the rest count as exporter=\"overflow\")",
            std::iter::once((Vec::new(), self.0.admitted() as i64)),
        )
    }
}

#[derive(Debug)]
struct LiveCollector {
    queues: Arc<Mutex<Vec<QueueGauge>>>,
    ready: Arc<AtomicBool>,
}

impl Collector for LiveCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let queues = self.queues.lock().unwrap().clone();
        let label = |q: &QueueGauge| vec![("sink", q.sink.clone())];
        gauge(
            &mut enc,
            "flowgate_queue_depth",
            "Record batches waiting in a sink's queue",
            queues
                .iter()
                .map(|q| (label(q), q.depth.load(Ordering::Relaxed) as i64)),
        )?;
        gauge(
            &mut enc,
            "flowgate_queue_capacity",
            "Record batches a sink's queue holds before dropping",
            queues.iter().map(|q| (label(q), q.capacity as i64)),
        )?;
        gauge(
            &mut enc,
            "flowgate_ready",
            "1 once every listener is bound, 0 before and while shutting down",
            std::iter::once((Vec::new(), self.ready.load(Ordering::Relaxed) as i64)),
        )
    }
}
