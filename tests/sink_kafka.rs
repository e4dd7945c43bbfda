//! The Kafka sink against a real Kafka-protocol broker (tansu, started by
//! `.ci/kafka.sh`), read back by an independent client
//! (tests/kafka/consume.py: kafka-python, and Google's protobuf runtime on
//! proto/flow.proto) and compared with the records flowgate wrote to its
//! stdout sink in the same run.
//!
//! Without `KAFKA_BROKERS` / `KAFKA_PYTHON` (or `TANSU_BIN` for the
//! outage test) these tests say SKIPPED loudly and pass; with CI=true they
//! fail instead.

mod server_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use server_support::*;

struct Kafka {
    brokers: String,
    python: PathBuf,
}

fn need(test: &str, vars: &[&str]) -> Option<Vec<String>> {
    let got: Vec<Option<String>> = vars
        .iter()
        .map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .collect();
    if got.iter().all(Option::is_some) {
        return Some(got.into_iter().flatten().collect());
    }
    let why = format!(
        "{test}: {} not set (run `source .ci/kafka.sh && kafka_start` first)",
        vars.join(" / ")
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}: CI must run the Kafka tests");
    }
    eprintln!("\n********** SKIPPED {why} **********\n");
    None
}

fn kafka(test: &str) -> Option<Kafka> {
    let v = need(test, &["KAFKA_BROKERS", "KAFKA_PYTHON"])?;
    Some(Kafka {
        brokers: v[0].clone(),
        python: v[1].clone().into(),
    })
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka/consume.py")
}

impl Kafka {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.python)
            .arg(script())
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .expect("the consumer runs");
        assert!(out.status.success(), "consume.py {args:?} failed");
        String::from_utf8(out.stdout).unwrap()
    }

    /// `count` records received at `since_ns` or later (earlier runs'
    /// messages stay in the topic), read from the topic's start.
    fn read(
        &self,
        topic: &str,
        format: &str,
        since_ns: u128,
        count: usize,
    ) -> Vec<serde_json::Value> {
        let (n, since) = (count.to_string(), since_ns.to_string());
        self.run(&["read", &self.brokers, topic, format, &since, &n, "60"])
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Flow records (not counter samples) `flowgate decode` finds in a capture.
fn flows_in(capture: &str) -> usize {
    let (code, out, err) = run(&["decode", data(capture).to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .filter(|l| !l.contains("SFLOW_COUNTERS"))
        .count()
}

const CAPTURES: [&str; 5] = [
    "ovs-ipfix.pcap",
    "ovs-sflow.pcap",
    "softflowd-v9.pcap",
    "softflowd-ipfix-biflow.pcap",
    "ovs-netflow5.pcap",
];

/// topic, format, compression, records_per_message: every codec, both
/// formats, one and several records per message, at once.
const SINKS: [(&str, &str, &str, usize); 6] = [
    ("flowgate-pb-lz4", "protobuf", "lz4", 1),
    ("flowgate-json-zstd", "json", "zstd", 1),
    ("flowgate-pb-gzip", "protobuf", "gzip", 1),
    ("flowgate-json-snappy", "json", "snappy", 1),
    ("flowgate-pb-packed", "protobuf", "none", 16),
    ("flowgate-json-packed", "json", "lz4", 16),
];

#[test]
fn several_kafka_sinks_deliver_every_record_as_the_stdout_sink_writes_it() {
    let Some(k) = kafka("several_kafka_sinks_deliver_every_record") else {
        return;
    };
    let dir = scratch("sink-kafka");
    let records = dir.join("records.json");
    let mut yaml = format!(
        "sinks:\n  - {{type: stdout, path: {}, flush_interval: 100ms}}\n  - {{type: prometheus}}\n",
        records.display()
    );
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    for (topic, format, codec, per_message) in SINKS {
        let key = if per_message > 1 {
            ", key_fields: []"
        } else {
            ""
        };
        yaml.push_str(&format!(
            "  - {{type: kafka, name: {topic}, brokers: '{}', topic: {topic}, format: {format}, compression: {codec}, records_per_message: {per_message}{key}, flush_interval: 100ms}}\n",
            k.brokers
        ));
    }
    let config = dir.join("flowgate.yaml");
    std::fs::write(&config, yaml).unwrap();
    let port = free_udp_port();
    let server = Server::start(&[
        "--config",
        config.to_str().unwrap(),
        "--listen",
        &format!("netflow+sflow://127.0.0.1:{port}"),
    ]);
    let mut want = 0;
    for capture in CAPTURES {
        let d: Vec<Vec<u8>> = datagrams(&data(capture)).into_iter().map(|d| d.1).collect();
        // Its own socket: templates are scoped by exporter address and port.
        send_all(format!("127.0.0.1:{port}").parse().unwrap(), &d);
        want += flows_in(capture);
    }
    for (topic, _, _, _) in SINKS {
        let sent = format!("flowgate_sink_records_total{{sink=\"{topic}\",outcome=\"sent\"}}");
        let got = server.wait_metric(&sent, want as f64);
        assert_eq!(got, want as f64, "{sent}\n{}", server.stderr());
    }
    let stdout_sent = "flowgate_sink_records_total{sink=\"stdout\",outcome=\"sent\"}";
    server.wait_metric(stdout_sent, want as f64);
    let mut expected: Vec<String> = std::fs::read_to_string(&records)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("SFLOW_COUNTERS"))
        .map(canonical)
        .collect();
    expected.sort();
    assert_eq!(expected.len(), want);

    for (topic, format, _, per_message) in SINKS {
        let msgs = k.read(topic, format, since, want);
        assert_eq!(msgs.len(), want, "{topic}: messages read back");
        let mut got: Vec<String> = msgs
            .iter()
            .map(|m| canonical(&m["record"].to_string()))
            .collect();
        got.sort();
        let first_diff = got.iter().zip(&expected).find(|(g, e)| g != e);
        assert!(first_diff.is_none(), "{topic}: {first_diff:#?}");
        let most = msgs.iter().map(|m| m["packed"].as_u64().unwrap()).max();
        if per_message > 1 {
            assert_eq!(most, Some(per_message as u64), "{topic}: records packed");
            assert!(msgs.iter().all(|m| m["key"].is_null()), "{topic}: no key");
            continue;
        }
        assert_eq!(most, Some(1), "{topic}: one record per message");
        // The key is the documented hash of the flow's fields, and one
        // key (one flow) always lands in one partition.
        let mut partition_of: BTreeMap<String, u64> = BTreeMap::new();
        let mut partitions = BTreeSet::new();
        for m in &msgs {
            assert_eq!(m["key"], m["key_expected"], "{topic}: {m}");
            let (key, p) = (m["key"].as_str().unwrap(), m["partition"].as_u64().unwrap());
            assert_eq!(
                *partition_of.entry(key.to_owned()).or_insert(p),
                p,
                "{topic}: {key}"
            );
            partitions.insert(p);
        }
        assert!(partitions.len() > 1, "{topic}: keys spread over partitions");
    }
    let metrics = server.metrics();
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("flowgate_records_dropped_total") && !l.ends_with(" 0")),
        "nothing dropped:\n{metrics}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A JSON object with its keys sorted, to compare records as sets.
fn canonical(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let sorted: BTreeMap<String, serde_json::Value> =
        serde_json::from_value(v).expect("a record is an object");
    serde_json::to_string(&sorted).unwrap()
}

/// A tansu broker of the test's own, which it can stop and start again.
struct Tansu {
    bin: String,
    port: u16,
    child: Option<Child>,
}

impl Tansu {
    fn start(bin: &str, port: u16, topic: &str) -> Tansu {
        let mut t = Tansu {
            bin: bin.to_owned(),
            port,
            child: None,
        };
        t.up(topic);
        t
    }

    fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Starts the broker (memory storage: a restart is an empty broker)
    /// and creates the topic.
    fn up(&mut self, topic: &str) {
        let child = Command::new(&self.bin)
            .args(["broker", "--listener-url", &self.url()])
            .args(["--advertised-listener-url", &self.url()])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts");
        self.child = Some(child);
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        let ok = Command::new(&self.bin)
            .args([
                "topic",
                "create",
                topic,
                "--broker",
                &self.url(),
                "--partitions",
                "1",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "tansu topic create {topic}");
    }

    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.down();
    }
}

#[path = "kafka/outage.rs"]
mod outage;
