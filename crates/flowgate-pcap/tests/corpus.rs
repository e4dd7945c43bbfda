//! Reads the shared corpus of real captures and checks the UDP datagram count
//! of each against the count tshark reported (MANIFEST.json).

use std::path::{Path, PathBuf};

use flowgate_pcap::link_type_supported;

/// `FLOWGATE_CORPUS` if set, else `shared/corpus` beside the workspace (as
/// CI lays it out), else the shared directory of the development machines.
fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FLOWGATE_CORPUS") {
        return dir.into();
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/corpus")
}

/// Captures whose UDP is only inside GRE/ERSPAN tunnels. tshark's count
/// includes those inner datagrams; this reader does not decapsulate tunnels,
/// so it sees every frame as GRE (not UDP) and yields none.
const TUNNELLED_ONLY: &[&str] = &[
    "mirror/tcpdump-erspan-type2-hsrp.pcap",
    "mirror/zeek-gre-teb-mirror.pcap",
    "mirror/zeek-gre-sample.pcap",
];

fn link_type_number(name: &str) -> Option<u32> {
    match name {
        "ether" => Some(1),
        "linux-sll" => Some(113),
        "linux-sll2" => Some(276),
        "rawip" => Some(101),
        "null" => Some(0),
        "loop" => Some(108),
        _ => None,
    }
}

#[test]
fn corpus_udp_counts_match_manifest() {
    let dir = corpus_dir();
    let dir = dir.as_path();
    let manifest = dir.join("MANIFEST.json");
    if !manifest.exists() {
        eprintln!("skipping: {} not found", manifest.display());
        return;
    }
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let mut checked = 0;
    let (mut frames, mut datagrams, mut reassembled, mut truncated) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for e in &entries {
        let file = e["file"].as_str().expect("file");
        if !file.ends_with(".pcap") {
            continue;
        }
        let mut want = e["udp_packets"].as_u64().expect("udp_packets");
        if TUNNELLED_ONLY.contains(&file) {
            assert!(want > 0, "{file}: no longer needs to be an exception");
            want = 0;
        }
        let lt_name = e["linktype"].as_str().expect("linktype");
        let mut r = match flowgate_pcap::open(&dir.join(file)) {
            Ok(r) => r,
            Err(err) => {
                failures.push(format!("{file}: {err}"));
                continue;
            }
        };
        let lt = r.link_type().expect("classic pcap");
        assert!(link_type_supported(lt), "{file}: link type {lt}");
        let Some(n) = link_type_number(lt_name) else {
            failures.push(format!(
                "{file}: manifest link type {lt_name:?} is not one this reader knows"
            ));
            continue;
        };
        let raw = [101, 12, 14, 228, 229];
        if !(lt == n || (n == 101 && raw.contains(&lt))) {
            failures.push(format!(
                "{file}: manifest says {lt_name}, file says link type {lt}"
            ));
        }
        let mut n = 0u64;
        let mut sources = std::collections::BTreeSet::new();
        loop {
            match r.next_datagram() {
                Ok(Some(d)) => {
                    n += 1;
                    sources.insert(d.src.ip());
                }
                Ok(None) => break,
                Err(err) => {
                    failures.push(format!("{file}: {err}"));
                    break;
                }
            }
        }
        let s = r.stats();
        frames += s.frames;
        datagrams += s.udp_datagrams;
        reassembled += s.reassembled;
        truncated += s.truncated + s.truncated_datagrams;
        assert_eq!(s.unsupported_link_type, 0, "{file}");
        if n != want {
            failures.push(format!(
                "{file}: {n} datagrams, manifest says {want}; {s:?}"
            ));
        }
        // The exporter list is loose (it can include addresses from packet headers
        // sampled inside sFlow, and omits sources of datagrams tshark did not
        // decode), but our sources must at least overlap it: this catches
        // swapped or misparsed addresses.
        let exporters: std::collections::BTreeSet<std::net::IpAddr> = e["exporters"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()?.parse().ok()).collect())
            .unwrap_or_default();
        if e["kind"] != "mirror" && n > 0 && sources.is_disjoint(&exporters) {
            failures.push(format!(
                "{file}: sources {sources:?}, exporters {exporters:?}"
            ));
        }
        checked += 1;
    }
    assert!(checked > 0, "no captures found in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "checked {checked} captures: {frames} frames, {datagrams} datagrams \
         ({reassembled} reassembled, {truncated} truncated)"
    );
}
