//! The `sinks:` section: a list of sinks, each a mapping with a `type`, an
//! optional `name` (default: the type; the `sink` label of its metrics)
//! and that type's keys. Several sinks of one type run side by side when
//! their names differ. `config/flowgate.yaml` shows every key of each type.
//!
//! The older mapping form (`sinks: {stdout: {...}}`, the key being the
//! name and, when `type` is absent, the type) is still read: it is also
//! what `FLOWGATE_SINKS_<NAME>_<KEY>` variables are applied to.

mod kafka;
mod serde_impl;
mod validate;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::schema::StdoutSinkConfig;
use crate::units::HumanDuration;

pub use kafka::{
    KafkaCompression, KafkaFormat, KafkaSaslConfig, KafkaSinkConfig, KafkaTlsConfig, PropertyValue,
    SaslMechanism, DEFAULT_KAFKA_KEY,
};
pub(crate) use serde_impl::env_view;
pub(crate) use validate::validate;

/// Every configured sink, in order. Default: one stdout sink.
#[derive(Debug, Clone, PartialEq)]
pub struct SinksConfig(pub Vec<SinkConfig>);

impl Default for SinksConfig {
    fn default() -> Self {
        SinksConfig(vec![SinkConfig::Stdout(StdoutSinkConfig::default())])
    }
}

impl SinksConfig {
    pub fn iter(&self) -> std::slice::Iter<'_, SinkConfig> {
        self.0.iter()
    }

    /// The sink called `name`.
    pub fn find(&self, name: &str) -> Option<&SinkConfig> {
        self.0.iter().find(|s| s.name() == name)
    }

    /// The first stdout sink, which the `--output`/`--format`/`--fields`/
    /// `--names` flags configure; one is added when there is none.
    pub fn stdout_mut(&mut self) -> &mut StdoutSinkConfig {
        let i = match self
            .0
            .iter()
            .position(|s| matches!(s, SinkConfig::Stdout(_)))
        {
            Some(i) => i,
            None => {
                self.0.push(SinkConfig::Stdout(StdoutSinkConfig::default()));
                self.0.len() - 1
            }
        };
        match &mut self.0[i] {
            SinkConfig::Stdout(s) => s,
            _ => unreachable!("found as stdout"),
        }
    }

    /// Sinks whose settings changed in a way only a restart applies
    /// (added, removed, or changed beyond what `reload` takes).
    pub fn restart_only_changes(&self, new: &SinksConfig) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.0 {
            match new.find(s.name()) {
                None => out.push(format!("sinks ({} removed)", s.name())),
                Some(n) if !s.same_but_reloadable(n) => {
                    out.push(format!("sinks ({} changed)", s.name()))
                }
                Some(_) => {}
            }
        }
        for n in &new.0 {
            if self.find(n.name()).is_none() {
                out.push(format!("sinks ({} added)", n.name()));
            }
        }
        out
    }
}

// A few per process, read at start: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SinkConfig {
    Stdout(StdoutSinkConfig),
    Kafka(KafkaSinkConfig),
    Prometheus(PrometheusSinkConfig),
}

/// The keys every sink type has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinkCommon<'a> {
    pub name: &'a str,
    pub enabled: bool,
    pub queue_batches: usize,
    pub flush_interval: HumanDuration,
}

impl SinkConfig {
    pub const TYPES: [&'static str; 3] = ["stdout", "kafka", "prometheus"];

    pub fn type_name(&self) -> &'static str {
        match self {
            SinkConfig::Stdout(_) => "stdout",
            SinkConfig::Kafka(_) => "kafka",
            SinkConfig::Prometheus(_) => "prometheus",
        }
    }

    /// A sink of `type_name` with every default, or None for an unknown type.
    pub fn default_of(type_name: &str) -> Option<SinkConfig> {
        Some(match type_name {
            "stdout" => SinkConfig::Stdout(Default::default()),
            "kafka" => SinkConfig::Kafka(Default::default()),
            "prometheus" => SinkConfig::Prometheus(Default::default()),
            _ => return None,
        })
    }

    pub fn common(&self) -> SinkCommon<'_> {
        macro_rules! common {
            ($c:expr) => {
                SinkCommon {
                    name: $c.name.as_deref().unwrap_or(self.type_name()),
                    enabled: $c.enabled,
                    queue_batches: $c.queue_batches,
                    flush_interval: $c.flush_interval,
                }
            };
        }
        match self {
            SinkConfig::Stdout(c) => common!(c),
            SinkConfig::Kafka(c) => common!(c),
            SinkConfig::Prometheus(c) => common!(c),
        }
    }

    /// The `sink` label of its metrics: `name`, else the type.
    pub fn name(&self) -> &str {
        self.common().name
    }

    /// Equal apart from what a running sink applies on SIGHUP (the stdout
    /// sink's output path and rendering).
    fn same_but_reloadable(&self, new: &SinkConfig) -> bool {
        match (self, new) {
            (SinkConfig::Stdout(a), SinkConfig::Stdout(b)) => {
                a.enabled == b.enabled
                    && a.queue_batches == b.queue_batches
                    && a.flush_interval == b.flush_interval
                    && a.render_threads == b.render_threads
            }
            (a, b) => a == b,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DirectionFilter {
    /// Ingress records and those without a direction (Open vSwitch IPFIX
    /// exports each sampled packet once per direction).
    #[default]
    Ingress,
    /// Egress records and those without a direction.
    Egress,
    /// Every record.
    Both,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusSinkConfig {
    pub name: Option<String>,
    pub enabled: bool,
    /// Series are named `<prefix>_flow_bytes_total`, `<prefix>_interface_...`.
    pub metric_prefix: String,
    /// Record fields (docs/record.md) that label the flow series.
    #[serde(deserialize_with = "crate::schema::string_list")]
    pub labels: Vec<String>,
    /// proto and etype label values as names ("TCP", "IPv4").
    pub names: bool,
    /// Multiply bytes and packets by `sampling_rate` when it is above 1.
    pub scale_by_sampling_rate: bool,
    pub flow_direction: DirectionFilter,
    /// Flow series kept; records of further label sets go to one overflow series.
    pub max_series: usize,
    /// A series (flow or interface) not updated for this long is dropped.
    pub series_ttl: HumanDuration,
    /// sFlow counter samples as interface counters.
    pub interfaces: bool,
    pub max_interfaces: usize,
    pub queue_batches: usize,
    pub flush_interval: HumanDuration,
}

impl Default for PrometheusSinkConfig {
    fn default() -> Self {
        PrometheusSinkConfig {
            name: None,
            enabled: true,
            metric_prefix: "flowgate".into(),
            labels: DEFAULT_PROMETHEUS_LABELS.map(String::from).to_vec(),
            names: true,
            scale_by_sampling_rate: true,
            flow_direction: DirectionFilter::Ingress,
            max_series: 10_000,
            series_ttl: HumanDuration::secs(300),
            interfaces: true,
            max_interfaces: 10_000,
            queue_batches: 64,
            flush_interval: HumanDuration::secs(1),
        }
    }
}

/// Namespace and workload of both ends, protocol, and the node that sampled.
pub const DEFAULT_PROMETHEUS_LABELS: [&str; 6] = [
    "src_k8s_namespace",
    "src_k8s_owner_name",
    "dst_k8s_namespace",
    "dst_k8s_owner_name",
    "proto",
    "sampler_k8s_node",
];
