//! The static enricher end to end, on the real exporters of
//! `tests/e2e/lab.sh` (Open vSwitch NetFlow v5, IPFIX and sFlow from one
//! bridge between two network-namespace pods): `flowgate run --static-map`
//! with a map naming the two pods (IPv4 and IPv6) and the exporter, the
//! names asserted on stdout; then the map is rewritten, SIGHUP sent, and
//! later flows carry the new names.
//!
//! The lab's prerequisites and skip rules are those of
//! `tests/e2e_exporters.rs` (whose harness this is a trimmed copy of): root,
//! Open vSwitch, iproute2...; a loud SKIPPED without them, a failure under
//! CI=true. Cargo runs test binaries one after another, so this lab never
//! meets that file's (Open vSwitch's userspace tap name is global).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "e2e/harness.rs"]
mod harness;
use harness::*;

const PATIENCE: Duration = Duration::from_secs(30);

/// The enricher's series of one scrape, by `{what}_total` and outcome.
trait EnrichSeries {
    fn enrich_series(&self) -> impl Fn(&str, &str) -> Option<f64>;
}

impl EnrichSeries for Flowgate {
    fn enrich_series(&self) -> impl Fn(&str, &str) -> Option<f64> {
        let (_, body) = http_get(self.http, "/metrics").expect("GET /metrics");
        move |what, outcome| {
            let series = match outcome {
                "" => format!("flowgate_enrich_{what}{{enricher=\"static\",type=\"static\"}}"),
                o => format!("flowgate_enrich_{what}_total{{enricher=\"static\",type=\"static\",outcome=\"{o}\"}}"),
            };
            body.lines().find_map(|l| {
                l.strip_prefix(&series)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
        }
    }
}

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

/// The map file, replaced atomically (as docs/enrich.md asks); `server`
/// names pod 2.
fn write_map(map: &Path, server: &str) {
    let pod = |ip: &str, name: &str, workload: &str, kind: &str| {
        format!(
            "  - {{address: {ip}, name: {name}, namespace: fg-lab, kind: Pod, workload: {workload}, \
             workload_kind: {kind}, node: lab-node, labels: {{app: {workload}}}}}\n"
        )
    };
    let text = format!(
        "addresses:\n{}{}{}{}  - {{address: fd99::/64, name: lab-net6, kind: Subnet}}\n\
         exporters:\n  - {{address: 127.0.0.1, name: ovs-lab, node: lab-node}}\n",
        pod("10.99.0.1", "client-0", "client", "Deployment"),
        pod("fd99::1", "client-0", "client", "Deployment"),
        pod("10.99.0.2", server, "server", "StatefulSet"),
        pod("fd99::2", server, "server", "StatefulSet"),
    );
    let tmp = map.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, map).unwrap();
}

/// Problems with the enrichment of the lab's records (those touching
/// `port`, if given): every field the map sets, on both sides, and the
/// exporter; and which (type, IPv6) combinations were seen enriched.
fn problems(
    records: &[Value],
    server: &str,
    port: Option<u64>,
    want: &[(&str, bool)],
) -> Vec<String> {
    let mut p = Vec::new();
    let mut seen = BTreeSet::new();
    for r in records.iter().filter(|r| r["type"] != "SFLOW_COUNTERS") {
        if port.is_some_and(|port| r["src_port"] != port && r["dst_port"] != port) {
            continue;
        }
        for side in ["src", "dst"] {
            let addr = r[format!("{side}_addr")].as_str().unwrap_or("");
            let got = r[format!("{side}_k8s_name")].as_str().unwrap_or("");
            let (name, workload, kind) = match addr {
                "10.99.0.1" | "fd99::1" => ("client-0", "client", "Deployment"),
                "10.99.0.2" | "fd99::2" => (server, "server", "StatefulSet"),
                a if a.starts_with("fd99:") => ("lab-net6", "", ""),
                _ => ("", "", ""),
            };
            if got != name {
                p.push(format!("{side}_k8s_name {got:?}, expected {name:?}: {r}"));
            }
            if workload.is_empty() {
                continue;
            }
            let fields = [
                ("namespace", "fg-lab"),
                ("kind", "Pod"),
                ("owner_name", workload),
                ("owner_kind", kind),
                ("node", "lab-node"),
            ];
            for (f, v) in fields {
                if r[format!("{side}_k8s_{f}")] != v {
                    p.push(format!("{side}_k8s_{f} is not {v}: {r}"));
                }
            }
            if r[format!("{side}_k8s_labels")]["app"] != workload {
                p.push(format!("{side}_k8s_labels lacks app={workload}: {r}"));
            }
            seen.insert((
                r["type"].as_str().unwrap_or("?").to_owned(),
                addr.contains(':'),
            ));
        }
        if r["sampler_name"] != "ovs-lab" || r["sampler_k8s_node"] != "lab-node" {
            p.push(format!("exporter not named: {r}"));
        }
    }
    for (ty, v6) in want {
        if !seen.contains(&(ty.to_string(), *v6)) {
            p.push(format!(
                "no enriched {ty} {} record yet",
                if *v6 { "IPv6" } else { "IPv4" }
            ));
        }
    }
    p
}

#[test]
fn open_vswitch_flows_carry_the_names_of_a_static_map() {
    const TEST: &str = "open_vswitch_flows_carry_the_names_of_a_static_map";
    if !lab_available(TEST) {
        return;
    }
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("fg-enrich-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let map = dir.join("lab-map.yaml");
    write_map(&map, "server-0");
    // --static-map sets the path of the config's static enricher.
    let config = dir.join("flowgate.yaml");
    let entry = "enrich:\n  - {type: static, path: /nonexistent, watch_interval: 0s}\n";
    std::fs::write(&config, entry).unwrap();
    let (nf, ipfix, sflow) = (free_udp_port(), free_udp_port(), free_udp_port());
    let fg = Flowgate::start(&[
        format!("--listen=netflow://127.0.0.1:{nf}"),
        format!("--listen=ipfix://127.0.0.1:{ipfix}"),
        format!("--listen=sflow://127.0.0.1:{sflow}"),
        format!("--config={}", config.display()),
        format!("--static-map={}", map.display()),
    ]);
    let lab = Lab::up(
        "fg-enrich",
        &[
            ("FG_LAB_NETFLOW_PORT", nf.to_string()),
            ("FG_LAB_IPFIX_PORT", ipfix.to_string()),
            ("FG_LAB_SFLOW_PORT", sflow.to_string()),
            ("FG_LAB_ACTIVE_TIMEOUT", "2".into()),
        ],
    );
    for (k, v) in [
        ("IP4_1", "10.99.0.1"),
        ("IP4_2", "10.99.0.2"),
        ("IP6_1", "fd99::1"),
        ("IP6_2", "fd99::2"),
    ] {
        assert_eq!(
            lab.facts.get(k).map(String::as_str),
            Some(v),
            "the map assumes lab.sh's pod addresses"
        );
    }
    lab.run(&["traffic"]);
    let all = [
        ("NETFLOW_V5", false),
        ("IPFIX", false),
        ("IPFIX", true),
        ("SFLOW_5", false),
        ("SFLOW_5", true),
    ];
    let p = wait_until(PATIENCE, || problems(&fg.records(), "server-0", None, &all));
    assert!(p.is_empty(), "{TEST}:\n{}", p.join("\n"));
    let series = fg.enrich_series();
    let enriched = series("records", "enriched").unwrap_or(0.0);
    let (seen, missed) = (
        series("records", "seen").unwrap(),
        series("records", "missed").unwrap(),
    );
    assert!(
        enriched > 0.0 && seen == enriched + missed,
        "seen {seen} enriched {enriched} missed {missed}"
    );
    assert_eq!(series("healthy", ""), Some(1.0));

    // A new map and SIGHUP (the config file switched the file watch off).
    write_map(&map, "server-1");
    let hup = Command::new("kill")
        .arg("-HUP")
        .arg(fg.child.id().to_string())
        .status()
        .unwrap();
    assert!(hup.success());
    let p = wait_until(Duration::from_secs(10), || {
        match fg.enrich_series()("reloads", "ok") {
            Some(n) if n >= 1.0 => vec![],
            n => vec![format!("static map reloads: {n:?}")],
        }
    });
    assert!(p.is_empty(), "{p:?}\n{}", fg.stderr());
    lab.run(&["traffic", "late"]);
    let late = [
        ("IPFIX", false),
        ("IPFIX", true),
        ("SFLOW_5", false),
        ("SFLOW_5", true),
    ];
    let p = wait_until(PATIENCE, || {
        problems(&fg.records(), "server-1", Some(40002), &late)
    });
    assert!(p.is_empty(), "{TEST} after SIGHUP:\n{}", p.join("\n"));
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{TEST}: passed in {:.1} s; {} records, {enriched} enriched by the static map before the reload",
        started.elapsed().as_secs_f64(),
        fg.records().len()
    );
}
