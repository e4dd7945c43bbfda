use std::sync::Arc;

use flowgate_config::PrometheusSinkConfig;
use flowgate_record::{CounterRecord, EndpointMeta, FlowType, GenericInterface, RecordBatch};

use super::*;

fn cfg(labels: &[&str]) -> PrometheusSinkConfig {
    PrometheusSinkConfig {
        labels: labels.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// The value of one sample line `series value` in an exposition.
fn sample(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn scrape(metrics: &Metrics) -> String {
    metrics.encode()
}

#[test]
fn scaled_by_sampling_rate_only_where_the_exporter_did_not_scale() {
    let metrics = Metrics::new(10);
    let mut s = PrometheusSink::new("p", &cfg(&["type", "proto"]), &metrics);
    let mut b = RecordBatch::new();
    for (t, rate, bytes) in [
        (FlowType::Sflow5, 400, 100), // one sampled packet of 1 in 400
        (FlowType::Sflow5, 400, 60),
        (FlowType::Ipfix, 0, 5000), // Open vSwitch: already scaled, no rate
        (FlowType::NetflowV5, 1, 700), // unsampled
        (FlowType::NetflowV9, 10, 1000), // sampled v9: options announced 1 in 10
    ] {
        let r = b.push();
        r.flow_type = t;
        r.sampling_rate = rate;
        r.bytes = bytes;
        r.packets = 1;
        r.proto = 6;
    }
    assert_eq!(s.send(&b, &[]).unwrap(), 5);
    let text = scrape(&metrics);
    let bytes = |t: &str| {
        sample(
            &text,
            &format!("flowgate_flow_bytes_total{{type=\"{t}\",proto=\"TCP\"}}"),
        )
    };
    assert_eq!(bytes("SFLOW_5"), Some(64_000));
    assert_eq!(bytes("IPFIX"), Some(5000));
    assert_eq!(bytes("NETFLOW_V5"), Some(700));
    assert_eq!(bytes("NETFLOW_V9"), Some(10_000));
    let packets = |t: &str| {
        sample(
            &text,
            &format!("flowgate_flow_packets_total{{type=\"{t}\",proto=\"TCP\"}}"),
        )
    };
    assert_eq!(packets("SFLOW_5"), Some(800));
    assert_eq!(packets("IPFIX"), Some(1));
    assert_eq!(sample(&text, "flowgate_flow_series"), Some(4));
}

#[test]
fn enrichment_labels_direction_filter_and_overflow() {
    let metrics = Metrics::new(10);
    let mut c = cfg(&["src_k8s_namespace", "dst_k8s_namespace", "proto"]);
    c.max_series = 2;
    let mut s = PrometheusSink::new("p", &c, &metrics);
    let ns = |n: &str| {
        Some(Arc::new(EndpointMeta {
            namespace: n.into(),
            ..Default::default()
        }))
    };
    let mut b = RecordBatch::new();
    for (src, dst, dir, proto) in [
        ("shop", "db", Some(0), 6),
        ("shop", "db", Some(1), 6), // the egress copy of the same packet: not counted
        ("shop", "db", None, 6),
        ("", "db", None, 17),   // no metadata for the source: empty label
        ("web", "db", None, 6), // a third label set: overflow
        ("web", "cache", None, 6),
    ] {
        let r = b.push();
        r.src_k8s = (!src.is_empty()).then(|| ns(src)).flatten();
        r.dst_k8s = ns(dst);
        r.flow_direction = dir;
        r.proto = proto;
        r.bytes = 10;
        r.packets = 1;
    }
    s.send(&b, &[]).unwrap();
    let text = scrape(&metrics);
    let series = |labels: &str| sample(&text, &format!("flowgate_flow_bytes_total{{{labels}}}"));
    assert_eq!(
        series("src_k8s_namespace=\"shop\",dst_k8s_namespace=\"db\",proto=\"TCP\""),
        Some(20)
    );
    assert_eq!(
        series("src_k8s_namespace=\"\",dst_k8s_namespace=\"db\",proto=\"UDP\""),
        Some(10)
    );
    assert_eq!(
        series("src_k8s_namespace=\"overflow\",dst_k8s_namespace=\"overflow\",proto=\"overflow\""),
        Some(20)
    );
    assert_eq!(
        sample(&text, "flowgate_flow_series_overflow_records_total"),
        Some(2)
    );
    assert_eq!(sample(&text, "flowgate_flow_series"), Some(2));
}

#[test]
fn idle_series_expire() {
    let metrics = Metrics::new(10);
    let mut c = cfg(&["proto"]);
    c.series_ttl = flowgate_config::HumanDuration::secs(10);
    let mut s = PrometheusSink::new("p", &c, &metrics);
    let mut b = RecordBatch::new();
    b.push().bytes = 1;
    s.send(&b, &[]).unwrap();
    s.flush().unwrap();
    assert_eq!(sample(&scrape(&metrics), "flowgate_flow_series"), Some(1));
    // As if 10 s passed.
    s.shared
        .skew
        .fetch_add(10, std::sync::atomic::Ordering::Relaxed);
    s.flush().unwrap();
    let text = scrape(&metrics);
    assert_eq!(sample(&text, "flowgate_flow_series"), Some(0));
    assert_eq!(sample(&text, "flowgate_flow_series_expired_total"), Some(1));
    assert!(!text.contains("flowgate_flow_bytes_total{"), "{text}");
}

#[test]
fn sflow_counter_samples_become_interface_counters() {
    let metrics = Metrics::new(10);
    let mut s = PrometheusSink::new("p", &cfg(&["proto"]), &metrics);
    assert!(s.takes_counters());
    let sample_of = |octets: u64, errors: u32| CounterRecord {
        sampler_address: Some("192.0.2.7".parse().unwrap()),
        port_name: Some("veth1".into()),
        generic_interface: Some(GenericInterface {
            if_index: 12,
            if_speed: 10_000_000_000,
            if_in_octets: octets,
            if_out_octets: u64::MAX, // "unknown": not exported
            if_in_ucast_pkts: 10,
            if_in_multicast_pkts: 2,
            if_in_broadcast_pkts: 1,
            if_in_errors: errors,
            ..Default::default()
        }),
        ..Default::default()
    };
    s.send(&RecordBatch::new(), &[sample_of(1000, 0)]).unwrap();
    assert_eq!(
        s.send(
            &RecordBatch::new(),
            &[sample_of(5000, 3), CounterRecord::default()]
        )
        .unwrap(),
        2
    );
    let text = scrape(&metrics);
    let l = "{agent=\"192.0.2.7\",if_index=\"12\",if_name=\"veth1\"}";
    assert_eq!(
        sample(&text, &format!("flowgate_interface_in_octets_total{l}")),
        Some(5000)
    );
    assert_eq!(
        sample(&text, &format!("flowgate_interface_in_packets_total{l}")),
        Some(13)
    );
    assert_eq!(
        sample(&text, &format!("flowgate_interface_in_errors_total{l}")),
        Some(3)
    );
    assert_eq!(
        sample(&text, &format!("flowgate_interface_speed_bps{l}")),
        Some(10_000_000_000)
    );
    assert_eq!(
        sample(&text, &format!("flowgate_interface_out_octets_total{l}")),
        None
    );
    assert_eq!(sample(&text, "flowgate_interfaces"), Some(1));
    let mut off = cfg(&["proto"]);
    off.interfaces = false;
    off.metric_prefix = "other".into();
    let s2 = PrometheusSink::new("q", &off, &metrics);
    assert!(!s2.takes_counters());
    assert!(!scrape(&metrics).contains("other_interface"));
}

#[test]
fn worker_shards_add_up_stay_monotonic_and_expire() {
    let metrics = Metrics::new(10);
    let mut c = cfg(&["proto"]);
    c.series_ttl = flowgate_config::HumanDuration::secs(10);
    let mut s = PrometheusSink::new("p", &c, &metrics);
    let (chunks, _) = super::super::test_chunks(1);
    let shards = s.inline(&chunks).expect("the Prometheus sink is inline");
    let (mut a, mut b) = (shards.shard(), shards.shard());
    let batch = |proto: u8, bytes: u64, n: usize| {
        let mut batch = RecordBatch::new();
        for _ in 0..n {
            let r = batch.push();
            r.proto = proto;
            r.bytes = bytes;
            r.packets = 1;
        }
        batch
    };
    let tcp = "flowgate_flow_bytes_total{proto=\"TCP\"}";
    let udp = "flowgate_flow_bytes_total{proto=\"UDP\"}";
    assert_eq!(a.take(&batch(6, 100, 3), &[]).received, 3);
    assert_eq!(b.take(&batch(6, 10, 2), &[]).received, 2);
    assert_eq!(b.take(&batch(17, 1, 1), &[]).received, 1);
    let text = scrape(&metrics);
    assert_eq!(
        sample(&text, tcp),
        Some(320),
        "both workers' records in one series"
    );
    assert_eq!(sample(&text, udp), Some(1));
    assert_eq!(sample(&text, "flowgate_flow_series"), Some(2));
    // Scraped again with nothing new: nothing counted twice.
    assert_eq!(sample(&scrape(&metrics), tcp), Some(320));
    // Worker b goes quiet for the ttl, a keeps TCP alive: b's shard lets
    // its keys go, the totals it added stay.
    s.shared
        .skew
        .fetch_add(6, std::sync::atomic::Ordering::Relaxed);
    a.take(&batch(6, 100, 1), &[]);
    s.shared
        .skew
        .fetch_add(6, std::sync::atomic::Ordering::Relaxed);
    s.flush().unwrap();
    let text = scrape(&metrics);
    assert_eq!(sample(&text, tcp), Some(420));
    assert_eq!(sample(&text, udp), None, "UDP idle for 12 s: expired");
    assert_eq!(sample(&text, "flowgate_flow_series_expired_total"), Some(1));
    b.take(&batch(6, 1, 1), &[]);
    assert_eq!(sample(&scrape(&metrics), tcp), Some(421));
    // Counter samples go to the sink's own table, from any worker.
    let c = CounterRecord {
        sampler_address: Some("192.0.2.7".parse().unwrap()),
        generic_interface: Some(GenericInterface {
            if_index: 3,
            if_in_octets: 77,
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(a.take(&RecordBatch::new(), &[c]).received, 1);
    assert_eq!(sample(&scrape(&metrics), "flowgate_interfaces"), Some(1));
}
