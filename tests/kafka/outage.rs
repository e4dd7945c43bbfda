//! The broker goes away under load and comes back: records wait in the
//! producer's bounded buffer, what does not fit is dropped and counted,
//! and delivery resumes by itself. The test runs its own tansu so that it
//! can stop it; tansu keeps topics in memory, so the restarted broker is
//! empty and what the consumer finds there is exactly what was delivered
//! after the restart.

use super::*;

const PER_DATAGRAM: u16 = 30;
const BUFFER: usize = 3000;

fn metric(server: &Server, series: &str) -> f64 {
    server.metric(series).unwrap_or(0.0)
}

/// Sends `datagrams` NetFlow v5 datagrams whose records carry `phase` as their bytes.
fn load(port: u16, seq: &mut u32, datagrams: usize, phase: u32) {
    let d: Vec<Vec<u8>> = (0..datagrams)
        .map(|_| {
            *seq += u32::from(PER_DATAGRAM);
            v5(*seq, PER_DATAGRAM, phase)
        })
        .collect();
    send_all(format!("127.0.0.1:{port}").parse().unwrap(), &d);
}

fn wait_for(what: &str, server: &Server, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "{what}\n{}", server.metrics());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_kafka_sink_rides_out_a_broker_outage_under_load() {
    let Some(v) = need(
        "the_kafka_sink_rides_out_a_broker_outage",
        &["TANSU_BIN", "KAFKA_PYTHON"],
    ) else {
        return;
    };
    let port = free_tcp_port();
    let mut tansu = Tansu::start(&v[0], port, "outage");
    let k = Kafka {
        brokers: format!("127.0.0.1:{port}"),
        python: v[1].clone().into(),
    };
    let dir = scratch("sink-kafka-outage");
    let config = dir.join("flowgate.yaml");
    std::fs::write(
        &config,
        format!(
            "sinks:
  - type: kafka
    brokers: '{}'
    topic: outage
    buffer_messages: {BUFFER}
    delivery_timeout: 2m
    flush_interval: 100ms
    # Find the broker again quickly once it is back.
    producer: {{reconnect.backoff.max.ms: 250, topic.metadata.refresh.interval.ms: 1000}}
",
            k.brokers
        ),
    )
    .unwrap();
    let udp = free_udp_port();
    let server = Server::start(&[
        "--config",
        config.to_str().unwrap(),
        "--listen",
        &format!("nfl://127.0.0.1:{udp}"),
        "--workers",
        "1",
    ]);
    let s = |name: &str, labels: &str| format!("flowgate_{name}{{{labels}}}");
    let sent = s("sink_records_total", "sink=\"kafka\",outcome=\"sent\"");
    let received = s("sink_records_total", "sink=\"kafka\",outcome=\"received\"");
    let overflow = s(
        "records_dropped_total",
        "stage=\"sink\",reason=\"producer_queue_full\",sink=\"kafka\"",
    );
    let buffered = s("kafka_buffered_records", "sink=\"kafka\"");
    let mut seq = 0;

    // Up: everything goes through.
    load(udp, &mut seq, 40, 1);
    assert_eq!(
        server.wait_metric(&sent, 1200.0),
        1200.0,
        "{}",
        server.stderr()
    );

    // Down, under load: the buffer fills, the rest is dropped and counted.
    tansu.down();
    load(udp, &mut seq, 200, 2);
    wait_for("the outage's records reach the sink", &server, || {
        metric(&server, &received) >= 7200.0
    });
    wait_for("the overflow is counted", &server, || {
        metric(&server, &overflow) >= (6000 - BUFFER) as f64
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        metric(&server, &sent),
        1200.0,
        "nothing delivered while down"
    );
    assert_eq!(
        metric(&server, &overflow),
        (6000 - BUFFER) as f64,
        "the buffer is bounded, the overflow counted"
    );
    // librdkafka's out-queue: the records, and any events not yet served.
    assert!(metric(&server, &buffered) >= BUFFER as f64);
    let buffered_at_outage = BUFFER as f64;
    let (status, body) = server.get("/healthz").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("sink kafka"), "{body}");

    // Back (empty, topic made again), still under load: the buffered
    // records go out by themselves; while the buffer is still full, new
    // records overflow and are counted like the others.
    tansu.up("outage");
    load(udp, &mut seq, 40, 3);
    wait_for(
        "every record is delivered or counted as dropped",
        &server,
        || {
            metric(&server, &received) == 8400.0
                && metric(&server, &sent) + metric(&server, &overflow) == 8400.0
        },
    );
    assert!(metric(&server, &sent) >= 1200.0 + buffered_at_outage);
    // And then it is as if nothing happened.
    let before = metric(&server, &sent);
    load(udp, &mut seq, 40, 4);
    wait_for("delivery is back to normal", &server, || {
        metric(&server, &sent) == before + 1200.0
    });
    assert_eq!(metric(&server, &received), 9600.0);
    assert_eq!(
        metric(&server, &received),
        metric(&server, &sent) + metric(&server, &overflow),
        "every record is either delivered or counted as dropped"
    );
    let after_restart = (metric(&server, &sent) - 1200.0) as usize;
    let msgs = k.read("outage", "protobuf", 0, after_restart);
    assert_eq!(
        msgs.len(),
        after_restart,
        "the restarted broker got what was delivered"
    );
    let phase = |p: u64| msgs.iter().filter(|m| m["record"]["bytes"] == p).count();
    assert_eq!(phase(1), 0, "gone with the old broker's memory");
    assert_eq!(
        phase(2),
        buffered_at_outage as usize,
        "the outage's buffered records arrived"
    );
    assert_eq!(phase(3), (before - 1200.0 - buffered_at_outage) as usize);
    assert_eq!(phase(4), 1200);
    assert_eq!(server.get("/healthz").unwrap().0, 200);
    let _ = std::fs::remove_dir_all(&dir);
}
