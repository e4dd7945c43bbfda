//! Shared by the integration tests. Each test binary uses a different part
//! of it, so unused items are expected.
#![allow(dead_code)]

pub mod compare;
pub mod replay;
pub mod tshark;

use std::path::{Path, PathBuf};

/// `../shared/corpus` beside the repository, when it is there.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// Says loudly that a corpus test did nothing, so a green run without the
/// corpus is not mistaken for a checked one.
pub fn corpus_absent(test: &str) {
    eprintln!(
        "SKIPPED {test}: the capture corpus ../shared/corpus is absent (looked in {}/../shared/corpus)",
        env!("CARGO_MANIFEST_DIR")
    );
}

/// The captures of one corpus directory (`netflow5`, `ipfix`, ...), sorted.
pub fn captures(corpus: &Path, kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus.join(kind))
        .unwrap_or_else(|e| panic!("listing {kind}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    v.sort();
    v
}

/// `netflow9/foo` for `.../corpus/netflow9/foo.pcap`.
pub fn capture_name(path: &Path) -> String {
    let kind = path
        .parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    format!("{kind}/{stem}")
}

/// The tshark decode stored beside a capture.
pub fn tshark_json(path: &Path) -> PathBuf {
    path.with_extension("tshark.json")
}
