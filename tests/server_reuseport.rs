//! Template state stays right whatever worker a datagram lands on: the
//! kernel's SO_REUSEPORT hash sends one exporter socket to one worker, and
//! a restart loads the saved templates into every worker.

mod server_support;

use std::net::{SocketAddr, UdpSocket};

use server_support::*;

/// 48 exporters (distinct source ports on two addresses) each send their
/// template, then data, to a listener with 4 workers. If any exporter's
/// data reached a worker that had not seen its template, it would be held
/// or counted as missing_template instead of decoded.
#[test]
fn every_data_record_decodes_with_many_exporters_and_workers() {
    let port = free_udp_port();
    let server = Server::start(&[
        "--listen",
        &format!("ipfix://127.0.0.1:{port}"),
        "--workers",
        "4",
    ]);
    let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let exporters: Vec<UdpSocket> = (0..48)
        .map(|i| {
            UdpSocket::bind(if i % 2 == 0 {
                "127.0.0.1:0"
            } else {
                "127.0.0.3:0"
            })
            .unwrap()
        })
        .collect();
    for e in &exporters {
        e.send_to(&ipfix(7, 0, &[ipfix_template_set()]), to)
            .unwrap();
    }
    for round in 0..5u32 {
        for (i, e) in exporters.iter().enumerate() {
            let data = ipfix_data_set([10, 0, (i / 256) as u8, i as u8], &[u64::from(round), 1, 2]);
            e.send_to(&ipfix(7, round * 3, &[data]), to).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let want = 48 * 5 * 3;
    let lines = server.lines(want);
    assert_eq!(lines.len(), want, "stderr:\n{}", server.stderr());
    // Workers publish their counts every 100 ms: wait for the last of them.
    for ip in ["127.0.0.1", "127.0.0.3"] {
        let s = format!("flowgate_records_total{{exporter=\"{ip}\",protocol=\"ipfix\"}}");
        server.wait_metric(&s, (want / 2) as f64);
    }
    let m = server.metrics();
    assert!(!m.contains("flowgate_decode_errors_total{"), "{m}");
    let busy = (0..4)
        .filter(|w| {
            let s = format!("flowgate_worker_datagrams_total{{listener=\"ipfix://127.0.0.1:{port}\",worker=\"{w}\"}}");
            metric_value(&m, &s).unwrap_or(0.0) > 0.0
        })
        .count();
    assert!(
        busy >= 2,
        "the exporters were spread over the workers:\n{m}"
    );
    for ip in ["127.0.0.1", "127.0.0.3"] {
        let s = format!("flowgate_records_total{{exporter=\"{ip}\",protocol=\"ipfix\"}}");
        assert_eq!(metric_value(&m, &s), Some((want / 2) as f64));
        let gaps = format!("flowgate_sequence_gaps_total{{exporter=\"{ip}\",protocol=\"ipfix\"}}");
        assert_eq!(
            metric_value(&m, &gaps),
            Some(0.0),
            "per-exporter sequence state is consistent too"
        );
        assert_eq!(
            metric_value(&m, &format!("flowgate_templates{{exporter=\"{ip}\"}}")),
            Some(24.0)
        );
    }
}

/// Open vSwitch re-sends templates every 600 s: after a restart, data must
/// decode from the first datagram, on whichever worker it lands.
#[test]
fn saved_templates_decode_data_at_once_after_a_restart() {
    let dir = scratch("state");
    let port = free_udp_port();
    let args = [
        "--listen".to_string(),
        format!("ipfix://127.0.0.1:{port}"),
        "--workers".into(),
        "3".into(),
        "--state-dir".into(),
        dir.display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let to: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let exporter = UdpSocket::bind("127.0.0.1:0").unwrap();

    let mut first = Server::start(&args);
    exporter
        .send_to(&ipfix(0, 0, &[ipfix_template_set()]), to)
        .unwrap();
    first.wait_metric("flowgate_templates{exporter=\"127.0.0.1\"}", 1.0);
    first.signal("TERM");
    assert!(first.wait_exit().success());
    let saved = std::fs::read_to_string(dir.join("templates.json")).unwrap();
    assert!(
        saved.contains(&exporter.local_addr().unwrap().to_string()),
        "{saved}"
    );

    let second = Server::start(&args);
    assert!(
        second.stderr().contains("loaded saved templates"),
        "{}",
        second.stderr()
    );
    exporter
        .send_to(&ipfix(0, 0, &[ipfix_data_set([10, 0, 0, 9], &[4242])]), to)
        .unwrap();
    let lines = second.lines(1);
    assert_eq!(lines.len(), 1, "{}", second.stderr());
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(v["bytes"], 4242);
    assert_eq!(v["src_addr"], "10.0.0.9");
}
