//! Operating the collector: configuration errors, check-config, SIGHUP,
//! health checks and the metrics operators rely on.

mod server_support;

use server_support::*;

#[test]
fn check_config_prints_the_effective_config_and_names_bad_keys() {
    let dir = scratch("check-config");
    let good = dir.join("good.yaml");
    write(
        &good,
        "http:\n  address: 127.0.0.1:9999\nlisteners: [sflow://:6343]\n",
    );
    let (code, out, err) = run(
        &["check-config", good.to_str().unwrap()],
        &[("FLOWGATE_LOG_LEVEL", "debug")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("address: 127.0.0.1:9999"), "{out}");
    assert!(out.contains("- sflow://:6343"), "{out}");
    assert!(
        out.contains("level: debug") && out.contains("# FLOWGATE_LOG_LEVEL sets log.level"),
        "{out}"
    );
    assert!(
        out.contains("queue_batches: 128") && out.contains("render_threads: 1"),
        "every key is printed:\n{out}"
    );

    let bad = dir.join("bad.yaml");
    write(
        &bad,
        "http:\n  adress: ':8080'\nsinks:\n  stdout:\n    format: xml\n",
    );
    let (code, _, err) = run(&["check-config", bad.to_str().unwrap()], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("http: unknown field `adress`, expected `address` at line 2 column 3"),
        "{err}"
    );
    assert!(err.contains("fix: correct or remove the key"), "{err}");
}

#[test]
fn bad_configuration_stops_the_start_with_the_key_and_the_fix() {
    let (code, _, err) = run(&["run", "--listen", "netflw://:2055"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("--listen: 'netflw://:2055': unknown protocol 'netflw'; use netflow, nfl, ipfix or sflow"), "{err}");
    let (code, _, err) = run(&["run"], &[("FLOWGATE_HTTP_ADRESS", ":1")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("FLOWGATE_HTTP_ADRESS names no config key")
            && err.contains("FLOWGATE_HTTP_ADDRESS"),
        "{err}"
    );
    let (code, _, err) = run(&["run", "--log-level", "loud"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("log.level: 'loud' is not a level"), "{err}");
}

#[test]
fn a_port_in_use_fails_the_start_naming_the_listener() {
    let busy = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let http = free_tcp_port();
    let (code, _, err) = run(
        &[
            "run",
            "--listen",
            &format!("sflow://127.0.0.1:{port}"),
            "--http",
            &format!("127.0.0.1:{http}"),
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("listener sflow://127.0.0.1:{port}: binding")),
        "{err}"
    );
}

#[test]
fn sighup_reopens_the_output_file_and_applies_the_log_level() {
    let dir = scratch("sighup");
    let (out, rotated, config) = (
        dir.join("flows.json"),
        dir.join("flows.json.1"),
        dir.join("c.yaml"),
    );
    let port = free_udp_port();
    let yaml = |level: &str| {
        format!(
            "log:\n  level: {level}\nlisteners: [netflow://127.0.0.1:{port}]\nsinks:\n  stdout:\n    path: {}\n    flush_interval: 100ms\n",
            out.display()
        )
    };
    write(&config, &yaml("info"));
    let server = Server::start(&["--config", config.to_str().unwrap()]);
    let to = format!("127.0.0.1:{port}").parse().unwrap();
    send_all(to, &[v5(0, 3, 1)]);
    server.wait_metric(
        "flowgate_sink_records_total{sink=\"stdout\",outcome=\"sent\"}",
        3.0,
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 3);

    std::fs::rename(&out, &rotated).unwrap();
    write(&config, &yaml("debug"));
    server.signal("HUP");
    wait_for(|| {
        server.stderr().contains("SIGHUP: reloaded")
            && server.stderr().contains("sink=stdout")
            && out.exists()
    });
    send_all(to, &[v5(3, 2, 2)]);
    server.wait_metric(
        "flowgate_sink_records_total{sink=\"stdout\",outcome=\"sent\"}",
        5.0,
    );
    assert_eq!(
        std::fs::read_to_string(&rotated).unwrap().lines().count(),
        3
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
    assert!(
        server.stderr().contains("log_level=debug"),
        "{}",
        server.stderr()
    );
    // A broken file on SIGHUP keeps the running configuration.
    write(&config, "log:\n  level: [\n");
    server.signal("HUP");
    wait_for(|| {
        server
            .stderr()
            .contains("configuration not reloaded, the running one stays")
    });
    assert_eq!(server.get("/healthz").unwrap().0, 200);
}

#[test]
fn healthcheck_exits_0_against_a_running_instance_and_1_otherwise() {
    let port = free_udp_port();
    let server = Server::start(&["--listen", &format!("sflow://127.0.0.1:{port}")]);
    let http = server.http.to_string();
    let (code, out, err) = run(&["healthcheck", "--http", &http], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("/healthz: ok"), "{out}");
    let (code, _, _) = run(&["healthcheck", "--http", &http, "--path", "/readyz"], &[]);
    assert_eq!(code, 0);
    // The address may come from the environment, as the container does it.
    let (code, _, _) = run(&["healthcheck"], &[("FLOWGATE_HTTP_ADDRESS", &http)]);
    assert_eq!(code, 0);
    let closed = format!("127.0.0.1:{}", free_tcp_port());
    let (code, _, err) = run(&["healthcheck", "--http", &closed], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("healthcheck"), "{err}");
}

#[test]
fn operator_metrics_are_there_from_the_start() {
    let port = free_udp_port();
    let uri = format!("netflow://127.0.0.1:{port}");
    let server = Server::start(&[
        "--listen",
        &uri,
        "--workers",
        "3",
        "--receive-buffer",
        "1MiB",
    ]);
    let m = server.metrics();
    assert_eq!(
        metric_value(
            &m,
            &format!("flowgate_kernel_drops_total{{listener=\"{uri}\"}}")
        ),
        Some(0.0)
    );
    assert_eq!(
        metric_value(
            &m,
            &format!("flowgate_receive_workers{{listener=\"{uri}\"}}")
        ),
        Some(3.0)
    );
    let rcvbuf = metric_value(
        &m,
        &format!("flowgate_receive_buffer_bytes{{listener=\"{uri}\"}}"),
    )
    .unwrap();
    assert!(
        rcvbuf >= 2.0 * 1048576.0,
        "the kernel reports double what it was asked: {rcvbuf}"
    );
    assert_eq!(
        metric_value(&m, "flowgate_queue_depth{sink=\"stdout\"}"),
        Some(0.0)
    );
    assert_eq!(
        metric_value(&m, "flowgate_queue_capacity{sink=\"stdout\"}"),
        Some(128.0)
    );
    assert_eq!(
        metric_value(&m, "flowgate_records_dropped_total{stage=\"sink_queue\",reason=\"queue_full\",sink=\"stdout\"}"),
        Some(0.0)
    );
    assert_eq!(metric_value(&m, "flowgate_ready"), Some(1.0));
    assert!(m.ends_with("# EOF\n"));
}

fn wait_for(cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "condition not met in time"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `:PORT` is dual-stack: IPv4 and IPv6 exporters share the socket, and an
/// IPv4 exporter is labelled as IPv4, not as ::ffff:a.b.c.d.
#[test]
fn one_socket_takes_ipv4_and_ipv6_exporters() {
    let Ok(v6) = std::net::UdpSocket::bind("[::1]:0") else {
        eprintln!("SKIPPED: no IPv6 loopback here");
        return;
    };
    let port = free_udp_port();
    let server = Server::start(&["--listen", &format!("netflow://:{port}")]);
    let v4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    v4.send_to(&v5(0, 1, 4), ("127.0.0.1", port)).unwrap();
    v6.send_to(&v5(0, 2, 6), ("::1", port)).unwrap();
    let lines = server.lines(3);
    assert_eq!(lines.len(), 3, "{}", server.stderr());
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("\"sampler_address\":\"::1\""))
            .count(),
        2
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("\"sampler_address\":\"127.0.0.1\""))
            .count(),
        1
    );
    let series =
        |ip: &str| format!("flowgate_records_total{{exporter=\"{ip}\",protocol=\"netflow_v5\"}}");
    assert_eq!(server.wait_metric(&series("::1"), 2.0), 2.0);
    assert_eq!(server.wait_metric(&series("127.0.0.1"), 1.0), 1.0);
}
