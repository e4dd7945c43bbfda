//! Series sinks add to /metrics once they run: gauges one per sink (the
//! Kafka producer's queue), and whole families a sink encodes itself (the
//! Prometheus sink's flow and interface counters). Registered at sink
//! start, read at scrape time.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// A sink's own families, written at each scrape. Names must not clash
/// with other sources' (the Prometheus sinks' prefixes are unique).
pub trait MetricSource: Send + Sync {
    fn encode(&self, enc: &mut DescriptorEncoder) -> fmt::Result;
}

struct SinkGauge {
    family: &'static str,
    help: &'static str,
    sink: String,
    value: Arc<AtomicI64>,
}

#[derive(Default)]
pub struct SinkSeries {
    gauges: Mutex<Vec<SinkGauge>>,
    sources: Mutex<Vec<Arc<dyn MetricSource>>>,
}

impl fmt::Debug for SinkSeries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SinkSeries")
    }
}

impl SinkSeries {
    /// `family{sink="..."}` reads `value` at each scrape.
    pub fn gauge(
        &self,
        family: &'static str,
        help: &'static str,
        sink: &str,
        value: Arc<AtomicI64>,
    ) {
        self.gauges.lock().unwrap().push(SinkGauge {
            family,
            help,
            sink: sink.to_owned(),
            value,
        });
    }

    pub fn source(&self, source: Arc<dyn MetricSource>) {
        self.sources.lock().unwrap().push(source);
    }
}

#[derive(Debug)]
pub struct SinkSeriesCollector(pub Arc<SinkSeries>);

impl Collector for SinkSeriesCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        {
            let gauges = self.0.gauges.lock().unwrap();
            let mut families: Vec<(&'static str, &'static str)> = Vec::new();
            for g in gauges.iter() {
                if !families.iter().any(|(f, _)| *f == g.family) {
                    families.push((g.family, g.help));
                }
            }
            for (family, help) in families {
                let mut m = enc.encode_descriptor(family, help, None, MetricType::Gauge)?;
                for g in gauges.iter().filter(|g| g.family == family) {
                    let labels = [("sink", g.sink.as_str())];
                    ConstGauge::new(g.value.load(Ordering::Relaxed))
                        .encode(m.encode_family(&labels)?)?;
                }
            }
        }
        let sources = self.0.sources.lock().unwrap().clone();
        for s in sources {
            s.encode(&mut enc)?;
        }
        Ok(())
    }
}
