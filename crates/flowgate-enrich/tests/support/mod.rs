//! Shared by the enrichment tests: fixtures, records, waiting.

#![allow(dead_code)]

pub mod fake_api;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use flowgate_record::{FlowRecord, RenderOptions, Renderer};
use serde_json::Value;

/// tests/data/k8s/ of the repository: copies of shared/k8s-fixtures, so
/// these tests never depend on ../shared being there.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/k8s")
}

pub fn fixture(path: &str) -> Value {
    let p = fixture_dir().join(path);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

/// A flow between two addresses, exported by `sampler`.
pub fn flow(src: &str, dst: &str, sampler: &str) -> FlowRecord {
    let ip = |s: &str| (!s.is_empty()).then(|| s.parse::<IpAddr>().unwrap());
    FlowRecord {
        src_addr: ip(src),
        dst_addr: ip(dst),
        sampler_address: ip(sampler),
        bytes: 100,
        packets: 1,
        ..Default::default()
    }
}

/// The record as the stdout sink prints it, parsed back.
pub fn rendered(r: &FlowRecord) -> Value {
    let mut out = Vec::new();
    Renderer::new(RenderOptions::default()).write(r, &mut out);
    serde_json::from_slice(&out).unwrap()
}

/// Polls `f` until it returns Some, or panics with `what` after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > limit {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
