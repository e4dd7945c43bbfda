//! Oracle test: every sFlow capture of the shared corpus goes through
//! `Decoder::decode_all` and is compared with Wireshark's decode beside it
//! (`<name>.tshark.json`, tshark 4.0): per capture, the samples by type;
//! for each flow sample the addresses, protocol and ports of its sampled
//! header plus its sampling rate and frame length; for each counter sample
//! the generic interface's ifIndex and ifInOctets. Comparisons are per
//! datagram and ignore sample order (tshark's JSON groups samples by key).
//!
//! Where tshark is known to be wrong (see `KNOWN_TSHARK_ERRORS`) the
//! capture's own values are checked instead of tshark's for the part tshark
//! gets wrong.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use flowgate_decode::{DatagramReport, Decoder, Exporter, Protocol};
use flowgate_record::{CounterRecord, FlowRecord, RecordBatch};
use serde_json::Value;

#[path = "corpus_sflow/checks.rs"]
mod checks;

use checks::{KNOWN_TSHARK_ERRORS, TSHARK_STOPS_EARLIER};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    flow: u32,
    counters: u32,
    drop: u32,
    unknown: u32,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Counts {
            flow,
            counters,
            drop,
            unknown,
        } = self;
        write!(f, "{flow}/{counters}/{drop}/{unknown}")
    }
}

/// (src, dst, proto, src port, dst port, sampling rate, frame length)
type Tuple = (Option<IpAddr>, Option<IpAddr>, u8, u16, u16, u64, u64);

/// One capture decoded by flowgate, datagram by datagram.
#[derive(Default)]
struct Run {
    reports: Vec<Result<DatagramReport, String>>,
    flows: Vec<Vec<FlowRecord>>,
    counters: Vec<Vec<CounterRecord>>,
}

#[derive(Default)]
struct Row {
    expected: Counts,
    decoded: Counts,
    tuples: (usize, usize, usize),
    generic: (usize, usize, usize),
    note: String,
    failures: Vec<String>,
}

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sflow");
    p.is_dir().then_some(p)
}

#[test]
fn sflow_corpus_matches_tshark() {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED corpus_sflow: ../shared/corpus/sflow is absent");
        return;
    };
    let mut pcaps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    pcaps.sort();
    assert!(!pcaps.is_empty(), "no captures in {}", dir.display());

    let mut rows = Vec::new();
    for pcap in &pcaps {
        let name = pcap.file_name().unwrap().to_string_lossy().into_owned();
        let json = pcap.with_extension("tshark.json");
        let row = compare(pcap, &json, &name);
        rows.push((name, row));
    }

    eprintln!(
        "\n{:<40} {:>13} {:>13} {:>14} {:>14}  note",
        "capture", "exp f/c/d/u", "dec f/c/d/u", "tuples e/d/x", "generic e/d/x"
    );
    for (name, r) in &rows {
        eprintln!(
            "{:<40} {:>13} {:>13} {:>14} {:>14}  {}",
            name,
            r.expected.to_string(),
            r.decoded.to_string(),
            format!("{}/{}/{}", r.tuples.0, r.tuples.1, r.tuples.2),
            format!("{}/{}/{}", r.generic.0, r.generic.1, r.generic.2),
            r.note
        );
    }
    let failures: Vec<String> = rows
        .iter()
        .flat_map(|(name, r)| r.failures.iter().map(move |f| format!("{name}: {f}")))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn compare(pcap: &Path, json: &Path, name: &str) -> Row {
    let mut row = Row::default();
    let tshark: Vec<Value> = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let run = decode(pcap);
    if run.reports.len() != tshark.len() {
        row.failures.push(format!(
            "{} datagrams read, tshark has {} frames",
            run.reports.len(),
            tshark.len()
        ));
        return row;
    }
    let known = KNOWN_TSHARK_ERRORS.iter().find(|k| k.capture == name);
    let outer_only = TSHARK_STOPS_EARLIER.iter().any(|k| k.0 == name);
    for (i, frame) in tshark.iter().enumerate() {
        let layer = &frame["_source"]["layers"]["sflow"];
        let samples = tshark_samples(layer);
        let mut exp = Counts::default();
        let (mut exp_tuples, mut exp_generic) = (Vec::new(), Vec::new());
        for s in &samples {
            match sample_type(s) {
                (0, 1 | 3) => {
                    exp.flow += 1;
                    if let Some(t) = tshark_tuple(s) {
                        exp_tuples.push(t);
                    }
                }
                (0, 2 | 4) => {
                    exp.counters += 1;
                    for g in children(s, "Generic interface counters") {
                        exp_generic
                            .push((num(&g["sflow_245.ifindex"]), num(&g["sflow_245.ifinoct"])));
                    }
                }
                (0, 5) => exp.drop += 1,
                _ => exp.unknown += 1,
            }
        }
        let dec = match &run.reports[i] {
            Ok(rep) if rep.protocol == Protocol::Sflow5 => Counts {
                flow: rep.flow_samples,
                counters: rep.counter_samples,
                drop: rep.drop_samples,
                unknown: rep.unknown_samples,
            },
            _ => Counts::default(),
        };
        let dec_tuples: Vec<Tuple> = run.flows[i]
            .iter()
            // flow samples only: discard samples (no sample pool) are not in
            // tshark's decode, nor NetFlow datagrams sent to the sFlow port
            .filter(|f| f.ext().sample_pool.is_some())
            .map(|f| flowgate_tuple(f, outer_only))
            .collect();
        let dec_generic: Vec<(u64, u64)> = run.counters[i]
            .iter()
            .filter_map(|c| c.generic_interface)
            .map(|g| (g.if_index.into(), g.if_in_octets))
            .collect();
        add(&mut row.expected, exp);
        add(&mut row.decoded, dec);
        if exp != dec {
            row.failures.push(format!(
                "frame {}: samples tshark {exp}, flowgate {dec}",
                i + 1
            ));
        }
        if let Ok(rep) = &run.reports[i] {
            if rep.protocol == Protocol::Sflow5 && !rep.issues.is_empty() && known.is_none() {
                row.failures
                    .push(format!("frame {}: issues {:?}", i + 1, rep.issues));
            }
        }
        let x = mismatched(&exp_tuples, &dec_tuples);
        row.tuples.0 += exp_tuples.len();
        row.tuples.1 += dec_tuples.len();
        row.tuples.2 += x;
        if x > 0 {
            row.failures.push(format!(
                "frame {}: flow tuples tshark {exp_tuples:?}, flowgate {dec_tuples:?}",
                i + 1
            ));
        }
        let flagged = !frame["_source"]["layers"]["_ws.malformed"].is_null();
        if known.is_none_or(|k| k.generic_ok_unflagged && !flagged) {
            let x = mismatched(&exp_generic, &dec_generic);
            row.generic.0 += exp_generic.len();
            row.generic.1 += dec_generic.len();
            row.generic.2 += x;
            if x > 0 {
                row.failures.push(format!(
                    "frame {}: generic counters tshark {exp_generic:?}, flowgate {dec_generic:?}",
                    i + 1
                ));
            }
        }
    }
    if let Some(k) = known {
        row.note = format!("tshark wrong: {}", k.why);
        match (k.check)(&run) {
            Ok(()) => row.note.push_str(" -> own values OK"),
            Err(e) => row.failures.push(format!("own values: {e}")),
        }
    }
    if outer_only {
        row.note = TSHARK_STOPS_EARLIER[0].1.to_string();
        if let Err(e) = checks::vxlan_inner(&run) {
            row.failures.push(format!("own values: {e}"));
        }
    }
    row
}

fn decode(pcap: &Path) -> Run {
    let mut reader = flowgate_pcap::open(pcap).unwrap();
    let mut decoder = Decoder::default();
    let mut run = Run::default();
    let mut flows = RecordBatch::new();
    let mut counters = Vec::new();
    while let Some(d) = reader.next_datagram().unwrap() {
        let exporter = Exporter {
            addr: d.src,
            received_ns: d.ts_ns,
        };
        flows.clear();
        counters.clear();
        let rep = decoder.decode_all(exporter, d.payload, &mut flows, &mut counters);
        run.reports.push(rep.map_err(|e| e.to_string()));
        run.flows.push(flows.iter().cloned().collect());
        run.counters.push(std::mem::take(&mut counters));
    }
    run
}

fn add(a: &mut Counts, b: Counts) {
    a.flow += b.flow;
    a.counters += b.counters;
    a.drop += b.drop;
    a.unknown += b.unknown;
}

/// Items of `a` and `b` left over after pairing equal ones.
fn mismatched<T: Ord + Clone>(a: &[T], b: &[T]) -> usize {
    let mut left: BTreeMap<T, i64> = BTreeMap::new();
    for x in a {
        *left.entry(x.clone()).or_default() += 1;
    }
    for x in b {
        *left.entry(x.clone()).or_default() -= 1;
    }
    left.values().map(|n| n.unsigned_abs() as usize).sum()
}

/// tshark's JSON value: one object, or an array of them when a key repeats.
fn each(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        v => vec![v],
    }
}

fn children<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    each(&v[key])
}

/// The sample objects of an sflow layer (their keys are "Flow sample, seq
/// N", "Counters sample, seq N", "Unknown sample format", ...).
fn tshark_samples(layer: &Value) -> Vec<&Value> {
    let Some(obj) = layer.as_object() else {
        return Vec::new();
    };
    obj.values()
        .flat_map(each)
        .filter(|s| s.get("sflow_245.sampletype").is_some())
        .collect()
}

fn num(v: &Value) -> u64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn sample_type(s: &Value) -> (u64, u64) {
    (num(&s["sflow.enterprise"]), num(&s["sflow_245.sampletype"]))
}

fn tshark_tuple(s: &Value) -> Option<Tuple> {
    let raw = *children(s, "Raw packet header").first()?;
    let tree = &raw["sflow_245.header_tree"];
    let addr = |v: &Value| v.as_str().and_then(|a| a.parse().ok());
    let (src, dst, mut proto) = if let Some(ip) = each(&tree["ip"]).first() {
        (
            addr(&ip["ip.src"]),
            addr(&ip["ip.dst"]),
            num(&ip["ip.proto"]),
        )
    } else if let Some(ip) = each(&tree["ipv6"]).first() {
        (
            addr(&ip["ipv6.src"]),
            addr(&ip["ipv6.dst"]),
            num(&ip["ipv6.nxt"]),
        )
    } else {
        (None, None, 0)
    };
    let mut ports = (0, 0);
    // ipv6.nxt names the first extension header; the layers say what follows
    for (layer, p) in [("icmp", 1), ("icmpv6", 58)] {
        if !tree[layer].is_null() {
            proto = p;
        }
    }
    for (layer, p) in [("tcp", 6), ("udp", 17)] {
        if let Some(l) = each(&tree[layer]).first() {
            proto = p;
            ports = (
                num(&l[format!("{layer}.srcport").as_str()]),
                num(&l[format!("{layer}.dstport").as_str()]),
            );
        }
    }
    Some((
        src,
        dst,
        proto as u8,
        ports.0 as u16,
        ports.1 as u16,
        num(&s["sflow.flow_sample.sampling_rate"]),
        num(&raw["sflow_245.header.frame_length"]),
    ))
}

fn flowgate_tuple(f: &FlowRecord, outer: bool) -> Tuple {
    let frame = f.ext().frame_length.unwrap_or(0).into();
    if outer && f.ext().tunnel_type.is_some() {
        return (
            f.ext().tunnel_src_addr,
            f.ext().tunnel_dst_addr,
            f.ext().tunnel_proto.unwrap_or(0),
            f.ext().tunnel_src_port.unwrap_or(0),
            f.ext().tunnel_dst_port.unwrap_or(0),
            f.sampling_rate,
            frame,
        );
    }
    (
        f.src_addr,
        f.dst_addr,
        f.proto,
        f.src_port,
        f.dst_port,
        f.sampling_rate,
        frame,
    )
}
