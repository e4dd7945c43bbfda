//! Decode-only throughput, records per second, per protocol, and rendering
//! throughput (new renderer against the old one). A baseline for the
//! performance work: compare ratios between runs on the same machine.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowgate_decode::Decoder;
use flowgate_record::{
    render_reference, FieldId, OutputFormat, RecordBatch, RenderOptions, Renderer,
};

// Shared with benches/serialise.rs, which uses the varied-records builder this one does not.
#[allow(dead_code)]
mod wire;
use wire::exporter;

fn bench_one(c: &mut Criterion, name: &str, template: Option<Vec<u8>>, data: Vec<u8>) {
    bench_batch(c, name, template, data, false);
}

/// `local`: the batch resets its records as one whose records no other
/// core reads (the receive worker's batches when only inline sinks run).
fn bench_batch(
    c: &mut Criterion,
    name: &str,
    template: Option<Vec<u8>>,
    data: Vec<u8>,
    local: bool,
) {
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::with_capacity(64);
    batch.set_local(local);
    if let Some(t) = template {
        decoder
            .decode(exporter(), &t, &mut batch)
            .expect("template decodes");
    }
    batch.clear();
    let report = decoder
        .decode(exporter(), &data, &mut batch)
        .expect("data decodes");
    let records = report.records as u64;
    assert!(
        records > 0,
        "{name}: the bench datagram decodes to no record"
    );
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(records));
    group.bench_function(name, |b| {
        b.iter(|| {
            batch.clear();
            black_box(
                decoder
                    .decode(exporter(), black_box(&data), &mut batch)
                    .ok(),
            );
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    bench_one(c, "netflow_v5_30", None, wire::v5_datagram(30));
    bench_batch(c, "netflow_v5_30_local", None, wire::v5_datagram(30), true);
    bench_one(
        c,
        "netflow_v9_fixed_20",
        Some(wire::v9_template(wire::FIXED_IPV4)),
        wire::v9_data(wire::FIXED_IPV4, 20),
    );
    bench_one(
        c,
        "ipfix_fixed_20",
        Some(wire::ipfix_template(wire::FIXED_IPV4)),
        wire::ipfix_data(wire::FIXED_IPV4, 20),
    );
    bench_one(
        c,
        "ipfix_ovs_ingress_tcp_20",
        Some(wire::ipfix_template(wire::OVS_IPV4_TCP_INGRESS)),
        wire::ipfix_data(wire::OVS_IPV4_TCP_INGRESS, 20),
    );
    bench_one(
        c,
        "sflow_6_samples_128b_headers",
        None,
        wire::sflow_datagram(6),
    );
}

/// The fast renderer (`new`) against the one it replaced (`old`, kept as
/// `render_reference`), on the same records in the same run: compare the
/// two lines of each pair. Throughput is records.
fn render(c: &mut Criterion) {
    let inputs = wire::records_per_protocol();
    let fields = [
        "src_addr", "dst_addr", "src_port", "dst_port", "proto", "bytes",
    ]
    .iter()
    .map(|n| FieldId::from_name(n).unwrap())
    .collect::<Vec<_>>();
    let variants = [
        ("json", RenderOptions::default()),
        (
            "json_names",
            RenderOptions {
                names: true,
                ..Default::default()
            },
        ),
        (
            "text",
            RenderOptions {
                format: OutputFormat::Text,
                ..Default::default()
            },
        ),
        (
            "json_fields6",
            RenderOptions {
                fields: Some(fields),
                ..Default::default()
            },
        ),
    ];
    let mut out = Vec::with_capacity(256 * 1024);
    let mut group = c.benchmark_group("render");
    for (kind, batch) in &inputs {
        group.throughput(Throughput::Elements(batch.len() as u64));
        for (variant, opts) in &variants {
            // The default JSON on every kind; the other options on v5 only.
            if *variant != "json" && *kind != "v5" {
                continue;
            }
            let new = Renderer::new(opts.clone());
            let old = render_reference::Renderer::new(opts.clone());
            let id = format!("{variant}_{kind}");
            group.bench_function(BenchmarkId::new(&id, "old"), |b| {
                b.iter(|| {
                    out.clear();
                    for r in batch {
                        old.write(r, &mut out);
                    }
                    black_box(out.len());
                })
            });
            group.bench_function(BenchmarkId::new(&id, "new"), |b| {
                b.iter(|| {
                    out.clear();
                    for r in batch {
                        new.write(r, &mut out);
                    }
                    black_box(out.len());
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, decode, render);
criterion_main!(benches);
