use super::*;
use crate::{load, Config, RunArgs};

fn load_yaml(yaml: &str, vars: &[(&str, &str)], args: &RunArgs) -> Result<Config, String> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "flowgate-sinks-config-{}-{n}.yaml",
        std::process::id()
    ));
    std::fs::write(&path, yaml).unwrap();
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let r = load(Some(&path), vars, args);
    let _ = std::fs::remove_file(&path);
    r.map(|l| l.config).map_err(|e| e.to_string())
}

const THREE: &str = "sinks:
  - type: stdout
  - type: kafka
    name: kafka-main
    brokers: 127.0.0.1:9092,127.0.0.1:9093
    format: json
    compression: zstd
    sasl: {mechanism: SCRAM-SHA-512, username: flowgate, password_env: KAFKA_PASSWORD}
    producer: {linger.ms: 20, acks: all, enable.idempotence: true}
  - type: kafka
    name: kafka-archive
    topic: archive
  - type: prometheus
    labels: [src_addr, proto]
";

#[test]
fn a_list_of_sinks_several_of_one_type() {
    let c = load_yaml(THREE, &[], &RunArgs::default()).unwrap();
    let names: Vec<&str> = c.sinks.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        ["stdout", "kafka-main", "kafka-archive", "prometheus"]
    );
    let SinkConfig::Kafka(k) = &c.sinks.0[1] else {
        panic!()
    };
    assert_eq!(k.brokers, ["127.0.0.1:9092", "127.0.0.1:9093"]);
    assert_eq!(k.format, KafkaFormat::Json);
    assert_eq!(k.compression, KafkaCompression::Zstd);
    assert_eq!(k.sasl.mechanism, Some(SaslMechanism::ScramSha512));
    assert_eq!(k.producer["linger.ms"].to_string(), "20");
    assert_eq!(k.producer["enable.idempotence"].to_string(), "true");
    let SinkConfig::Kafka(k) = &c.sinks.0[2] else {
        panic!()
    };
    assert_eq!(k.topic, "archive");
    assert_eq!(k.format, KafkaFormat::Protobuf);
    assert_eq!(k.key_fields, DEFAULT_KAFKA_KEY);
    let SinkConfig::Prometheus(p) = &c.sinks.0[3] else {
        panic!()
    };
    assert_eq!(p.labels, ["src_addr", "proto"]);
    assert_eq!(p.max_series, 10_000);
    // What check-config prints loads back the same.
    let again = load_yaml(&c.to_yaml(), &[], &RunArgs::default()).unwrap();
    assert_eq!(again, c);
}

#[test]
fn variables_address_a_sink_by_name() {
    let vars = [
        ("FLOWGATE_SINKS_KAFKA_MAIN_TOPIC", "from-env"),
        ("FLOWGATE_SINKS_KAFKA_MAIN_SASL_USERNAME", "other"),
        ("FLOWGATE_SINKS_PROMETHEUS_MAX_SERIES", "50"),
        ("FLOWGATE_SINKS_STDOUT_PATH", "/tmp/out.json"),
    ];
    let c = load_yaml(THREE, &vars, &RunArgs::default()).unwrap();
    assert_eq!(c.sinks.0.len(), 4, "order and count kept");
    let SinkConfig::Kafka(k) = c.sinks.find("kafka-main").unwrap() else {
        panic!()
    };
    assert_eq!(
        (k.topic.as_str(), k.sasl.username.as_str()),
        ("from-env", "other")
    );
    assert_eq!(k.format, KafkaFormat::Json, "file settings kept");
    let SinkConfig::Prometheus(p) = c.sinks.find("prometheus").unwrap() else {
        panic!()
    };
    assert_eq!(p.max_series, 50);
    // Without a file, the default stdout sink is there to address.
    let none = load(
        None,
        [(
            "FLOWGATE_SINKS_STDOUT_FORMAT".to_string(),
            "text".to_string(),
        )],
        &RunArgs::default(),
    )
    .unwrap();
    let SinkConfig::Stdout(s) = &none.config.sinks.0[0] else {
        panic!()
    };
    assert_eq!(s.format, crate::RecordFormat::Text);
    let e = load_yaml(
        THREE,
        &[("FLOWGATE_SINKS_KAFKA_TOPIC", "x")],
        &RunArgs::default(),
    )
    .unwrap_err();
    assert!(
        e.contains("FLOWGATE_SINKS_KAFKA_TOPIC names no config key")
            && e.contains("FLOWGATE_SINKS_KAFKA_MAIN"),
        "{e}"
    );
}

#[test]
fn the_older_mapping_form_still_reads() {
    let c = load_yaml(
        "sinks:\n  stdout:\n    path: /tmp/x\n  archive:\n    type: kafka\n    topic: t\n",
        &[],
        &RunArgs::default(),
    )
    .unwrap();
    let types: Vec<&str> = c.sinks.iter().map(|s| s.type_name()).collect();
    assert_eq!(types, ["stdout", "kafka"]);
    assert_eq!(c.sinks.0[1].name(), "archive");
}

#[test]
fn record_flags_configure_the_stdout_sink_and_add_one_if_needed() {
    let args = RunArgs {
        output: Some("/tmp/o.json".into()),
        ..Default::default()
    };
    let c = load_yaml("sinks:\n  - type: kafka\n", &[], &args).unwrap();
    let types: Vec<&str> = c.sinks.iter().map(|s| s.type_name()).collect();
    assert_eq!(types, ["kafka", "stdout"]);
    let c = load_yaml("sinks:\n  - type: kafka\n", &[], &RunArgs::default()).unwrap();
    assert_eq!(c.sinks.0.len(), 1, "no flag, no stdout sink added");
}

#[test]
fn mistakes_name_the_key_and_the_fix() {
    let none = RunArgs::default();
    let e = load_yaml("sinks:\n  - type: kafka\n    topc: x\n", &[], &none).unwrap_err();
    assert!(
        e.contains("[0] kafka: unknown field `topc`") && e.contains("fix:"),
        "{e}"
    );
    let e = load_yaml(
        "sinks:\n  - type: kafka\n    tls: {ca_fil: x}\n",
        &[],
        &none,
    )
    .unwrap_err();
    assert!(e.contains("[0] kafka: tls: unknown field `ca_fil`"), "{e}");
    let e = load_yaml("sinks:\n  - type: kafak\n", &[], &none).unwrap_err();
    assert!(
        e.contains("unknown variant `kafak`") && e.contains("`prometheus`"),
        "{e}"
    );
    let e = load_yaml("sinks:\n  - {path: /x}\n", &[], &none).unwrap_err();
    assert!(e.contains("`type` is missing; fix:"), "{e}");
    let e = load_yaml(
        "sinks:\n  - {type: stdout, render_threads: 500}\n",
        &[],
        &none,
    )
    .unwrap_err();
    assert!(
        e.contains("sinks[0] (stdout).render_threads: 500 is more than 64; fix:"),
        "{e}"
    );
    let e = load_yaml(
        "sinks:
  - {type: kafka, brokers: 'nohost', topic: 'a b', key_fields: [src_adr]}
  - {type: kafka, producer: {bootstrap.servers: x}, sasl: {mechanism: PLAIN}}
  - {type: kafka, name: kafka}
  - {type: prometheus, labels: [proto, proto, extra], metric_prefix: 9x, series_ttl: 1s}
  - {type: prometheus, name: p2, metric_prefix: 9x}
",
        &[],
        &none,
    )
    .unwrap_err();
    for want in [
        "sinks[0] (kafka).brokers: 'nohost' is not host:port",
        "sinks[0] (kafka).topic: 'a b' is not a Kafka topic name",
        "sinks[0] (kafka).key_fields: unknown field 'src_adr'",
        "sinks[1] (kafka).producer: 'bootstrap.servers' has its own key; fix: set brokers",
        "sinks[1] (kafka).sasl.username: empty",
        "sinks[1] (kafka).sasl: set exactly one of password_env and password_file",
        "sinks[2] (kafka).name: 'kafka' is taken by an earlier sink",
        "sinks[3] (prometheus).labels: 'proto' is listed twice",
        "sinks[3] (prometheus).labels: unknown field 'extra'",
        "sinks[3] (prometheus).metric_prefix: '9x' is not a metric name prefix",
        "sinks[3] (prometheus).series_ttl: 1s is out of range",
        "sinks[4] (prometheus p2).metric_prefix: '9x' is used by an earlier prometheus sink",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
}

#[test]
fn restart_only_changes_name_the_sink() {
    let a = load_yaml(THREE, &[], &RunArgs::default()).unwrap();
    let mut b = a.clone();
    b.sinks.stdout_mut().path = Some("/tmp/rotated".into());
    assert!(
        a.sinks.restart_only_changes(&b.sinks).is_empty(),
        "reloadable"
    );
    if let SinkConfig::Kafka(k) = &mut b.sinks.0[1] {
        k.topic = "other".into();
    }
    b.sinks.0.pop();
    b.sinks.stdout_mut().render_threads = 2;
    assert_eq!(
        a.sinks.restart_only_changes(&b.sinks),
        [
            "sinks (stdout changed)",
            "sinks (kafka-main changed)",
            "sinks (prometheus removed)"
        ]
    );
}

/// config/flowgate.yaml shows one sink of each type with every key,
/// nested sections included.
#[test]
fn the_example_config_documents_every_sink_key() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/flowgate.yaml");
    let example: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let listed = example["sinks"].as_sequence().expect("sinks: is a list");
    for ty in SinkConfig::TYPES {
        let d = serde_norway::to_value(SinkConfig::default_of(ty).unwrap()).unwrap();
        let entry = listed
            .iter()
            .find(|e| e["type"].as_str() == Some(ty))
            .unwrap_or_else(|| panic!("no {ty} sink in config/flowgate.yaml"));
        let mut missing = Vec::new();
        walk(&d, entry, ty, &mut missing);
        assert!(missing.is_empty(), "config/flowgate.yaml lacks {missing:?}");
    }
}

fn walk(
    defaults: &serde_norway::Value,
    example: &serde_norway::Value,
    prefix: &str,
    missing: &mut Vec<String>,
) {
    let serde_norway::Value::Mapping(m) = defaults else {
        return;
    };
    for (k, v) in m {
        let key = format!("{prefix}.{}", k.as_str().unwrap());
        match example.get(k) {
            None => missing.push(key),
            Some(e) => walk(v, e, &key, missing),
        }
    }
}
