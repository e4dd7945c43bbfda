//! docs/operate.md's metrics table must list exactly what flowgate exports,
//! with the right type and labels. "Exported" is checked two ways: a
//! running collector with every kind of sink and an enricher, fed real
//! captures, is scraped; and every metric name the server's source
//! registers by literal must be documented, so a family that appears only
//! under conditions this run does not create is caught too.

mod server_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use server_support::*;

/// The metrics table of docs/operate.md: name -> (type, labels). Labels are
/// None when the cell describes configured labels rather than listing them.
fn documented() -> BTreeMap<String, (String, Option<BTreeSet<String>>)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operate.md"))
        .expect("docs/operate.md");
    let mut out = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| `flowgate_")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let labels = if cells[3].contains("labels`") {
            None
        } else {
            Some(
                cells[3]
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )
        };
        let prev = out.insert(name.clone(), (cells[2].to_owned(), labels));
        assert!(prev.is_none(), "docs/operate.md lists {name} twice");
    }
    assert!(out.len() > 30, "table not found: {out:?}");
    out
}

/// name -> type from the `# TYPE` lines (counters under their sample name,
/// with `_total`), and name -> label names of its samples.
fn exported(text: &str) -> (BTreeMap<String, String>, BTreeMap<String, BTreeSet<String>>) {
    let mut types = BTreeMap::new();
    let mut labels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in text.lines() {
        if let Some(t) = l.strip_prefix("# TYPE ") {
            let (name, kind) = t.split_once(' ').unwrap();
            let name = if kind == "counter" {
                format!("{name}_total")
            } else {
                name.to_owned()
            };
            types.insert(name, kind.to_owned());
        } else if !l.starts_with('#') && !l.is_empty() {
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let mut set = BTreeSet::new();
            if let Some(rest) = l[name.len()..].strip_prefix('{') {
                let inner = &rest[..rest.rfind('}').unwrap()];
                // Label values here never contain `",`, so splitting on it is exact.
                for pair in inner.split("\",") {
                    set.insert(pair.split_once('=').unwrap().0.to_owned());
                }
            }
            labels.insert(name, set);
        }
    }
    (types, labels)
}

/// A collector with a stdout, a Prometheus and a Kafka sink (its broker
/// absent: only its gauges matter) and a static enricher, fed an sFlow and
/// an IPFIX capture so that per-exporter and interface series have samples.
fn scrape(dir: &Path) -> String {
    let (sflow, ipfix) = (free_udp_port(), free_udp_port());
    let map = dir.join("map.yaml");
    std::fs::write(&map, "addresses:\n  - address: 10.0.0.0/8\n    name: lab\n").unwrap();
    let config = dir.join("flowgate.yaml");
    std::fs::write(
        &config,
        format!(
            "enrich:\n  - type: static\n    path: {}\nsinks:\n  - type: stdout\n    path: {}\n    flush_interval: 100ms\n  - type: prometheus\n    flush_interval: 100ms\n  - type: kafka\n    brokers: 127.0.0.1:{}\n",
            map.display(),
            dir.join("records.json").display(),
            free_tcp_port()
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
        "--state-dir",
        dir.join("state").to_str().unwrap(),
    ]);
    for (port, capture) in [(sflow, "ovs-sflow.pcap"), (ipfix, "ovs-ipfix.pcap")] {
        let d: Vec<Vec<u8>> = datagrams(&data(capture)).into_iter().map(|d| d.1).collect();
        send_all(format!("127.0.0.1:{port}").parse().unwrap(), &d);
    }
    // 64 sFlow flow samples + 24 counter samples + 50 IPFIX records.
    let series = "flowgate_sink_records_total{sink=\"prometheus\",outcome=\"sent\"}";
    let sent = server.wait_metric(series, 138.0);
    assert_eq!(sent, 138.0, "{series}\n{}", server.stderr());
    server.metrics()
}

#[test]
fn operate_md_documents_every_metric_with_its_type_and_labels() {
    let docs = documented();
    let dir = scratch("docs-operate");
    let (types, labels) = exported(&scrape(&dir));
    let _ = std::fs::remove_dir_all(&dir);

    let undocumented: Vec<&String> = types.keys().filter(|n| !docs.contains_key(*n)).collect();
    let stale: Vec<&String> = docs.keys().filter(|n| !types.contains_key(*n)).collect();
    assert!(
        undocumented.is_empty(),
        "metrics exported but not in docs/operate.md: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/operate.md lists metrics flowgate does not export: {stale:?}"
    );
    for (name, (kind, want)) in &docs {
        assert_eq!(&types[name], kind, "type of {name} in docs/operate.md");
        // Families without samples in this run (no decode errors, say)
        // cannot show their labels; every other one must match.
        if let (Some(want), Some(got)) = (want, labels.get(name)) {
            assert_eq!(got, want, "labels of {name} in docs/operate.md");
        }
    }
    let sampled = docs.keys().filter(|n| labels.contains_key(*n)).count();
    assert!(sampled > 25, "only {sampled} families had samples");
}

/// Names registered by literal in the server's source (not its tests): the
/// ones that appear only in some configurations are still documented.
#[test]
fn every_metric_name_in_the_server_source_is_documented() {
    let docs = documented();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/flowgate-server/src");
    let mut found = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".rs") && !name.contains("test") {
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("\"flowgate_").skip(1) {
                    let Some((ident, _)) = piece.split_once('"') else {
                        continue;
                    };
                    if ident.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                        found.insert(format!("flowgate_{ident}"));
                    }
                }
            }
        }
    }
    assert!(found.len() > 20, "{found:?}");
    let missing: Vec<&String> = found
        .iter()
        .filter(|n| !docs.contains_key(*n) && !docs.contains_key(&format!("{n}_total")))
        .collect();
    assert!(
        missing.is_empty(),
        "registered in crates/flowgate-server/src but not in docs/operate.md: {missing:?}"
    );
}
