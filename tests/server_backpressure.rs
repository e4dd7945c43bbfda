//! A sink that cannot keep up loses records at its queue, counted, while
//! the receive path and HTTP carry on.

mod server_support;

use server_support::*;

#[test]
fn a_blocked_sink_drops_at_its_queue_and_counts_by_stage_and_reason() {
    let port = free_udp_port();
    // stdout is never read: once the pipe is full the sink blocks in write().
    let mut server = Server::start_with(Options {
        args: [
            "--listen",
            &format!("netflow://127.0.0.1:{port}"),
            "--workers",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        env: vec![
            ("FLOWGATE_SINKS_STDOUT_QUEUE_BATCHES", "2".into()),
            ("FLOWGATE_SHUTDOWN_DRAIN_TIMEOUT", "500ms".into()),
            ("FLOWGATE_LOG_RATE_LIMIT_WINDOW", "1s".into()),
        ],
        stdout_unread: true,
    });
    let to = format!("127.0.0.1:{port}").parse().unwrap();
    // About 2 MB of JSON, far beyond a 64 KiB pipe and a 2-batch queue.
    let d: Vec<Vec<u8>> = (0..200u32).map(|i| v5(i * 30, 30, i)).collect();
    send_all(to, &d);
    let received = "flowgate_datagrams_total{exporter=\"127.0.0.1\",protocol=\"netflow_v5\"}";
    assert_eq!(
        server.wait_metric(received, 200.0),
        200.0,
        "the receive path kept going"
    );
    let dropped = "flowgate_records_dropped_total{stage=\"sink_queue\",reason=\"queue_full\",sink=\"stdout\"}";
    let n = server.wait_metric(dropped, 1.0);
    // Of 6000 records, what the pipe, the queue's two chunks and the
    // shards' open chunks cannot hold (chunks end at a size, not at a
    // datagram's end).
    assert!((1000.0..6000.0).contains(&n), "dropped {n}");
    assert_eq!(
        server.metric("flowgate_queue_depth{sink=\"stdout\"}"),
        Some(2.0)
    );
    // One line per window, with the rest summed up.
    let deadline = std::time::Instant::now() + PATIENCE;
    while !server
        .stderr()
        .contains("similar messages in the last 1 s]")
    {
        assert!(std::time::Instant::now() < deadline, "{}", server.stderr());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = server.stderr();
    assert!(
        err.contains(" records: queue full (sink stdout)\n"),
        "the first drop is logged at once:\n{err}"
    );
    assert!(
        err.lines().filter(|l| l.contains("queue full")).count() <= 3,
        "{err}"
    );

    // Stopping gives up on the blocked sink after shutdown.drain_timeout.
    server.signal("TERM");
    let status = server.wait_exit();
    assert!(status.success());
    assert!(server
        .stderr()
        .contains("did not drain within shutdown.drain_timeout"));
}
