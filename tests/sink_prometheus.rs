//! The Prometheus sink end to end, and the Grafana dashboard against what
//! the binary really exports: real Open vSwitch sFlow and IPFIX captures
//! sent over loopback UDP to `flowgate run` with stdout, Prometheus and
//! Kafka sinks at once, then /metrics scraped.

mod server_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use server_support::*;

/// A running collector fed both captures, with its records file.
fn fed_server(dir: &Path) -> (Server, Vec<serde_json::Value>) {
    let (sflow, ipfix) = (free_udp_port(), free_udp_port());
    let records = dir.join("records.json");
    // Nothing listens on this port: the Kafka sink buffers, which is all
    // the dashboard test needs of it (its gauges).
    let kafka = format!("127.0.0.1:{}", free_tcp_port());
    let config = dir.join("flowgate.yaml");
    std::fs::write(
        &config,
        format!(
            "sinks:
  - type: stdout
    path: {}
    flush_interval: 100ms
  - type: prometheus
    flush_interval: 100ms
  - type: kafka
    brokers: {kafka}
    topic: flows
",
            records.display()
        ),
    )
    .unwrap();
    let server = Server::start(&[
        "--config",
        config.to_str().unwrap(),
        "--listen",
        &format!("sflow://127.0.0.1:{sflow},ipfix://127.0.0.1:{ipfix}"),
        "--workers",
        "1",
    ]);
    for (port, capture) in [(sflow, "ovs-sflow.pcap"), (ipfix, "ovs-ipfix.pcap")] {
        let d: Vec<Vec<u8>> = datagrams(&data(capture)).into_iter().map(|d| d.1).collect();
        send_all(format!("127.0.0.1:{port}").parse().unwrap(), &d);
    }
    // 64 sFlow flow samples + 24 counter samples + 50 IPFIX records.
    for sink in ["stdout", "prometheus"] {
        let series = format!("flowgate_sink_records_total{{sink=\"{sink}\",outcome=\"sent\"}}");
        let got = server.wait_metric(&series, 138.0);
        assert_eq!(got, 138.0, "{series}\n{}", server.stderr());
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&records)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 138);
    (server, lines)
}

/// `name{labels} value` lines of one family, as (labels, value).
fn samples(text: &str, name: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?.strip_prefix('{')?;
            let (labels, value) = rest.rsplit_once("} ")?;
            Some((labels.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn flow_and_interface_counters_match_the_records() {
    let dir = scratch("sink-prometheus");
    let (server, records) = fed_server(&dir);
    let text = server.metrics();

    // Expected from the records themselves: egress copies are not counted
    // (flow_direction 1: Open vSwitch exports each packet both ways), and
    // bytes are scaled by a sampling rate above 1.
    let mut want: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for r in records.iter().filter(|r| r["type"] != "SFLOW_COUNTERS") {
        if r["flow_direction"] == 1 {
            continue;
        }
        let rate = r["sampling_rate"].as_f64().unwrap().max(1.0);
        // The sink renders proto as a name (names: true, the default).
        let proto = flowgate_record::proto_name(r["proto"].as_u64().unwrap() as u8).to_owned();
        let e = want.entry(proto).or_default();
        e.0 += r["bytes"].as_f64().unwrap() * rate;
        e.1 += r["packets"].as_f64().unwrap() * rate;
    }
    let mut got: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (family, slot) in [
        ("flowgate_flow_bytes_total", 0),
        ("flowgate_flow_packets_total", 1),
    ] {
        for (labels, v) in samples(&text, family) {
            // Default labels: the k8s fields are empty without enrichment.
            let proto = labels
                .split(',')
                .find_map(|kv| kv.strip_prefix("proto=\""))
                .and_then(|p| p.strip_suffix('"'))
                .unwrap_or_else(|| panic!("no proto label in {labels}"))
                .to_owned();
            assert!(labels.contains("src_k8s_namespace=\"\""), "{labels}");
            assert!(labels.contains("sampler_k8s_node=\"\""), "{labels}");
            let e = got.entry(proto).or_default();
            if slot == 0 {
                e.0 += v
            } else {
                e.1 += v
            }
        }
    }
    assert!(!want.is_empty());
    assert_eq!(got, want, "per protocol (bytes, packets)");

    // Interface counters: the last sample per agent and ifIndex.
    let mut last: BTreeMap<(String, u64), &serde_json::Value> = BTreeMap::new();
    for r in records.iter().filter(|r| r["type"] == "SFLOW_COUNTERS") {
        let g = &r["generic_interface"];
        if g.is_null() {
            continue; // agent-wide samples (app resources, datapath stats)
        }
        let key = (
            r["sampler_address"].as_str().unwrap().to_owned(),
            g["if_index"].as_u64().unwrap(),
        );
        last.insert(key, r);
    }
    assert!(!last.is_empty());
    let interfaces = samples(&text, "flowgate_interface_in_octets_total");
    assert_eq!(interfaces.len(), last.len(), "{interfaces:?}");
    for ((agent, index), r) in &last {
        let name = r["port_name"].as_str().unwrap_or("");
        let labels = format!("agent=\"{agent}\",if_index=\"{index}\",if_name=\"{name}\"");
        let octets = r["generic_interface"]["if_in_octets"].as_f64().unwrap();
        assert!(
            interfaces.contains(&(labels.clone(), octets)),
            "{labels} {octets} not in {interfaces:?}"
        );
    }
    assert_eq!(
        server.metric("flowgate_flow_series_overflow_records_total"),
        Some(0.0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every metric the dashboard queries is exported by a running flowgate
/// with the sinks it is built on; the flow panels have data.
#[test]
fn the_grafana_dashboard_queries_only_metrics_flowgate_exports() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/grafana-dashboard.json");
    let dash: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut queries = Vec::new();
    collect_queries(&dash, &mut queries);
    let mut used = BTreeSet::new();
    for q in &queries {
        let mut rest = q.as_str();
        while let Some(i) = rest.find("flowgate_") {
            let name: String = rest[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[i + name.len()..];
            used.insert(name);
        }
    }
    assert!(used.len() > 20, "{used:?}");

    let dir = scratch("grafana-dashboard");
    let (server, _) = fed_server(&dir);
    let text = server.metrics();
    let exported = exported_names(&text);
    let missing: Vec<&String> = used.iter().filter(|n| !exported.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "docs/grafana-dashboard.json queries metrics flowgate does not export: {missing:?}"
    );
    for with_data in [
        "flowgate_flow_bytes_total",
        "flowgate_interface_in_octets_total",
        "flowgate_sink_records_total",
        "flowgate_kafka_buffered_records",
    ] {
        assert!(
            !samples(&text, with_data).is_empty(),
            "{with_data} has no sample"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn collect_queries(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("expr" | "query" | "definition", serde_json::Value::String(s)) => {
                        out.push(s.clone())
                    }
                    _ => collect_queries(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_queries(v, out)),
        _ => {}
    }
}

/// Sample names, and the series names each `# TYPE` line stands for (a
/// family with no sample yet is still exported).
fn exported_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for l in text.lines() {
        if let Some(t) = l.strip_prefix("# TYPE ") {
            let mut it = t.split_whitespace();
            let (Some(name), Some(kind)) = (it.next(), it.next()) else {
                continue;
            };
            names.insert(name.to_owned());
            if kind == "counter" {
                names.insert(format!("{name}_total"));
            }
        } else if !l.starts_with('#') {
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}
