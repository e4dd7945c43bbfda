//! The sinks' hot paths allocate nothing per record, checked with a
//! counting allocator: the Prometheus sink's aggregation once its series
//! exist, the Kafka sink's protobuf encoding and key hashing, and the
//! stdout sink's rendering under every output option.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flowgate_config::PrometheusSinkConfig;
use flowgate_decode::{Decoder, Exporter};
use flowgate_record::{FieldId, OutputFormat, RecordBatch, RenderOptions, Renderer};
use flowgate_server::sink::fieldkey::FieldKey;
use flowgate_server::sink::proto::ProtoEncoder;
use flowgate_server::sink::FlowAggregator;

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not see each other.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    /// Bytes allocated and not yet freed.
    static LIVE_BYTES: Cell<i64> = const { Cell::new(0) };
}

fn live(delta: i64) {
    LIVE_BYTES.with(|c| c.set(c.get() + delta));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        live(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        live(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        live(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|c| c.get())
}

/// The flow records of real captures, in one batch.
fn records() -> RecordBatch {
    let mut decoder = Decoder::default();
    let mut out = RecordBatch::new();
    for name in ["ovs-ipfix.pcap", "ovs-sflow.pcap", "softflowd-v9.pcap"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let mut r = flowgate_pcap::open(&path).unwrap();
        while let Some(d) = r.next_datagram().unwrap() {
            let e = Exporter {
                addr: d.src,
                received_ns: d.ts_ns,
            };
            let _ = decoder.decode(e, d.payload, &mut out);
        }
    }
    assert!(out.len() > 100);
    out
}

#[test]
fn prometheus_aggregation_allocates_nothing_per_record_once_series_exist() {
    let batch = records();
    let cfg = PrometheusSinkConfig {
        // Labels of every kind: addresses, numbers, names, strings, absent fields.
        labels: [
            "src_addr",
            "dst_addr",
            "proto",
            "type",
            "in_if_name",
            "src_k8s_namespace",
            "flow_direction",
        ]
        .map(String::from)
        .to_vec(),
        ..Default::default()
    };
    let mut agg = FlowAggregator::new(&cfg);
    agg.add_flows(&batch, 0); // creates the series
    let before = allocations();
    for now in 1..=20 {
        agg.add_flows(&batch, now);
    }
    assert_eq!(
        allocations() - before,
        0,
        "{} records x 20 batches",
        batch.len()
    );
}

/// .ci/k8s_check.py bounds the Prometheus sink's memory at this many bytes
/// per series (the sink's table and each worker's shard hold up to
/// `max_series`): measured here with the default labels and Kubernetes
/// names of a realistic length, table included.
const SERIES_BYTES: i64 = 512;

#[test]
fn a_prometheus_series_takes_less_memory_than_the_bound_assumes() {
    use std::sync::Arc;
    let cfg = PrometheusSinkConfig {
        max_series: 2000,
        ..Default::default()
    };
    let meta = |i: usize, side: &str| {
        Some(Arc::new(flowgate_record::EndpointMeta {
            namespace: format!("team-{side}-namespace-{i:04}").into(),
            owner_name: format!("checkout-service-{side}-{i:04}").into(),
            node: format!("worker-node-{:02}.cluster.example.com", i % 50).into(),
            ..Default::default()
        }))
    };
    let mut batch = RecordBatch::new();
    for i in 0..cfg.max_series {
        let r = batch.push();
        r.src_k8s = meta(i, "src");
        r.dst_k8s = meta(i, "dst");
        r.sampler_k8s = meta(i, "node");
        r.proto = 6;
        r.bytes = 1;
    }
    let before = LIVE_BYTES.with(|c| c.get());
    let mut agg = FlowAggregator::new(&cfg);
    agg.add_flows(&batch, 0);
    let per_series = (LIVE_BYTES.with(|c| c.get()) - before) / cfg.max_series as i64;
    assert!(
        per_series <= SERIES_BYTES,
        "{per_series} bytes per series (with the table's own arrays)"
    );
    // The table's own arrays alone are ~70 bytes per series: above that,
    // the series (keys, label strings) were created.
    assert!(per_series > 100, "{per_series}: every series was created");
    assert_eq!(agg.label_names().len(), 6, "the default labels");
    eprintln!("{per_series} bytes per series");
}

#[test]
fn protobuf_encoding_and_key_hashing_allocate_nothing_per_record() {
    let batch = records();
    let key = FieldKey::new(
        &[
            "sampler_address",
            "src_addr",
            "dst_addr",
            "proto",
            "src_port",
            "dst_port",
        ]
        .map(|n| FieldId::from_name(n).unwrap()),
    );
    let mut enc = ProtoEncoder;
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    let mut run = || {
        for rec in &batch {
            out.clear();
            enc.encode_delimited(rec, &mut out);
            std::hint::black_box(key.hash(rec, &mut scratch));
        }
    };
    run(); // buffers grow to their size
    let before = allocations();
    for _ in 0..20 {
        run();
    }
    assert_eq!(allocations() - before, 0);
}

#[test]
fn rendering_allocates_nothing_per_record() {
    let batch = records();
    let list = ["src_addr", "extra", "in_if_name", "proto"].map(|n| FieldId::from_name(n).unwrap());
    for format in [OutputFormat::Json, OutputFormat::Text] {
        for fields in [None, Some(list.to_vec())] {
            let renderer = Renderer::new(RenderOptions {
                format,
                fields,
                names: true,
            });
            // As the stdout sink does: one buffer, cleared between batches.
            let mut out = Vec::new();
            let mut run = || {
                out.clear();
                for rec in &batch {
                    renderer.write(rec, &mut out);
                }
                std::hint::black_box(out.len());
            };
            run(); // the buffer grows to a batch's size
            let before = allocations();
            for _ in 0..20 {
                run();
            }
            assert_eq!(
                allocations() - before,
                0,
                "{format:?}: {} records x 20 batches",
                batch.len()
            );
        }
    }
}
