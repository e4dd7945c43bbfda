//! The collector end to end: real datagrams over loopback UDP in, JSON
//! lines on stdout and counters on /metrics out.

mod server_support;

use server_support::*;

#[test]
fn a_real_ovs_ipfix_capture_comes_out_as_json_lines_and_counters() {
    let port = free_udp_port();
    let server = Server::start(&[
        "--listen",
        &format!("ipfix://127.0.0.1:{port}"),
        "--workers",
        "2",
    ]);
    let dgrams: Vec<Vec<u8>> = datagrams(&data("ovs-ipfix.pcap"))
        .into_iter()
        .map(|d| d.1)
        .collect();
    assert_eq!(dgrams.len(), 70);
    let sender = send_all(format!("127.0.0.1:{port}").parse().unwrap(), &dgrams);

    let lines = server.lines(50);
    assert_eq!(lines.len(), 50, "stderr:\n{}", server.stderr());
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["type"], "IPFIX");
        assert_eq!(v["sampler_address"], "127.0.0.1");
        assert_eq!(v["sampler_port"], sender.local_addr().unwrap().port());
    }
    let exp = "exporter=\"127.0.0.1\",protocol=\"ipfix\"";
    assert_eq!(
        server.wait_metric(&format!("flowgate_datagrams_total{{{exp}}}"), 70.0),
        70.0
    );
    assert_eq!(
        server.metric(&format!("flowgate_records_total{{{exp}}}")),
        Some(50.0)
    );
    assert_eq!(
        server.metric("flowgate_templates{exporter=\"127.0.0.1\"}"),
        Some(89.0)
    );
    assert_eq!(
        server.metric(&format!("flowgate_sequence_gaps_total{{{exp}}}")),
        Some(0.0)
    );
    assert!(
        !server.metrics().contains("flowgate_decode_errors_total{"),
        "no decode errors"
    );
    assert_eq!(
        server.wait_metric(
            "flowgate_sink_records_total{sink=\"stdout\",outcome=\"sent\"}",
            50.0
        ),
        50.0
    );

    let (status, body) = server.get("/templates").unwrap();
    assert_eq!(status, 200);
    let t: serde_json::Value = serde_json::from_str(&body).unwrap();
    let exporters = t["exporters"].as_array().unwrap();
    assert_eq!(exporters.len(), 1);
    assert_eq!(
        exporters[0]["address"],
        sender.local_addr().unwrap().to_string()
    );
    let templates: usize = exporters[0]["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["templates"].as_array().unwrap().len())
        .sum();
    assert_eq!(templates, 89);
}

#[test]
fn fields_names_and_text_format_shape_the_lines() {
    let port = free_udp_port();
    let server = Server::start(&[
        "--listen",
        &format!("netflow://127.0.0.1:{port}"),
        "--format",
        "text",
        "--fields",
        "src_addr,bytes,proto",
        "--names",
    ]);
    send_all(
        format!("127.0.0.1:{port}").parse().unwrap(),
        &[v5(0, 2, 1500)],
    );
    assert_eq!(
        server.lines(2),
        ["src_addr=10.0.0.1 bytes=1500 proto=HOPOPT"; 2]
    );
}

#[test]
fn sigterm_drains_every_accepted_record_before_exit() {
    let port = free_udp_port();
    let mut server = Server::start(&[
        "--listen",
        &format!("netflow://127.0.0.1:{port}"),
        "--workers",
        "2",
    ]);
    // 3000 records from 3 exporters, then SIGTERM at once: whatever the
    // kernel accepted is in the socket buffers or the queues, and must come out.
    let to = format!("127.0.0.1:{port}").parse().unwrap();
    let senders: Vec<_> = (0..3)
        .map(|e| {
            let d: Vec<Vec<u8>> = (0..50u32).map(|i| v5(i * 20, 20, e * 1000 + i)).collect();
            send_all(to, &d)
        })
        .collect();
    server.signal("TERM");
    let status = server.wait_exit();
    assert!(status.success(), "{status}\n{}", server.stderr());
    // Loopback into an 8 MiB receive buffer drops nothing, so every record sent was accepted.
    let lines = server.remaining_lines();
    assert_eq!(lines.len(), 3000, "stderr:\n{}", server.stderr());
    assert!(server.stderr().contains("stopped"));
    drop(senders);
}

#[test]
fn a_protocol_the_listener_does_not_take_is_counted_and_dropped() {
    let port = free_udp_port();
    let uri = format!("nfl://127.0.0.1:{port}");
    let server = Server::start(&["--listen", &uri]);
    let to = format!("127.0.0.1:{port}").parse().unwrap();
    let ipfix = ipfix(0, 0, &[ipfix_template_set()]);
    send_all(to, &[ipfix.clone(), ipfix, v5(0, 1, 7)]);
    assert_eq!(server.lines(1).len(), 1);
    let series = format!(
        "flowgate_datagrams_dropped_total{{listener=\"{uri}\",reason=\"protocol_not_accepted\"}}"
    );
    assert_eq!(server.wait_metric(&series, 2.0), 2.0);
    assert!(
        server
            .stderr()
            .contains("ipfix is not accepted on listener"),
        "{}",
        server.stderr()
    );
}

/// Open vSwitch stamps v5 sequence numbers as seq(n) = seq(n-1) + count(n):
/// no false gaps once learned. A standard exporter that loses a datagram of
/// 7 flows shows one gap of 7.
#[test]
fn sequence_gaps_follow_the_rfc_and_the_ovs_quirk() {
    let port = free_udp_port();
    let server = Server::start(&["--listen", &format!("netflow://127.0.0.1:{port}")]);
    let to = format!("127.0.0.1:{port}").parse().unwrap();
    let counts = [3u16, 1, 4, 4, 2, 7, 1, 1, 5, 2, 3, 6, 2];
    let mut seq = u32::from(counts[0]) - 1;
    let mut ovs = vec![v5(seq, counts[0], 1)];
    for &c in &counts[1..] {
        seq += u32::from(c);
        ovs.push(v5(seq, c, 1));
    }
    send_all(to, &ovs);
    let total: u16 = counts.iter().sum();
    assert_eq!(server.lines(total as usize).len(), total as usize);

    // The standard stream comes from another address on loopback.
    let std_sender = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
    let mut seq = 0;
    for (i, &c) in counts.iter().enumerate() {
        if i != 5 {
            std_sender.send_to(&v5(seq, c, 2), to).unwrap();
        }
        seq += u32::from(c);
    }
    let ovs_labels = "exporter=\"127.0.0.1\",protocol=\"netflow_v5\"";
    let std_labels = "exporter=\"127.0.0.2\",protocol=\"netflow_v5\"";
    server.wait_metric(&format!("flowgate_datagrams_total{{{std_labels}}}"), 12.0);
    assert_eq!(
        server.metric(&format!("flowgate_sequence_gaps_total{{{ovs_labels}}}")),
        Some(0.0)
    );
    assert_eq!(
        server.metric(&format!("flowgate_sequence_quirk_streams{{{ovs_labels}}}")),
        Some(1.0)
    );
    assert_eq!(
        server.metric(&format!("flowgate_sequence_gaps_total{{{std_labels}}}")),
        Some(1.0)
    );
    assert_eq!(
        server.metric(&format!("flowgate_sequence_lost_total{{{std_labels}}}")),
        Some(7.0)
    );
    assert_eq!(
        server.metric(&format!("flowgate_sequence_quirk_streams{{{std_labels}}}")),
        Some(0.0)
    );
}

/// OVS sFlow: flow samples and counter samples come out as lines, as
/// `flowgate decode` prints them (same processor, same sink).
#[test]
fn a_real_ovs_sflow_capture_gives_flow_and_counter_lines() {
    let port = free_udp_port();
    let server = Server::start(&["--listen", &format!("sflow://127.0.0.1:{port}")]);
    let dgrams: Vec<Vec<u8>> = datagrams(&data("ovs-sflow.pcap"))
        .into_iter()
        .map(|d| d.1)
        .collect();
    send_all(format!("127.0.0.1:{port}").parse().unwrap(), &dgrams);
    let lines = server.lines(64 + 24);
    let count = |t: &str| {
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"type\":\"{t}\"")))
            .count()
    };
    assert_eq!(
        (count("SFLOW_5"), count("SFLOW_COUNTERS")),
        (64, 24),
        "{}",
        server.stderr()
    );
    let exp = "exporter=\"127.0.0.1\",protocol=\"sflow_v5\"";
    assert_eq!(
        server.wait_metric(&format!("flowgate_counter_samples_total{{{exp}}}"), 24.0),
        24.0
    );
    assert_eq!(
        server.metric(&format!("flowgate_sequence_gaps_total{{{exp}}}")),
        Some(0.0)
    );
    assert_eq!(
        server.wait_metric(
            "flowgate_sink_records_total{sink=\"stdout\",outcome=\"sent\"}",
            88.0
        ),
        88.0
    );
}

/// `flowgate decode --sink stdout` and the collector share the path from
/// datagram to sink: the same capture gives the same lines.
#[test]
fn decode_and_the_collector_print_the_same_lines() {
    let fields = "type,sequence_num,src_addr,dst_addr,bytes,packets,in_if,out_if,in_if_name,flow_direction,observation_domain_id";
    let capture = data("ovs-ipfix.pcap");
    let (code, out, err) = run(
        &[
            "decode",
            "--sink",
            "stdout",
            "--fields",
            fields,
            capture.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let decoded: Vec<&str> = out.lines().collect();
    assert_eq!(decoded.len(), 50);

    let port = free_udp_port();
    let server = Server::start(&[
        "--listen",
        &format!("ipfix://127.0.0.1:{port}"),
        "--fields",
        fields,
    ]);
    let dgrams: Vec<Vec<u8>> = datagrams(&capture).into_iter().map(|d| d.1).collect();
    send_all(format!("127.0.0.1:{port}").parse().unwrap(), &dgrams);
    assert_eq!(server.lines(50), decoded);

    let (code, _, err) = run(
        &["decode", "--sink", "kafka", capture.to_str().unwrap()],
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("stdout"), "{err}");
}
