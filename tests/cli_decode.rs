//! Runs the built `flowgate` binary the way a user would.

mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::{corpus_absent, corpus_dir, tshark, tshark_json};

/// softflowd NetFlow v5: 12 datagrams, 30 records, exporter 192.0.2.1.
const CAPTURE: &str = "netflow5/logstash-softflowd-v5.pcap";

fn flowgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowgate"))
        .args(args)
        .output()
        .expect("running flowgate")
}

fn capture() -> Option<PathBuf> {
    corpus_dir().map(|c| c.join(CAPTURE))
}

fn stdout_lines(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "flowgate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn json_records_agree_with_tshark() {
    let Some(path) = capture() else {
        return corpus_absent("json_records_agree_with_tshark");
    };
    let lines = stdout_lines(&flowgate(&["decode", path.to_str().unwrap()]));
    let expected: Vec<_> = tshark::load(&tshark_json(&path))
        .frames
        .into_iter()
        .flat_map(|f| f.records)
        .collect();
    assert_eq!(lines.len(), 30);
    assert_eq!(lines.len(), expected.len());
    for (line, t) in lines.iter().zip(&expected) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(v["type"], "NETFLOW_V5");
        assert_eq!(v["sampler_address"], "192.0.2.1");
        let ip = |k: &str| v[k].as_str().unwrap().parse::<IpAddr>().unwrap();
        assert_eq!(vec![ip("src_addr")], t.src_addr, "{line}");
        assert_eq!(vec![ip("dst_addr")], t.dst_addr, "{line}");
        for (key, want) in [
            ("src_port", &t.src_port),
            ("dst_port", &t.dst_port),
            ("proto", &t.proto),
            ("bytes", &t.bytes),
            ("packets", &t.packets),
        ] {
            assert_eq!(vec![v[key].as_u64().unwrap()], *want, "{key} in {line}");
        }
    }
}

#[test]
fn fields_keep_the_order_asked_for() {
    let Some(path) = capture() else {
        return corpus_absent("fields_keep_the_order_asked_for");
    };
    let p = path.to_str().unwrap();
    let lines = stdout_lines(&flowgate(&[
        "decode",
        "--fields",
        "dst_addr,bytes,src_addr,flow_end_reason",
        p,
    ]));
    assert_eq!(lines.len(), 30);
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 4, "{line}");
        assert_eq!(v["flow_end_reason"], Value::Null, "absent fields are null");
        let at = |k: &str| line.find(&format!("\"{k}\":")).unwrap();
        assert!(
            at("dst_addr") < at("bytes") && at("bytes") < at("src_addr"),
            "{line}"
        );
    }

    let lines = stdout_lines(&flowgate(&[
        "decode",
        "--format",
        "text",
        "--names",
        "--fields",
        "src_addr,proto,bytes",
        p,
    ]));
    assert_eq!(lines.len(), 30);
    for line in &lines {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert!(parts[0].starts_with("src_addr="), "{line}");
        let proto = parts[1].strip_prefix("proto=").unwrap();
        assert!(proto.parse::<u8>().is_err(), "--names prints names: {line}");
        assert!(parts[2]
            .strip_prefix("bytes=")
            .unwrap()
            .parse::<u64>()
            .is_ok());
    }
}

#[test]
fn stats_name_the_exporter_and_its_counts() {
    let Some(path) = capture() else {
        return corpus_absent("stats_name_the_exporter_and_its_counts");
    };
    let out = flowgate(&["decode", "--stats", path.to_str().unwrap()]);
    assert_eq!(stdout_lines(&out).len(), 30);
    let err = String::from_utf8(out.stderr).unwrap();
    let row = err
        .lines()
        .find(|l| l.starts_with("192.0.2.1:"))
        .unwrap_or_else(|| panic!("no row for the exporter in:\n{err}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    // exporter, protocol, datagrams, records, options, counters, templates,
    // held, released, rejected, issues
    assert_eq!(&cols[1..4], ["netflow_v5", "12", "30"], "{row}");
    assert_eq!(&cols[9..], ["-", "-"], "{row}");
    assert!(err.contains("frames=12 udp_datagrams=12"), "{err}");
}

#[test]
fn a_file_that_is_not_a_capture_fails_with_a_message() {
    let not_pcap = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = flowgate(&["decode", not_pcap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("Cargo.toml") && err.contains("not a pcap or pcapng file"),
        "{err}"
    );

    let out = flowgate(&["decode", "/nonexistent/capture.pcap"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("/nonexistent/capture.pcap"));
}

#[test]
fn decode_help_lists_its_options() {
    // (With no subcommand flowgate runs the collector, so ask for help explicitly.)
    let out = flowgate(&["decode", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--stats",
        "--format",
        "--fields",
        "--names",
        "--templates-in",
        "--templates-out",
    ] {
        assert!(text.contains(opt), "{opt} missing from:\n{text}");
    }
}

#[test]
fn decode_errors_do_not_stop_the_run() {
    let Some(corpus) = corpus_dir() else {
        return corpus_absent("decode_errors_do_not_stop_the_run");
    };
    // A fuzzed sFlow datagram first, then a good capture: the good records
    // still come out and the exit code says the files were read.
    let fuzz = corpus.join("sflow/tcpdump-sflow-fuzz-segv.pcap");
    let good = corpus.join(CAPTURE);
    let out = flowgate(&[
        "decode",
        "--stats",
        fuzz.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(stdout_lines(&out).len(), 30);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("sflow_v5"), "sFlow gets its own row:\n{err}");
}

/// One classic-pcap file per frame of `path` (little-endian classic pcap).
fn split_pcap(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap();
    assert_eq!(
        b[..4],
        [0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian classic pcap"
    );
    let (header, mut rest) = b.split_at(24);
    let mut files = Vec::new();
    while rest.len() >= 16 {
        let incl = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
        let (frame, tail) = rest.split_at(16 + incl);
        files.push([header, frame].concat());
        rest = tail;
    }
    files
}

#[test]
fn templates_carry_across_files_and_runs() {
    let Some(corpus) = corpus_dir() else {
        return corpus_absent("templates_carry_across_files_and_runs");
    };
    // Cisco ASA: frame 1 holds 13 templates, frame 2 the 14 data records.
    let frames = split_pcap(&corpus.join("netflow9/logstash-cisco-asa.pcap"));
    assert_eq!(frames.len(), 2);
    let dir = std::env::temp_dir().join(format!("flowgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (tpl, data, saved) = (
        dir.join("tpl.pcap"),
        dir.join("data.pcap"),
        dir.join("t.json"),
    );
    std::fs::write(&tpl, &frames[0]).unwrap();
    std::fs::write(&data, &frames[1]).unwrap();
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();

    let alone = stdout_lines(&flowgate(&["decode", &s(&data)]));
    assert_eq!(
        alone.len(),
        0,
        "data without its templates is held, not printed"
    );
    let both = stdout_lines(&flowgate(&["decode", &s(&tpl), &s(&data)]));
    assert_eq!(
        both.len(),
        14,
        "one template state across the files of a run"
    );

    let out = flowgate(&["decode", "--templates-out", &s(&saved), &s(&tpl)]);
    assert_eq!(stdout_lines(&out).len(), 0);
    assert!(saved.is_file(), "--templates-out wrote {}", saved.display());
    let later = stdout_lines(&flowgate(&[
        "decode",
        "--templates-in",
        &s(&saved),
        &s(&data),
    ]));
    assert_eq!(
        later.len(),
        14,
        "templates saved by an earlier run decode the data"
    );
    let v: Value = serde_json::from_str(&later[0]).unwrap();
    assert_eq!(v["type"], "NETFLOW_V9");

    let bad = flowgate(&["decode", "--templates-in", &s(&tpl), &s(&data)]);
    assert_eq!(
        bad.status.code(),
        Some(1),
        "a templates file that is not one"
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--templates-in"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sflow_counter_samples_are_their_own_lines() {
    let Some(corpus) = corpus_dir() else {
        return corpus_absent("sflow_counter_samples_are_their_own_lines");
    };
    // 12 counter samples, no flow sample.
    let p = corpus.join("sflow/lssflow-counters.pcap");
    let p = p.to_str().unwrap();
    let out = flowgate(&["decode", "--stats", p]);
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 12);
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["type"], "SFLOW_COUNTERS", "{l}");
    }
    let err = String::from_utf8(out.stderr).unwrap();
    let row = err.lines().find(|l| l.contains("sflow_v5")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[2..6], ["1", "0", "0", "12"], "{row}");
    // --fields picks flow columns, which counter samples do not have.
    assert!(stdout_lines(&flowgate(&["decode", "--fields", "type", p])).is_empty());
}
