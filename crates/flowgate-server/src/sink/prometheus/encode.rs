//! The Prometheus sink's families, written at scrape time from its tables.
//! docs/server.md lists them.

use std::fmt;

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use super::interfaces::{known32, known64, packets, Interface};
use super::Shared;
use crate::metrics::MetricSource;

type Row<'a> = (Vec<(&'a str, &'a str)>, u64);

fn family(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    rows: impl Iterator<Item = (Vec<(&'static str, String)>, u64)>,
) -> fmt::Result {
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, v) in rows {
        if labels.is_empty() {
            // encode_family would print an empty `{}`.
            return match kind {
                MetricType::Counter => ConstCounter::new(v).encode(m),
                _ => ConstGauge::new(v as i64).encode(m),
            };
        }
        let f = m.encode_family(&labels)?;
        match kind {
            MetricType::Counter => ConstCounter::new(v).encode(f)?,
            _ => ConstGauge::new(v as i64).encode(f)?,
        }
    }
    Ok(())
}

fn flow_family<'a>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: impl Iterator<Item = Row<'a>>,
) -> fmt::Result {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, v) in rows {
        ConstCounter::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

fn one(v: u64) -> std::iter::Once<(Vec<(&'static str, String)>, u64)> {
    std::iter::once((Vec::new(), v))
}

impl MetricSource for Shared {
    fn encode(&self, enc: &mut DescriptorEncoder) -> fmt::Result {
        let mut agg = self.agg.lock().unwrap();
        self.fold(&mut agg);
        let p = &self.prefix;
        let t = &agg.flows;
        let overflow: Vec<(&str, &str)> = self.labels.iter().map(|l| (*l, "overflow")).collect();
        let rows = |pick: fn(&super::table::Totals) -> u64| {
            let folded = (t.overflow.records > 0).then(|| (overflow.clone(), pick(&t.overflow)));
            t.series()
                .map(move |s| {
                    let labels = self
                        .labels
                        .iter()
                        .zip(s.labels.iter())
                        .map(|(k, v)| (*k, &**v))
                        .collect();
                    (labels, pick(&s.totals))
                })
                .chain(folded)
        };
        flow_family(
            enc,
            &format!("{p}_flow_bytes"),
            "Bytes of flows by the configured record fields, multiplied by sampling_rate where the exporter had not already scaled",
            rows(|t| t.bytes),
        )?;
        flow_family(
            enc,
            &format!("{p}_flow_packets"),
            "Packets of flows by the configured record fields, scaled as the bytes are",
            rows(|t| t.packets),
        )?;
        family(
            enc,
            &format!("{p}_flow_series"),
            "Flow label sets with a series of their own (at most max_series)",
            MetricType::Gauge,
            one(t.len() as u64),
        )?;
        family(
            enc,
            &format!("{p}_flow_series_overflow_records"),
            "Records added to the overflow series (every label \"overflow\") because max_series was reached",
            MetricType::Counter,
            one(t.overflow.records),
        )?;
        family(
            enc,
            &format!("{p}_flow_series_expired"),
            "Flow series removed after series_ttl without a record",
            MetricType::Counter,
            one(t.expired),
        )?;
        let Some(ifs) = &agg.interfaces else {
            return Ok(());
        };
        type Pick = fn(&Interface) -> Option<u64>;
        let counters: [(&str, &str, Pick); 8] = [
            ("in_octets", "Octets received (ifInOctets)", |i| {
                known64(i.counters.if_in_octets)
            }),
            ("out_octets", "Octets sent (ifOutOctets)", |i| {
                known64(i.counters.if_out_octets)
            }),
            (
                "in_packets",
                "Unicast, multicast and broadcast packets received",
                |i| {
                    let c = &i.counters;
                    packets(
                        c.if_in_ucast_pkts,
                        c.if_in_multicast_pkts,
                        c.if_in_broadcast_pkts,
                    )
                },
            ),
            (
                "out_packets",
                "Unicast, multicast and broadcast packets sent",
                |i| {
                    let c = &i.counters;
                    packets(
                        c.if_out_ucast_pkts,
                        c.if_out_multicast_pkts,
                        c.if_out_broadcast_pkts,
                    )
                },
            ),
            (
                "in_errors",
                "Inbound packets with errors (ifInErrors)",
                |i| known32(i.counters.if_in_errors),
            ),
            (
                "out_errors",
                "Outbound packets with errors (ifOutErrors)",
                |i| known32(i.counters.if_out_errors),
            ),
            (
                "in_discards",
                "Inbound packets discarded (ifInDiscards)",
                |i| known32(i.counters.if_in_discards),
            ),
            (
                "out_discards",
                "Outbound packets discarded (ifOutDiscards)",
                |i| known32(i.counters.if_out_discards),
            ),
        ];
        let labels = |i: &Interface| {
            vec![
                ("agent", i.agent.to_string()),
                ("if_index", i.if_index.to_string()),
                ("if_name", i.if_name.clone()),
            ]
        };
        for (name, help, pick) in counters {
            let help = format!("{help}, per sFlow agent and interface, as the agent counts them");
            family(
                enc,
                &format!("{p}_interface_{name}"),
                &help,
                MetricType::Counter,
                ifs.rows().filter_map(|i| pick(i).map(|v| (labels(i), v))),
            )?;
        }
        family(
            enc,
            &format!("{p}_interface_speed_bps"),
            "Interface speed in bits per second (ifSpeed), per sFlow agent and interface",
            MetricType::Gauge,
            ifs.rows()
                .filter_map(|i| known64(i.counters.if_speed).map(|v| (labels(i), v))),
        )?;
        family(
            enc,
            &format!("{p}_interfaces"),
            "Interfaces with counters of their own (at most max_interfaces)",
            MetricType::Gauge,
            one(ifs.len() as u64),
        )?;
        family(
            enc,
            &format!("{p}_interface_untracked_samples"),
            "Counter samples of interfaces beyond max_interfaces, not exported",
            MetricType::Counter,
            one(ifs.untracked),
        )
    }
}
