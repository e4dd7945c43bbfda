//! Real exporters end to end. `tests/e2e/lab.sh` builds two network-namespace
//! pods on an Open vSwitch userspace bridge and makes bounded, known traffic
//! between them; the exporters send what they saw to a real `flowgate run`
//! on free loopback ports. The flows of that traffic must come out on
//! flowgate's stdout as exporters report them (exact packet counts: every
//! exporter here samples 1:1), and /metrics must count the same datagrams
//! and records.
//!
//! One test per exporter group:
//!  * Open vSwitch 3.1: NetFlow v5, IPFIX and sFlow from one bridge;
//!  * softflowd 1.1.0: NetFlow v9 and IPFIX, capturing live on pod 1's veth.
//!
//! Needs root, `ip netns`, Open vSwitch, softflowd, ethtool, ping and python3
//! (`tests/e2e/lab.sh check` names what is missing). Without them each test
//! prints a loud SKIPPED and passes, except under CI (CI=true), where
//! `.ci/run` installs them and a missing tool fails the test. Only one lab
//! runs at a time (Open vSwitch's userspace datapath has one fixed tap name):
//! the tests take a lock, and `lab.sh up` a host-wide one. They always tear
//! the lab down.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "e2e/harness.rs"]
mod harness;
use harness::*;

/// How long the exporters get to deliver every expected flow after the traffic.
const EXPORT_PATIENCE: Duration = Duration::from_secs(30);

/// `fg.metrics()` as the checks below read it.
trait Scrape {
    fn metrics(&self) -> Metrics;
}

impl Scrape for Flowgate {
    fn metrics(&self) -> Metrics {
        Metrics(self.metrics_text())
    }
}

/// The Prometheus text of one GET /metrics.
struct Metrics(String);

impl Metrics {
    /// The value of one series, `name{labels}` exactly as exposed.
    fn get(&self, series: &str) -> Option<f64> {
        self.0.lines().find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
    }

    /// A per-exporter counter of exporter 127.0.0.1 (0 when absent).
    fn exporter(&self, name: &str, protocol: &str) -> u64 {
        self.get(&format!(
            "{name}{{exporter=\"127.0.0.1\",protocol=\"{protocol}\"}}"
        ))
        .unwrap_or(0.0) as u64
    }

    /// Every series line of one metric family (for failure messages and error checks).
    fn family(&self, name: &str) -> Vec<&str> {
        self.0
            .lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
            .collect()
    }
}

// ---------------------------------------------------------------- flows

/// A unidirectional flow: ICMP flows are keyed by their type (in `port_or_type`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    src: String,
    dst: String,
    proto: u8,
    src_port: u16,
    port_or_type: u16,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.proto {
            1 | 58 => write!(
                f,
                "icmp{} {} -> {} type {}",
                if self.proto == 58 { "6" } else { "" },
                self.src,
                self.dst,
                self.port_or_type
            ),
            p => write!(
                f,
                "{} {}:{} -> {}:{}",
                if p == 6 { "tcp" } else { "udp" },
                self.src,
                self.src_port,
                self.dst,
                self.port_or_type
            ),
        }
    }
}

fn key_of(r: &Value) -> Option<Key> {
    let src = r["src_addr"].as_str().filter(|s| !s.is_empty())?.to_owned();
    let dst = r["dst_addr"].as_str()?.to_owned();
    let proto = r["proto"].as_u64()? as u8;
    let (src_port, port_or_type) = if proto == 1 || proto == 58 {
        (0, r["icmp_type"].as_u64()? as u16)
    } else {
        (
            r["src_port"].as_u64()? as u16,
            r["dst_port"].as_u64()? as u16,
        )
    };
    Some(Key {
        src,
        dst,
        proto,
        src_port,
        port_or_type,
    })
}

/// What the exporters must report for one flow of the lab's traffic.
#[derive(Debug, Clone)]
struct Expected {
    key: Key,
    /// Exact packets; None for TCP, whose segment count the kernels decide
    /// (checked for agreement between exporters instead).
    packets: Option<u64>,
    /// IP-level bytes of the whole flow, where the payloads fix them.
    ip_bytes: Option<u64>,
    v6: bool,
}

/// Pod side (1 or 2) of an address of the lab.
fn side(addr: &str) -> u8 {
    match addr {
        "10.99.0.1" | "fd99::1" => 1,
        "10.99.0.2" | "fd99::2" => 2,
        _ => 0,
    }
}

/// The flows `lab.sh traffic` makes (or `traffic late`), as in tests/data/README.md.
fn expected_flows(late: bool) -> Vec<Expected> {
    let mut out = Vec::new();
    for v6 in [false, true] {
        let (a, b) = if v6 {
            ("fd99::1", "fd99::2")
        } else {
            ("10.99.0.1", "10.99.0.2")
        };
        let (icmp, req, rep, ip_hdr) = if v6 {
            (58, 128, 129, 40)
        } else {
            (1, 8, 0, 20)
        };
        let k = |src: &str, dst: &str, proto: u8, sp: u16, dp: u16| Key {
            src: src.into(),
            dst: dst.into(),
            proto,
            src_port: sp,
            port_or_type: dp,
        };
        let e = |key, packets: Option<u64>, ip_bytes: Option<u64>| Expected {
            key,
            packets,
            ip_bytes,
            v6,
        };
        if late {
            // "flowgate late udp" (17 B) and "echo flowgate late udp" (22 B)
            out.push(e(k(a, b, 17, 40002, 5353), Some(1), Some(ip_hdr + 8 + 17)));
            out.push(e(k(b, a, 17, 5353, 40002), Some(1), Some(ip_hdr + 8 + 22)));
            continue;
        }
        // ping -c 3 with 56 data bytes: ICMP header 8 + 56
        let ping = 3 * (ip_hdr + 64);
        for (x, y) in [(a, b), (b, a)] {
            out.push(e(k(x, y, icmp, 0, req), Some(3), Some(ping)));
            out.push(e(k(y, x, icmp, 0, rep), Some(3), Some(ping)));
        }
        out.push(e(k(a, b, 6, 40001, 8080), None, None));
        out.push(e(k(b, a, 6, 8080, 40001), None, None));
        // "flowgate udp N" (14 B) three times, "echo flowgate udp N" (19 B) back
        out.push(e(
            k(a, b, 17, 40000, 5353),
            Some(3),
            Some(3 * (ip_hdr + 8 + 14)),
        ));
        out.push(e(
            k(b, a, 17, 5353, 40000),
            Some(3),
            Some(3 * (ip_hdr + 8 + 19)),
        ));
    }
    out
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Sum {
    records: u64,
    packets: u64,
    bytes: u64,
}

/// Sums per flow over the records `pick` selects.
fn sums(records: &[Value], pick: impl Fn(&Value) -> bool) -> BTreeMap<Key, Sum> {
    let mut m: BTreeMap<Key, Sum> = BTreeMap::new();
    for r in records.iter().filter(|r| pick(r)) {
        if let Some(k) = key_of(r) {
            let s = m.entry(k).or_default();
            s.records += 1;
            s.packets += r["packets"].as_u64().unwrap_or(0);
            s.bytes += r["bytes"].as_u64().unwrap_or(0);
        }
    }
    m
}

fn of_type(t: &'static str) -> impl Fn(&Value) -> bool {
    move |r: &Value| r["type"] == t
}

/// One view of the exported flows: records of one exporter (and direction).
struct View<'a> {
    name: &'a str,
    flows: BTreeMap<Key, Sum>,
    /// bytes the exporter counts per packet beyond the IP packet
    l2_overhead: u64,
    /// IPv4 only (NetFlow v5 cannot carry IPv6)
    v4_only: bool,
}

impl View<'_> {
    /// Every expected flow with its packets (and bytes, where known) exactly;
    /// returns the problems.
    fn problems(&self, expected: &[Expected]) -> Vec<String> {
        let mut p = Vec::new();
        for e in expected.iter().filter(|e| !(self.v4_only && e.v6)) {
            let got = self.flows.get(&e.key).copied().unwrap_or_default();
            if got.records == 0 {
                p.push(format!("{}: no record of {}", self.name, e.key));
                continue;
            }
            if let Some(n) = e.packets {
                if got.packets != n {
                    p.push(format!(
                        "{}: {} has {} packets, want {n}",
                        self.name, e.key, got.packets
                    ));
                }
            }
            if let (Some(b), Some(n)) = (e.ip_bytes, e.packets) {
                let want = b + self.l2_overhead * n;
                if got.bytes != want {
                    p.push(format!(
                        "{}: {} has {} bytes, want {want}",
                        self.name, e.key, got.bytes
                    ));
                }
            }
        }
        if self.v4_only {
            for k in self.flows.keys().filter(|k| k.src.contains(':')) {
                p.push(format!(
                    "{}: an IPv6 flow in an IPv4-only protocol: {k}",
                    self.name
                ));
            }
        }
        p
    }

    fn get(&self, k: &Key) -> Sum {
        self.flows.get(k).copied().unwrap_or_default()
    }
}

fn table(views: &[&View<'_>]) -> String {
    let mut s = String::new();
    for v in views {
        s.push_str(&format!("  -- {} --\n", v.name));
        for (k, sum) in &v.flows {
            s.push_str(&format!(
                "    {k:<48} records {:>3} packets {:>4} bytes {:>6}\n",
                sum.records, sum.packets, sum.bytes
            ));
        }
    }
    s
}

/// TCP: the same segment count in every view, 4 to 10 per direction (the
/// exchange is a handshake, one request, one answer and the closes), and the
/// bytes consistent with each view's per-packet overhead.
fn tcp_problems(expected: &[Expected], views: &[&View<'_>]) -> Vec<String> {
    let mut p = Vec::new();
    for e in expected.iter().filter(|e| e.key.proto == 6) {
        let seen: Vec<(&str, Sum, u64)> = views
            .iter()
            .filter(|v| !(v.v4_only && e.v6))
            .map(|v| (v.name, v.get(&e.key), v.l2_overhead))
            .collect();
        let Some(&(first, s0, o0)) = seen.first() else {
            continue;
        };
        if !(4..=10).contains(&s0.packets) {
            p.push(format!(
                "{first}: {} has {} packets, want 4..=10",
                e.key, s0.packets
            ));
        }
        for &(name, s, o) in &seen[1..] {
            if s.packets != s0.packets {
                p.push(format!(
                    "{}: {name} says {} packets, {first} says {}",
                    e.key, s.packets, s0.packets
                ));
            } else if s.bytes as i64 - (o * s.packets) as i64
                != s0.bytes as i64 - (o0 * s0.packets) as i64
            {
                p.push(format!(
                    "{}: {name} says {} bytes (+{o}/packet), {first} says {} (+{o0}/packet)",
                    e.key, s.bytes, s0.bytes
                ));
            }
        }
    }
    p
}

/// Polls `check` until it returns no problems or `patience` runs out; returns the last problems.
fn wait_until(patience: Duration, mut check: impl FnMut() -> Vec<String>) -> Vec<String> {
    let deadline = Instant::now() + patience;
    loop {
        let p = check();
        if p.is_empty() || Instant::now() > deadline {
            return p;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn hex_u64(v: &str) -> Option<u64> {
    u64::from_str_radix(v, 16).ok()
}

/// The value of one extra element (pen 0), if the record carries it.
fn extra(r: &Value, id: u64) -> Option<u64> {
    r["extra"]
        .as_array()?
        .iter()
        .find(|e| e["pen"] == 0 && e["id"] == id)
        .and_then(|e| hex_u64(e["value"].as_str()?))
}

// ---------------------------------------------------------------- metrics vs stdout

/// /metrics against stdout, per protocol: records_total equals the lines of
/// that type, datagrams_total covers every sequence number seen, no sequence
/// gap, loss or reset, no decode error; sFlow counter samples equal the
/// SFLOW_COUNTERS lines when flowgate prints them. `more` adds checks of its
/// own. Retries (bounded) until all agree: workers merge their counters into
/// /metrics a few times a second.
fn check_metrics(
    fg: &Flowgate,
    protocols: &[(&str, &str)],
    more: impl Fn(&[Value], &Metrics) -> Vec<String>,
) -> Metrics {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let records = fg.records();
        let m = fg.metrics();
        let mut p = Vec::new();
        let counter_lines = records
            .iter()
            .filter(|r| r["type"] == "SFLOW_COUNTERS")
            .count() as u64;
        for &(protocol, rtype) in protocols {
            let lines = records.iter().filter(|r| r["type"] == rtype).count() as u64;
            let got = m.exporter("flowgate_records_total", protocol);
            if got != lines {
                p.push(format!("flowgate_records_total{{protocol={protocol}}} = {got}, stdout has {lines} {rtype} lines"));
            }
            let sflow_with_counters = protocol == "sflow_v5" && counter_lines > 0;
            let seqs: BTreeSet<u64> = records
                .iter()
                .filter(|r| {
                    r["type"] == rtype || (sflow_with_counters && r["type"] == "SFLOW_COUNTERS")
                })
                .filter_map(|r| r["sequence_num"].as_u64())
                .collect();
            let dgrams = m.exporter("flowgate_datagrams_total", protocol);
            // Every sFlow datagram carries flow or counter samples, each its own sequence number;
            // NetFlow v9 / IPFIX messages may carry templates only.
            let ok = if sflow_with_counters {
                dgrams == seqs.len() as u64
            } else {
                dgrams >= seqs.len() as u64
            };
            if !ok || dgrams == 0 {
                p.push(format!(
                    "flowgate_datagrams_total{{protocol={protocol}}} = {dgrams}, stdout shows {} distinct sequence numbers",
                    seqs.len()
                ));
            }
            if protocol == "sflow_v5" {
                let samples = m.exporter("flowgate_counter_samples_total", protocol);
                if counter_lines > 0 && samples != counter_lines {
                    p.push(format!(
                        "flowgate_counter_samples_total{{protocol=sflow_v5}} = {samples}, stdout has {counter_lines} SFLOW_COUNTERS lines"
                    ));
                }
            }
            for series in [
                "flowgate_sequence_gaps_total",
                "flowgate_sequence_lost_total",
                "flowgate_sequence_resets_total",
            ] {
                let n = m.exporter(series, protocol);
                if n != 0 {
                    p.push(format!("{series}{{protocol={protocol}}} = {n} on loopback"));
                }
            }
        }
        let errors = m.family("flowgate_decode_errors_total");
        if !errors.is_empty() {
            p.push(format!("decode errors: {errors:?}"));
        }
        let sent = m
            .get("flowgate_sink_records_total{sink=\"stdout\",outcome=\"sent\"}")
            .unwrap_or(0.0) as u64;
        let flow_lines = records.len() as u64 - counter_lines;
        if sent != flow_lines && sent != records.len() as u64 {
            p.push(format!(
                "flowgate_sink_records_total{{sink=stdout,outcome=sent}} = {sent}, stdout has {} lines ({counter_lines} SFLOW_COUNTERS)",
                records.len()
            ));
        }
        p.extend(more(&records, &m));
        if p.is_empty() {
            return m;
        }
        if Instant::now() > deadline {
            panic!(
                "/metrics disagrees with stdout:\n  {}\n{}",
                p.join("\n  "),
                m.0
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until flowgate's datagram counters stop moving (bounded): everything sent has arrived.
fn wait_quiet(fg: &Flowgate) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now: String = fg.metrics().family("flowgate_datagrams_total").join("\n");
        if now == last || Instant::now() > deadline {
            return;
        }
        last = now;
    }
}

fn print_summary(test: &str, started: Instant, fg: &Flowgate, protocols: &[&str]) {
    let m = fg.metrics();
    let mut s = format!(
        "{test}: passed in {:.1} s;",
        started.elapsed().as_secs_f64()
    );
    for p in protocols {
        s.push_str(&format!(
            " {p}: {} datagrams / {} records;",
            m.exporter("flowgate_datagrams_total", p),
            m.exporter("flowgate_records_total", p)
        ));
    }
    eprintln!("{s}");
}

// ---------------------------------------------------------------- the tests

/// Open vSwitch 3.1 (userspace datapath), one bridge exporting NetFlow v5,
/// IPFIX and sFlow at once.
#[test]
fn open_vswitch_netflow_v5_ipfix_and_sflow_from_one_bridge() {
    const TEST: &str = "open_vswitch_netflow_v5_ipfix_and_sflow_from_one_bridge";
    if !lab_available(TEST) {
        return;
    }
    let _one_lab = lock_lab();
    let started = Instant::now();
    let (nf, ipfix, sflow) = (free_udp_port(), free_udp_port(), free_udp_port());
    let fg = Flowgate::listening(&[
        format!("netflow://127.0.0.1:{nf}"),
        format!("ipfix://127.0.0.1:{ipfix}"),
        format!("sflow://127.0.0.1:{sflow}"),
    ]);
    let lab = Lab::up(
        "fg-e2e-ovs",
        &[
            ("FG_LAB_NETFLOW_PORT", nf.to_string()),
            ("FG_LAB_IPFIX_PORT", ipfix.to_string()),
            ("FG_LAB_SFLOW_PORT", sflow.to_string()),
            // OVS NetFlow exports a flow only when it expires: keep that short
            ("FG_LAB_ACTIVE_TIMEOUT", "2".into()),
            ("FG_LAB_SFLOW_POLLING", "2".into()),
        ],
    );
    lab.run(&["traffic"]);
    let expected = expected_flows(false);

    let (hv1, hv2, br) = (
        lab.fact("HV1").to_owned(),
        lab.fact("HV2").to_owned(),
        lab.fact("BR").to_owned(),
    );
    let ifindex = |s: u8| {
        if s == 1 {
            lab.num("IFINDEX_HV1")
        } else {
            lab.num("IFINDEX_HV2")
        }
    };
    let ifname = |s: u8| if s == 1 { hv1.as_str() } else { hv2.as_str() };
    let ofport = |s: u8| {
        if s == 1 {
            lab.num("OFPORT_HV1")
        } else {
            lab.num("OFPORT_HV2")
        }
    };

    let views = |records: &[Value]| {
        let v5 = View {
            name: "NetFlow v5",
            flows: sums(records, of_type("NETFLOW_V5")),
            l2_overhead: 14, // OVS counts the Ethernet header in dOctets
            v4_only: true,
        };
        let ingress = View {
            name: "IPFIX ingress",
            flows: sums(records, |r| {
                r["type"] == "IPFIX" && r["flow_direction"] == 0
            }),
            l2_overhead: 0,
            v4_only: false,
        };
        let egress = View {
            name: "IPFIX egress",
            flows: sums(records, |r| {
                r["type"] == "IPFIX" && r["flow_direction"] == 1
            }),
            l2_overhead: 0,
            v4_only: false,
        };
        let sflow = View {
            name: "sFlow",
            flows: sums(records, of_type("SFLOW_5")),
            l2_overhead: 18, // frame length: Ethernet header + the 4 FCS bytes OVS says it stripped
            v4_only: false,
        };
        [v5, ingress, egress, sflow]
    };

    // Wait (bounded) for every expected flow in every view and for counter samples.
    let problems = wait_until(EXPORT_PATIENCE, || {
        let records = fg.records();
        let vs = views(&records);
        let mut p: Vec<String> = vs.iter().flat_map(|v| v.problems(&expected)).collect();
        let refs: Vec<&View> = vs.iter().collect();
        p.extend(tcp_problems(&expected, &refs));
        if fg
            .metrics()
            .exporter("flowgate_counter_samples_total", "sflow_v5")
            < 4
        {
            p.push("fewer than 4 sFlow counter samples so far".into());
        }
        p
    });
    let records = fg.records();
    let vs = views(&records);
    assert!(
        problems.is_empty(),
        "after {EXPORT_PATIENCE:?}:\n  {}\nflows seen:\n{}\nflowgate stderr:\n{}",
        problems.join("\n  "),
        table(&vs.iter().collect::<Vec<_>>()),
        fg.stderr()
    );
    // Nothing more may come for these flows: wait past an active timeout, then check again, exactly.
    std::thread::sleep(Duration::from_secs(3));
    let records = fg.records();
    let vs = views(&records);
    let refs: Vec<&View> = vs.iter().collect();
    let mut problems: Vec<String> = vs.iter().flat_map(|v| v.problems(&expected)).collect();
    problems.extend(tcp_problems(&expected, &refs));
    assert!(
        problems.is_empty(),
        "later:\n  {}\n{}",
        problems.join("\n  "),
        table(&refs)
    );

    // ---- per-record specifics of each protocol
    for r in records
        .iter()
        .filter(|r| key_of(r).is_some_and(|k| side(&k.src) > 0 && side(&k.dst) > 0))
    {
        let k = key_of(r).unwrap();
        let (s, d) = (side(&k.src), side(&k.dst));
        assert_eq!(r["sampler_address"], "127.0.0.1", "{r}");
        match r["type"].as_str().unwrap() {
            "NETFLOW_V5" => {
                // OpenFlow port numbers, not ifindexes
                assert_eq!(
                    (r["in_if"].as_u64(), r["out_if"].as_u64()),
                    (Some(ofport(s)), Some(ofport(d))),
                    "{r}"
                );
                assert_eq!(r["sampling_rate"], 0, "{r}");
            }
            "IPFIX" => {
                assert_eq!(r["in_if"].as_u64(), Some(ifindex(s)), "{r}");
                assert_eq!(
                    r["in_if_name"],
                    ifname(s),
                    "IE 82 after the ingress interface: {r}"
                );
                match r["flow_direction"].as_u64() {
                    Some(0) => assert!(
                        r.get("out_if_name").is_none(),
                        "ingress record with an egress name: {r}"
                    ),
                    Some(1) => {
                        assert_eq!(r["out_if"].as_u64(), Some(ifindex(d)), "{r}");
                        assert_eq!(
                            r["out_if_name"],
                            ifname(d),
                            "the second IE 82 of an egress template: {r}"
                        );
                    }
                    other => panic!("flow_direction {other:?}: {r}"),
                }
            }
            "SFLOW_5" => {
                assert_eq!(
                    (r["in_if"].as_u64(), r["out_if"].as_u64()),
                    (Some(ifindex(s)), Some(ifindex(d))),
                    "{r}"
                );
                assert_eq!(r["sampling_rate"], 1, "{r}");
                assert_eq!(r["packets"], 1, "one sFlow sample is one packet: {r}");
                assert_eq!(r["bytes"], r["frame_length"], "{r}");
            }
            other => panic!("unexpected record type {other}: {r}"),
        }
    }
    // Both directions of IPFIX.
    let ipfix_records: Vec<&Value> = records.iter().filter(|r| r["type"] == "IPFIX").collect();
    for dir in [0, 1] {
        assert!(
            ipfix_records.iter().any(|r| r["flow_direction"] == dir),
            "no IPFIX flow_direction {dir}"
        );
    }
    // packets are packetDeltaCount: OVS's packetTotalCount (IE 86, kept in extra) is an
    // exporter-wide running total and must differ from the per-record delta somewhere.
    let totals: Vec<(u64, u64)> = ipfix_records
        .iter()
        .filter_map(|r| Some((r["packets"].as_u64()?, extra(r, 86)?)))
        .collect();
    assert!(
        !totals.is_empty(),
        "OVS IPFIX records carry packetTotalCount (86) in extra"
    );
    assert!(
        totals.iter().any(|(delta, total)| total > delta),
        "packetTotalCount never exceeds packets: are totals used as deltas? {totals:?}"
    );
    let delta_sum: u64 = ipfix_records
        .iter()
        .filter_map(|r| r["packets"].as_u64())
        .sum();
    let total_max = totals.iter().map(|t| t.1).max().unwrap();
    assert!(
        total_max <= delta_sum,
        "packetTotalCount {total_max} > the sum of all deltas {delta_sum}"
    );
    // The flooded first ARP request / neighbour solicitation also leaves towards the bridge's
    // own port: an egress record whose second IE 82 names it.
    assert!(
        ipfix_records.iter().any(|r| r["flow_direction"] == 1
            && r["out_if_name"] == br.as_str()
            && r["out_if"].as_u64() == Some(lab.num("IFINDEX_BR"))),
        "no IPFIX egress record towards the bridge port {br}"
    );

    // ---- sFlow counter samples: their own lines, per port, with the ports' traffic
    let counter_lines: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "SFLOW_COUNTERS")
        .collect();
    assert!(
        !counter_lines.is_empty(),
        "no \"type\":\"SFLOW_COUNTERS\" line on stdout, though /metrics counted {} counter samples",
        fg.metrics()
            .exporter("flowgate_counter_samples_total", "sflow_v5")
    );
    for hv in [1u8, 2] {
        let idx = ifindex(hv);
        let port: Vec<&&Value> = counter_lines
            .iter()
            .filter(|c| c["generic_interface"]["if_index"].as_u64() == Some(idx))
            .collect();
        assert!(
            !port.is_empty(),
            "no counter sample of {} (ifindex {idx}):\n{:?}",
            ifname(hv),
            counter_lines.first()
        );
        for c in &port {
            assert_eq!(c["sampler_address"], "127.0.0.1", "{c}");
        }
        // Each port received at least the 3+3+3+3 pings (IPv4 and IPv6) of the other pod.
        let octets = port
            .iter()
            .filter_map(|c| c["generic_interface"]["if_in_octets"].as_u64())
            .max();
        let ucast = port
            .iter()
            .filter_map(|c| c["generic_interface"]["if_in_ucast_pkts"].as_u64())
            .max();
        assert!(
            octets.is_some_and(|o| o > 0) && ucast.is_some_and(|u| u >= 12),
            "{}: {:?}",
            ifname(hv),
            port.last()
        );
    }

    // ---- /metrics against stdout and against the exporter. sFlow polls counters for ever:
    // stop sFlow and NetFlow, and wait for the last datagrams, so that the counts stand still.
    lab.run(&["stop-exporters", "sflow", "netflow"]);
    wait_quiet(&fg);
    // Open vSwitch's own IPFIX counts: the messages it sent, and the packets it sampled
    // (each exported once at ingress and once per output port).
    let stats = lab.stats();
    eprintln!("Open vSwitch IPFIX says: {stats:?}");
    assert_eq!(stats.get("OVS_IPFIX_TX_ERRS"), Some(&0), "{stats:?}");
    check_metrics(
        &fg,
        &[
            ("netflow_v5", "NETFLOW_V5"),
            ("ipfix", "IPFIX"),
            ("sflow_v5", "SFLOW_5"),
        ],
        |records, m| {
            let mut p = Vec::new();
            // NetFlow v5: every datagram carries records, each with its own sequence number.
            let v5_seqs: BTreeSet<u64> = records
                .iter()
                .filter(|r| r["type"] == "NETFLOW_V5")
                .filter_map(|r| r["sequence_num"].as_u64())
                .collect();
            let v5 = m.exporter("flowgate_datagrams_total", "netflow_v5");
            if v5 != v5_seqs.len() as u64 {
                p.push(format!(
                    "NetFlow v5: {v5} datagrams, {} sequence numbers on stdout",
                    v5_seqs.len()
                ));
            }
            let ipfix = m.exporter("flowgate_datagrams_total", "ipfix");
            if Some(ipfix) != stats.get("OVS_IPFIX_TX_PKTS").copied() {
                p.push(format!(
                    "IPFIX: flowgate counted {ipfix} messages, Open vSwitch sent {stats:?}"
                ));
            }
            let packets: u64 = records
                .iter()
                .filter(|r| r["type"] == "IPFIX")
                .filter_map(|r| r["packets"].as_u64())
                .sum();
            if Some(packets) != stats.get("OVS_IPFIX_SAMPLED_PKTS").copied() {
                p.push(format!("IPFIX: the records' packets add up to {packets}, Open vSwitch sampled {stats:?}"));
            }
            p
        },
    );

    print_summary(TEST, started, &fg, &["netflow_v5", "ipfix", "sflow_v5"]);
    drop(lab);
}

/// softflowd 1.1.0 capturing live on pod 1's veth, one instance exporting
/// NetFlow v9 and one IPFIX.
#[test]
fn softflowd_netflow_v9_and_ipfix_live_from_a_pod_interface() {
    const TEST: &str = "softflowd_netflow_v9_and_ipfix_live_from_a_pod_interface";
    if !lab_available(TEST) {
        return;
    }
    let _one_lab = lock_lab();
    let started = Instant::now();
    let (v9, ipfix) = (free_udp_port(), free_udp_port());
    let fg = Flowgate::listening(&[
        format!("netflow://127.0.0.1:{v9}"),
        format!("ipfix://127.0.0.1:{ipfix}"),
    ]);
    let lab = Lab::up(
        "fg-e2e-sfd",
        &[
            ("FG_LAB_SOFTFLOWD_V9_PORT", v9.to_string()),
            ("FG_LAB_SOFTFLOWD_IPFIX_PORT", ipfix.to_string()),
        ],
    );

    let views = |records: &[Value]| {
        [
            View {
                name: "softflowd NetFlow v9",
                flows: sums(records, of_type("NETFLOW_V9")),
                l2_overhead: 0,
                v4_only: false,
            },
            View {
                name: "softflowd IPFIX",
                flows: sums(records, of_type("IPFIX")),
                l2_overhead: 0,
                v4_only: false,
            },
        ]
    };
    let check = |expected: &[Expected]| {
        let records = fg.records();
        let vs = views(&records);
        let refs: Vec<&View> = vs.iter().collect();
        let mut p: Vec<String> = vs.iter().flat_map(|v| v.problems(expected)).collect();
        p.extend(tcp_problems(expected, &refs));
        p
    };

    // Two export rounds: the main traffic, then the late exchange, each flushed
    // (softflowd exports on expiry; `flush` makes it process what it captured and expire all).
    let mut all = Vec::new();
    for late in [false, true] {
        lab.run(&["traffic", if late { "late" } else { "main" }]);
        lab.run(&["flush"]);
        all.extend(expected_flows(late));
        let problems = wait_until(Duration::from_secs(10), || check(&all));
        let records = fg.records();
        let vs = views(&records);
        assert!(
            problems.is_empty(),
            "round {}:\n  {}\nflows seen:\n{}\nflowgate stderr:\n{}",
            if late { "late" } else { "main" },
            problems.join("\n  "),
            table(&vs.iter().collect::<Vec<_>>()),
            fg.stderr()
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    let problems = check(&all);
    assert!(problems.is_empty(), "later:\n  {}", problems.join("\n  "));

    let records = fg.records();
    for r in records.iter().filter(|r| key_of(r).is_some()) {
        assert_eq!(r["sampler_address"], "127.0.0.1", "{r}");
        assert!(
            matches!(r["type"].as_str(), Some("NETFLOW_V9" | "IPFIX")),
            "{r}"
        );
        // softflowd samples 1:1 and says so in its options record: flowgate must not report another rate
        assert!(matches!(r["sampling_rate"].as_u64(), Some(0 | 1)), "{r}");
    }

    let m = check_metrics(
        &fg,
        &[("netflow_v9", "NETFLOW_V9"), ("ipfix", "IPFIX")],
        |_, _| Vec::new(),
    );
    // softflowd's own counts: datagrams sent and flow records in them.
    let stats = lab.stats();
    eprintln!("softflowd says: {stats:?}");
    for (kind, protocol, rtype) in [
        ("V9", "netflow_v9", "NETFLOW_V9"),
        ("IPFIX", "ipfix", "IPFIX"),
    ] {
        let k = |s: &str| stats.get(&format!("SOFTFLOWD_{kind}_{s}")).copied();
        assert_eq!(k("FAILURES"), Some(0), "{stats:?}");
        assert_eq!(
            Some(m.exporter("flowgate_datagrams_total", protocol)),
            k("PACKETS"),
            "{protocol} datagrams: flowgate vs softflowd"
        );
        let lines = records.iter().filter(|r| r["type"] == rtype).count() as u64;
        assert_eq!(
            Some(lines),
            k("RECORDS"),
            "{protocol} records: stdout vs softflowd"
        );
    }

    print_summary(TEST, started, &fg, &["netflow_v9", "ipfix"]);
    drop(lab);
}
